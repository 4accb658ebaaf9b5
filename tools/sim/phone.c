/*
 * phone.c - rtproam-sim's two phones: their sockets, their 20 ms PCMU
 * streams and RTCP sender reports, the mover's handovers, and how each
 * phone counts what reaches it.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "packet/rtp.h"
#include "sim.h"

#define PHONE_PORT_LO	20000		/* phones' even ports: below the */
#define PHONE_PORT_HI	29998		/* relays' and the ephemeral range */

/* ------------------------------------------------------------------ */
/* Sockets                                                            */

/*
 * Bind an RTP/RTCP pair on ip at port/port+1; port 0 picks a random even
 * port (bind to port 0 would give an odd one on Linux, and RTCP must be
 * RTP + 1). Returns 0 or -1.
 */
static int
open_pair(struct sim *s, const struct addr *ip, unsigned port,
    struct endpoint *ep)
{
	struct addr a = *ip, b;
	int tries, fd1, fd2;
	unsigned p;

	for (tries = 0; tries < 200; tries++) {
		p = port;
		if (p == 0)
			p = PHONE_PORT_LO + 2 * (rnd(s) %
			    ((PHONE_PORT_HI - PHONE_PORT_LO) / 2 + 1));
		if (p > 65534)
			return -1;
		addr_set_port(&a, (uint16_t)p);
		b = a;
		addr_set_port(&b, (uint16_t)(p + 1));
		if ((fd1 = udp_bind(&a)) == -1) {
			if (errno != EADDRINUSE || port != 0)
				return -1;
			continue;
		}
		if ((fd2 = udp_bind(&b)) == -1) {
			close(fd1);
			if (errno != EADDRINUSE || port != 0)
				return -1;
			continue;
		}
		ep->addr = a;
		ep->rtp_fd = fd1;
		ep->rtcp_fd = fd2;
		return 0;
	}
	return -1;
}

static int
phone_open_ep(struct sim *s, struct phone *p, const struct addr *ip,
    unsigned port)
{
	struct endpoint *ep;
	int idx = p->nep;

	if (idx == MAX_EP)
		errx(1, "too many endpoints");
	ep = &p->ep[idx];
	if (open_pair(s, ip, port, ep) == -1)
		return -1;
	sock_add(s, ep->rtp_fd, p->who == 'A' ? OWN_PHONE_A : OWN_PHONE_B,
	    idx, false);
	sock_add(s, ep->rtcp_fd, p->who == 'A' ? OWN_PHONE_A : OWN_PHONE_B,
	    idx, true);
	p->nep++;
	return idx;
}

static bool
ip_in_use(const struct sim *s, const struct addr *a)
{
	int i, j;

	if (addr_same_ip(a, &s->relay) || addr_same_ip(a, &s->media) ||
	    addr_same_ip(a, &s->atk.cfg.from))
		return true;
	for (i = 0; i < 2; i++) {
		if (addr_same_ip(a, &s->ph[i].first) ||
		    addr_same_ip(a, &s->ph[i].dst))
			return true;
		for (j = 0; j < s->ph[i].nep; j++)
			if (addr_same_ip(a, &s->ph[i].ep[j].addr))
				return true;
	}
	return false;
}

