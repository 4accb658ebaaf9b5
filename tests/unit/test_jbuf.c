/*
 * test_jbuf.c - the jitter buffer in virtual time. Arrival traces with
 * jitter, reordering, loss, stalls, wraps, SSRC changes, DTMF, DTX gaps,
 * handovers and clock drift go in; what comes out, in which order and
 * when, is checked, to the microsecond where the rules in jbuf.h fix it.
 *
 * The driver behaves like the relay's event loop: packets that arrive at
 * or before the buffer's next release time are put first (a batch read),
 * then jbuf_get() is called at jbuf_next_release_us() until it says 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/proc/jbuf.h"
#include "packet/rtp.h"

#define MS		1000ull
#define T0		(1000 * MS)	/* traces start at 1 s */
#define TS0		1000u
#define SSRC_A		0x11223344u
#define SSRC_B		0x55667788u
#define PT_AUDIO	0
#define PT_EVENT	101
#define MAXARR		4096
#define MAXSLOTS	64
#define SLOT_BYTES	64
#define NOPKT		0xffffffffu	/* struct arr.seq: a jbuf_reset() */

struct arr {
	uint64_t	at;
	uint32_t	seq;		/* NOPKT: reset instead of a packet */
	uint32_t	ts;
	uint32_t	ssrc;
	uint8_t		pt;
	bool		marker;
};

struct rel {
	uint16_t	seq;
	uint32_t	ssrc;
	uint64_t	at;
	uint64_t	arrived;
};

struct sim {
	struct jbuf_config cfg;
	size_t		nslots;
	struct jbuf	jb;
	struct jbuf_slot slots[MAXSLOTS];
	uint8_t		data[MAXSLOTS * SLOT_BYTES];
	struct arr	a[MAXARR];
	size_t		n;
	enum jbuf_put_result res[MAXARR];
	uint64_t	depth[MAXARR];	/* depth_us after each arrival */
	struct rel	out[MAXARR];
	size_t		nout;
};

/* One at a time; static so that a failed assertion leaks nothing. */
static struct sim the_sim;

static struct sim *
sim_new(void)
{
	struct sim *s = &the_sim;

	memset(s, 0, sizeof(*s));
	jbuf_config_default(&s->cfg);
	s->nslots = 16;
	return s;
}

static struct arr *
add(struct sim *s, uint64_t at, uint32_t seq, uint32_t ts)
{
	struct arr *a;

	assert_true(s->n < MAXARR);
	a = &s->a[s->n++];
	memset(a, 0, sizeof(*a));
	a->at = at;
	a->seq = seq;
	a->ts = ts;
	a->ssrc = SSRC_A;
	a->pt = PT_AUDIO;
	return a;
}

static void
add_reset(struct sim *s, uint64_t at)
{
	add(s, at, NOPKT, 0);
}

/*
 * n packets of a 20 ms, 8 kHz stream: packet k has seq0 + k, timestamp
 * ts0 + 160 k, is sent at t0 + 20 k ms and arrives delay_us[k] later.
 */
static void
stream(struct sim *s, uint32_t ssrc, uint16_t seq0, uint32_t ts0,
    uint64_t t0, size_t n, const int64_t *delay_us)
{
	size_t k;

	for (k = 0; k < n; k++)
		add(s, t0 + k * 20 * MS + (delay_us ? delay_us[k] : 0),
		    (uint16_t)(seq0 + k), ts0 + 160 * (uint32_t)k)->ssrc = ssrc;
}

/* Deterministic noise: uniform in [0, range). */
static uint64_t
lcg(uint64_t *x, uint64_t range)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (*x >> 33) % range;
}

static size_t
build(uint8_t *p, const struct arr *a, size_t idx)
{
	memset(p, 0, 24);
	p[0] = 0x80;
	p[1] = (uint8_t)((a->marker ? 0x80 : 0) | a->pt);
	p[2] = (uint8_t)(a->seq >> 8);
	p[3] = (uint8_t)a->seq;
	p[4] = (uint8_t)(a->ts >> 24);
	p[5] = (uint8_t)(a->ts >> 16);
	p[6] = (uint8_t)(a->ts >> 8);
	p[7] = (uint8_t)a->ts;
	p[8] = (uint8_t)(a->ssrc >> 24);
	p[9] = (uint8_t)(a->ssrc >> 16);
	p[10] = (uint8_t)(a->ssrc >> 8);
	p[11] = (uint8_t)a->ssrc;
	/* Payload: an event's 4 bytes (or audio), then the trace index. */
	memcpy(p + 16, &idx, sizeof(idx));
	return 24;
}

static void
record(struct sim *s, const uint8_t *p, size_t len, uint64_t now)
{
	struct rtp_info info;
	struct rel *r;
	size_t idx;

	assert_int_equal(len, 24);
	assert_int_equal(rtp_classify(p, len, &info), PKT_RTP);
	memcpy(&idx, p + 16, sizeof(idx));
	assert_true(idx < s->n);
	assert_true(s->nout < MAXARR);
	r = &s->out[s->nout++];
	r->seq = info.seq;
	r->ssrc = info.ssrc;
	r->at = now;
	r->arrived = s->a[idx].at;
	assert_true(now >= r->arrived);
}

