/*
 * resize.c - repacketize sample-based audio (the Z modifier). See resize.h.
 */
#include "media/proc/resize.h"

#include <string.h>

#define MAX_MISORDER	100	/* this far behind: late or duplicate */
#define MAX_DROPOUT	3000	/* this far ahead: loss; further: restart */
#define PAUSE_MIN_US	10000	/* minimum slack before a pause flush */

struct codec {
	uint32_t	clock;		/* RTP clock, Hz */
	unsigned	bpt;		/* payload bytes per clock tick */
};

static const struct {
	uint8_t		pt;
	struct codec	c;
} static_codecs[] = {
	{ 0, { 8000, 1 } },		/* PCMU */
	{ 8, { 8000, 1 } },		/* PCMA */
	{ 9, { 8000, 1 } },		/* G.722: 16 kHz audio, 8 kHz clock */
	{ 10, { 44100, 4 } },		/* L16 stereo */
	{ 11, { 44100, 2 } },		/* L16 mono */
};


int
resize_init(struct resizer *rz, unsigned target_ms)
{
	memset(rz, 0, sizeof(*rz));
	if (target_ms < RESIZE_MIN_MS || target_ms > RESIZE_MAX_MS)
		return -1;
	rz->target_ms = target_ms;
	return 0;
}

int
resize_declare_l16(struct resizer *rz, unsigned pt, unsigned clock_hz,
    unsigned channels)
{
	struct resize_dyn *d = NULL;
	unsigned i;

	if (pt < 96 || pt > 127 || clock_hz < 1000 || clock_hz > 192000 ||
	    channels < 1 || channels > 2)
		return -1;
	for (i = 0; i < rz->ndyn; i++)
		if (rz->dyn[i].pt == pt)
			d = &rz->dyn[i];
	if (d == NULL) {
		if (rz->ndyn == RESIZE_DYN_MAX)
			return -1;
		d = &rz->dyn[rz->ndyn++];
	}
	d->pt = (uint8_t)pt;
	d->clock = clock_hz;
	d->bpt = (uint8_t)(2 * channels);
	return 0;
}

/* The codec of `pt` and the target in its ticks, or why it has none. */
static enum resize_why
lookup(const struct resizer *rz, unsigned pt, struct codec *c,
    uint32_t *target_ticks)
{
	uint64_t t;
	size_t i;
	bool found = false;

	for (i = 0; i < sizeof(static_codecs) / sizeof(static_codecs[0]); i++)
		if (static_codecs[i].pt == pt) {
			*c = static_codecs[i].c;
			found = true;
		}
	for (i = 0; i < rz->ndyn; i++)
		if (rz->dyn[i].pt == pt) {
			c->clock = rz->dyn[i].clock;
			c->bpt = rz->dyn[i].bpt;
			found = true;
		}
	if (!found)
		return RESIZE_WHY_CODEC;
	t = (uint64_t)rz->target_ms * c->clock;
	if (t == 0 || t % 1000 != 0)
		return RESIZE_WHY_PTIME;
	t /= 1000;
	if (t * c->bpt > RESIZE_MAX_PAYLOAD)
		return RESIZE_WHY_TOO_LARGE;
	*target_ticks = (uint32_t)t;
	return RESIZE_WHY_OK;
}

enum resize_why
resize_pt_check(const struct resizer *rz, unsigned pt)
{
	struct codec c;
	uint32_t t;

	return lookup(rz, pt, &c, &t);
}

const char *
resize_why_name(enum resize_why w)
{
	switch (w) {
	case RESIZE_WHY_OK:
		return "resizable";
	case RESIZE_WHY_CODEC:
		return "not a sample-based codec";
	case RESIZE_WHY_PTIME:
		return "ptime not a whole number of samples";
	case RESIZE_WHY_TOO_LARGE:
		return "target packet too large";
	}
	return "?";
}

