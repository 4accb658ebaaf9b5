/*
 * ratelimit.c - token bucket in integer micro-tokens: `rate` tokens a
 * second is `rate` micro-tokens a microsecond, so refilling is one
 * multiplication and no rounding is ever lost between two calls.
 */
#include "control/ratelimit.h"

#define MICRO	1000000ull

void
ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst,
    uint64_t now_us)
{
	rl->rate = rate;
	rl->cap = (uint64_t)(burst ? burst : rate) * MICRO;
	rl->level = rl->cap;
	rl->last_us = now_us;
}

bool
ratelimit_take(struct ratelimit *rl, uint64_t now_us)
{
	uint64_t dt;

	if (rl->rate == 0)
		return true;
	/* A clock that steps back refills nothing and keeps its mark. */
	if (now_us > rl->last_us) {
		dt = now_us - rl->last_us;
		/* Past the time to fill the bucket, more time adds nothing. */
		if (dt >= rl->cap / rl->rate + 1)
			rl->level = rl->cap;
		else if ((rl->level += dt * rl->rate) > rl->cap)
			rl->level = rl->cap;
		rl->last_us = now_us;
	}
	if (rl->level < MICRO)
		return false;
	rl->level -= MICRO;
	return true;
}
