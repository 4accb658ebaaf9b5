/*
 * ctl_rtpp.c - what each rtpproxy command does (docs/protocol.md).
 *
 * Direction rule: a U carries the address of the party named by its
 * first tag and answers with the port the *other* party must send to;
 * an L carries the address of the second tag's party and answers with
 * the port the first tag's party must send to. Either way the address
 * goes to one leg and the reply names the other.
 */
#include "control/rtpp/ctl_rtpp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/rtpp/ctl_parse.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "control/rtpp/notify.h"

static size_t
reply_fmt(char *reply, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static size_t
reply_fmt(char *reply, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(reply, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		n = snprintf(reply, len, "E%d\n", E_TOO_BIG);
	return (size_t)n;
}

/* What the call layer's failures are in the rtpproxy protocol. */
static int
rtpp_error(enum call_err err)
{
	static const int codes[] = {
		[CALL_OK] = 0,
		[CALL_ERR_NOT_FOUND] = E_NO_SESSION,
		[CALL_ERR_NO_PORTS] = E_NO_PORTS,
		[CALL_ERR_MAX_CALLS] = E_OVERLOAD,
		[CALL_ERR_NOMEM] = E_NOMEM,
		[CALL_ERR_SHUTDOWN] = E_SHUTDOWN,
		[CALL_ERR_NO_LOCAL_AF] = E_NO_LOCAL_AF,
		[CALL_ERR_NO_RECORDER] = E_RECORD,
		[CALL_ERR_STANDBY] = E_SHUTDOWN,	/* not serving: try another relay */
	};

	return (unsigned)err < sizeof(codes) / sizeof(codes[0]) ? codes[err] : E_NOMEM;
}

/* Timeout notifications (rtpproxy's -n): the call layer calls this. */
void
ctl_rtpp_on_timeout(void *arg, struct call *c)
{
	struct notify *n = arg;

	if (c->notify_target && c->notify_tag)
		notify_send(n, c->notify_target, c->notify_tag);
}

/* The notifier ctl_rtpp_on_timeout was installed with (main does that). */
static struct notify *
rtpp_notify(struct call_ctx *ctx)
{
	return ctx->on_timeout == ctl_rtpp_on_timeout ? ctx->on_timeout_arg : NULL;
}

/* Accept notify arguments only for a target the operator permitted. */
static void
call_set_notify(struct call_ctx *ctx, struct call *c, const struct ctl_cmd *cmd)
{
	char target[256], tag[256];

	if (cmd->notify_socket.len == 0) {
		/* A later U without notify arguments clears the notification. */
		free(c->notify_target);
		free(c->notify_tag);
		c->notify_target = c->notify_tag = NULL;
		return;
	}
	if (cmd->notify_socket.len >= sizeof(target) ||
	    ctl_url_decode(&cmd->notify_tag, tag, sizeof(tag)) < 0) {
		log_warn("call %s: notify tag unusable, ignored", c->callid);
		return;
	}
	memcpy(target, cmd->notify_socket.p, cmd->notify_socket.len);
	target[cmd->notify_socket.len] = '\0';
	if (rtpp_notify(ctx) == NULL || !notify_permitted(rtpp_notify(ctx), target)) {
		log_warn("call %s: notify target %s not permitted (-n), ignored",
		    c->callid, target);
		return;
	}
	free(c->notify_target);
	free(c->notify_tag);
	c->notify_target = strdup(target);
	c->notify_tag = strdup(tag);
}

static size_t
reply_port(const struct leg *leg, char *reply, size_t len)
{
	char ip[ADDR_STRLEN];

	addr_ip_str(&leg->advertised, ip, sizeof(ip));
	if (addr_is_any(&leg->advertised))
		return reply_fmt(reply, len, "%u\n", leg->port);
	return reply_fmt(reply, len, "%u %s%s\n", leg->port, ip,
	    addr_family(&leg->advertised) == AF_INET6 ? " 6" : "");
}

static size_t
do_update(struct call_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	struct media_request r;
	struct media_result res;
	enum call_err err;
	char sbuf[64];

	media_request_init(&r);
	if (cmd->addr.len >= sizeof(sbuf))
		return reply_fmt(reply, len, "E%d\n", E_BAD_ADDR);
	memcpy(sbuf, cmd->addr.p, cmd->addr.len);
	sbuf[cmd->addr.len] = '\0';
	if (addr_parse(&r.addr, sbuf, cmd->port, cmd->mods.ipv6 ? AF_INET6 : AF_INET) != 0)
		return reply_fmt(reply, len, "E%d\n", E_BAD_ADDR);
	r.callid = cmd->callid.p;
	r.callid_len = cmd->callid.len;
	r.num = cmd->from.media;
	r.tag = cmd->from.tag.p;
	r.tag_len = cmd->from.tag.len;
	r.other = cmd->to.tag.p;
	r.other_len = cmd->to.tag.len;
	r.answer = cmd->op == CTL_L;
	r.iface[0] = cmd->mods.iface[0];
	r.iface[1] = cmd->mods.iface[1];
	r.family[0] = r.family[1] = cmd->mods.ipv6 ? AF_INET6 : AF_INET;
	r.pts = cmd->mods.npts ? &cmd->mods.pts : NULL;
	r.asymmetric = cmd->mods.asymmetric ? 1 : -1;
	r.handover = cmd->mods.handover;
	r.jitterbuf = cmd->mods.jitterbuf;
	r.zptime = cmd->mods.zptime;
	err = call_update_media(ctx, &r, &res);
	if (err == CALL_ERR_NOT_FOUND)
		return reply_fmt(reply, len, "0\n");	/* rtpproxy: no such session */
	if (err != CALL_OK)
		return reply_fmt(reply, len, "E%d\n", rtpp_error(err));
	if (!r.answer)
		call_set_notify(ctx, res.media->call, cmd);
	return reply_port(&res.media->leg[res.owner ^ 1], reply, len);
}

/* ---- D, Q ---- */

static size_t
do_delete(struct call_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	struct call *c;
	struct media *m;
	unsigned leg, n = 0;

	if ((c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len)) == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	/* A bare tag names every media of that tag (rtpproxy semantics). */
	while ((m = media_lookup(c, NULL, cmd->from.media, cmd->from.tag.p,
	    cmd->from.tag.len, cmd->to.tag.p, cmd->to.tag.len, &leg)) != NULL) {
		call_delete_media(ctx, m, "deleted");
		n++;
	}
	if (n == 0)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	ctx->calls_deleted++;
	call_end_if_empty(ctx, c);
	call_delete_settle(ctx);
	return reply_fmt(reply, len, "0\n");
}

/*
 * Named Q fields. "_a" is the party named by the first tag, "_o" the
 * other one; a leg's figures describe what that party sends.
 */
enum qfield { Q_TTL, Q_PKTS_IN, Q_RELAYED, Q_DROPPED, Q_HANDOVERS, Q_INVALID,
	Q_EXPECTED, Q_LOST, Q_JITTER, Q_MAXJITTER, Q_WIRE_BYTES,
	Q_RTT, Q_FAR_LOST, Q_FAR_FRACTION, Q_FAR_JITTER, Q_MEANJITTER,
	Q_SWITCH_AGE, Q_JB_DEPTH, Q_JB_MAXDEPTH, Q_JB_DELAY, Q_JB_LATE, Q_JB_REORDERED, Q_RZ_OUT };

static const struct {
	const char	*name;
	enum qfield	 field;
	int		 side;		/* 0: a, 1: o, -1: whole media */
} qfields[] = {
	{ "ttl", Q_TTL, -1 },
	{ "npkts_ina", Q_PKTS_IN, 0 },	{ "npkts_ino", Q_PKTS_IN, 1 },
	{ "nrelayed", Q_RELAYED, -1 },	{ "ndropped", Q_DROPPED, -1 },
	{ "ninvalid", Q_INVALID, -1 },
	{ "handovers_a", Q_HANDOVERS, 0 }, { "handovers_o", Q_HANDOVERS, 1 },
	{ "expected_a", Q_EXPECTED, 0 }, { "expected_o", Q_EXPECTED, 1 },
	{ "lost_a", Q_LOST, 0 },	{ "lost_o", Q_LOST, 1 },
	{ "jitter_us_a", Q_JITTER, 0 },	{ "jitter_us_o", Q_JITTER, 1 },
	{ "maxjitter_us_a", Q_MAXJITTER, 0 }, { "maxjitter_us_o", Q_MAXJITTER, 1 },
	{ "wire_bytes_a", Q_WIRE_BYTES, 0 }, { "wire_bytes_o", Q_WIRE_BYTES, 1 },
	/* From each party's RTCP: what it says it receives, and the round trip. */
	{ "rtt_us_a", Q_RTT, 0 },	{ "rtt_us_o", Q_RTT, 1 },
	{ "rlost_a", Q_FAR_LOST, 0 },	{ "rlost_o", Q_FAR_LOST, 1 },
	{ "rfraction_a", Q_FAR_FRACTION, 0 }, { "rfraction_o", Q_FAR_FRACTION, 1 },
	{ "rjitter_us_a", Q_FAR_JITTER, 0 }, { "rjitter_us_o", Q_FAR_JITTER, 1 },
	{ "meanjitter_us_a", Q_MEANJITTER, 0 }, { "meanjitter_us_o", Q_MEANJITTER, 1 },
	/* Milliseconds since the leg last moved; -1: never. */
	{ "switch_age_ms_a", Q_SWITCH_AGE, 0 }, { "switch_age_ms_o", Q_SWITCH_AGE, 1 },
	/* Jitter buffer and resizer on what each side sends (0 when off). */
	{ "jb_depth_us_a", Q_JB_DEPTH, 0 }, { "jb_depth_us_o", Q_JB_DEPTH, 1 },
	{ "jb_maxdepth_us_a", Q_JB_MAXDEPTH, 0 }, { "jb_maxdepth_us_o", Q_JB_MAXDEPTH, 1 },
	{ "jb_delay_us_a", Q_JB_DELAY, 0 }, { "jb_delay_us_o", Q_JB_DELAY, 1 },
	{ "jb_late_a", Q_JB_LATE, 0 },	{ "jb_late_o", Q_JB_LATE, 1 },
	{ "jb_reordered_a", Q_JB_REORDERED, 0 }, { "jb_reordered_o", Q_JB_REORDERED, 1 },
	{ "rz_out_a", Q_RZ_OUT, 0 },	{ "rz_out_o", Q_RZ_OUT, 1 },
};

static int64_t
leg_field(struct leg *l, enum qfield f)
{
	switch (f) {
	case Q_PKTS_IN:		return (int64_t)leg_rx(l);
	case Q_RELAYED:		return (int64_t)leg_relayed(l);
	case Q_DROPPED:		return (int64_t)leg_dropped(l);
	case Q_HANDOVERS:	return (int64_t)counter_get(&l->switches);
	case Q_INVALID:		return (int64_t)(counter_get(&l->rtp.invalid_pkts) +
				    counter_get(&l->rtcp.invalid_pkts));
	case Q_EXPECTED:	return (int64_t)counter_get(&l->report.expected);
	case Q_LOST:		return (int64_t)counter_get(&l->report.lost);
	case Q_JITTER:		return (int64_t)counter_get(&l->report.jitter_us);
	case Q_MAXJITTER:	return (int64_t)counter_get(&l->report.max_jitter_us);
	case Q_WIRE_BYTES:	return (int64_t)counter_get(&l->report.rx_wire_bytes);
	case Q_RTT:		return (int64_t)counter_get(&l->report.rtt_us);
	case Q_FAR_LOST:	return (int64_t)counter_get(&l->report.far_cum_lost);
	case Q_FAR_FRACTION:	return (int64_t)counter_get(&l->report.far_fraction_lost);
	case Q_FAR_JITTER:	return (int64_t)counter_get(&l->report.far_jitter_us);
	case Q_MEANJITTER:	return (int64_t)counter_get(&l->report.mean_jitter_us);
	case Q_JB_DEPTH:	return (int64_t)counter_get(&l->report.jb_depth_us);
	case Q_JB_MAXDEPTH:	return (int64_t)counter_get(&l->report.jb_maxdepth_us);
	case Q_JB_DELAY:	return (int64_t)counter_get(&l->report.jb_delay_us);
	case Q_JB_LATE:		return (int64_t)counter_get(&l->report.jb_late);
	case Q_JB_REORDERED:	return (int64_t)counter_get(&l->report.jb_reordered);
	case Q_RZ_OUT:		return (int64_t)counter_get(&l->report.rz_packets_out);
	case Q_SWITCH_AGE:	break;	/* needs now: query_field */
	case Q_TTL:		break;
	}
	return 0;
}

static int64_t
switch_age(struct leg *l, uint64_t now)
{
	uint64_t t = counter_get(&l->report.last_switch_ms);

	if (t == 0)
		return -1;
	return now > t ? (int64_t)(now - t) : 0;
}

/* One named Q field; -1 if the name is unknown. */
static int
query_field(struct call_ctx *ctx, struct media *m, unsigned a,
    const struct ctl_str *name, uint64_t now, int64_t *v)
{
	size_t i;

	for (i = 0; i < sizeof(qfields) / sizeof(qfields[0]); i++) {
		if (!ctl_str_eq(name, qfields[i].name, strlen(qfields[i].name)))
			continue;
		if (qfields[i].field == Q_TTL)
			*v = media_ttl_left(ctx, m, now);
		else if (qfields[i].field == Q_SWITCH_AGE)
			*v = switch_age(&m->leg[a ^ (unsigned)qfields[i].side], now);
		else if (qfields[i].side >= 0)
			*v = leg_field(&m->leg[a ^ (unsigned)qfields[i].side],
			    qfields[i].field);
		else
			*v = leg_field(&m->leg[0], qfields[i].field) +
			    leg_field(&m->leg[1], qfields[i].field);
		return 0;
	}
	return -1;
}

static size_t
do_query(struct call_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	static const struct ctl_str defaults[] = {
		{ "ttl", 3 }, { "npkts_ina", 9 }, { "npkts_ino", 9 },
		{ "nrelayed", 8 }, { "ndropped", 8 },
	};
	const struct ctl_str *names = cmd->nqnames ? cmd->qnames : defaults;
	unsigned n = cmd->nqnames ? cmd->nqnames : 5, i, a;
	uint64_t now = now_ms();
	int64_t v;
	struct call *c;
	struct media *m;
	size_t off = 0;

	c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len);
	m = c ? media_lookup(c, NULL, cmd->from.media, cmd->from.tag.p,
	    cmd->from.tag.len, cmd->to.tag.p, cmd->to.tag.len, &a) : NULL;
	if (m == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	call_fold_fastpath(ctx, c);
	for (i = 0; i < n; i++) {
		if (query_field(ctx, m, a, &names[i], now, &v) != 0)
			return reply_fmt(reply, len, "E%d\n", E_QUERY);
		if (cmd->mods.verbose)
			off += reply_fmt(reply + off, len - off, "%s%.*s=%" PRId64,
			    i ? " " : "", (int)names[i].len, names[i].p, v);
		else
			off += reply_fmt(reply + off, len - off, "%s%" PRId64,
			    i ? " " : "", v);
		if (off >= len - 1)
			return reply_fmt(reply, len, "E%d\n", E_TOO_BIG);
	}
	return off + reply_fmt(reply + off, len - off, "\n");
}

/*
 * R (Kamailio start_recording) and C (OpenSIPS copy) record the whole call
 * to one pcap file in --record-dir; N stops. C's remote targets are not
 * supported: the call is recorded locally instead, and the log says so.
 */
static size_t
do_record(struct call_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	struct call *c;
	enum call_err err;
	char tag[128];

	if ((c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len)) == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	if (cmd->op == CTL_N) {
		call_stop_recording(ctx, c);
		call_changed(ctx, c);
		return reply_fmt(reply, len, "0\n");
	}
	if (cmd->op == CTL_C && ctx->rec != NULL)
		log_notice("call %s: copy to %.*s recorded locally instead", c->callid,
		    (int)cmd->copy_target.len, cmd->copy_target.p);
	snprintf(tag, sizeof(tag), "%.*s", (int)cmd->from.tag.len, cmd->from.tag.p);
	err = call_start_recording(ctx, c, tag);
	if (err != CALL_OK)
		return reply_fmt(reply, len, "E%d\n", rtpp_error(err));
	call_changed(ctx, c);
	return reply_fmt(reply, len, "0\n");
}

/* ---- I, G, V, VF ---- */

/* One line per media for `Il`, in key=value form (no "name: number"). */
static size_t
list_media(struct call_ctx *ctx, struct media *m, uint64_t now, char *out, size_t len)
{
	char p[2][ADDR_STRLEN], r[2][ADDR_STRLEN];
	struct addr rtp, rtcp;
	unsigned i;

	for (i = 0; i < 2; i++) {
		leg_peers(&m->leg[i], &rtp, &rtcp);
		addr_str(&rtp, p[i], sizeof(p[i]));
		addr_str(&rtcp, r[i], sizeof(r[i]));
	}
	return reply_fmt(out, len, "call=%s media=%u tags=%s/%s ports=%u/%u "
	    "peers=%s/%s rtcp=%s/%s pkts=%" PRIu64 "/%" PRIu64 " relayed=%" PRIu64
	    " dropped=%" PRIu64 " handovers=%" PRIu64 "/%" PRIu64 " ttl=%u\n",
	    m->call_id, m->num, m->tag[0], m->tag[1] ? m->tag[1] : "-",
	    m->leg[0].port, m->leg[1].port, p[0], p[1], r[0], r[1],
	    leg_rx(&m->leg[0]), leg_rx(&m->leg[1]),
	    leg_relayed(&m->leg[0]) + leg_relayed(&m->leg[1]),
	    leg_dropped(&m->leg[0]) + leg_dropped(&m->leg[1]),
	    counter_get(&m->leg[0].switches), counter_get(&m->leg[1].switches),
	    media_ttl_left(ctx, m, now));
}

static size_t
do_info(struct call_ctx *ctx, bool list, char *reply, size_t len)
{
	struct relay_totals t;
	struct call *c;
	struct media *m;
	uint64_t now = now_ms(), fast_streams, fast_pkts;
	size_t off, n;
	unsigned b, more = 0;

	call_totals(ctx, &t);
	off = reply_fmt(reply, len,
	    "sessions created: %" PRIu64 "\nactive sessions: %u\n"
	    "active streams: %u\npackets received: %" PRIu64 "\n"
	    "packets transmitted: %" PRIu64 "\npackets dropped: %" PRIu64 "\n"
	    "handovers: %" PRIu64 "\nsessions timed out: %" PRIu64 "\n",
	    ctx->calls.created_total, ctx->calls.ncalls, ctx->calls.nmedia * 4,
	    t.rx, t.relayed, t.dropped, t.switches, ctx->calls_timed_out);
	if (ctx->fastpath != NULL && off < len) {	/* --fast-path ebpf, attached */
		call_fastpath_totals(ctx, &fast_streams, &fast_pkts);
		off += reply_fmt(reply + off, len - off,
		    "fast path streams: %" PRIu64 "\nfast path packets: %" PRIu64 "\n",
		    fast_streams, fast_pkts);
	}
	/* --redis: the store's state (rtproam-ctl ha). */
	if (ctx->hooks && ctx->hooks->report && off < len)
		off += ctx->hooks->report(ctx->hooks->arg, 0, reply + off, len - off);
	if (!list)
		return off;
	/* Keep room for the "more" line; a reply never exceeds len. */
	for (b = 0; b < ctx->calls.nbuckets; b++) {
		for (c = ctx->calls.buckets[b]; c; c = c->hnext) {
			for (m = c->media; m; m = m->next) {
				if (more == 0 && len - off > 64) {
					n = list_media(ctx, m, now, reply + off, len - off - 48);
					if (reply[off] != 'E') {
						off += n;
						continue;
					}
				}
				more++;
			}
		}
	}
	if (more)
		off += reply_fmt(reply + off, len - off, "more=%u\n", more);
	return off;
}

/* Capabilities we really have (reference: docs/protocol.md, VF). */
static int
capability(struct call_ctx *ctx, const struct ctl_str *date)
{
	/* 20071116: the Z resizer. */
	static const char *const yes[] = { "20040107", "20050322", "20060704",
	    "20071116", "20080403", "20081102", NULL };
	unsigned i;

	for (i = 0; yes[i]; i++)
		if (ctl_str_eq(date, yes[i], 8))
			return 1;
	if (ctl_str_eq(date, "20081224", 8))
		return ctx->cfg->nnotify > 0;
	if (ctl_str_eq(date, "20071218", 8))	/* record/copy */
		return ctx->rec != NULL;
	return 0;
}

size_t
ctl_execute(struct call_ctx *ctx, const char *buf, size_t len,
    const struct addr *from, char *reply, size_t replylen)
{
	struct ctl_cmd cmd;
	struct call *c;
	int err;

	(void)from;
	ctx->cmds++;
	if ((err = ctl_parse(buf, len, &cmd)) != CTL_OK) {
		ctx->cmd_errors++;
		log_debug("command rejected with E%d: %.*s", ctl_err_code(err),
		    (int)(len > 120 ? 120 : len), buf);
		return reply_fmt(reply, replylen, "E%d\n", ctl_err_code(err));
	}
	switch (cmd.op) {
	case CTL_V:
		return reply_fmt(reply, replylen, "20040107\n");
	case CTL_VF:
		return reply_fmt(reply, replylen, "%d\n", capability(ctx, &cmd.vf_date));
	case CTL_U:
	case CTL_L:
		return do_update(ctx, &cmd, reply, replylen);
	case CTL_D:
		return do_delete(ctx, &cmd, reply, replylen);
	case CTL_Q:
		return do_query(ctx, &cmd, reply, replylen);
	case CTL_I:
		return do_info(ctx, cmd.mods.verbose, reply, replylen);
	case CTL_G:
		return do_info(ctx, false, reply, replylen);
	case CTL_X:
		calls_delete_all(ctx, "deleted (X)");
		return reply_fmt(reply, replylen, "0\n");
	case CTL_S:
		c = call_find(&ctx->calls, cmd.callid.p, cmd.callid.len);
		if (c == NULL)
			return reply_fmt(reply, replylen, "E%d\n", E_NO_SESSION);
		return reply_fmt(reply, replylen, "0\n");
	case CTL_R:
	case CTL_C:
	case CTL_N:
		return do_record(ctx, &cmd, reply, replylen);
	case CTL_P:
		return reply_fmt(reply, replylen, "E%d\n", 60);
	case CTL_NONE:
		break;
	}
	return reply_fmt(reply, replylen, "E%d\n", E_UNKNOWN_CMD);
}
