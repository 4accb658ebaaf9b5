/*
 * ng_media.c - commands that act on a call's media as it flows: start and
 * stop recording (the pcap recorder of --record-dir), block and unblock
 * what a party sends.
 */
#include "control/ng/ng_commands.h"

#include <stdio.h>
#include <string.h>

static bool
tag_is(const char *tag, const struct ng_str *s)
{
	return tag != NULL && strlen(tag) == s->len && memcmp(tag, s->p, s->len) == 0;
}

enum ng_status
ng_recording(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	struct call *c;
	char tag[128];

	if (req->call_id.len == 0)
		return ng_fail(out, "No call-id in message");
	if ((c = call_find(&ctx->calls, req->call_id.p, req->call_id.len)) == NULL)
		return ng_fail(out, "Unknown call-id");
	if (req->command != NG_START_RECORDING) {
		/* rtpengine 10.5 records per call: stop and pause end it alike. */
		call_stop_recording(ctx, c);
		call_changed(ctx, c);
		return NG_STATUS_OK;
	}
	snprintf(tag, sizeof(tag), "%.*s", (int)req->from_tag.len,
	    req->from_tag.p ? req->from_tag.p : "");
	switch (call_start_recording(ctx, c, tag)) {
	case CALL_OK:
		call_changed(ctx, c);
		return NG_STATUS_OK;
	case CALL_ERR_NO_RECORDER:
		return ng_fail(out, "Recording is not configured (--record-dir)");
	default:
		return ng_fail(out, "Failed to start recording");
	}
}

/*
 * block media / unblock media: with a from-tag only what that party sends,
 * else the whole call ("all" on unblock also lifts per-party blocks, which
 * is what an unblock of the whole call does here anyway).
 */
enum ng_status
ng_block(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	bool block = req->command == NG_BLOCK_MEDIA;
	struct call *c;
	struct media *m;
	unsigned i, n = 0;

	if (req->call_id.len == 0)
		return ng_fail(out, "No call-id in message");
	if ((c = call_find(&ctx->calls, req->call_id.p, req->call_id.len)) == NULL)
		return ng_fail(out, "Unknown call-ID");
	for (m = c->media; m; m = m->next) {
		for (i = 0; i < 2; i++) {
			if (req->from_tag.len > 0 && !tag_is(m->tag[i], &req->from_tag))
				continue;
			m->mode[i].blocked = block;
			n++;
			if (worker_leg_mode(&ctx->workers[m->worker], m, i, &m->mode[i]) != 0)
				return ng_fail(out, "Out of memory");
		}
	}
	if (n == 0)
		return ng_fail(out, "From-tag given, but no such tag exists");
	return NG_STATUS_OK;
}
