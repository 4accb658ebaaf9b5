/*
 * fastpath_stats.c - seed and fold the kernel's share of a stream's
 * statistics (fastpath_stats.h).
 */
#include "media/fastpath_stats.h"

void
fastpath_stats_seed(const struct stream_stats *st, struct fp_state *out)
{
	out->packets = 0;
	out->bytes = 0;
	out->ext_max = (uint64_t)st->ext_max;
	out->seen[0] = st->seen[0];
	out->seen[1] = st->seen[1];
	out->received = st->received;
	out->max_gap = st->max_gap;
	out->max_seq = st->max_seq;
	out->pad0 = 0;
	out->clock_mul = st->clock_mul;
	out->last_arrival_us = st->last_arrival_us;
	out->last_ts = st->last_ts;
	out->jitter_q8 = st->jitter_q8;
	out->max_jitter_q8 = st->max_jitter_q8;
	out->jit_valid = st->jit_valid;
	out->synced = 0;
	out->pad1 = 0;
}

uint64_t
fastpath_stats_fold(struct stream_stats *st, const struct fp_state *prev,
    const struct fp_state *cur)
{
	uint64_t pkts = cur->packets - prev->packets;
	uint64_t bytes = cur->bytes - prev->bytes;

	if (pkts == 0)
		return 0;
	st->rx_packets += pkts;
	st->rx_bytes += bytes;
	st->rx_wire_bytes += bytes + pkts * st->rx_overhead;
	st->relayed_packets += pkts;
	st->relayed_bytes += bytes;
	st->relayed_wire_bytes += bytes + pkts * st->tx_overhead;

	st->ext_max = (int64_t)cur->ext_max;
	st->max_seq = cur->max_seq;
	st->seen[0] = cur->seen[0];
	st->seen[1] = cur->seen[1];
	st->received = cur->received;
	st->max_gap = cur->max_gap;
	st->last_arrival_us = cur->last_arrival_us;
	st->last_ts = cur->last_ts;
	st->jitter_q8 = cur->jitter_q8;
	st->max_jitter_q8 = cur->max_jitter_q8;
	st->jit_valid = cur->jit_valid != 0;
	return pkts;
}
