/*
 * test_sim_report.c - rtproam-sim's JSON: well formed, every key of the
 * contract present, nulls where there is nothing to say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_report.h"

static char *
render(const struct sim_report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (json)
		sim_report_json(f, r);
	else
		sim_report_table(f, r);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/*
 * Brackets balance outside strings, strings close, and no comma stands
 * before a closing bracket or after an opening one.
 */
static void
assert_well_formed(const char *s)
{
	char stack[32], prev = 0;
	int depth = 0;
	bool str = false;

	for (; *s != '\0'; s++) {
		if (str) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				str = false;
			continue;
		}
		switch (*s) {
		case '"':
			str = true;
			break;
		case '{':
		case '[':
			assert_true(depth < (int)sizeof(stack));
			stack[depth++] = *s;
			break;
		case '}':
		case ']':
			assert_true(depth > 0);
			assert_int_equal(stack[--depth], *s == '}' ? '{' : '[');
			assert_true(prev != ',');
			break;
		case ',':
			assert_true(prev != '{' && prev != '[' && prev != ',');
			break;
		}
		if (*s != ' ' && *s != '\n')
			prev = *s;
	}
	assert_false(str);
	assert_int_equal(depth, 0);
}

static void
base_report(struct sim_report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->relay, sizeof(r->relay), "127.0.0.1:22222");
	snprintf(r->callid, sizeof(r->callid), "c\"1\\x@h");
	snprintf(r->tag[0], sizeof(r->tag[0]), "ta");
	snprintf(r->tag[1], sizeof(r->tag[1]), "tb");
	r->setup = r->setup_done = true;
	r->teardown = 1;
	r->relay_port_a = 30000;
	r->relay_port_b = 30002;
	snprintf(r->media_addr, sizeof(r->media_addr), "127.0.0.1");
	r->duration_ms = 6000;
	r->rtcp_interval_ms = 1000;
	r->window_ms = 1000;
	r->dir[0].flow.sent = 300;
	r->dir[0].flow.received = 299;
	r->dir[0].flow.lost = 1;
	r->dir[0].flow.nlat = 299;
	r->dir[0].flow.p50_us = 120;
	r->dir[0].flow.p99_us = 2500;
}

static void
test_json_plain(void **state)
{
	static const char *const keys[] = {
		"\"version\": 1", "\"relay\": \"127.0.0.1:22222\"",
		"\"protocol\": \"rtpp\"", "\"callid\": \"c\\\"1\\\\x@h\"",
		"\"from_tag\"", "\"to_tag\"",
		"\"setup\": {", "\"done\": true", "\"relay_port_a\": 30000",
		"\"relay_port_b\": 30002", "\"media_addr\"",
		"\"teardown_ok\": true", "\"duration_ms\": 6000",
		"\"rtcp_interval_ms\": 1000", "\"window_ms\": 1000",
		"\"phones\": {", "\"a\": {", "\"b\": {", "\"addr\"", "\"ssrc\"",
		"\"final_addr\"", "\"final_ssrc\"", "\"send_errors\"",
		"\"directions\": {", "\"a_to_b\": {", "\"b_to_a\": {",
		"\"sent\": 300", "\"received\": 299", "\"lost\": 1",
		"\"duplicates\": 0", "\"latency_p50_ms\": 0.120",
		"\"latency_p99_ms\": 2.500", "\"latency_p50_ms\": null",
		"\"injected\": 0", "\"to_old\": 0", "\"echoed\": 0",
		"\"misrouted\": 0", "\"rtcp_sent\"", "\"rtcp_received\"",
		"\"rtcp_injected\"", "\"rtcp_to_old\"", "\"moves\": []",
		"\"attack\": null",
	};
	struct sim_report r;
	char *s;
	size_t i;

	(void)state;
	base_report(&r);
	s = render(&r, true);
	assert_well_formed(s);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strstr(s, keys[i]) == NULL)
			fail_msg("missing %s in\n%s", keys[i], s);
	free(s);

	s = render(&r, false);
	assert_non_null(strstr(s, "A->B"));
	assert_non_null(strstr(s, "teardown: ok"));
	assert_non_null(strstr(s, "relay 127.0.0.1:22222 (rtpp)"));
	free(s);
}

