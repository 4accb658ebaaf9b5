/*
 * sim_svg.c - draw a struct sim_timeline as SVG. Pure: writes to a FILE.
 *
 * Hand-written SVG 1.1, one element a line, coordinates to 0.1 px.
 * Neighbouring columns with the same bar are one rectangle, so a steady
 * stream costs a few elements, not one per 20 ms.
 *
 * The whole run is one view; each of the first moves gets a second,
 * zoomed view around it, because on a run of seconds the few packets
 * a switch costs are a pixel wide.
 */
#include "sim_svg.h"
#include "sim_xml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define FONT		"font-family=\"DejaVu Sans, Verdana, sans-serif\""
#define HDR_LINES	(4 + 2 * SIM_MAX_MOVES)
#define HDR_LEN		256
#define LINE_H		16		/* a header or legend line */
#define LABEL_ROWS	3		/* marker labels: move, up, down */
#define LABEL_H		13
#define LANE_GAP	10
#define AXIS_H		30		/* below a view's lanes: tick labels */
#define NPAL		8
#define ZOOMS		3		/* moves with a view of their own */
#define ZOOM_BEFORE_US	300000		/* a zoomed view's span around */
#define ZOOM_AFTER_US	500000		/* its move */

/*
 * The mover's addresses in turn. No red: red is the attacker's. Blue,
 * orange, green first: they stay apart for most colour-blind readers.
 */
static const char *const palette[NPAL] = {
	"#0072b2", "#e69f00", "#009e73", "#cc79a7",
	"#56b4e9", "#8c6d31", "#7f7f7f", "#b5bd00",
};
#define RED_INJECTED	"#d62728"
#define RED_SENT	"#f4a6a6"
#define RED_LEAKED	"#7a0000"
#define STALE_OPACITY	"0.35"

enum kind { K_RX, K_STALE, K_INJECTED, K_ATK_SENT, K_ATK_LEAKED };

/*
 * One view: the bins [b0, b1) drawn across the plot, g bins to a
 * column, as three lanes (uplink, downlink, attacker) and an axis.
 */
struct view {
	const struct sim_timeline *tl;
	int		id;		/* 0: the whole run, k: move k's zoom */
	uint32_t	b0, b1;
	uint32_t	g;
	uint32_t	ncols;
	double		cw;		/* column width, px */
	int64_t		t0_us, span_us;	/* ncols * g bins from b0 */
	double		top;		/* marker labels start here */
	double		lane_top[3];	/* up, down, attacker */
	double		lane_h[3];
	double		axis_y;
	double		bottom;
};

/* ------------------------------------------------------------------ */
/* Text                                                               */

static void __attribute__((format(printf, 6, 7)))
text(FILE *f, double x, double y, const char *attrs, const char *anchor,
    const char *fmt, ...)
{
	char buf[HDR_LEN * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y,
	    anchor, attrs);
	sim_xml_text(f, buf);
	fputs("</text>\n", f);
}

