/*
 * test_fastpath_entry.c - which leg states give a kernel map entry, and
 * the entry they give: one row per situation, from a verified call whose
 * entry is checked field by field to every reason to keep packets up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "kernel/fastpath_entry.h"

static struct addr
v4(const char *ip, uint16_t port)
{
	struct addr a;

	assert_int_equal(addr_parse(&a, ip, port, AF_INET), 0);
	return a;
}

/* Phone A at 198.18.0.2:4000 sends to the relay's 198.18.0.1:30000; leg B sends from :30002 to phone B. */
static struct fp_leg_input
verified_call(void)
{
	struct fp_leg_input in;

	memset(&in, 0, sizeof(in));
	in.rx.local = v4("198.18.0.1", 30000);
	in.rx.peer = v4("198.18.0.2", 4000);
	in.rx.verified = true;
	in.rx.ifindex = 2;
	in.tx.local = v4("198.18.0.1", 30002);
	in.tx.peer = v4("198.18.1.2", 5000);
	in.tx.verified = true;
	in.tx.ifindex = 3;
	in.seq_valid = true;
	in.ssrc = 0x11223344u;
	in.pt = 0;
	in.pt_bits[0] = 1u | 1u << 8;	/* PCMU, PCMA */
	return in;
}

static void no_source(struct fp_leg_input *in) { in->rx.verified = false; }
static void no_peer(struct fp_leg_input *in) { addr_clear(&in->rx.peer); }
static void candidate(struct fp_leg_input *in) { in->rx.candidate = true; }
static void rx_held(struct fp_leg_input *in) { in->rx.held = true; }
static void tx_held(struct fp_leg_input *in) { in->tx.held = true; }
static void blocked(struct fp_leg_input *in) { in->rx.blocked = true; }
static void processed(struct fp_leg_input *in) { in->processed = true; }
static void no_dest(struct fp_leg_input *in) { addr_clear(&in->tx.peer); }
static void dest_any(struct fp_leg_input *in) { in->tx.peer = v4("0.0.0.0", 5000); }
static void no_route(struct fp_leg_input *in) { in->tx.ifindex = 0; }
static void v6_peer(struct fp_leg_input *in)
{
	assert_int_equal(addr_parse(&in->tx.peer, "2001:db8::2", 5000, AF_INET6), 0);
}
static void all_v6(struct fp_leg_input *in)
{
	assert_int_equal(addr_parse(&in->rx.local, "2001:db8::1", 30000, AF_INET6), 0);
	assert_int_equal(addr_parse(&in->rx.peer, "2001:db8::a", 4000, AF_INET6), 0);
	assert_int_equal(addr_parse(&in->tx.local, "2001:db8::1", 30002, AF_INET6), 0);
	assert_int_equal(addr_parse(&in->tx.peer, "2001:db8::b", 5000, AF_INET6), 0);
}
static void no_ssrc(struct fp_leg_input *in) { in->seq_valid = false; }
static void pt_not_allowed(struct fp_leg_input *in) { in->pt = 18; }
static void pt_event(struct fp_leg_input *in) { in->pt = 8; in->pt_no_jitter = true; }
static void pt_any(struct fp_leg_input *in) { in->pt = 96; in->pt_any = true; }
/* The other party not verified yet: the socket path sends to its signalled address too. */
static void tx_signalled(struct fp_leg_input *in) { in->tx.verified = false; }

struct entry_case {
	const char	*name;
	void		(*change)(struct fp_leg_input *);
	enum fp_verdict	 want;
};

static const struct entry_case cases[] = {
	{ "verified both ways", NULL, FP_ENTRY },
	{ "other party only signalled", tx_signalled, FP_ENTRY },
	{ "any payload type allowed", pt_any, FP_ENTRY },
	{ "source not verified", no_source, FP_NO_SOURCE },
	{ "no source at all", no_peer, FP_NO_SOURCE },
	{ "candidate in probation", candidate, FP_NO_CANDIDATE },
	{ "receiving party on hold", rx_held, FP_NO_HOLD },
	{ "sending party on hold", tx_held, FP_NO_HOLD },
	{ "media blocked", blocked, FP_NO_HOLD },
	{ "recording / jitter buffer / resizer", processed, FP_NO_PROCESSED },
	{ "no destination", no_dest, FP_NO_DEST },
	{ "destination 0.0.0.0 (rtpproxy hold)", dest_any, FP_NO_DEST },
	{ "no route to the destination", no_route, FP_NO_DEST },
	{ "IPv6 on both legs", all_v6, FP_ENTRY },
	{ "IPv4 to IPv6 (bridging)", v6_peer, FP_NO_FAMILY },
	{ "no SSRC seen yet", no_ssrc, FP_NO_STREAM },
	{ "payload type not in the call", pt_not_allowed, FP_NO_STREAM },
	{ "telephone-event type", pt_event, FP_NO_STREAM },
};

