/*
 * jbuf.c - per-stream jitter buffer. The rules are in jbuf.h; this file
 * applies them one packet at a time.
 *
 * Pure: no I/O, no clock, no allocation. Times are int64 microseconds
 * inside (a nominal time may precede the first arrival); the caller's
 * uint64 times are taken to be below 2^63.
 *
 * The ring holds nslots entries. Each owns the index of one packet
 * buffer, and the indices are a permutation of 0..nslots-1 at all times:
 * the held packets are the count entries from head on, sorted by ext,
 * and the rest hold the free buffers. Inserting at rank r takes the free
 * buffer behind the last held entry and rotates the entries from r on
 * one place back, so no packet byte ever moves after it is copied in.
 */
#include "media/proc/jbuf.h"

#include <string.h>

#define US_PER_S		1000000
#define SEQ_MOD			65536
#define SEQ_NONE		(SEQ_MOD + 1)
#define SEQ_MAX_DROPOUT		3000	/* RFC 3550 A.1 */
#define SEQ_MAX_MISORDER	100	/* RFC 3550 A.1 */
/* ext step at a new SSRC or restart: its reordered packets stay apart. */
#define EPOCH_GAP		1024
#define PTIME_MAX_US		200000	/* a longer step is not an interval */
#define TS_REBASE		((int32_t)1 << 30)
#define JUMP_US			((int64_t)JBUF_JUMP_MS * 1000)

static const char *const mode_names[] = {
	[JBUF_OFF] = "off",
	[JBUF_FIXED] = "fixed",
	[JBUF_ADAPTIVE] = "adaptive",
};

static const char *const result_names[] = {
	[JBUF_QUEUED] = "queued",
	[JBUF_LATE] = "late",
	[JBUF_DUPLICATE] = "duplicate",
	[JBUF_FULL] = "full",
	[JBUF_BAD] = "bad",
};

void
jbuf_config_default(struct jbuf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = JBUF_FIXED;
	cfg->clock_rate = 8000;
	cfg->depth_ms = 40;
	cfg->min_depth_ms = 20;
	cfg->max_depth_ms = 150;
	cfg->jitter_mult = 3;
	cfg->margin_ms = 10;
	cfg->shrink_ms_per_s = 5;
	cfg->event_pt = JBUF_NO_PT;
}

