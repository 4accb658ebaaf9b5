/*
 * calls.c - what every control protocol does to calls: create a media and
 * open its sockets, give a leg its address, delete, time out, record.
 */
#include "call/calls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "media/proc/record.h"
#include "media/relay.h"

void
call_ctx_init(struct call_ctx *ctx, const struct config *cfg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ended_init(&ctx->ended);
}

void
call_ctx_free(struct call_ctx *ctx)
{
	ended_free(&ctx->ended);
}

void
call_totals(struct call_ctx *ctx, struct relay_totals *t)
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

void
call_fastpath_totals(struct call_ctx *ctx, uint64_t *streams, uint64_t *pkts)
{
	unsigned i;

	*streams = *pkts = 0;
	for (i = 0; ctx->workers != NULL && i < ctx->nworkers; i++) {
		*streams += counter_get(&ctx->workers[i].totals.fast_streams);
		*pkts += counter_get(&ctx->workers[i].totals.fast_pkts);
	}
}

void
call_fold_fastpath(struct call_ctx *ctx, const struct call *c)
{
	struct media *m;
	unsigned i;
	bool posted[64] = { false };

	if (ctx->fastpath == NULL || ctx->workers == NULL)
		return;
	for (m = c->media; m; m = m->next)
		if (m->worker < 64 && worker_fold(&ctx->workers[m->worker], m) == 0)
			posted[m->worker] = true;
	/* Bounded: a stuck worker costs this command 100 ms, not the daemon. */
	for (i = 0; i < ctx->nworkers && i < 64; i++)
		if (posted[i])
			(void)workers_flush(&ctx->workers[i], 1, 100);
}

void
call_delete_settle(struct call_ctx *ctx)
{
	/* The queues are FIFO: a flush answered means the detaches ran. */
	if (ctx->fastpath != NULL && ctx->workers != NULL && ctx->nworkers > 0)
		(void)workers_flush(ctx->workers, ctx->nworkers, 100);
}

/* ---- time to live ---- */

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

unsigned
media_ttl_left(struct call_ctx *ctx, struct media *m, uint64_t now)
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

void
call_delete_media(struct call_ctx *ctx, struct media *m, const char *reason)
{
	if (ctx->hooks && ctx->hooks->media_deleted &&
	    (m->call->media != m || m->next != NULL))
		ctx->hooks->media_deleted(ctx->hooks->arg, m);
	ended_add_unlinked(&ctx->ended, m);
	media_unlink(&ctx->calls, m);
	/* The worker finishes the figures, closes the sockets and frees it. */
	if (worker_detach(&ctx->workers[m->worker], m, reason) != 0)
		log_err("call %s: cannot hand media to its worker for deletion", m->call_id);
}

/* The call's pcap file gets no more packets: its worker closes it. */
void
call_stop_recording(struct call_ctx *ctx, struct call *c)
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
	free(c->rec_tag);
	c->rec_tag = NULL;
}

void
call_changed(struct call_ctx *ctx, struct call *c)
{
	if (c->media != NULL && ctx->hooks && ctx->hooks->media_changed)
		ctx->hooks->media_changed(ctx->hooks->arg, c->media);
}

enum call_err
call_start_recording(struct call_ctx *ctx, struct call *c, const char *tag)
{
	struct media *m;

	if (ctx->rec == NULL) {
		log_warn("call %s: recording asked, but no --record-dir is set", c->callid);
		return CALL_ERR_NO_RECORDER;
	}
	if (c->rec_file != NULL)
		return CALL_OK;		/* already recording */
	/* Kept for the store: a restored call records under the same tag. */
	free(c->rec_tag);
	if ((c->rec_tag = strdup(tag)) == NULL ||
	    (c->rec_file = recorder_open(ctx->rec, c->callid, tag)) == NULL)
		return CALL_ERR_NOMEM;
	for (m = c->media; m; m = m->next)
		if (worker_record(&ctx->workers[m->worker], m, c->rec_file) != 0)
			return CALL_ERR_NOMEM;
	log_info("call %s: recording", c->callid);
	return CALL_OK;
}

