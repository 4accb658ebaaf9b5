/*
 * test_resize.c - the Z resizer, replayed stream by stream.
 *
 * Each scenario is a row: a target ptime and a list of lines. An IN line
 * feeds one packet (and names the verdict it must get); the OUT and PASS
 * lines after it are every packet that must come out of it, in order:
 * OUT a packet built by resize_get(), PASS the input itself, forwarded
 * with only its sequence number rewritten. FLUSH fires the pause timer,
 * DEADLINE checks when it is due.
 *
 * Payload bytes are a function of the SSRC and of the byte's position in
 * the stream (timestamp * bytes per tick + offset), so checking each
 * output's ts, length and every byte proves that nothing was lost,
 * duplicated or moved.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "media/proc/resize.h"
#include "packet/rtp.h"

enum { PCMU = 0, PCMA = 8, G722 = 9, L16S = 10, L16M = 11, CN = 13,
	G729 = 18, DYN = 96, EVT = 101 };

#define SSRC_A	0x1111aaaau
#define SSRC_B	0x2222bbbbu
#define NEVER	UINT64_MAX	/* FLUSH: forced; DEADLINE: nothing held */

enum line_kind {
	L_END = 0,
	L_IN,		/* resize_put(), verdict v, then drain */
	L_OUT,		/* next output: a built packet */
	L_PASS,		/* next output: the input, seq rewritten to `seq` */
	L_FLUSH,	/* resize_flush() at t, then drain */
	L_DEADLINE,	/* resize_deadline_us() == t ms */
};

struct line {
	enum line_kind	kind;
	uint64_t	t;		/* ms, or NEVER */
	uint8_t		pt;
	uint16_t	seq;
	uint32_t	ts;
	uint32_t	ssrc;		/* 0: SSRC_A */
	uint16_t	len;		/* payload bytes */
	bool		m;
	uint8_t		pad;		/* IN: padding bytes */
	uint8_t		cc;		/* IN: CSRCs */
	bool		x;		/* IN: a header extension */
	enum resize_verdict v;		/* IN: expected verdict */
};

#define IN(T, PT, SEQ, TS, ...) { .kind = L_IN, .t = (T), .pt = (PT), \
	.seq = (SEQ), .ts = (TS), .len = __VA_ARGS__ }
#define OUT(PT, SEQ, TS, ...) { .kind = L_OUT, .pt = (PT), .seq = (SEQ), \
	.ts = (TS), .len = __VA_ARGS__ }
#define PASS(SEQ)	{ .kind = L_PASS, .seq = (SEQ) }
#define FLUSH(T)	{ .kind = L_FLUSH, .t = (T) }
#define DEADLINE(T)	{ .kind = L_DEADLINE, .t = (T) }

struct row {
	const char	*name;
	unsigned	target_ms;
	unsigned	dyn_clock;	/* declare DYN as L16 at this clock */
	struct line	lines[40];
	bool		check_stats;
	struct resize_stats st;
};

