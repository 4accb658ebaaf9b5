/*
 * test_sim_svg.c - rtproam-sim's timeline and its picture.
 *
 * The timeline: bins sized from the span, counts in the right bin and
 * series, clamped at the edges, saturating, nothing while not recording.
 *
 * The picture, one row per run: it parses back as XML (a small checker
 * below: tags nest and close, attributes are quoted, '&' starts an
 * entity, '<' never stands in text), each bar carries the count of its
 * bin and stands on its lane's scale, the markers stand at the x of
 * their time in the whole-run view and in the move's zoomed view, the
 * legend names the addresses, and text from outside is escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_svg.h"
#include "sim_timeline.h"

#define MS	1000
#define BIN	SIM_TL_BIN_US
#define OLD	"127.0.0.2:20000"
#define NEW	"127.0.0.10:21000"

/* ------------------------------------------------------------------ */
/* The timeline                                                       */

static void
test_tl_bins(void **state)
{
	struct sim_timeline tl;

	(void)state;
	/* A race attacker 490 ms early: bin 0 starts on a 20 ms boundary. */
	assert_int_equal(sim_tl_init(&tl, -490 * MS, 6400 * MS), 0);
	assert_int_equal(tl.start_us, -500 * MS);
	assert_int_equal(tl.nbins, 345);
	assert_int_equal(tl.mover, 'A');

	sim_tl_count(&tl, -500 * MS, SIM_TL_ATK_SENT, 0, 0);
	sim_tl_count(&tl, -480 * MS - 1, SIM_TL_ATK_SENT, 0, 0);
	sim_tl_count(&tl, 0, SIM_TL_RX, 0, 0);
	sim_tl_count(&tl, 19999, SIM_TL_RX, 1, 2);
	sim_tl_count(&tl, 20000, SIM_TL_STALE, 1, 0);
	sim_tl_count(&tl, 40000, SIM_TL_INJECTED, 7, 9);	/* dir: 1 */
	sim_tl_count(&tl, 60000, SIM_TL_ATK_LEAKED, 0, 0);
	sim_tl_count(&tl, 60000, SIM_TL_RX, 0, SIM_TL_MAX_SRC);	/* no src */
	assert_int_equal(tl.bin[0].atk_sent, 2);
	assert_int_equal(tl.bin[25].rx[0][0], 1);
	assert_int_equal(tl.bin[25].rx[1][2], 1);
	assert_int_equal(tl.bin[26].stale[1][0], 1);
	assert_int_equal(tl.bin[27].injected[1], 1);
	assert_int_equal(tl.bin[28].atk_leaked, 1);
	assert_int_equal(tl.bin[28].rx[0][0], 0);

	/* A packet drained around the edges still counts, at the edge. */
	sim_tl_count(&tl, -10000 * MS, SIM_TL_ATK_SENT, 0, 0);
	sim_tl_count(&tl, 6400 * MS, SIM_TL_RX, 0, 0);
	sim_tl_count(&tl, INT64_MAX / 2, SIM_TL_RX, 0, 0);
	assert_int_equal(tl.bin[0].atk_sent, 3);
	assert_int_equal(tl.bin[344].rx[0][0], 2);
	sim_tl_free(&tl);
	assert_null(tl.bin);
}

static void
test_tl_saturates(void **state)
{
	struct sim_timeline tl;
	unsigned i;

	(void)state;
	assert_int_equal(sim_tl_init(&tl, 0, BIN), 0);
	assert_int_equal(tl.nbins, 1);
	for (i = 0; i < 70000; i++)
		sim_tl_count(&tl, 0, SIM_TL_ATK_SENT, 0, 0);
	assert_int_equal(tl.bin[0].atk_sent, UINT16_MAX);
	sim_tl_free(&tl);
}