static void __attribute__((format(printf, 3, 4)))
line_add(char (*lines)[HDR_LEN], int *n, const char *fmt, ...)
{
	va_list ap;

	if (*n == HDR_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(lines[*n], HDR_LEN, fmt, ap);
	va_end(ap);
	(*n)++;
}

static const char *
ms_str(char *buf, size_t len, bool have, int64_t us)
{
	if (have)
		snprintf(buf, len, "%.2f ms", (double)us / 1000.0);
	else
		snprintf(buf, len, "never");
	return buf;
}

/* The title, the scenario and the summary figures, a line each. */
static int
header(const struct sim_report *r, const struct sim_timeline *tl,
    const char *label, char (*lines)[HDR_LEN])
{
	const struct sim_move_report *m;
	const struct sim_dir_report *d;
	const struct sim_attack_report *a = &r->atk;
	char up[32], down[32], ip[ADDR_STRLEN];
	int n = 0, i;

	line_add(lines, &n, "%s: relay %s over %s, %" PRId64 " ms of media,"
	    " phone %c moves", label != NULL ? label : "rtproam-sim",
	    r->relay, sim_proto_name(r->protocol), r->duration_ms, tl->mover);
	for (i = 0; i < r->nmoves; i++) {
		m = &r->move[i];
		line_add(lines, &n, "move %d at %" PRId64 " ms: %s %s \xe2\x86\x92"
		    " %s%s%s%s", i + 1, m->spec.at_ms,
		    sim_move_kind_name(m->spec.kind), m->from, m->to,
		    m->spec.newssrc ? ", new SSRC" : "",
		    m->spec.overlap_ms > 0 ? ", old path overlaps" : "",
		    m->reinvite_ok < 0 ? "" : m->reinvite_ok ?
		    ", re-INVITE answered" : ", re-INVITE FAILED");
		line_add(lines, &n, "    uplink switched after %" PRId64
		    " packet%s (%s), downlink %s; lost within \xc2\xb1%" PRId64
		    " ms: %" PRIu32 " up, %" PRIu32 " down",
		    m->sw.up_pkts, m->sw.up_pkts == 1 ? "" : "s", ms_str(up, sizeof(up), m->sw.up, m->sw.up_us),
		    m->sw.down ? ms_str(down, sizeof(down), true, m->sw.down_us) :
		    "never", r->window_ms, m->sw.lost_up, m->sw.lost_down);
	}
	if (r->attack)
		line_add(lines, &n, "attack %s from %s, %u pps, %" PRId64 "..%"
		    PRId64 " ms: sent %" PRIu64 "; leaked to it %" PRIu64
		    " (A's %" PRIu64 ", B's %" PRIu64 "); injected into the"
		    " phones %" PRIu64, sim_attack_kind_name(a->cfg.kind),
		    addr_ip_str(&a->cfg.from, ip, sizeof(ip)), a->cfg.rate,
		    a->cfg.start_ms, a->stop_ms, a->sent,
		    a->leaked_rtp + a->leaked_rtcp, a->leaked_a, a->leaked_b,
		    a->injected_rtp + a->injected_rtcp);
	else
		line_add(lines, &n, "no attacker");
	d = r->dir;
	line_add(lines, &n, "A\xe2\x86\x92" "B: %" PRIu32 " sent, %" PRIu32
	    " received, %" PRIu32 " lost, %" PRIu64 " injected.   B\xe2\x86\x92"
	    "A: %" PRIu32 " sent, %" PRIu32 " received, %" PRIu32 " lost, %"
	    PRIu64 " injected", d[0].flow.sent, d[0].flow.received,
	    d[0].flow.lost, d[0].injected, d[1].flow.sent, d[1].flow.received,
	    d[1].flow.lost, d[1].injected);
	return n;
}

/* ------------------------------------------------------------------ */
/* Geometry                                                           */

/*
 * A view of the bins [b0, b1) from y down; media and attacker lanes
 * media_h and atk_h high.
 */
static void
view_init(struct view *v, const struct sim_timeline *tl, int id, uint32_t b0,
    uint32_t b1, double y, double media_h, double atk_h)
{
	uint32_t n = b1 > b0 ? b1 - b0 : 1;
	int i;

	memset(v, 0, sizeof(*v));
	v->tl = tl;
	v->id = id;
	v->b0 = b0;
	v->b1 = b1;
	v->g = (n + SIM_SVG_PLOT_W - 1) / SIM_SVG_PLOT_W;
	v->ncols = (n + v->g - 1) / v->g;
	v->cw = (double)SIM_SVG_PLOT_W / v->ncols;
	v->t0_us = tl->start_us + (int64_t)b0 * SIM_TL_BIN_US;
	v->span_us = (int64_t)v->ncols * v->g * SIM_TL_BIN_US;
	v->top = y + (id > 0 ? LINE_H + 4 : 0);
	y = v->top + LABEL_ROWS * LABEL_H;
	for (i = 0; i < 3; i++) {
		v->lane_top[i] = y;
		v->lane_h[i] = i < 2 ? media_h : atk_h;
		y += v->lane_h[i] + LANE_GAP;
	}
	v->axis_y = y - LANE_GAP + 4;
	v->bottom = v->axis_y + AXIS_H;
}

static double
x_of(const struct view *v, int64_t t_us)
{
	return SIM_SVG_PLOT_X + (double)(t_us - v->t0_us) * SIM_SVG_PLOT_W /
	    (double)v->span_us;
}

static unsigned
bin_val(const struct sim_tl_bin *b, enum kind k, int dir, unsigned src)
{
	switch (k) {
	case K_RX:
		return b->rx[dir][src];
	case K_STALE:
		return b->stale[dir][src];
	case K_INJECTED:
		return b->injected[dir];
	case K_ATK_SENT:
		return b->atk_sent;
	case K_ATK_LEAKED:
		return b->atk_leaked;
	}
	return 0;
}

static uint32_t
col_sum(const struct view *v, uint32_t col, enum kind k, int dir,
    unsigned src)
{
	uint32_t i, end = v->b0 + (col + 1) * v->g, sum = 0;

	if (end > v->b1)
		end = v->b1;
	for (i = v->b0 + col * v->g; i < end; i++)
		sum += bin_val(&v->tl->bin[i], k, dir, src);
	return sum;
}

/* The largest column of a media lane: every series stacked. */
static uint32_t
media_max(const struct view *v, int dir)
{
	uint32_t col, n, max = 0;
	unsigned s;

	for (col = 0; col < v->ncols; col++) {
		n = col_sum(v, col, K_INJECTED, dir, 0);
		for (s = 0; s < SIM_TL_MAX_SRC; s++)
			n += col_sum(v, col, K_RX, dir, s) +
			    col_sum(v, col, K_STALE, dir, s);
		if (n > max)
			max = n;
	}
	return max;
}

static uint32_t
series_max(const struct view *v, enum kind k)
{
	uint32_t col, n, max = 0;

	for (col = 0; col < v->ncols; col++)
		if ((n = col_sum(v, col, k, 0, 0)) > max)
			max = n;
	return max;
}

static bool
series_any(const struct sim_timeline *tl, enum kind k, int dir,
    unsigned src)
{
	uint32_t i;

	for (i = 0; i < tl->nbins; i++)
		if (bin_val(&tl->bin[i], k, dir, src) != 0)
			return true;
	return false;
}

/* Mean packets per 20 ms, rounded up to whole packets, at least 1. */
static uint32_t
scale_top(const struct view *v, uint32_t max_sum)
{
	uint32_t top = (max_sum + v->g - 1) / v->g;

	return top > 0 ? top : 1;
}

/* ------------------------------------------------------------------ */
/* Drawing                                                            */

/*
 * Where a series' bars stand: on the line at y0, h px for top packets
 * per 20 ms (the full scale), growing upwards or downwards.
 */
struct shelf {
	double		y0, h;
	uint32_t	top;
	bool		down;
};

static struct shelf
shelf_of(const struct view *v, int lane, uint32_t top)
{
	return (struct shelf){ v->lane_top[lane] + v->lane_h[lane],
	    v->lane_h[lane], top, false };
}

/*
 * One series as bars on top of base[] (what is stacked below, per
 * column), which it then raises.
 */
static void
bars(FILE *f, const struct view *v, uint32_t *base, struct shelf sh,
    enum kind k, int dir, unsigned src, const char *cls, const char *fill,
    const char *opacity)
{
	double per = sh.h / sh.top / v->g;	/* px per packet sum */
	uint32_t col, run0 = 0, rb = 0, rv = 0, b, n;
	bool end;

	for (col = 0; col <= v->ncols; col++) {
		end = col == v->ncols;
		n = end ? 0 : col_sum(v, col, k, dir, src);
		b = end ? 0 : base[col];
		if (end || n != rv || b != rb) {
			/* The run [run0, col) ends here. */
			if (rv > 0)
				fprintf(f, "<rect class=\"%s\" data-n=\"%" PRIu32
				    "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
				    " height=\"%.1f\" fill=\"%s\"%s%s%s/>\n", cls, rv,
				    SIM_SVG_PLOT_X + run0 * v->cw,
				    sh.down ? sh.y0 + rb * per :
				    sh.y0 - (rb + rv) * per,
				    (col - run0) * v->cw, rv * per, fill,
				    opacity ? " fill-opacity=\"" : "",
				    opacity ? opacity : "", opacity ? "\"" : "");
			run0 = col;
			rb = b;
			rv = n;
		}
		if (!end)
			base[col] += n;
	}
}

/* 1, 2, 5 times a power of ten: at most a dozen ticks. */
static int64_t
tick_step_ms(int64_t span_ms)
{
	static const int64_t m[3] = { 1, 2, 5 };
	int64_t p = 10;
	int i;

	for (;;) {
		for (i = 0; i < 3; i++)
			if (span_ms / (m[i] * p) <= 12)
				return m[i] * p;
		p *= 10;
	}
}

/* The first tick at or after t0_us, in ms. */
static int64_t
first_tick_ms(const struct view *v, int64_t step)
{
	int64_t t = v->t0_us / 1000 / step * step;

	while (t * 1000 < v->t0_us)
		t += step;
	return t;
}

/* The lanes' backgrounds, names and scales, and the time grid on them. */
static void
frames(FILE *f, const struct view *v, const uint32_t top[4])
{
	static const char *const name[2][3] = {
		{ "uplink", "downlink", "attacker" },
		{ "up", "down", "attacker" },
	};
	int64_t step = tick_step_ms(v->span_us / 1000), t;
	int updir = v->tl->mover == 'B';
	double x, y, h;
	char sub[48];
	uint32_t i;
	int lane;

	for (lane = 0; lane < 3; lane++) {
		y = v->lane_top[lane];
		h = v->lane_h[lane];
		fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\""
		    " height=\"%.1f\" fill=\"#f7f7f7\" stroke=\"#bbbbbb\"/>\n",
		    SIM_SVG_PLOT_X, y, SIM_SVG_PLOT_W, h);
		text(f, 8, y + 15, FONT " font-size=\"13\" font-weight=\"bold\"",
		    "start", "%s", name[v->id > 0][lane]);
		if (lane < 2) {
			i = lane == 0 ? updir : !updir;
			snprintf(sub, sizeof(sub), "%c\xe2\x86\x92%c, as %c got"
			    " it", i ? 'B' : 'A', i ? 'A' : 'B', i ? 'A' : 'B');
		} else
			snprintf(sub, sizeof(sub), "\xe2\x86\x91 to relay,"
			    " \xe2\x86\x93 from it");
		if (v->id == 0)
			text(f, 8, y + 30, FONT " font-size=\"11\""
			    " fill=\"#444444\"", "start", "%s", sub);
		text(f, SIM_SVG_PLOT_X - 4, y + 9, FONT " font-size=\"10\"",
		    "end", "%" PRIu32, top[lane]);
		if (lane == 2) {
			text(f, SIM_SVG_PLOT_X - 4, y + h / 2 + 4, FONT
			    " font-size=\"10\"", "end", "0");
			text(f, SIM_SVG_PLOT_X - 4, y + h, FONT
			    " font-size=\"10\"", "end", "%" PRIu32, top[3]);
			continue;
		}
		text(f, SIM_SVG_PLOT_X - 4, y + h, FONT " font-size=\"10\"",
		    "end", "0");
		/* Whole packets as faint lines while there are few. */
		for (i = 1; i < top[lane] && top[lane] <= 4; i++)
			fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\""
			    " y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
			    SIM_SVG_PLOT_X, y + h - h * i / top[lane],
			    SIM_SVG_PLOT_X + SIM_SVG_PLOT_W,
			    y + h - h * i / top[lane]);
	}
	for (t = first_tick_ms(v, step); t * 1000 <= v->t0_us + v->span_us;
	    t += step) {
		x = x_of(v, t * 1000);
		for (lane = 0; lane < 3; lane++)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
			    " y2=\"%.1f\" stroke=\"#e2e2e2\"/>\n", x,
			    v->lane_top[lane], x,
			    v->lane_top[lane] + v->lane_h[lane]);
	}
}