static void
run(struct sim *s)
{
	uint8_t pkt[SLOT_BYTES], out[SLOT_BYTES];
	struct rtp_info info;
	struct arr tmp;
	uint64_t now = 0, t;
	size_t i, j, len, guard = 0;

	/* Stable sort by arrival time. */
	for (i = 1; i < s->n; i++) {
		tmp = s->a[i];
		for (j = i; j > 0 && s->a[j - 1].at > tmp.at; j--)
			s->a[j] = s->a[j - 1];
		s->a[j] = tmp;
	}
	assert_int_equal(jbuf_init(&s->jb, &s->cfg, s->slots, s->nslots,
	    s->data, SLOT_BYTES), 0);
	i = 0;
	for (;;) {
		assert_true(++guard < 100000);
		t = jbuf_next_release_us(&s->jb);
		if (i < s->n && s->a[i].at <= t) {
			now = s->a[i].at;
			if (s->a[i].seq == NOPKT)
				jbuf_reset(&s->jb);
			else {
				len = build(pkt, &s->a[i], i);
				assert_int_equal(rtp_classify(pkt, len, &info),
				    PKT_RTP);
				s->res[i] = jbuf_put(&s->jb, pkt, len, &info,
				    now);
			}
			s->depth[i] = (uint64_t)s->jb.depth_us;
			i++;
			continue;
		}
		if (t == UINT64_MAX)
			break;
		if (t > now)
			now = t;
		while (jbuf_get(&s->jb, now, out, sizeof(out), &len) == 1)
			record(s, out, len, now);
	}
	assert_int_equal(s->jb.count, 0);
}

/* Index in the sorted trace of the packet with this seq and SSRC. */
static size_t
find(const struct sim *s, uint32_t ssrc, uint16_t seq)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->a[i].seq == seq && s->a[i].ssrc == ssrc)
			return i;
	fail_msg("seq %u not in the trace", seq);
	return 0;
}

struct want {
	uint16_t	seq;
	uint64_t	at;		/* microseconds after T0 */
};

static void
dump(const struct sim *s)
{
	size_t i;

	for (i = 0; i < s->nout; i++)
		print_message("  out %zu: seq %u at %llu us (arrived %llu)\n",
		    i, s->out[i].seq,
		    (unsigned long long)(s->out[i].at - T0),
		    (unsigned long long)(s->out[i].arrived - T0));
}

static void
expect(const struct sim *s, const struct want *w, size_t n)
{
	size_t i;

	for (i = 0; i < s->nout && i < n; i++) {
		if (s->out[i].seq != w[i].seq || s->out[i].at != T0 + w[i].at) {
			dump(s);
			fail_msg("release %zu: seq %u at %llu us, want seq %u "
			    "at %llu", i, s->out[i].seq,
			    (unsigned long long)(s->out[i].at - T0), w[i].seq,
			    (unsigned long long)w[i].at);
		}
	}
	if (s->nout != n)
		dump(s);
	assert_int_equal(s->nout, n);
}

/* No two releases closer than min_us from index `from` on. */
static void
expect_spacing(const struct sim *s, size_t from, uint64_t min_us)
{
	size_t i;

	for (i = from + 1; i < s->nout; i++)
		if (s->out[i].at - s->out[i - 1].at < min_us)
			fail_msg("releases %zu and %zu only %llu us apart",
			    i - 1, i, (unsigned long long)(s->out[i].at -
			    s->out[i - 1].at));
}

/* ---- one timeline: delays against a fixed 40 ms depth ---------------- */

#define MAXK	32
#define LOST	INT64_MIN

struct line_case {
	const char	*name;
	uint16_t	seq0;
	uint32_t	ts0;
	size_t		n;
	int64_t		delay_us[MAXK];	/* LOST: never arrives */
	uint32_t	late;		/* bit k: packet k is late */
	uint64_t	reordered;
};

/*
 * Packet 0 comes first with the least delay, so the anchor sits on it and
 * no delay ever pulls the timeline: packet k is due at 20 k + 40 ms, and
 * is late exactly when its delay exceeds 40 ms.
 */
