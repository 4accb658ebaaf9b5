/*
 * store.c - keeping Redis in step with the calls: what to write when, and
 * what to do when Redis goes away (ha.md 4.3, 4.9). The restore at
 * start-up is in store_restore.c; the connection in rconn.c.
 *
 * Three ways a write starts, none of them per packet:
 *  - signalling (call hooks): the call is queued and written whole after
 *    the epoll batch, once the front end has finished with it;
 *  - a leg's latch changed in a worker (switch, first verification,
 *    signalling applied): the worker sets the leg's ha_dirty and rings the
 *    doorbell; a sweep writes that one leg field;
 *  - a full rewrite of every call: after each (re)connect, after a write
 *    that was not stored, and every --redis-refresh (which also renews the
 *    TTL and the stored sequence numbers), in slices per timer tick.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "media/relay.h"

#define TICK_MS		50
#define SWEEP_MIN_MS	20
#define RESYNC_SLICE	256	/* calls written per tick during a rewrite */
#define MAX_TOMBSTONES	100000

uint64_t
store_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
store_wall_off(void)
{
	return (int64_t)store_wall_ms() - (int64_t)now_ms();
}

/* ---- sending ---- */

static void
mark_dirty(struct store *s)
{
	s->resync_due = true;
}

/*
 * Send what b holds as one guarded write (cmds.h: only while our lease
 * holds); false (and a rewrite pending) if it could not go.
 */
static bool
send_batch(struct store *s, struct store_batch *b)
{
	static struct store_guarded g;

	if (b->n == 0)
		return true;
	if (!s->have_lease || s->role != HA_ACTIVE) {
		s->unsent += b->n;
		mark_dirty(s);
		store_batch_reset(b);
		return false;
	}
	store_cmds_guard(b, s->rc.sha[LEASE_GUARD], s->lease_key, s->lease_val, &g);
	store_batch_reset(b);
	if (rconn_send(&s->rc, g.argc, g.argv, g.argvlen, now_ms()) != 0) {
		s->unsent++;
		mark_dirty(s);
		return false;
	}
	return true;
}

static bool
write_call(struct store *s, struct call *c)
{
	s->keys.wall_off = store_wall_off();
	if (call_save(c, s->scratch) != 0) {
		static struct log_limit lim;

		log_ratelimited(&lim, 1, LOG_LVL_WARN, "call %s: too many media "
		    "or too long ids to keep in Redis", c->callid);
		return true;
	}
	store_batch_reset(s->batch);
	if (store_cmds_call(s->batch, &s->keys, s->scratch) != 0)
		return true;		/* cannot fit: never will */
	return send_batch(s, s->batch);
}

/* ---- call hooks ---- */

static void
hook_media_changed(void *arg, struct media *m)
{
	struct store *s = arg;
	struct call *c = m->call;
	struct call **q;

	if (c->ha_queued)
		return;
	if (s->nqueue == s->qcap) {
		q = realloc(s->queue, (s->qcap ? s->qcap * 2 : 64) * sizeof(*q));
		if (q == NULL) {
			mark_dirty(s);	/* the next rewrite catches it */
			return;
		}
		s->queue = q;
		s->qcap = s->qcap ? s->qcap * 2 : 64;
	}
	s->queue[s->nqueue++] = c;
	c->ha_queued = true;
}

static void
hook_media_deleted(void *arg, struct media *m)
{
	struct store *s = arg;

	if (!s->rc.up)
		return;		/* the rewrite after the reconnect drops it */
	s->keys.wall_off = store_wall_off();
	store_batch_reset(s->batch);
	if (store_cmds_media_deleted(s->batch, &s->keys, m->call->callid, m->slot) == 0)
		(void)send_batch(s, s->batch);
}

static void
add_tombstone(struct store *s, const char *callid)
{
	char **t;

	if (s->ntomb == MAX_TOMBSTONES)
		return;		/* the record expires by its TTL */
	if (s->ntomb == s->tcap) {
		if ((t = realloc(s->tomb, (s->tcap ? s->tcap * 2 : 64) *
		    sizeof(*t))) == NULL)
			return;
		s->tomb = t;
		s->tcap = s->tcap ? s->tcap * 2 : 64;
	}
	if ((s->tomb[s->ntomb] = strdup(callid)) != NULL)
		s->ntomb++;
}

