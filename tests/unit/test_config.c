/*
 * test_config.c - the settings as the daemon builds them: command line
 * alone, config file alone, the file with flags over it, lists, booleans,
 * and the errors a bad file gets (with its line). Each case runs
 * config_load(), what main() calls, on a file written to /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/config_file.h"

#define MAXARGS	32

struct config_case {
	const char	*name;
	const char	*file;		/* contents; NULL: no file written */
	const char	*args;		/* space-separated; "@" is the file */
	int		 rc;		/* config_load()'s result */
	const char	*err;		/* substring of the message; "@" = file */
	const char	*want;		/* "key=value ..." settings, see field() */
};

static const char full_file[] =
    "; a complete file\n"
    "[rtproam]\n"
    "listen = 192.0.2.1\n"
    "port-min = 40000\n"
    "port-max = 40999\n"
    "control = udp:127.0.0.1:23000\n"
    "control = unix:/run/rtproam/rtproam.sock\n"
    "notify = tcp:127.0.0.1:9999\n"
    "handover = ssrc\n"
    "ttl = 30\n"
    "foreground = yes\n"
    "affinity = no\n"
    "no-root-check = true\n"
    "workers = 3\n"
    "guard-ms = 500\n"
    "user = nobody\n";

static const struct config_case cases[] = {
	/* Command line alone: the rtpproxy form still works. */
	{ "flags alone", NULL, "-f -s udp:127.0.0.1:22222 -l 127.0.0.1 "
	    "-m 30000 -M 34999", 0, NULL,
	    "port_min=30000 port_max=34999 nctl=1 ctl0=udp:127.0.0.1:22222 "
	    "listen=127.0.0.1 foreground=1 log=stderr" },
	{ "no arguments: defaults", NULL, "", 0, NULL,
	    "port_min=35000 port_max=65000 nctl=1 ctl0=udp:127.0.0.1:22222 "
	    "nifaces=1 listen=127.0.0.1 policy=probation ttl=60 setup_ttl=60 "
	    "foreground=0 log=syslog user=-" },

	/* The file alone. */
	{ "file alone", full_file, "-c @", 0, NULL,
	    "port_min=40000 port_max=40999 nctl=2 ctl0=udp:127.0.0.1:23000 "
	    "ctl1=unix:/run/rtproam/rtproam.sock nnotify=1 listen=192.0.2.1 "
	    "policy=ssrc ttl=30 setup_ttl=30 foreground=1 affinity=0 "
	    "no_root_check=1 log=stderr user=nobody workers=3 guard_ms=500" },
	{ "long option form", "port-min = 41000\n", "--config=@", 0, NULL,
	    "port_min=41000 port_max=65000" },
	{ "no section, comments, blanks, indentation",
	    "# hash comment\n\n   port-min = 42000\n"
	    "\tport-max = 42999 ; trailing comment\n", "-c @", 0, NULL,
	    "port_min=42000 port_max=42999" },
	{ "empty file", "", "-c @", 0, NULL,
	    "port_min=35000 nctl=1 ctl0=udp:127.0.0.1:22222" },

	/* The file with flags over it. */
	{ "flags override the file", full_file,
	    "-c @ -m 50000 -M 50999 --handover off -T 10 -u daemon", 0, NULL,
	    "port_min=50000 port_max=50999 policy=off ttl=10 setup_ttl=10 "
	    "user=daemon nctl=2 listen=192.0.2.1 workers=3" },
	{ "flags before -c still override", full_file,
	    "-m 50000 -M 50999 -c @", 0, NULL,
	    "port_min=50000 port_max=50999" },
	{ "range checked on the merged result",
	    "port-min = 20000\nport-max = 20999\n", "-c @ -M 20500", 0, NULL,
	    "port_min=20000 port_max=20500" },
	{ "merged range can be wrong", "port-min = 40000\n", "-c @ -M 30000",
	    -1, "port range 40000..30000", NULL },
	{ "setup-ttl follows a flag's ttl", "ttl = 90\n", "-c @ -T 15", 0,
	    NULL, "ttl=15 setup_ttl=15" },
	{ "setup-ttl from the file stays", "setup-ttl = 20\n", "-c @ -T 15",
	    0, NULL, "ttl=15 setup_ttl=20" },
	{ "flag address pair over the file's single", "listen = 192.0.2.1\n",
	    "-c @ -l 10.0.0.1/10.0.0.2", 0, NULL,
	    "nifaces=2 listen=10.0.0.1 listen2=10.0.0.2" },
	{ "advertise must match the merged listen",
	    "advertise = 203.0.113.1\n", "-c @ -l 10.0.0.1/10.0.0.2", -1,
	    "-A must name as many", NULL },
	{ "flag advertise replaces the file's pair",
	    "listen = 10.0.0.1/10.0.0.2\n"
	    "advertise = 203.0.113.1/203.0.113.2\n",
	    "-c @ -l 10.0.0.1 -A 203.0.113.9", 0, NULL,
	    "nifaces=1 listen=10.0.0.1 advertise=203.0.113.9 advertise2=-" },

	/* Lists: the key repeats; a flag replaces the whole list. */
	{ "repeated control keys",
	    "control = udp:127.0.0.1:1111\ncontrol = tcp:127.0.0.1:2222\n"
	    "control = cunix:/tmp/x.sock\n", "-c @", 0, NULL,
	    "nctl=3 ctl0=udp:127.0.0.1:1111 ctl1=tcp:127.0.0.1:2222" },
	{ "-s replaces the file's controls",
	    "control = udp:127.0.0.1:1111\ncontrol = tcp:127.0.0.1:2222\n",
	    "-c @ -s udp:127.0.0.1:3333 -s udp:127.0.0.1:4444", 0, NULL,
	    "nctl=2 ctl0=udp:127.0.0.1:3333 ctl1=udp:127.0.0.1:4444" },
	{ "-n replaces the file's notify list",
	    "notify = tcp:127.0.0.1:1\nnotify = tcp:127.0.0.1:2\n",
	    "-c @ -n unix:/tmp/n.sock", 0, NULL, "nnotify=1" },
	{ "no -s keeps the file's controls", "control = udp:127.0.0.1:1111\n",
	    "-c @ -m 40000", 0, NULL, "nctl=1 ctl0=udp:127.0.0.1:1111" },
	{ "too many controls",
	    "control = udp:127.0.0.1:1\ncontrol = udp:127.0.0.1:2\n"
	    "control = udp:127.0.0.1:3\ncontrol = udp:127.0.0.1:4\n"
	    "control = udp:127.0.0.1:5\ncontrol = udp:127.0.0.1:6\n"
	    "control = udp:127.0.0.1:7\ncontrol = udp:127.0.0.1:8\n"
	    "control = udp:127.0.0.1:9\n", "-c @", -1,
	    "@: -s: at most 8 control", NULL },

	/* Booleans. */
	{ "booleans yes", "foreground = yes\naffinity = on\n"
	    "no-root-check = 1\n", "-c @", 0, NULL,
	    "foreground=1 affinity=1 no_root_check=1 log=stderr" },
	{ "booleans no", "foreground = no\naffinity = false\n"
	    "no-root-check = 0\n", "-c @", 0, NULL,
	    "foreground=0 affinity=0 no_root_check=0 log=syslog" },
	{ "flag sets what the file left off", "foreground = off\n",
	    "-c @ -f", 0, NULL, "foreground=1 log=stderr" },
	{ "bad boolean", "\nforeground = maybe\n", "-c @", -1,
	    "@:2: foreground: yes or no, not 'maybe'", NULL },

	/* Errors name the file and the line. */
	/* --fast-path: off unless asked for (config.h says why). */
	{ "fast path off by default", NULL, "", 0, NULL, "fast_path=0" },
	{ "fast path from the file", "fast-path = ebpf\n", "-c @", 0, NULL,
	    "fast_path=1" },
	{ "fast path: the command line wins", "fast-path = ebpf\n",
	    "-c @ --fast-path off", 0, NULL, "fast_path=0" },
	{ "fast path: unknown mode", NULL, "--fast-path xdp", -1,
	    "--fast-path: ebpf or off: xdp", NULL },
	{ "unknown key", "[rtproam]\nport-min = 40000\nprot-max = 40999\n",
	    "-c @", -1, "@:3: unknown key 'prot-max'", NULL },
	{ "abbreviation is not a key", "list = 127.0.0.1\n", "-c @", -1,
	    "@:1: unknown key 'list'", NULL },
	{ "keys are case-sensitive", "Listen = 127.0.0.1\n", "-c @", -1,
	    "@:1: unknown key 'Listen'", NULL },
	{ "unknown section", "port-min = 40000\n\n[relay]\nport-max = 40999\n",
	    "-c @", -1, "@:3: unknown section [relay]", NULL },
	{ "bad value", "ttl = 10\nport-min = 99999\n", "-c @", -1,
	    "@:2: port-min: port must be 1024..65535: 99999", NULL },
	{ "bad address", "listen = example.org\n", "-c @", -1,
	    "@:1: listen: not an address", NULL },
	{ "bad policy", "handover = always\n", "-c @", -1,
	    "@:1: handover: off, ssrc", NULL },
	{ "empty value", "pidfile =\n", "-c @", -1,
	    "@:1: pidfile: no value", NULL },
	{ "key twice", "port-min = 40000\n; x\nport-min = 41000\n", "-c @",
	    -1, "@:3: port-min: given twice (first on line 1)", NULL },
	{ "not key = value", "port-min = 40000\nfoo\n", "-c @", -1,
	    "@:2: expected 'key = value'", NULL },
	{ "first error wins", "port-min = 40000\nfoo\nbogus = 1\n", "-c @",
	    -1, "@:2: ", NULL },
	{ "command-line-only keys", "config = /etc/x\n", "-c @", -1,
	    "@:1: 'config' is for the command line only", NULL },
	{ "help is not a key", "help = yes\n", "-c @", -1,
	    "'help' is for the command line", NULL },
	{ "missing file", NULL, "-c /nonexistent/rtproam.conf", -1,
	    "/nonexistent/rtproam.conf: No such file", NULL },
	{ "bad flag with a good file", "port-min = 40000\n", "-c @ -m 5", -1,
	    "-m: port must be", NULL },
	{ "stray argument", "port-min = 40000\n", "-c @ extra", -1,
	    "unexpected argument: extra", NULL },
	{ "--version wins over the file", "bogus = 1\n", "-c @ -V", 1,
	    NULL, NULL },
};