static const struct line_case line_cases[] = {
	{ "no jitter: released at +depth, in order", 100, TS0, 10,
	    { 0 }, 0, 0 },
	{ "jitter within the depth, 40 ms exactly included", 100, TS0, 10,
	    { 0, 15 * MS, 30 * MS, 5 * MS, 40 * MS, 0, 39 * MS, 12 * MS,
	    25 * MS, 0 }, 0, 4 },
	{ "reordering within the depth is fixed", 100, TS0, 10,
	    { 0, 25 * MS, 0, 0, 30 * MS, 0, 0, 21 * MS, 0, 0 }, 0, 3 },
	{ "reordered, arriving 1 ms before its release", 100, TS0, 8,
	    { 0, 0, 39 * MS, 18 * MS, 0, 0, 0, 0 }, 0, 1 },
	{ "late beyond the depth is dropped", 100, TS0, 10,
	    { 0, 0, 0, 55 * MS, 0, 0, 0, 0, 0, 0 }, 1u << 3, 0 },
	{ "one microsecond late is late", 100, TS0, 6,
	    { 0, 0, 40 * MS + 1, 0, 0, 0 }, 1u << 2, 0 },
	{ "loss: the next packet keeps its own time", 100, TS0, 10,
	    { 0, 0, 0, LOST, LOST, 0, 0, LOST, 0, 0 }, 0, 0 },
	{ "loss, late and reordering together", 100, TS0, 12,
	    { 0, 35 * MS, 10 * MS, LOST, 70 * MS, 0, 0, 22 * MS, 0, LOST,
	    0, 0 }, 1u << 4, 2 },
	{ "burst after a 200 ms stall: stale part dropped", 100, TS0, 25,
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    190 * MS, 170 * MS, 150 * MS, 130 * MS, 110 * MS, 90 * MS,
	    70 * MS, 50 * MS, 30 * MS, 10 * MS, 0, 0, 0, 0, 0 },
	    0xffu << 10, 0 },
	{ "sequence and timestamp wrap, swapped across the wrap", 65530,
	    0xffffff00u, 12,
	    { 0, 0, 0, 0, 0, 25 * MS, 0, 0, 0, 0, 0, 0 }, 0, 1 },
};
#define NLINE	(sizeof(line_cases) / sizeof(line_cases[0]))

static void
run_line_case(void **state)
{
	const struct line_case *c = *state;
	struct sim *s = sim_new();
	struct want w[MAXK];
	struct jbuf_stats st;
	size_t k, nw = 0, nlate = 0;

	for (k = 0; k < c->n; k++) {
		if (c->delay_us[k] == LOST)
			continue;
		add(s, T0 + k * 20 * MS + (uint64_t)c->delay_us[k],
		    (uint16_t)(c->seq0 + k), c->ts0 + 160 * (uint32_t)k);
		if (c->late & (1u << k)) {
			nlate++;
			continue;
		}
		w[nw].seq = (uint16_t)(c->seq0 + k);
		w[nw++].at = k * 20 * MS + 40 * MS;
	}
	run(s);
	expect(s, w, nw);
	for (k = 0; k < c->n; k++)
		if (c->delay_us[k] != LOST)
			assert_int_equal(s->res[find(s, SSRC_A,
			    (uint16_t)(c->seq0 + k))],
			    (c->late & (1u << k)) ? JBUF_LATE : JBUF_QUEUED);
	jbuf_stats(&s->jb, &st);
	assert_int_equal(st.late, nlate);
	assert_int_equal(st.reordered, c->reordered);
	assert_int_equal(st.stale, 0);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.resyncs, 0);
	assert_int_equal(st.reanchors, 1);
	assert_true(st.delay_max_us <= 40 * MS);
}

/* ---- the timeline moves ---------------------------------------------- */

/* The path gets 80 ms slower for good: 100 ms of late packets, then resync. */
static void
test_delay_step(void **state)
{
	struct sim *s = sim_new();
	int64_t d[40];
	struct want w[40];
	size_t k, nw = 0;

	(void)state;
	for (k = 0; k < 40; k++)
		d[k] = k < 10 ? 0 : 80 * MS;
	stream(s, SSRC_A, 100, TS0, T0, 40, d);
	run(s);
	for (k = 0; k < 10; k++)
		w[nw++] = (struct want){ (uint16_t)(100 + k), k * 20 * MS +
		    40 * MS };
	/* 110 arrives at 280 ms; at 115 (380 ms) the run spans 100 ms. */
	for (k = 15; k < 40; k++)
		w[nw++] = (struct want){ (uint16_t)(100 + k), k * 20 * MS +
		    120 * MS };
	expect(s, w, nw);
	assert_int_equal(s->jb.late, 5);
	assert_int_equal(s->jb.resyncs, 1);
}

/* A new SSRC starts its own timeline; a straggler of the old one is late. */
static void
test_ssrc_change(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 100, 40 * MS }, { 101, 60 * MS }, { 102, 80 * MS },
		{ 103, 100 * MS },
		{ 7000, 155 * MS }, { 7001, 175 * MS }, { 7002, 195 * MS },
		{ 7003, 215 * MS }, { 7004, 235 * MS },
	};
	int64_t d[5] = { 0, 0, 0, 0, 36 * MS };

	(void)state;
	stream(s, SSRC_A, 100, TS0, T0, 5, d);
	stream(s, SSRC_B, 7000, 0x80000000u, T0 + 115 * MS, 5, NULL);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(s->res[find(s, SSRC_A, 104)], JBUF_LATE);
	assert_int_equal(s->jb.ssrc_changes, 1);
	assert_int_equal(s->jb.reanchors, 2);
}

/*
 * RFC 4733: packets 15..21 are one event, all with the timestamp of its
 * start, 19..21 the three copies of its end; 18 overtakes 17. They keep
 * sequence order, are held the depth from arrival, and are neither late
 * nor duplicates; the audio after the event is timed as before. The
 * first, 15 ms late, is timed by its timestamp unless event_pt is known.
 */
