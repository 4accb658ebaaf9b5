/*
 * ng_commands.h - what each ng command does, for ng.c to dispatch to.
 * Each fills the reply dictionary (result "ok" is added by ng.c) or says
 * why it failed; none touches the wire.
 */
#ifndef RTPROAM_NG_COMMANDS_H
#define RTPROAM_NG_COMMANDS_H

#include "call/calls.h"
#include "control/ng/bencode.h"
#include "control/ng/ng_request.h"

enum ng_status {
	NG_STATUS_OK,
	NG_STATUS_ERROR,	/* result "error", reason in reply->reason */
	NG_STATUS_LOAD_LIMIT,	/* result "load limit", message in reply->reason */
};

struct ng_reply {
	struct bdoc	*doc;
	struct bnode	*dict;		/* the reply document */
	char		 reason[256];	/* error-reason / load limit message */
	char		 warning[256];	/* "" or the reply's warning */
};

/* Append to the reply's warning ("; " between several). */
void	ng_warn(struct ng_reply *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Fill reason and return NG_STATUS_ERROR. */
enum ng_status ng_fail(struct ng_reply *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* ng_offer.c */
enum ng_status ng_offer_answer(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);

/* ng_stats.c */
enum ng_status ng_query(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);
enum ng_status ng_delete(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);
enum ng_status ng_list(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);
enum ng_status ng_statistics(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);

/* ng_media.c: recording and blocking, by call and party */
enum ng_status ng_recording(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);
enum ng_status ng_block(struct call_ctx *ctx, const struct ng_request *req,
	    struct ng_reply *out);

#endif