int
jbuf_mode_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
jbuf_mode_name(enum jbuf_mode m)
{
	if ((unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[m];
	return "?";
}

const char *
jbuf_put_result_name(enum jbuf_put_result r)
{
	if ((unsigned)r < sizeof(result_names) / sizeof(result_names[0]))
		return result_names[r];
	return "?";
}

static uint32_t
deepest_ms(const struct jbuf_config *cfg)
{
	if (cfg->mode == JBUF_ADAPTIVE || cfg->depth_ms > cfg->max_depth_ms)
		return cfg->max_depth_ms;
	return cfg->depth_ms;
}

size_t
jbuf_slots_for(const struct jbuf_config *cfg, uint32_t ptime_ms)
{
	if (ptime_ms == 0)
		ptime_ms = JBUF_PTIME_MS;
	return (deepest_ms(cfg) + ptime_ms - 1) / ptime_ms + 1 +
	    JBUF_SLOT_SLACK;
}

int
jbuf_init(struct jbuf *jb, const struct jbuf_config *cfg,
    struct jbuf_slot *slots, size_t nslots, uint8_t *data,
    size_t slot_bytes)
{
	uint32_t i, depth_ms;

	if (cfg->mode != JBUF_FIXED && cfg->mode != JBUF_ADAPTIVE)
		return -1;
	if (cfg->clock_rate == 0 || cfg->clock_rate > US_PER_S ||
	    cfg->max_depth_ms == 0 || cfg->depth_ms > cfg->max_depth_ms ||
	    cfg->min_depth_ms > cfg->max_depth_ms ||
	    cfg->max_depth_ms > JBUF_JUMP_MS ||
	    cfg->event_pt < JBUF_NO_PT || cfg->event_pt > 127)
		return -1;
	if (slots == NULL || data == NULL || nslots < 2 ||
	    nslots > JBUF_MAX_SLOTS || slot_bytes < RTP_HDR_MIN ||
	    slot_bytes > UINT16_MAX)
		return -1;

	memset(jb, 0, sizeof(*jb));
	jb->cfg = *cfg;
	jb->slot = slots;
	jb->data = data;
	jb->nslots = (uint32_t)nslots;
	jb->slot_bytes = (uint32_t)slot_bytes;
	for (i = 0; i < jb->nslots; i++) {
		memset(&slots[i], 0, sizeof(slots[i]));
		slots[i].buf = i;
	}
	jb->bad_seq = SEQ_NONE;
	jb->pkt_us = (int64_t)JBUF_PTIME_MS * 1000;

	depth_ms = cfg->depth_ms;
	if (cfg->mode == JBUF_ADAPTIVE && depth_ms < cfg->min_depth_ms)
		depth_ms = cfg->min_depth_ms;
	jb->depth_us = jb->max_depth_us = (int64_t)depth_ms * 1000;
	return 0;
}

/* ---- time ---------------------------------------------------------- */

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Timestamp ticks to microseconds. */
static int64_t
ticks_us(const struct jbuf *jb, int64_t ticks)
{
	return floordiv(ticks * US_PER_S, jb->cfg.clock_rate);
}

static int64_t
nominal(const struct jbuf *jb, uint32_t ts)
{
	return jb->tl_us + ticks_us(jb, (int32_t)(ts - jb->tl_ts));
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* ---- ring ---------------------------------------------------------- */

static struct jbuf_slot *
at(const struct jbuf *jb, uint32_t i)
{
	return &jb->slot[(jb->head + i) % jb->nslots];
}

/*
 * Rank ext would take among the held packets; *dup when one has it.
 * Searched from the newest end, where an in-order packet goes.
 */
static uint32_t
rank_of(const struct jbuf *jb, int64_t ext, bool *dup)
{
	uint32_t r = jb->count;

	*dup = false;
	while (r > 0 && at(jb, r - 1)->ext >= ext) {
		if (at(jb, r - 1)->ext == ext) {
			*dup = true;
			break;
		}
		r--;
	}
	return r;
}

static struct jbuf_slot *
insert(struct jbuf *jb, uint32_t r)
{
	uint32_t i, freebuf = at(jb, jb->count)->buf;

	for (i = jb->count; i > r; i--)
		*at(jb, i) = *at(jb, i - 1);
	at(jb, r)->buf = freebuf;
	jb->count++;
	if (jb->count > jb->max_held)
		jb->max_held = jb->count;
	return at(jb, r);
}

/* The head has gone out or been dropped: later older packets are late. */
static void
pass_head(struct jbuf *jb)
{
	const struct jbuf_slot *s = at(jb, 0);
	uint64_t step;

	if (jb->passed_any) {
		step = (uint64_t)(s->ext - jb->pass_ext);
		jb->pass_bits = step >= 64 ? 0 : jb->pass_bits << step;
	} else
		jb->pass_bits = 0;
	jb->pass_bits |= 1;
	jb->pass_ext = s->ext;
	jb->passed_any = true;
	jb->head = (jb->head + 1) % jb->nslots;
	jb->count--;
}

/* ---- timeline ------------------------------------------------------ */

static void
anchor(struct jbuf *jb, uint32_t ts, uint64_t now)
{
	jb->anchored = true;
	jb->gen++;
	jb->tl_ts = ts;
	jb->tl_us = (int64_t)now;
	jb->win_start_us = now;
	jb->win_any = false;
	jb->late_run = false;
	jb->jit_valid = false;
	jb->reanchors++;
}

/* Shift the timeline, and the held packets on it, by delta (+ = later). */
static void
slide(struct jbuf *jb, int64_t delta)
{
	uint32_t i;

	jb->tl_us += delta;
	for (i = 0; i < jb->count; i++)
		if (at(jb, i)->gen == jb->gen)
			at(jb, i)->nominal_us += delta;
	jb->win_min_e -= delta;
	jb->late_min_e -= delta;
}

/* Keep ts - tl_ts far from the int32 limits, in whole seconds (exact). */
static void
rebase(struct jbuf *jb, uint32_t ts)
{
	int32_t span = (int32_t)(ts - jb->tl_ts);
	int64_t k;

	if (span < TS_REBASE && span > -TS_REBASE)
		return;
	k = span / (int64_t)jb->cfg.clock_rate;
	jb->tl_ts += (uint32_t)(k * jb->cfg.clock_rate);
	jb->tl_us += k * US_PER_S;
}

/*
 * A marker after a timestamp gap of more than 1.5 intervals starts a new
 * talkspurt. The arrival gap is no evidence: jitter makes those, and the
 * first packet of a DTMF event carries a marker too.
 */
static bool
talkspurt_gap(const struct jbuf *jb, uint32_t ts)
{
	if (!jb->have_hi_ts)
		return true;
	return ticks_us(jb, (int32_t)(ts - jb->hi_ts)) >
	    jb->pkt_us + jb->pkt_us / 2;
}

/* Once per window, move later by the window's smallest excess. */
static void
window_roll(struct jbuf *jb, uint64_t now)
{
	if (now - jb->win_start_us < (uint64_t)JBUF_WINDOW_MS * 1000)
		return;
	if (jb->win_any && jb->win_min_e > 0)
		slide(jb, jb->win_min_e);
	jb->win_start_us = now;
	jb->win_any = false;
}

/* ---- depth --------------------------------------------------------- */

/* RFC 3550 A.8, in microseconds: J += (|D| - J) / 16. */
static void
jitter_sample(struct jbuf *jb, uint32_t ts, uint64_t now)
{
	int64_t d;

	if (jb->jit_valid) {
		d = (int64_t)(now - jb->jit_arrival_us) -
		    ticks_us(jb, (int32_t)(ts - jb->jit_ts));
		if (d < 0)
			d = -d;
		if (d > JUMP_US)
			d = JUMP_US;
		jb->jitter_q4 += d - jb->jitter_q4 / 16;
	}
	jb->jit_valid = true;
	jb->jit_arrival_us = now;
	jb->jit_ts = ts;
}

static void
adapt(struct jbuf *jb, uint64_t now)
{
	const struct jbuf_config *c = &jb->cfg;
	int64_t target, dec;

	if (c->mode != JBUF_ADAPTIVE)
		return;
	target = (int64_t)c->jitter_mult * (jb->jitter_q4 / 16) +
	    (int64_t)c->margin_ms * 1000;
	if (target < (int64_t)c->min_depth_ms * 1000)
		target = (int64_t)c->min_depth_ms * 1000;
	if (target > (int64_t)c->max_depth_ms * 1000)
		target = (int64_t)c->max_depth_ms * 1000;
	if (target >= jb->depth_us)
		jb->depth_us = target;
	else if (jb->adapt_valid) {
		dec = (int64_t)(now - jb->adapt_us) * c->shrink_ms_per_s /
		    1000;
		jb->depth_us = max64(target, jb->depth_us - dec);
	}
	jb->adapt_valid = true;
	jb->adapt_us = now;
	if (jb->depth_us > jb->max_depth_us)
		jb->max_depth_us = jb->depth_us;
}

/* ---- put ----------------------------------------------------------- */

/* Start a sequence epoch: a new SSRC, or a restart of the same one. */
static void
new_epoch(struct jbuf *jb, const struct rtp_info *info, uint64_t now)
{
	if (jb->have_stream && info->ssrc != jb->ssrc) {
		jb->have_prev = true;
		jb->prev_ssrc = jb->ssrc;
		jb->change_us = now;
		jb->ssrc_changes++;
	} else if (jb->have_stream)
		jb->seq_restarts++;
	jb->hi_ext = jb->have_stream ? jb->hi_ext + EPOCH_GAP : EPOCH_GAP;
	jb->have_stream = true;
	jb->ssrc = info->ssrc;
	jb->hi_seq = info->seq;
	jb->bad_seq = SEQ_NONE;
	jb->have_hi_ts = false;
	jb->anchored = false;
}

/*
 * Place the packet in the sequence: its ext in *ext, whether it is the
 * newest in *newest. Returns false if it is to be dropped as JBUF_BAD,
 * or, with *late set, as a straggler of the previous SSRC (one that
 * arrives within the maximum depth of the change).
 */
static bool
sequence(struct jbuf *jb, const struct rtp_info *info, uint64_t now,
    int64_t *ext, bool *newest, bool *late)
{
	int d;

	*late = jb->have_stream && jb->have_prev &&
	    info->ssrc != jb->ssrc && info->ssrc == jb->prev_ssrc &&
	    now - jb->change_us < (uint64_t)jb->cfg.max_depth_ms * 1000;
	if (*late)
		return false;
	if (!jb->have_stream || info->ssrc != jb->ssrc) {
		new_epoch(jb, info, now);
		*ext = jb->hi_ext;
		*newest = true;
		return true;
	}
	d = seq_delta(jb->hi_seq, info->seq);
	if (d > 0 && d < SEQ_MAX_DROPOUT) {
		*ext = jb->hi_ext + d;
		*newest = true;
	} else if (d <= 0 && d > -SEQ_MAX_MISORDER) {
		*ext = jb->hi_ext + d;
		*newest = false;
	} else if (info->seq == jb->bad_seq) {
		new_epoch(jb, info, now);
		*ext = jb->hi_ext;
		*newest = true;
	} else {
		jb->bad_seq = (info->seq + 1) % SEQ_MOD;
		return false;
	}
	return true;
}

/* The newest packet so far: remember it, and measure the interval. */
static void
note_newest(struct jbuf *jb, const struct rtp_info *info, int64_t ext,
    bool exempt, uint64_t now)
{
	int64_t dt;

	jb->hi_seq = info->seq;
	jb->hi_ext = ext;
	jb->hi_arrival_us = now;
	if (exempt)
		return;
	if (jb->have_hi_ts && ext == jb->hi_timed_ext + 1) {
		dt = ticks_us(jb, (int32_t)(info->ts - jb->hi_ts));
		if (dt > 0 && dt <= PTIME_MAX_US)
			jb->pkt_us = dt;
	}
	jb->have_hi_ts = true;
	jb->hi_ts = info->ts;
	jb->hi_timed_ext = ext;
}

/*
 * Time an ordinary packet against the timeline; false if it is late.
 * *e gets its excess over its nominal time.
 */
static bool
on_time(struct jbuf *jb, const struct rtp_info *info, uint64_t now,
    int64_t *e)
{
	/*
	 * Only an older packet gets here this far off (a newer one has
	 * re-anchored): a straggler from before a jump. It must neither
	 * drag the timeline along nor count as jitter.
	 */
	*e = (int64_t)now - nominal(jb, info->ts);
	if (*e < -JUMP_US || *e > jb->depth_us + JUMP_US)
		return false;
	jitter_sample(jb, info->ts, now);
	window_roll(jb, now);
	*e = (int64_t)now - nominal(jb, info->ts);
	if (*e < 0) {
		slide(jb, *e);
		*e = 0;
	}
	if (!jb->win_any || *e < jb->win_min_e)
		jb->win_min_e = *e;
	jb->win_any = true;
	adapt(jb, now);
	if (*e <= jb->depth_us) {
		jb->late_run = false;
		return true;
	}
	if (!jb->late_run) {
		jb->late_run = true;
		jb->late_start_us = now;
		jb->late_min_e = *e;
	} else if (*e < jb->late_min_e)
		jb->late_min_e = *e;
	if (now - jb->late_start_us >= (uint64_t)JBUF_RESYNC_MS * 1000) {
		*e -= jb->late_min_e;
		slide(jb, jb->late_min_e);
		jb->late_run = false;
		jb->resyncs++;
	}
	return *e <= jb->depth_us;
}

enum jbuf_put_result
jbuf_put(struct jbuf *jb, const uint8_t *pkt, size_t len,
    const struct rtp_info *info, uint64_t now_us)
{
	struct jbuf_slot *s;
	int64_t ext, e, nom;
	uint64_t back;
	uint32_t r;
	bool newest, late, dup, exempt;

	if (info->kind != PKT_RTP || len > jb->slot_bytes ||
	    len < info->hdr_len) {
		jb->bad++;
		return JBUF_BAD;
	}
	if (!sequence(jb, info, now_us, &ext, &newest, &late)) {
		if (late) {
			jb->late++;
			return JBUF_LATE;
		}
		jb->bad++;
		return JBUF_BAD;
	}
	if (jb->passed_any && ext <= jb->pass_ext) {
		back = (uint64_t)(jb->pass_ext - ext);
		if (back < 64 && (jb->pass_bits >> back) & 1) {
			jb->duplicates++;
			return JBUF_DUPLICATE;
		}
		jb->late++;
		return JBUF_LATE;
	}
	r = rank_of(jb, ext, &dup);
	if (dup) {
		jb->duplicates++;
		return JBUF_DUPLICATE;
	}

	/* Events and packets sharing a timestamp are not timed by it. */
	exempt = (jb->cfg.event_pt >= 0 && info->pt == jb->cfg.event_pt) ||
	    (jb->have_hi_ts && info->ts == jb->hi_ts);

	if (!jb->anchored)
		anchor(jb, info->ts, now_us);
	else if (newest && !exempt) {
		e = (int64_t)now_us - nominal(jb, info->ts);
		if ((info->marker && talkspurt_gap(jb, info->ts)) ||
		    e < -JUMP_US || e > jb->depth_us + JUMP_US)
			anchor(jb, info->ts, now_us);
	}

	if (!exempt) {
		if (!on_time(jb, info, now_us, &e)) {
			if (newest)
				note_newest(jb, info, ext, exempt, now_us);
			jb->late++;
			return JBUF_LATE;
		}
		nom = (int64_t)now_us - e;
	} else
		nom = (int64_t)now_us;	/* held for the depth */
	if (newest) {
		note_newest(jb, info, ext, exempt, now_us);
		rebase(jb, info->ts);
	}

	if (jb->count == jb->nslots) {
		jb->overflow++;
		if (r == 0)
			return JBUF_FULL;
		pass_head(jb);
		r--;
	}
	s = insert(jb, r);
	s->nominal_us = nom;
	s->floor_us = (int64_t)now_us;
	s->arrival_us = now_us;
	s->ext = ext;
	s->ts = info->ts;
	s->gen = jb->gen;
	s->len = (uint16_t)len;
	s->exempt = exempt;
	memcpy(jb->data + (size_t)s->buf * jb->slot_bytes, pkt, len);
	if (!newest)
		jb->reordered++;
	jb->queued++;
	return JBUF_QUEUED;
}

/* ---- get ----------------------------------------------------------- */

static int64_t
playout(const struct jbuf *jb, const struct jbuf_slot *s)
{
	return max64(s->nominal_us + jb->depth_us, s->floor_us);
}

/*
 * When the head may go: at its playout time, paced to no less than half
 * an interval after the previous packet out; at once if the ring is full.
 */
static int64_t
due(const struct jbuf *jb, const struct jbuf_slot *s)
{
	int64_t p = playout(jb, s), dt;
	int32_t d;

	if (jb->count == jb->nslots)
		return s->floor_us;
	if (!jb->released_any || s->gen != jb->rel_gen)
		return p;
	d = (int32_t)(s->ts - jb->rel_ts);
	if (d <= 0)
		return p;
	dt = ticks_us(jb, d);
	if (dt > jb->pkt_us)
		dt = jb->pkt_us;
	return max64(p, (int64_t)jb->rel_us + dt / 2);
}

int
jbuf_get(struct jbuf *jb, uint64_t now_us, uint8_t *out, size_t cap,
    size_t *len)
{
	const struct jbuf_slot *s;
	int64_t now = (int64_t)now_us, p;
	uint64_t delay;

	while (jb->count > 0) {
		s = at(jb, 0);
		if (due(jb, s) > now)
			return 0;
		p = playout(jb, s);
		/* Stale by the timeline, whatever its arrival. */
		if (!s->exempt && jb->count > 1 &&
		    now - (s->nominal_us + jb->depth_us) >= jb->pkt_us &&
		    playout(jb, at(jb, 1)) <= now) {
			jb->stale++;
			pass_head(jb);
			continue;
		}
		if (s->len > cap)
			return -1;
		if (p > now)
			jb->early++;
		memcpy(out, jb->data + (size_t)s->buf * jb->slot_bytes,
		    s->len);
		*len = s->len;
		delay = now_us - s->arrival_us;
		jb->delay_sum_us += delay;
		if (delay > jb->delay_max_us)
			jb->delay_max_us = delay;
		jb->released_any = true;
		jb->rel_us = now_us;
		jb->rel_ts = s->ts;
		jb->rel_gen = s->gen;
		jb->released++;
		pass_head(jb);
		return 1;
	}
	return 0;
}

uint64_t
jbuf_next_release_us(const struct jbuf *jb)
{
	int64_t t;

	if (jb->count == 0)
		return UINT64_MAX;
	t = due(jb, at(jb, 0));
	return t < 0 ? 0 : (uint64_t)t;
}

void
jbuf_reset(struct jbuf *jb)
{
	jb->reset_drops += jb->count;
	while (jb->count > 0)
		pass_head(jb);
	jb->anchored = false;
	jb->late_run = false;
	jb->jit_valid = false;
	jb->resets++;
}

void
jbuf_stats(const struct jbuf *jb, struct jbuf_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->depth_us = (uint64_t)jb->depth_us;
	out->max_depth_us = (uint64_t)jb->max_depth_us;
	out->jitter_us = (uint64_t)(jb->jitter_q4 / 16);
	out->held = jb->count;
	out->max_held = jb->max_held;
	if (jb->released > 0)
		out->delay_mean_us = jb->delay_sum_us / jb->released;
	out->delay_max_us = jb->delay_max_us;
	out->queued = jb->queued;
	out->released = jb->released;
	out->late = jb->late;
	out->stale = jb->stale;
	out->duplicates = jb->duplicates;
	out->overflow = jb->overflow;
	out->early = jb->early;
	out->reordered = jb->reordered;
	out->bad = jb->bad;
	out->reset_drops = jb->reset_drops;
	out->resets = jb->resets;
	out->reanchors = jb->reanchors;
	out->ssrc_changes = jb->ssrc_changes;
	out->seq_restarts = jb->seq_restarts;
	out->resyncs = jb->resyncs;
}
