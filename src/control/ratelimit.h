/*
 * ratelimit.h - a token bucket over an explicit clock.
 *
 * `rate` tokens a second flow into a bucket that holds at most `burst`;
 * each event takes one, and an event that finds the bucket empty is over
 * the limit. Pure: the caller passes the time (microseconds of any
 * monotonic clock), so tests replay any schedule exactly.
 */
#ifndef RTPROAM_RATELIMIT_H
#define RTPROAM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t	rate;		/* tokens per second; 0: no limit */
	uint64_t	cap;		/* burst, in micro-tokens */
	uint64_t	level;		/* micro-tokens in the bucket */
	uint64_t	last_us;	/* time of the last refill */
};

/* A full bucket at now_us. rate 0 means unlimited; burst 0 means rate. */
void	ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst,
	    uint64_t now_us);
/* Take one token at now_us: true if there was one (the event may go). */
bool	ratelimit_take(struct ratelimit *rl, uint64_t now_us);

#endif
