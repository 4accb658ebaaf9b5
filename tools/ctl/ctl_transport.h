/*
 * ctl_transport.h - rtproam-ctl's control socket client.
 */
#ifndef RTPROAM_CTL_TRANSPORT_H
#define RTPROAM_CTL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "lib/addr.h"

#define CMD_MAX		8192	/* longer commands get E25 */

struct target {
	const char		*spec;
	bool			 udp;
	bool			 lines;		/* commands end in '\n' */
	struct addr		 addr;		/* udp, tcp */
	struct sockaddr_un	 sun;		/* unix, cunix */
};

/* udp:, udp6:, tcp:, tcp6:, unix:, cunix: -> *t. NULL, or what is wrong. */
const char *ctl_target_parse(const char *spec, struct target *t);

/*
 * Send one command and put the reply, NUL-terminated and without its
 * final newline, in buf. Returns 0, -1 (already reported on stderr), or
 * -2 when the command is longer than CMD_MAX (a usage error).
 */
int	ctl_request(const struct target *t, const char *cmd, char *buf, size_t buflen);

uint64_t ctl_mono_ms(void);

#endif
