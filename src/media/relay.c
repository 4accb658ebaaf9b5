/*
 * relay.c - the path of a packet, top to bottom.
 *
 *  1. recvmmsg() reads one batch from a ready socket (up to RELAY_BATCH;
 *     epoll is level-triggered, so what is left comes back next turn and
 *     one busy socket cannot starve the others).
 *  2. Each datagram is classified (rtp.c); what is not RTP/RTCP is dropped.
 *  3. The receiving leg's latch decides (latch.c): forward, switch, drop,
 *     or hold: a mover's evidence packet is copied into a packet from the
 *     worker's hold pool and sent, before the packet that wins the leg,
 *     if its source wins. RTP on an RTP port asks the RTP latch; RTCP on an RTCP port
 *     asks the RTCP latch, which follows RTP; RTCP on an RTP port
 *     (rtcp-mux) passes only from the RTP peer.
 *  4. Accepted packets are queued for the other leg's socket of the same
 *     kind and leave in one sendmmsg() to the other leg's peer. RTCP goes
 *     to where the other party takes it: its RTCP peer, or its RTP peer
 *     when it muxes (ng rtcp-mux demux: one party muxes, the other not).
 *
 * No allocation, lock or hash lookup here: the stream comes from the epoll
 * event, the leg and the other leg from the stream.
 */
#include "media/relay.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "media/fastpath_sync.h"
#include "media/proc/record.h"
#include "packet/rtcp.h"
#include "media/worker.h"

#define RELAY_BATCH	32
/* Jumbo-frame sized: video from a LAN peer must not be truncated. */
#define RELAY_MTU	9216
/* The fast path forwards nothing this path would have truncated. */
_Static_assert(RELAY_MTU == FP_MAX_PAYLOAD, "kernel and socket path disagree on size");

/* A batch, and the held packets one switch in it releases. */
#define RELAY_TX	(RELAY_BATCH + LATCH_HOLD_SLOTS)

struct relay_buffers {
	struct mmsghdr		rx[RELAY_BATCH];
	struct iovec		rx_iov[RELAY_BATCH];
	struct sockaddr_storage	rx_src[RELAY_BATCH];
	struct mmsghdr		tx[RELAY_TX];
	struct iovec		tx_iov[RELAY_TX];
	uint8_t			buf[RELAY_BATCH][RELAY_MTU];
};

struct relay_buffers *
relay_buffers_new(void)
{
	struct relay_buffers *rb;
	unsigned i;

	if ((rb = calloc(1, sizeof(*rb))) == NULL)
		return NULL;
	for (i = 0; i < RELAY_BATCH; i++) {
		rb->rx_iov[i].iov_base = rb->buf[i];
		rb->rx_iov[i].iov_len = RELAY_MTU;
		rb->rx[i].msg_hdr.msg_iov = &rb->rx_iov[i];
		rb->rx[i].msg_hdr.msg_iovlen = 1;
		rb->rx[i].msg_hdr.msg_name = &rb->rx_src[i];
	}
	for (i = 0; i < RELAY_TX; i++) {
		rb->tx[i].msg_hdr.msg_iov = &rb->tx_iov[i];
		rb->tx[i].msg_hdr.msg_iovlen = 1;
	}
	return rb;
}

void
relay_buffers_free(struct relay_buffers *rb)
{
	free(rb);
}

/*
 * Held packets per worker: 64 legs with full books, or 256 moves of the
 * usual single packet in flight at once. When it runs dry a packet is
 * dropped, as it was before holding.
 */
#define RELAY_HOLD_POOL	256

struct hold_pool {
	struct held_packet	*free;
	struct held_packet	 pkt[RELAY_HOLD_POOL];
};

struct hold_pool *
relay_hold_pool_new(void)
{
	struct hold_pool *p;
	unsigned i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	for (i = 0; i < RELAY_HOLD_POOL; i++) {
		p->pkt[i].next = p->free;
		p->free = &p->pkt[i];
	}
	return p;
}

void
relay_hold_pool_free(struct hold_pool *p)
{
	free(p);
}