static void
test_tl_idle_and_limits(void **state)
{
	struct sim_timeline tl;
	unsigned i;

	(void)state;
	/* Not recording (no --svg): counting is a no-op. */
	memset(&tl, 0, sizeof(tl));
	sim_tl_count(&tl, 0, SIM_TL_RX, 0, 0);
	assert_null(tl.bin);

	assert_int_equal(sim_tl_init(&tl, 5 * MS, 5 * MS), -1);
	assert_int_equal(sim_tl_init(&tl, 0, 7200LL * 1000 * MS), -1);
	assert_null(tl.bin);

	for (i = 0; i < SIM_TL_MAX_MARKS; i++)
		assert_int_equal(sim_tl_mark(&tl, SIM_TL_UP, 1, i), 0);
	assert_int_equal(sim_tl_mark(&tl, SIM_TL_UP, 1, 0), -1);
	assert_int_equal(tl.nmarks, SIM_TL_MAX_MARKS);

	assert_int_equal(sim_tl_source(&tl, 2, NEW), 0);
	assert_int_equal(tl.nsrc, 3);
	assert_string_equal(tl.src[2], NEW);
	assert_int_equal(sim_tl_source(&tl, SIM_TL_MAX_SRC, NEW), -1);
}

/* ------------------------------------------------------------------ */
/* Reading a picture back                                             */

/*
 * Well-formed XML, as far as this writer can go wrong: elements nest
 * and close by name, attribute values are quoted and free of '<', '&'
 * always starts an entity, and there is one root.
 */
static void
assert_xml(const char *s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;",
	    "&quot;", "&apos;" };
	char stack[32][32];
	const char *p = s, *e;
	size_t n, i;
	int depth = 0, roots = 0;
	bool ok;

	assert_true(strncmp(p, "<?xml ", 6) == 0);
	p = strstr(p, "?>");
	assert_non_null(p);
	for (p += 2; *p != '\0'; p++) {
		if (*p == '&') {
			for (ok = false, i = 0; i < 5 && !ok; i++)
				ok = strncmp(p, ents[i], strlen(ents[i])) == 0;
			assert_true(ok);
			continue;
		}
		if (*p == '>')
			fail_msg("stray '>' in text: %.40s", p);
		if (*p != '<')
			continue;
		if (p[1] == '/') {
			n = strcspn(p + 2, ">");
			assert_true(depth > 0);
			depth--;
			assert_true(strlen(stack[depth]) == n &&
			    strncmp(stack[depth], p + 2, n) == 0);
			p += 2 + n;
			continue;
		}
		n = strcspn(p + 1, " />");
		assert_true(n > 0 && n < sizeof(stack[0]));
		if (depth == 0)
			roots++;
		assert_true(depth < 32);
		memcpy(stack[depth], p + 1, n);
		stack[depth][n] = '\0';
		/* Attributes: name="value", value free of '<'. */
		for (p += 1 + n; *p == ' '; ) {
			p++;
			n = strcspn(p, "=");
			assert_true(n > 0 && strcspn(p, " />") > n);
			p += n + 1;
			assert_int_equal(*p, '"');
			e = strchr(p + 1, '"');
			assert_non_null(e);
			assert_true(memchr(p + 1, '<', (size_t)(e - p - 1)) ==
			    NULL);
			for (i = 1; p + i < e; i++)
				if (p[i] == '&')
					assert_true(strncmp(p + i, "&quot;",
					    6) == 0 || strncmp(p + i, "&amp;",
					    5) == 0 || strncmp(p + i, "&lt;",
					    4) == 0 || strncmp(p + i, "&gt;",
					    4) == 0 || strncmp(p + i, "&apos;",
					    6) == 0);
			p = e + 1;
		}
		if (p[0] == '/' && p[1] == '>')
			p++;
		else
			depth++;
		assert_int_equal(*p, '>');
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
}