static size_t
run_len(const struct resizer *rz)
{
	return rz->len - rz->tail.len;
}

/* Output is waiting for resize_get(). */
static bool
pending(const struct resizer *rz)
{
	size_t n = run_len(rz);

	return rz->tail.len > 0 || (n > 0 &&
	    (n >= rz->target_bytes || rz->flushing));
}

/*
 * End the run: what it holds becomes the tail, sent first as one packet
 * with the next sequence number. Only called with no tail pending (the
 * caller drained), so the tail is always shorter than its target.
 */
static void
end_run(struct resizer *rz)
{
	size_t n = run_len(rz);

	if (n > 0) {
		rz->tail = rz->run;
		rz->tail.len = n;
		rz->tail.seq = rz->out_seq++;
	}
	rz->flushing = false;
}

/* Output sequence numbers to leave out for `gap` lost input packets. */
static uint16_t
skip_for(const struct resizer *rz, uint32_t gap)
{
	uint64_t t = gap;

	if (gap > 0 && rz->last_resizable)
		t = ((uint64_t)gap * rz->last_ticks + rz->last_target_ticks -
		    1) / rz->last_target_ticks;
	/* A receiver takes a jump of 2^15 or more as going backwards. */
	return (uint16_t)(t < MAX_DROPOUT ? t : MAX_DROPOUT);
}

static enum resize_verdict
pass(struct resizer *rz, uint8_t *pkt, const struct rtp_info *info,
    enum resize_why why, uint32_t gap)
{
	end_run(rz);
	if (rz->owned) {
		rz->out_seq += skip_for(rz, gap);
		wr_be16(pkt + 2, rz->out_seq);
	}
	rz->out_seq++;
	rz->have_last = true;
	rz->last_seq = info->seq;
	rz->last_resizable = false;
	rz->st.pass++;
	if (why != RESIZE_WHY_OK &&
	    !(rz->reported[info->pt >> 6] >> (info->pt & 63) & 1)) {
		rz->reported[info->pt >> 6] |= (uint64_t)1 << (info->pt & 63);
		return RESIZE_PASS_NEW;
	}
	return RESIZE_PASS;
}

enum resize_verdict
resize_put(struct resizer *rz, uint8_t *pkt, size_t len,
    const struct rtp_info *info, uint64_t now_us)
{
	struct codec c;
	enum resize_why why;
	uint32_t gap = 0, ticks, target_ticks = 0;
	uint64_t dur_us;
	size_t plen = info->payload_len;
	int d = 1;

	if (info->kind != PKT_RTP || len < RTP_HDR_MIN ||
	    (size_t)info->hdr_len + plen > len)
		return RESIZE_PASS;
	if (pending(rz))
		return RESIZE_BUSY;
	rz->st.in++;

	if (!rz->have_ssrc || info->ssrc != rz->ssrc) {
		end_run(rz);
		rz->have_ssrc = true;
		rz->ssrc = info->ssrc;
		rz->owned = false;
		rz->have_last = false;
	}
	if (rz->have_last) {
		d = seq_delta(rz->last_seq, info->seq);
		if (d <= 0 && d > -MAX_MISORDER) {
			if (!rz->owned) {
				/* Not ours to judge: forward as it is. */
				rz->st.pass++;
				return RESIZE_PASS;
			}
			rz->st.late++;
			return RESIZE_DROP;
		}
		if (d > 1 && d <= MAX_DROPOUT)
			gap = (uint32_t)d - 1;
	}
	if (!rz->owned)
		rz->out_seq = info->seq;

	why = lookup(rz, info->pt, &c, &target_ticks);
	if (why != RESIZE_WHY_OK)
		return pass(rz, pkt, info, why, gap);
	if (plen == 0 || plen % c.bpt != 0 || plen > RESIZE_MAX_PAYLOAD) {
		rz->st.unfit++;
		return pass(rz, pkt, info, why, gap);
	}
	ticks = (uint32_t)(plen / c.bpt);

	if (run_len(rz) > 0 && (info->pt != rz->run.pt || d != 1 ||
	    info->ts != rz->next_ts || info->marker))
		end_run(rz);
	if (rz->owned)
		rz->out_seq += skip_for(rz, gap);
	rz->owned = true;

	if (run_len(rz) == 0) {
		rz->run.ssrc = info->ssrc;
		rz->run.pt = info->pt;
		rz->run.ts = info->ts;
		rz->run.marker = info->marker;
		rz->bpt = c.bpt;
		rz->target_bytes = (size_t)target_ticks * c.bpt;
	} else
		rz->st.merged++;
	if (run_len(rz) + plen > rz->target_bytes)
		rz->st.split++;

	/*
	 * Less than one target packet (< RESIZE_MAX_PAYLOAD) is held, as run
	 * or tail, and plen <= RESIZE_MAX_PAYLOAD: it fits.
	 */
	memmove(rz->buf, rz->buf + rz->head, rz->len);
	rz->head = 0;
	memcpy(rz->buf + rz->len, pkt + info->hdr_len, plen);
	rz->len += plen;

	dur_us = (uint64_t)ticks * 1000000 / c.clock;
	rz->have_last = true;
	rz->last_seq = info->seq;
	rz->last_resizable = true;
	rz->next_ts = info->ts + ticks;
	rz->last_ticks = ticks;
	rz->last_target_ticks = target_ticks;
	rz->last_us = now_us;
	rz->pause_us = dur_us + (dur_us / 2 > PAUSE_MIN_US ? dur_us / 2 :
	    PAUSE_MIN_US);
	return RESIZE_TAKEN;
}

