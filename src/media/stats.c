/*
 * stats.c - per-stream RTP statistics (RFC 3550 A.1, A.3, A.8).
 */
#include "media/stats.h"

#include <string.h>
#include <sys/socket.h>

#define SEQ_MOD		65536
/* bad_seq value that no 16-bit sequence number can match. */
#define SEQ_NONE	(SEQ_MOD + 1)

/*
 * |D| is capped so that J (which settles at 16 |D| in Q4, i.e. 256 |D|
 * in the Q8 accumulator) stays well inside 32 bits: 2^22 clock units is
 * over eight minutes at 8 kHz, far past anything that is still jitter.
 */
#define JIT_D_CAP_Q4	((uint64_t)1 << 26)
/*
 * Arrival gaps above this give no sample. It keeps gap * clock_mul below
 * 2^63 for clock rates up to 1 MHz, and a stream that paused for half an
 * hour says nothing about the network's jitter anyway.
 */
#define JIT_GAP_MAX_US	((uint64_t)1 << 31)
#define CLOCK_RATE_MAX	1000000u

/* RFC 3551 table 4 and 5; 0 where the type is unassigned or dynamic. */
static const uint32_t static_clock[35] = {
	[0] = 8000,	/* PCMU */
	[3] = 8000,	/* GSM */
	[4] = 8000,	/* G723 */
	[5] = 8000,	/* DVI4 */
	[6] = 16000,	/* DVI4 */
	[7] = 8000,	/* LPC */
	[8] = 8000,	/* PCMA */
	[9] = 8000,	/* G722: 8000 despite 16 kHz sampling (RFC 3551 4.5.2) */
	[10] = 44100,	/* L16 stereo */
	[11] = 44100,	/* L16 mono */
	[12] = 8000,	/* QCELP */
	[13] = 8000,	/* CN */
	[14] = 90000,	/* MPA */
	[15] = 8000,	/* G728 */
	[16] = 11025,	/* DVI4 */
	[17] = 22050,	/* DVI4 */
	[18] = 8000,	/* G729 */
	[25] = 90000,	/* CelB */
	[26] = 90000,	/* JPEG */
	[28] = 90000,	/* nv */
	[31] = 90000,	/* H261 */
	[32] = 90000,	/* MPV */
	[33] = 90000,	/* MP2T */
	[34] = 90000,	/* H263 */
};

static unsigned
ip_overhead(int family)
{
	return STATS_UDP_HDR +
	    (family == AF_INET6 ? STATS_IPV6_HDR : STATS_IPV4_HDR);
}

size_t
stats_wire_bytes(size_t udp_len, int family, unsigned l2)
{
	return udp_len + ip_overhead(family) + l2;
}

void
stats_init(struct stream_stats *st, int family)
{
	memset(st, 0, sizeof(*st));
	st->l2_overhead = STATS_L2_ETHERNET;
	st->rx_overhead = (uint16_t)(ip_overhead(family) + st->l2_overhead);
	st->tx_overhead = st->rx_overhead;
	st->bad_seq = SEQ_NONE;
}

void
stats_set_tx_family(struct stream_stats *st, int family)
{
	st->tx_overhead = (uint16_t)(ip_overhead(family) + st->l2_overhead);
}

void
stats_set_link_overhead(struct stream_stats *st, unsigned bytes)
{
	if (bytes > 1024)		/* nonsense; keep the sums sane */
		bytes = 1024;
	/* Swap the link part, keep whichever IP size each side has. */
	st->rx_overhead = (uint16_t)(st->rx_overhead - st->l2_overhead + bytes);
	st->tx_overhead = (uint16_t)(st->tx_overhead - st->l2_overhead + bytes);
	st->l2_overhead = (uint16_t)bytes;
}

uint32_t
stats_clock_rate(const struct stream_stats *st, unsigned pt)
{
	size_t i;

	for (i = 0; i < STATS_CLOCK_SLOTS; i++)
		if (st->clocks[i].rate != 0 && st->clocks[i].pt == pt)
			return st->clocks[i].rate;
	if (pt < sizeof(static_clock) / sizeof(static_clock[0]) &&
	    static_clock[pt] != 0)
		return static_clock[pt];
	return STATS_DEFAULT_CLOCK;
}

