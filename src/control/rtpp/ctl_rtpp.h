/*
 * ctl_rtpp.h - rtpproxy protocol commands executed against the call
 * table: create, update, look up, query and delete calls. Runs on the
 * control thread; reaches the workers only through worker.h messages.
 */
#ifndef RTPROAM_CTL_RTPP_H
#define RTPROAM_CTL_RTPP_H

#include <stddef.h>
#include <stdint.h>

#include "call/calls.h"

/* call_ctx.on_timeout for rtpproxy's notifications; arg: the notify. */
void	ctl_rtpp_on_timeout(void *arg, struct call *c);

/*
 * Execute one command (no cookie) from `from` (NULL for unix sockets) and
 * write the reply body, '\n'-terminated, into reply. Never fails to reply.
 */
size_t	ctl_execute(struct call_ctx *ctx, const char *cmd, size_t len,
	    const struct addr *from, char *reply, size_t replylen);

#endif