static void
run_dtmf(int event_pt, uint64_t first_at)
{
	struct sim *s = sim_new();
	struct want w[] = {
		{ 10, 40 * MS }, { 11, 60 * MS }, { 12, 80 * MS },
		{ 13, 100 * MS }, { 14, 120 * MS },
		{ 15, first_at }, { 16, 160 * MS }, { 17, 205 * MS },
		{ 18, 205 * MS }, { 19, 220 * MS }, { 20, 240 * MS },
		{ 21, 260 * MS }, { 22, 280 * MS },
	};
	struct arr *a;
	uint32_t j;

	s->cfg.event_pt = event_pt;
	stream(s, SSRC_A, 10, TS0, T0, 5, NULL);
	for (j = 0; j < 7; j++) {
		a = add(s, T0 + (100 + 20 * j + (j == 0 ? 15 : 0) +
		    (j == 2 ? 25 : 0)) * MS,
		    15 + j, TS0 + 5 * 160);
		a->pt = PT_EVENT;
		a->marker = j == 0;
	}
	add(s, T0 + 240 * MS, 22, TS0 + 12 * 160);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(s->jb.late, 0);
	assert_int_equal(s->jb.duplicates, 0);
	assert_int_equal(s->jb.reordered, 1);
	assert_int_equal(s->jb.reanchors, 1);
}

static void
test_dtmf_event_pt(void **state)
{
	(void)state;
	run_dtmf(PT_EVENT, 155 * MS);
}

static void
test_dtmf_unconfigured(void **state)
{
	(void)state;
	run_dtmf(JBUF_NO_PT, 140 * MS);
}

/*
 * DTX: a talkspurt, 2 s of silence (the timestamp moves on by 2 s), and a
 * second talkspurt whose first packet arrives shift_ms off the old
 * timeline (drift over the silence, or a new path delay).
 */
struct dtx_case {
	const char	*name;
	bool		marker;
	int		shift_ms;
	size_t		first;		/* first packet of spurt 2 released */
	uint64_t	first_at_ms;	/* its release, after T0 */
	uint32_t	late;
	uint32_t	reanchors;
};

static const struct dtx_case dtx_cases[] = {
	{ "dtx: marker, path 50 ms slower: re-anchored, no loss",
	    true, 50, 20, 2290, 0, 2 },
	{ "dtx: marker, 30 ms earlier: re-anchored, no burst",
	    true, -30, 20, 2210, 0, 2 },
	{ "dtx: marker, on time", true, 0, 20, 2240, 0, 2 },
	{ "dtx: no marker, on time: seamless", false, 0, 20, 2240, 0, 1 },
	{ "dtx: no marker, 30 ms earlier: timeline slides", false, -30, 20,
	    2210, 0, 1 },
	{ "dtx: no marker, 50 ms slower: 100 ms late, then resync", false,
	    50, 25, 2390, 5, 1 },
};
#define NDTX	(sizeof(dtx_cases) / sizeof(dtx_cases[0]))

static void
run_dtx_case(void **state)
{
	const struct dtx_case *c = *state;
	struct sim *s = sim_new();
	struct want w[40];
	size_t k, nw = 0;
	uint64_t start = T0 + 2200 * MS + (uint64_t)(int64_t)c->shift_ms * MS;

	stream(s, SSRC_A, 10, TS0, T0, 10, NULL);
	stream(s, SSRC_A, 20, TS0 + 110 * 160, start, 20, NULL);
	s->a[10].marker = c->marker;
	run(s);
	for (k = 0; k < 10; k++)
		w[nw++] = (struct want){ (uint16_t)(10 + k), k * 20 * MS +
		    40 * MS };
	for (k = c->first; k < 40; k++)
		w[nw++] = (struct want){ (uint16_t)k, (c->first_at_ms +
		    (k - c->first) * 20) * MS };
	expect(s, w, nw);
	expect_spacing(s, 0, 20 * MS);
	assert_int_equal(s->jb.late, c->late);
	assert_int_equal(s->jb.reanchors, c->reanchors);
}

/*
 * The timestamp jumps 5 s ahead or back with no marker, no new SSRC and
 * no time passing: the timeline re-anchors seamlessly, and 109, delayed
 * past the jump, is late without passing for 5 s of jitter.
 */
struct jump_case {
	const char	*name;
	int64_t		jump_ticks;
};

static const struct jump_case jump_cases[] = {
	{ "timestamp jumps 5 s ahead: re-anchored", 5 * 8000 },
	{ "timestamp jumps 5 s back: re-anchored", -5 * 8000 },
};
#define NJUMP	(sizeof(jump_cases) / sizeof(jump_cases[0]))

static void
run_jump_case(void **state)
{
	const struct jump_case *c = *state;
	struct sim *s = sim_new();
	struct want w[20];
	int64_t d[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 25 * MS };
	size_t k, nw = 0;

	stream(s, SSRC_A, 100, TS0, T0, 10, d);
	stream(s, SSRC_A, 110, (uint32_t)(TS0 + 10 * 160 + c->jump_ticks),
	    T0 + 200 * MS, 10, NULL);
	run(s);
	for (k = 0; k < 20; k++)
		if (k != 9)
			w[nw++] = (struct want){ (uint16_t)(100 + k),
			    k * 20 * MS + 40 * MS };
	expect(s, w, nw);
	assert_int_equal(s->res[find(s, SSRC_A, 109)], JBUF_LATE);
	assert_int_equal(s->jb.reanchors, 2);
	assert_int_equal(s->jb.jitter_q4, 0);
}

