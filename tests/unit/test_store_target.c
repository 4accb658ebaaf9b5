/*
 * test_store_target.c - the --redis URL, one row per form or mistake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store/target.h"

struct row {
	const char	*url;
	const char	*want;		/* store_target_str(), or NULL: refused */
	const char	*user;
};

static const struct row rows[] = {
	{ "redis://127.0.0.1:6379", "127.0.0.1:6379/0", "" },
	{ "redis://127.0.0.1:6380/3", "127.0.0.1:6380/3", "" },
	{ "redis://rtproam@127.0.0.1:6379/1", "127.0.0.1:6379/1", "rtproam" },
	{ "redis://[::1]:6379/2", "[::1]:6379/2", "" },
	{ "redis://localhost:6379", "127.0.0.1:6379/0", "" },
	{ "unix:/run/redis/redis.sock", "unix:/run/redis/redis.sock/0", "" },
	{ "unix:/run/redis/redis.sock?db=4", "unix:/run/redis/redis.sock/4", "" },
	{ "redis://u:secret@127.0.0.1:6379", NULL, NULL },	/* no password in argv */
	{ "redis://redis.example:6379", NULL, NULL },		/* no resolver */
	{ "redis://127.0.0.1", NULL, NULL },
	{ "redis://127.0.0.1:0", NULL, NULL },
	{ "redis://127.0.0.1:70000", NULL, NULL },
	{ "redis://127.0.0.1:6379/16", NULL, NULL },
	{ "redis://127.0.0.1:6379/x", NULL, NULL },
	{ "redis://@127.0.0.1:6379", NULL, NULL },
	{ "unix:relative.sock", NULL, NULL },
	{ "unix:/a.sock?db=99", NULL, NULL },
	{ "unix:/a.sock?user=x", NULL, NULL },
	{ "http://127.0.0.1:6379", NULL, NULL },
};

static void
test_urls(void **state)
{
	struct store_target t;
	char err[160], out[160];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rc = store_target_parse(rows[i].url, &t, err, sizeof(err));
		if (rows[i].want == NULL) {
			if (rc != -1)
				fail_msg("%s: accepted", rows[i].url);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", rows[i].url, err);
		store_target_str(&t, out, sizeof(out));
		assert_string_equal(out, rows[i].want);
		assert_string_equal(t.user, rows[i].user);
	}
}

int
main(void)
{
	const struct CMUnitTest t[] = { cmocka_unit_test(test_urls) };

	return cmocka_run_group_tests(t, NULL, NULL);
}