static void
build(uint8_t *out, const struct resize_seg *s, uint16_t seq,
    const uint8_t *payload, size_t n)
{
	out[0] = 0x80;
	out[1] = (uint8_t)((s->marker ? 0x80 : 0) | s->pt);
	wr_be16(out + 2, seq);
	wr_be32(out + 4, s->ts);
	wr_be32(out + 8, s->ssrc);
	memcpy(out + RTP_HDR_MIN, payload, n);
}

int
resize_get(struct resizer *rz, uint8_t *out, size_t cap, size_t *len)
{
	size_t n;

	if (rz->tail.len > 0) {
		n = rz->tail.len;
		if (cap < RTP_HDR_MIN + n)
			return -1;
		build(out, &rz->tail, rz->tail.seq, rz->buf + rz->head, n);
		rz->head += n;
		rz->len -= n;
		rz->tail.len = 0;
		rz->st.out++;
		rz->st.flushed++;
		*len = RTP_HDR_MIN + n;
		return 1;
	}
	n = rz->len;
	if (n == 0)
		return 0;
	if (n >= rz->target_bytes)
		n = rz->target_bytes;
	else if (!rz->flushing)
		return 0;
	if (cap < RTP_HDR_MIN + n)
		return -1;
	build(out, &rz->run, rz->out_seq++, rz->buf + rz->head, n);
	rz->run.ts += (uint32_t)(n / rz->bpt);
	rz->run.marker = false;
	rz->head += n;
	rz->len -= n;
	if (rz->len == 0)
		rz->flushing = false;
	rz->st.out++;
	if (n < rz->target_bytes)
		rz->st.flushed++;
	*len = RTP_HDR_MIN + n;
	return 1;
}

uint64_t
resize_deadline_us(const struct resizer *rz)
{
	if (run_len(rz) == 0 || rz->flushing)
		return UINT64_MAX;
	return rz->last_us + rz->pause_us;
}

int
resize_flush(struct resizer *rz, uint64_t now_us)
{
	if (run_len(rz) > 0 && (now_us == UINT64_MAX ||
	    now_us >= resize_deadline_us(rz)))
		rz->flushing = true;
	return pending(rz) ? 1 : 0;
}
