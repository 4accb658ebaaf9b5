/*
 * test_store_lease.c - the HA lease (store/lease.h): its value, and what
 * a node does on each thing Redis can tell it, one row per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "store/lease.h"

struct parse_row {
	const char	*in;
	int		 rc;
	const char	*node;
	uint64_t	 epoch;
};

static const struct parse_row parse_rows[] = {
	{ "relay-a 1", 0, "relay-a", 1 },
	{ "b 18446744073709551615", 0, "b", UINT64_MAX },
	{ "b 18446744073709551616", -1, NULL, 0 },	/* overflows */
	{ "b 0", -1, NULL, 0 },				/* INCR starts at 1 */
	{ "b 07", -1, NULL, 0 },			/* not as INCR writes it */
	{ "relay-a", -1, NULL, 0 },
	{ "relay-a ", -1, NULL, 0 },
	{ " 5", -1, NULL, 0 },
	{ "relay a 5", -1, NULL, 0 },
	{ "relay-a 5x", -1, NULL, 0 },
	{ "relay*a 5", -1, NULL, 0 },
	{ "relay-a -5", -1, NULL, 0 },
};

static void
test_parse(void **state)
{
	struct lease l;
	char buf[LEASE_VALUE_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *r = &parse_rows[i];

		memset(&l, 0, sizeof(l));
		if (lease_parse(r->in, strlen(r->in), &l) != r->rc)
			fail_msg("\"%s\": expected %d", r->in, r->rc);
		if (r->rc != 0)
			continue;
		assert_string_equal(l.node, r->node);
		assert_true(l.epoch == r->epoch);
		/* And back: the same bytes. */
		assert_int_equal(lease_format(&l, buf, sizeof(buf)), (int)strlen(r->in));
		assert_string_equal(buf, r->in);
	}
	strcpy(l.node, "relay-a");
	l.epoch = 12;
	assert_int_equal(lease_format(&l, buf, 10), -1);
}

struct step_row {
	enum ha_role	 role;
	enum lease_event ev;
	enum ha_role	 next;
	enum ha_action	 action;
};

static const struct step_row step_rows[] = {
	/* A standby takes over only when it wins the lease. */
	{ HA_STANDBY, LEASE_WON, HA_ACTIVE, HA_RESTORE },
	{ HA_STANDBY, LEASE_HELD, HA_STANDBY, HA_NOTHING },
	{ HA_STANDBY, LEASE_GONE, HA_STANDBY, HA_NOTHING },
	{ HA_STANDBY, LEASE_STOLEN, HA_STANDBY, HA_NOTHING },
	{ HA_STANDBY, LEASE_RENEWED, HA_STANDBY, HA_NOTHING },
	/* An owner keeps it, takes it back if it lapsed, stops if it moved. */
	{ HA_ACTIVE, LEASE_RENEWED, HA_ACTIVE, HA_NOTHING },
	{ HA_ACTIVE, LEASE_WON, HA_ACTIVE, HA_NOTHING },
	{ HA_ACTIVE, LEASE_GONE, HA_ACTIVE, HA_TAKE },
	{ HA_ACTIVE, LEASE_STOLEN, HA_FENCED, HA_STOP },
	{ HA_ACTIVE, LEASE_HELD, HA_FENCED, HA_STOP },
	/* Fenced is final. */
	{ HA_FENCED, LEASE_WON, HA_FENCED, HA_NOTHING },
	{ HA_FENCED, LEASE_RENEWED, HA_FENCED, HA_NOTHING },
};

static void
test_steps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(step_rows) / sizeof(step_rows[0]); i++) {
		const struct step_row *r = &step_rows[i];
		struct ha_step s = ha_next(r->role, r->ev);

		if (s.role != r->next || s.action != r->action)
			fail_msg("row %zu: %s on event %d gave %s/%d", i,
			    ha_role_name(r->role), r->ev, ha_role_name(s.role), s.action);
	}
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_steps),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