static char tmpdir[] = "/tmp/rtproam-test-config-XXXXXX";
static char path[64];

static int
setup_dir(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/rtproam.conf", tmpdir);
	return 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	(void)unlink(path);
	return rmdir(tmpdir);
}

static void
write_file(const char *text)
{
	FILE *f;

	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* pat with its "@" (if any) replaced by the file's path. */
static void
expand(const char *pat, char *out, size_t len)
{
	const char *at;

	if ((at = strchr(pat, '@')) == NULL)
		snprintf(out, len, "%s", pat);
	else
		snprintf(out, len, "%.*s%s%s", (int)(at - pat), pat, path, at + 1);
}

/* "a b @" -> argv, each word expanded into words[]. */
static int
split_args(const char *args, char words[][128], char **argv)
{
	char buf[512], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = "rtproam";
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		assert_true(argc < MAXARGS - 1);
		expand(tok, words[argc], sizeof(words[0]));
		argv[argc] = words[argc];
		argc++;
	}
	argv[argc] = NULL;
	return argc;
}

static void
ip_of(const struct addr *a, char *out, size_t len)
{
	if (addr_is_set(a))
		addr_ip_str(a, out, len);
	else
		snprintf(out, len, "-");
}

/* One setting of *c as text, by the name a case's `want` uses. */
static void
field(const struct config *c, const char *key, char *out, size_t len)
{
#define STR(s)	snprintf(out, len, "%s", (s) != NULL ? (s) : "-")
#define NUM(n)	snprintf(out, len, "%ld", (long)(n))
	if (strcmp(key, "port_min") == 0)
		NUM(c->port_min);
	else if (strcmp(key, "port_max") == 0)
		NUM(c->port_max);
	else if (strcmp(key, "nctl") == 0)
		NUM(c->nctl);
	else if (strcmp(key, "ctl0") == 0)
		STR(c->nctl > 0 ? c->ctl[0] : NULL);
	else if (strcmp(key, "ctl1") == 0)
		STR(c->nctl > 1 ? c->ctl[1] : NULL);
	else if (strcmp(key, "nnotify") == 0)
		NUM(c->nnotify);
	else if (strcmp(key, "nifaces") == 0)
		NUM(c->nifaces);
	else if (strcmp(key, "listen") == 0)
		ip_of(&c->ifaces[0], out, len);
	else if (strcmp(key, "listen2") == 0)
		ip_of(&c->ifaces[1], out, len);
	else if (strcmp(key, "advertise") == 0)
		ip_of(&c->advertised[0], out, len);
	else if (strcmp(key, "advertise2") == 0)
		ip_of(&c->advertised[1], out, len);
	else if (strcmp(key, "policy") == 0)
		STR(latch_policy_name(c->latch.policy));
	else if (strcmp(key, "ttl") == 0)
		NUM(c->ttl_s);
	else if (strcmp(key, "setup_ttl") == 0)
		NUM(c->setup_ttl_s);
	else if (strcmp(key, "foreground") == 0)
		NUM(c->foreground);
	else if (strcmp(key, "affinity") == 0)
		NUM(c->affinity);
	else if (strcmp(key, "no_root_check") == 0)
		NUM(c->no_root_check);
	else if (strcmp(key, "log") == 0)
		STR(c->log_target);
	else if (strcmp(key, "user") == 0)
		STR(c->user);
	else if (strcmp(key, "workers") == 0)
		NUM(c->workers);
	else if (strcmp(key, "guard_ms") == 0)
		NUM(c->latch.guard_ms);
	else if (strcmp(key, "fast_path") == 0)
		NUM(c->fast_path);
	else
		fail_msg("test table: no setting '%s'", key);
#undef STR
#undef NUM
}

