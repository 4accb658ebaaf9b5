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
#include "media/proc/record.h"
#include "media/relay.h"

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

static uint64_t
media_last_active(struct media *m)
{
	uint64_t t = counter_get(&m->last_signal_ms), r;
	unsigned i;

	for (i = 0; i < 2; i++)
		if ((r = counter_get(&m->leg[i].last_rx_ms)) > t)
			t = r;
	return t;
}

static unsigned
media_ttl_left(struct ctl_ctx *ctx, struct media *m, uint64_t now)
{
	uint64_t limit, idle, last;

	limit = 1000ull * (m->answered ? ctx->cfg->ttl_s : ctx->cfg->setup_ttl_s);
	/*
	 * Workers stamp packets with their own clock reads: a packet accepted
	 * after `now` was read is newer than `now`, and that is no idle time
	 * (an unsigned wrap here once ended a live call).
	 */
	last = media_last_active(m);
	idle = now > last ? now - last : 0;
	return idle >= limit ? 0 : (unsigned)((limit - idle + 999) / 1000);
}

/* ---- deleting ---- */

static void
media_delete(struct ctl_ctx *ctx, struct media *m, const char *reason)
{
	ended_add_unlinked(&ctx->ended, m);
	media_unlink(&ctx->calls, m);
	/* The worker finishes the figures, closes the sockets and frees it. */
	if (worker_detach(&ctx->workers[m->worker], m, reason) != 0)
		log_err("call %s: cannot hand media to its worker for deletion", m->call_id);
}

/* The call's pcap file gets no more packets: its worker closes it. */
static void
call_stop_recording(struct ctl_ctx *ctx, struct call *c)
{
	struct media *m;

	if (c->rec_file == NULL)
		return;
	for (m = c->media; m; m = m->next)
		if (worker_record(&ctx->workers[m->worker], m, NULL) != 0)
			log_err("call %s: cannot stop recording", c->callid);
	/* Queued after every packet and every detach of this call. */
	if (worker_record_close(&ctx->workers[c->worker], c->rec_file) != 0)
		recorder_end(ctx->rec, c->rec_file);
	c->rec_file = NULL;
}

/* The last media went: the call goes, and its recording ends. */
static void
call_end(struct ctl_ctx *ctx, struct call *c)
{
	call_stop_recording(ctx, c);
	call_destroy(&ctx->calls, c);
}

static void
call_delete(struct ctl_ctx *ctx, struct call *c, const char *reason)
{
	while (c->media)
		media_delete(ctx, c->media, reason);
	call_end(ctx, c);
}

void
ctl_delete_all(struct ctl_ctx *ctx, const char *reason)
{
	unsigned b;

	for (b = 0; b < ctx->calls.nbuckets; b++)
		while (ctx->calls.buckets[b])
			call_delete(ctx, ctx->calls.buckets[b], reason);
}

void
ctl_expire(struct ctl_ctx *ctx, uint64_t now)
{
	struct call *c, *next;
	struct media *m;
	unsigned b;
	bool alive;

	for (b = 0; b < ctx->calls.nbuckets; b++) {
		for (c = ctx->calls.buckets[b]; c; c = next) {
			next = c->hnext;
			alive = false;
			for (m = c->media; m && !alive; m = m->next)
				alive = media_ttl_left(ctx, m, now) > 0;
			if (alive)
				continue;
			ctx->calls_timed_out++;
			if (c->notify_target && c->notify_tag)
				notify_send(ctx->notify, c->notify_target, c->notify_tag);
			call_delete(ctx, c, "timeout");
		}
	}
}

/* ---- U and L ---- */

/* The local address for a leg: by I/E modifier letter, or by family. */
static const struct addr *
pick_iface(struct ctl_ctx *ctx, char letter, int family, const struct addr **adv)
{
	const struct config *cfg = ctx->cfg;
	unsigned i;

	if (letter == 'I' || letter == 'E') {
		i = (letter == 'E' && cfg->nifaces > 1) ? 1 : 0;
		*adv = addr_is_set(&cfg->advertised[i]) ? &cfg->advertised[i] : &cfg->ifaces[i];
		return &cfg->ifaces[i];
	}
	for (i = 0; i < cfg->nifaces; i++) {
		if (addr_family(&cfg->ifaces[i]) == family) {
			*adv = addr_is_set(&cfg->advertised[i]) ?
			    &cfg->advertised[i] : &cfg->ifaces[i];
			return &cfg->ifaces[i];
		}
	}
	if (family == AF_INET6 && cfg->have_iface6) {
		*adv = &cfg->iface6;
		return &cfg->iface6;
	}
	return NULL;
}

