/*
 * ng.c - one ng document in, one out: decode (bencode, or JSON when the
 * document starts with '{'), read the request, run the command, encode
 * the reply in the request's own form. Whatever fails becomes an error
 * reply that says why: a SIP proxy that gets silence retransmits and then
 * takes the relay out of service.
 */
#include "control/ng/ng.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/ng/ng_commands.h"
#include "control/ng/ngjson.h"
#include "lib/log.h"

static void
vappend(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
vappend(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t used = strlen(buf);

	if (used > 0 && used + 2 < size) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	if (used + 1 < size)
		vsnprintf(buf + used, size - used, fmt, ap);
}

void
ng_warn(struct ng_reply *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(out->warning, sizeof(out->warning), fmt, ap);
	va_end(ap);
}

enum ng_status
ng_fail(struct ng_reply *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return NG_STATUS_ERROR;
}

/* Commands Kamailio 5.6 can send that rtproam does not do: say so. */
static enum ng_status
not_supported(const struct ng_request *req, struct ng_reply *out)
{
	return ng_fail(out, "%s is not supported by rtproam", ng_command_name(req->command));
}

static enum ng_status
run(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	switch (req->command) {
	case NG_PING:
		return NG_STATUS_OK;
	case NG_OFFER:
	case NG_ANSWER:
		return ng_offer_answer(ctx, req, out);
	case NG_DELETE:
		return ng_delete(ctx, req, out);
	case NG_QUERY:
		return ng_query(ctx, req, out);
	case NG_LIST:
		return ng_list(ctx, req, out);
	case NG_STATISTICS:
		return ng_statistics(ctx, req, out);
	case NG_START_RECORDING:
	case NG_STOP_RECORDING:
	case NG_PAUSE_RECORDING:
		return ng_recording(ctx, req, out);
	case NG_BLOCK_MEDIA:
	case NG_UNBLOCK_MEDIA:
		return ng_block(ctx, req, out);
	default:
		return not_supported(req, out);
	}
}

/* What the proxy should know it asked for in vain. */
static void
warn_ignored(const struct ng_request *req, struct ng_reply *out)
{
	char list[200];
	size_t off = 0;
	unsigned i;
	int n;

	if (req->nignored == 0)
		return;
	list[0] = '\0';
	for (i = 0; i < req->nignored && off < sizeof(list); i++) {
		n = snprintf(list + off, sizeof(list) - off, "%s%.*s", i ? ", " : "",
		    (int)(req->ignored[i].len > 40 ? 40 : req->ignored[i].len),
		    req->ignored[i].p);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	ng_warn(out, "ignored, not supported by rtproam: %s", list);
}

static int
decode(struct bdoc *d, const char *doc, size_t len, bool *json, struct bnode **root,
    char *err, size_t errlen)
{
	size_t used;

	*json = false;
	if (len == 0) {
		snprintf(err, errlen, "Invalid data (no payload)");
		return -1;
	}
	if (doc[0] == '{') {
		*json = true;
		if (ngjson_decode(d, doc, len, root, err, errlen) == 0)
			return 0;
		/* rtpengine's words; the detail is for the log. */
		log_debug("ng: %s", err);
		snprintf(err, errlen, "Failed to parse JSON document");
		return -1;
	}
	if (doc[0] != 'd') {
		snprintf(err, errlen, "Invalid NG data format");
		return -1;
	}
	if (bencode_decode(d, doc, len, root, &used, err, errlen) != 0)
		return -1;
	return 0;
}

static size_t
encode(const struct bnode *root, bool json, char *reply, size_t replylen)
{
	size_t off = 0;
	int rc;

	rc = json ? ngjson_encode(root, reply, replylen, &off) :
	    bencode_encode(root, reply, replylen, &off);
	return rc == 0 ? off : 0;
}

/* The last resort: an error reply that always fits 256 bytes. */
static size_t
plain_error(bool json, const char *reason, char *reply, size_t replylen)
{
	int n;

	if (json)
		n = snprintf(reply, replylen, "{\"result\":\"error\",\"error-reason\":\"%s\"}",
		    reason);
	else
		n = snprintf(reply, replylen, "d6:result5:error12:error-reason%zu:%se",
		    strlen(reason), reason);
	return n > 0 && (size_t)n < replylen ? (size_t)n : 0;
}

static size_t
error_reply(struct bdoc *d, bool json, const char *reason, char *reply, size_t replylen)
{
	struct bnode *root = bn_dict(d);
	size_t n = 0;

	if (root != NULL && bn_dict_add_cstr(d, root, "result", "error") == 0 &&
	    bn_dict_add_cstr(d, root, "error-reason", reason) == 0)
		n = encode(root, json, reply, replylen);
	return n ? n : plain_error(json, "Reply too large or out of memory", reply, replylen);
}

size_t
ng_execute(struct call_ctx *ctx, const char *doc, size_t len,
    const struct addr *from, char *reply, size_t replylen)
{
	struct bdoc in, outdoc;
	struct bnode *root = NULL;
	struct ng_request req;
	struct ng_reply out;
	enum ng_status st;
	bool json;
	size_t n;

	(void)from;
	ctx->cmds++;
	bdoc_init(&in);
	bdoc_init(&outdoc);
	memset(&out, 0, sizeof(out));
	out.doc = &outdoc;
	if (decode(&in, doc, len, &json, &root, out.reason, sizeof(out.reason)) != 0 ||
	    ng_request_parse(root, &req, out.reason, sizeof(out.reason)) != 0) {
		ctx->cmd_errors++;
		ctx->ng_malformed++;
		log_debug("ng: malformed request: %s", out.reason);
		n = error_reply(&outdoc, json, out.reason, reply, replylen);
		goto done;
	}
	if ((out.dict = bn_dict(&outdoc)) == NULL) {
		n = plain_error(json, "Out of memory", reply, replylen);
		goto done;
	}
	st = run(ctx, &req, &out);
	if (st == NG_STATUS_ERROR) {
		ctx->cmd_errors++;
		ctx->ng_errors++;
		log_info("ng %s %.*s: error: %s", ng_command_name(req.command),
		    (int)req.call_id.len, req.call_id.p ? req.call_id.p : "", out.reason);
		bdoc_free(&outdoc);
		bdoc_init(&outdoc);
		n = error_reply(&outdoc, json, out.reason, reply, replylen);
		goto done;
	}
	warn_ignored(&req, &out);
	if (st == NG_STATUS_LOAD_LIMIT) {
		ctx->ng_errors++;
		(void)bn_dict_add_cstr(&outdoc, out.dict, "result", "load limit");
		(void)bn_dict_add_cstr(&outdoc, out.dict, "message", out.reason);
	} else {
		if (out.warning[0] != '\0')
			(void)bn_dict_add_cstr(&outdoc, out.dict, "warning", out.warning);
		(void)bn_dict_add_cstr(&outdoc, out.dict, "result",
		    req.command == NG_PING ? "pong" : "ok");
	}
	if ((n = encode(out.dict, json, reply, replylen)) == 0) {
		bdoc_free(&outdoc);
		bdoc_init(&outdoc);
		n = error_reply(&outdoc, json, "Reply too large for one datagram",
		    reply, replylen);
	}
done:
	bdoc_free(&in);
	bdoc_free(&outdoc);
	return n;
}
