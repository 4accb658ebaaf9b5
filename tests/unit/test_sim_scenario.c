/*
 * test_sim_scenario.c - rtproam-sim's option strings and the relay
 * replies it must understand, one row per situation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim_scenario.h"

struct move_case {
	const char		*spec;
	int			 rc;
	int64_t			 at_ms;
	enum sim_move_kind	 kind;
	bool			 newssrc, reinvite;
	int64_t			 overlap_ms, silence_ms;
};

static const struct move_case move_cases[] = {
	{ "2000:port", 0, 2000, SIM_MOVE_PORT, false, false, 0, 0 },
	{ "0:ip", 0, 0, SIM_MOVE_IP, false, false, 0, 0 },
	{ "1500:ipport:newssrc", 0, 1500, SIM_MOVE_IPPORT, true, false, 0, 0 },
	{ "3000:back:reinvite", 0, 3000, SIM_MOVE_BACK, false, true, 0, 0 },
	{ "2000:ip:overlap=200:silence=100", 0, 2000, SIM_MOVE_IP, false,
	    false, 200, 100 },
	{ "2000:ip,overlap=50,newssrc,reinvite", 0, 2000, SIM_MOVE_IP, true,
	    true, 50, 0 },
	/* refused */
	{ "", -1, 0, 0, false, false, 0, 0 },
	{ "2000", -1, 0, 0, false, false, 0, 0 },
	{ "x:port", -1, 0, 0, false, false, 0, 0 },
	{ "-5:port", -1, 0, 0, false, false, 0, 0 },
	{ "2000:teleport", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:overlap", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:overlap=", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:overlap=12x", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:overlap=99999", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:bogus", -1, 0, 0, false, false, 0, 0 },
	{ "100:ip:silence=200", -1, 0, 0, false, false, 0, 0 },
	{ "2000:ip:", -1, 0, 0, false, false, 0, 0 },
};

static void
test_move_parse(void **state)
{
	const struct move_case *c;
	struct sim_move m;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(move_cases) / sizeof(move_cases[0]); i++) {
		c = &move_cases[i];
		err[0] = '\0';
		if (sim_move_parse(c->spec, &m, err, sizeof(err)) != c->rc)
			fail_msg("'%s': want rc %d (%s)", c->spec, c->rc, err);
		if (c->rc == -1) {
			/* Every refusal says why. */
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(m.at_ms, c->at_ms);
		assert_int_equal(m.kind, c->kind);
		assert_int_equal(m.newssrc, c->newssrc);
		assert_int_equal(m.reinvite, c->reinvite);
		assert_int_equal(m.overlap_ms, c->overlap_ms);
		assert_int_equal(m.silence_ms, c->silence_ms);
	}
	/* A string longer than any sane spec is refused, not truncated. */
	{
		char big[600];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "10:ip:", 6);
		assert_int_equal(sim_move_parse(big, &m, err, sizeof(err)), -1);
	}
	assert_string_equal(sim_move_kind_name(SIM_MOVE_IPPORT), "ipport");
}

