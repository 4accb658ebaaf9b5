/*
 * attacker.c - rtproam-sim's blind attacker: it knows the relay's ports
 * (as anyone who sees the SDP does) and sprays them on a schedule; what
 * the relay sends back to it is counted as leaked.
 */
#include <err.h>
#include <string.h>

#include "packet/rtp.h"
#include "sim.h"

int64_t
atk_stop(const struct sim *s)
{
	return s->atk.cfg.stop_ms >= 0 ? s->atk.cfg.stop_ms * 1000 :
	    s->duration_us;
}

void
atk_open(struct sim *s)
{
	struct attacker *a = &s->atk;
	unsigned i;
	int fd;

	for (i = 0; i < a->cfg.ports; i++) {
		if ((fd = udp_bind(&a->cfg.from)) == -1)
			err(1, "attacker bind");
		a->fd[a->nfd++] = sock_add(s, fd, OWN_ATTACKER, (int)i, false);
	}
	a->ssrc = rnd_ssrc(s, 0);
	a->seq = (uint16_t)rnd(s);
	a->ts = rnd(s);
}

static void
atk_send_one(struct sim *s, int64_t now)
{
	struct attacker *a = &s->atk;
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct sim_rtp h;
	struct sim_sr sr;
	struct addr to;
	unsigned legs[2], nlegs = 0, i;
	size_t len = 0;
	int fd;

	if (a->cfg.legs & SIM_LEG_A)
		legs[nlegs++] = 0;
	if (a->cfg.legs & SIM_LEG_B)
		legs[nlegs++] = 1;
	to = s->ph[legs[a->rr % nlegs]].dst;
	fd = a->fd[(a->rr / nlegs) % a->nfd];
	a->rr++;

	mk.who = 'X';
	mk.path = 0;
	mk.index = (uint32_t)a->sent;
	mk.sent_us = now;
	h.pt = PCMU_PT;
	switch (a->cfg.kind) {
	case SIM_ATK_GARBAGE:
		len = 12 + rnd(s) % 189;
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(s);
		break;
	case SIM_ATK_SLOW:
	case SIM_ATK_RACE:
		h.ssrc = a->ssrc;
		h.seq = a->seq++;
		h.ts = a->ts;
		a->ts += SAMPLES;
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		break;
	case SIM_ATK_RTPFLOOD:
	case SIM_ATK_SSRCGUESS:
		/*
		 * A flood makes up an SSRC per packet; a guesser has the
		 * worst case, the SSRC known and the sequence guessed.
		 */
		if (a->cfg.kind == SIM_ATK_RTPFLOOD)
			h.ssrc = rnd_ssrc(s, 0);
		else
			h.ssrc = s->ph[0].ssrc;
		h.seq = (uint16_t)rnd(s);
		h.ts = rnd(s);
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		break;
	case SIM_ATK_RTCPREPLAY:
		memset(&sr, 0, sizeof(sr));
		sr.ssrc = s->ph[0].ssrc;
		sr.ntp = (uint64_t)rnd(s) << 32 | rnd(s);
		sr.rtp_ts = rnd(s);
		sr.packets = (uint32_t)(now > 0 ? now / PTIME_US : 0);
		sr.octets = sr.packets * PAYLOAD_LEN;
		len = sim_rtcp_build(buf, sizeof(buf), &sr, &mk);
		addr_set_port(&to, (uint16_t)(addr_port(&to) + 1));
		break;
	case SIM_ATK_NONE:
		return;
	}
	send_pkt(fd, &to, buf, len, &a->send_errors);
	a->sent++;
	sim_tl_count(&s->tl, now, SIM_TL_ATK_SENT, 0, 0);
}

void
atk_tick(struct sim *s, int64_t now)
{
	struct attacker *a = &s->atk;
	int64_t start = a->cfg.start_ms * 1000, end = atk_stop(s);
	uint64_t due;
	int n;

	if (a->cfg.kind == SIM_ATK_NONE || now < start)
		return;
	/*
	 * Packets owed by now at the configured rate, the first at start;
	 * past the stop time, those owed before it (the loop wakes up to a
	 * millisecond late).
	 */
	if (now >= end)
		now = end - 1;
	due = (uint64_t)((now - start) * (int64_t)a->cfg.rate / 1000000) + 1;
	for (n = 0; a->due_done < due && n < SIM_MAX_RATE; n++) {
		atk_send_one(s, now);
		a->due_done++;
	}
}

int64_t
atk_next(const struct sim *s)
{
	const struct attacker *a = &s->atk;
	int64_t t;

	if (a->cfg.kind == SIM_ATK_NONE)
		return INT64_MAX;
	t = a->cfg.start_ms * 1000 +
	    (int64_t)(a->due_done * 1000000 / a->cfg.rate);
	return t < atk_stop(s) ? t : INT64_MAX;
}

void
atk_rx(struct sim *s, const uint8_t *buf, size_t len, int64_t now)
{
	struct attacker *a = &s->atk;
	struct rtp_info ri;
	struct sim_mark mk;
	bool marked = false;

	sim_tl_count(&s->tl, now, SIM_TL_ATK_LEAKED, 0, 0);
	if (rtp_classify(buf, len, &ri) == PKT_RTCP) {
		a->leaked_rtcp++;
		marked = sim_rtcp_mark(buf, len, &mk);
	} else {
		a->leaked_rtp++;
		marked = rtp_mark(buf, &ri, &mk);
	}
	if (marked && mk.who == 'A')
		a->leaked_a++;
	else if (marked && mk.who == 'B')
		a->leaked_b++;
	else
		a->leaked_other++;
}
