/*
 * test_stats.c - per-stream statistics: RFC 3550 A.1 sequence accounting
 * over wraps, reordering, duplicates, SSRC changes and restarts; A.8
 * jitter against a sequence worked out by hand; wire-byte overhead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "media/stats.h"

#define SSRC_A	0x11223344u
#define SSRC_B	0x55667788u

static struct rtp_info
mkpkt(uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt)
{
	struct rtp_info p;

	memset(&p, 0, sizeof(p));
	p.kind = PKT_RTP;
	p.pt = pt;
	p.seq = seq;
	p.ts = ts;
	p.ssrc = ssrc;
	p.hdr_len = 12;
	p.payload_len = 160;
	return p;
}

/* ---- sequence accounting ---------------------------------------------- */

struct seq_pkt {
	uint32_t	ssrc;		/* 0 means SSRC_A */
	uint16_t	seq;
};

struct seq_case {
	const char	*name;
	struct seq_pkt	 pkts[16];
	size_t		 n;
	uint64_t	 expected;
	uint64_t	 received;
	int64_t		 lost;
	uint64_t	 dup;
	uint64_t	 reordered;
	uint32_t	 max_gap;
	uint32_t	 ssrc_changes;
	uint32_t	 restarts;
	uint64_t	 ignored;
	uint32_t	 ext_max;	/* extended highest seq at the end */
};

#define P(s)		{ 0, (s) }
#define PB(s)		{ SSRC_B, (s) }

static const struct seq_case seq_cases[] = {
	{
		/* 65530..5 is 12 numbers; 65532 and 2 never come. */
		.name = "wrap with two losses",
		.pkts = { P(65530), P(65531), P(65533), P(65534), P(65535),
		    P(0), P(1), P(3), P(4), P(5) },
		.n = 10, .expected = 12, .received = 10, .lost = 2,
		.max_gap = 1, .ext_max = 65536 + 5,
	},
	{
		.name = "in order, no loss",
		.pkts = { P(1), P(2), P(3), P(4) },
		.n = 4, .expected = 4, .received = 4, .ext_max = 4,
	},
	{
		/* 13 before 12: a gap of one at the time, then filled. */
		.name = "one packet swapped",
		.pkts = { P(10), P(11), P(13), P(12), P(14) },
		.n = 5, .expected = 5, .received = 5, .reordered = 1,
		.max_gap = 1, .ext_max = 14,
	},
	{
		/* RFC counting: duplicates are received, loss goes < 0. */
		.name = "duplicates",
		.pkts = { P(10), P(11), P(11), P(12), P(10) },
		.n = 5, .expected = 3, .received = 5, .lost = -2, .dup = 2,
		.ext_max = 12,
	},
	{
		.name = "late then duplicated",
		.pkts = { P(5), P(7), P(6), P(6) },
		.n = 4, .expected = 3, .received = 4, .lost = -1, .dup = 1,
		.reordered = 1, .max_gap = 1, .ext_max = 7,
	},
	{
		/* The first two arrive swapped: the epoch widens back. */
		.name = "late packet older than the first",
		.pkts = { P(101), P(100), P(102) },
		.n = 3, .expected = 3, .received = 3, .reordered = 1,
		.ext_max = 102,
	},
	{
		.name = "reordered across the wrap",
		.pkts = { P(65534), P(0), P(65535), P(1) },
		.n = 4, .expected = 4, .received = 4, .reordered = 1,
		.max_gap = 1, .ext_max = 65537,
	},
	{
		/* 99 behind the highest is still inside MAX_MISORDER. */
		.name = "late by 99",
		.pkts = { P(1000), P(1100), P(1001) },
		.n = 3, .expected = 101, .received = 3, .lost = 98,
		.reordered = 1, .max_gap = 99, .ext_max = 1100,
	},
	{
		/* 100 behind is not: treated as a jump and ignored. */
		.name = "late by 100 is ignored",
		.pkts = { P(1000), P(1100), P(1000) },
		.n = 3, .expected = 101, .received = 2, .lost = 99,
		.max_gap = 99, .ignored = 1, .ext_max = 1100,
	},
	{
		.name = "long gap under MAX_DROPOUT",
		.pkts = { P(1), P(2), P(2002) },
		.n = 3, .expected = 2002, .received = 3, .lost = 1999,
		.max_gap = 1999, .ext_max = 2002,
	},
	{
		/* A stray far-off packet, then the stream goes on. */
		.name = "single big jump ignored",
		.pkts = { P(10), P(11), P(30000), P(12), P(13) },
		.n = 5, .expected = 4, .received = 4, .ignored = 1,
		.ext_max = 13,
	},
	{
		/*
		 * The sender restarts at 20000: the second packet confirms
		 * it. Epochs 10..12 and 20000..20002, nothing lost.
		 */
		.name = "dropout: sequence restart",
		.pkts = { P(10), P(11), P(12), P(20000), P(20001), P(20002) },
		.n = 6, .expected = 6, .received = 6, .restarts = 1,
		.ext_max = 20002,
	},
	{
		.name = "dropout backwards: restart",
		.pkts = { P(5000), P(5001), P(7), P(8), P(9) },
		.n = 5, .expected = 5, .received = 5, .restarts = 1,
		.ext_max = 9,
	},
	{
		/* A: 1..5 without 3, B: 1000..1002. Totals carry over. */
		.name = "SSRC change keeps totals",
		.pkts = { P(1), P(2), P(4), P(5), PB(1000), PB(1001),
		    PB(1002) },
		.n = 7, .expected = 8, .received = 7, .lost = 1,
		.max_gap = 1, .ssrc_changes = 1, .ext_max = 1002,
	},
	{
		/* The new source's numbers overlap the old: no duplicates. */
		.name = "SSRC change to overlapping numbers",
		.pkts = { P(1), P(2), P(3), PB(2), PB(3), PB(4) },
		.n = 6, .expected = 6, .received = 6, .ssrc_changes = 1,
		.ext_max = 4,
	},
};