static void
hook_call_deleted(void *arg, struct call *c)
{
	struct store *s = arg;
	unsigned i;

	if (c->ha_queued) {
		for (i = 0; i < s->nqueue; i++)
			if (s->queue[i] == c)
				s->queue[i] = NULL;
		c->ha_queued = false;
	}
	store_batch_reset(s->batch);
	if (!s->rc.up || store_cmds_call_deleted(s->batch, &s->keys, c->callid) != 0 ||
	    !send_batch(s, s->batch))
		add_tombstone(s, c->callid);
}

static size_t
hook_report(void *arg, int format, char *buf, size_t len)
{
	return store_report(arg, format, buf, len);
}

/* ---- the doorbell sweep: legs whose latch changed ---- */

static void
sweep(struct store *s, uint64_t now)
{
	struct call_table *t = &s->ctx->calls;
	struct latch_saved ls;
	struct leg_saved l;
	struct call *c;
	struct media *m;
	unsigned b, i;

	s->sweep_due = false;
	s->last_sweep_ms = now;
	s->keys.wall_off = store_wall_off();
	for (b = 0; b < t->nbuckets; b++) {
		for (c = t->buckets[b]; c; c = c->hnext) {
			for (m = c->media; m; m = m->next) {
				for (i = 0; i < 2; i++) {
					/* A plain load first: the exchange is a locked op. */
					if (!atomic_load_explicit(&m->leg[i].ha_dirty,
					    memory_order_relaxed) ||
					    !atomic_exchange(&m->leg[i].ha_dirty, false))
						continue;
					/* A queued call is written whole anyway. */
					if (c->ha_queued || !s->rc.up) {
						if (!s->rc.up)
							mark_dirty(s);
						continue;
					}
					leg_ha_read(&m->leg[i], &ls);
					l.local = m->leg[i].local;
					l.advertised = m->leg[i].advertised;
					l.mode = m->mode[i];
					l.latch = ls;
					store_batch_reset(s->batch);
					if (store_cmds_leg(s->batch, &s->keys, c->callid,
					    m->slot, i, &l) == 0)
						(void)send_batch(s, s->batch);
				}
			}
		}
	}
}

/* ---- full rewrite, in slices ---- */

static void
resync_slice(struct store *s)
{
	struct call_table *t = &s->ctx->calls;
	struct call *c;
	unsigned done = 0;

	if (!s->resyncing) {
		/* At most one a second: failing writes must not become a storm. */
		if (!s->resync_due || !s->rc.up || !s->have_lease ||
		    now_ms() - s->last_resync_ms < 1000)
			return;
		s->last_resync_ms = now_ms();
		s->resync_due = false;
		s->resyncing = true;
		s->rs_bucket = 0;
		s->resyncs++;
	}
	/* Deleted while Redis was away: gone before anything is rewritten. */
	while (s->ntomb > 0 && s->rc.up) {
		store_batch_reset(s->batch);
		if (store_cmds_call_deleted(s->batch, &s->keys, s->tomb[s->ntomb - 1]) != 0 ||
		    !send_batch(s, s->batch))
			break;
		free(s->tomb[--s->ntomb]);
	}
	while (s->rs_bucket < t->nbuckets && done < RESYNC_SLICE) {
		for (c = t->buckets[s->rs_bucket]; c; c = c->hnext, done++) {
			if (!write_call(s, c)) {
				/* Down or full: start over once it is back. */
				s->resyncing = false;
				return;
			}
		}
		s->rs_bucket++;
	}
	if (s->rs_bucket >= t->nbuckets)
		s->resyncing = false;
}

static void
on_state(void *arg, bool up)
{
	struct store *s = arg;

	s->since_ms = store_wall_ms();
	if (up) {
		log_notice("redis %s: up; rewriting %u call(s)", s->target_str,
		    s->ctx->calls.ncalls);
		s->resync_due = true;
		s->resyncing = false;
	} else
		log_warn("redis %s: down (%s); relaying goes on, calls are "
		    "written again when it is back", s->target_str, s->rc.why);
	s->logged_down = !up;
}

