/*
 * fastpath_stats.h - one set of RTP statistics for a stream, whichever
 * path carries it. Pure.
 *
 * While a leg has a kernel entry, the kernel advances the stream's
 * RFC 3550 state for the packets it forwards (kernel/fastpath_abi.h).
 * The worker seeds that state from its own stream_stats when it writes
 * the entry, and folds it back when it reads the entry: the counters by
 * what they grew since the last fold, the sequence and jitter state by
 * copy (the kernel's is the newer: it runs the same code on later
 * packets). Between a fold and the next seed, userspace alone moves the
 * state, so nothing is counted twice.
 */
#ifndef RTPROAM_MEDIA_FASTPATH_STATS_H
#define RTPROAM_MEDIA_FASTPATH_STATS_H

#include <stdint.h>

#include "kernel/fastpath_abi.h"
#include "media/stats.h"

/* The state part of a new entry, from the stream as userspace knows it. */
void	 fastpath_stats_seed(const struct stream_stats *st, struct fp_state *out);
/*
 * Fold what the kernel did between *prev (seeded or last folded) and
 * *cur into *st. Returns the packets it forwarded in between.
 */
uint64_t fastpath_stats_fold(struct stream_stats *st, const struct fp_state *prev,
	    const struct fp_state *cur);

#endif