static void
media_lane(FILE *f, const struct view *v, int lane, int dir, uint32_t top)
{
	uint32_t base[SIM_SVG_PLOT_W];
	char cls[16];
	unsigned s;

	fprintf(f, "<g class=\"%s\">\n", lane == 0 ? "lane-up" : "lane-down");
	memset(base, 0, sizeof(base));
	for (s = 0; s < SIM_TL_MAX_SRC; s++) {
		snprintf(cls, sizeof(cls), "rx%u", s);
		bars(f, v, base, shelf_of(v, lane, top), K_RX, dir, s, cls,
		    palette[s % NPAL], NULL);
		snprintf(cls, sizeof(cls), "stale%u", s);
		bars(f, v, base, shelf_of(v, lane, top), K_STALE, dir, s, cls,
		    palette[s % NPAL], STALE_OPACITY);
	}
	bars(f, v, base, shelf_of(v, lane, top), K_INJECTED, dir, 0,
	    "injected",
	    RED_INJECTED, NULL);
	fputs("</g>\n", f);
}

static bool
has_attacker(const struct sim_timeline *tl)
{
	return tl->atk_start_us != tl->atk_stop_us ||
	    series_any(tl, K_ATK_SENT, 0, 0) ||
	    series_any(tl, K_ATK_LEAKED, 0, 0);
}