static int
open_leg(struct ctl_ctx *ctx, struct leg *leg, const struct addr *local,
    const struct addr *adv)
{
	int fds[2];

	if ((leg->port = ports_open_pair(&ctx->ports, local, fds)) == 0)
		return -1;
	leg->rtp.fd = fds[0];
	leg->rtcp.fd = fds[1];
	leg->local = *local;
	addr_set_port(&leg->local, leg->port);
	leg->advertised = *adv;
	return 0;
}

const char *
refused_reason_name(enum refused_reason r)
{
	static const char *const names[REFUSED_MAX] = {
		[REFUSED_NO_PORTS] = "no-ports",
		[REFUSED_NO_FDS] = "no-sockets",
		[REFUSED_MAX_CALLS] = "max-calls",
	};

	return (unsigned)r < REFUSED_MAX ? names[r] : "?";
}

/*
 * Count the refusal; log it once a second at most: a proxy retrying at a
 * full relay fills no disk.
 */
static void
refuse_no_ports(struct ctl_ctx *ctx, int err)
{
	static struct log_limit lim;

	ctx->refused[err == EADDRINUSE ? REFUSED_NO_PORTS : REFUSED_NO_FDS]++;
	if (err == EADDRINUSE)
		log_ratelimited(&lim, 1, LOG_LVL_WARN, "no free port pair in "
		    "%u..%u: calls refused with E7", ctx->cfg->port_min,
		    ctx->cfg->port_max);
	else
		log_ratelimited(&lim, 1, LOG_LVL_WARN, "cannot open media "
		    "sockets: %s: calls refused with E7", strerror(err));
}

/*
 * Jitter buffer (daemon flag, or J<n> for the whole call) and resizer
 * (Z<ms>, for what the party of this U/L sends, as in rtpproxy).
 */
static struct mediaproc *
new_mediaproc(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, bool owner)
{
	struct jbuf_config jb = ctx->cfg->jb;

	if (cmd->mods.jitterbuf >= 0)
		jb.mode = (enum jbuf_mode)cmd->mods.jitterbuf;
	return mediaproc_new(&jb, owner ? cmd->mods.zptime : 0);
}

/* A new media: pick interfaces, open both legs' sockets, set up latches. */
static int
media_open(struct ctl_ctx *ctx, struct media *m, const struct ctl_cmd *cmd,
    unsigned owner)
{
	const struct ctl_mods *mods = &cmd->mods;
	const struct addr *local[2], *adv[2];
	int family = mods->ipv6 ? AF_INET6 : AF_INET;
	enum latch_policy policy = ctx->cfg->latch.policy;
	unsigned i;

	local[owner] = pick_iface(ctx, mods->iface[0], family, &adv[owner]);
	local[owner ^ 1] = pick_iface(ctx, mods->iface[1] ? mods->iface[1] :
	    mods->iface[0], family, &adv[owner ^ 1]);
	if (local[0] == NULL || local[1] == NULL)
		return E_NO_LOCAL_AF;
	if (mods->handover >= 0)
		policy = (enum latch_policy)mods->handover;
	m->ports = &ctx->ports;
	m->ended = &ctx->ended;
	for (i = 0; i < 2; i++) {
		/*
		 * Out of ports: deleted calls may still be closing theirs in a
		 * worker. Let the workers catch up once before saying E7, which
		 * makes a SIP proxy take this relay out of service for a while.
		 */
		if (open_leg(ctx, &m->leg[i], local[i], adv[i]) != 0 &&
		    (workers_flush(ctx->workers, ctx->nworkers, 1000) != 0 ||
		    open_leg(ctx, &m->leg[i], local[i], adv[i]) != 0)) {
			refuse_no_ports(ctx, errno);
			return E_NO_PORTS;	/* media_destroy() closes what is open */
		}
		latch_init(&m->leg[i].latch, &ctx->cfg->latch, policy, false);
		stats_init(&m->leg[i].stats, addr_family(local[i]));
		m->leg[i].mp = new_mediaproc(ctx, cmd, i == owner);
	}
	return CTL_OK;
}

