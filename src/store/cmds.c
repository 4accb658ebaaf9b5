/*
 * cmds.c - building the commands cmds.h lists. Nothing here talks to
 * Redis: a failed fit leaves the batch as it was, so a caller can send
 * what it has and start a new one.
 */
#include "store/cmds.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
store_batch_reset(struct store_batch *b)
{
	b->n = 0;
	b->used = 0;
}

int
store_key_prefix(const char *group, char *buf, size_t len)
{
	int n = snprintf(buf, len, "rtproam:%s:call:", group);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* A command being built; abandoned (b unchanged) on any failure. */
struct building {
	struct store_batch *b;
	struct store_cmd *c;
	size_t		 used;
	int		 failed;
};

static void
begin(struct building *w, struct store_batch *b)
{
	w->b = b;
	w->used = b->used;
	w->failed = b->n == STORE_BATCH_CMDS;
	w->c = w->failed ? NULL : &b->cmd[b->n];
	if (w->c)
		w->c->argc = 0;
}

static void
arg(struct building *w, const void *p, size_t len)
{
	struct store_cmd *c = w->c;

	if (w->failed || c->argc == STORE_CMD_ARGS ||
	    len > sizeof(w->b->arena) - w->used) {
		w->failed = 1;
		return;
	}
	memcpy(w->b->arena + w->used, p, len);
	c->argv[c->argc] = w->b->arena + w->used;
	c->argvlen[c->argc++] = len;
	w->used += len;
}

static void
arg_str(struct building *w, const char *s)
{
	arg(w, s, strlen(s));
}

static void
arg_key(struct building *w, const struct store_keys *k, const char *callid)
{
	char key[sizeof("rtproam::call:") + 64 + SAVED_ID_MAX];
	int n = store_key_prefix(k->group, key, sizeof(key));
	size_t len = strlen(callid);

	if (n < 0 || (size_t)n + len > sizeof(key)) {
		w->failed = 1;
		return;
	}
	memcpy(key + n, callid, len);
	arg(w, key, (size_t)n + len);
}

static void
arg_field(struct building *w, unsigned slot, int leg)
{
	char name[STORE_FIELD_NAME_MAX + 1];
	int n = store_media_field(slot, leg, name, sizeof(name));

	if (n < 0)
		w->failed = 1;
	else
		arg(w, name, (size_t)n);
}

static void
arg_u64(struct building *w, uint64_t v)
{
	char num[24];

	arg(w, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
}

static void
arg_media(struct building *w, const struct store_keys *k, const struct media_saved *m)
{
	char val[STORE_VALUE_MAX + 1];
	int n = store_encode_media(m, k->wall_off, val, sizeof(val));

	arg_field(w, m->slot, -1);
	if (n < 0)
		w->failed = 1;
	else
		arg(w, val, (size_t)n);
}

static void
arg_notify(struct building *w, const struct call_saved *c)
{
	char val[STORE_VALUE_MAX + 1];
	int n = store_encode_notify(c, val, sizeof(val));

	arg_str(w, "nt");
	if (n < 0)
		w->failed = 1;
	else
		arg(w, val, (size_t)n);
}

static void
arg_recording(struct building *w, const struct call_saved *c)
{
	char val[STORE_VALUE_MAX + 1];
	int n = store_encode_recording(c, val, sizeof(val));

	arg_str(w, "rec");
	if (n < 0)
		w->failed = 1;
	else
		arg(w, val, (size_t)n);
}

static void
arg_leg(struct building *w, const struct store_keys *k, unsigned slot,
    unsigned leg, const struct leg_saved *l)
{
	char val[STORE_VALUE_MAX + 1];
	int n = store_encode_leg(l, k->wall_off, val, sizeof(val));

	arg_field(w, slot, (int)leg);
	if (n < 0)
		w->failed = 1;
	else
		arg(w, val, (size_t)n);
}

/* Keep the command (and its bytes); -1 when it did not fit. */
static int
commit(struct building *w)
{
	if (w->failed)
		return -1;
	w->b->used = w->used;
	w->b->n++;
	return 0;
}

/* The built commands of one operation are kept together or not at all. */
static int
all_or_nothing(struct store_batch *b, unsigned n0, size_t used0, int rc)
{
	if (rc != 0) {
		b->n = n0;
		b->used = used0;
	}
	return rc;
}

static int
pexpire(struct store_batch *b, const struct store_keys *k, const char *callid)
{
	struct building w;

	begin(&w, b);
	arg_str(&w, "PEXPIRE");
	arg_key(&w, k, callid);
	arg_u64(&w, k->ttl_ms);
	return commit(&w);
}

static int
word(struct store_batch *b, const char *cmd)
{
	struct building w;

	begin(&w, b);
	arg_str(&w, cmd);
	return commit(&w);
}

int
store_cmds_call(struct store_batch *b, const struct store_keys *k,
    const struct call_saved *c)
{
	struct building w;
	unsigned n0 = b->n, i, j;
	size_t used0 = b->used;

	if (word(b, "MULTI") != 0 || store_cmds_call_deleted(b, k, c->callid) != 0)
		return all_or_nothing(b, n0, used0, -1);
	begin(&w, b);
	arg_str(&w, "HSET");
	arg_key(&w, k, c->callid);
	arg_str(&w, "v");
	arg_u64(&w, STORE_RECORD_VERSION);
	arg_str(&w, "cid");
	arg_str(&w, c->callid);
	arg_str(&w, "own");
	arg_str(&w, k->node);
	arg_str(&w, "created");
	arg_u64(&w, c->created_ms == 0 ? 0 : (uint64_t)((int64_t)c->created_ms +
	    k->wall_off));
	if (c->notify_target[0] && c->notify_tag[0])
		arg_notify(&w, c);
	if (c->recording)
		arg_recording(&w, c);
	for (i = 0; i < c->nmedia; i++) {
		arg_media(&w, k, &c->media[i]);
		for (j = 0; j < 2; j++)
			arg_leg(&w, k, c->media[i].slot, j, &c->media[i].leg[j]);
	}
	return all_or_nothing(b, n0, used0, commit(&w) != 0 ||
	    pexpire(b, k, c->callid) != 0 || word(b, "EXEC") != 0 ? -1 : 0);
}

int
store_cmds_leg(struct store_batch *b, const struct store_keys *k,
    const char *callid, unsigned slot, unsigned leg, const struct leg_saved *l)
{
	struct building w;
	unsigned n0 = b->n;
	size_t used0 = b->used;

	begin(&w, b);
	arg_str(&w, "HSET");
	arg_key(&w, k, callid);
	arg_leg(&w, k, slot, leg, l);
	return all_or_nothing(b, n0, used0,
	    commit(&w) != 0 || pexpire(b, k, callid) != 0 ? -1 : 0);
}

int
store_cmds_media_deleted(struct store_batch *b, const struct store_keys *k,
    const char *callid, unsigned slot)
{
	struct building w;

	begin(&w, b);
	arg_str(&w, "HDEL");
	arg_key(&w, k, callid);
	arg_field(&w, slot, -1);
	arg_field(&w, slot, 0);
	arg_field(&w, slot, 1);
	return commit(&w);
}

int
store_cmds_call_deleted(struct store_batch *b, const struct store_keys *k,
    const char *callid)
{
	struct building w;

	begin(&w, b);
	arg_str(&w, "UNLINK");
	arg_key(&w, k, callid);
	return commit(&w);
}

int
store_lease_keys(const char *group, char *lease, char *epoch, size_t len)
{
	int a = snprintf(lease, len, "rtproam:%s:lease", group);
	int b = snprintf(epoch, len, "rtproam:%s:epoch", group);

	return a < 0 || b < 0 || (size_t)a >= len || (size_t)b >= len ? -1 : 0;
}

static void
guard_arg(struct store_guarded *g, const char *p, size_t len)
{
	g->argv[g->argc] = p;
	g->argvlen[g->argc++] = len;
}

void
store_cmds_guard(const struct store_batch *b, const char *sha,
    const char *lease_key, const char *lease_value, struct store_guarded *out)
{
	const struct store_cmd *c;
	unsigned i, j;
	int n;

	out->argc = 0;
	guard_arg(out, "EVALSHA", 7);
	guard_arg(out, sha, strlen(sha));
	guard_arg(out, "1", 1);
	guard_arg(out, lease_key, strlen(lease_key));
	guard_arg(out, lease_value, strlen(lease_value));
	for (i = 0; i < b->n; i++) {
		c = &b->cmd[i];
		if (c->argc == 1 && ((c->argvlen[0] == 5 &&
		    memcmp(c->argv[0], "MULTI", 5) == 0) || (c->argvlen[0] == 4 &&
		    memcmp(c->argv[0], "EXEC", 4) == 0)))
			continue;
		n = snprintf(out->counts[i], sizeof(out->counts[i]), "%u", c->argc);
		guard_arg(out, out->counts[i], (size_t)n);
		for (j = 0; j < c->argc; j++)
			guard_arg(out, c->argv[j], c->argvlen[j]);
	}
}