static void
test_seq_table(void **state)
{
	struct stream_stats st;
	struct stats_report r;
	struct rtp_info pkt;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
		const struct seq_case *c = &seq_cases[i];

		print_message("case: %s\n", c->name);
		stats_init(&st, AF_INET);
		for (j = 0; j < c->n; j++) {
			pkt = mkpkt(c->pkts[j].ssrc ? c->pkts[j].ssrc : SSRC_A,
			    c->pkts[j].seq, 160 * (uint32_t)j, 0);
			stats_on_rtp(&st, &pkt, 172, 20000 * (uint64_t)j);
		}
		stats_snapshot(&st, 1000000, &r);
		assert_int_equal(r.rx_packets, c->n);
		assert_int_equal(r.expected, c->expected);
		assert_int_equal(r.received, c->received);
		assert_int_equal(r.lost, c->lost);
		assert_int_equal(r.duplicates, c->dup);
		assert_int_equal(r.reordered, c->reordered);
		assert_int_equal(r.max_gap, c->max_gap);
		assert_int_equal(r.ssrc_changes, c->ssrc_changes);
		assert_int_equal(r.seq_restarts, c->restarts);
		assert_int_equal(r.seq_ignored, c->ignored);
		assert_int_equal(r.ext_max_seq, c->ext_max);
	}
}

/* Loss over 200000 packets with many wraps: 1 in 100 missing. */
static void
test_seq_many_wraps(void **state)
{
	struct stream_stats st;
	struct stats_report r;
	struct rtp_info pkt;
	uint32_t i;

	(void)state;
	stats_init(&st, AF_INET);
	for (i = 0; i < 200000; i++) {
		if (i % 100 == 50)
			continue;
		pkt = mkpkt(SSRC_A, (uint16_t)(i + 60000), i * 160, 0);
		stats_on_rtp(&st, &pkt, 172, (uint64_t)i * 20000);
	}
	stats_snapshot(&st, 0, &r);
	assert_int_equal(r.expected, 200000);
	assert_int_equal(r.lost, 2000);
	assert_int_equal(r.ext_max_seq, 60000 + 199999);
	assert_true(fabs(r.loss_pct - 1.0) < 1e-9);
}

/*
 * Interval loss per RFC 3550 A.3, between two snapshots:
 * 1..10 without 3 and 4, then 11..20 without 15.
 */
