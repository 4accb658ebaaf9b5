/*
 * ng.h - rtpengine's ng control protocol (ng-protocol.md): one request
 * document in, one reply document out, in the same form (bencode or JSON).
 * The transport (control/ctl_net.c) strips the cookie and caches replies.
 */
#ifndef RTPROAM_NG_H
#define RTPROAM_NG_H

#include <stddef.h>

#include "call/calls.h"

/*
 * Execute one document from `from` (NULL on a stream) and write the reply
 * document into reply (replylen bytes, at least 256). Returns its length.
 * Never fails to reply: whatever goes wrong becomes an error document.
 */
size_t	ng_execute(struct call_ctx *ctx, const char *doc, size_t len,
	    const struct addr *from, char *reply, size_t replylen);

#endif
