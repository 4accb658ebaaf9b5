/*
 * test_sim_metrics.c - rtproam-sim's packet markers and its counting:
 * what it sends must be valid RTP/RTCP to the relay's own classifier,
 * and the numbers it reports must follow from what arrived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "packet/rtp.h"
#include "sim_metrics.h"

static void
test_mark_roundtrip(void **state)
{
	struct sim_mark in = { 'B', 3, 123456, -500000 }, out;
	uint8_t buf[SIM_MARK_LEN];

	(void)state;
	sim_mark_put(buf, &in);
	assert_true(sim_mark_get(buf, sizeof(buf), &out));
	assert_int_equal(out.who, 'B');
	assert_int_equal(out.path, 3);
	assert_int_equal(out.index, 123456);
	assert_int_equal(out.sent_us, -500000);

	/* Too short, wrong magic, unknown sender: not a marker. */
	assert_false(sim_mark_get(buf, sizeof(buf) - 1, &out));
	buf[0] = 'X';
	assert_false(sim_mark_get(buf, sizeof(buf), &out));
	sim_mark_put(buf, &in);
	buf[4] = 'C';
	assert_false(sim_mark_get(buf, sizeof(buf), &out));
}

static void
test_rtp_build(void **state)
{
	struct sim_rtp h = { 0, 65535, 0xfffffff0u, 0x11223344u };
	struct sim_mark m = { 'A', 0, 7, 140000 }, out;
	struct rtp_info ri;
	uint8_t buf[256];
	size_t len;

	(void)state;
	len = sim_rtp_build(buf, sizeof(buf), &h, &m, 160);
	/* 172 bytes, like a real 20 ms PCMU packet. */
	assert_int_equal(len, 172);
	assert_int_equal(rtp_classify(buf, len, &ri), PKT_RTP);
	assert_int_equal(ri.pt, 0);
	assert_int_equal(ri.seq, 65535);
	assert_int_equal(ri.ts, 0xfffffff0u);
	assert_int_equal(ri.ssrc, 0x11223344u);
	assert_int_equal(ri.payload_len, 160);
	assert_true(sim_mark_get(buf + ri.hdr_len, ri.payload_len, &out));
	assert_int_equal(out.index, 7);
	assert_int_equal(buf[len - 1], 0xff);

	assert_int_equal(sim_rtp_build(buf, 100, &h, &m, 160), 0);
	assert_int_equal(sim_rtp_build(buf, sizeof(buf), &h, &m, 10), 0);
}

static void
test_rtcp_build(void **state)
{
	struct sim_sr sr = { 0xdeadbeefu, 0x0123456789abcdefULL, 1000, 50,
	    8000 };
	struct sim_mark m = { 'X', 2, 4000000000u, 1234567890123LL }, out;
	struct rtp_info ri;
	uint8_t buf[256];
	size_t len;

	(void)state;
	len = sim_rtcp_build(buf, sizeof(buf), &sr, &m);
	assert_true(len > 28);
	assert_int_equal(len % 4, 0);
	/* The relay sees an SR from the right sender. */
	assert_int_equal(rtp_classify(buf, len, &ri), PKT_RTCP);
	assert_int_equal(ri.rtcp_type, 200);
	assert_int_equal(ri.ssrc, 0xdeadbeefu);
	assert_true(sim_rtcp_mark(buf, len, &out));
	assert_int_equal(out.who, 'X');
	assert_int_equal(out.path, 2);
	assert_int_equal(out.index, 4000000000u);
	assert_int_equal(out.sent_us, 1234567890123LL);

	/* Cut anywhere, the compound is refused or has no marker. */
	for (size_t n = 0; n < len; n++)
		assert_false(sim_rtcp_mark(buf, n, &out));
	/* An SR alone (no SDES) carries no marker. */
	assert_false(sim_rtcp_mark(buf, 28, &out));
	/* A CNAME that is not ours. */
	memcpy(buf + 38, "XSIM", 4);
	assert_false(sim_rtcp_mark(buf, len, &out));

	assert_int_equal(sim_rtcp_build(buf, 40, &sr, &m), 0);
}

