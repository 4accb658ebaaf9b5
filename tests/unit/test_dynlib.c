/*
 * test_dynlib.c - loading an optional library: all symbols or none.
 *
 * Each row names a library and the symbols asked of it, and says whether
 * the load succeeds and what the error names when it does not. On success
 * every slot must point at the real function; on failure no slot may have
 * been written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/dynlib.h"

#define MAXSYMS 3

struct row {
	const char	*name;
	const char	*soname;
	const char	*syms[MAXSYMS];	/* NULL-terminated */
	int		 rc;
	const char	*err_has;	/* failure: the error names this */
};

static const struct row rows[] = {
	{ "libc by SONAME, two symbols", "libc.so.6", { "strlen", "strchr", NULL },
	    0, NULL },
	{ "a missing library", "librtproam-missing.so.0", { "strlen", NULL, NULL },
	    -1, "librtproam-missing.so.0" },
	{ "a missing symbol fails the whole load", "libc.so.6",
	    { "strlen", "rtproam_no_such_function", NULL },
	    -1, "no symbol rtproam_no_such_function" },
};

typedef size_t (*strlen_fn)(const char *);
typedef char *(*strchr_fn)(const char *, int);

static void
run_row(void **state)
{
	const struct row *r = *state;
	struct dynlib_sym syms[MAXSYMS];
	void (*slot[MAXSYMS])(void);
	char err[256] = "";
	size_t n;
	int rc;

	memset(slot, 0, sizeof(slot));
	for (n = 0; n < MAXSYMS && r->syms[n] != NULL; n++) {
		syms[n].name = r->syms[n];
		syms[n].slot = &slot[n];
	}
	rc = dynlib_load(r->soname, syms, n, err, sizeof(err));
	assert_int_equal(rc, r->rc);
	if (rc != 0) {
		assert_non_null(strstr(err, r->err_has));
		for (n = 0; n < MAXSYMS; n++)
			assert_null(slot[n]);
		return;
	}
	/* The slots hold the real functions: call them. */
	assert_int_equal(((strlen_fn)slot[0])("rtproam"), 7);
	assert_string_equal(((strchr_fn)slot[1])("rtp/rtcp", '/'), "/rtcp");
}

int
main(void)
{
	static struct CMUnitTest tests[sizeof(rows) / sizeof(rows[0])];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	return _cmocka_run_group_tests("dynlib", tests, i, NULL, NULL);
}