/*
 * Handover. The old path (10 ms) delivers 100..109; the latch switches at
 * 195 ms while 108 and 109 are held: they are dropped. On the new path
 * (60 ms) the phone first flushes 110..114, queued during the switch, in
 * one burst at 330 ms: the anchor slides down to the newest of them, 110
 * and 111 have expired, and 112 goes at once; then everything is paced.
 */
static void
test_handover(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 100, 50 * MS }, { 101, 70 * MS }, { 102, 90 * MS },
		{ 103, 110 * MS }, { 104, 130 * MS }, { 105, 150 * MS },
		{ 106, 170 * MS }, { 107, 190 * MS },
		{ 112, 330 * MS }, { 113, 350 * MS }, { 114, 370 * MS },
		{ 115, 390 * MS }, { 116, 410 * MS }, { 117, 430 * MS },
		{ 118, 450 * MS }, { 119, 470 * MS },
	};
	int64_t d[20];
	size_t k;

	(void)state;
	for (k = 0; k < 20; k++)
		d[k] = (int64_t)MS * (k < 10 ? 10 : k < 15 ?
		    330 - 20 * (int64_t)k : 60);
	stream(s, SSRC_A, 100, TS0, T0, 20, d);
	add_reset(s, T0 + 195 * MS);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	expect_spacing(s, 8, 20 * MS);
	assert_int_equal(s->jb.reset_drops, 2);
	assert_int_equal(s->jb.stale, 2);
	assert_int_equal(s->jb.resets, 1);
	assert_int_equal(s->jb.late, 0);
}

/*
 * The same backlog spread over 4 ms, a get between the arrivals: 110 is
 * due as 112 arrives and goes; 114 then makes 111 stale and 112 due at
 * once, but pacing holds it to 10 ms after 110.
 */
static void
test_handover_paced(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 100, 50 * MS }, { 101, 70 * MS }, { 102, 90 * MS },
		{ 103, 110 * MS }, { 104, 130 * MS }, { 105, 150 * MS },
		{ 106, 170 * MS }, { 107, 190 * MS },
		{ 110, 332 * MS }, { 112, 342 * MS }, { 113, 354 * MS },
		{ 114, 374 * MS }, { 115, 394 * MS }, { 116, 414 * MS },
		{ 117, 434 * MS }, { 118, 454 * MS }, { 119, 474 * MS },
	};
	int64_t d[20];
	size_t k;

	(void)state;
	for (k = 0; k < 20; k++)
		d[k] = (int64_t)MS * (k < 10 ? 10 : k < 15 ?
		    330 + ((int64_t)k - 10) - 20 * (int64_t)k : 60);
	stream(s, SSRC_A, 100, TS0, T0, 20, d);
	add_reset(s, T0 + 195 * MS);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	expect_spacing(s, 8, 10 * MS);
	assert_int_equal(s->jb.stale, 1);
}

/* A handover to a faster path with a new SSRC: no old packet, no burst. */
static void
test_handover_new_ssrc(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 100, 70 * MS }, { 101, 90 * MS },
		{ 500, 150 * MS }, { 501, 170 * MS }, { 502, 190 * MS },
	};
	int64_t d[4] = { 30 * MS, 30 * MS, 30 * MS, 30 * MS };

	(void)state;
	stream(s, SSRC_A, 100, TS0, T0, 4, d);
	add_reset(s, T0 + 100 * MS);
	stream(s, SSRC_B, 500, 99999, T0 + 110 * MS, 3, NULL);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(s->jb.reset_drops, 2);
}

/* ---- clock drift --------------------------------------------------- */

struct drift_case {
	const char	*name;
	int		permille_x10;	/* arrival clock vs sender */
	uint64_t	jitter_us;
};

static const struct drift_case drift_cases[] = {
	{ "drift: sender 0.5% fast, 60 s", -50, 0 },
	{ "drift: sender 0.5% slow, 60 s", 50, 0 },
	{ "drift: sender 0.5% fast, 60 s, 8 ms jitter", -50, 8 * MS },
	{ "drift: sender 0.5% slow, 60 s, 8 ms jitter", 50, 8 * MS },
};
#define NDRIFT	(sizeof(drift_cases) / sizeof(drift_cases[0]))

static void
run_drift_case(void **state)
{
	const struct drift_case *c = *state;
	struct sim *s = sim_new();
	uint64_t x = 42, hold, at, mean = 0;
	size_t k, n = 3000;

	for (k = 0; k < n; k++) {
		at = T0 + k * 20 * MS * (uint64_t)(10000 + c->permille_x10) /
		    10000;
		if (c->jitter_us)
			at += lcg(&x, c->jitter_us);
		add(s, at, (uint16_t)k, TS0 + 160 * (uint32_t)k);
	}
	run(s);
	assert_int_equal(s->nout, n);
	assert_int_equal(s->jb.late, 0);
	assert_int_equal(s->jb.stale, 0);
	assert_true(s->jb.max_held <= 4);
	for (k = 0; k < n; k++) {
		assert_int_equal(s->out[k].seq, (uint16_t)k);
		hold = s->out[k].at - s->out[k].arrived;
		if (hold > 40 * MS || hold + 10 * MS + c->jitter_us < 40 * MS)
			fail_msg("packet %zu held %llu us", k,
			    (unsigned long long)hold);
		if (k >= n - 500)
			mean += hold;
	}
	/* Over the last 10 s the delay did not creep away. */
	mean /= 500;
	assert_true(mean + 10 * MS + c->jitter_us >= 40 * MS);
}