static void
test_interval(void **state)
{
	struct stream_stats st;
	struct stats_report r0, r1, r2;
	struct stats_delta d;
	struct rtp_info pkt;
	uint16_t s;

	(void)state;
	stats_init(&st, AF_INET);
	stats_snapshot(&st, 0, &r0);
	for (s = 1; s <= 10; s++) {
		if (s == 3 || s == 4)
			continue;
		pkt = mkpkt(SSRC_A, s, s * 160u, 0);
		stats_on_rtp(&st, &pkt, 172, s * 20000u);
		stats_on_relayed(&st, 172);
	}
	stats_snapshot(&st, 200000, &r1);
	stats_interval(&r0, &r1, &d);
	assert_int_equal(d.expected, 10);
	assert_int_equal(d.lost, 2);
	assert_int_equal(d.fraction_lost, (2 << 8) / 10);	/* 51 */
	/* 8 packets of 218 bytes on the wire in 0.2 s. */
	assert_true(fabs(d.rx_kbps - 8 * 218 * 8 / 200.0) < 1e-9);
	assert_true(fabs(d.relayed_kbps - d.rx_kbps) < 1e-9);

	for (s = 11; s <= 20; s++) {
		if (s == 15)
			continue;
		pkt = mkpkt(SSRC_A, s, s * 160u, 0);
		stats_on_rtp(&st, &pkt, 172, s * 20000u);
	}
	stats_snapshot(&st, 400000, &r2);
	stats_interval(&r1, &r2, &d);
	assert_int_equal(d.expected, 10);
	assert_int_equal(d.lost, 1);
	assert_int_equal(d.fraction_lost, 25);		/* 256 / 10 */
	assert_true(fabs(d.loss_pct - 10.0) < 1e-9);
	assert_true(fabs(d.relayed_kbps) < 1e-9);
	assert_int_equal(r2.lost, 3);

	/* Duplicates that outnumber the losses: fraction 0, not negative. */
	pkt = mkpkt(SSRC_A, 20, 0, 0);
	stats_on_rtp(&st, &pkt, 172, 420000);
	stats_on_rtp(&st, &pkt, 172, 420000);
	stats_snapshot(&st, 500000, &r1);
	stats_interval(&r2, &r1, &d);
	assert_int_equal(d.expected, 0);
	assert_int_equal(d.lost, -2);
	assert_int_equal(d.fraction_lost, 0);
}

/* ---- jitter ------------------------------------------------------------ */

/*
 * RFC 3550 A.8 by hand. 8000 Hz clock, one packet per 20 ms, so
 * timestamps step by 160 and 1 ms is 8 clock units. Each packet i is sent
 * at 20 i ms and delayed by extra_us on top of the first packet's delay:
 *
 *  i  arrival us  Rj-Ri   Sj-Si    D    |D|  J = J + (|D| - J)/16
 *  0       0        -       -      -     -   0
 *  1   24000      192     160     32    32   0 + 32/16            = 2
 *  2   44000      160     160      0     0   2 - 2/16             = 1.875
 *  3   70000      208     160     48    48   1.875 + 46.125/16    = 4.7578125
 *  4   80000       80     160    -80    80   4.7578125 + 75.2421875/16
 *                                                                 = 9.46044921875
 *  5  102000      176     160     16    16   9.46044921875 + 6.53955078125/16
 *                                                                 = 9.869171142578125
 *
 * In ms (divide by 8): 0, 0.25, 0.234375, 0.5947265625, 1.18255615234375,
 * 1.233646392822266. The fixed-point filter rounds J/16 to 1/256 of a
 * clock unit at each step; after five steps that is well under 1 us.
 */
#define JIT_TOL_MS	0.001
struct jit_step {
	uint64_t	arrival_us;
	double		j_ms;
};

static const struct jit_step jit_steps[] = {
	{ 0, 0.0 },
	{ 24000, 0.25 },
	{ 44000, 0.234375 },
	{ 70000, 0.5947265625 },
	{ 80000, 1.18255615234375 },
	{ 102000, 1.233646392822266 },
};