static void
pool_put(struct hold_pool *p, struct held_packet **slot)
{
	(*slot)->next = p->free;
	p->free = *slot;
	*slot = NULL;
}

/*
 * Give the pool back what the latch no longer holds. A released packet may
 * still be queued for sendmmsg: nothing takes from the pool before the
 * queue is sent (relay_stream_ready flushes before it holds again).
 */
static void
hold_sync(struct worker *w, struct leg *leg)
{
	unsigned i;

	for (i = 0; i < LATCH_HOLD_SLOTS; i++)
		if (leg->held[i] != NULL &&
		    !addr_is_set(&leg->latch.held[i].src))
			pool_put(w->hold_pool, &leg->held[i]);
}

void
relay_media_gone(struct worker *w, struct media *m)
{
	unsigned i, k;

	for (i = 0; i < 2; i++)
		for (k = 0; k < LATCH_HOLD_SLOTS; k++)
			if (m->leg[i].held[k] != NULL)
				pool_put(w->hold_pool, &m->leg[i].held[k]);
}

static struct leg *
other_leg(struct leg *leg)
{
	return &leg->media->leg[leg->idx ^ 1];
}

static void
log_switch(const struct leg *leg, const struct latch_decision *d)
{
	static _Thread_local struct log_limit lim;
	char from[ADDR_STRLEN], to[ADDR_STRLEN];

	log_ratelimited(&lim, 20, LOG_LVL_NOTICE,
	    "handover: call %s media %u leg %u: %s -> %s (evidence %s, switch #%llu)",
	    leg->media->call_id, leg->media->num, leg->idx,
	    addr_str(&d->old_peer, from, sizeof(from)),
	    addr_str(&leg->latch.peer, to, sizeof(to)),
	    latch_evidence_name(d->evidence),
	    (unsigned long long)counter_get(&leg->switches));
}

/* The store's doorbell (an eventfd), or -1: no --redis. Set by the control thread. */
static atomic_int ha_doorbell = -1;

void
relay_set_ha_doorbell(int fd)
{
	atomic_store_explicit(&ha_doorbell, fd, memory_order_relaxed);
}

/*
 * A committed change of where a leg sends (rare, never per packet): publish
 * its latch state and ring the store's doorbell. An eventfd write never
 * blocks; a full counter means a ring is pending anyway.
 */
static void
ha_changed(struct leg *leg)
{
	uint64_t one = 1;
	int fd = atomic_load_explicit(&ha_doorbell, memory_order_relaxed);

	leg_ha_publish(leg, true);
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already rung. */
	}
}

enum accepted {
	ACC_DROP,
	ACC_PASS,	/* send it on */
	ACC_HELD,	/* keep it in hold slot d->slot */
	ACC_RELEASE,	/* send the held slots d->release first, then it */
};

/* RTP received on an RTP port: what the latch decided, and *d why. */
static enum accepted
accept_rtp(struct worker *w, struct leg *leg, const struct rtp_info *pkt,
    size_t len, const struct addr *src, uint64_t ms, uint64_t us,
    struct latch_decision *d)
{
	struct held_packet *h;
	enum latch_trust was = leg->latch.trust;
	unsigned i;

	*d = latch_on_rtp(&leg->latch, pkt, pt_set_has(&leg->pts, pkt->pt), src, ms);
	/* Held packets given up: the drops they would have been on arrival. */
	if (d->ndiscarded > 0) {
		counter_add(&leg->rtp.dropped_pkts, d->ndiscarded);
		if (d->nrelease == 0)	/* else after release_held() */
			hold_sync(w, leg);
	}
	if (d->verdict == LATCH_DROP)
		return ACC_DROP;
	if (d->verdict == LATCH_HOLD)
		return ACC_HELD;
	/* The first packet from the signalled address verified it: persist. */
	if (d->verdict == LATCH_FORWARD && was != leg->latch.trust)
		ha_changed(leg);
	if (d->verdict == LATCH_SWITCHED) {
		latch_rtcp_follow(&leg->rtcp_latch, &leg->latch);
		counter_add(&leg->switches, 1);
		counter_set(&leg->report.last_switch_ms, ms);
		relay_publish_peers(leg);
		ha_changed(leg);
		log_switch(leg, d);
		/* Nothing held from the old path may burst out after the move. */
		if (leg->mp)
			mediaproc_reset(leg->mp);
	}
	if (d->nrelease == 0) {
		stats_on_rtp(&leg->stats, pkt, len, us);
		return ACC_PASS;
	}
	/* The statistics see the released packets as they arrived. */
	for (i = 0; i < d->nrelease; i++) {
		h = leg->held[d->release[i]];
		stats_on_rtp(&leg->stats, &h->info, h->len, h->us);
	}
	stats_on_rtp(&leg->stats, pkt, len, us);
	return ACC_RELEASE;
}

