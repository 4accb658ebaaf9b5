/*
 * timerheap.h - a binary min-heap of deadlines with O(log n) set, cancel
 * and pop. Each worker keeps one for the legs whose jitter buffer or
 * resizer holds packets; a node is embedded in its owner (no allocation
 * per timer).
 */
#ifndef RTPROAM_TIMERHEAP_H
#define RTPROAM_TIMERHEAP_H

#include <stdint.h>

struct timer_node {
	uint64_t	 due;		/* µs, monotonic */
	unsigned	 idx;		/* 1-based heap position; 0 = not queued */
};

struct timer_heap {
	struct timer_node **v;
	unsigned	 len, cap;
};

/* Queue n at `due`, or move it there. Returns 0, or -1 (out of memory). */
int	 timer_set(struct timer_heap *h, struct timer_node *n, uint64_t due);
void	 timer_cancel(struct timer_heap *h, struct timer_node *n);
/* The earliest node due by `now`, removed; NULL when none. */
struct timer_node *timer_pop_due(struct timer_heap *h, uint64_t now);
/* The earliest deadline; UINT64_MAX when empty. */
uint64_t timer_next(const struct timer_heap *h);
void	 timer_heap_free(struct timer_heap *h);

#endif