static void
run_jitter(uint8_t pt, uint32_t rate, uint32_t ts_step)
{
	struct stream_stats st;
	struct stats_report r;
	struct rtp_info pkt;
	double max = 0.0;
	size_t i;

	stats_init(&st, AF_INET);
	if (pt >= 96)
		assert_int_equal(stats_set_clock(&st, pt, rate), 0);
	for (i = 0; i < sizeof(jit_steps) / sizeof(jit_steps[0]); i++) {
		pkt = mkpkt(SSRC_A, (uint16_t)(1000 + i),
		    0xfffffe00u + ts_step * (uint32_t)i, pt);
		stats_on_rtp(&st, &pkt, 172, 5000000000ull +
		    jit_steps[i].arrival_us);
		print_message("pt %u step %zu: J %.6f ms, want %.6f\n", pt, i,
		    stats_jitter_ms(&st), jit_steps[i].j_ms);
		assert_true(fabs(stats_jitter_ms(&st) - jit_steps[i].j_ms) <
		    JIT_TOL_MS);
		if (jit_steps[i].j_ms > max)
			max = jit_steps[i].j_ms;
	}
	assert_true(fabs(stats_max_jitter_ms(&st) - max) < JIT_TOL_MS);
	stats_snapshot(&st, 0, &r);
	/* RR jitter field: J in clock units, 9.87 at 8 kHz. */
	assert_int_equal(r.jitter,
	    (uint32_t)lround(1.233646392822266 * rate / 1000));
}

static void
test_jitter_hand(void **state)
{
	(void)state;
	/* The timestamps start near 2^32 and wrap on the way. */
	run_jitter(0, 8000, 160);		/* PCMU */
	run_jitter(9, 8000, 160);		/* G.722: RTP clock 8000 */
	run_jitter(111, 48000, 960);		/* Opus, told by SDP */
	run_jitter(96, 16000, 320);
}

/*
 * Comfort noise (PT 13, 8000 Hz) between PCMU packets shares their
 * timeline: the next packet still gives a sample. A switch to Opus at
 * 48 kHz restarts the baseline and rescales J, so in ms nothing moves.
 */
static void
test_jitter_pt_switch(void **state)
{
	struct stream_stats st;
	struct rtp_info pkt;
	double j5 = 1.233646392822266, want;
	size_t i;

	(void)state;
	stats_init(&st, AF_INET);
	assert_int_equal(stats_set_clock(&st, 111, 48000), 0);
	for (i = 0; i < 6; i++) {
		pkt = mkpkt(SSRC_A, (uint16_t)i, 160 * (uint32_t)i, 0);
		stats_on_rtp(&st, &pkt, 172, jit_steps[i].arrival_us);
	}
	/* Step 6, CN, exactly on time after step 5: D = 0. */
	pkt = mkpkt(SSRC_A, 6, 160 * 6, 13);
	stats_on_rtp(&st, &pkt, 20, 122000);
	want = j5 - j5 / 16;
	assert_true(fabs(stats_jitter_ms(&st) - want) < JIT_TOL_MS);
	/* Opus: no sample from the first packet, J only converted. */
	pkt = mkpkt(SSRC_A, 7, 123456, 111);
	stats_on_rtp(&st, &pkt, 100, 150000);
	assert_true(fabs(stats_jitter_ms(&st) - want) < JIT_TOL_MS);
	assert_int_equal(st.jitter_rate, 48000);
	pkt = mkpkt(SSRC_A, 8, 123456 + 960, 111);
	stats_on_rtp(&st, &pkt, 100, 170000);
	want -= want / 16;
	assert_true(fabs(stats_jitter_ms(&st) - want) < JIT_TOL_MS);
}

/* Perfectly paced packets: jitter stays 0. */
static void
test_jitter_zero(void **state)
{
	struct stream_stats st;
	struct rtp_info pkt;
	uint32_t i;

	(void)state;
	stats_init(&st, AF_INET6);
	for (i = 0; i < 500; i++) {
		pkt = mkpkt(SSRC_A, (uint16_t)i, i * 160, 8);
		stats_on_rtp(&st, &pkt, 172, 1000000 + (uint64_t)i * 20000);
	}
	assert_true(stats_jitter_ms(&st) == 0.0);
}