/*
 * What the attacker sent rises from the middle line, what the relay
 * sent it hangs below: in and out on their own scales.
 */
static void
attack_lane(FILE *f, const struct view *v, uint32_t top_sent,
    uint32_t top_leaked)
{
	const struct sim_timeline *tl = v->tl;
	uint32_t base[SIM_SVG_PLOT_W];
	double x0, x1, y = v->lane_top[2], mid = y + v->lane_h[2] / 2;

	fputs("<g class=\"lane-atk\">\n", f);
	if (!has_attacker(tl)) {
		text(f, SIM_SVG_PLOT_X + SIM_SVG_PLOT_W / 2.0,
		    y + v->lane_h[2] / 2 + 4,
		    FONT " font-size=\"11\" fill=\"#888888\"", "middle",
		    "no attacker");
		fputs("</g>\n", f);
		return;
	}
	/* When it was active. */
	x0 = x_of(v, tl->atk_start_us);
	x1 = x_of(v, tl->atk_stop_us);
	if (x0 < SIM_SVG_PLOT_X)
		x0 = SIM_SVG_PLOT_X;
	if (x1 > SIM_SVG_PLOT_X + SIM_SVG_PLOT_W)
		x1 = SIM_SVG_PLOT_X + SIM_SVG_PLOT_W;
	if (x1 > x0)
		fprintf(f, "<rect class=\"atk-active\" x=\"%.1f\" y=\"%.1f\""
		    " width=\"%.1f\" height=\"%.1f\" fill=\"#fff1f1\"/>\n", x0,
		    y, x1 - x0, v->lane_h[2]);
	memset(base, 0, sizeof(base));
	bars(f, v, base, (struct shelf){ mid, v->lane_h[2] / 2, top_sent,
	    false }, K_ATK_SENT, 0, 0, "atk-sent", RED_SENT, NULL);
	memset(base, 0, sizeof(base));
	bars(f, v, base, (struct shelf){ mid, v->lane_h[2] / 2, top_leaked,
	    true }, K_ATK_LEAKED, 0, 0, "atk-leaked", RED_LEAKED, NULL);
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
	    " stroke=\"#999999\"/>\n", SIM_SVG_PLOT_X, mid,
	    SIM_SVG_PLOT_X + SIM_SVG_PLOT_W, mid);
	fputs("</g>\n", f);
}

