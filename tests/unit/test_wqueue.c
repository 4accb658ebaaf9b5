/*
 * test_wqueue.c - a worker takes its queued messages a slice at a time:
 * how many each take unlinks, what stays queued, and that the order and
 * the tail survive, row by row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/worker.h"
#include "media/wqueue.h"

#define QMAX	200

struct row {
	const char	*name;
	unsigned	 queued;	/* messages in the queue */
	unsigned	 max;		/* slice asked for (0: all) */
	unsigned	 taken;		/* expected in the first take */
	unsigned	 takes;		/* takes of max until the queue is empty */
};

static const struct row rows[] = {
	{ "empty queue: nothing taken, nothing left", 0, WMSG_SLICE, 0, 0 },
	{ "one message", 1, WMSG_SLICE, 1, 1 },
	{ "fewer than a slice: all at once", 10, WMSG_SLICE, 10, 1 },
	{ "exactly a slice: nothing left", WMSG_SLICE, WMSG_SLICE, WMSG_SLICE, 1 },
	{ "a slice and one: one left for the next turn", WMSG_SLICE + 1, WMSG_SLICE,
	    WMSG_SLICE, 2 },
	{ "a burst of deletes: three slices and a bit", 3 * WMSG_SLICE + 5,
	    WMSG_SLICE, WMSG_SLICE, 4 },
	{ "max 0 drains the whole queue (shutdown)", QMAX, 0, QMAX, 1 },
	{ "slice of one", 3, 1, 1, 3 },
};

static struct wmsg msgs[QMAX];

/* Queue msgs[0..n) in order; leg holds each one's index. */
static void
fill(struct wmsg **head, struct wmsg **tail, unsigned n)
{
	unsigned i;

	memset(msgs, 0, sizeof(msgs));
	*head = *tail = NULL;
	for (i = 0; i < n; i++) {
		msgs[i].leg = i;
		if (*tail)
			(*tail)->next = &msgs[i];
		else
			*head = &msgs[i];
		*tail = &msgs[i];
	}
}

static void
run_row(void **state)
{
	const struct row *r = *state;
	struct wmsg *head, *tail, *m;
	unsigned takes = 0, seen = 0, n, max = r->max;
	bool left;

	fill(&head, &tail, r->queued);
	do {
		m = wqueue_take(&head, &tail, max, &left);
		for (n = 0; m != NULL; m = m->next, n++, seen++)
			assert_int_equal(m->leg, seen);	/* oldest first, none skipped */
		if (takes == 0)
			assert_int_equal(n, r->taken);
		if (n > 0)
			takes++;
		if (max != 0)
			assert_true(n <= max);
		/* What stays is a well-formed queue: empty, or head..tail. */
		assert_int_equal(left, head != NULL);
		if (head == NULL)
			assert_null(tail);
		else
			assert_null(tail->next);
	} while (left);
	assert_int_equal(seen, r->queued);
	assert_int_equal(takes, r->takes);
}

/* A poster appends behind a slice's leftovers: it comes out after them. */
static void
test_post_after_take_keeps_order(void **state)
{
	struct wmsg *head, *tail, *m;
	unsigned seen = 0;
	bool left;

	(void)state;
	fill(&head, &tail, 5);
	m = wqueue_take(&head, &tail, 2, &left);
	assert_true(left);
	assert_int_equal(m->leg, 0);
	assert_int_equal(m->next->leg, 1);
	assert_null(m->next->next);
	/* Append message 5 as worker_post() does. */
	msgs[5].leg = 5;
	msgs[5].next = NULL;
	tail->next = &msgs[5];
	tail = &msgs[5];
	for (m = wqueue_take(&head, &tail, 0, &left); m; m = m->next)
		assert_int_equal(m->leg, 2 + seen++);
	assert_int_equal(seen, 4);
	assert_false(left);
	assert_null(head);
	assert_null(tail);
}

int
main(void)
{
	struct CMUnitTest t[sizeof(rows) / sizeof(rows[0]) + 1];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].name = rows[i].name;
		t[i].test_func = run_row;
		t[i].initial_state = (void *)(uintptr_t)&rows[i];
	}
	memset(&t[i], 0, sizeof(t[i]));
	t[i].name = "a post behind a slice's leftovers keeps FIFO order";
	t[i].test_func = test_post_after_take_keeps_order;
	return _cmocka_run_group_tests("wqueue", t, i + 1, NULL, NULL);
}