/* RTCP received on an RTCP port, or muxed on the RTP port. */
static bool
accept_rtcp(struct leg *leg, const struct rtp_info *pkt, const struct addr *src,
    bool muxed)
{
	const struct addr *peer;
	struct addr was;
	bool ok;

	if (!muxed) {
		was = leg->rtcp_latch.peer;
		ok = latch_rtcp_on_packet(&leg->rtcp_latch, &leg->latch,
		    pkt->ssrc, src);
		/* The RTCP port was learned (a switch of the RTCP peer). */
		if (ok && !addr_equal(&was, &leg->rtcp_latch.peer)) {
			relay_publish_peers(leg);
			ha_changed(leg);
		}
		return ok;
	}
	/* rtcp-mux: only from the verified RTP peer, and never for learning. */
	peer = latch_destination(&leg->latch);
	return peer != NULL && leg->latch.trust != TRUST_SIGNALLED &&
	    addr_equal(peer, src);
}

/*
 * Learn from an accepted RTCP compound of this leg's party: remember when
 * its SRs passed, keep its report about the other party's stream, and
 * time the round trip of the other party's SR that the report echoes.
 * RTCP arrives every few seconds, so this is off the hot path.
 */
static void
observe_rtcp(struct leg *leg, const uint8_t *buf, size_t len, uint64_t us)
{
	struct rtcp_view *v = &leg->rtcp_view, *peer = &other_leg(leg)->rtcp_view;
	const struct rtcp_block *b;
	struct rtcp_info info;
	unsigned i;

	if (rtcp_parse(buf, len, &info) != RTCP_OK)
		return;
	if (info.has_sr) {
		v->sr_mid32[v->sr_next] = info.ntp_mid32;
		v->sr_at_us[v->sr_next] = us;
		v->sr_next = (v->sr_next + 1) % RTCP_SR_MEMORY;
	}
	if (info.nblocks == 0)
		return;
	b = &info.blocks[0];
	v->reports++;
	v->fraction_lost = b->fraction_lost;
	v->cum_lost = b->cum_lost;
	v->jitter = b->jitter;
	if (b->lsr == 0)
		return;
	for (i = 0; i < RTCP_SR_MEMORY; i++) {
		/* DLSR is in 1/65536 s. */
		if (peer->sr_mid32[i] == b->lsr && peer->sr_at_us[i] != 0 &&
		    us > peer->sr_at_us[i]) {
			v->rtt_us = (int64_t)(us - peer->sr_at_us[i]) -
			    (int64_t)(((uint64_t)b->dlsr * 1000000u) >> 16);
			if (v->rtt_us < 0)
				v->rtt_us = 0;
			break;
		}
	}
}

/* Where RTCP for leg `to`'s party goes: its RTCP peer, or muxed to its RTP peer. */
static const struct addr *
rtcp_destination(struct leg *to, struct stream **out)
{
	if (to->mode.held)
		return NULL;
	if (to->mode.rtcp_mux == MUX_ON) {
		*out = &to->rtp;
		return latch_destination(&to->latch);
	}
	*out = &to->rtcp;
	return addr_is_set(&to->rtcp_latch.peer) ? &to->rtcp_latch.peer : NULL;
}

