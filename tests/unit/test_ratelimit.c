/*
 * test_ratelimit.c - the token bucket behind --max-cmd-rate, replayed
 * schedule by schedule.
 *
 * Each row is a bucket (rate, burst) and a list of steps: at time t (us),
 * offer n events and expect `ok` of them to pass. One driver runs every
 * row as its own cmocka test, so a failure names the row and the step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "control/ratelimit.h"

#define S	1000000ull	/* one second in us */
#define MAXSTEPS 12

struct step {
	uint64_t	t;	/* us since the bucket was made */
	unsigned	n;	/* events offered at t */
	unsigned	ok;	/* of which pass */
};

struct row {
	const char	*name;
	uint32_t	 rate, burst;
	uint64_t	 t0;	/* clock reading at init */
	struct step	 steps[MAXSTEPS];
};

static const struct row rows[] = {
	{ "unlimited: rate 0 passes everything", 0, 0, 0, {
		{ 0, 100000, 100000 }, { 1, 100000, 100000 }, { 0, 0, 0 } } },
	{ "full at start: a burst of N passes, the rest is refused", 100, 100, 0, {
		{ 0, 500, 100 }, { 0, 0, 0 } } },
	{ "burst 0 means burst = rate", 10, 0, 0, {
		{ 0, 11, 10 }, { 0, 0, 0 } } },
	{ "refill: one token per 1/rate s", 100, 100, 0, {
		{ 0, 100, 100 }, { 9999, 1, 0 }, { 10000, 1, 1 }, { 10000, 1, 0 },
		{ 30000, 5, 2 }, { 0, 0, 0 } } },
	{ "recovers after a second: the whole burst again", 100, 100, 0, {
		{ 0, 500, 100 }, { 500000, 100, 50 }, { 1500000, 200, 100 },
		{ 0, 0, 0 } } },
	{ "an idle hour fills the bucket only to its burst", 1000, 50, 0, {
		{ 3600 * S, 60, 50 }, { 0, 0, 0 } } },
	{ "steady rate: exactly rate per second, no drift", 10000, 10000, 0, {
		{ 0, 10000, 10000 },
		{ 1 * S, 10000, 10000 }, { 2 * S, 10000, 10000 },
		{ 3 * S, 10001, 10000 }, { 0, 0, 0 } } },
	{ "fractions of a token are kept across calls", 3, 1, 0, {
		{ 0, 1, 1 }, { 100000, 1, 0 }, { 200000, 1, 0 }, { 300000, 1, 0 },
		{ 333333, 1, 0 }, { 333334, 1, 1 }, { 0, 0, 0 } } },
	{ "burst smaller than rate", 1000, 10, 0, {
		{ 0, 20, 10 }, { 5000, 20, 5 }, { 1 * S, 20, 10 }, { 0, 0, 0 } } },
	{ "clock stepping back refills nothing", 10, 10, 5 * S, {
		{ 5 * S, 10, 10 }, { 4 * S, 5, 0 }, { 5 * S + 100000, 2, 1 },
		{ 0, 0, 0 } } },
	{ "large clock values: no overflow", 4000000000u, 4000000000u,
	    UINT64_MAX / 2, {
		{ UINT64_MAX / 2, 3, 3 }, { UINT64_MAX / 2 + 3600 * S, 3, 3 },
		{ 0, 0, 0 } } },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void
run_row(void **state)
{
	const struct row *r = *state;
	struct ratelimit rl;
	unsigned i, k, ok;
	char msg[160];

	ratelimit_init(&rl, r->rate, r->burst, r->t0);
	for (i = 0; i < MAXSTEPS && (r->steps[i].n || r->steps[i].t); i++) {
		for (ok = 0, k = 0; k < r->steps[i].n; k++)
			ok += ratelimit_take(&rl, r->steps[i].t);
		if (ok != r->steps[i].ok) {
			snprintf(msg, sizeof(msg), "%s: step %u (t=%llu us, %u "
			    "offered): %u passed, expected %u", r->name, i,
			    (unsigned long long)r->steps[i].t, r->steps[i].n, ok,
			    r->steps[i].ok);
			fail_msg("%s", msg);
		}
	}
}

/* Many small steps add up to the rate: no token is lost to rounding. */
static void
test_fine_steps(void **state)
{
	struct ratelimit rl;
	uint64_t t;
	unsigned ok = 0;

	(void)state;
	ratelimit_init(&rl, 7, 1, 0);
	(void)ratelimit_take(&rl, 0);
	for (t = 1; t <= 10 * S; t += 13)
		ok += ratelimit_take(&rl, t);
	/* 7 a second for 10 s; the last partial token may or may not be in. */
	assert_in_range(ok, 69, 70);
}

int
main(void)
{
	static struct CMUnitTest tests[NROWS + 1];
	size_t i;

	for (i = 0; i < NROWS; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[i].name = "fine steps add up to the rate";
	tests[i++].test_func = test_fine_steps;
	return _cmocka_run_group_tests("ratelimit", tests, i, NULL, NULL);
}
