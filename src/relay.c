/*
 * relay.c - the path of a packet, top to bottom.
 *
 *  1. recvmmsg() drains a ready socket, RELAY_BATCH datagrams at a time.
 *  2. Each datagram is classified (rtp.c); what is not RTP/RTCP is dropped.
 *  3. The receiving leg's latch decides (latch.c): forward, switch, drop.
 *     RTP on an RTP port asks the RTP latch; RTCP on an RTCP port asks the
 *     RTCP latch, which follows RTP; RTCP on an RTP port (rtcp-mux) passes
 *     only from the RTP peer.
 *  4. Accepted packets are queued for the other leg's socket of the same
 *     kind and leave in one sendmmsg() to the other leg's peer.
 *
 * No allocation, lock or hash lookup here: the stream comes from the epoll
 * event, the leg and the other leg from the stream.
 */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "rtcp.h"
#include "worker.h"

#define RELAY_BATCH	32
/* Jumbo-frame sized: video from a LAN peer must not be truncated. */
#define RELAY_MTU	9216
/* Batches per wakeup per socket: one busy socket must not starve the rest. */
#define RELAY_ROUNDS	8

struct relay_buffers {
	struct mmsghdr		rx[RELAY_BATCH];
	struct iovec		rx_iov[RELAY_BATCH];
	struct sockaddr_storage	rx_src[RELAY_BATCH];
	struct mmsghdr		tx[RELAY_BATCH];
	struct iovec		tx_iov[RELAY_BATCH];
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

/* Make the leg's destinations visible to the control thread (rare). */
static void
publish_peers(struct leg *leg)
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

/* RTP received on an RTP port. Returns true to forward it. */
static bool
accept_rtp(struct leg *leg, const struct rtp_info *pkt, size_t len,
    const struct addr *src, uint64_t ms, uint64_t us)
{
	struct latch_decision d;

	d = latch_on_rtp(&leg->latch, pkt, pt_set_has(&leg->pts, pkt->pt), src, ms);
	if (d.verdict == LATCH_DROP)
		return false;
	if (d.verdict == LATCH_SWITCHED) {
		latch_rtcp_follow(&leg->rtcp_latch, &leg->latch);
		counter_add(&leg->switches, 1);
		publish_peers(leg);
		log_switch(leg, &d);
	}
	stats_on_rtp(&leg->stats, pkt, len, us);
	return true;
}

/* RTCP received on an RTCP port, or muxed on the RTP port. */
static bool
accept_rtcp(struct leg *leg, const struct rtp_info *pkt, const struct addr *src,
    bool muxed)
{
	const struct addr *peer;

	if (!muxed)
		return latch_rtcp_on_packet(&leg->rtcp_latch, &leg->latch,
		    pkt->ssrc, src);
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

/* Where packets accepted on `in` go: the other leg's peer, or nowhere. */
static const struct addr *
destination_for(struct stream *in, struct stream **out)
{
	struct leg *to = other_leg(in->leg);

	if (in->is_rtcp) {
		*out = &to->rtcp;
		return addr_is_set(&to->rtcp_latch.peer) ? &to->rtcp_latch.peer : NULL;
	}
	*out = &to->rtp;
	return latch_destination(&to->latch);
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
	counter_add(&in->relayed_bytes, sent == n ? bytes : 0);
	counter_add(&w->totals.tx_pkts, sent);
}

/* Classify and decide one datagram; true when it is to be forwarded. */
static bool
accept_packet(struct stream *s, const uint8_t *buf, size_t len,
    const struct addr *src, uint64_t ms, uint64_t us)
{
	struct rtp_info pkt;

	switch (rtp_classify(buf, len, &pkt)) {
	case PKT_RTP:
		if (s->is_rtcp)
			break;		/* RTP has no business on an RTCP port */
		return accept_rtp(s->leg, &pkt, len, src, ms, us);
	case PKT_RTCP:
		if (!accept_rtcp(s->leg, &pkt, src, !s->is_rtcp))
			return false;
		observe_rtcp(s->leg, buf, len, us);
		return true;
	case PKT_INVALID:
		break;
	}
	counter_add(&s->invalid_pkts, 1);
	return false;
}

void
relay_stream_ready(struct worker *w, struct relay_buffers *rb, struct stream *s)
{
	struct addr src;
	uint64_t ms, us, bytes;
	unsigned round, i, nq;
	size_t len;
	int n;

	for (round = 0; round < RELAY_ROUNDS; round++) {
		for (i = 0; i < RELAY_BATCH; i++) {
			rb->rx[i].msg_hdr.msg_name = &rb->rx_src[i];
			rb->rx[i].msg_hdr.msg_namelen = sizeof(rb->rx_src[i]);
			rb->rx[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(s->fd, rb->rx, RELAY_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* EAGAIN: drained. ECONNREFUSED: an ICMP error, already gone. */
			if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
				counter_add(&s->send_errors, 1);
			return;
		}
		us = now_us();
		ms = us / 1000u;
		nq = 0;
		bytes = 0;
		for (i = 0; i < (unsigned)n; i++) {
			len = rb->rx[i].msg_len;
			counter_add(&s->rx_bytes, len);
			addr_from_sockaddr(&src, (struct sockaddr *)&rb->rx_src[i],
			    rb->rx[i].msg_hdr.msg_namelen);
			if ((rb->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    !accept_packet(s, rb->buf[i], len, &src, ms, us)) {
				counter_add(&s->dropped_pkts, 1);
				continue;
			}
			/* Queue in place: tx[nq] points at buffer i. */
			rb->tx_iov[nq].iov_base = rb->buf[i];
			rb->tx_iov[nq].iov_len = len;
			nq++;
			bytes += len;
		}
		counter_add(&s->rx_pkts, (unsigned)n);
		counter_add(&w->totals.rx_pkts, (unsigned)n);
		if (nq > 0)
			counter_set(&s->leg->last_rx_ms, ms);
		send_queued(w, rb, s, nq, bytes);
		if (n < RELAY_BATCH)
			return;
	}
}

void
relay_apply_signal(struct leg *leg, const struct addr *a,
    const struct pt_set *pts, int asymmetric, uint64_t now)
{
	char buf[ADDR_STRLEN];

	struct latch_decision d;
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
	latch_on_signal(&leg->latch, a, now);
	latch_rtcp_follow(&leg->rtcp_latch, &leg->latch);
	publish_peers(leg);
	/* A re-INVITE that moves a verified leg is a handover too. */
	if (had_peer && !addr_equal(&d.old_peer, &leg->latch.peer)) {
		d.evidence = EVIDENCE_SIGNALLING;
		counter_add(&leg->switches, 1);
		log_switch(leg, &d);
	}
	log_debug("call %s media %u leg %u: signalled %s", leg->media->call_id,
	    leg->media->num, leg->idx, addr_str(a, buf, sizeof(buf)));
}

static void
publish_leg(struct leg *leg, uint64_t now_us)
{
	struct leg_report *out = &leg->report;
	struct stats_report r;
	unsigned i;

	publish_peers(leg);
	stats_snapshot(&leg->stats, now_us, &r);
	counter_set(&out->expected, r.expected);
	counter_set(&out->lost, (uint64_t)r.lost);
	counter_set(&out->duplicates, r.duplicates);
	counter_set(&out->reordered, r.reordered);
	counter_set(&out->jitter_us, (uint64_t)(r.jitter_ms * 1000.0));
	counter_set(&out->max_jitter_us, (uint64_t)(r.max_jitter_ms * 1000.0));
	counter_set(&out->rx_wire_bytes, r.rx_wire_bytes);
	for (i = 0; i < DROP_REASON_MAX; i++)
		counter_set(&out->drops[i], leg->latch.drops[i]);
	counter_set(&out->far_reports, leg->rtcp_view.reports);
	counter_set(&out->far_fraction_lost, leg->rtcp_view.fraction_lost);
	counter_set(&out->far_cum_lost, (uint64_t)(int64_t)leg->rtcp_view.cum_lost);
	/* The report is about the other party's stream: its clock converts. */
	counter_set(&out->far_jitter_us, (uint64_t)leg->rtcp_view.jitter * 1000000u /
	    stats_clock_rate(&other_leg(leg)->stats, other_leg(leg)->stats.pt));
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