int
stats_set_clock(struct stream_stats *st, unsigned pt, uint32_t rate)
{
	struct stats_clock *slot = NULL;
	size_t i;

	if (pt > 127 || rate > CLOCK_RATE_MAX)
		return -1;
	for (i = 0; i < STATS_CLOCK_SLOTS; i++) {
		if (st->clocks[i].rate != 0 && st->clocks[i].pt == pt) {
			slot = &st->clocks[i];
			break;
		}
		if (slot == NULL && st->clocks[i].rate == 0)
			slot = &st->clocks[i];
	}
	if (slot == NULL)
		return rate == 0 ? 0 : -1;
	if (slot->rate == 0 && rate == 0)
		return 0;
	slot->pt = (uint8_t)pt;
	slot->rate = rate;
	/* Make the next packet look the rate up again. */
	if (st->pt == pt)
		st->clock_rate = 0;
	return 0;
}

void
stats_set_event_pt(struct stream_stats *st, unsigned pt)
{
	if (pt < 128)
		st->nojitter[pt >> 6] |= (uint64_t)1 << (pt & 63);
}

/*
 * The 128-bit window of received sequence numbers, bit i standing for
 * ext_max - i. It is what tells a duplicate from a late packet.
 */
static void
seen_advance(struct stream_stats *st, unsigned n)
{
	if (n >= 128) {
		st->seen[1] = 0;
		st->seen[0] = 0;
	} else if (n >= 64) {
		st->seen[1] = n == 64 ? st->seen[0] : st->seen[0] << (n - 64);
		st->seen[0] = 0;
	} else if (n > 0) {
		st->seen[1] = st->seen[1] << n | st->seen[0] >> (64 - n);
		st->seen[0] <<= n;
	}
	st->seen[0] |= 1;
}

/* Mark back (< 128) packets behind the highest; returns the old bit. */
static bool
seen_mark(struct stream_stats *st, unsigned back)
{
	uint64_t bit = (uint64_t)1 << (back & 63);
	uint64_t *w = &st->seen[back >> 6];
	bool was = (*w & bit) != 0;

	*w |= bit;
	return was;
}

static uint64_t
epoch_expected(const struct stream_stats *st)
{
	if (!st->seq_valid)
		return 0;
	return (uint64_t)(st->ext_max - st->ext_base + 1);
}

/*
 * Start a new epoch at seq, with `before` packets just ahead of it also
 * received (1 on a sequence restart: the packet that made the jump).
 */
static void
seq_start(struct stream_stats *st, uint32_t ssrc, uint16_t seq, unsigned before)
{
	st->prior_expected += epoch_expected(st);
	st->prior_received += st->received;
	st->seq_valid = true;
	st->ssrc = ssrc;
	st->max_seq = seq;
	st->ext_max = seq;
	st->ext_base = (int64_t)seq - before;
	st->bad_seq = SEQ_NONE;
	st->received = 1 + before;
	st->seen[0] = ((uint64_t)1 << (before + 1)) - 1;
	st->seen[1] = 0;
}

/*
 * RFC 3550 A.1 update_seq() without probation. Returns false for a packet
 * the accounting ignores (an unconfirmed big jump).
 */
static bool
seq_update(struct stream_stats *st, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - st->max_seq);
	unsigned back;

	if (udelta == 0) {
		st->received++;
		st->duplicates++;
		return true;
	}
	if (udelta < STATS_MAX_DROPOUT) {
		/* In order, with or without a gap; wraps are implicit. */
		st->ext_max += udelta;
		st->max_seq = seq;
		seen_advance(st, udelta);
		if ((uint32_t)udelta - 1 > st->max_gap)
			st->max_gap = (uint32_t)udelta - 1;
		st->received++;
		return true;
	}
	if (udelta <= SEQ_MOD - STATS_MAX_MISORDER) {
		/*
		 * A very large jump. Believe it only when the next packet
		 * follows on: the sender restarted its numbering.
		 */
		if (seq == st->bad_seq) {
			st->seq_restarts++;
			st->seq_ignored--;	/* the first one is counted now */
			seq_start(st, st->ssrc, seq, 1);
			return true;
		}
		st->bad_seq = (uint32_t)(seq + 1) & (SEQ_MOD - 1);
		st->seq_ignored++;
		return false;
	}
	/* Behind the highest by less than MAX_MISORDER: late or repeated. */
	back = SEQ_MOD - udelta;
	st->received++;
	if (seen_mark(st, back))
		st->duplicates++;
	else
		st->reordered++;
	/* A packet older than the first one seen widens the epoch. */
	if (st->ext_max - back < st->ext_base)
		st->ext_base = st->ext_max - back;
	return true;
}

