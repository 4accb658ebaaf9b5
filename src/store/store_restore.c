/*
 * store_restore.c - every record of the group back into a live call
 * (ha.md 4.4): at start-up, before the first control command is read, and
 * when a standby takes over. A synchronous connection with timeouts is
 * fine: at start nothing else runs, and a standby has no calls to relay.
 * Records are untrusted: one that does not decode and validate is logged,
 * counted and left where it is, for an operator to look at.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "lib/clock.h"
#include "lib/log.h"

#define SCAN_COUNT	"500"
#define RESTORE_TIMEOUT_S 2

static bool
reply_ok(redisReply *r)
{
	return r != NULL && r->type != REDIS_REPLY_ERROR;
}

static redisContext *
open_sync(struct store *s)
{
	const struct store_target *t = &s->target;
	struct timeval tv = { RESTORE_TIMEOUT_S, 0 };
	const char *argv[3];
	size_t len[3];
	redisReply *r;
	redisContext *c;
	char db[8];
	int argc = 0;

	c = t->path[0] ? redisConnectUnixWithTimeout(t->path, tv) :
	    redisConnectWithTimeout(t->host, t->port, tv);
	if (c == NULL || c->err) {
		log_warn("redis %s: cannot restore calls: %s", s->target_str,
		    c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	(void)redisSetTimeout(c, tv);
	if (s->password) {
		argv[argc] = "AUTH";
		len[argc++] = 4;
		if (t->user[0]) {
			argv[argc] = t->user;
			len[argc] = strlen(t->user);
			argc++;
		}
		argv[argc] = s->password;
		len[argc] = strlen(s->password);
		argc++;
		r = redisCommandArgv(c, argc, argv, len);
		if (!reply_ok(r)) {
			log_err("redis %s: AUTH refused: %s", s->target_str,
			    r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	snprintf(db, sizeof(db), "%u", t->db);
	r = redisCommand(c, "SELECT %s", db);
	if (!reply_ok(r)) {
		log_err("redis %s: SELECT %s: %s", s->target_str, db,
		    r ? r->str : c->errstr);
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

static void
reject(struct store *s, const char *key, size_t klen, const char *why)
{
	static struct log_limit lim;

	s->rejected++;
	log_ratelimited(&lim, 20, LOG_LVL_WARN, "redis: record %.*s rejected, "
	    "left in place: %s", (int)(klen > 200 ? 200 : klen), key, why);
}

/* One HGETALL reply for key: decode, validate, rebuild. */
static void
restore_one(struct store *s, const char *key, size_t klen, redisReply *r,
    uint64_t now, int64_t wall_off)
{
	static struct store_field f[2 + 4 + 3 * SAVED_MEDIA_MAX + 8];
	size_t plen = strlen(s->prefix);
	char err[192];
	unsigned i, n;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		reject(s, key, klen, "not a hash");
		return;
	}
	if (r->elements == 0)
		return;		/* expired or deleted since the SCAN */
	if (r->elements / 2 > sizeof(f) / sizeof(f[0])) {
		reject(s, key, klen, "too many fields");
		return;
	}
	for (i = 0, n = 0; i < r->elements; i += 2, n++) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING) {
			reject(s, key, klen, "a field that is not a string");
			return;
		}
		f[n].name = r->element[i]->str;
		f[n].name_len = r->element[i]->len;
		f[n].val = r->element[i + 1]->str;
		f[n].val_len = r->element[i + 1]->len;
	}
	if (store_decode_call(f, n, key + plen, klen - plen, s->cfg,
	    wall_off, s->scratch, err, sizeof(err)) != 0) {
		reject(s, key, klen, err);
		return;
	}
	if (call_restore(s->ctx, s->scratch, now, err, sizeof(err)) != 0) {
		if (errno == EADDRINUSE) {
			s->busy++;
			log_warn("redis: call %s not restored: %s", s->scratch->callid, err);
		} else
			reject(s, key, klen, err);
		return;
	}
	s->restored++;
}

/* One SCAN step; returns the next cursor in *cursor, -1 on failure. */
static int
scan_step(struct store *s, redisContext *c, char *cursor, size_t clen,
    uint64_t now, int64_t wall_off)
{
	char pattern[sizeof(s->prefix) + 2];
	redisReply *r, *keys, *h;
	size_t i;
	int rc = -1;

	snprintf(pattern, sizeof(pattern), "%s*", s->prefix);
	r = redisCommand(c, "SCAN %s MATCH %s COUNT " SCAN_COUNT, cursor, pattern);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->len >= clen)
		goto out;
	keys = r->element[1];
	/* Pipelined: every HGETALL of the step out, then the replies. */
	for (i = 0; i < keys->elements; i++)
		if (keys->element[i]->type != REDIS_REPLY_STRING ||
		    redisAppendCommand(c, "HGETALL %b", keys->element[i]->str,
		    keys->element[i]->len) != REDIS_OK)
			goto out;
	for (i = 0; i < keys->elements; i++) {
		if (redisGetReply(c, (void **)&h) != REDIS_OK)
			goto out;
		restore_one(s, keys->element[i]->str, keys->element[i]->len, h,
		    now, wall_off);
		freeReplyObject(h);
	}
	memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
	rc = 0;
out:
	if (rc != 0)
		log_err("redis %s: restore cut short: %s", s->target_str,
		    c->err ? c->errstr : r && r->type == REDIS_REPLY_ERROR ? r->str :
		    "unexpected reply");
	freeReplyObject(r);
	return rc;
}

/* Every record of the group back into a live call; the count restored. */
static uint64_t
restore_calls(struct store *s, redisContext *c)
{
	uint64_t t0 = now_ms(), before = s->restored;
	int64_t wall_off = store_wall_off();
	char cursor[32] = "0";

	do {
		if (scan_step(s, c, cursor, sizeof(cursor), now_ms(), wall_off) != 0)
			break;
	} while (strcmp(cursor, "0") != 0);
	s->last_restore_ms = now_ms() - t0;
	log_notice("redis %s: restored %llu call(s) in %llu ms, %llu rejected, "
	    "%llu with busy ports", s->target_str,
	    (unsigned long long)(s->restored - before),
	    (unsigned long long)s->last_restore_ms, (unsigned long long)s->rejected,
	    (unsigned long long)s->busy);
	/* Rewritten at once: the records now carry this run's state. */
	s->resync_due = true;
	return s->restored - before;
}

void
store_restore(struct store *s)
{
	redisContext *c;

	if (s->role != HA_ACTIVE) {
		log_notice("redis %s: standby for group %s: no calls until the "
		    "owner's lease lapses", s->target_str, s->cfg->ha_group);
		return;
	}
	if ((c = open_sync(s)) == NULL)
		return;
	if (store_ha_take_sync(s, c))
		(void)restore_calls(s, c);
	redisFree(c);
}

void
store_takeover(struct store *s)
{
	redisContext *c;
	uint64_t n;

	if ((c = open_sync(s)) == NULL) {
		/* Serving none of the calls would let them expire: wait, try again. */
		log_err("redis %s: took the lease of group %s but cannot read its "
		    "calls; standing by again", s->target_str, s->cfg->ha_group);
		s->role = HA_STANDBY;
		s->have_lease = false;
		s->next_lease_ms = now_ms() + s->cfg->ha_lease_ms;
		return;
	}
	s->takeovers++;
	n = restore_calls(s, c);
	redisFree(c);
	log_notice("redis: took over group %s as %s: %llu call(s) in %llu ms",
	    s->cfg->ha_group, s->lease_val, (unsigned long long)n,
	    (unsigned long long)s->last_restore_ms);
}