static void
axis(FILE *f, const struct view *v)
{
	int64_t step = tick_step_ms(v->span_us / 1000), t;
	double x, y = v->axis_y;

	fprintf(f, "<g class=\"axis\">\n<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\""
	    " y2=\"%.1f\" stroke=\"#000000\"/>\n", SIM_SVG_PLOT_X, y,
	    SIM_SVG_PLOT_X + SIM_SVG_PLOT_W, y);
	for (t = first_tick_ms(v, step); t * 1000 <= v->t0_us + v->span_us;
	    t += step) {
		x = x_of(v, t * 1000);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
		    " y2=\"%.1f\" stroke=\"#000000\"/>\n", x, y, x, y + 5);
		text(f, x, y + 17, FONT " font-size=\"11\"", "middle",
		    "%" PRId64, t);
	}
	text(f, 8, y + 17, FONT " font-size=\"11\"", "start", "ms");
	fputs("</g>\n", f);
}

static const char *const mark_name[3] = { "move", "up", "down" };
static const char *const mark_dash[3] = { "", "6 3", "1.5 2.5" };

static void
marks(FILE *f, const struct view *v)
{
	const struct sim_tl_mark *m;
	double x, ly;
	unsigned i;
	int k;

	fputs("<g class=\"marks\">\n", f);
	for (i = 0; i < v->tl->nmarks; i++) {
		m = &v->tl->mark[i];
		k = m->kind == SIM_TL_UP ? 1 : m->kind == SIM_TL_DOWN ? 2 : 0;
		x = x_of(v, m->t_us);
		if (x < SIM_SVG_PLOT_X || x > SIM_SVG_PLOT_X + SIM_SVG_PLOT_W)
			continue;
		ly = v->top + (k + 1) * LABEL_H - 3;
		fprintf(f, "<line class=\"mark-%s\" x1=\"%.1f\" y1=\"%.1f\""
		    " x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\""
		    " stroke-width=\"1.5\"%s%s%s/>\n", mark_name[k], x,
		    ly - 9, x, v->axis_y, *mark_dash[k] ?
		    " stroke-dasharray=\"" : "", mark_dash[k],
		    *mark_dash[k] ? "\"" : "");
		/* Labels read rightwards, leftwards near the right edge. */
		if (x > SIM_SVG_PLOT_X + SIM_SVG_PLOT_W - 60)
			text(f, x - 3, ly, FONT " font-size=\"11\"", "end",
			    "%s %d", mark_name[k], m->move);
		else
			text(f, x + 3, ly, FONT " font-size=\"11\"", "start",
			    "%s %d", mark_name[k], m->move);
	}
	fputs("</g>\n", f);
}