/* Where packets accepted on `in` go: the other leg's peer, or nowhere. */
static const struct addr *
destination_for(struct stream *in, struct stream **out)
{
	struct leg *to = other_leg(in->leg);

	if (in->is_rtcp)
		return rtcp_destination(to, out);
	*out = &to->rtp;
	/* On hold with c=0.0.0.0: the party asked to get nothing. */
	return to->mode.held ? NULL : latch_destination(&to->latch);
}

/*
 * RTCP that came muxed on an RTP port, for a party that takes it on its
 * RTCP port: it leaves alone, from the other leg's RTCP socket. RTCP is a
 * packet every few seconds, so one sendto() is no cost.
 */
static void
send_demuxed_rtcp(struct worker *w, struct stream *in, const uint8_t *buf, size_t len)
{
	struct stream *out;
	const struct addr *dst = rtcp_destination(other_leg(in->leg), &out);

	if (dst == NULL || addr_family(dst) != addr_family(&out->leg->local)) {
		counter_add(&in->nodest_pkts, 1);
		counter_add(&in->dropped_pkts, 1);
		counter_add(&w->totals.dropped_pkts, 1);
		return;
	}
	if (sendto(out->fd, buf, len, MSG_DONTWAIT, &dst->u.sa, dst->len) < 0) {
		counter_add(&out->send_errors, 1);
		counter_add(&in->dropped_pkts, 1);
		counter_add(&w->totals.dropped_pkts, 1);
		return;
	}
	counter_add(&in->relayed_pkts, 1);
	counter_add(&in->relayed_bytes, len);
	counter_add(&w->totals.tx_pkts, 1);
}

/* Send the n queued packets out of the other leg's socket. */
static void
send_queued(struct worker *w, struct relay_buffers *rb, struct stream *in,
    unsigned n, uint64_t bytes)
{
	struct stream *out;
	const struct addr *dst;
	unsigned i, sent;
	int rc;

	if (n == 0)
		return;
	if ((dst = destination_for(in, &out)) == NULL ||
	    addr_family(dst) != addr_family(&out->leg->local)) {
		/* The other party is on hold, or has no address yet. */
		counter_add(&in->nodest_pkts, n);
		counter_add(&in->dropped_pkts, n);
		counter_add(&w->totals.dropped_pkts, n);
		return;
	}
	for (i = 0; i < n; i++) {
		rb->tx[i].msg_hdr.msg_name = (void *)&dst->u.sa;
		rb->tx[i].msg_hdr.msg_namelen = dst->len;
	}
	for (sent = 0; sent < n; sent += (unsigned)rc) {
		rc = sendmmsg(out->fd, rb->tx + sent, n - sent, MSG_DONTWAIT);
		if (rc <= 0) {
			/* Socket buffer full or ICMP error from a gone peer. */
			counter_add(&out->send_errors, n - sent);
			counter_add(&in->dropped_pkts, n - sent);
			counter_add(&w->totals.dropped_pkts, n - sent);
			break;
		}
	}
	counter_add(&in->relayed_pkts, sent);
	if (sent < n)	/* cut short: count only what left */
		for (bytes = 0, i = 0; i < sent; i++)
			bytes += rb->tx_iov[i].iov_len;
	counter_add(&in->relayed_bytes, bytes);
	counter_add(&w->totals.tx_pkts, sent);
}

/*
 * Classify and decide one datagram. *pkt says what it is; *d, for RTP,
 * what the latch said.
 */
static enum accepted
accept_packet(struct worker *w, struct stream *s, const uint8_t *buf,
    size_t len, const struct addr *src, uint64_t ms, uint64_t us,
    struct rtp_info *pkt, struct latch_decision *d)
{
	switch (rtp_classify(buf, len, pkt)) {
	case PKT_RTP:
		if (s->is_rtcp)
			break;		/* RTP has no business on an RTCP port */
		return accept_rtp(w, s->leg, pkt, len, src, ms, us, d);
	case PKT_RTCP:
		if (!accept_rtcp(s->leg, pkt, src, !s->is_rtcp))
			return ACC_DROP;
		observe_rtcp(s->leg, buf, len, us);
		return ACC_PASS;
	case PKT_INVALID:
		break;
	}
	counter_add(&s->invalid_pkts, 1);
	return ACC_DROP;
}

