/*
 * timerheap.c - see timerheap.h. v[0] is unused so that the children of
 * position i are 2i and 2i+1.
 */
#include "lib/timerheap.h"

#include <stdlib.h>

static void
place(struct timer_heap *h, unsigned i, struct timer_node *n)
{
	h->v[i] = n;
	n->idx = i;
}

static void
sift_up(struct timer_heap *h, unsigned i)
{
	struct timer_node *n = h->v[i];

	while (i > 1 && h->v[i / 2]->due > n->due) {
		place(h, i, h->v[i / 2]);
		i /= 2;
	}
	place(h, i, n);
}

static void
sift_down(struct timer_heap *h, unsigned i)
{
	struct timer_node *n = h->v[i];
	unsigned c;

	for (;;) {
		c = 2 * i;
		if (c > h->len)
			break;
		if (c < h->len && h->v[c + 1]->due < h->v[c]->due)
			c++;
		if (h->v[c]->due >= n->due)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, n);
}

int
timer_set(struct timer_heap *h, struct timer_node *n, uint64_t due)
{
	struct timer_node **nv;
	unsigned ncap;

	if (n->idx != 0) {
		n->due = due;
		sift_up(h, n->idx);
		sift_down(h, n->idx);
		return 0;
	}
	if (h->len + 1 >= h->cap) {
		ncap = h->cap ? h->cap * 2 : 64;
		if ((nv = realloc(h->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		h->v = nv;
		h->cap = ncap;
	}
	n->due = due;
	h->len++;
	place(h, h->len, n);
	sift_up(h, h->len);
	return 0;
}

void
timer_cancel(struct timer_heap *h, struct timer_node *n)
{
	unsigned i = n->idx;
	struct timer_node *last;

	if (i == 0)
		return;
	n->idx = 0;
	last = h->v[h->len--];
	if (last == n)
		return;
	place(h, i, last);
	sift_up(h, last->idx);
	sift_down(h, last->idx);
}

struct timer_node *
timer_pop_due(struct timer_heap *h, uint64_t now)
{
	struct timer_node *n;

	if (h->len == 0 || h->v[1]->due > now)
		return NULL;
	n = h->v[1];
	timer_cancel(h, n);
	return n;
}

uint64_t
timer_next(const struct timer_heap *h)
{
	return h->len ? h->v[1]->due : UINT64_MAX;
}

void
timer_heap_free(struct timer_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}