static void
test_attack_defaults(void **state)
{
	struct sim_attack a;
	char err[256], ip[64];

	(void)state;
	assert_int_equal(sim_attack_parse("rtpflood", &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, SIM_ATK_RTPFLOOD);
	assert_int_equal(a.rate, 1000);
	assert_int_equal(a.ports, 32);
	assert_int_equal(a.start_ms, 0);
	assert_int_equal(a.stop_ms, -1);
	assert_int_equal(a.legs, SIM_LEG_A | SIM_LEG_B);
	assert_string_equal(addr_ip_str(&a.from, ip, sizeof(ip)), "127.0.0.66");

	assert_int_equal(sim_attack_parse("garbage", &a, err, sizeof(err)), 0);
	assert_int_equal(a.rate, 1000);

	assert_int_equal(sim_attack_parse("slow", &a, err, sizeof(err)), 0);
	assert_int_equal(a.rate, 50);
	assert_int_equal(a.ports, 1);

	/* The race starts before the phones do. */
	assert_int_equal(sim_attack_parse("race", &a, err, sizeof(err)), 0);
	assert_true(a.start_ms < 0);

	assert_int_equal(sim_attack_parse("rtcpreplay", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.kind, SIM_ATK_RTCPREPLAY);
	assert_int_equal(sim_attack_parse("ssrcguess", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.kind, SIM_ATK_SSRCGUESS);
	assert_string_equal(sim_attack_kind_name(a.kind), "ssrcguess");
}

static void
test_attack_options(void **state)
{
	struct sim_attack a;
	char err[256], ip[64];

	(void)state;
	assert_int_equal(sim_attack_parse(
	    "rtpflood:rate=200:from=127.0.0.77:start=100:stop=900:ports=4"
	    ":legs=b",
	    &a, err, sizeof(err)), 0);
	assert_int_equal(a.rate, 200);
	assert_string_equal(addr_ip_str(&a.from, ip, sizeof(ip)), "127.0.0.77");
	assert_int_equal(a.start_ms, 100);
	assert_int_equal(a.stop_ms, 900);
	assert_int_equal(a.ports, 4);
	assert_int_equal(a.legs, SIM_LEG_B);

	assert_int_equal(sim_attack_parse("race,start=-200", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.start_ms, -200);
}

static void
test_attack_refused(void **state)
{
	static const char *const bad[] = {
		"", "flood", "slow:rate=0", "slow:rate=abc", "slow:rate=1e3",
		"slow:ports=0", "slow:ports=100000", "slow:from=10.0.0.1",
		"slow:from=192.0.2.1", "slow:from=::1", "slow:from=bogus",
		"slow:start=500:stop=400", "slow:legs=c", "slow:whatever=1",
		"slow:start=-99999",
	};
	struct sim_attack a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (sim_attack_parse(bad[i], &a, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void
test_relay_parse(void **state)
{
	struct addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	assert_int_equal(sim_relay_parse("udp:127.0.0.1:22222", &a), 0);
	assert_string_equal(addr_str(&a, buf, sizeof(buf)), "127.0.0.1:22222");
	assert_int_equal(sim_relay_parse("udp:127.0.0.5", &a), 0);
	assert_int_equal(addr_port(&a), 22222);
	assert_int_equal(sim_relay_parse("127.0.0.1:7000", &a), 0);
	assert_int_equal(addr_port(&a), 7000);
	assert_int_equal(sim_relay_parse("udp6:[::1]:22222", &a), 0);
	assert_int_equal(addr_family(&a), AF_INET6);
	assert_true(sim_addr_is_loopback(&a));
	/* udp: means IPv4, udp6: IPv6; unix sockets are not ours. */
	assert_int_equal(sim_relay_parse("udp:[::1]:22222", &a), -1);
	assert_int_equal(sim_relay_parse("udp6:127.0.0.1:22222", &a), -1);
	assert_int_equal(sim_relay_parse("unix:/run/rtpproxy.sock", &a), -1);
	assert_int_equal(sim_relay_parse("udp:127.0.0.1:99999", &a), -1);
	assert_int_equal(sim_relay_parse("udp:localhost:22222", &a), -1);
}

static void
test_relay_parse_proto(void **state)
{
	static const struct {
		const char	*spec;
		int		 rc;
		enum sim_proto	 proto;
		const char	*addr;
	} cases[] = {
		{ "udp:127.0.0.1:22222", 0, SIM_PROTO_RTPP, "127.0.0.1:22222" },
		{ "rtpp:udp:127.0.0.1:7000", 0, SIM_PROTO_RTPP,
		    "127.0.0.1:7000" },
		{ "ng:udp:127.0.0.1:2223", 0, SIM_PROTO_NG, "127.0.0.1:2223" },
		/* Kamailio's rtpengine_sock default port. */
		{ "ng:udp:127.0.0.5", 0, SIM_PROTO_NG, "127.0.0.5:22222" },
		{ "ng:udp6:[::1]:2223", 0, SIM_PROTO_NG, "[::1]:2223" },
		{ "ng:127.0.0.1:2223", 0, SIM_PROTO_NG, "127.0.0.1:2223" },
		/* refused */
		{ "ng:", -1, SIM_PROTO_NG, NULL },
		{ "ng:udp6:127.0.0.1:2223", -1, SIM_PROTO_NG, NULL },
		{ "ng:unix:/run/rtpengine.sock", -1, SIM_PROTO_NG, NULL },
		{ "ng:ng:udp:127.0.0.1:2223", -1, SIM_PROTO_NG, NULL },
		{ "NG:udp:127.0.0.1:2223", -1, SIM_PROTO_RTPP, NULL },
		{ "ws:udp:127.0.0.1:2223", -1, SIM_PROTO_RTPP, NULL },
	};
	enum sim_proto p;
	struct addr a;
	char buf[ADDR_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sim_relay_parse_proto(cases[i].spec, &p, &a) !=
		    cases[i].rc)
			fail_msg("'%s': want rc %d", cases[i].spec,
			    cases[i].rc);
		if (cases[i].rc == -1)
			continue;
		assert_int_equal(p, cases[i].proto);
		assert_string_equal(addr_str(&a, buf, sizeof(buf)),
		    cases[i].addr);
	}
	assert_string_equal(sim_proto_name(SIM_PROTO_NG), "ng");
	assert_string_equal(sim_proto_name(SIM_PROTO_RTPP), "rtpp");
}

static void
test_loopback(void **state)
{
	static const struct {
		const char	*ip;
		bool		 lo;
	} cases[] = {
		{ "127.0.0.1", true }, { "127.255.255.254", true },
		{ "127.0.0.66", true }, { "::1", true }, { "128.0.0.1", false },
		{ "10.0.0.1", false }, { "0.0.0.0", false }, { "::", false },
		{ "::ffff:127.0.0.1", false }, { "192.0.2.1", false },
	};
	struct addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_parse(&a, cases[i].ip, 0, AF_UNSPEC), 0);
		if (sim_addr_is_loopback(&a) != cases[i].lo)
			fail_msg("%s", cases[i].ip);
	}
	addr_clear(&a);
	assert_false(sim_addr_is_loopback(&a));
}

struct reply_case {
	const char		*text;
	enum sim_reply_kind	 kind;
	unsigned		 port;
	const char		*host;
	int			 code;
};

static const struct reply_case reply_cases[] = {
	{ "c1 40000 127.0.0.1\n", SIM_REPLY_PORT, 40000, "127.0.0.1", 0 },
	/* rtpengine appends the family. */
	{ "c1 40000 127.0.0.1 4\n", SIM_REPLY_PORT, 40000, "127.0.0.1", 0 },
	{ "c1 40000 ::1 6\n", SIM_REPLY_PORT, 40000, "::1", 0 },
	/* sippy bound to a wildcard: port only. */
	{ "c1 40000\n", SIM_REPLY_PORT, 40000, "", 0 },
	{ "c1 40000", SIM_REPLY_PORT, 40000, "", 0 },
	/* D's reply, and L's "no such session". */
	{ "c1 0\n", SIM_REPLY_PORT, 0, "", 0 },
	{ "c1 0 0.0.0.0\n", SIM_REPLY_PORT, 0, "0.0.0.0", 0 },
	{ "c1 E50\n", SIM_REPLY_ERROR, 0, "", 50 },
	{ "c1 E8\n", SIM_REPLY_ERROR, 0, "", 8 },
	/* Kamailio's atoi() skips extra blanks after the one space too. */
	{ "c1  40000\n", SIM_REPLY_PORT, 40000, "", 0 },
	/* refused */
	{ "c2 40000 127.0.0.1\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c12 40000\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c140000\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 \n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 70000 127.0.0.1\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 40000 127.0.0.1 5\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 40000 127.0.0.1 4 x\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 Exx\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 E\n", SIM_REPLY_BAD, 0, "", 0 },
	{ "c1 port\n", SIM_REPLY_BAD, 0, "", 0 },
};

static void
test_reply_parse(void **state)
{
	const struct reply_case *c;
	struct sim_reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		c = &reply_cases[i];
		if (sim_reply_parse(c->text, strlen(c->text), "c1", &r) !=
		    c->kind)
			fail_msg("'%s': want kind %d", c->text, c->kind);
		if (c->kind == SIM_REPLY_BAD)
			continue;
		assert_int_equal(r.port, c->port);
		assert_string_equal(r.host, c->host);
		assert_int_equal(r.code, c->code);
	}
	/* A NUL inside the datagram is not text we understand. */
	assert_int_equal(sim_reply_parse("c1 4\0000", 6, "c1", &r),
	    SIM_REPLY_BAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move_parse),
		cmocka_unit_test(test_attack_defaults),
		cmocka_unit_test(test_attack_options),
		cmocka_unit_test(test_attack_refused),
		cmocka_unit_test(test_relay_parse),
		cmocka_unit_test(test_relay_parse_proto),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_reply_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
