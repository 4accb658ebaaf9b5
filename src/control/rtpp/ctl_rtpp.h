/*
 * ctl_rtpp.h - rtpproxy protocol commands executed against the call
 * table: create, update, look up, query and delete calls. Runs on the
 * control thread; reaches the workers only through worker.h messages.
 */
#ifndef RTPROAM_CTL_RTPP_H
#define RTPROAM_CTL_RTPP_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "media/ports.h"
#include "call/call.h"
#include "media/worker.h"

struct notify;
struct recorder;

/* Why a U could not create a media (E7 or E98): what an operator alerts on. */
enum refused_reason {
	REFUSED_NO_PORTS,	/* E7: the port range is full */
	REFUSED_NO_FDS,		/* E7: socket() or bind() failed (descriptors...) */
	REFUSED_MAX_CALLS,	/* E98: --max-calls */
	REFUSED_MAX
};
const char *refused_reason_name(enum refused_reason r);

struct ctl_ctx {
	const struct config	*cfg;
	struct call_table	 calls;
	struct ports		 ports;
	struct worker		*workers;
	unsigned		 nworkers;
	unsigned		 next_worker;
	struct notify		*notify;
	struct recorder		*rec;		/* NULL: no --record-dir */
	bool			 shutting_down;

	/* Totals for I and the metrics; media that ended fold theirs in here. */
	uint64_t		 cmds, cmd_errors;
	uint64_t		 cmds_refused;	/* over --max-cmd-rate: E98, not run */
	uint64_t		 calls_timed_out, calls_deleted;
	uint64_t		 refused[REFUSED_MAX];	/* media not created, by why */
	struct ended_totals	 ended;		/* shared with the workers */
};

/* Zero the context and set up its histograms. */
void	ctl_ctx_init(struct ctl_ctx *ctx, const struct config *cfg);
void	ctl_ctx_free(struct ctl_ctx *ctx);
/* Ended totals plus the live media's current counters. */
void	ctl_totals(struct ctl_ctx *ctx, struct relay_totals *t);

/*
 * Execute one command (no cookie) from `from` (NULL for unix sockets) and
 * write the reply body, '\n'-terminated, into reply. Never fails to reply.
 */
size_t	ctl_execute(struct ctl_ctx *ctx, const char *cmd, size_t len,
	    const struct addr *from, char *reply, size_t replylen);

/* End calls idle longer than their TTL, notifying the SIP proxy. */
void	ctl_expire(struct ctl_ctx *ctx, uint64_t now);

/* Delete every call (X, and shutdown). */
void	ctl_delete_all(struct ctl_ctx *ctx, const char *reason);

#endif
