/*
 * publish.c - what a worker shows the control thread of its legs: their
 * destinations when they change, and once a second their statistics, so
 * that Q, I, query and the metrics never touch the worker's own structs.
 * Off the packet path: relay.c calls it on a switch, the worker each second.
 */
#include "media/relay.h"

#include "media/proc/mediaproc.h"

void
relay_publish_peers(struct leg *leg)
{
	const struct addr *dst = latch_destination(&leg->latch);

	pthread_mutex_lock(&leg->pub_lock);
	if (dst)
		leg->pub_peer = *dst;
	else
		addr_clear(&leg->pub_peer);
	leg->pub_rtcp_peer = leg->rtcp_latch.peer;
	pthread_mutex_unlock(&leg->pub_lock);
}

static void
publish_leg(struct leg *leg, uint64_t now_us)
{
	struct leg_report *out = &leg->report;
	struct mediaproc_stats mps;
	struct stats_report r;
	unsigned i;

	relay_publish_peers(leg);
	leg_ha_publish(leg, false);
	stats_snapshot(&leg->stats, now_us, &r);
	counter_set(&out->expected, r.expected);
	counter_set(&out->lost, (uint64_t)r.lost);
	counter_set(&out->duplicates, r.duplicates);
	counter_set(&out->reordered, r.reordered);
	counter_set(&out->jitter_us, (uint64_t)(r.jitter_ms * 1000.0));
	if (r.expected > 0) {
		leg->jitter_sum_us += (uint64_t)(r.jitter_ms * 1000.0);
		leg->jitter_samples++;
		counter_set(&out->mean_jitter_us, leg->jitter_sum_us / leg->jitter_samples);
	}
	if (leg->mp != NULL) {
		mediaproc_stats(leg->mp, &mps);
		counter_set(&out->jb_depth_us, mps.jbs.depth_us);
		counter_set(&out->jb_maxdepth_us, mps.jbs.max_depth_us);
		counter_set(&out->jb_delay_us, mps.jbs.delay_mean_us);
		counter_set(&out->jb_late, mps.jbs.late + mps.jbs.stale);
		counter_set(&out->jb_reordered, mps.jbs.reordered);
		counter_set(&out->rz_packets_out, mps.rzs.out);
	}
	counter_set(&out->max_jitter_us, (uint64_t)(r.max_jitter_ms * 1000.0));
	counter_set(&out->rx_wire_bytes, r.rx_wire_bytes);
	for (i = 0; i < DROP_REASON_MAX; i++)
		counter_set(&out->drops[i], leg->latch.drops[i]);
	counter_set(&out->far_reports, leg->rtcp_view.reports);
	counter_set(&out->far_fraction_lost, leg->rtcp_view.fraction_lost);
	counter_set(&out->far_cum_lost, (uint64_t)(int64_t)leg->rtcp_view.cum_lost);
	/* The report is about the other party's stream: its clock converts. */
	counter_set(&out->far_jitter_us, (uint64_t)leg->rtcp_view.jitter * 1000000u /
	    stats_clock_rate(&(&leg->media->leg[leg->idx ^ 1])->stats, (&leg->media->leg[leg->idx ^ 1])->stats.pt));
	counter_set(&out->rtt_us, leg->rtcp_view.rtt_us > 0 ?
	    (uint64_t)leg->rtcp_view.rtt_us : 0);
	/* RTCP from a source not tied to the RTP peer counts as unverified. */
	counter_set(&out->drops[DROP_UNVERIFIED],
	    leg->latch.drops[DROP_UNVERIFIED] + leg->rtcp_latch.drops);
}

void
relay_publish(struct media *m, uint64_t now_us)
{
	publish_leg(&m->leg[0], now_us);
	publish_leg(&m->leg[1], now_us);
}