static void
on_failure(void *arg, const char *err, size_t len)
{
	mark_dirty(arg);
	store_ha_failure(arg, err, len);
}

/* ---- epoll ---- */

static void
tick(struct store *s, uint64_t now)
{
	uint64_t n;

	if (read(s->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("store timer: %s", strerror(errno));
	rconn_tick(&s->rc, now);
	store_ha_tick(s, now);
	if (!s->rc.up && !s->logged_down && s->rc.why[0] &&
	    now - s->started_ms > RCONN_CONNECT_MS) {
		/* Never up since start: say so once. */
		log_warn("redis %s: unreachable (%s); relaying goes on, calls "
		    "are written when it is reachable", s->target_str, s->rc.why);
		s->logged_down = true;
		s->since_ms = store_wall_ms();
	}
	if (now >= s->next_refresh_ms) {
		s->next_refresh_ms = now + 1000ull * s->cfg->redis_refresh_s;
		s->resync_due = true;
	}
	if (s->sweep_due)
		sweep(s, now);
	resync_slice(s);
}

bool
store_event(struct store *s, void *tag, uint32_t events)
{
	uint64_t n;

	if (s == NULL)
		return false;
	if (tag == &s->rc.tag) {
		rconn_event(&s->rc, events);
	} else if (tag == &s->tag_door) {
		if (read(s->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			log_warn("store doorbell: %s", strerror(errno));
		s->sweep_due = true;
	} else if (tag == &s->tag_timer) {
		tick(s, now_ms());
	} else
		return false;
	return true;
}

void
store_after_batch(struct store *s)
{
	uint64_t now;
	unsigned i;

	if (s == NULL)
		return;
	now = now_ms();
	for (i = 0; i < s->nqueue; i++) {
		if (s->queue[i] == NULL)
			continue;
		s->queue[i]->ha_queued = false;
		if (s->rc.up)
			(void)write_call(s, s->queue[i]);
		else
			mark_dirty(s);
	}
	s->nqueue = 0;
	if (s->sweep_due && now - s->last_sweep_ms >= SWEEP_MIN_MS)
		sweep(s, now);
	if (s->takeover_due) {
		s->takeover_due = false;
		store_takeover(s);
	}
	s->ctx->standby = s->role != HA_ACTIVE;
	if (s->reload_scripts) {
		s->reload_scripts = false;
		rconn_close(&s->rc);	/* the next connection loads them again */
	}
	rconn_after_batch(&s->rc, now);
}

bool
store_should_stop(const struct store *s)
{
	return s != NULL && s->stop;
}

/* ---- set-up ---- */

/* The file wins over the environment; neither: no AUTH. 0 or -1. */
static int
read_password(const struct config *cfg, char **out, char *err, size_t errlen)
{
	const char *env = getenv("RTPROAM_REDIS_PASSWORD");
	char buf[512];
	size_t n;
	FILE *f;

	*out = NULL;
	if (cfg->redis_password_file == NULL) {
		if (env && *env && (*out = strdup(env)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if ((f = fopen(cfg->redis_password_file, "r")) == NULL) {
		snprintf(err, errlen, "--redis-password-file %s: %s",
		    cfg->redis_password_file, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "--redis-password-file %s: empty",
		    cfg->redis_password_file);
		return -1;
	}
	if ((*out = strdup(buf)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

struct store *
store_new(const struct config *cfg, char *err, size_t errlen)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->evfd = s->tfd = -1;
	if (store_target_parse(cfg->redis, &s->target, err, errlen) != 0)
		goto fail;
	if (read_password(cfg, &s->password, err, errlen) != 0)
		goto fail;
	store_target_str(&s->target, s->target_str, sizeof(s->target_str));
	if (store_key_prefix(cfg->ha_group, s->prefix, sizeof(s->prefix)) < 0 ||
	    store_lease_keys(cfg->ha_group, s->lease_key, s->epoch_key,
	    sizeof(s->lease_key)) != 0 ||
	    (s->batch = malloc(sizeof(*s->batch))) == NULL ||
	    (s->scratch = malloc(sizeof(*s->scratch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(s->client_name, sizeof(s->client_name), "rtproam-%s", cfg->node_id);
	s->keys.node = cfg->node_id;
	s->keys.group = cfg->ha_group;
	s->keys.ttl_ms = 1000ull * cfg->redis_ttl_s;
	return s;
fail:
	store_free(s);
	return NULL;
}

static int
add_fd(int epfd, int fd, void *tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
store_start(struct store *s, struct call_ctx *ctx, int epfd, char *err,
    size_t errlen)
{
	struct itimerspec its;

	s->ctx = ctx;
	s->epfd = epfd;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = its.it_value.tv_nsec = TICK_MS * 1000000L;
	if ((s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(s->tfd, 0, &its, NULL) != 0 ||
	    add_fd(epfd, s->evfd, &s->tag_door) != 0 ||
	    add_fd(epfd, s->tfd, &s->tag_timer) != 0) {
		snprintf(err, errlen, "store: %s", strerror(errno));
		return -1;
	}
	rconn_init(&s->rc, &s->target, s->password, s->client_name, epfd);
	rconn_scripts(&s->rc, lease_scripts, LEASE_NSCRIPTS);
	s->rc.on_state = on_state;
	s->rc.on_failure = on_failure;
	s->rc.arg = s;
	s->hooks.media_changed = hook_media_changed;
	s->hooks.media_deleted = hook_media_deleted;
	s->hooks.call_deleted = hook_call_deleted;
	s->hooks.report = hook_report;
	s->hooks.arg = s;
	ctx->hooks = &s->hooks;
	relay_set_ha_doorbell(s->evfd);
	s->started_ms = now_ms();
	s->since_ms = store_wall_ms();
	s->next_refresh_ms = now_ms() + 1000ull * s->cfg->redis_refresh_s;
	store_ha_init(s);
	ctx->standby = s->role != HA_ACTIVE;
	return 0;
}

void
store_status(struct store *s, struct store_status *st)
{
	memset(st, 0, sizeof(*st));
	st->up = s->rc.up;
	st->since_ms = s->since_ms;
	snprintf(st->target, sizeof(st->target), "%s", s->target_str);
	snprintf(st->why, sizeof(st->why), "%s", s->rc.why);
	st->writes = s->rc.replies;
	st->write_errors = s->rc.failures;
	st->unsent = s->unsent;
	st->resyncs = s->resyncs;
	st->reconnects = s->rc.reconnects;
	st->restored = s->restored;
	st->rejected = s->rejected;
	st->busy = s->busy;
	st->inflight = s->rc.inflight;
	st->tombstones = s->ntomb;
	st->dirty = s->resync_due || s->resyncing;
	st->role = ha_role_name(s->role);
	snprintf(st->lease, sizeof(st->lease), "%s", s->have_lease ? s->lease_val : "");
	st->takeovers = s->takeovers;
	st->last_restore_ms = s->last_restore_ms;
}

void
store_stop(struct store *s)
{
	if (s == NULL)
		return;
	relay_set_ha_doorbell(-1);
	s->rc.on_state = NULL;	/* stopping is no outage to report */
	/* Shutdown ends calls in memory only: their records stay for a restart. */
	if (s->ctx != NULL && s->ctx->hooks == &s->hooks)
		s->ctx->hooks = NULL;
	rconn_close(&s->rc);
}

void
store_free(struct store *s)
{
	unsigned i;

	if (s == NULL)
		return;
	store_stop(s);
	/* The workers are gone: none can ring the doorbell any more. */
	if (s->evfd >= 0)
		close(s->evfd);
	if (s->tfd >= 0)
		close(s->tfd);
	for (i = 0; i < s->ntomb; i++)
		free(s->tomb[i]);
	free(s->tomb);
	free(s->queue);
	free(s->batch);
	free(s->scratch);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s);
}