/* ---- adaptive depth ------------------------------------------------ */

/* No jitter: from 40 ms down to the 20 ms floor at 5 ms/s, exactly. */
static void
test_adaptive_quiet(void **state)
{
	struct sim *s = sim_new();
	size_t k;

	(void)state;
	s->cfg.mode = JBUF_ADAPTIVE;
	stream(s, SSRC_A, 1, TS0, T0, 300, NULL);
	run(s);
	assert_int_equal(s->depth[0], 40 * MS);
	for (k = 1; k < 300; k++)
		assert_int_equal(s->depth[k], k < 200 ? 40 * MS - 100 * k :
		    20 * MS);
	assert_int_equal(s->nout, 300);
	assert_int_equal(s->jb.late, 0);
	assert_int_equal(s->jb.max_depth_us, 40 * MS);
	expect_spacing(s, 0, 19 * MS);
}

/*
 * Quiet for 2 s, then a second of 25 ms jitter, then quiet: the depth
 * climbs within a few packets, never drops a packet, and comes down no
 * faster than 5 ms/s.
 */
static void
test_adaptive_spike(void **state)
{
	struct sim *s = sim_new();
	int64_t d[400];
	uint64_t peak = 0;
	size_t k;

	(void)state;
	s->cfg.mode = JBUF_ADAPTIVE;
	for (k = 0; k < 400; k++)
		d[k] = k >= 100 && k < 150 && k % 2 ? 25 * MS : 0;
	stream(s, SSRC_A, 1, TS0, T0, 400, d);
	run(s);
	assert_int_equal(s->depth[99], 30 * MS + 100);
	/*
	 * RFC 3550 J after n samples of |D| = 25 ms is 25 (1 - (15/16)^n):
	 * 11 ms after 9, 23.9 after 49; the target is 3 J + 10 ms.
	 * (depth[] follows arrival order, and the first sample is at 102.)
	 */
	assert_true(s->depth[110] >= 40 * MS);
	assert_true(s->depth[149] >= 80 * MS);
	for (k = 1; k < 400; k++) {
		assert_true(s->depth[k] <= 150 * MS);
		if (s->depth[k] > peak)
			peak = s->depth[k];
		if (k >= 150)
			assert_true(s->depth[k] + 100 >= s->depth[k - 1]);
	}
	assert_true(s->depth[249] + 10 * MS >= peak);
	assert_true(s->depth[399] < peak);
	assert_int_equal(s->jb.max_depth_us, peak);
	assert_int_equal(s->jb.late, 0);
	assert_int_equal(s->nout, 400);
}

/* Jitter of 400 ms: the depth stops at its maximum. */
static void
test_adaptive_ceiling(void **state)
{
	struct sim *s = sim_new();
	int64_t d[500];
	uint64_t x = 7;
	size_t k;

	(void)state;
	s->cfg.mode = JBUF_ADAPTIVE;
	s->nslots = MAXSLOTS;
	for (k = 0; k < 500; k++)
		d[k] = k == 0 ? 0 : (int64_t)lcg(&x, 400 * MS);
	stream(s, SSRC_A, 1, TS0, T0, 500, d);
	run(s);
	for (k = 0; k < 500; k++)
		assert_true(s->depth[k] <= 150 * MS);
	assert_int_equal(s->depth[499], 150 * MS);
	assert_int_equal(s->jb.max_depth_us, 150 * MS);
	for (k = 0; k < s->nout; k++)
		assert_true(s->out[k].at - s->out[k].arrived <= 150 * MS);
}

/* ---- capacity, duplicates, sequence ------------------------------ */

/* A ring too small for 150 ms at 20 ms sends early instead of losing. */
static void
test_ring_too_small(void **state)
{
	struct sim *s = sim_new();
	struct want w[10];
	size_t k;

	(void)state;
	s->cfg.depth_ms = 150;
	s->nslots = 4;
	stream(s, SSRC_A, 0, TS0, T0, 10, NULL);
	run(s);
	for (k = 0; k < 10; k++)
		w[k] = (struct want){ (uint16_t)k, k < 7 ? (k + 3) * 20 * MS :
		    k * 20 * MS + 150 * MS };
	expect(s, w, 10);
	assert_int_equal(s->jb.early, 7);
	assert_int_equal(s->jb.overflow, 0);
}

/*
 * Seven packets in one batch into four slots: 9 is older than all held
 * and refused, 10 and 11 are pushed out, 12 goes at once, the rest on
 * the timeline the batch slid down to (15 arrived on time).
 */
