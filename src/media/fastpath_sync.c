/*
 * fastpath_sync.c - the worker's half of the kernel fast path: from leg
 * state to map entries and from the kernel's counters back to the leg
 * (fastpath_sync.h).
 */
#include <stdatomic.h>
#include <string.h>

#include "kernel/fastpath.h"
#include "kernel/fastpath_entry.h"
#include "media/fastpath_stats.h"
#include "media/fastpath_sync.h"

/* Set once before the workers start; read by them. */
static _Atomic(struct fastpath *) fast_path;

void
relay_set_fastpath(struct fastpath *fp)
{
	atomic_store(&fast_path, fp);
}

/* What the kernel did since the last fold, into the leg's figures. */
static void
fold(struct worker *w, struct leg *leg, const struct fp_state *cur)
{
	struct fp_state *prev = &leg->fp.entry.st;
	uint64_t bytes = cur->bytes - prev->bytes, pkts, last_ms;

	pkts = fastpath_stats_fold(&leg->stats, prev, cur);
	*prev = *cur;
	if (pkts == 0)
		return;
	counter_add(&leg->rtp.rx_pkts, pkts);
	counter_add(&leg->rtp.rx_bytes, bytes);
	counter_add(&leg->rtp.relayed_pkts, pkts);
	counter_add(&leg->rtp.relayed_bytes, bytes);
	counter_add(&leg->fast_pkts, pkts);
	counter_add(&w->totals.rx_pkts, pkts);
	counter_add(&w->totals.tx_pkts, pkts);
	counter_add(&w->totals.fast_pkts, pkts);
	/* The TTL and the latch see the peer's last packet as it arrived. */
	last_ms = cur->last_arrival_us / 1000u;
	counter_set(&leg->last_rx_ms, last_ms);
	leg->latch.stream.max_seq = cur->max_seq;
	leg->latch.stream.last_ms = last_ms;
}

void
fastpath_take_back(struct worker *w, struct leg *leg)
{
	struct fastpath *fp = atomic_load_explicit(&fast_path, memory_order_relaxed);
	struct fp_entry e;

	if (!leg->fp.live || fp == NULL)
		return;
	leg->fp.live = false;
	counter_set(&w->totals.fast_streams, counter_get(&w->totals.fast_streams) - 1);
	if (fastpath_take(fp, &leg->fp.key, &e) == 0)
		fold(w, leg, &e.st);
}

/* The interface that reaches dst, asked of the kernel when dst changes. */
static unsigned
route_to(struct leg *leg, const struct addr *dst)
{
	if (!addr_equal(&leg->fp.route_dst, dst)) {
		leg->fp.route_dst = *dst;
		leg->fp.route_ifindex = fastpath_route_ifindex(dst);
	}
	return leg->fp.route_ifindex;
}

static void
side_of(struct leg *leg, struct fp_side *side, uint64_t now_ms)
{
	const struct addr *peer = latch_destination(&leg->latch);

	memset(side, 0, sizeof(*side));
	side->local = leg->local;
	if (peer != NULL) {
		side->peer = *peer;
		side->ifindex = route_to(leg, peer);
	}
	/* Asymmetric legs accept by IP and port-hop: the latch decides each. */
	side->verified = leg->latch.trust >= TRUST_STRONG && !leg->latch.asymmetric;
	side->candidate = latch_has_candidate(&leg->latch, now_ms);
	side->held = leg->mode.held;
	side->blocked = leg->mode.blocked;
}

static void
input_of(struct leg *rx, struct leg *tx, struct fp_leg_input *in, uint64_t now_ms)
{
	const struct stream_stats *st = &rx->stats;

	memset(in, 0, sizeof(*in));
	side_of(rx, &in->rx, now_ms);
	side_of(tx, &in->tx, now_ms);
	/* tx's own candidates do not matter to what rx receives. */
	in->tx.candidate = false;
	in->processed = rx->mp != NULL || rx->media->rec != NULL;
	/* The kernel continues a stream: it needs its SSRC and a jitter clock. */
	in->seq_valid = st->seq_valid && st->jit_valid && st->clock_rate != 0;
	in->ssrc = st->ssrc;
	in->pt = st->pt;
	in->pt_no_jitter = st->pt < 128 &&
	    ((st->nojitter[st->pt >> 6] >> (st->pt & 63)) & 1);
	in->pt_any = rx->pts.any;
	in->pt_bits[0] = rx->pts.bits[0];
	in->pt_bits[1] = rx->pts.bits[1];
}

static void
sync_leg(struct worker *w, struct fastpath *fp, struct leg *rx, bool poll,
    uint64_t now_ms)
{
	struct fp_leg_input in;
	struct fp_entry e, cur;
	struct fp_key key;

	input_of(rx, &rx->media->leg[rx->idx ^ 1], &in, now_ms);
	if (fastpath_entry_build(&in, &key, &e) != FP_ENTRY) {
		fastpath_take_back(w, rx);
		return;
	}
	if (rx->fp.live && !fastpath_entry_differs(&rx->fp.entry, &e)) {
		if (poll && fastpath_get(fp, &rx->fp.key, &cur) == 0)
			fold(w, rx, &cur.st);
		return;
	}
	/* A switch on either side: fold the old entry, then seed the new one. */
	fastpath_take_back(w, rx);
	fastpath_stats_seed(&rx->stats, &e.st);
	if (fastpath_put(fp, &key, &e) != 0)
		return;		/* map full: this leg stays on sockets */
	rx->fp.live = true;
	rx->fp.key = key;
	rx->fp.entry = e;
	counter_add(&w->totals.fast_streams, 1);
}

void
fastpath_sync_media(struct worker *w, struct media *m, bool poll, uint64_t now_ms)
{
	struct fastpath *fp = atomic_load_explicit(&fast_path, memory_order_relaxed);

	if (fp == NULL || m->retired)
		return;
	sync_leg(w, fp, &m->leg[0], poll, now_ms);
	sync_leg(w, fp, &m->leg[1], poll, now_ms);
}

void
fastpath_media_gone(struct worker *w, struct media *m)
{
	fastpath_take_back(w, &m->leg[0]);
	fastpath_take_back(w, &m->leg[1]);
}