/*
 * Keep an evidence packet in the slot the latch gave it: a copy of at
 * most LEG_HOLD_MTU bytes into a packet of the worker's pool (the one
 * already in the slot when the latch replaced what it held). Returns
 * false when it cannot be kept (then it is dropped, as before holding).
 */
static bool
hold_packet(struct worker *w, struct leg *leg, unsigned slot,
    const uint8_t *buf, size_t len, const struct rtp_info *pkt, uint64_t us)
{
	struct held_packet *h;

	if (leg->held[slot] == NULL && w->hold_pool != NULL &&
	    w->hold_pool->free != NULL && len <= LEG_HOLD_MTU) {
		leg->held[slot] = w->hold_pool->free;
		w->hold_pool->free = leg->held[slot]->next;
	}
	if (leg->held[slot] == NULL || len > LEG_HOLD_MTU) {
		latch_hold_cancel(&leg->latch, slot);
		hold_sync(w, leg);
		return false;
	}
	h = leg->held[slot];
	memcpy(h->buf, buf, len);
	h->len = (uint16_t)len;
	h->info = *pkt;
	h->us = us;
	return true;
}

/*
 * A recorded call: copy the packet, as received, into the worker's ring
 * (never blocks; a full ring is counted by the recorder). pcap wants wall
 * time, read once per batch and only for recorded calls.
 */
static void
record_packet(struct worker *w, struct stream *s, const struct addr *src,
    const uint8_t *buf, size_t len, uint64_t *wall, uint64_t age_us)
{
	struct addr dst = s->leg->local;
	struct timespec ts;

	if (w->rec_ring == NULL)
		return;
	if (*wall == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		*wall = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	}
	if (s->is_rtcp)
		addr_set_port(&dst, (uint16_t)(s->leg->port + 1));
	/* A released packet is recorded at the time it arrived. */
	(void)record_push(w->rec_ring, s->leg->media->rec, src, &dst, buf, len,
	    *wall - age_us);
}

/* ---- opt-in media processing (mediaproc.c), off the batch path ---- */

struct emit_ctx {
	struct worker	*w;
	struct leg	*from;
};

/* Send one processed packet from `from`'s party on to the other one. */
static void
emit_one(void *arg, const uint8_t *pkt, size_t len)
{
	struct emit_ctx *e = arg;
	struct stream *in = &e->from->rtp, *out = &other_leg(e->from)->rtp;
	const struct addr *dst = latch_destination(&other_leg(e->from)->latch);

	if (dst == NULL || addr_family(dst) != addr_family(&out->leg->local)) {
		counter_add(&in->nodest_pkts, 1);
		counter_add(&in->dropped_pkts, 1);
		return;
	}
	if (sendto(out->fd, pkt, len, MSG_DONTWAIT, &dst->u.sa, dst->len) < 0) {
		counter_add(&out->send_errors, 1);
		counter_add(&in->dropped_pkts, 1);
		return;
	}
	counter_add(&in->relayed_pkts, 1);
	counter_add(&in->relayed_bytes, len);
	counter_add(&e->w->totals.tx_pkts, 1);
}

/* Keep the leg in the worker's timer heap while its mediaproc waits. */
static void
arm_timer(struct worker *w, struct leg *leg)
{
	uint64_t due = mediaproc_due(leg->mp);

	if (due == UINT64_MAX)
		timer_cancel(&w->timers, &leg->timer);
	else if (timer_set(&w->timers, &leg->timer, due) != 0)
		log_err("worker %u: no memory for a media timer", w->id);
}

static void
process_media(struct worker *w, struct leg *leg, uint8_t *buf, size_t len,
    const struct rtp_info *pkt, uint64_t us)
{
	struct emit_ctx e = { w, leg };

	mediaproc_packet(leg->mp, buf, len, pkt, us, emit_one, &e);
	arm_timer(w, leg);
}