static void
test_overflow(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 12, 0 }, { 13, 110 * MS }, { 14, 130 * MS }, { 15, 150 * MS },
	};
	static const uint16_t order[] = { 10, 11, 12, 13, 9, 14, 15 };
	size_t k;

	(void)state;
	s->cfg.depth_ms = 150;
	s->nslots = 4;
	for (k = 0; k < 7; k++)
		add(s, T0, order[k], TS0 + 160 * (uint32_t)order[k]);
	run(s);
	expect(s, w, 4);
	assert_int_equal(s->res[4], JBUF_FULL);
	assert_int_equal(s->jb.overflow, 3);
	assert_int_equal(s->jb.early, 1);
}

static void
test_duplicates(void **state)
{
	struct sim *s = sim_new();

	(void)state;
	stream(s, SSRC_A, 100, TS0, T0, 10, NULL);
	add(s, T0 + 70 * MS, 103, TS0 + 3 * 160);	/* held */
	add(s, T0 + 90 * MS, 101, TS0 + 160);		/* sent already */
	add(s, T0 + 95 * MS, 99, TS0 - 160);		/* unseen, too old */
	run(s);
	assert_int_equal(s->nout, 10);
	assert_int_equal(s->res[find(s, SSRC_A, 103) + 1], JBUF_DUPLICATE);
	assert_int_equal(s->res[6], JBUF_DUPLICATE);
	assert_int_equal(s->res[7], JBUF_LATE);
	assert_int_equal(s->jb.duplicates, 2);
	assert_int_equal(s->jb.late, 1);
}