static void
check_settings(const struct config_case *tc, const struct config *c)
{
	char buf[512], got[128], *tok, *eq, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", tc->want);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			fail_msg("test table: '%s' is not key=value", tok);
		*eq++ = '\0';
		field(c, tok, got, sizeof(got));
		if (strcmp(got, eq) != 0)
			fail_msg("%s: %s is %s, want %s", tc->name, tok, got, eq);
	}
}

static void
run_case(const struct config_case *tc)
{
	struct config c;
	struct config_argv file;
	char words[MAXARGS][128], want[256], err[512], *argv[MAXARGS];
	int argc, rc;

	(void)unlink(path);
	if (tc->file != NULL)
		write_file(tc->file);
	argc = split_args(tc->args, words, argv);
	err[0] = '\0';
	rc = config_load(&c, argc, argv, &file, err, sizeof(err));
	if (rc != tc->rc)
		fail_msg("%s: config_load returned %d, want %d (err: %s)",
		    tc->name, rc, tc->rc, err);
	if (tc->err != NULL) {
		expand(tc->err, want, sizeof(want));
		if (strstr(err, want) == NULL)
			fail_msg("%s: error '%s' lacks '%s'", tc->name, err, want);
	}
	if (rc == 0 && tc->want != NULL)
		check_settings(tc, &c);
	if (rc != 0 || tc->file == NULL)
		assert_null(file.argv);	/* nothing to free on those paths */
	config_argv_free(&file);
}

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* The file as the long options it stands for. */
static void
test_file_argv(void **state)
{
	static const char *const want[] = {
		"rtproam", "--listen=192.0.2.1", "--port-min=40000",
		"--port-max=40999", "--control=udp:127.0.0.1:23000",
		"--control=unix:/run/rtproam/rtproam.sock",
		"--notify=tcp:127.0.0.1:9999", "--handover=ssrc", "--ttl=30",
		"--foreground", "--no-root-check", "--workers=3",
		"--guard-ms=500", "--user=nobody",
	};
	struct config_argv a;
	char err[256];
	size_t i;

	(void)state;
	write_file(full_file);
	assert_int_equal(config_file_read(path, "rtproam", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.argc, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(a.argv[i], want[i]);
	assert_null(a.argv[a.argc]);
	config_argv_free(&a);
	assert_null(a.argv);
	assert_int_equal(a.argc, 0);
}

/* A line inih cannot hold is refused, not cut in two. */
static void
test_long_line(void **state)
{
	struct config_argv a;
	char line[600], err[256], want[128];
	FILE *f;

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "pidfile = /", 11);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fprintf(f, "port-min = 40000\n%s\nport-max = 40999\n",
	    line) > 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_file_read(path, "rtproam", &a, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line too long", path);
	assert_string_equal(err, want);
	assert_null(a.argv);

	/* A last line without a newline is whole, not too long. */
	write_file("port-min = 40000");
	assert_int_equal(config_file_read(path, "rtproam", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.argc, 2);
	assert_string_equal(a.argv[1], "--port-min=40000");
	config_argv_free(&a);
}

static void
test_option_kinds(void **state)
{
	(void)state;
	assert_int_equal(config_option_kind("listen"), CONFIG_OPT_VALUE);
	assert_int_equal(config_option_kind("port-min"), CONFIG_OPT_VALUE);
	assert_int_equal(config_option_kind("max-switches-per-min"),
	    CONFIG_OPT_VALUE);
	assert_int_equal(config_option_kind("control"), CONFIG_OPT_LIST);
	assert_int_equal(config_option_kind("notify"), CONFIG_OPT_LIST);
	assert_int_equal(config_option_kind("foreground"), CONFIG_OPT_FLAG);
	assert_int_equal(config_option_kind("affinity"), CONFIG_OPT_FLAG);
	assert_int_equal(config_option_kind("no-root-check"), CONFIG_OPT_FLAG);
	assert_int_equal(config_option_kind("config"), CONFIG_OPT_CMDLINE);
	assert_int_equal(config_option_kind("help"), CONFIG_OPT_CMDLINE);
	assert_int_equal(config_option_kind("version"), CONFIG_OPT_CMDLINE);
	assert_int_equal(config_option_kind("port"), CONFIG_OPT_NONE);
	assert_int_equal(config_option_kind("l"), CONFIG_OPT_NONE);
	assert_int_equal(config_option_kind(""), CONFIG_OPT_NONE);
}

/* config_parse() may run again on another argv in the same process. */
static void
test_parse_twice(void **state)
{
	char a0[] = "rtproam", a1[] = "-fm", a2[] = "40000", b1[] = "-M",
	    b2[] = "50000", err[256];
	char *first[] = { a0, a1, a2, NULL }, *second[] = { a0, b1, b2, NULL };
	struct config c;

	(void)state;
	config_default(&c);
	assert_int_equal(config_parse(&c, 3, first, err, sizeof(err)), 0);
	config_default(&c);
	assert_int_equal(config_parse(&c, 3, second, err, sizeof(err)), 0);
	assert_int_equal(c.port_min, 35000);
	assert_int_equal(c.port_max, 50000);
	assert_false(c.foreground);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_file_argv),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_option_kinds),
		cmocka_unit_test(test_parse_twice),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