void
relay_timers(struct worker *w, uint64_t now_us)
{
	struct timer_node *n;
	struct leg *leg;
	struct emit_ctx e;
	unsigned budget = 4096;	/* bounded: a loop turn must end */

	while (budget-- > 0 && (n = timer_pop_due(&w->timers, now_us)) != NULL) {
		leg = (struct leg *)(void *)((char *)n - offsetof(struct leg, timer));
		e.w = w;
		e.from = leg;
		mediaproc_timer(leg->mp, now_us, emit_one, &e);
		arm_timer(w, leg);
	}
}

/*
 * How many datagrams to ask the kernel for. recvmmsg() does not return
 * after the last queued datagram: it tries the next one and finds the
 * queue empty, which costs almost as much as a datagram. A voice stream
 * has one datagram per wake-up, so asking for exactly what came last
 * time halves the receive cost; level-triggered epoll brings a socket
 * with more waiting back at once, and its next batch is twice as large.
 */
static unsigned
next_rx_want(unsigned want, unsigned got)
{
	if (got < want)
		return got > 0 ? got : 1;
	return want * 2 < RELAY_BATCH ? want * 2 : RELAY_BATCH;
}

/*
 * The leg switched to a source whose evidence packets it held: they go on
 * first, oldest first, each the way it would have gone on arrival (the
 * jitter buffer, if any, takes them now), and go back to the pool.
 * Queued ones still point into it: the caller sends them before any
 * later packet can be held.
 */
static void
release_held(struct worker *w, struct relay_buffers *rb, struct stream *s,
    const struct latch_decision *d, const struct addr *src, uint64_t us,
    unsigned *nq, uint64_t *bytes, uint64_t *wall)
{
	struct leg *leg = s->leg;
	struct held_packet *h;
	unsigned i;

	for (i = 0; i < d->nrelease; i++) {
		h = leg->held[d->release[i]];
		if (leg->mode.blocked) {
			counter_add(&s->dropped_pkts, 1);
			continue;
		}
		if (leg->media->rec != NULL)
			record_packet(w, s, src, h->buf, h->len, wall, us - h->us);
		if (leg->mp != NULL) {
			process_media(w, leg, h->buf, h->len, &h->info, us);
			continue;
		}
		rb->tx_iov[*nq].iov_base = h->buf;
		rb->tx_iov[*nq].iov_len = h->len;
		(*nq)++;
		*bytes += h->len;
	}
	hold_sync(w, leg);
}