static void
view_draw(FILE *f, const struct view *v)
{
	int updir = v->tl->mover == 'B';
	uint32_t top[4];

	/* Both media lanes on one scale: their bars compare. */
	top[0] = scale_top(v, media_max(v, 0));
	if ((top[1] = scale_top(v, media_max(v, 1))) > top[0])
		top[0] = top[1];
	top[1] = top[0];
	top[2] = scale_top(v, series_max(v, K_ATK_SENT));
	top[3] = scale_top(v, series_max(v, K_ATK_LEAKED));

	if (v->id == 0)
		fputs("<g id=\"main\">\n", f);
	else {
		fprintf(f, "<g id=\"zoom-%d\">\n", v->id);
		text(f, 10, v->top - 6, FONT " font-size=\"12\""
		    " font-weight=\"bold\"", "start", "move %d, closer: %"
		    PRId64 " to %" PRId64 " ms", v->id, v->t0_us / 1000,
		    (v->t0_us + v->span_us) / 1000);
	}
	frames(f, v, top);
	media_lane(f, v, 0, updir, top[0]);
	media_lane(f, v, 1, !updir, top[1]);
	attack_lane(f, v, top[2], top[3]);
	axis(f, v);
	marks(f, v);
	fputs("</g>\n", f);
}

/* ------------------------------------------------------------------ */
/* Legend                                                             */