/* Accept notify arguments only for a target the operator permitted. */
static void
call_set_notify(struct ctl_ctx *ctx, struct call *c, const struct ctl_cmd *cmd)
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
	if (!notify_permitted(ctx->notify, target)) {
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
do_update(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	bool lookup = cmd->op == CTL_L, created = false;
	struct call *c;
	struct media *m;
	struct addr a;
	unsigned leg_t1, owner, i;
	uint64_t now = now_ms();
	int err;
	char sbuf[64];

	if (cmd->addr.len >= sizeof(sbuf))
		return reply_fmt(reply, len, "E%d\n", E_BAD_ADDR);
	memcpy(sbuf, cmd->addr.p, cmd->addr.len);
	sbuf[cmd->addr.len] = '\0';
	if (addr_parse(&a, sbuf, cmd->port, cmd->mods.ipv6 ? AF_INET6 : AF_INET) != 0)
		return reply_fmt(reply, len, "E%d\n", E_BAD_ADDR);

	c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len);
	m = c ? media_lookup(c, NULL, cmd->from.media, cmd->from.tag.p,
	    cmd->from.tag.len, cmd->to.tag.p, cmd->to.tag.len, &leg_t1) : NULL;
	if (m == NULL && lookup)
		return reply_fmt(reply, len, "0\n");	/* rtpproxy: no such session */
	if (m == NULL) {
		if (ctx->shutting_down)
			return reply_fmt(reply, len, "E%d\n", E_SHUTDOWN);
		if (c == NULL && ctx->cfg->max_calls &&
		    ctx->calls.ncalls >= ctx->cfg->max_calls) {
			ctx->refused[REFUSED_MAX_CALLS]++;
			return reply_fmt(reply, len, "E%d\n", E_OVERLOAD);
		}
		if (c == NULL && (c = call_create(&ctx->calls, cmd->callid.p,
		    cmd->callid.len, now)) == NULL)
			return reply_fmt(reply, len, "E%d\n", E_NOMEM);
		m = media_create(&ctx->calls, c, cmd->from.media, cmd->from.tag.p,
		    cmd->from.tag.len, now);
		if (m == NULL || (err = media_open(ctx, m, cmd, 0)) != CTL_OK) {
			err = m ? err : E_NOMEM;
			if (m) {
				media_unlink(&ctx->calls, m);
				media_destroy(m);
			}
			if (c->media == NULL)
				call_destroy(&ctx->calls, c);
			return reply_fmt(reply, len, "E%d\n", err);
		}
		/* All media of a call on one worker: one owner, one recording. */
		m->worker = m != c->media ? c->media->worker :
		    m->next ? m->next->worker : ctx->next_worker++ % ctx->nworkers;
		c->worker = m->worker;
		m->rec = c->rec_file;	/* a new m= line of a recorded call */
		if (c->media == m && m->next == NULL)
			call_created(&ctx->calls);	/* its first media: a new call */
		leg_t1 = 0;
		created = true;
	}
	/* Remember the answering tag, so that either side finds the media. */
	if (cmd->to.tag.len > 0 && leg_t1 == 0 && m->tag[1] == NULL &&
	    media_set_tag1(m, cmd->to.tag.p, cmd->to.tag.len) != 0)
		return reply_fmt(reply, len, "E%d\n", E_NOMEM);
	if (lookup || cmd->to.tag.len > 0)
		m->answered = true;
	owner = lookup ? leg_t1 ^ 1 : leg_t1;
	counter_set(&m->last_signal_ms, now);

	if (created) {
		/* Not yet shared with a worker: set it up in place, then hand over. */
		relay_apply_signal(&m->leg[owner], &a,
		    cmd->mods.npts ? &cmd->mods.pts : NULL,
		    cmd->mods.asymmetric ? 1 : -1, now);
		if (worker_attach(&ctx->workers[m->worker], m) != 0) {
			media_delete(ctx, m, "no worker");
			return reply_fmt(reply, len, "E%d\n", E_NOMEM);
		}
	} else {
		if (worker_signal(&ctx->workers[m->worker], m, owner, &a,
		    cmd->mods.npts ? &cmd->mods.pts : NULL,
		    cmd->mods.asymmetric ? 1 : -1) != 0)
			return reply_fmt(reply, len, "E%d\n", E_NOMEM);
		/* A re-offer that asks for buffering or resizing gets it from now on. */
		if (cmd->mods.zptime || cmd->mods.jitterbuf >= 0)
			for (i = 0; i < 2; i++)
				if (worker_mediaproc(&ctx->workers[m->worker], m, i,
				    new_mediaproc(ctx, cmd, i == owner)) != 0)
					return reply_fmt(reply, len, "E%d\n", E_NOMEM);
	}
	if (!lookup)
		call_set_notify(ctx, c, cmd);
	return reply_port(&m->leg[owner ^ 1], reply, len);
}