static void
test_percentile(void **state)
{
	int64_t one[] = { 42 };
	int64_t v[100];
	size_t i;

	(void)state;
	assert_int_equal(sim_percentile(one, 1, 50), 42);
	assert_int_equal(sim_percentile(one, 1, 99), 42);
	/* 100..1 reversed: nearest rank gives exactly the pct-th value. */
	for (i = 0; i < 100; i++)
		v[i] = (int64_t)(100 - i);
	assert_int_equal(sim_percentile(v, 100, 50), 50);
	assert_int_equal(sim_percentile(v, 100, 99), 99);
	assert_int_equal(sim_percentile(v, 100, 100), 100);
	assert_int_equal(sim_percentile(v, 100, 1), 1);
	/* Small samples round the rank up. */
	{
		int64_t w[] = { 30, 10, 20 };

		assert_int_equal(sim_percentile(w, 3, 50), 20);
		assert_int_equal(sim_percentile(w, 3, 99), 30);
	}
}

static void
test_flow_counts(void **state)
{
	struct sim_flow f;
	struct sim_flow_sum s;
	int i;

	(void)state;
	assert_int_equal(sim_flow_init(&f, 10), 0);
	/* Ten packets 20 ms apart. */
	for (i = 0; i < 10; i++)
		assert_int_equal(sim_flow_sent(&f, i * 20000, i < 5 ? 0 : 1),
		    i);
	assert_int_equal(sim_flow_sent(&f, 200000, 1), -1);

	/* 0..3 arrive 1 ms late, 4..6 are lost, 7..9 arrive 3 ms late. */
	for (i = 0; i < 4; i++)
		assert_int_equal(sim_flow_rx(&f, (uint32_t)i, i * 20000 + 1000),
		    SIM_RX_FIRST);
	for (i = 7; i < 10; i++)
		assert_int_equal(sim_flow_rx(&f, (uint32_t)i, i * 20000 + 3000),
		    SIM_RX_FIRST);
	/* A duplicate of 8, and an index nobody sent. */
	assert_int_equal(sim_flow_rx(&f, 8, 999999), SIM_RX_DUP);
	assert_int_equal(sim_flow_rx(&f, 10, 999999), SIM_RX_BOGUS);
	assert_int_equal(sim_flow_rx(&f, UINT32_MAX, 999999), SIM_RX_BOGUS);

	assert_int_equal(sim_flow_summary(&f, &s), 0);
	assert_int_equal(s.sent, 10);
	assert_int_equal(s.received, 7);
	assert_int_equal(s.lost, 3);
	assert_int_equal(s.dups, 1);
	assert_int_equal(s.nlat, 7);
	/* The duplicate's late arrival does not count as latency. */
	assert_int_equal(s.p50_us, 1000);
	assert_int_equal(s.p99_us, 3000);
	assert_int_equal(f.bogus, 2);

	/* Windows are [t0, t1). */
	assert_int_equal(sim_flow_sent_between(&f, 0, 200000), 10);
	assert_int_equal(sim_flow_sent_between(&f, 80000, 140000), 3);
	assert_int_equal(sim_flow_lost_between(&f, 80000, 140000), 3);
	assert_int_equal(sim_flow_lost_between(&f, 60000, 80000), 0);
	assert_int_equal(sim_flow_lost_between(&f, 0, 200000), 3);
	sim_flow_free(&f);
}

static void
test_flow_empty(void **state)
{
	struct sim_flow f;
	struct sim_flow_sum s;

	(void)state;
	assert_int_equal(sim_flow_init(&f, 4), 0);
	assert_int_equal(sim_flow_summary(&f, &s), 0);
	assert_int_equal(s.sent, 0);
	assert_int_equal(s.nlat, 0);
	assert_int_equal(sim_flow_rx(&f, 0, 0), SIM_RX_BOGUS);
	sim_flow_free(&f);
	/* Freeing twice is harmless: the struct is zeroed. */
	sim_flow_free(&f);
}