void
call_end_if_empty(struct call_ctx *ctx, struct call *c)
{
	if (c->media != NULL)
		return;
	if (ctx->hooks && ctx->hooks->call_deleted)
		ctx->hooks->call_deleted(ctx->hooks->arg, c);
	call_stop_recording(ctx, c);
	call_destroy(&ctx->calls, c);
}

void
call_delete(struct call_ctx *ctx, struct call *c, const char *reason)
{
	while (c->media)
		call_delete_media(ctx, c->media, reason);
	call_end_if_empty(ctx, c);
}

void
calls_delete_all(struct call_ctx *ctx, const char *reason)
{
	unsigned b;

	for (b = 0; b < ctx->calls.nbuckets; b++)
		while (ctx->calls.buckets[b])
			call_delete(ctx, ctx->calls.buckets[b], reason);
}

void
calls_expire(struct call_ctx *ctx, uint64_t now)
{
	struct call *c, *next;
	struct media *m, *mnext;
	unsigned b;
	bool alive;

	for (b = 0; b < ctx->calls.nbuckets; b++) {
		for (c = ctx->calls.buckets[b]; c; c = next) {
			next = c->hnext;
			/* An ng delete with a delay: its time has come. */
			for (m = c->media; m; m = mnext) {
				mnext = m->next;
				if (m->delete_at_ms != 0 && now >= m->delete_at_ms)
					call_delete_media(ctx, m, "deleted");
			}
			if (c->media == NULL) {
				call_end_if_empty(ctx, c);
				continue;
			}
			alive = false;
			for (m = c->media; m && !alive; m = m->next)
				alive = media_ttl_left(ctx, m, now) > 0;
			if (alive)
				continue;
			ctx->calls_timed_out++;
			if (ctx->on_timeout != NULL)
				ctx->on_timeout(ctx->on_timeout_arg, c);
			call_delete(ctx, c, "timeout");
		}
	}
}

/* ---- creating and updating media ---- */