/* ---- D, Q ---- */

static size_t
do_delete(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	struct call *c;
	struct media *m;
	unsigned leg, n = 0;

	if ((c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len)) == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	/* A bare tag names every media of that tag (rtpproxy semantics). */
	while ((m = media_lookup(c, NULL, cmd->from.media, cmd->from.tag.p,
	    cmd->from.tag.len, cmd->to.tag.p, cmd->to.tag.len, &leg)) != NULL) {
		media_delete(ctx, m, "deleted");
		n++;
	}
	if (n == 0)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	ctx->calls_deleted++;
	if (c->media == NULL)
		call_end(ctx, c);
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
query_field(struct ctl_ctx *ctx, struct media *m, unsigned a,
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
do_query(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
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
do_record(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, char *reply, size_t len)
{
	struct call *c;
	struct media *m;
	char tag[128];

	if ((c = call_find(&ctx->calls, cmd->callid.p, cmd->callid.len)) == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NO_SESSION);
	if (cmd->op == CTL_N) {
		call_stop_recording(ctx, c);
		return reply_fmt(reply, len, "0\n");
	}
	if (ctx->rec == NULL) {
		log_warn("call %s: recording asked, but no --record-dir is set", c->callid);
		return reply_fmt(reply, len, "E%d\n", E_RECORD);
	}
	if (cmd->op == CTL_C)
		log_notice("call %s: copy to %.*s recorded locally instead", c->callid,
		    (int)cmd->copy_target.len, cmd->copy_target.p);
	if (c->rec_file != NULL)
		return reply_fmt(reply, len, "0\n");	/* already recording */
	snprintf(tag, sizeof(tag), "%.*s", (int)cmd->from.tag.len, cmd->from.tag.p);
	if ((c->rec_file = recorder_open(ctx->rec, c->callid, tag)) == NULL)
		return reply_fmt(reply, len, "E%d\n", E_NOMEM);
	for (m = c->media; m; m = m->next)
		if (worker_record(&ctx->workers[m->worker], m, c->rec_file) != 0)
			return reply_fmt(reply, len, "E%d\n", E_NOMEM);
	log_info("call %s: recording", c->callid);
	return reply_fmt(reply, len, "0\n");
}

/* ---- I, G, V, VF ---- */

void
ctl_totals(struct ctl_ctx *ctx, struct relay_totals *t)
{
	struct call *c;
	struct media *m;
	unsigned b;

	ended_read(&ctx->ended, t, NULL, NULL);
	for (b = 0; b < ctx->calls.nbuckets; b++)
		for (c = ctx->calls.buckets[b]; c; c = c->hnext)
			for (m = c->media; m; m = m->next)
				totals_add_media(t, m);
}

/* One line per media for `Il`, in key=value form (no "name: number"). */
static size_t
list_media(struct ctl_ctx *ctx, struct media *m, uint64_t now, char *out, size_t len)
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
do_info(struct ctl_ctx *ctx, bool list, char *reply, size_t len)
{
	struct relay_totals t;
	struct call *c;
	struct media *m;
	uint64_t now = now_ms();
	size_t off, n;
	unsigned b, more = 0;

	ctl_totals(ctx, &t);
	off = reply_fmt(reply, len,
	    "sessions created: %" PRIu64 "\nactive sessions: %u\n"
	    "active streams: %u\npackets received: %" PRIu64 "\n"
	    "packets transmitted: %" PRIu64 "\npackets dropped: %" PRIu64 "\n"
	    "handovers: %" PRIu64 "\nsessions timed out: %" PRIu64 "\n",
	    ctx->calls.created_total, ctx->calls.ncalls, ctx->calls.nmedia * 4,
	    t.rx, t.relayed, t.dropped, t.switches, ctx->calls_timed_out);
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
capability(struct ctl_ctx *ctx, const struct ctl_str *date)
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

void
ctl_ctx_init(struct ctl_ctx *ctx, const struct config *cfg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ended_init(&ctx->ended);
}

void
ctl_ctx_free(struct ctl_ctx *ctx)
{
	ended_free(&ctx->ended);
}

size_t
ctl_execute(struct ctl_ctx *ctx, const char *buf, size_t len,
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
		ctl_delete_all(ctx, "deleted (X)");
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