/* A constant |D| of 2 ms settles J at 2 ms (the filter's fixed point). */
static void
test_jitter_converges(void **state)
{
	struct stream_stats st;
	struct rtp_info pkt;
	uint64_t t = 0;
	uint32_t i;

	(void)state;
	stats_init(&st, AF_INET);
	for (i = 0; i < 400; i++) {
		pkt = mkpkt(SSRC_A, (uint16_t)i, i * 160, 0);
		stats_on_rtp(&st, &pkt, 172, t);
		t += (i & 1) ? 18000 : 22000;	/* D = +-16 units */
	}
	assert_true(fabs(stats_jitter_ms(&st) - 2.0) < 0.01);
}

/*
 * RFC 4733 events repeat the start timestamp; left in, they would read as
 * 20 ms of extra transit per packet. Marked as events, they do nothing.
 */
static void
test_jitter_events(void **state)
{
	struct stream_stats st;
	struct rtp_info pkt;
	uint32_t i;

	(void)state;
	stats_init(&st, AF_INET);
	stats_set_event_pt(&st, 101);
	for (i = 0; i < 50; i++) {
		pkt = mkpkt(SSRC_A, (uint16_t)i, i < 20 ? i * 160 : 20 * 160,
		    i < 20 || i >= 30 ? 0 : 101);
		if (i >= 30)
			pkt.ts = i * 160;
		stats_on_rtp(&st, &pkt, 172, (uint64_t)i * 20000);
	}
	assert_true(stats_jitter_ms(&st) == 0.0);
	assert_true(stats_max_jitter_ms(&st) == 0.0);
}

/* A new SSRC has its own timestamp origin: no jump in J. */
static void
test_jitter_ssrc_change(void **state)
{
	struct stream_stats st;
	struct rtp_info pkt;
	uint32_t i;

	(void)state;
	stats_init(&st, AF_INET);
	for (i = 0; i < 20; i++) {
		pkt = mkpkt(i < 10 ? SSRC_A : SSRC_B, (uint16_t)(i * 7),
		    i < 10 ? i * 160 : 0x40000000u + i * 160, 0);
		if (i >= 10)
			pkt.seq = (uint16_t)(30000 + i);
		stats_on_rtp(&st, &pkt, 172, (uint64_t)i * 20000);
	}
	assert_true(stats_jitter_ms(&st) == 0.0);
}

static void
test_clock_rates(void **state)
{
	struct stream_stats st;
	unsigned pt;

	(void)state;
	stats_init(&st, AF_INET);
	assert_int_equal(stats_clock_rate(&st, 0), 8000);
	assert_int_equal(stats_clock_rate(&st, 3), 8000);
	assert_int_equal(stats_clock_rate(&st, 4), 8000);
	assert_int_equal(stats_clock_rate(&st, 8), 8000);
	assert_int_equal(stats_clock_rate(&st, 9), 8000);
	assert_int_equal(stats_clock_rate(&st, 10), 44100);
	assert_int_equal(stats_clock_rate(&st, 11), 44100);
	assert_int_equal(stats_clock_rate(&st, 13), 8000);
	assert_int_equal(stats_clock_rate(&st, 18), 8000);
	assert_int_equal(stats_clock_rate(&st, 34), 90000);
	assert_int_equal(stats_clock_rate(&st, 96), STATS_DEFAULT_CLOCK);

	assert_int_equal(stats_set_clock(&st, 111, 48000), 0);
	assert_int_equal(stats_clock_rate(&st, 111), 48000);
	assert_int_equal(stats_set_clock(&st, 111, 16000), 0);
	assert_int_equal(stats_clock_rate(&st, 111), 16000);
	assert_int_equal(stats_set_clock(&st, 128, 8000), -1);
	for (pt = 96; pt < 96 + STATS_CLOCK_SLOTS - 1; pt++)
		assert_int_equal(stats_set_clock(&st, pt, 16000), 0);
	assert_int_equal(stats_set_clock(&st, 120, 16000), -1);	/* full */
	assert_int_equal(stats_set_clock(&st, 111, 0), 0);		/* free one */
	assert_int_equal(stats_clock_rate(&st, 111), STATS_DEFAULT_CLOCK);
	assert_int_equal(stats_set_clock(&st, 120, 16000), 0);
	assert_int_equal(stats_set_clock(&st, 121, 0), 0);		/* no-op */
}

/* ---- bytes and drops --------------------------------------------------- */