static void
test_verdicts(void **state)
{
	struct fp_leg_input in;
	struct fp_key key;
	struct fp_entry e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = verified_call();
		if (cases[i].change)
			cases[i].change(&in);
		if (fastpath_entry_build(&in, &key, &e) != cases[i].want)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name,
			    fastpath_verdict_name(fastpath_entry_build(&in, &key, &e)),
			    fastpath_verdict_name(cases[i].want));
	}
}

static void
test_entry_fields(void **state)
{
	struct fp_leg_input in = verified_call();
	struct fp_key key;
	struct fp_entry e;

	(void)state;
	memset(&e, 0xa5, sizeof(e));	/* the state part must stay as it was */
	assert_int_equal(fastpath_entry_build(&in, &key, &e), FP_ENTRY);
	assert_int_equal(key.family, AF_INET);
	assert_int_equal(key.addr[0], inet_addr("198.18.0.1"));
	assert_int_equal(key.addr[1] | key.addr[2] | key.addr[3], 0);
	assert_int_equal(key.port, htons(30000));
	assert_int_equal(e.match.src_addr[0], inet_addr("198.18.0.2"));
	assert_int_equal(e.match.src_port, htons(4000));
	assert_int_equal(e.match.ssrc, 0x11223344u);
	assert_int_equal(e.match.pt, 0);
	assert_int_equal(e.match.pt_bits[0], 1u | 1u << 8);
	assert_int_equal(e.match.pt_bits[1], 0);
	assert_int_equal(e.rw.src_addr[0], inet_addr("198.18.0.1"));
	assert_int_equal(e.rw.src_port, htons(30002));
	assert_int_equal(e.rw.dst_addr[0], inet_addr("198.18.1.2"));
	assert_int_equal(e.rw.dst_port, htons(5000));
	assert_int_equal(e.rw.ifindex, 3);
	assert_int_equal(e.st.packets, 0xa5a5a5a5a5a5a5a5ull);
}

static void
test_entry_fields_v6(void **state)
{
	struct fp_leg_input in = verified_call();
	struct fp_key key;
	struct fp_entry e;
	struct in6_addr a;

	(void)state;
	all_v6(&in);
	assert_int_equal(fastpath_entry_build(&in, &key, &e), FP_ENTRY);
	assert_int_equal(key.family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &a), 1);
	assert_memory_equal(key.addr, &a, 16);
	assert_int_equal(key.port, htons(30000));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::a", &a), 1);
	assert_memory_equal(e.match.src_addr, &a, 16);
	assert_int_equal(e.match.src_port, htons(4000));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::b", &a), 1);
	assert_memory_equal(e.rw.dst_addr, &a, 16);
	assert_int_equal(e.rw.dst_port, htons(5000));
	assert_int_equal(e.rw.src_port, htons(30002));
}

/* A switch of either side, or a new SSRC, must rewrite; a new counter must not. */
static void
test_differs(void **state)
{
	struct fp_leg_input in = verified_call();
	struct fp_key key;
	struct fp_entry a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(fastpath_entry_build(&in, &key, &a), FP_ENTRY);
	assert_int_equal(fastpath_entry_build(&in, &key, &b), FP_ENTRY);
	b.st.packets = 5;
	assert_false(fastpath_entry_differs(&a, &b));

	in.rx.peer = v4("198.18.0.9", 4000);		/* this party moved */
	assert_int_equal(fastpath_entry_build(&in, &key, &b), FP_ENTRY);
	assert_true(fastpath_entry_differs(&a, &b));

	in = verified_call();
	in.tx.peer = v4("198.18.1.9", 5000);		/* the other party moved */
	assert_int_equal(fastpath_entry_build(&in, &key, &b), FP_ENTRY);
	assert_true(fastpath_entry_differs(&a, &b));

	in = verified_call();
	in.ssrc = 0x55667788u;
	assert_int_equal(fastpath_entry_build(&in, &key, &b), FP_ENTRY);
	assert_true(fastpath_entry_differs(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_entry_fields),
		cmocka_unit_test(test_entry_fields_v6),
		cmocka_unit_test(test_differs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