/* A sequence jump is believed when the next packet follows it. */
static void
test_seq_restart(void **state)
{
	struct sim *s = sim_new();
	static const struct want w[] = {
		{ 100, 40 * MS }, { 101, 60 * MS }, { 102, 80 * MS },
		{ 103, 100 * MS }, { 104, 120 * MS },
		{ 40001, 160 * MS }, { 40002, 180 * MS }, { 40003, 200 * MS },
	};

	(void)state;
	stream(s, SSRC_A, 100, TS0, T0, 5, NULL);
	stream(s, SSRC_A, 40000, TS0 + 5 * 160, T0 + 100 * MS, 4, NULL);
	run(s);
	expect(s, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(s->res[5], JBUF_BAD);
	assert_int_equal(s->jb.bad, 1);
	assert_int_equal(s->jb.seq_restarts, 1);
}

/* ---- random traces: invariants ----------------------------------- */

static void
run_random(enum jbuf_mode mode)
{
	struct sim *s = sim_new();
	struct jbuf_stats st;
	uint64_t x = 1234, full = 0;
	size_t k, n = 2000;

	s->cfg.mode = mode;
	for (k = 0; k < n; k++) {
		if (lcg(&x, 100) < 3)
			continue;
		add(s, T0 + k * 20 * MS + lcg(&x, 30 * MS),
		    (uint16_t)(60000 + k), TS0 + 160 * (uint32_t)k);
	}
	run(s);
	jbuf_stats(&s->jb, &st);
	for (k = 0; k < s->n; k++)
		full += s->res[k] == JBUF_FULL;
	assert_int_equal(st.queued, st.released + st.stale +
	    (st.overflow - full) + st.held);
	assert_int_equal(st.queued + st.late + st.duplicates + full, s->n);
	for (k = 1; k < s->nout; k++)
		assert_true(seq_delta(s->out[k - 1].seq, s->out[k].seq) > 0);
	expect_spacing(s, 0, 10 * MS);
	for (k = 0; k < s->nout; k++)
		assert_true(s->out[k].at - s->out[k].arrived <=
		    st.max_depth_us);
	assert_true(st.max_depth_us <= 150 * MS);
	assert_true(st.delay_mean_us > 0);
	assert_true(st.released > n * 9 / 10);
}

static void
test_random_fixed(void **state)
{
	(void)state;
	run_random(JBUF_FIXED);
}

static void
test_random_adaptive(void **state)
{
	(void)state;
	run_random(JBUF_ADAPTIVE);
}

/* ---- API edges ---------------------------------------------------- */

static void
test_config_and_names(void **state)
{
	struct jbuf_config cfg, bad;
	struct jbuf jb;
	struct jbuf_slot slots[8];
	uint8_t data[8 * 64], pkt[200], out[16];
	struct rtp_info info;
	struct arr a = { .seq = 1, .ts = 1, .ssrc = SSRC_A };
	size_t len;

	(void)state;
	jbuf_config_default(&cfg);
	assert_int_equal(cfg.mode, JBUF_FIXED);
	assert_int_equal(cfg.clock_rate, 8000);
	assert_int_equal(cfg.depth_ms, 40);
	assert_int_equal(cfg.max_depth_ms, 150);
	assert_int_equal(cfg.event_pt, JBUF_NO_PT);
	assert_int_equal(jbuf_mode_parse("adaptive"), JBUF_ADAPTIVE);
	assert_int_equal(jbuf_mode_parse("fixed"), JBUF_FIXED);
	assert_int_equal(jbuf_mode_parse("off"), JBUF_OFF);
	assert_int_equal(jbuf_mode_parse("on"), -1);
	assert_string_equal(jbuf_mode_name(JBUF_ADAPTIVE), "adaptive");
	assert_string_equal(jbuf_put_result_name(JBUF_LATE), "late");
	assert_int_equal(jbuf_slots_for(&cfg, 20), 2 + 1 + JBUF_SLOT_SLACK);
	cfg.mode = JBUF_ADAPTIVE;
	assert_int_equal(jbuf_slots_for(&cfg, 20), 8 + 1 + JBUF_SLOT_SLACK);
	assert_int_equal(jbuf_slots_for(&cfg, 0), 8 + 1 + JBUF_SLOT_SLACK);

	bad = cfg;
	bad.mode = JBUF_OFF;
	assert_int_equal(jbuf_init(&jb, &bad, slots, 8, data, 64), -1);
	bad = cfg;
	bad.depth_ms = 200;
	assert_int_equal(jbuf_init(&jb, &bad, slots, 8, data, 64), -1);
	bad = cfg;
	bad.clock_rate = 0;
	assert_int_equal(jbuf_init(&jb, &bad, slots, 8, data, 64), -1);
	bad = cfg;
	bad.event_pt = 128;
	assert_int_equal(jbuf_init(&jb, &bad, slots, 8, data, 64), -1);
	assert_int_equal(jbuf_init(&jb, &cfg, slots, 1, data, 64), -1);
	assert_int_equal(jbuf_init(&jb, &cfg, slots, 8, data, 11), -1);
	assert_int_equal(jbuf_init(&jb, &cfg, slots, 8, data, 64), 0);

	assert_true(jbuf_next_release_us(&jb) == UINT64_MAX);
	assert_int_equal(jbuf_get(&jb, 0, out, sizeof(out), &len), 0);
	len = build(pkt, &a, 0);
	assert_int_equal(rtp_classify(pkt, 100, &info), PKT_RTP);
	assert_int_equal(jbuf_put(&jb, pkt, 100, &info, 5 * MS), JBUF_BAD);
	assert_int_equal(rtp_classify(pkt, len, &info), PKT_RTP);
	assert_int_equal(jbuf_put(&jb, pkt, len, &info, 5 * MS), JBUF_QUEUED);
	assert_int_equal(jbuf_next_release_us(&jb), 45 * MS);
	assert_int_equal(jbuf_get(&jb, 45 * MS - 1, out, sizeof(out), &len),
	    0);
	assert_int_equal(jbuf_get(&jb, 45 * MS, out, 16, &len), -1);
	assert_int_equal(jbuf_get(&jb, 45 * MS, pkt, sizeof(pkt), &len), 1);
	assert_int_equal(len, 24);
	assert_true(jbuf_next_release_us(&jb) == UINT64_MAX);
}

int
main(void)
{
	static struct CMUnitTest tests[NLINE + NDTX + NDRIFT + NJUMP + 20];
	size_t i, n = 0;

	for (i = 0; i < NLINE; i++)
		tests[n++] = (struct CMUnitTest){ line_cases[i].name,
		    run_line_case, NULL, NULL, (void *)&line_cases[i] };
	for (i = 0; i < NDTX; i++)
		tests[n++] = (struct CMUnitTest){ dtx_cases[i].name,
		    run_dtx_case, NULL, NULL, (void *)&dtx_cases[i] };
	for (i = 0; i < NJUMP; i++)
		tests[n++] = (struct CMUnitTest){ jump_cases[i].name,
		    run_jump_case, NULL, NULL, (void *)&jump_cases[i] };
	for (i = 0; i < NDRIFT; i++)
		tests[n++] = (struct CMUnitTest){ drift_cases[i].name,
		    run_drift_case, NULL, NULL, (void *)&drift_cases[i] };
#define T(f, name) tests[n++] = (struct CMUnitTest){ name, f, NULL, NULL, NULL }
	T(test_delay_step, "path 80 ms slower: late for 100 ms, then resync");
	T(test_ssrc_change, "ssrc change re-anchors, old straggler late");
	T(test_dtmf_event_pt, "dtmf with event_pt: seq order, no drops");
	T(test_dtmf_unconfigured, "dtmf without event_pt: seq order, no drops");
	T(test_handover, "handover: held packets dropped, backlog no burst");
	T(test_handover_paced, "handover: backlog over 4 ms is paced");
	T(test_handover_new_ssrc, "handover to a new ssrc and a faster path");
	T(test_adaptive_quiet, "adaptive: shrinks to the floor at 5 ms/s");
	T(test_adaptive_spike, "adaptive: fast up on a spike, slow down");
	T(test_adaptive_ceiling, "adaptive: never above the maximum");
	T(test_ring_too_small, "capacity: small ring sends early, loses none");
	T(test_overflow, "capacity: overflow drops oldest, refuses older");
	T(test_duplicates, "duplicates held and sent, too old is late");
	T(test_seq_restart, "sequence restart confirmed by the next packet");
	T(test_random_fixed, "random trace, fixed: invariants");
	T(test_random_adaptive, "random trace, adaptive: invariants");
	T(test_config_and_names, "config, names, init checks, API edges");
#undef T
	return _cmocka_run_group_tests("jbuf", tests, n, NULL, NULL);
}