/* The next unused 127.0.0.X, X from 10: a new "network" for a move. */
static int
next_ip(const struct sim *s, struct addr *out)
{
	char buf[32];
	int x;

	for (x = 10; x < 255; x++) {
		snprintf(buf, sizeof(buf), "127.0.0.%d", x);
		if (addr_parse(out, buf, 0, AF_INET) == -1)
			return -1;
		if (!ip_in_use(s, out))
			return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */

static void
phone_new_stream(struct sim *s, struct phone *p)
{
	p->ssrc = rnd_ssrc(s, p->ssrc);
	p->seq0 = (uint16_t)rnd(s);
	p->ts0 = rnd(s);
	p->stream_idx0 = p->tx.nsent;
	p->stream_slot0 = p->slot;
	p->sr_packets = p->sr_octets = 0;
}

static bool
in_silence(const struct sim *s, const struct phone *p, int64_t t)
{
	const struct move *m;
	int i;

	if (p != &s->ph[s->mover])
		return false;
	for (i = 0; i < s->nmv; i++) {
		m = &s->mv[i];
		if (t >= (m->spec.at_ms - m->spec.silence_ms) * 1000 &&
		    t < m->spec.at_ms * 1000)
			return true;
	}
	return false;
}

static void
phone_send_rtp(struct sim *s, struct phone *p, int64_t slot)
{
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct sim_rtp h;
	struct move *m;
	int64_t idx, now = rel_us(s);
	size_t len;

	if ((idx = sim_flow_sent(&p->tx, now, p->path)) == -1)
		return;
	h.pt = PCMU_PT;
	h.seq = (uint16_t)(p->seq0 + (uint16_t)(idx - p->stream_idx0));
	h.ts = p->ts0 + (uint32_t)((slot - p->stream_slot0) * SAMPLES);
	h.ssrc = p->ssrc;
	mk.who = p->who;
	mk.path = p->path;
	mk.index = (uint32_t)idx;
	mk.sent_us = now;
	len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
	send_pkt(p->ep[p->cur].rtp_fd, &p->dst, buf, len, &p->send_errors);
	p->sr_packets++;
	p->sr_octets += PAYLOAD_LEN;

	/* The old path still works for a while: same packet, old socket. */
	if (p->prev >= 0 && now < p->overlap_end) {
		mk.path = (uint8_t)(p->path - 1);
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		send_pkt(p->ep[p->prev].rtp_fd, &p->dst, buf, len,
		    &p->send_errors);
	}
	if (p->path > 0) {
		m = &s->mv[p->path - 1];
		if (m->obs.first_tx_idx < 0) {
			m->obs.first_tx_idx = idx;
			m->obs.first_tx_us = now;
		}
	}
}

static void
phone_send_rtcp(struct sim *s, struct phone *p)
{
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct timespec rt;
	struct sim_sr sr;
	struct addr to = p->dst;
	int64_t now = rel_us(s);
	size_t len;

	if (clock_gettime(CLOCK_REALTIME, &rt) == -1)
		err(1, "clock_gettime");
	sr.ssrc = p->ssrc;
	/* NTP counts from 1900; the fraction is 2^32 parts of a second. */
	sr.ntp = ((uint64_t)rt.tv_sec + 2208988800ULL) << 32 |
	    (uint64_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000ULL);
	sr.rtp_ts = p->ts0 + (uint32_t)((now - p->stream_slot0 * PTIME_US) *
	    8 / 1000);
	sr.packets = p->sr_packets;
	sr.octets = p->sr_octets;
	mk.who = p->who;
	mk.path = p->path;
	mk.index = p->rtcp_index++;
	mk.sent_us = now;
	len = sim_rtcp_build(buf, sizeof(buf), &sr, &mk);
	addr_set_port(&to, (uint16_t)(addr_port(&p->dst) + 1));
	send_pkt(p->ep[p->cur].rtcp_fd, &to, buf, len, &p->send_errors);
	p->rtcp_sent++;
}

void
phone_tick(struct sim *s, struct phone *p, int64_t now)
{
	int64_t t;
	int n;

	/* Catch up slot by slot if we were late: times come from the start. */
	for (n = 0; n < 64; n++) {
		t = p->slot * PTIME_US;
		if (t > now || t >= s->duration_us)
			break;
		if (!in_silence(s, p, t))
			phone_send_rtp(s, p, p->slot);
		p->slot++;
	}
	if (s->rtcp_us > 0 && now >= p->next_rtcp && now < s->duration_us) {
		phone_send_rtcp(s, p);
		p->next_rtcp += s->rtcp_us;
		if (p->next_rtcp <= now)
			p->next_rtcp = now + s->rtcp_us;
	}
}

int64_t
phone_next(const struct sim *s, const struct phone *p)
{
	int64_t t = p->slot * PTIME_US;

	if (t >= s->duration_us)
		t = INT64_MAX;
	if (s->rtcp_us > 0 && p->next_rtcp < s->duration_us && p->next_rtcp < t)
		t = p->next_rtcp;
	return t;
}

void
setup_phones(struct sim *s)
{
	struct phone *p;
	int i;

	for (i = 0; i < 2; i++) {
		p = &s->ph[i];
		p->who = i ? 'B' : 'A';
		p->prev = -1;
		if (sim_flow_init(&p->tx, (uint32_t)(s->duration_us / PTIME_US +
		    8)) == -1)
			err(1, "sim_flow_init");
		if (phone_open_ep(s, p, &p->first, addr_port(&p->first)) == -1)
			err(1, "phone %c: bind %s", p->who,
			    addr_str(&p->first, (char[ADDR_STRLEN]){ 0 },
			    ADDR_STRLEN));
		phone_new_stream(s, p);
		p->first_ssrc = p->ssrc;
		/* Stagger the two phones' reports so they never coincide. */
		p->next_rtcp = s->rtcp_us / 2 * (i + 1);
	}
	if (s->ph[1].ssrc == s->ph[0].ssrc) {
		s->ph[1].ssrc = rnd_ssrc(s, s->ph[0].ssrc);
		s->ph[1].first_ssrc = s->ph[1].ssrc;
	}
	for (i = 0; i < s->nmv; i++) {
		s->mv[i].txn_u = s->mv[i].txn_l = -1;
		/* A move's period ends where the next one begins. */
		sim_move_obs_init(&s->mv[i].obs, s->mv[i].spec.at_ms * 1000,
		    i + 1 < s->nmv ? s->mv[i + 1].spec.at_ms * 1000 :
		    s->duration_us + s->linger_us, (uint8_t)(i + 1));
	}
}

/* ------------------------------------------------------------------ */
/* Moves                                                              */

static void
move_apply(struct sim *s, int k)
{
	struct move *m = &s->mv[k];
	struct phone *p = &s->ph[s->mover];
	const struct endpoint *old = &p->ep[p->cur];
	char b1[ADDR_STRLEN], b2[ADDR_STRLEN];
	struct addr ip;
	int idx = -1;

	m->done = true;
	m->ep_from = p->cur;
	switch (m->spec.kind) {
	case SIM_MOVE_PORT:
		idx = phone_open_ep(s, p, &old->addr, 0);
		break;
	case SIM_MOVE_IP:
		if (next_ip(s, &ip) == -1)
			errx(1, "move %d: no free 127.0.0.X", k + 1);
		idx = phone_open_ep(s, p, &ip, addr_port(&old->addr));
		if (idx == -1)
			idx = phone_open_ep(s, p, &ip, 0);
		break;
	case SIM_MOVE_IPPORT:
		if (next_ip(s, &ip) == -1)
			errx(1, "move %d: no free 127.0.0.X", k + 1);
		idx = phone_open_ep(s, p, &ip, 0);
		break;
	case SIM_MOVE_BACK:
		idx = 0;
		break;
	}
	if (idx == -1)
		errx(1, "move %d: cannot open a socket pair", k + 1);
	m->ep_to = idx;
	p->prev = m->spec.overlap_ms > 0 ? p->cur : -1;
	p->overlap_end = rel_us(s) + m->spec.overlap_ms * 1000;
	p->cur = idx;
	p->path = (uint8_t)(k + 1);
	if (m->spec.newssrc)
		phone_new_stream(s, p);
	vlog(s, "move %d: phone %c %s -> %s", k + 1, p->who,
	    addr_str(&p->ep[m->ep_from].addr, b1, sizeof(b1)),
	    addr_str(&p->ep[idx].addr, b2, sizeof(b2)));
	if (m->spec.reinvite) {
		/* The re-INVITE's offer and the other party's answer. */
		m->txn_u = txn_push(s, TXN_OFFER, s->mover);
		m->txn_l = txn_push(s, TXN_ANSWER, s->mover);
		txn_tick(s);
	}
}

void
moves_tick(struct sim *s, int64_t now)
{
	int k;

	for (k = 0; k < s->nmv; k++)
		if (!s->mv[k].done && now >= s->mv[k].spec.at_ms * 1000)
			move_apply(s, k);
}

int64_t
moves_next(const struct sim *s)
{
	int k;

	for (k = 0; k < s->nmv; k++)
		if (!s->mv[k].done)
			return s->mv[k].spec.at_ms * 1000;
	return INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */

static bool
accepted_at(const struct phone *p, int ep, int64_t now)
{
	return ep == p->cur || (ep == p->prev && now < p->overlap_end);
}

static struct move *
cur_move(struct sim *s, const struct phone *p)
{
	if (p != &s->ph[s->mover] || p->path == 0)
		return NULL;
	return &s->mv[p->path - 1];
}

static struct move *
mover_move(struct sim *s)
{
	return s->ph[s->mover].path ? &s->mv[s->ph[s->mover].path - 1] : NULL;
}

/* The move a packet names by its path, if the mover sent it after one. */
static struct move *
path_move(struct sim *s, const struct phone *sender, uint8_t path)
{
	if (sender != &s->ph[s->mover] || path == 0 || path > s->nmv)
		return NULL;
	return &s->mv[path - 1];
}

/* The timeline's direction of what p receives: 0 is A->B. */
static int
rx_dir(const struct sim *s, const struct phone *p)
{
	return p == &s->ph[0];
}

/*
 * The mover's address a packet to p used, as an endpoint index: where
 * it arrived if p is the mover, else where the mover sent it from.
 */
static unsigned
rx_src(const struct sim *s, const struct phone *p, int ep, uint8_t path)
{
	if (p == &s->ph[s->mover])
		return (unsigned)ep;
	if (path == 0 || path > s->nmv || !s->mv[path - 1].done)
		return 0;
	return (unsigned)s->mv[path - 1].ep_to;
}

void
phone_rx_rtp(struct sim *s, struct phone *p, int ep, const uint8_t *buf,
    size_t len, int64_t now)
{
	struct phone *peer = &s->ph[p == &s->ph[0]];
	struct rtp_info ri;
	struct sim_mark mk;
	struct move *m, *mm;
	bool ok = accepted_at(p, ep, now);

	if (rtp_classify(buf, len, &ri) == PKT_RTCP) {
		p->misrouted++;
		return;
	}
	if (!rtp_mark(buf, &ri, &mk)) {
		p->injected++;
		sim_tl_count(&s->tl, now, SIM_TL_INJECTED, rx_dir(s, p), 0);
		return;
	}
	if (mk.who == 'X') {
		p->injected++;
		p->atk_rtp++;
		sim_tl_count(&s->tl, now, SIM_TL_INJECTED, rx_dir(s, p), 0);
		return;
	}
	if (mk.who == p->who) {
		p->echoed++;
		return;
	}
	if (!ok) {
		p->to_old++;
		if ((mm = mover_move(s)) != NULL)
			mm->to_old_rtp++;
		sim_tl_count(&s->tl, now, SIM_TL_STALE, rx_dir(s, p),
		    rx_src(s, p, ep, mk.path));
		return;
	}
	if (sim_flow_rx(&peer->tx, mk.index, now) == SIM_RX_BOGUS)
		return;
	sim_tl_count(&s->tl, now, SIM_TL_RX, rx_dir(s, p),
	    rx_src(s, p, ep, mk.path));
	/* The mover's packets from its new address reached the peer. */
	if ((m = path_move(s, peer, mk.path)) != NULL &&
	    m->obs.first_rx_idx < 0) {
		m->obs.first_rx_idx = mk.index;
		m->obs.first_rx_us = now;
	}
	/* The peer's packets reached the mover's new address. */
	if ((m = cur_move(s, p)) != NULL && ep == m->ep_to &&
	    m->obs.first_dl_idx < 0) {
		m->obs.first_dl_idx = mk.index;
		m->obs.first_dl_us = now;
	}
}

void
phone_rx_rtcp(struct sim *s, struct phone *p, int ep, const uint8_t *buf,
    size_t len, int64_t now)
{
	struct phone *peer = &s->ph[p == &s->ph[0]];
	struct rtp_info ri;
	struct sim_mark mk;
	struct move *m;
	bool marked;

	if (rtp_classify(buf, len, &ri) != PKT_RTCP) {
		if (rtp_mark(buf, &ri, &mk) && mk.who == peer->who)
			p->misrouted++;
		else
			p->rtcp_injected++;
		return;
	}
	marked = sim_rtcp_mark(buf, len, &mk);
	if (marked && mk.who == 'X') {
		p->rtcp_injected++;
		p->atk_rtcp++;
		/* The attacker's only: a relay may rebuild a phone's RTCP. */
		sim_tl_count(&s->tl, now, SIM_TL_INJECTED, rx_dir(s, p), 0);
		return;
	}
	if (marked && mk.who == p->who) {
		p->echoed++;
		return;
	}
	/* A relay may rebuild RTCP; then the sender SSRC is all we have. */
	if (!marked && ri.ssrc != peer->ssrc && ri.ssrc != peer->first_ssrc) {
		p->rtcp_injected++;
		return;
	}
	if (!accepted_at(p, ep, now)) {
		p->rtcp_to_old++;
		if ((m = mover_move(s)) != NULL)
			m->to_old_rtcp++;
		return;
	}
	p->rtcp_rx++;
	if (marked && (m = path_move(s, peer, mk.path)) != NULL)
		m->rtcp_from_new++;
	if ((m = cur_move(s, p)) != NULL && ep == m->ep_to)
		m->rtcp_to_new++;
}
