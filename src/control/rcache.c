/*
 * rcache.c - a hash table with a FIFO list; entries expire in insertion
 * order, so expiry is a walk from the oldest end.
 */
#include "control/rcache.h"

#include <stdlib.h>
#include <string.h>

struct rcache_entry {
	struct rcache_entry	*hnext;		/* hash chain */
	struct rcache_entry	*fnext;		/* FIFO, towards newer */
	uint64_t		 expires;
	size_t			 klen, rlen;
	char			 data[];	/* key, then reply */
};

static unsigned
hash_key(const char *k, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--) {
		h ^= (uint8_t)*k++;
		h *= 16777619u;
	}
	return h;
}

int
rcache_init(struct rcache *rc, unsigned max, uint64_t ttl_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->nbuckets = 1;
	while (rc->nbuckets < max)
		rc->nbuckets <<= 1;
	rc->max = max;
	rc->ttl_ms = ttl_ms;
	rc->buckets = calloc(rc->nbuckets, sizeof(*rc->buckets));
	return rc->buckets ? 0 : -1;
}

static void
unlink_oldest(struct rcache *rc)
{
	struct rcache_entry *e = rc->oldest, **pp;

	pp = &rc->buckets[hash_key(e->data, e->klen) & (rc->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	rc->oldest = e->fnext;
	if (rc->oldest == NULL)
		rc->newest = NULL;
	rc->count--;
	free(e);
}

void
rcache_free(struct rcache *rc)
{
	while (rc->oldest)
		unlink_oldest(rc);
	free(rc->buckets);
	rc->buckets = NULL;
}

const char *
rcache_get(struct rcache *rc, const char *key, size_t klen, size_t *rlen)
{
	struct rcache_entry *e;

	e = rc->buckets[hash_key(key, klen) & (rc->nbuckets - 1)];
	for (; e; e = e->hnext) {
		if (e->klen == klen && memcmp(e->data, key, klen) == 0) {
			*rlen = e->rlen;
			return e->data + klen;
		}
	}
	return NULL;
}

int
rcache_put(struct rcache *rc, const char *key, size_t klen,
    const char *reply, size_t rlen, uint64_t now)
{
	struct rcache_entry *e;
	unsigned b;

	if (rc->count >= rc->max)
		unlink_oldest(rc);
	if ((e = malloc(sizeof(*e) + klen + rlen)) == NULL)
		return -1;
	e->klen = klen;
	e->rlen = rlen;
	e->expires = now + rc->ttl_ms;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, reply, rlen);
	b = hash_key(key, klen) & (rc->nbuckets - 1);
	e->hnext = rc->buckets[b];
	rc->buckets[b] = e;
	e->fnext = NULL;
	if (rc->newest)
		rc->newest->fnext = e;
	else
		rc->oldest = e;
	rc->newest = e;
	rc->count++;
	return 0;
}

void
rcache_expire(struct rcache *rc, uint64_t now)
{
	while (rc->oldest && rc->oldest->expires <= now)
		unlink_oldest(rc);
}