struct legend {
	FILE	*f;		/* NULL: only measure */
	double	 x, y;
};

/* Room for an entry of n characters, on this line or the next. */
static void
legend_room(struct legend *l, size_t n)
{
	double w = 24 + 6.2 * (double)n;

	if (l->x > 10 && l->x + w > SIM_SVG_WIDTH - 10) {
		l->x = 10;
		l->y += LINE_H + 2;
	}
}

static void
legend_swatch(struct legend *l, const char *fill, const char *opacity,
    const char *txt)
{
	legend_room(l, strlen(txt));
	if (l->f != NULL) {
		fprintf(l->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\""
		    " height=\"10\" fill=\"%s\"%s%s%s/>\n", l->x, l->y - 9,
		    fill, opacity ? " fill-opacity=\"" : "",
		    opacity ? opacity : "", opacity ? "\"" : "");
		text(l->f, l->x + 19, l->y, FONT " font-size=\"11\"", "start",
		    "%s", txt);
	}
	l->x += 24 + 6.2 * (double)strlen(txt) + 14;
}

static void
legend_line(struct legend *l, const char *dash, const char *txt)
{
	legend_room(l, strlen(txt) + 2);
	if (l->f != NULL) {
		fprintf(l->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
		    " y2=\"%.1f\" stroke=\"#000000\" stroke-width=\"1.5\"%s%s%s"
		    "/>\n", l->x, l->y - 4, l->x + 22, l->y - 4,
		    *dash ? " stroke-dasharray=\"" : "", dash,
		    *dash ? "\"" : "");
		text(l->f, l->x + 27, l->y, FONT " font-size=\"11\"", "start",
		    "%s", txt);
	}
	l->x += 24 + 6.2 * (double)strlen(txt) + 22;
}

/* Which move took the mover to addr: 0 for none. */
static int
src_move(const struct sim_report *r, const char *addr)
{
	int i;

	for (i = 0; i < r->nmoves; i++)
		if (strcmp(r->move[i].to, addr) == 0)
			return i + 1;
	return 0;
}

