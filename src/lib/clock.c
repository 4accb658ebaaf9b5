/*
 * clock.c - the monotonic clock every part reads: it never jumps when the
 * wall clock is set, so idle times and rates stay true.
 */
#include "lib/clock.h"

#include <time.h>

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
now_ms(void)
{
	return now_us() / 1000u;
}
