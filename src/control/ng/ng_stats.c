/*
 * ng_stats.c - query, delete, list and statistics: what ng says about
 * calls (ng-protocol.md §5, §6.4).
 *
 * A call's figures come in rtpengine's layout, since Kamailio reads them:
 * `totals.RTP` and `totals.RTCP` ({packets, bytes, errors}) feed $rtpstat,
 * `tags` holds one entry per party with its media and streams. A party's
 * stream counts what the relay *received from* that party, bytes being
 * the UDP payload (RTP header included), as in rtpengine.
 */
#include "control/ng/ng_commands.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/clock.h"

#define LIST_DEFAULT_LIMIT	32

/* Monotonic milliseconds -> unix seconds, as ng replies give times. */
static int64_t
wall_s(uint64_t mono_ms, uint64_t now)
{
	return (int64_t)time(NULL) - (int64_t)((now > mono_ms ? now - mono_ms : 0) / 1000);
}

static const char *
family_str(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static struct bnode *
add_endpoint(struct bdoc *d, struct bnode *dict, const char *key, const struct addr *a)
{
	struct bnode *e = bn_dict_add_dict(d, dict, key);
	char ip[ADDR_STRLEN];

	if (e == NULL)
		return NULL;
	addr_ip_str(a, ip, sizeof(ip));
	if (bn_dict_add_cstr(d, e, "family", family_str(addr_family(a))) != 0 ||
	    bn_dict_add_cstr(d, e, "address", ip) != 0 ||
	    bn_dict_add_int(d, e, "port", addr_port(a)) != 0)
		return NULL;
	return e;
}

/* Packets a leg's party sent that the relay did not take: invalid or refused. */
static uint64_t
stream_errors(const struct stream *s)
{
	uint64_t dropped = counter_get(&s->dropped_pkts);
	uint64_t nodest = counter_get(&s->nodest_pkts);

	return dropped > nodest ? dropped - nodest : 0;
}

static int
add_stream(struct bdoc *d, struct bnode *list, const struct leg *leg, bool rtcp,
    uint64_t now)
{
	const struct stream *s = rtcp ? &leg->rtcp : &leg->rtp;
	struct addr peer[2], local = leg->local, adv;
	struct bnode *st, *flags, *stats;
	char ip[ADDR_STRLEN];
	uint64_t last;

	if ((st = bn_dict(d)) == NULL || bn_list_add(list, st) != 0)
		return -1;
	if (rtcp)
		addr_set_port(&local, (uint16_t)(leg->port + 1));
	addr_ip_str(&local, ip, sizeof(ip));
	leg_peers((struct leg *)leg, &peer[0], &peer[1]);
	if (bn_dict_add_int(d, st, "local port", addr_port(&local)) != 0 ||
	    bn_dict_add_cstr(d, st, "local address", ip) != 0 ||
	    bn_dict_add_cstr(d, st, "family", family_str(addr_family(&local))) != 0)
		return -1;
	if (addr_is_set(&peer[rtcp]) &&
	    add_endpoint(d, st, "endpoint", &peer[rtcp]) == NULL)
		return -1;
	/* What the SDP (or received-from) said; RTCP one port up. */
	adv = leg->media->signalled[leg->idx];
	if (rtcp)
		addr_set_port(&adv, (uint16_t)(addr_port(&adv) + 1));
	if (addr_is_set(&adv) && add_endpoint(d, st, "advertised endpoint", &adv) == NULL)
		return -1;
	/* Until a packet comes, rtpengine shows when the stream began. */
	last = counter_get((counter_t *)&leg->last_rx_ms);
	if (bn_dict_add_int(d, st, "last packet",
	    wall_s(last ? last : leg->media->created_ms, now)) != 0 ||
	    (flags = bn_dict_add_list(d, st, "flags")) == NULL ||
	    bn_list_add(flags, bn_cstr(d, rtcp ? "RTCP" : "RTP")) != 0)
		return -1;
	if (addr_is_set(&peer[rtcp]) && bn_list_add(flags, bn_cstr(d, "filled")) != 0)
		return -1;
	if ((stats = bn_dict_add_dict(d, st, "stats")) == NULL ||
	    bn_dict_add_int(d, stats, "packets", (int64_t)counter_get(&s->rx_pkts)) != 0 ||
	    bn_dict_add_int(d, stats, "bytes", (int64_t)counter_get(&s->rx_bytes)) != 0 ||
	    bn_dict_add_int(d, stats, "errors", (int64_t)stream_errors(s)) != 0)
		return -1;
	return 0;
}

static int
add_media(struct bdoc *d, struct bnode *medias, const struct media *m, unsigned legi,
    uint64_t now)
{
	const struct leg *leg = &m->leg[legi];
	struct bnode *md, *flags, *streams;

	if ((md = bn_dict(d)) == NULL || bn_list_add(medias, md) != 0 ||
	    bn_dict_add_int(d, md, "index", m->num) != 0 ||
	    bn_dict_add_cstr(d, md, "type", m->type[0] ? m->type : "audio") != 0 ||
	    bn_dict_add_cstr(d, md, "protocol", m->proto[0] ? m->proto : "RTP/AVP") != 0 ||
	    (flags = bn_dict_add_list(d, md, "flags")) == NULL ||
	    bn_list_add(flags, bn_cstr(d, "initialized")) != 0 ||
	    bn_list_add(flags, bn_cstr(d, "send")) != 0 ||
	    bn_list_add(flags, bn_cstr(d, "recv")) != 0)
		return -1;
	if (m->mode[legi].rtcp_mux == MUX_ON && bn_list_add(flags, bn_cstr(d, "rtcp-mux")) != 0)
		return -1;
	if (m->mode[legi].blocked && bn_list_add(flags, bn_cstr(d, "blocked")) != 0)
		return -1;
	if ((streams = bn_dict_add_list(d, md, "streams")) == NULL ||
	    add_stream(d, streams, leg, false, now) != 0 ||
	    add_stream(d, streams, leg, true, now) != 0)
		return -1;
	return 0;
}

static bool
tag_seen_before(const struct call *c, const struct media *upto, unsigned legi,
    const char *tag)
{
	const struct media *m;
	unsigned i;

	for (m = c->media; m; m = m->next) {
		for (i = 0; i < 2; i++) {
			if (m == upto && i == legi)
				return false;
			if (m->tag[i] != NULL && strcmp(m->tag[i], tag) == 0)
				return true;
		}
	}
	return false;
}

/* One "tags" entry: every media in which this party has a leg. */
static int
add_party(struct bdoc *d, struct bnode *tags, const struct media *first, unsigned legi, uint64_t now, unsigned *untagged)
{
	const char *tag = first->tag[legi];
	const struct media *m;
	struct bnode *p, *medias;
	char name[48];
	unsigned i;

	if (tag == NULL)
		snprintf(name, sizeof(name), "<untagged %u>", ++*untagged);
	if ((p = bn_dict_add_dict(d, tags, tag ? tag : name)) == NULL ||
	    bn_dict_add_cstr(d, p, "tag", tag ? tag : "") != 0)
		return -1;
	if (first->label[legi][0] &&
	    bn_dict_add_cstr(d, p, "label", first->label[legi]) != 0)
		return -1;
	if (first->branch && bn_dict_add_cstr(d, p, "via-branch", first->branch) != 0)
		return -1;
	if (bn_dict_add_int(d, p, "created", wall_s(first->created_ms, now)) != 0 ||
	    (medias = bn_dict_add_list(d, p, "medias")) == NULL)
		return -1;
	if (tag == NULL)
		return add_media(d, medias, first, legi, now);
	for (m = first; m; m = m->next)
		for (i = 0; i < 2; i++)
			if (m->tag[i] != NULL && strcmp(m->tag[i], tag) == 0 &&
			    add_media(d, medias, m, i, now) != 0)
				return -1;
	return 0;
}

static int
add_totals(struct bdoc *d, struct bnode *dict, const struct call *c)
{
	uint64_t v[2][3] = { { 0 } };
	const struct media *m;
	const struct stream *s;
	struct bnode *totals, *t;
	unsigned i, k;

	for (m = c->media; m; m = m->next) {
		for (i = 0; i < 2; i++) {
			for (k = 0; k < 2; k++) {
				s = k ? &m->leg[i].rtcp : &m->leg[i].rtp;
				v[k][0] += counter_get(&s->rx_pkts);
				v[k][1] += counter_get(&s->rx_bytes);
				v[k][2] += stream_errors(s);
			}
		}
	}
	if ((totals = bn_dict_add_dict(d, dict, "totals")) == NULL)
		return -1;
	for (k = 0; k < 2; k++) {
		if ((t = bn_dict_add_dict(d, totals, k ? "RTCP" : "RTP")) == NULL ||
		    bn_dict_add_int(d, t, "packets", (int64_t)v[k][0]) != 0 ||
		    bn_dict_add_int(d, t, "bytes", (int64_t)v[k][1]) != 0 ||
		    bn_dict_add_int(d, t, "errors", (int64_t)v[k][2]) != 0)
			return -1;
	}
	return 0;
}

/* The figures of a call, in the reply dictionary (query, delete). */
static enum ng_status
call_stats(struct call_ctx *ctx, const struct call *c, struct ng_reply *out)
{
	struct bdoc *d = out->doc;
	const struct media *m;
	struct bnode *tags;
	uint64_t now = now_ms(), last = 0;
	unsigned i, untagged = 0;

	/* Exact figures: the kernel fast path's share folded in first. */
	call_fold_fastpath(ctx, c);
	for (m = c->media; m; m = m->next)
		if (counter_get((counter_t *)&m->last_signal_ms) > last)
			last = counter_get((counter_t *)&m->last_signal_ms);
	if (bn_dict_add_int(d, out->dict, "created", wall_s(c->created_ms, now)) != 0 ||
	    bn_dict_add_int(d, out->dict, "created_us", 0) != 0 ||
	    bn_dict_add_int(d, out->dict, "last signal", wall_s(last, now)) != 0 ||
	    bn_dict_add_dict(d, out->dict, "SSRC") == NULL ||
	    (tags = bn_dict_add_dict(d, out->dict, "tags")) == NULL)
		return ng_fail(out, "Out of memory");
	for (m = c->media; m; m = m->next) {
		for (i = 0; i < 2; i++) {
			if (m->tag[i] != NULL && tag_seen_before(c, m, i, m->tag[i]))
				continue;
			if (add_party(d, tags, m, i, now, &untagged) != 0)
				return ng_fail(out, "Out of memory");
		}
	}
	if (add_totals(d, out->dict, c) != 0)
		return ng_fail(out, "Out of memory");
	return NG_STATUS_OK;
}

enum ng_status
ng_query(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	struct call *c;

	if (req->call_id.len == 0)
		return ng_fail(out, "No call-id in message");
	if ((c = call_find(&ctx->calls, req->call_id.p, req->call_id.len)) == NULL)
		return ng_fail(out, "Unknown call-id");
	return call_stats(ctx, c, out);
}

/*
 * The media a delete names: with a to-tag only that party's; with a
 * from-tag that party's (the caller's tag names every fork, a callee's
 * only its own); with a via-branch and no to-tag, the untagged leg of
 * that branch; with none, the whole call.
 */
static bool
delete_matches(const struct ng_request *req, const struct media *m)
{
	const struct ng_str *t = req->to_tag.len ? &req->to_tag : &req->from_tag;
	unsigned i;

	if (req->to_tag.len == 0 && req->via_branch.len > 0)
		return m->tag[1] == NULL && m->branch != NULL &&
		    strlen(m->branch) == req->via_branch.len &&
		    memcmp(m->branch, req->via_branch.p, req->via_branch.len) == 0;
	if (t->len == 0)
		return true;
	for (i = 0; i < 2; i++)
		if (m->tag[i] != NULL && strlen(m->tag[i]) == t->len &&
		    memcmp(m->tag[i], t->p, t->len) == 0)
			return true;
	return false;
}

enum ng_status
ng_delete(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	static const char gone[] = "Call-ID not found or tags didn't match";
	struct call *c;
	struct media *m, *next;
	int64_t delay = req->delete_delay >= 0 ? req->delete_delay :
	    (int64_t)ctx->cfg->delete_delay_s;
	uint64_t now = now_ms();
	unsigned n = 0;
	enum ng_status st;

	if (req->call_id.len == 0)
		return ng_fail(out, "No call-id in message");
	c = call_find(&ctx->calls, req->call_id.p, req->call_id.len);
	for (m = c ? c->media : NULL; m; m = m->next)
		n += delete_matches(req, m);
	if (n == 0) {
		if (req->fatal)
			return ng_fail(out, "%s", gone);
		ng_warn(out, "%s", gone);
		return NG_STATUS_OK;
	}
	/* The figures as they stand, before anything goes. */
	if ((st = call_stats(ctx, c, out)) != NG_STATUS_OK)
		return st;
	ctx->calls_deleted++;
	for (m = c->media; m; m = next) {
		next = m->next;
		if (!delete_matches(req, m))
			continue;
		/* With a delay, media flows on and query answers until then. */
		if (delay > 0) {
			if (m->delete_at_ms == 0)
				m->delete_at_ms = now + (uint64_t)delay * 1000u;
		} else {
			call_delete_media(ctx, m, "deleted");
		}
	}
	/* A restored call must still go at this time, not at its TTL. */
	if (delay > 0)
		call_changed(ctx, c);
	call_end_if_empty(ctx, c);
	if (delay == 0)
		call_delete_settle(ctx);
	return NG_STATUS_OK;
}

enum ng_status
ng_list(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	struct bnode *calls;
	struct call *c;
	int64_t limit = req->limit >= 0 ? req->limit : LIST_DEFAULT_LIMIT, n = 0;
	unsigned b;

	if (req->limit < -1)
		return ng_fail(out, "invalid limit, must be >= 0");
	if ((calls = bn_dict_add_list(out->doc, out->dict, "calls")) == NULL)
		return ng_fail(out, "Out of memory");
	for (b = 0; b < ctx->calls.nbuckets && n < limit; b++)
		for (c = ctx->calls.buckets[b]; c && n < limit; c = c->hnext, n++)
			if (bn_list_add(calls, bn_cstr(out->doc, c->callid)) != 0)
				return ng_fail(out, "Out of memory");
	return NG_STATUS_OK;
}

enum ng_status
ng_statistics(struct call_ctx *ctx, const struct ng_request *req, struct ng_reply *out)
{
	struct bdoc *d = out->doc;
	struct relay_totals t;
	struct bnode *st, *cur, *tot;

	(void)req;
	memset(&t, 0, sizeof(t));
	call_totals(ctx, &t);
	if ((st = bn_dict_add_dict(d, out->dict, "statistics")) == NULL ||
	    (cur = bn_dict_add_dict(d, st, "currentstatistics")) == NULL ||
	    bn_dict_add_int(d, cur, "sessionsown", ctx->calls.ncalls) != 0 ||
	    bn_dict_add_int(d, cur, "sessionsforeign", 0) != 0 ||
	    bn_dict_add_int(d, cur, "sessionstotal", ctx->calls.ncalls) != 0 ||
	    bn_dict_add_int(d, cur, "transcodedmedia", 0) != 0 ||
	    (tot = bn_dict_add_dict(d, st, "totalstatistics")) == NULL ||
	    bn_dict_add_int(d, tot, "totalsessions", (int64_t)ctx->calls.created_total) != 0 ||
	    bn_dict_add_int(d, tot, "totaltimedoutsessions", (int64_t)ctx->calls_timed_out) != 0 ||
	    bn_dict_add_int(d, tot, "totalregularterminatedsessions",
	    (int64_t)ctx->calls_deleted) != 0 ||
	    bn_dict_add_int(d, tot, "packetsreceived", (int64_t)t.rx) != 0 ||
	    bn_dict_add_int(d, tot, "relayedpackets", (int64_t)t.relayed) != 0 ||
	    bn_dict_add_int(d, tot, "relayedbytes", (int64_t)t.relayed_bytes) != 0 ||
	    bn_dict_add_int(d, tot, "relayedpacketerrors", (int64_t)t.dropped) != 0 ||
	    bn_dict_add_int(d, tot, "handovers", (int64_t)t.switches) != 0)
		return ng_fail(out, "Out of memory");
	return NG_STATUS_OK;
}