/* The legend from y down; returns its last line's y. f NULL: measure. */
static double
legend(FILE *f, const struct sim_timeline *tl, const struct sim_report *r,
    double y, bool mean)
{
	struct legend l = { f, 10, y };
	char txt[ADDR_STRLEN + 64];
	bool stale = false, atk = has_attacker(tl) || r->attack;
	unsigned s;
	int mv;

	if (f != NULL)
		fputs("<g id=\"legend\">\n", f);
	for (s = 0; s < tl->nsrc; s++) {
		if (s > 0 && (mv = src_move(r, tl->src[s])) > 0)
			snprintf(txt, sizeof(txt), "phone %c at %s (move %d)",
			    tl->mover, tl->src[s], mv);
		else
			snprintf(txt, sizeof(txt), "phone %c at %s%s",
			    tl->mover, tl->src[s], s == 0 ? " (start)" : "");
		legend_swatch(&l, palette[s % NPAL], NULL, txt);
		stale |= series_any(tl, K_STALE, 0, s) ||
		    series_any(tl, K_STALE, 1, s);
	}
	if (stale) {
		snprintf(txt, sizeof(txt), "paler: reached an address phone %c"
		    " had left (lost)", tl->mover);
		legend_swatch(&l, palette[0], STALE_OPACITY, txt);
	}
	if (atk || series_any(tl, K_INJECTED, 0, 0) ||
	    series_any(tl, K_INJECTED, 1, 0))
		legend_swatch(&l, RED_INJECTED, NULL,
		    "not the other phone's: injected");
	if (atk) {
		legend_swatch(&l, RED_SENT, NULL, "attacker to relay (up)");
		legend_swatch(&l, RED_LEAKED, NULL,
		    "relay to attacker: leaked (down)");
	}
	l.x = 10;
	l.y += LINE_H + 2;
	legend_line(&l, mark_dash[0], "move: the phone changes address");
	legend_line(&l, mark_dash[1], "up: the first packet from there"
	    " reaches the other phone");
	legend_line(&l, mark_dash[2], "down: the other phone's first packet"
	    " reaches it there");
	l.x = 10;
	l.y += LINE_H + 2;
	if (f == NULL)
		return l.y;
	text(f, l.x, l.y, FONT " font-size=\"10\" fill=\"#555555\"", "start",
	    "Bars: packets per 20 ms%s by arrival time, coloured by the"
	    " address of phone %c they used (sent from, or delivered to).",
	    mean ? " (the whole run: mean per pixel column)" : "", tl->mover);
	fputs("</g>\n", f);
	return l.y;
}

/* ------------------------------------------------------------------ */

void
sim_svg_write(FILE *f, const struct sim_timeline *tl,
    const struct sim_report *r, const char *label)
{
	char lines[HDR_LINES][HDR_LEN];
	struct view v[1 + ZOOMS];
	int64_t b0;
	double y, h;
	unsigned i;
	int nlines, nv = 0, k;

	nlines = header(r, tl, label, lines);
	y = 8 + LINE_H * nlines + 14;
	if (tl->bin != NULL) {
		view_init(&v[nv++], tl, 0, 0, tl->nbins, y, 80, 60);
		y = v[0].bottom + 10;
	}
	for (i = 0; i < tl->nmarks && tl->bin != NULL && nv <= ZOOMS; i++) {
		if (tl->mark[i].kind != SIM_TL_MOVE)
			continue;
		b0 = (tl->mark[i].t_us - ZOOM_BEFORE_US - tl->start_us) /
		    SIM_TL_BIN_US;
		if (b0 < 0)
			b0 = 0;
		if (b0 >= tl->nbins)
			continue;
		k = (int)((ZOOM_BEFORE_US + ZOOM_AFTER_US) / SIM_TL_BIN_US);
		view_init(&v[nv], tl, tl->mark[i].move, (uint32_t)b0,
		    (uint32_t)b0 + (uint32_t)k > tl->nbins ? tl->nbins :
		    (uint32_t)b0 + (uint32_t)k, y, 44, 36);
		y = v[nv++].bottom + 10;
	}
	h = legend(NULL, tl, r, y + 6, nv > 0 && v[0].g > 1) + 12;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
	    " width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n",
	    SIM_SVG_WIDTH, h, SIM_SVG_WIDTH, h);
	fputs("<title>", f);
	sim_xml_text(f, lines[0]);
	fputs("</title>\n", f);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", f);
	/* A line that starts with a space continues the one above. */
	for (k = 0; k < nlines; k++)
		text(f, lines[k][0] == ' ' ? 26 : 10, 8 + LINE_H * (k + 1) +
		    (k > 0 ? 4 : 0), k == 0 ?
		    FONT " font-size=\"15\" font-weight=\"bold\"" :
		    FONT " font-size=\"12\"", "start", "%s",
		    lines[k] + strspn(lines[k], " "));
	for (k = 0; k < nv; k++)
		view_draw(f, &v[k]);
	legend(f, tl, r, y + 6, nv > 0 && v[0].g > 1);
	fputs("</svg>\n", f);
}