/* The local address for a leg: by I/E interface letter, or by family. */
static const struct addr *
pick_iface(struct call_ctx *ctx, char letter, int family, const struct addr **adv)
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
open_leg(struct call_ctx *ctx, struct leg *leg, const struct addr *local,
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
refuse_no_ports(struct call_ctx *ctx, int err)
{
	static struct log_limit lim;

	ctx->refused[err == EADDRINUSE ? REFUSED_NO_PORTS : REFUSED_NO_FDS]++;
	if (err == EADDRINUSE)
		log_ratelimited(&lim, 1, LOG_LVL_WARN, "no free port pair in "
		    "%u..%u: new media refused", ctx->cfg->port_min,
		    ctx->cfg->port_max);
	else
		log_ratelimited(&lim, 1, LOG_LVL_WARN, "cannot open media "
		    "sockets: %s: new media refused", strerror(err));
}

/*
 * Jitter buffer (daemon flag, or per call) and resizer (for what the
 * owner's party sends, as in rtpproxy's Z).
 */
struct mediaproc *
call_mediaproc_new(struct call_ctx *ctx, const struct leg_proc *p)
{
	struct jbuf_config jb = ctx->cfg->jb;

	if (p->jitterbuf >= 0)
		jb.mode = (enum jbuf_mode)p->jitterbuf;
	return mediaproc_new(&jb, p->zptime_ms);
}

/* What r asks of leg `i`'s mediaproc, remembered in the media (the store keeps it). */
static struct mediaproc *
new_mediaproc(struct call_ctx *ctx, struct media *m, unsigned i,
    const struct media_request *r, bool owner)
{
	m->proc[i].jitterbuf = r->jitterbuf;
	m->proc[i].zptime_ms = owner ? r->zptime : 0;
	return call_mediaproc_new(ctx, &m->proc[i]);
}

/* A new media: pick interfaces, open both legs' sockets, set up latches. */
static enum call_err
media_open(struct call_ctx *ctx, struct media *m, const struct media_request *r,
    unsigned owner)
{
	const struct addr *local[2], *adv[2];
	enum latch_policy policy = ctx->cfg->latch.policy;
	unsigned i;

	local[owner] = pick_iface(ctx, r->iface[0], r->family[0], &adv[owner]);
	local[owner ^ 1] = pick_iface(ctx, r->iface[1] ? r->iface[1] : r->iface[0],
	    r->family[1], &adv[owner ^ 1]);
	if (local[0] == NULL || local[1] == NULL)
		return CALL_ERR_NO_LOCAL_AF;
	if (r->handover >= 0)
		policy = (enum latch_policy)r->handover;
	m->ports = &ctx->ports;
	m->ended = &ctx->ended;
	for (i = 0; i < 2; i++) {
		/*
		 * Out of ports: deleted calls may still be closing theirs in a
		 * worker. Let the workers catch up once before refusing, which
		 * makes a SIP proxy take this relay out of service for a while.
		 */
		if (open_leg(ctx, &m->leg[i], local[i], adv[i]) != 0 &&
		    (workers_flush(ctx->workers, ctx->nworkers, 1000) != 0 ||
		    open_leg(ctx, &m->leg[i], local[i], adv[i]) != 0)) {
			refuse_no_ports(ctx, errno);
			return CALL_ERR_NO_PORTS;	/* media_destroy() closes what is open */
		}
		latch_init(&m->leg[i].latch, &ctx->cfg->latch, policy, false);
		/* Not a worker's yet: what the store reads until it publishes. */
		leg_ha_publish(&m->leg[i], false);
		stats_init(&m->leg[i].stats, addr_family(local[i]));
		m->leg[i].mp = new_mediaproc(ctx, m, i, r, i == owner);
	}
	return CALL_OK;
}

void
media_request_init(struct media_request *r)
{
	memset(r, 0, sizeof(*r));
	r->family[0] = r->family[1] = AF_INET;
	r->asymmetric = -1;
	r->handover = -1;
	r->jitterbuf = -1;
}

/* A new media (and maybe a new call) for r; the owner is leg 0. */
static enum call_err
media_new(struct call_ctx *ctx, struct call *c, const struct media_request *r,
    uint64_t now, struct media_result *res)
{
	struct media *m;
	enum call_err err;

	if (ctx->shutting_down)
		return CALL_ERR_SHUTDOWN;
	if (ctx->standby)
		return CALL_ERR_STANDBY;
	if (c == NULL && ctx->cfg->max_calls &&
	    ctx->calls.ncalls >= ctx->cfg->max_calls) {
		ctx->refused[REFUSED_MAX_CALLS]++;
		return CALL_ERR_MAX_CALLS;
	}
	if (c == NULL && (c = call_create(&ctx->calls, r->callid, r->callid_len,
	    now)) == NULL)
		return CALL_ERR_NOMEM;
	m = media_create(&ctx->calls, c, r->num, r->tag, r->tag_len, now);
	if (m != NULL && r->branch_len > 0 &&
	    media_set_branch(m, r->branch, r->branch_len) != 0)
		err = CALL_ERR_NOMEM;
	else
		err = m ? media_open(ctx, m, r, 0) : CALL_ERR_NOMEM;
	if (err != CALL_OK) {
		if (m) {
			media_unlink(&ctx->calls, m);
			media_destroy(m);
		}
		if (c->media == NULL)
			call_destroy(&ctx->calls, c);
		return err;
	}
	/* All media of a call on one worker: one owner, one recording. */
	m->worker = m != c->media ? c->media->worker :
	    m->next ? m->next->worker : ctx->next_worker++ % ctx->nworkers;
	c->worker = m->worker;
	m->rec = c->rec_file;	/* a new m= line of a recorded call */
	res->call_created = c->media == m && m->next == NULL;
	if (res->call_created)
		call_created(&ctx->calls);
	res->media = m;
	res->owner = 0;
	res->created = true;
	return CALL_OK;
}

static bool
bytes_are(const char *s, const char *p, size_t len)
{
	return s != NULL && strlen(s) == len && memcmp(s, p, len) == 0;
}

/*
 * The media r is about. A via-branch tells apart the untagged callee legs
 * of one offer's parallel forks: a media created for another branch is not
 * this one, unless both tags name it. Of the media the tags find, one that
 * both tags name wins, then one that the requester's tag names, then one
 * that only the other tag names: after a fork, a re-INVITE carries no
 * via-branch of the fork it belongs to, only both parties' tags, and must
 * reach that fork's media, not the first one that has the caller in it.
 */
static struct media *
media_find(struct call *c, const struct media_request *r, unsigned *leg_t1)
{
	struct media *m = NULL, *best = NULL;
	unsigned leg = 0, best_leg = 0, rank, best_rank = 0;
	bool mine, theirs;

	while ((m = media_lookup(c, m, r->num, r->tag, r->tag_len, r->other,
	    r->other_len, &leg)) != NULL) {
		mine = bytes_are(m->tag[leg], r->tag, r->tag_len);
		theirs = r->other_len > 0 &&
		    bytes_are(m->tag[leg ^ 1], r->other, r->other_len);
		if (!(mine && theirs) && r->branch_len > 0 && m->branch != NULL &&
		    !bytes_are(m->branch, r->branch, r->branch_len))
			continue;
		if (mine && (theirs || r->other_len == 0)) {
			*leg_t1 = leg;
			return m;
		}
		rank = mine ? 2 : 1;
		if (rank > best_rank) {
			best = m;
			best_leg = leg;
			best_rank = rank;
		}
	}
	*leg_t1 = best_leg;
	return best;
}

static enum call_err update_media(struct call_ctx *ctx,
    const struct media_request *r, struct media_result *res);

/* Every protocol's signalling passes here: the store hears of it once. */
enum call_err
call_update_media(struct call_ctx *ctx, const struct media_request *r,
    struct media_result *res)
{
	enum call_err err = update_media(ctx, r, res);

	if (err == CALL_OK && res->media && ctx->hooks && ctx->hooks->media_changed)
		ctx->hooks->media_changed(ctx->hooks->arg, res->media);
	return err;
}

static enum call_err
update_media(struct call_ctx *ctx, const struct media_request *r,
    struct media_result *res)
{
	struct call *c;
	struct media *m;
	unsigned leg_t1 = 0, i;
	uint64_t now = now_ms();
	enum call_err err;

	memset(res, 0, sizeof(*res));
	c = call_find(&ctx->calls, r->callid, r->callid_len);
	m = c ? media_find(c, r, &leg_t1) : NULL;
	if (m == NULL && r->answer)
		return CALL_ERR_NOT_FOUND;
	if (m == NULL) {
		if ((err = media_new(ctx, c, r, now, res)) != CALL_OK)
			return err;
		m = res->media;
		leg_t1 = 0;
	}
	/*
	 * Remember the answering tag, so that either side finds the media;
	 * with retag, a new callee (a fork's later answer) takes it over.
	 */
	if (r->other_len > 0 && leg_t1 == 0 && (m->tag[1] == NULL || r->retag) &&
	    media_set_tag1(m, r->other, r->other_len) != 0)
		return CALL_ERR_NOMEM;
	if (r->answer || r->other_len > 0)
		m->answered = true;
	res->media = m;
	res->owner = r->answer ? leg_t1 ^ 1 : leg_t1;
	counter_set(&m->last_signal_ms, now);
	if (r->pts != NULL)
		m->pts[res->owner] = *r->pts;

	if (res->created) {
		/* Not yet shared with a worker: set it up in place, then hand over. */
		relay_apply_signal(NULL, &m->leg[res->owner], &r->addr, r->pts,
		    r->asymmetric, now);
		if (worker_attach(&ctx->workers[m->worker], m) != 0) {
			c = m->call;
			call_delete_media(ctx, m, "no worker");
			call_end_if_empty(ctx, c);
			return CALL_ERR_NOMEM;
		}
		return CALL_OK;
	}
	if (worker_signal(&ctx->workers[m->worker], m, res->owner, &r->addr,
	    r->pts, r->asymmetric) != 0)
		return CALL_ERR_NOMEM;
	/* A re-offer that asks for buffering or resizing gets it from now on. */
	if (r->zptime || r->jitterbuf >= 0)
		for (i = 0; i < 2; i++)
			if (worker_mediaproc(&ctx->workers[m->worker], m, i,
			    new_mediaproc(ctx, m, i, r, i == res->owner)) != 0)
				return CALL_ERR_NOMEM;
	return CALL_OK;
}