struct wire_case {
	int		 family;
	int		 l2;		/* -1: default */
	int		 tx_family;	/* 0: same */
	size_t		 udp_len;
	uint64_t	 rx_wire;
	uint64_t	 tx_wire;
};

static const struct wire_case wire_cases[] = {
	/* G.711 20 ms: 160 + RTP 12 = 172; +8 +20 +18 = 218. */
	{ AF_INET, -1, 0, 172, 218, 218 },
	{ AF_INET6, -1, 0, 172, 238, 238 },
	{ AF_INET, 0, 0, 172, 200, 200 },
	{ AF_INET, 22, AF_INET6, 172, 222, 242 },
	{ AF_INET6, -1, AF_INET, 32, 98, 78 },
};

static void
test_wire_bytes(void **state)
{
	struct stream_stats st;
	struct stats_report r0, r1;
	struct stats_delta d;
	struct rtp_info pkt;
	size_t i;
	uint16_t s;

	(void)state;
	for (i = 0; i < sizeof(wire_cases) / sizeof(wire_cases[0]); i++) {
		const struct wire_case *c = &wire_cases[i];

		stats_init(&st, c->family);
		if (c->l2 >= 0)
			stats_set_link_overhead(&st, (unsigned)c->l2);
		if (c->tx_family != 0)
			stats_set_tx_family(&st, c->tx_family);
		pkt = mkpkt(SSRC_A, 1, 0, 0);
		stats_on_rtp(&st, &pkt, c->udp_len, 0);
		stats_on_relayed(&st, c->udp_len);
		assert_int_equal(st.rx_bytes, c->udp_len);
		assert_int_equal(st.rx_wire_bytes, c->rx_wire);
		assert_int_equal(st.relayed_wire_bytes, c->tx_wire);
	}
	assert_int_equal(stats_wire_bytes(172, AF_INET, STATS_L2_ETHERNET), 218);
	assert_int_equal(stats_wire_bytes(172, AF_INET6, STATS_L2_ETHERNET), 238);

	/* One second of G.711 at 20 ms: 87.2 kbit/s, as every table says. */
	stats_init(&st, AF_INET);
	stats_snapshot(&st, 0, &r0);
	for (s = 0; s < 50; s++) {
		pkt = mkpkt(SSRC_A, s, s * 160u, 0);
		stats_on_rtp(&st, &pkt, 172, s * 20000u);
	}
	stats_snapshot(&st, 1000000, &r1);
	stats_interval(&r0, &r1, &d);
	assert_true(fabs(d.rx_kbps - 87.2) < 1e-9);
	assert_true(fabs(stats_kbps(238 * 50, 1000000) - 95.2) < 1e-9);
	assert_true(stats_kbps(1000, 0) == 0.0);
}

static void
test_drops_and_rtcp(void **state)
{
	struct stream_stats st;
	struct stats_report r;

	(void)state;
	stats_init(&st, AF_INET);
	stats_drop(&st, 0, 100);
	stats_drop(&st, 2, 50);
	stats_drop(&st, 2, 60);
	stats_drop(&st, 999, 10);	/* out of range: the last slot */
	stats_on_rtcp(&st, 52);
	assert_int_equal(st.drop_packets[2], 2);
	assert_int_equal(st.drop_bytes[2], 110);
	assert_int_equal(st.drop_packets[STATS_DROP_MAX - 1], 1);
	assert_int_equal(st.rtcp_packets, 1);
	assert_int_equal(st.rx_wire_bytes, 52 + 46);
	stats_snapshot(&st, 0, &r);
	assert_int_equal(r.dropped_packets, 4);
	/* Nothing sequenced yet: no expectations, no loss. */
	assert_int_equal(r.expected, 0);
	assert_int_equal(r.lost, 0);
	assert_true(r.loss_pct == 0.0);
	assert_true(r.jitter_ms == 0.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_table),
		cmocka_unit_test(test_seq_many_wraps),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_jitter_hand),
		cmocka_unit_test(test_jitter_pt_switch),
		cmocka_unit_test(test_jitter_zero),
		cmocka_unit_test(test_jitter_converges),
		cmocka_unit_test(test_jitter_events),
		cmocka_unit_test(test_jitter_ssrc_change),
		cmocka_unit_test(test_clock_rates),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_drops_and_rtcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
