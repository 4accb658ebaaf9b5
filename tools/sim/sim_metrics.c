/*
 * sim_metrics.c - rtproam-sim's packet formats and counting. Pure.
 */
#include "sim_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet/rtp.h"

#define RTCP_SR		200
#define RTCP_SDES	202
#define SDES_CNAME	1


static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static bool
who_ok(char c)
{
	return c == 'A' || c == 'B' || c == 'X';
}

void
sim_mark_put(uint8_t *p, const struct sim_mark *m)
{
	uint64_t t = (uint64_t)m->sent_us;

	memcpy(p, "RSIM", 4);
	p[4] = (uint8_t)m->who;
	p[5] = m->path;
	p[6] = p[7] = 0;
	wr_be32(p + 8, m->index);
	wr_be32(p + 12, (uint32_t)(t >> 32));
	wr_be32(p + 16, (uint32_t)t);
}

bool
sim_mark_get(const uint8_t *p, size_t len, struct sim_mark *m)
{
	if (len < SIM_MARK_LEN || memcmp(p, "RSIM", 4) != 0 ||
	    !who_ok((char)p[4]) || p[6] != 0 || p[7] != 0)
		return false;
	m->who = (char)p[4];
	m->path = p[5];
	m->index = get32(p + 8);
	m->sent_us = (int64_t)((uint64_t)get32(p + 12) << 32 | get32(p + 16));
	return true;
}

size_t
sim_rtp_build(uint8_t *buf, size_t cap, const struct sim_rtp *h,
    const struct sim_mark *m, size_t payload_len)
{
	size_t len = SIM_RTP_HDR + payload_len;

	if (payload_len < SIM_MARK_LEN || len > cap)
		return 0;
	buf[0] = 0x80;			/* V=2, no padding/extension/CSRC */
	buf[1] = h->pt & 0x7f;
	wr_be16(buf + 2, h->seq);
	wr_be32(buf + 4, h->ts);
	wr_be32(buf + 8, h->ssrc);
	sim_mark_put(buf + SIM_RTP_HDR, m);
	memset(buf + SIM_RTP_HDR + SIM_MARK_LEN, 0xff,
	    payload_len - SIM_MARK_LEN);
	return len;
}

size_t
sim_rtcp_build(uint8_t *buf, size_t cap, const struct sim_sr *sr,
    const struct sim_mark *m)
{
	char cname[64];
	size_t n, sdes, len;
	int cl;

	cl = snprintf(cname, sizeof(cname), "RSIM:%c:%u:%" PRIu32 ":%" PRId64,
	    m->who, m->path, m->index, m->sent_us);
	if (cl < 0 || (size_t)cl >= sizeof(cname))
		return 0;
	/* SDES chunk: SSRC, CNAME item, END, padded to 32 bits. */
	sdes = 4 + 4 + 2 + (size_t)cl + 1;
	sdes = (sdes + 3) & ~(size_t)3;
	len = 28 + sdes;
	if (len > cap)
		return 0;
	memset(buf, 0, len);

	buf[0] = 0x80;			/* V=2, no report blocks */
	buf[1] = RTCP_SR;
	wr_be16(buf + 2, 28 / 4 - 1);
	wr_be32(buf + 4, sr->ssrc);
	wr_be32(buf + 8, (uint32_t)(sr->ntp >> 32));
	wr_be32(buf + 12, (uint32_t)sr->ntp);
	wr_be32(buf + 16, sr->rtp_ts);
	wr_be32(buf + 20, sr->packets);
	wr_be32(buf + 24, sr->octets);

	n = 28;
	buf[n] = 0x81;			/* V=2, one chunk */
	buf[n + 1] = RTCP_SDES;
	wr_be16(buf + n + 2, (uint16_t)(sdes / 4 - 1));
	wr_be32(buf + n + 4, sr->ssrc);
	buf[n + 8] = SDES_CNAME;
	buf[n + 9] = (uint8_t)cl;
	memcpy(buf + n + 10, cname, (size_t)cl);
	/* The END item and the padding are the zeroes already there. */
	return len;
}

/* "RSIM:W:path:index:sent_us" out of a CNAME that is not NUL-terminated. */
static bool
cname_mark(const uint8_t *p, size_t len, struct sim_mark *m)
{
	char s[64], who, *ep;
	unsigned long path;
	unsigned long long index;
	long long sent;

	if (len < 5 || len >= sizeof(s))
		return false;
	memcpy(s, p, len);
	s[len] = '\0';
	if (strncmp(s, "RSIM:", 5) != 0 || len < 8 || s[6] != ':')
		return false;
	who = s[5];
	if (!who_ok(who))
		return false;
	errno = 0;
	path = strtoul(s + 7, &ep, 10);
	if (*ep != ':' || path > 255)
		return false;
	index = strtoull(ep + 1, &ep, 10);
	if (*ep != ':' || index > UINT32_MAX)
		return false;
	sent = strtoll(ep + 1, &ep, 10);
	if (*ep != '\0' || errno != 0)
		return false;
	m->who = who;
	m->path = (uint8_t)path;
	m->index = (uint32_t)index;
	m->sent_us = sent;
	return true;
}

bool
sim_rtcp_mark(const uint8_t *buf, size_t len, struct sim_mark *m)
{
	size_t off = 0, plen, i, end;
	unsigned count;

	/* Walk the compound; every length field is checked against len. */
	while (off + 4 <= len) {
		if ((buf[off] >> 6) != 2)
			return false;
		plen = ((size_t)get16(buf + off + 2) + 1) * 4;
		if (plen > len - off)
			return false;
		count = buf[off] & 0x1f;
		if (buf[off + 1] == RTCP_SDES && count > 0 && plen >= 8) {
			/* Items of the first chunk only: ours has one. */
			end = off + plen;
			i = off + 8;
			while (i + 2 <= end && buf[i] != 0) {
				if (i + 2 + buf[i + 1] > end)
					return false;
				if (buf[i] == SDES_CNAME)
					return cname_mark(buf + i + 2,
					    buf[i + 1], m);
				i += 2 + (size_t)buf[i + 1];
			}
		}
		off += plen;
	}
	return false;
}

