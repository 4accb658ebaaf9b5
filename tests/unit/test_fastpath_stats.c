/*
 * test_fastpath_stats.c - seeding a kernel entry from a stream's
 * statistics and folding the kernel's work back, without a kernel: a seed
 * folded unchanged changes nothing; what the kernel added is added once,
 * and folding the same state twice adds nothing more. (With the real
 * program, test_fastpath_prog compares the result with the socket path.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "media/fastpath_stats.h"

static void
stream_of(struct stream_stats *st, unsigned n)
{
	struct rtp_info p;
	unsigned i;

	stats_init(st, AF_INET);
	memset(&p, 0, sizeof(p));
	p.kind = PKT_RTP;
	p.ssrc = 0x11223344u;
	p.hdr_len = 12;
	p.payload_len = 160;
	for (i = 0; i < n; i++) {
		p.seq = (uint16_t)(100 + i);
		p.ts = 160u * i;
		stats_on_rtp(st, &p, 172, 1000000u + 20000u * i);
	}
}

static void
test_seed_then_fold_unchanged(void **state)
{
	struct stream_stats st, before;
	struct fp_state seed;

	(void)state;
	stream_of(&st, 5);
	before = st;
	fastpath_stats_seed(&st, &seed);
	assert_int_equal(seed.packets, 0);
	assert_int_equal(seed.max_seq, 104);
	assert_int_equal(seed.ext_max, 104);
	assert_int_equal(seed.received, 5);
	assert_int_equal(seed.clock_mul, st.clock_mul);
	assert_int_equal(fastpath_stats_fold(&st, &seed, &seed), 0);
	assert_memory_equal(&st, &before, sizeof(st));
}

static void
test_fold_adds_once(void **state)
{
	struct stream_stats st;
	struct fp_state seed, cur;

	(void)state;
	stream_of(&st, 5);
	fastpath_stats_seed(&st, &seed);
	/* The kernel forwarded 105, 106, 108 (107 lost). */
	cur = seed;
	cur.packets = 3;
	cur.bytes = 3 * 172;
	cur.ext_max = 108;
	cur.max_seq = 108;
	cur.received = 8;
	cur.max_gap = 1;
	cur.jitter_q8 = 77;
	cur.max_jitter_q8 = 99;
	cur.last_arrival_us = 9000000;
	assert_int_equal(fastpath_stats_fold(&st, &seed, &cur), 3);
	assert_int_equal(st.rx_packets, 8);
	assert_int_equal(st.rx_bytes, 8 * 172);
	assert_int_equal(st.rx_wire_bytes, 8 * (172 + st.rx_overhead));
	assert_int_equal(st.relayed_packets, 3);
	assert_int_equal(st.ext_max, 108);
	assert_int_equal(st.max_seq, 108);
	assert_int_equal(st.received, 8);
	assert_int_equal(st.max_gap, 1);
	assert_int_equal(st.jitter_q8, 77);
	assert_int_equal(st.max_jitter_q8, 99);
	assert_int_equal(st.last_arrival_us, 9000000);
	/* Read again with nothing new: nothing more. */
	assert_int_equal(fastpath_stats_fold(&st, &cur, &cur), 0);
	assert_int_equal(st.rx_packets, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_then_fold_unchanged),
		cmocka_unit_test(test_fold_adds_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
