/*
 * media.c - one media of a call seen from the packet path: its legs'
 * counters, the totals they add up to, and its end.
 */
#include "media/media.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "media/ports.h"

void
media_destroy(struct media *m)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		pthread_mutex_destroy(&m->leg[i].pub_lock);
		mediaproc_free(m->leg[i].mp);
		if (m->leg[i].rtp.fd >= 0)
			close(m->leg[i].rtp.fd);
		if (m->leg[i].rtcp.fd >= 0)
			close(m->leg[i].rtcp.fd);
		/* Only now can the pair be bound again. */
		if (m->leg[i].port != 0 && m->ports != NULL)
			ports_release(m->ports, m->leg[i].port);
	}
	free(m->accounted);
	free(m->call_id);
	free(m->tag[0]);
	free(m->tag[1]);
	free(m->branch);
	free(m);
}

uint64_t
leg_rx(struct leg *l)
{
	return counter_get(&l->rtp.rx_pkts) + counter_get(&l->rtcp.rx_pkts);
}

uint64_t
leg_relayed(struct leg *l)
{
	return counter_get(&l->rtp.relayed_pkts) + counter_get(&l->rtcp.relayed_pkts);
}

uint64_t
leg_dropped(struct leg *l)
{
	return counter_get(&l->rtp.dropped_pkts) + counter_get(&l->rtcp.dropped_pkts);
}

/* What an operator greps for when a call went bad. */
void
media_log_summary(struct media *m, const char *reason, uint64_t now)
{
	char q[2][128];
	int64_t lost, expected;
	unsigned i;

	for (i = 0; i < 2; i++) {
		expected = (int64_t)counter_get(&m->leg[i].report.expected);
		lost = (int64_t)counter_get(&m->leg[i].report.lost);
		snprintf(q[i], sizeof(q[i]), "%" PRIu64 " pkts, loss %.2f%%, "
		    "jitter mean %.1f ms (max %.1f), handovers %" PRIu64, leg_rx(&m->leg[i]),
		    expected > 0 && lost > 0 ? 100.0 * (double)lost / (double)expected : 0.0,
		    (double)counter_get(&m->leg[i].report.mean_jitter_us) / 1000.0,
		    (double)counter_get(&m->leg[i].report.max_jitter_us) / 1000.0,
		    counter_get(&m->leg[i].switches));
	}
	log_info("call %s media %u ended (%s) after %.1f s: from %s: %s; from %s: %s; "
	    "relayed %" PRIu64 ", dropped %" PRIu64, m->call_id, m->num, reason,
	    (double)(now - m->created_ms) / 1000.0, m->tag[0], q[0],
	    m->tag[1] ? m->tag[1] : "-", q[1],
	    leg_relayed(&m->leg[0]) + leg_relayed(&m->leg[1]),
	    leg_dropped(&m->leg[0]) + leg_dropped(&m->leg[1]));
}

/* t += a - b (b may be NULL). Every field only grows, lost is clamped. */
void
totals_add(struct relay_totals *t, const struct relay_totals *a,
    const struct relay_totals *b)
{
	static const struct relay_totals zero;
	unsigned r;

	if (b == NULL)
		b = &zero;
#define ADD(f) t->f += a->f > b->f ? a->f - b->f : 0
	ADD(rx); ADD(relayed); ADD(dropped); ADD(switches); ADD(relayed_bytes);
	ADD(invalid); ADD(nodest); ADD(expected); ADD(lost); ADD(wire_bytes);
	for (r = 0; r < DROP_REASON_MAX; r++)
		ADD(drops[r]);
#undef ADD
}

void
totals_add_media(struct relay_totals *t, struct media *m)
{
	struct leg *l;
	int64_t lost;
	unsigned i, r;

	for (i = 0; i < 2; i++) {
		l = &m->leg[i];
		t->rx += leg_rx(l);
		t->relayed += leg_relayed(l);
		t->relayed_bytes += counter_get(&l->rtp.relayed_bytes) +
		    counter_get(&l->rtcp.relayed_bytes);
		t->dropped += leg_dropped(l);
		t->switches += counter_get(&l->switches);
		t->invalid += counter_get(&l->rtp.invalid_pkts) +
		    counter_get(&l->rtcp.invalid_pkts);
		t->nodest += counter_get(&l->rtp.nodest_pkts) +
		    counter_get(&l->rtcp.nodest_pkts);
		t->expected += counter_get(&l->report.expected);
		lost = (int64_t)counter_get(&l->report.lost);
		t->lost += lost > 0 ? (uint64_t)lost : 0;
		t->wire_bytes += counter_get(&l->report.rx_wire_bytes);
		for (r = 0; r < DROP_REASON_MAX; r++)
			t->drops[r] += counter_get(&l->report.drops[r]);
	}
}