/* Round-to-nearest of a * b / c without overflow for our ranges. */
static uint32_t
rescale(uint32_t v, uint32_t to, uint32_t from)
{
	uint64_t r = ((uint64_t)v * to + from / 2) / from;

	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* Runs only when the payload type changes, so it may divide. */
static void
clock_switch(struct stream_stats *st, uint8_t pt)
{
	uint32_t rate = stats_clock_rate(st, pt);

	st->pt = pt;
	st->clock_rate = rate;
	if (st->jitter_rate == rate)
		return;		/* e.g. CN between PCMU: one timeline */
	if (st->jitter_rate != 0) {
		st->jitter_q8 = rescale(st->jitter_q8, rate, st->jitter_rate);
		st->max_jitter_q8 = rescale(st->max_jitter_q8, rate,
		    st->jitter_rate);
	}
	st->jitter_rate = rate;
	st->clock_mul = (((uint64_t)rate << 32) + 500000) / 1000000;
	st->jit_valid = false;	/* timestamps of two clocks do not subtract */
}

/*
 * RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si) between consecutive arrivals,
 * J += (|D| - J) / 16. D is computed in Q4 clock units (arrival delta
 * scaled by clock_mul, a Q32 ticks-per-microsecond), J kept in Q8, so
 * J_q8 += |D|_q4 - J_q8 / 16 is the same filter with no division.
 */
static void
jitter_update(struct stream_stats *st, const struct rtp_info *pkt,
    uint64_t now_us)
{
	uint64_t gap, arr_q4, ad;
	int64_t d_q4;

	if ((st->nojitter[pkt->pt >> 6] >> (pkt->pt & 63)) & 1)
		return;
	if (pkt->pt != st->pt || st->clock_rate == 0)
		clock_switch(st, pkt->pt);
	if (st->jit_valid && now_us >= st->last_arrival_us &&
	    (gap = now_us - st->last_arrival_us) < JIT_GAP_MAX_US) {
		arr_q4 = (gap * st->clock_mul + ((uint64_t)1 << 27)) >> 28;
		d_q4 = (int64_t)arr_q4 -
		    (int64_t)(int32_t)(pkt->ts - st->last_ts) * 16;
		ad = d_q4 < 0 ? (uint64_t)-d_q4 : (uint64_t)d_q4;
		if (ad > JIT_D_CAP_Q4)
			ad = JIT_D_CAP_Q4;
		st->jitter_q8 = st->jitter_q8 - ((st->jitter_q8 + 8) >> 4) +
		    (uint32_t)ad;
		if (st->jitter_q8 > st->max_jitter_q8)
			st->max_jitter_q8 = st->jitter_q8;
	}
	st->last_arrival_us = now_us;
	st->last_ts = pkt->ts;
	st->jit_valid = true;
}

void
stats_on_rtp(struct stream_stats *st, const struct rtp_info *pkt,
    size_t udp_len, uint64_t now_us)
{
	uint32_t restarts = st->seq_restarts;

	st->rx_packets++;
	st->rx_bytes += udp_len;
	st->rx_wire_bytes += udp_len + st->rx_overhead;

	if (!st->seq_valid || pkt->ssrc != st->ssrc) {
		/* A new source: its timestamps have their own origin. */
		if (st->seq_valid)
			st->ssrc_changes++;
		seq_start(st, pkt->ssrc, pkt->seq, 0);
		st->jit_valid = false;
	} else {
		if (!seq_update(st, pkt->seq))
			return;
		/* A restarted sender restarted its timestamps too. */
		if (st->seq_restarts != restarts)
			st->jit_valid = false;
	}
	jitter_update(st, pkt, now_us);
}

void
stats_on_rtcp(struct stream_stats *st, size_t udp_len)
{
	st->rtcp_packets++;
	st->rtcp_bytes += udp_len;
	st->rx_wire_bytes += udp_len + st->rx_overhead;
}

void
stats_on_relayed(struct stream_stats *st, size_t udp_len)
{
	st->relayed_packets++;
	st->relayed_bytes += udp_len;
	st->relayed_wire_bytes += udp_len + st->tx_overhead;
}

void
stats_drop(struct stream_stats *st, unsigned reason, size_t udp_len)
{
	if (reason >= STATS_DROP_MAX)
		reason = STATS_DROP_MAX - 1;
	st->drop_packets[reason]++;
	st->drop_bytes[reason] += udp_len;
}

static double
q8_to_ms(uint32_t q8, uint32_t rate)
{
	if (rate == 0)
		return 0.0;
	return (double)q8 * 1000.0 / 256.0 / (double)rate;
}

double
stats_jitter_ms(const struct stream_stats *st)
{
	return q8_to_ms(st->jitter_q8, st->jitter_rate);
}

double
stats_max_jitter_ms(const struct stream_stats *st)
{
	return q8_to_ms(st->max_jitter_q8, st->jitter_rate);
}

void
stats_snapshot(const struct stream_stats *st, uint64_t now_us,
    struct stats_report *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->at_us = now_us;
	out->rx_packets = st->rx_packets;
	out->rx_bytes = st->rx_bytes;
	out->rx_wire_bytes = st->rx_wire_bytes;
	out->relayed_packets = st->relayed_packets;
	out->relayed_bytes = st->relayed_bytes;
	out->relayed_wire_bytes = st->relayed_wire_bytes;
	for (i = 0; i < STATS_DROP_MAX; i++) {
		out->drop_packets[i] = st->drop_packets[i];
		out->dropped_packets += st->drop_packets[i];
	}
	out->ssrc = st->ssrc;
	out->ext_max_seq = (uint32_t)st->ext_max;
	out->expected = st->prior_expected + epoch_expected(st);
	out->received = st->prior_received + st->received;
	out->lost = (int64_t)out->expected - (int64_t)out->received;
	if (out->lost > 0 && out->expected > 0)
		out->loss_pct = 100.0 * (double)out->lost /
		    (double)out->expected;
	out->duplicates = st->duplicates;
	out->reordered = st->reordered;
	out->seq_ignored = st->seq_ignored;
	out->max_gap = st->max_gap;
	out->ssrc_changes = st->ssrc_changes;
	out->seq_restarts = st->seq_restarts;
	out->jitter = (st->jitter_q8 + 128) >> 8;
	out->jitter_ms = stats_jitter_ms(st);
	out->max_jitter_ms = stats_max_jitter_ms(st);
}

double
stats_kbps(uint64_t bytes, uint64_t usec)
{
	if (usec == 0)
		return 0.0;
	/* bytes * 8 bits / (usec / 1e6) s / 1000 */
	return (double)bytes * 8000.0 / (double)usec;
}

static uint64_t
diff(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : 0;
}

void
stats_interval(const struct stats_report *prev,
    const struct stats_report *cur, struct stats_delta *out)
{
	int64_t lost;
	uint64_t f;

	memset(out, 0, sizeof(*out));
	out->usec = diff(cur->at_us, prev->at_us);
	out->expected = diff(cur->expected, prev->expected);
	/* RFC 3550 A.3: expected minus received over the interval. */
	lost = (int64_t)out->expected -
	    (int64_t)diff(cur->received, prev->received);
	out->lost = lost;
	if (out->expected > 0 && lost > 0) {
		f = ((uint64_t)lost << 8) / out->expected;
		out->fraction_lost = f > 255 ? 255 : (uint8_t)f;
		out->loss_pct = 100.0 * (double)lost / (double)out->expected;
	}
	out->rx_kbps = stats_kbps(diff(cur->rx_wire_bytes,
	    prev->rx_wire_bytes), out->usec);
	out->relayed_kbps = stats_kbps(diff(cur->relayed_wire_bytes,
	    prev->relayed_wire_bytes), out->usec);
}