static void
test_json_moves_attack(void **state)
{
	static const char *const keys[] = {
		"\"at_ms\": 2000", "\"kind\": \"ipport\"", "\"phone\": \"b\"",
		"\"from\": \"127.0.0.3:20000\"", "\"to\": \"127.0.0.10:20002\"",
		"\"newssrc\": true", "\"overlap_ms\": 100", "\"silence_ms\": 0",
		"\"reinvite\": false", "\"reinvite_ok\": null",
		"\"uplink_switched\": true", "\"uplink_switch_pkts\": 3",
		"\"uplink_switch_ms\": 60.000", "\"downlink_switched\": false",
		"\"downlink_switch_ms\": null", "\"downlink_switch_pkts\": 150",
		"\"lost_up\": 3", "\"lost_down\": 50", "\"to_old_rtp\": 150",
		"\"to_old_rtcp\": 4", "\"rtcp_to_new\": 0",
		"\"rtcp_to_new_ok\": false", "\"rtcp_from_new\": 2",
		"\"reinvite_ok\": true", "\"rtcp_to_new_ok\": true",
		"\"attack\": {", "\"kind\": \"rtpflood\"",
		"\"from\": \"127.0.0.66\"", "\"ports\": 32", "\"rate\": 1000",
		"\"start_ms\": 0", "\"stop_ms\": 6000", "\"sent\": 6000",
		"\"leaked_rtp\": 7", "\"leaked_rtcp\": 0",
		"\"leaked_from_a\": 5",
		"\"leaked_from_b\": 2", "\"leaked_other\": 0",
		"\"injected_rtp\": 11", "\"injected_rtcp\": 0",
		"\"protocol\": \"ng\"",
	};
	struct sim_report r;
	struct sim_move_report *m;
	char err[128], *s;
	size_t i;

	(void)state;
	base_report(&r);
	/* A reinvite over ng: the report names the protocol it used. */
	r.protocol = SIM_PROTO_NG;
	r.nmoves = 2;
	m = &r.move[0];
	assert_int_equal(sim_move_parse("2000:ipport:newssrc:overlap=100",
	    &m->spec, err, sizeof(err)), 0);
	m->phone = 'b';
	snprintf(m->from, sizeof(m->from), "127.0.0.3:20000");
	snprintf(m->to, sizeof(m->to), "127.0.0.10:20002");
	m->reinvite_ok = -1;
	m->sw.up = true;
	m->sw.up_pkts = 3;
	m->sw.up_us = 60000;
	m->sw.down_pkts = 150;
	m->sw.lost_up = 3;
	m->sw.lost_down = 50;
	m->to_old_rtp = 150;
	m->to_old_rtcp = 4;
	m->rtcp_from_new = 2;
	m = &r.move[1];
	assert_int_equal(sim_move_parse("4000:back:reinvite", &m->spec, err,
	    sizeof(err)), 0);
	m->phone = 'b';
	m->reinvite_ok = 1;
	m->rtcp_to_new = 1;

	r.attack = true;
	assert_int_equal(sim_attack_parse("rtpflood", &r.atk.cfg, err,
	    sizeof(err)), 0);
	r.atk.stop_ms = 6000;
	r.atk.sent = 6000;
	r.atk.leaked_rtp = 7;
	r.atk.leaked_a = 5;
	r.atk.leaked_b = 2;
	r.atk.injected_rtp = 11;

	s = render(&r, true);
	assert_well_formed(s);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strstr(s, keys[i]) == NULL)
			fail_msg("missing %s in\n%s", keys[i], s);
	free(s);

	s = render(&r, false);
	assert_non_null(strstr(s, "move 2 at 4000 ms: phone B back"));
	assert_non_null(strstr(s, "downlink switch: NEVER"));
	assert_non_null(strstr(s, "LEAKED to attacker: rtp 7"));
	assert_non_null(strstr(s, "relay 127.0.0.1:22222 (ng)"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain),
		cmocka_unit_test(test_json_moves_attack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
