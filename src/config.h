/*
 * config.h - the daemon's settings, filled from the command line.
 *
 * rtpproxy's letters keep their meaning (-l -6 -s -m -M -T -W -n -f -F -d
 * -p -u), so an rtpproxy command line works unchanged; every setting also
 * has a long option.
 */
#ifndef RTPROAM_CONFIG_H
#define RTPROAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "addr.h"
#include "latch.h"

#define CONFIG_MAX_CTL		8
#define CONFIG_MAX_NOTIFY	8
#define CONFIG_MAX_IFACES	2

struct config {
	/*
	 * Media interfaces. ifaces[0] is the first -l address (the `I`
	 * modifier), ifaces[1] the second (`E`). advertised[] is what replies
	 * carry when the relay is behind NAT (-l addr:advertised... see
	 * --advertise); unset means the interface address itself.
	 */
	struct addr	 ifaces[CONFIG_MAX_IFACES];
	struct addr	 advertised[CONFIG_MAX_IFACES];
	unsigned	 nifaces;
	struct addr	 iface6;		/* -6: IPv6 address for `6` legs without I/E */
	bool		 have_iface6;

	const char	*ctl[CONFIG_MAX_CTL];	/* udp:H:P udp6:H:P unix:P tcp:H:P cunix:P */
	unsigned	 nctl;
	const char	*notify[CONFIG_MAX_NOTIFY]; /* permitted timeout targets */
	unsigned	 nnotify;

	uint16_t	 port_min, port_max;
	unsigned	 ttl_s;			/* -T: no media for this long ends a call */
	unsigned	 setup_ttl_s;		/* -W: same, before the answer (L) */
	unsigned	 max_calls;		/* 0 = unlimited */
	unsigned	 workers;		/* 0 = one per core */
	bool		 affinity;		/* pin workers to cores */

	bool		 foreground;
	bool		 no_root_check;
	int		 log_level;
	const char	*log_target;		/* stderr, syslog, or a path */
	const char	*pidfile;
	const char	*user;			/* drop to this user (and its group) */
	const char	*metrics;		/* HOST:PORT for /metrics, or NULL */

	struct latch_config latch;
};

/* Defaults: what `rtproam -f` alone does. */
void	config_default(struct config *c);

/*
 * Parse argv into *c. Returns 0 to run, 1 when the caller should exit 0
 * (--help, --version were printed), -1 on a usage error with a message
 * in err (size errlen).
 */
int	config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen);

void	config_usage(FILE *out, const char *prog);

#endif