void
relay_stream_ready(struct worker *w, struct relay_buffers *rb, struct stream *s)
{
	struct latch_decision d;
	struct rtp_info pkt;
	struct addr src;
	enum accepted acc;
	uint64_t ms, us, bytes, rx_bytes, wall;
	unsigned want, i, nq, naccepted, ndropped;
	bool released = false;
	size_t len;
	int n;

	/* The latch and the statistics must first see what the kernel did. */
	if (!s->is_rtcp)
		fastpath_take_back(w, s->leg);
	want = s->rx_want > 0 ? s->rx_want : 1;
	for (i = 0; i < want; i++) {
		/* The kernel wrote these back: reset what it may have shortened. */
		rb->rx[i].msg_hdr.msg_namelen = sizeof(rb->rx_src[i]);
		rb->rx[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(s->fd, rb->rx, want, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		/* EAGAIN: nothing. ECONNREFUSED: an ICMP error, already gone. */
		if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
			counter_add(&s->send_errors, 1);
		fastpath_sync_media(w, s->leg->media, false, now_ms());
		return;
	}
	s->rx_want = (uint8_t)next_rx_want(want, (unsigned)n);
	us = now_us();
	ms = us / 1000u;
	nq = naccepted = ndropped = 0;
	bytes = rx_bytes = 0;
	wall = 0;
	for (i = 0; i < (unsigned)n; i++) {
		len = rb->rx[i].msg_len;
		rx_bytes += len;
		addr_from_sockaddr(&src, (struct sockaddr *)&rb->rx_src[i],
		    rb->rx[i].msg_hdr.msg_namelen);
		acc = (rb->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ? ACC_DROP :
		    accept_packet(w, s, rb->buf[i], len, &src, ms, us, &pkt, &d);
		if (acc == ACC_HELD) {
			/* Released packets still queued point into the pool. */
			if (released) {
				send_queued(w, rb, s, nq, bytes);
				nq = 0;
				bytes = 0;
				released = false;
			}
			if (hold_packet(w, s->leg, d.slot, rb->buf[i], len, &pkt, us))
				continue;
			acc = ACC_DROP;
		}
		if (acc == ACC_DROP) {
			ndropped++;
			continue;
		}
		if (acc == ACC_RELEASE) {
			release_held(w, rb, s, &d, &src, us, &nq, &bytes, &wall);
			released = true;
		}
		naccepted++;
		if (s->leg->mode.blocked) {		/* ng block media: learnt, not sent on */
			ndropped++;
			continue;
		}
		if (s->leg->media->rec != NULL)
			record_packet(w, s, &src, rb->buf[i], len, &wall, 0);
		if (pkt.kind == PKT_RTCP && !s->is_rtcp &&
		    other_leg(s->leg)->mode.rtcp_mux == MUX_OFF) {
			send_demuxed_rtcp(w, s, rb->buf[i], len);
			continue;
		}
		if (s->leg->mp != NULL && pkt.kind == PKT_RTP) {
			/* Opt-in jitter buffer / resizer: it sends itself. */
			process_media(w, s->leg, rb->buf[i], len, &pkt, us);
			continue;
		}
		/* Queue in place: tx[nq] points at buffer i. */
		rb->tx_iov[nq].iov_base = rb->buf[i];
		rb->tx_iov[nq].iov_len = len;
		nq++;
		bytes += len;
	}
	counter_add(&s->rx_pkts, (unsigned)n);
	counter_add(&s->rx_bytes, rx_bytes);
	counter_add(&s->dropped_pkts, ndropped);
	counter_add(&w->totals.rx_pkts, (unsigned)n);
	if (naccepted > 0)	/* only verified media keeps a call alive */
		counter_set(&s->leg->last_rx_ms, ms);
	send_queued(w, rb, s, nq, bytes);
	/* What this batch changed (a switch, a candidate) the map follows. */
	fastpath_sync_media(w, s->leg->media, false, ms);
}

void
relay_apply_signal(struct worker *w, struct leg *leg, const struct addr *a,
    const struct pt_set *pts, int asymmetric, uint64_t now)
{
	char buf[ADDR_STRLEN];
	struct latch_decision d;
	unsigned held;
	bool had_peer;

	if (asymmetric > 0)
		leg->latch.asymmetric = true;
	if (pts != NULL)
		leg->pts = *pts;
	if (a == NULL || !addr_is_set(a))
		return;
	memset(&d, 0, sizeof(d));
	had_peer = leg->latch.trust >= TRUST_WEAK;
	d.old_peer = leg->latch.peer;
	held = leg->latch.nheld;
	latch_on_signal(&leg->latch, a, now);
	/* Held packets from where the party no longer is: dropped after all. */
	if (leg->latch.nheld < held) {
		counter_add(&leg->rtp.dropped_pkts, held - leg->latch.nheld);
		if (w != NULL)
			hold_sync(w, leg);
	}
	latch_rtcp_follow(&leg->rtcp_latch, &leg->latch);
	relay_publish_peers(leg);
	ha_changed(leg);
	/* A re-INVITE that moves a verified leg is a handover too. */
	if (had_peer && !addr_equal(&d.old_peer, &leg->latch.peer)) {
		d.evidence = EVIDENCE_SIGNALLING;
		counter_add(&leg->switches, 1);
		counter_set(&leg->report.last_switch_ms, now);
		if (leg->mp)
			mediaproc_reset(leg->mp);
		log_switch(leg, &d);
	}
	log_debug("call %s media %u leg %u: signalled %s", leg->media->call_id,
	    leg->media->num, leg->idx, addr_str(a, buf, sizeof(buf)));
}