int
sim_flow_init(struct sim_flow *f, uint32_t cap)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->sent_us = calloc(cap, sizeof(*f->sent_us));
	f->sent_path = calloc(cap, sizeof(*f->sent_path));
	f->rx_us = calloc(cap, sizeof(*f->rx_us));
	f->rx_count = calloc(cap, sizeof(*f->rx_count));
	if (f->sent_us == NULL || f->sent_path == NULL || f->rx_us == NULL ||
	    f->rx_count == NULL) {
		sim_flow_free(f);
		return -1;
	}
	for (i = 0; i < cap; i++)
		f->rx_us[i] = -1;
	f->cap = cap;
	return 0;
}

void
sim_flow_free(struct sim_flow *f)
{
	free(f->sent_us);
	free(f->sent_path);
	free(f->rx_us);
	free(f->rx_count);
	memset(f, 0, sizeof(*f));
}

int64_t
sim_flow_sent(struct sim_flow *f, int64_t t_us, uint8_t path)
{
	if (f->nsent >= f->cap)
		return -1;
	f->sent_us[f->nsent] = t_us;
	f->sent_path[f->nsent] = path;
	return f->nsent++;
}

enum sim_rx
sim_flow_rx(struct sim_flow *f, uint32_t index, int64_t t_us)
{
	if (index >= f->nsent) {
		f->bogus++;
		return SIM_RX_BOGUS;
	}
	if (f->rx_count[index]++ > 0) {
		f->dups++;
		return SIM_RX_DUP;
	}
	f->rx_us[index] = t_us;
	return SIM_RX_FIRST;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
sim_percentile(int64_t *v, size_t n, unsigned pct)
{
	size_t rank;

	qsort(v, n, sizeof(*v), cmp_i64);
	if (pct > 100)
		pct = 100;
	/* Nearest rank: the smallest value with pct% of samples at or below. */
	rank = ((size_t)pct * n + 99) / 100;
	if (rank == 0)
		rank = 1;
	return v[rank - 1];
}

int
sim_flow_summary(const struct sim_flow *f, struct sim_flow_sum *s)
{
	int64_t *lat = NULL;
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->sent = f->nsent;
	s->dups = f->dups;
	if (f->nsent > 0 && (lat = malloc(f->nsent * sizeof(*lat))) == NULL)
		return -1;
	for (i = 0; i < f->nsent; i++) {
		if (f->rx_count[i] == 0)
			continue;
		s->received++;
		lat[s->nlat++] = f->rx_us[i] - f->sent_us[i];
	}
	s->lost = s->sent - s->received;
	if (s->nlat > 0) {
		s->p50_us = sim_percentile(lat, s->nlat, 50);
		s->p99_us = sim_percentile(lat, s->nlat, 99);
	}
	free(lat);
	return 0;
}

uint32_t
sim_flow_sent_between(const struct sim_flow *f, int64_t t0, int64_t t1)
{
	uint32_t i, n = 0;

	for (i = 0; i < f->nsent; i++)
		if (f->sent_us[i] >= t0 && f->sent_us[i] < t1)
			n++;
	return n;
}

uint32_t
sim_flow_lost_between(const struct sim_flow *f, int64_t t0, int64_t t1)
{
	uint32_t i, n = 0;

	for (i = 0; i < f->nsent; i++)
		if (f->sent_us[i] >= t0 && f->sent_us[i] < t1 &&
		    f->rx_count[i] == 0)
			n++;
	return n;
}

void
sim_move_obs_init(struct sim_move_obs *o, int64_t at_us, int64_t period_end_us,
    uint8_t path)
{
	memset(o, 0, sizeof(*o));
	o->at_us = at_us;
	o->period_end_us = period_end_us;
	o->path = path;
	o->first_tx_idx = o->first_rx_idx = o->first_dl_idx = -1;
}

void
sim_switch_measure(const struct sim_flow *mover, const struct sim_flow *peer,
    const struct sim_move_obs *o, int64_t window_us, struct sim_switch *sw)
{
	uint32_t i;

	memset(sw, 0, sizeof(*sw));
	sw->up = o->first_rx_idx >= 0 && o->first_tx_idx >= 0;
	if (sw->up) {
		sw->up_pkts = o->first_rx_idx - o->first_tx_idx;
		sw->up_us = o->first_rx_us - o->first_tx_us;
	} else {
		for (i = 0; i < mover->nsent; i++)
			if (mover->sent_path[i] == o->path)
				sw->up_pkts++;
	}
	sw->down = o->first_dl_idx >= 0 && o->first_tx_idx >= 0 &&
	    o->first_dl_idx < peer->nsent;
	if (sw->down) {
		sw->down_us = o->first_dl_us - o->first_tx_us;
		sw->down_pkts = sim_flow_sent_between(peer, o->first_tx_us,
		    peer->sent_us[o->first_dl_idx]);
	} else if (o->first_tx_idx >= 0)
		sw->down_pkts = sim_flow_sent_between(peer, o->first_tx_us,
		    o->period_end_us);
	sw->lost_up = sim_flow_lost_between(mover, o->at_us - window_us,
	    o->at_us + window_us);
	sw->lost_down = sim_flow_lost_between(peer, o->at_us - window_us,
	    o->at_us + window_us);
}