static const struct row rows[] = {
	{ "merge 20 -> 40 (2:1)", 40, 0, {
		IN(0, PCMU, 100, 1000, 160),
		IN(20, PCMU, 101, 1160, 160),
		OUT(PCMU, 100, 1000, 320),
		IN(40, PCMU, 102, 1320, 160),
		IN(60, PCMU, 103, 1480, 160),
		OUT(PCMU, 101, 1320, 320),
	}, true, { .in = 4, .out = 2, .merged = 2 } },

	{ "merge 10 -> 30 (3:1)", 30, 0, {
		IN(0, PCMA, 7, 0, 80, .m = true),
		IN(10, PCMA, 8, 80, 80),
		IN(20, PCMA, 9, 160, 80),
		OUT(PCMA, 7, 0, 240, .m = true),
		IN(30, PCMA, 10, 240, 80),
		IN(40, PCMA, 11, 320, 80),
		IN(50, PCMA, 12, 400, 80),
		OUT(PCMA, 8, 240, 240),
	}, true, { .in = 6, .out = 2, .merged = 4 } },

	{ "merge 20 -> 60 (3:1)", 60, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		IN(40, PCMU, 102, 320, 160),
		OUT(PCMU, 100, 0, 480),
		IN(60, PCMU, 103, 480, 160),
		IN(80, PCMU, 104, 640, 160),
		IN(100, PCMU, 105, 800, 160),
		OUT(PCMU, 101, 480, 480),
	}, false, { 0 } },

	{ "20 -> 30 carries the remainder", 30, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 240),
		IN(40, PCMU, 102, 320, 160),
		OUT(PCMU, 101, 240, 240),
		IN(60, PCMU, 103, 480, 160),
		IN(80, PCMU, 104, 640, 160),
		OUT(PCMU, 102, 480, 240),
		FLUSH(NEVER),
		OUT(PCMU, 103, 720, 80),
	}, true, { .in = 5, .out = 4, .merged = 3, .split = 2,
	    .flushed = 1 } },

	{ "split 60 -> 20", 20, 0, {
		IN(0, PCMU, 100, 0, 480, .m = true),
		OUT(PCMU, 100, 0, 160, .m = true),
		OUT(PCMU, 101, 160, 160),
		OUT(PCMU, 102, 320, 160),
		IN(60, PCMU, 101, 480, 480),
		OUT(PCMU, 103, 480, 160),
		OUT(PCMU, 104, 640, 160),
		OUT(PCMU, 105, 800, 160),
	}, true, { .in = 2, .out = 6, .split = 2 } },

	{ "split 40 -> 20", 20, 0, {
		IN(0, PCMA, 9, 50, 320),
		OUT(PCMA, 9, 50, 160),
		OUT(PCMA, 10, 210, 160),
		IN(40, PCMA, 10, 370, 320),
		OUT(PCMA, 11, 370, 160),
		OUT(PCMA, 12, 530, 160),
	}, false, { 0 } },

	{ "split 30 -> 20 carries the remainder", 20, 0, {
		IN(0, PCMU, 100, 0, 240),
		OUT(PCMU, 100, 0, 160),
		IN(30, PCMU, 101, 240, 240),
		OUT(PCMU, 101, 160, 160),
		OUT(PCMU, 102, 320, 160),
	}, true, { .in = 2, .out = 3, .merged = 1, .split = 2 } },

	{ "G.722 20 -> 40: 8000 clock, 160 bytes per 20 ms", 40, 0, {
		IN(0, G722, 100, 0, 160),
		IN(20, G722, 101, 160, 160),
		OUT(G722, 100, 0, 320),
	}, false, { 0 } },

	{ "L16/8000 declared dynamic, 20 -> 40", 40, 8000, {
		IN(0, DYN, 100, 0, 320),
		IN(20, DYN, 101, 160, 320),
		OUT(DYN, 100, 0, 640),
		IN(40, DYN, 102, 320, 320),
		IN(60, DYN, 103, 480, 320),
		OUT(DYN, 101, 320, 640),
	}, false, { 0 } },

	{ "L16/8000 split 40 -> 20 with remainder", 20, 8000, {
		IN(0, DYN, 100, 0, 640),
		OUT(DYN, 100, 0, 320),
		OUT(DYN, 101, 160, 320),
		IN(40, DYN, 101, 320, 480),
		OUT(DYN, 102, 320, 320),
		IN(70, DYN, 102, 560, 480),
		OUT(DYN, 103, 480, 320),
		OUT(DYN, 104, 640, 320),
	}, true, { .in = 3, .out = 5, .merged = 1, .split = 3 } },

	{ "L16/44100 mono: 147 samples -> 10 ms", 10, 0, {
		IN(0, L16M, 100, 0, 294),
		IN(3, L16M, 101, 147, 294),
		IN(6, L16M, 102, 294, 294),
		OUT(L16M, 100, 0, 882),
	}, false, { 0 } },

	{ "L16/44100 stereo: 10 ms too large, passes untouched", 10, 0, {
		IN(0, L16S, 100, 0, 1764, .v = RESIZE_PASS_NEW),
		PASS(100),
		IN(10, L16S, 101, 441, 1764, .v = RESIZE_PASS),
		PASS(101),
	}, true, { .in = 2, .pass = 2 } },

	{ "sequence number and timestamp wrap", 40, 0, {
		IN(0, PCMU, 65534, 0xffffff00u, 160),
		IN(20, PCMU, 65535, 0xffffffa0u, 160),
		OUT(PCMU, 65534, 0xffffff00u, 320),
		IN(40, PCMU, 0, 0x40, 160),
		IN(60, PCMU, 1, 0xe0, 160),
		OUT(PCMU, 65535, 0x40, 320),
		IN(80, PCMU, 2, 0x180, 160),
		IN(100, PCMU, 3, 0x220, 160),
		OUT(PCMU, 0, 0x180, 320),
	}, false, { 0 } },

	{ "loss: held data out short, gap kept in seq", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 320),
		IN(40, PCMU, 102, 320, 160),
		/* 103 lost: half an output packet, one seq left out */
		IN(80, PCMU, 104, 640, 160),
		OUT(PCMU, 101, 320, 160),
		IN(100, PCMU, 105, 800, 160),
		OUT(PCMU, 103, 640, 320),
		IN(120, PCMU, 106, 960, 160),
		IN(140, PCMU, 107, 1120, 160),
		OUT(PCMU, 104, 960, 320),
		/* 108, 109 lost: one whole output packet */
		IN(200, PCMU, 110, 1600, 160),
		IN(220, PCMU, 111, 1760, 160),
		OUT(PCMU, 106, 1600, 320),
	}, true, { .in = 9, .out = 5, .merged = 4, .flushed = 1 } },

	{ "loss while splitting skips every piece", 20, 0, {
		IN(0, PCMU, 100, 0, 480),
		OUT(PCMU, 100, 0, 160),
		OUT(PCMU, 101, 160, 160),
		OUT(PCMU, 102, 320, 160),
		IN(120, PCMU, 102, 960, 480),
		OUT(PCMU, 106, 960, 160),
		OUT(PCMU, 107, 1120, 160),
		OUT(PCMU, 108, 1280, 160),
	}, false, { 0 } },

	{ "sender restart: a big seq jump is no loss", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 320),
		IN(40, PCMU, 30000, 320, 160),
		IN(60, PCMU, 30001, 480, 160),
		OUT(PCMU, 101, 320, 320),
	}, false, { 0 } },

	{ "late and duplicate packets are dropped", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 320),
		IN(21, PCMU, 101, 160, 160, .v = RESIZE_DROP),
		IN(40, PCMU, 102, 320, 160),
		IN(41, PCMU, 100, 0, 160, .v = RESIZE_DROP),
		IN(60, PCMU, 103, 480, 160),
		OUT(PCMU, 101, 320, 320),
	}, true, { .in = 6, .out = 2, .merged = 2, .late = 2 } },

	{ "SSRC change flushes and starts over", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 5000, 77777, 160, .ssrc = SSRC_B),
		OUT(PCMU, 100, 0, 160),
		IN(40, PCMU, 5001, 77937, 160, .ssrc = SSRC_B),
		OUT(PCMU, 5000, 77777, 320, .ssrc = SSRC_B),
	}, false, { 0 } },

	{ "PT change flushes", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMA, 101, 160, 160),
		OUT(PCMU, 100, 0, 160),
		IN(40, PCMA, 102, 320, 160),
		OUT(PCMA, 101, 160, 320),
	}, false, { 0 } },

	{ "marker bit starts a new packet", 40, 0, {
		IN(0, PCMU, 100, 0, 160, .m = true),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 320, .m = true),
		IN(40, PCMU, 102, 320, 160),
		IN(900, PCMU, 103, 8000, 160, .m = true),
		OUT(PCMU, 101, 320, 160),
		IN(920, PCMU, 104, 8160, 160),
		OUT(PCMU, 102, 8000, 320, .m = true),
	}, false, { 0 } },

	{ "timestamp jump without marker flushes", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 4000, 160),
		OUT(PCMU, 100, 0, 160),
		IN(40, PCMU, 102, 4160, 160),
		OUT(PCMU, 101, 4000, 320),
	}, false, { 0 } },

	{ "telephone-event and CN pass, output seq continuous", 40, 0, {
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		OUT(PCMU, 100, 0, 320),
		IN(40, PCMU, 102, 320, 160),
		IN(60, EVT, 103, 480, 4, .m = true, .v = RESIZE_PASS_NEW),
		OUT(PCMU, 101, 320, 160),
		PASS(102),
		IN(80, EVT, 104, 480, 4, .v = RESIZE_PASS),
		PASS(103),
		IN(100, EVT, 105, 480, 4, .v = RESIZE_PASS),
		PASS(104),
		IN(120, PCMU, 106, 800, 160, .m = true),
		IN(140, PCMU, 107, 960, 160),
		OUT(PCMU, 105, 800, 320, .m = true),
		IN(160, CN, 108, 1120, 1, .v = RESIZE_PASS_NEW),
		PASS(106),
		IN(400, PCMU, 109, 3000, 160, .m = true),
		FLUSH(NEVER),
		OUT(PCMU, 107, 3000, 160, .m = true),
	}, true, { .in = 10, .out = 4, .pass = 4, .merged = 2,
	    .flushed = 2 } },

	{ "unresizable stream stays untouched, then PCMU owns seq", 40, 0, {
		IN(0, G729, 500, 0, 20, .v = RESIZE_PASS_NEW),
		PASS(500),
		IN(20, G729, 501, 160, 20, .v = RESIZE_PASS),
		PASS(501),
		IN(60, G729, 503, 480, 20, .v = RESIZE_PASS),
		PASS(503),
		IN(61, G729, 502, 320, 20, .v = RESIZE_PASS),
		PASS(502),
		IN(80, PCMU, 504, 640, 160),
		IN(100, PCMU, 505, 800, 160),
		OUT(PCMU, 504, 640, 320),
	}, false, { 0 } },

	{ "pause: the timer flushes a short packet", 60, 0, {
		DEADLINE(NEVER),
		IN(0, PCMU, 100, 0, 160),
		IN(20, PCMU, 101, 160, 160),
		DEADLINE(50),
		FLUSH(49),
		FLUSH(50),
		OUT(PCMU, 100, 0, 320),
		DEADLINE(NEVER),
		FLUSH(NEVER),
		IN(300, PCMU, 102, 320, 160),
		IN(320, PCMU, 103, 480, 160),
		IN(340, PCMU, 104, 640, 160),
		OUT(PCMU, 101, 320, 480),
		IN(1000, PCMU, 105, 8000, 160, .m = true),
		DEADLINE(1030),
		FLUSH(1030),
		OUT(PCMU, 102, 8000, 160, .m = true),
	}, true, { .in = 6, .out = 3, .merged = 3, .flushed = 2 } },

	{ "10 ms input: pause after 20 ms", 40, 0, {
		IN(0, PCMU, 1, 0, 80),
		DEADLINE(20),
	}, false, { 0 } },

	{ "padding, CSRCs and extension are dropped", 40, 0, {
		IN(0, PCMU, 100, 0, 160, .pad = 4, .cc = 2),
		IN(20, PCMU, 101, 160, 160, .pad = 1, .x = true),
		OUT(PCMU, 100, 0, 320),
	}, false, { 0 } },

	{ "unfit payloads pass unchanged", 40, 8000, {
		IN(0, DYN, 100, 0, 320),
		IN(20, DYN, 101, 160, 321, .v = RESIZE_PASS),
		OUT(DYN, 100, 0, 320),
		PASS(101),
		IN(40, DYN, 102, 320, 320),
		IN(60, DYN, 103, 480, 0, .v = RESIZE_PASS),
		OUT(DYN, 102, 320, 320),
		PASS(103),
		IN(80, PCMU, 104, 640, 1500, .v = RESIZE_PASS),
		PASS(104),
	}, true, { .in = 5, .out = 2, .pass = 3, .flushed = 2,
	    .unfit = 3 } },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))