/*
 * A move at 1000 ms, 20 ms packets both ways. The mover's packets 50..
 * leave from the new address (path 1); the relay drops the first two of
 * them and delivers from 52 on; the peer's packets reach the new
 * address from its index 53 on.
 */
static void
move_fixture(struct sim_flow *mover, struct sim_flow *peer,
    struct sim_move_obs *o)
{
	int i;

	assert_int_equal(sim_flow_init(mover, 100), 0);
	assert_int_equal(sim_flow_init(peer, 100), 0);
	for (i = 0; i < 100; i++) {
		sim_flow_sent(mover, i * 20000, i < 50 ? 0 : 1);
		sim_flow_sent(peer, i * 20000 + 5000, 0);
	}
	sim_move_obs_init(o, 1000000, 2000000, 1);
	o->first_tx_idx = 50;
	o->first_tx_us = 1000000;
	for (i = 0; i < 100; i++) {
		if (i != 50 && i != 51)
			sim_flow_rx(mover, (uint32_t)i, i * 20000 + 100);
		/* 50 (sent 1005 ms) .. 52 went to the old address. */
		if (i < 50 || i > 52)
			sim_flow_rx(peer, (uint32_t)i, i * 20000 + 5100);
	}
	o->first_rx_idx = 52;
	o->first_rx_us = 52 * 20000 + 100;
	o->first_dl_idx = 53;
	o->first_dl_us = 53 * 20000 + 5100;
}

static void
test_switch_measure(void **state)
{
	struct sim_flow mover, peer;
	struct sim_move_obs o;
	struct sim_switch sw;

	(void)state;
	move_fixture(&mover, &peer, &o);
	sim_switch_measure(&mover, &peer, &o, 100000, &sw);
	assert_true(sw.up);
	assert_int_equal(sw.up_pkts, 2);
	assert_int_equal(sw.up_us, 40100);
	assert_true(sw.down);
	/* Peer packets 50, 51, 52 were sent after 1000 ms and missed it. */
	assert_int_equal(sw.down_pkts, 3);
	assert_int_equal(sw.down_us, 65100);
	/* +-100 ms: mover 45..54 (two lost), peer sent 905..1085 ms. */
	assert_int_equal(sw.lost_up, 2);
	assert_int_equal(sw.lost_down, 3);

	/* Nothing ever arrived from or at the new address. */
	o.first_rx_idx = o.first_dl_idx = -1;
	sim_switch_measure(&mover, &peer, &o, 100000, &sw);
	assert_false(sw.up);
	assert_int_equal(sw.up_pkts, 50);
	assert_false(sw.down);
	/* Peer packets sent in [1000, 2000) ms: 50..99. */
	assert_int_equal(sw.down_pkts, 50);

	/* The mover never sent from the new address (the run ended). */
	o.first_tx_idx = -1;
	sim_switch_measure(&mover, &peer, &o, 100000, &sw);
	assert_false(sw.up);
	assert_false(sw.down);
	assert_int_equal(sw.down_pkts, 0);
	sim_flow_free(&mover);
	sim_flow_free(&peer);
}

/* A relay that follows on signalling delivers before the first packet. */
static void
test_switch_negative(void **state)
{
	struct sim_flow mover, peer;
	struct sim_move_obs o;
	struct sim_switch sw;

	(void)state;
	move_fixture(&mover, &peer, &o);
	o.first_dl_idx = 49;
	o.first_dl_us = 995100;
	sim_switch_measure(&mover, &peer, &o, 0, &sw);
	assert_true(sw.down);
	assert_int_equal(sw.down_us, -4900);
	assert_int_equal(sw.down_pkts, 0);
	assert_int_equal(sw.lost_up, 0);
	assert_int_equal(sw.lost_down, 0);
	sim_flow_free(&mover);
	sim_flow_free(&peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_roundtrip),
		cmocka_unit_test(test_rtp_build),
		cmocka_unit_test(test_rtcp_build),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_flow_counts),
		cmocka_unit_test(test_flow_empty),
		cmocka_unit_test(test_switch_measure),
		cmocka_unit_test(test_switch_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
