/*
 * test_timerheap.c - the worker's deadline heap: order, moves, cancels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/timerheap.h"

#define N 200

static void
test_pops_in_deadline_order(void **state)
{
	struct timer_heap h = { 0 };
	struct timer_node nodes[N], *n;
	uint64_t last = 0;
	unsigned i, popped = 0;

	(void)state;
	srand(7);
	for (i = 0; i < N; i++) {
		nodes[i].idx = 0;
		assert_int_equal(timer_set(&h, &nodes[i], (uint64_t)(rand() % 10000)), 0);
	}
	/* Move some, cancel some: the heap must stay ordered. */
	for (i = 0; i < N; i += 3)
		assert_int_equal(timer_set(&h, &nodes[i], (uint64_t)(rand() % 10000)), 0);
	for (i = 1; i < N; i += 7)
		timer_cancel(&h, &nodes[i]);
	while ((n = timer_pop_due(&h, UINT64_MAX)) != NULL) {
		assert_true(n->due >= last);
		assert_int_equal(n->idx, 0);
		last = n->due;
		popped++;
	}
	assert_int_equal(popped, N - (N + 5) / 7);
	assert_int_equal(timer_next(&h), UINT64_MAX);
	timer_heap_free(&h);
}

static void
test_only_due_nodes_pop(void **state)
{
	struct timer_heap h = { 0 };
	struct timer_node a = { 0, 0 }, b = { 0, 0 }, c = { 0, 0 };

	(void)state;
	timer_set(&h, &a, 300);
	timer_set(&h, &b, 100);
	timer_set(&h, &c, 200);
	assert_int_equal(timer_next(&h), 100);
	assert_ptr_equal(timer_pop_due(&h, 150), &b);
	assert_null(timer_pop_due(&h, 150));
	/* Moving c later, a earlier. */
	timer_set(&h, &c, 500);
	timer_set(&h, &a, 50);
	assert_ptr_equal(timer_pop_due(&h, 1000), &a);
	assert_ptr_equal(timer_pop_due(&h, 1000), &c);
	assert_null(timer_pop_due(&h, 1000));
	/* Cancelling what is not queued is harmless. */
	timer_cancel(&h, &a);
	timer_heap_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pops_in_deadline_order),
		cmocka_unit_test(test_only_due_nodes_pop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