#define PKT_CAP	2048
#define MAXOUT	16

static unsigned
bpt_of(unsigned pt)
{
	switch (pt) {
	case L16S:
		return 4;
	case L16M:
	case DYN:
		return 2;
	}
	return 1;
}

static uint8_t
pat(uint32_t ssrc, uint32_t pos)
{
	return (uint8_t)(((pos + ssrc) * 0x9e3779b1u) >> 24);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
ssrc_of(const struct line *l)
{
	return l->ssrc ? l->ssrc : SSRC_A;
}

static size_t
make_pkt(uint8_t *p, const struct line *l)
{
	uint32_t ssrc = ssrc_of(l);
	size_t n = RTP_HDR_MIN, i;

	p[0] = (uint8_t)(0x80 | (l->pad ? 0x20 : 0) | (l->x ? 0x10 : 0) |
	    l->cc);
	p[1] = (uint8_t)((l->m ? 0x80 : 0) | l->pt);
	put16(p + 2, l->seq);
	put32(p + 4, l->ts);
	put32(p + 8, ssrc);
	for (i = 0; i < l->cc; i++, n += 4)
		put32(p + n, 0xc5c5c500u + (uint32_t)i);
	if (l->x) {
		put32(p + n, 0xbede0001u);
		put32(p + n + 4, 0x10ff0000u);
		n += 8;
	}
	for (i = 0; i < l->len; i++)
		p[n + i] = pat(ssrc, l->ts * bpt_of(l->pt) + (uint32_t)i);
	n += l->len;
	if (l->pad) {
		memset(p + n, 0xee, l->pad);
		p[n + l->pad - 1] = l->pad;
		n += l->pad;
	}
	return n;
}

struct produced {
	bool		pass;
	size_t		len;
	uint8_t		pkt[PKT_CAP];
	uint8_t		orig[PKT_CAP];	/* pass: the input before resize_put */
};

static struct produced outq[MAXOUT];
static size_t nout, nchecked;

static void
drain(struct resizer *rz)
{
	size_t n;
	int r;

	while ((r = resize_get(rz, outq[nout].pkt, PKT_CAP, &n)) == 1) {
		assert_true(nout + 1 < MAXOUT);
		outq[nout].pass = false;
		outq[nout++].len = n;
	}
	assert_int_equal(r, 0);
}

#define CHECK(c) do {							\
	if (!(c))							\
		fail_msg("%s: line %zu: %s", row->name, i, #c);		\
} while (0)

static void
check_out(const struct row *row, size_t i, const struct line *l)
{
	const struct produced *o;
	struct rtp_info ri;
	uint32_t ssrc = ssrc_of(l);
	size_t j;

	CHECK(nchecked < nout);
	o = &outq[nchecked++];
	if (l->kind == L_PASS) {
		CHECK(o->pass);
		CHECK(o->pkt[2] == (uint8_t)(l->seq >> 8));
		CHECK(o->pkt[3] == (uint8_t)l->seq);
		CHECK(memcmp(o->pkt, o->orig, 2) == 0);
		CHECK(memcmp(o->pkt + 4, o->orig + 4, o->len - 4) == 0);
		return;
	}
	CHECK(!o->pass);
	CHECK(rtp_classify(o->pkt, o->len, &ri) == PKT_RTP);
	CHECK(o->pkt[0] == 0x80);
	CHECK(ri.hdr_len == RTP_HDR_MIN);
	CHECK(ri.pt == l->pt);
	CHECK(ri.marker == l->m);
	CHECK(ri.seq == l->seq);
	CHECK(ri.ts == l->ts);
	CHECK(ri.ssrc == ssrc);
	CHECK(ri.payload_len == l->len);
	CHECK(o->len == RTP_HDR_MIN + (size_t)l->len);
	for (j = 0; j < l->len; j++)
		CHECK(o->pkt[RTP_HDR_MIN + j] ==
		    pat(ssrc, l->ts * bpt_of(l->pt) + (uint32_t)j));
}

static void
run_row(void **state)
{
	const struct row *row = *state;
	static struct resizer rz;
	uint8_t *pkt;
	struct rtp_info ri;
	enum resize_verdict v;
	const struct line *l;
	uint64_t now;
	size_t i, n;

	assert_int_equal(resize_init(&rz, row->target_ms), 0);
	if (row->dyn_clock)
		assert_int_equal(resize_declare_l16(&rz, DYN, row->dyn_clock,
		    1), 0);
	nout = nchecked = 0;
	for (i = 0; i < sizeof(row->lines) / sizeof(row->lines[0]); i++) {
		l = &row->lines[i];
		if (l->kind == L_END)
			break;
		now = l->t == NEVER ? NEVER : l->t * 1000;
		if (l->kind == L_OUT || l->kind == L_PASS) {
			check_out(row, i, l);
			continue;
		}
		/* Everything the previous step produced was expected. */
		CHECK(nchecked == nout);
		nout = nchecked = 0;
		switch (l->kind) {
		case L_IN:
			pkt = outq[MAXOUT - 1].orig;
			n = make_pkt(pkt, l);
			CHECK(rtp_classify(pkt, n, &ri) == PKT_RTP);
			memcpy(outq[MAXOUT - 1].pkt, pkt, n);
			v = resize_put(&rz, outq[MAXOUT - 1].pkt, n, &ri, now);
			CHECK(v == l->v);
			drain(&rz);
			if (v == RESIZE_PASS || v == RESIZE_PASS_NEW) {
				outq[nout].pass = true;
				outq[nout].len = n;
				memcpy(outq[nout].pkt, outq[MAXOUT - 1].pkt, n);
				memcpy(outq[nout++].orig, pkt, n);
			}
			break;
		case L_FLUSH:
			n = (size_t)resize_flush(&rz, now);
			drain(&rz);
			CHECK(n == (size_t)(nout > 0));
			break;
		case L_DEADLINE:
			CHECK(resize_deadline_us(&rz) == now);
			break;
		default:
			break;
		}
	}
	CHECK(nchecked == nout);
	if (row->check_stats) {
		CHECK(rz.st.in == row->st.in);
		CHECK(rz.st.out == row->st.out);
		CHECK(rz.st.pass == row->st.pass);
		CHECK(rz.st.merged == row->st.merged);
		CHECK(rz.st.split == row->st.split);
		CHECK(rz.st.flushed == row->st.flushed);
		CHECK(rz.st.late == row->st.late);
		CHECK(rz.st.unfit == row->st.unfit);
	}
}

/* Which PTs are resized at which targets, and the configuration calls. */
static void
test_check(void **state)
{
	struct resizer rz;
	unsigned pt;

	(void)state;
	assert_int_equal(resize_init(&rz, 0), -1);
	assert_int_equal(resize_pt_check(&rz, PCMU), RESIZE_WHY_PTIME);
	assert_int_equal(resize_init(&rz, RESIZE_MAX_MS + 1), -1);

	assert_int_equal(resize_init(&rz, 20), 0);
	assert_int_equal(resize_pt_check(&rz, PCMU), RESIZE_WHY_OK);
	assert_int_equal(resize_pt_check(&rz, PCMA), RESIZE_WHY_OK);
	assert_int_equal(resize_pt_check(&rz, G722), RESIZE_WHY_OK);
	assert_int_equal(resize_pt_check(&rz, L16M), RESIZE_WHY_TOO_LARGE);
	assert_int_equal(resize_pt_check(&rz, L16S), RESIZE_WHY_TOO_LARGE);
	assert_int_equal(resize_pt_check(&rz, G729), RESIZE_WHY_CODEC);
	assert_int_equal(resize_pt_check(&rz, CN), RESIZE_WHY_CODEC);
	assert_int_equal(resize_pt_check(&rz, EVT), RESIZE_WHY_CODEC);
	assert_int_equal(resize_pt_check(&rz, DYN), RESIZE_WHY_CODEC);

	/* 180 ms of G.711 is the largest; 44.1 kHz needs whole samples. */
	assert_int_equal(resize_init(&rz, 180), 0);
	assert_int_equal(resize_pt_check(&rz, PCMU), RESIZE_WHY_OK);
	assert_int_equal(resize_init(&rz, 181), 0);
	assert_int_equal(resize_pt_check(&rz, PCMU), RESIZE_WHY_TOO_LARGE);
	assert_int_equal(resize_init(&rz, RESIZE_MIN_MS - 1), -1);
	assert_int_equal(resize_init(&rz, 15), 0);
	assert_int_equal(resize_pt_check(&rz, L16M), RESIZE_WHY_PTIME);
	assert_int_equal(resize_pt_check(&rz, PCMU), RESIZE_WHY_OK);

	assert_int_equal(resize_init(&rz, 90), 0);
	assert_int_equal(resize_declare_l16(&rz, 95, 8000, 1), -1);
	assert_int_equal(resize_declare_l16(&rz, 128, 8000, 1), -1);
	assert_int_equal(resize_declare_l16(&rz, 96, 8000, 3), -1);
	assert_int_equal(resize_declare_l16(&rz, 96, 0, 1), -1);
	assert_int_equal(resize_declare_l16(&rz, 96, 8000, 2), 0);
	assert_int_equal(resize_pt_check(&rz, 96), RESIZE_WHY_TOO_LARGE);
	assert_int_equal(resize_declare_l16(&rz, 96, 8000, 1), 0);
	assert_int_equal(resize_pt_check(&rz, 96), RESIZE_WHY_OK);
	for (pt = 97; pt < 96 + RESIZE_DYN_MAX; pt++)
		assert_int_equal(resize_declare_l16(&rz, pt, 16000, 1), 0);
	assert_int_equal(resize_declare_l16(&rz, pt, 16000, 1), -1);
	assert_int_equal(resize_pt_check(&rz, 97), RESIZE_WHY_TOO_LARGE);

	assert_string_equal(resize_why_name(RESIZE_WHY_OK), "resizable");
	assert_string_equal(resize_why_name(RESIZE_WHY_CODEC),
	    "not a sample-based codec");
	assert_string_equal(resize_why_name(RESIZE_WHY_PTIME),
	    "ptime not a whole number of samples");
	assert_string_equal(resize_why_name(RESIZE_WHY_TOO_LARGE),
	    "target packet too large");
}

/* Undrained output refuses the next packet; a small buffer takes nothing. */
static void
test_busy_and_cap(void **state)
{
	static const struct line a = IN(0, PCMU, 1, 0, 320);
	static const struct line b = IN(20, PCMU, 2, 320, 160);
	struct resizer rz;
	struct rtp_info ri, rtcp = { .kind = PKT_RTCP };
	uint8_t pa[PKT_CAP], pb[PKT_CAP], out[RESIZE_PKT_MAX];
	size_t na, nb, n;

	(void)state;
	assert_int_equal(resize_init(&rz, 20), 0);
	na = make_pkt(pa, &a);
	nb = make_pkt(pb, &b);
	assert_int_equal(rtp_classify(pa, na, &ri), PKT_RTP);
	assert_int_equal(resize_put(&rz, pa, na, &ri, 0), RESIZE_TAKEN);
	assert_int_equal(rtp_classify(pb, nb, &ri), PKT_RTP);
	assert_int_equal(resize_put(&rz, pb, nb, &ri, 20000), RESIZE_BUSY);
	assert_int_equal(resize_flush(&rz, 0), 1);

	assert_int_equal(resize_get(&rz, out, RTP_HDR_MIN + 159, &n), -1);
	assert_int_equal(resize_get(&rz, out, sizeof(out), &n), 1);
	assert_int_equal(n, RTP_HDR_MIN + 160);
	assert_int_equal(resize_get(&rz, out, sizeof(out), &n), 1);
	assert_int_equal(resize_get(&rz, out, sizeof(out), &n), 0);
	assert_int_equal(resize_flush(&rz, 0), 0);
	assert_int_equal(resize_put(&rz, pb, nb, &ri, 20000), RESIZE_TAKEN);

	/* Not RTP: none of the resizer's business. */
	assert_int_equal(resize_put(&rz, pb, nb, &rtcp, 20000), RESIZE_PASS);
	assert_int_equal(rz.st.in, 2);
	assert_int_equal(rz.st.out, 2);
}

int
main(void)
{
	static struct CMUnitTest tests[NROWS + 2];
	size_t i;

	for (i = 0; i < NROWS; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[i].name = "PT check and configuration";
	tests[i++].test_func = test_check;
	tests[i].name = "busy, small buffer, not RTP";
	tests[i++].test_func = test_busy_and_cap;
	return _cmocka_run_group_tests("resize", tests, i, NULL, NULL);
}