/* The text of a view: from its group to the next top-level group. */
static char *
view_text(const char *svg, const char *id)
{
	char open[32];
	const char *p, *e;

	snprintf(open, sizeof(open), "<g id=\"%s\">", id);
	if ((p = strstr(svg, open)) == NULL)
		return NULL;
	e = strstr(p + strlen(open), "<g id=");
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* The text of one lane group of a view. */
static char *
lane_text(const char *view, const char *lane)
{
	char open[40];
	const char *p, *e;

	snprintf(open, sizeof(open), "<g class=\"%s\">", lane);
	p = strstr(view, open);
	assert_non_null(p);
	e = strstr(p, "</g>");
	assert_non_null(e);
	return strndup(p, (size_t)(e - p));
}

struct bar {
	char	cls[16];
	unsigned n;
	double	x, y, w, h;
};

/* The next bar from *p on (a rect with data-n); false: none. */
static bool
next_bar(const char **p, struct bar *b)
{
	const char *r;

	while ((r = strstr(*p, "<rect class=\"")) != NULL) {
		*p = r + 1;
		if (sscanf(r, "<rect class=\"%15[^\"]\" data-n=\"%u\""
		    " x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"",
		    b->cls, &b->n, &b->x, &b->y, &b->w, &b->h) == 6)
			return true;
	}
	return false;
}

/*
 * Every bar of a lane stands on one scale: height / packets is the
 * same for each (0.1 px of rounding per edge allowed). Returns how many
 * bars there are.
 */
static unsigned
assert_one_scale(const char *lane)
{
	const char *p = lane;
	struct bar b;
	double per = 0;
	unsigned n = 0;

	while (next_bar(&p, &b)) {
		assert_true(b.n > 0);
		if (per == 0)
			per = b.h / b.n;
		else if (b.h - per * b.n > 0.1 || per * b.n - b.h > 0.1)
			fail_msg("%s: %u packets %.1f px high, %.2f px each",
			    b.cls, b.n, b.h, per);
		n++;
	}
	return n;
}

/* The packets of series cls in the column at x; 0 when none stands. */
static unsigned
count_at(const char *lane, const char *cls, double x)
{
	const char *p = lane;
	struct bar b;

	while (next_bar(&p, &b))
		if (strcmp(b.cls, cls) == 0 && x >= b.x - 0.05 &&
		    x < b.x + b.w - 0.05)
			return b.n;
	return 0;
}

/* x1 of the n-th (from 0) marker line of a class in a view; -1: none. */
static double
mark_x(const char *view, const char *cls, int nth)
{
	char want[40];
	const char *p = view;
	double x;

	snprintf(want, sizeof(want), "<line class=\"%s\" x1=\"", cls);
	while ((p = strstr(p, want)) != NULL) {
		p += strlen(want);
		if (nth-- == 0 && sscanf(p, "%lf", &x) == 1)
			return x;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* The runs                                                           */

/* A bar to find: series cls in lane at t_ms has n packets. */
struct want_bar {
	const char	*view, *lane, *cls;
	int64_t		t_ms;
	unsigned	n;
};

/* A marker: the nth line of class cls in view stands at t_ms. */
struct want_mark {
	const char	*view, *cls;
	int		nth;
	int64_t		t_ms;
};

struct row {
	const char	*name;
	void		(*build)(struct sim_timeline *, struct sim_report *);
	const char	*label;
	const char	*has[10];	/* substrings the SVG contains */
	const char	*hasnt[6];	/* and does not */
	struct want_bar	 bars[8];
	struct want_mark marks[6];
	unsigned	 max_bars;	/* 0: no limit */
};

static void
base(struct sim_timeline *tl, struct sim_report *r, int64_t start_us,
    int64_t end_us)
{
	assert_int_equal(sim_tl_init(tl, start_us, end_us), 0);
	memset(r, 0, sizeof(*r));
	snprintf(r->relay, sizeof(r->relay), "127.0.0.1:22222");
	r->duration_ms = (end_us - 400 * MS) / MS;
	r->window_ms = 1000;
	sim_tl_source(tl, 0, OLD);
}

/* Both phones' 20 ms streams over [from, to), at source src. */
static void
stream(struct sim_timeline *tl, int dir, unsigned src, int64_t from_ms,
    int64_t to_ms, enum sim_tl_series what)
{
	int64_t t;

	for (t = from_ms * MS; t < to_ms * MS; t += BIN)
		sim_tl_count(tl, t + 300, what, dir, src);
}

/* A quiet call, no move, no attacker. */
static void
build_plain(struct sim_timeline *tl, struct sim_report *r)
{
	base(tl, r, 0, 6400 * MS);
	stream(tl, 0, 0, 0, 6000, SIM_TL_RX);
	stream(tl, 1, 0, 0, 6000, SIM_TL_RX);
	r->dir[0].flow.sent = r->dir[0].flow.received = 300;
	r->dir[1].flow.sent = r->dir[1].flow.received = 300;
}

/*
 * A's move at 2000 ms: one uplink packet lost, one downlink packet to
 * the old address, the switches 20 ms later; an overlap duplicate at
 * 2040 ms; an attacker at 50 pps, three packets injected, one leaked.
 */
static void
build_move(struct sim_timeline *tl, struct sim_report *r)
{
	struct sim_move_report *m = &r->move[0];
	int64_t t;

	base(tl, r, 0, 6400 * MS);
	sim_tl_source(tl, 1, NEW);
	stream(tl, 0, 0, 0, 2000, SIM_TL_RX);
	stream(tl, 0, 1, 2020, 6000, SIM_TL_RX);
	sim_tl_count(tl, 2040 * MS + 500, SIM_TL_RX, 0, 0);
	stream(tl, 1, 0, 0, 2000, SIM_TL_RX);
	stream(tl, 1, 0, 2000, 2020, SIM_TL_STALE);
	stream(tl, 1, 1, 2020, 6000, SIM_TL_RX);
	stream(tl, 1, 0, 3000, 3060, SIM_TL_INJECTED);
	for (t = 0; t < 6000; t += 20)
		sim_tl_count(tl, t * MS, SIM_TL_ATK_SENT, 0, 0);
	sim_tl_count(tl, 4000 * MS + 7, SIM_TL_ATK_LEAKED, 0, 0);
	tl->atk_start_us = 0;
	tl->atk_stop_us = 6000 * MS;
	sim_tl_mark(tl, SIM_TL_MOVE, 1, 2000 * MS);
	sim_tl_mark(tl, SIM_TL_UP, 1, 2020 * MS);
	sim_tl_mark(tl, SIM_TL_DOWN, 1, 2021 * MS);

	r->nmoves = 1;
	m->spec.at_ms = 2000;
	m->spec.kind = SIM_MOVE_IPPORT;
	m->phone = 'a';
	snprintf(m->from, sizeof(m->from), OLD);
	snprintf(m->to, sizeof(m->to), NEW);
	m->reinvite_ok = -1;
	m->sw.up = m->sw.down = true;
	m->sw.up_pkts = 1;
	m->sw.up_us = 20400;
	m->sw.down_us = 21000;
	m->sw.lost_up = 1;
	r->attack = true;
	r->atk.cfg.kind = SIM_ATK_SSRCGUESS;
	r->atk.cfg.rate = 50;
	r->atk.stop_ms = 6000;
	r->atk.sent = 300;
	r->atk.leaked_rtp = 1;
	r->atk.injected_rtp = 3;
}

/* Phone B moves; the uplink lane is then B->A. */
static void
build_mover_b(struct sim_timeline *tl, struct sim_report *r)
{
	base(tl, r, 0, 1400 * MS);
	tl->mover = 'B';
	sim_tl_source(tl, 1, NEW);
	stream(tl, 1, 0, 0, 500, SIM_TL_RX);	/* B->A from B's old */
	stream(tl, 1, 1, 500, 1000, SIM_TL_RX);	/* and from its new */
	stream(tl, 0, 1, 0, 1000, SIM_TL_RX);
	sim_tl_mark(tl, SIM_TL_MOVE, 1, 500 * MS);
	r->nmoves = 1;
	snprintf(r->move[0].to, sizeof(r->move[0].to), NEW);
}

/* A race: the attacker starts 500 ms before the phones. */
static void
build_race(struct sim_timeline *tl, struct sim_report *r)
{
	int64_t t;

	base(tl, r, -500 * MS, 2400 * MS);
	stream(tl, 0, 0, 0, 2000, SIM_TL_RX);
	stream(tl, 1, 0, 0, 2000, SIM_TL_RX);
	for (t = -500; t < 2000; t += 20)
		sim_tl_count(tl, t * MS, SIM_TL_ATK_SENT, 0, 0);
	tl->atk_start_us = -500 * MS;
	tl->atk_stop_us = 2000 * MS;
	r->attack = true;
	r->atk.cfg.kind = SIM_ATK_RACE;
	r->atk.cfg.start_ms = -500;
}

/* The longest run: 600 s, 37 bins to a pixel column. */
static void
build_long(struct sim_timeline *tl, struct sim_report *r)
{
	base(tl, r, 0, 600400 * MS);
	stream(tl, 0, 0, 0, 600000, SIM_TL_RX);
	stream(tl, 1, 0, 0, 600000, SIM_TL_RX);
	sim_tl_mark(tl, SIM_TL_MOVE, 1, 300000 * MS);
	r->nmoves = 1;
}

/* What comes from outside: the label, and addresses a relay gave. */
static void
build_escape(struct sim_timeline *tl, struct sim_report *r)
{
	build_plain(tl, r);
	snprintf(r->relay, sizeof(r->relay), "<relay & \"co\">");
}

/*
 * The main view of a run of n bins from start spans n bins when they
 * fit the plot; marker x follows from that alone.
 */
static double
x_main(const struct sim_timeline *tl, int64_t t_ms)
{
	uint32_t g = (tl->nbins + SIM_SVG_PLOT_W - 1) / SIM_SVG_PLOT_W;
	uint32_t ncols = (tl->nbins + g - 1) / g;

	return SIM_SVG_PLOT_X + SIM_SVG_PLOT_W * (double)(t_ms * MS -
	    tl->start_us) / ((double)ncols * g * BIN);
}

/* A move's zoom: 300 ms before it to 500 ms after, 40 bins. */
static double
x_zoom(int64_t at_ms, int64_t t_ms)
{
	return SIM_SVG_PLOT_X + SIM_SVG_PLOT_W * (double)(t_ms - (at_ms - 300))
	    / 800.0;
}

static const struct row rows[] = {
	{ .name = "plain", .build = build_plain,
	  .has = { "rtproam-sim: relay 127.0.0.1:22222 over rtpp",
	    "phone A at " OLD " (start)", "no attacker", "<title>" },
	  .hasnt = { "zoom-1", "mark-move", "atk-sent", "(move 1)", "paler" },
	  .bars = { { "main", "lane-up", "rx0", 0, 1 },
	    { "main", "lane-down", "rx0", 5980, 1 },
	    { "main", "lane-up", "rx0", 6000, 0 } },
	  .max_bars = 2 },
	{ .name = "move and attack", .build = build_move, .label = "rtproam",
	  .has = { "rtproam: relay", "move 1 at 2000 ms: ipport " OLD,
	    "phone A at " NEW " (move 1)", "uplink switched after 1 packet"
	    " (20.40 ms), downlink 21.00 ms", "attack ssrcguess",
	    "paler: reached an address phone A had left",
	    "<g id=\"zoom-1\">", "relay to attacker" },
	  .hasnt = { "no attacker", "zoom-2" },
	  .bars = { { "main", "lane-up", "rx0", 1980, 1 },
	    { "main", "lane-up", "rx1", 2020, 1 },
	    { "zoom-1", "lane-up", "rx0", 2000, 0 },
	    { "zoom-1", "lane-up", "rx0", 2040, 1 },
	    { "zoom-1", "lane-down", "stale0", 2000, 1 },
	    { "main", "lane-down", "injected", 3040, 1 },
	    { "main", "lane-atk", "atk-sent", 100, 1 },
	    { "main", "lane-atk", "atk-leaked", 4000, 1 } },
	  .marks = { { "main", "mark-move", 0, 2000 },
	    { "main", "mark-up", 0, 2020 },
	    { "main", "mark-down", 0, 2021 },
	    { "zoom-1", "mark-move", 0, 2000 },
	    { "zoom-1", "mark-up", 0, 2020 },
	    { "zoom-1", "mark-down", 0, 2021 } } },
	{ .name = "mover b", .build = build_mover_b,
	  .has = { "phone B moves", "phone B at " NEW " (move 1)",
	    "B\xe2\x86\x92" "A, as A got it" },
	  /* The uplink lane is the mover's: B->A. */
	  .bars = { { "main", "lane-up", "rx0", 100, 1 },
	    { "main", "lane-up", "rx1", 600, 1 },
	    { "main", "lane-down", "rx1", 100, 1 },
	    { "main", "lane-down", "rx0", 100, 0 } },
	  .marks = { { "main", "mark-move", 0, 500 },
	    { "zoom-1", "mark-move", 0, 500 } } },
	{ .name = "race", .build = build_race,
	  .has = { "attack race", ">-500</text>", ">0</text>" },
	  .hasnt = { "no attacker" },
	  .bars = { { "main", "lane-atk", "atk-sent", -500, 1 },
	    { "main", "lane-up", "rx0", -20, 0 },
	    { "main", "lane-up", "rx0", 0, 1 } } },
	{ .name = "600 s", .build = build_long,
	  .has = { "mean per pixel column", ">600000</text>",
	    "<g id=\"zoom-1\">" },
	  /* 37 bins a column. */
	  .bars = { { "main", "lane-up", "rx0", 0, 37 },
	    { "main", "lane-up", "rx0", 599000, 37 },
	    { "zoom-1", "lane-up", "rx0", 299980, 1 } },
	  .marks = { { "main", "mark-move", 0, 300000 },
	    { "zoom-1", "mark-move", 0, 300000 } },
	  .max_bars = 8 },
	{ .name = "escaping", .build = build_escape,
	  .label = "a<b> & \"c\" 'd'\x01\xff\xc3\xa9",
	  .has = { "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;??\xc3\xa9",
	    "&lt;relay &amp; &quot;co&quot;&gt;" },
	  .hasnt = { "a<b>", "<relay", "\x01", "\xff" } },
};

/*
 * Not inlined: gcc 12 at -O2 mistakes the open_memstream() buffer that
 * comes back for the local pointer variable it was written through
 * (-Wdangling-pointer, a false positive).
 */
static char *
render(const struct sim_timeline *tl, const struct sim_report *r,
    const char *label) __attribute__((noinline));

static char *
render(const struct sim_timeline *tl, const struct sim_report *r,
    const char *label)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	sim_svg_write(f, tl, r, label);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static unsigned
count_str(const char *s, const char *what)
{
	unsigned n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void
check_bar(const struct sim_timeline *tl, const char *svg,
    const struct want_bar *w)
{
	char *view, *lane;
	double x;

	view = view_text(svg, w->view);
	assert_non_null(view);
	lane = lane_text(view, w->lane);
	/* The middle of the bin at t. */
	x = strcmp(w->view, "main") == 0 ? x_main(tl, w->t_ms + 10) :
	    x_zoom(tl->mark[0].t_us / MS, w->t_ms + 10);
	if (count_at(lane, w->cls, x) != w->n)
		fail_msg("%s %s %s at %lld ms: %u packets, want %u", w->view,
		    w->lane, w->cls, (long long)w->t_ms,
		    count_at(lane, w->cls, x), w->n);
	free(lane);
	free(view);
}

static void
check_mark(const struct sim_timeline *tl, const char *svg,
    const struct want_mark *w)
{
	char *view = view_text(svg, w->view);
	double got, want;

	assert_non_null(view);
	got = mark_x(view, w->cls, w->nth);
	want = strcmp(w->view, "main") == 0 ? x_main(tl, w->t_ms) :
	    x_zoom(tl->mark[0].t_us / MS, w->t_ms);
	if (got < want - 0.06 || got > want + 0.06)
		fail_msg("%s %s: x %.2f, want %.2f", w->view, w->cls, got,
		    want);
	free(view);
}

static void
run_row(void **state)
{
	const struct row *row = *state;
	static struct sim_report r;
	struct sim_timeline tl;
	static const char *const lanes[2] = { "lane-up", "lane-down" };
	char *svg, *view, *lane;
	size_t i, j;

	row->build(&tl, &r);
	svg = render(&tl, &r, row->label);
	assert_xml(svg);
	for (i = 0; i < 10 && row->has[i] != NULL; i++)
		if (strstr(svg, row->has[i]) == NULL)
			fail_msg("missing \"%s\"", row->has[i]);
	for (i = 0; i < 6 && row->hasnt[i] != NULL; i++)
		if (strstr(svg, row->hasnt[i]) != NULL)
			fail_msg("unexpected \"%s\"", row->hasnt[i]);
	for (i = 0; i < 8 && row->bars[i].view != NULL; i++)
		check_bar(&tl, svg, &row->bars[i]);
	for (i = 0; i < 6 && row->marks[i].view != NULL; i++)
		check_mark(&tl, svg, &row->marks[i]);
	/* Every media lane of every view on one scale. */
	for (i = 0; i < 2; i++) {
		if ((view = view_text(svg, i ? "zoom-1" : "main")) == NULL)
			continue;
		for (j = 0; j < 2; j++) {
			lane = lane_text(view, lanes[j]);
			assert_one_scale(lane);
			free(lane);
		}
		free(view);
	}
	/* A steady stream is a few long bars, not one per 20 ms. */
	if (row->max_bars > 0 && count_str(svg, "data-n=") > row->max_bars)
		fail_msg("%u bars", count_str(svg, "data-n="));
	free(svg);
	sim_tl_free(&tl);
}

int
main(void)
{
	struct CMUnitTest tests[3 + sizeof(rows) / sizeof(rows[0])] = {
		cmocka_unit_test(test_tl_bins),
		cmocka_unit_test(test_tl_saturates),
		cmocka_unit_test(test_tl_idle_and_limits),
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		tests[3 + i] = (struct CMUnitTest){ rows[i].name, run_row,
		    NULL, NULL, (void *)(uintptr_t)&rows[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
