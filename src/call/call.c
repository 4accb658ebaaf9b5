/*
 * call.c - the call table: calls by Call-ID, their media by tag.
 *
 * Tag semantics follow rtpproxy (docs/protocol.md): a media remembers the
 * tag that created it (leg 0) and the answering tag (leg 1); a command
 * naming either tag first finds it, with the orientation that follows.
 */
#include "call/call.h"

#include <stdlib.h>
#include <string.h>

int
calls_init(struct call_table *t, unsigned nbuckets)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = 1;
	while (t->nbuckets < nbuckets)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

void
calls_free(struct call_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

/* FNV-1a: Call-IDs are short, and the table is control-path only. */
static unsigned
hash_id(const char *id, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)id[i];
		h *= 16777619u;
	}
	return h;
}

static bool
str_is(const char *s, const char *p, size_t len)
{
	return s != NULL && strlen(s) == len && memcmp(s, p, len) == 0;
}

struct call *
call_find(struct call_table *t, const char *id, size_t len)
{
	struct call *c;

	for (c = t->buckets[hash_id(id, len) & (t->nbuckets - 1)]; c; c = c->hnext)
		if (str_is(c->callid, id, len))
			return c;
	return NULL;
}

struct call *
call_create(struct call_table *t, const char *id, size_t len, uint64_t now)
{
	struct call *c;
	unsigned b = hash_id(id, len) & (t->nbuckets - 1);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->callid = strndup(id, len)) == NULL) {
		free(c);
		return NULL;
	}
	c->created_ms = now;
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	t->ncalls++;
	return c;
}

void
call_created(struct call_table *t)
{
	t->created_total++;
}

void
call_destroy(struct call_table *t, struct call *c)
{
	struct call **pp;

	pp = &t->buckets[hash_id(c->callid, strlen(c->callid)) & (t->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	}
	t->ncalls--;
	free(c->callid);
	free(c->notify_target);
	free(c->notify_tag);
	free(c->rec_tag);
	free(c);
}

static void
leg_init(struct media *m, unsigned idx)
{
	struct leg *leg = &m->leg[idx];

	leg->media = m;
	leg->idx = idx;
	leg->rtp.fd = leg->rtcp.fd = -1;
	leg->rtp.leg = leg->rtcp.leg = leg;
	leg->rtcp.is_rtcp = true;
	pt_set_allow_all(&leg->pts);
	pt_set_allow_all(&m->pts[idx]);
	leg->rtcp_view.rtt_us = -1;
	pthread_mutex_init(&leg->pub_lock, NULL);
	latch_rtcp_init(&leg->rtcp_latch);
}

struct media *
media_create(struct call_table *t, struct call *c, unsigned num,
    const char *tag0, size_t len0, uint64_t now)
{
	struct media *m, **pp;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->call = c;
	m->num = num;
	m->slot = c->next_slot++;
	m->created_ms = now;
	counter_set(&m->last_signal_ms, now);
	m->call_id = strdup(c->callid);
	m->tag[0] = strndup(tag0, len0);
	if (m->call_id == NULL || m->tag[0] == NULL) {
		free(m->call_id);
		free(m->tag[0]);
		free(m);
		return NULL;
	}
	leg_init(m, 0);
	leg_init(m, 1);
	/* Keep the list ordered by media number, as Q and D walk it. */
	for (pp = &c->media; *pp && (*pp)->num <= num; pp = &(*pp)->next)
		;
	m->next = *pp;
	*pp = m;
	t->nmedia++;
	return m;
}

int
media_set_tag1(struct media *m, const char *tag, size_t len)
{
	char *s;

	if (str_is(m->tag[1], tag, len))
		return 0;
	if ((s = strndup(tag, len)) == NULL)
		return -1;
	free(m->tag[1]);
	m->tag[1] = s;
	return 0;
}

int
media_set_branch(struct media *m, const char *branch, size_t len)
{
	char *s;

	if ((s = strndup(branch, len)) == NULL)
		return -1;
	free(m->branch);
	m->branch = s;
	return 0;
}

void
media_unlink(struct call_table *t, struct media *m)
{
	struct media **pp;

	for (pp = &m->call->media; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->call = NULL;
	m->next = NULL;
	t->nmedia--;
}

struct media *
media_lookup(struct call *c, struct media *after, unsigned num,
    const char *t1, size_t l1, const char *t2, size_t l2, unsigned *leg_of_t1)
{
	struct media *m;

	for (m = after ? after->next : c->media; m; m = m->next) {
		if (num != 0 && m->num != num)
			continue;
		if (str_is(m->tag[0], t1, l1)) {
			*leg_of_t1 = 0;
			return m;
		}
		if (str_is(m->tag[1], t1, l1)) {
			*leg_of_t1 = 1;
			return m;
		}
		/* Only the other tag matches: a request from the other side. */
		if (t2 != NULL && l2 > 0 && str_is(m->tag[0], t2, l2)) {
			*leg_of_t1 = 1;
			return m;
		}
		if (t2 != NULL && l2 > 0 && str_is(m->tag[1], t2, l2)) {
			*leg_of_t1 = 0;
			return m;
		}
	}
	return NULL;
}
