/*
 * rcache.h - reply cache for the UDP control socket. Kamailio and OpenSIPS
 * resend a command with the same cookie when the reply is late; executing
 * it twice would, for U, allocate a second port pair. A resent cookie from
 * the same source gets the cached reply instead.
 */
#ifndef RTPROAM_RCACHE_H
#define RTPROAM_RCACHE_H

#include <stddef.h>
#include <stdint.h>

struct rcache_entry;

struct rcache {
	struct rcache_entry	**buckets;
	unsigned		  nbuckets;	/* power of two */
	struct rcache_entry	 *oldest, *newest;
	unsigned		  count, max;
	uint64_t		  ttl_ms;
};

int	 rcache_init(struct rcache *rc, unsigned max, uint64_t ttl_ms);
void	 rcache_free(struct rcache *rc);
/* key: the cookie and the sender, as bytes. NULL when absent. */
const char *rcache_get(struct rcache *rc, const char *key, size_t klen, size_t *rlen);
/* Store a copy; evicts the oldest entry when full. Returns 0 or -1. */
int	 rcache_put(struct rcache *rc, const char *key, size_t klen,
	    const char *reply, size_t rlen, uint64_t now);
void	 rcache_expire(struct rcache *rc, uint64_t now);

#endif