void
leg_peers(struct leg *l, struct addr *rtp, struct addr *rtcp)
{
	pthread_mutex_lock(&l->pub_lock);
	*rtp = l->pub_peer;
	*rtcp = l->pub_rtcp_peer;
	pthread_mutex_unlock(&l->pub_lock);
}

/* Buckets for the quality of ended streams. */
static const double jitter_bounds[] = { 1, 2, 5, 10, 20, 30, 50, 100, 200 };
static const double loss_bounds[] = { 0, 0.1, 0.5, 1, 2, 5, 10, 20, 50 };

void
ended_init(struct ended_totals *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	histogram_init(&e->jitter_ms, jitter_bounds,
	    sizeof(jitter_bounds) / sizeof(jitter_bounds[0]));
	histogram_init(&e->loss_pct, loss_bounds,
	    sizeof(loss_bounds) / sizeof(loss_bounds[0]));
}

void
ended_free(struct ended_totals *e)
{
	pthread_mutex_destroy(&e->lock);
}

void
ended_add_unlinked(struct ended_totals *e, struct media *m)
{
	/* Allocation failure only costs the final correction. */
	m->accounted = calloc(1, sizeof(*m->accounted));
	pthread_mutex_lock(&e->lock);
	if (m->accounted) {
		totals_add_media(m->accounted, m);
		totals_add(&e->t, m->accounted, NULL);
	} else
		totals_add_media(&e->t, m);
	pthread_mutex_unlock(&e->lock);
}

void
ended_add_final(struct ended_totals *e, struct media *m)
{
	struct relay_totals final;
	struct leg *l;
	int64_t expected, lost;
	unsigned i;

	if (m->accounted == NULL)
		return;
	memset(&final, 0, sizeof(final));
	totals_add_media(&final, m);
	pthread_mutex_lock(&e->lock);
	totals_add(&e->t, &final, m->accounted);
	for (i = 0; i < 2; i++) {
		l = &m->leg[i];
		expected = (int64_t)counter_get(&l->report.expected);
		lost = (int64_t)counter_get(&l->report.lost);
		if (expected <= 0)
			continue;
		histogram_observe(&e->jitter_ms,
		    (double)counter_get(&l->report.jitter_us) / 1000.0);
		histogram_observe(&e->loss_pct, lost > 0 ?
		    100.0 * (double)lost / (double)expected : 0.0);
	}
	pthread_mutex_unlock(&e->lock);
}

void
ended_read(struct ended_totals *e, struct relay_totals *t,
    struct histogram *jitter_ms, struct histogram *loss_pct)
{
	pthread_mutex_lock(&e->lock);
	if (t)
		*t = e->t;
	if (jitter_ms)
		*jitter_ms = e->jitter_ms;
	if (loss_pct)
		*loss_pct = e->loss_pct;
	pthread_mutex_unlock(&e->lock);
}

void
leg_ha_publish(struct leg *l, bool dirty)
{
	unsigned seq = atomic_load_explicit(&l->ha_seq, memory_order_relaxed);

	/* Odd while writing: a reader that sees it, or a change, retries. */
	atomic_store_explicit(&l->ha_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	latch_save(&l->latch, &l->rtcp_latch, &l->ha_saved);
	atomic_store_explicit(&l->ha_seq, seq + 2, memory_order_release);
	if (dirty)
		atomic_store_explicit(&l->ha_dirty, true, memory_order_release);
}

void
leg_ha_read(struct leg *l, struct latch_saved *out)
{
	unsigned s1, s2;

	do {
		s1 = atomic_load_explicit(&l->ha_seq, memory_order_acquire);
		memcpy(out, &l->ha_saved, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&l->ha_seq, memory_order_relaxed);
	} while ((s1 & 1) != 0 || s1 != s2);
}
