/*
 * sim_svg.h - a picture of one rtproam-sim run: a timeline of packets
 * per 20 ms in each direction, coloured by the mover's address they
 * used, with the move, the switches and the attacker's traffic marked.
 *
 * Layout, top to bottom: a title with the scenario and the summary
 * figures; a row of marker labels; the uplink lane (the mover's media
 * as the other phone got it), the downlink lane (the other phone's
 * media as the mover got it), the attacker lane (what it sent to the
 * relay, pale, and what the relay sent it, dark); the time axis in ms
 * since media start; the legend. Vertical lines mark each move (solid),
 * its switch up (dashed) and its switch down (dotted).
 *
 * Below, each of the first three moves has a view of its own, from 300
 * ms before it to 500 ms after, where single packets are bars.
 *
 * A long run is drawn with several bins to a pixel column; bars then
 * show the mean per 20 ms. So that scripts and tests can read a picture
 * back, each view is a group with id "main" or "zoom-<move>"; in it the
 * groups of class lane-up, lane-down and lane-atk hold the bars, each a
 * rect of class rx<N>, stale<N> (N the source), injected, atk-sent or
 * atk-leaked, with data-n the packets in each of its columns; marker
 * lines have class mark-move, mark-up or mark-down.
 *
 * Pure: writes text to a FILE.
 */
#ifndef RTPROAM_SIM_SVG_H
#define RTPROAM_SIM_SVG_H

#include <stdio.h>

#include "sim_report.h"
#include "sim_timeline.h"

#define SIM_SVG_WIDTH	1000
#define SIM_SVG_PLOT_X	150	/* where the time axis starts, px */
#define SIM_SVG_PLOT_W	830	/* its length, px; also the most columns */

/*
 * The picture of tl, with its title and figures from r. label names
 * the relay or the run in the title; NULL for "rtproam-sim".
 */
void	sim_svg_write(FILE *f, const struct sim_timeline *tl,
	    const struct sim_report *r, const char *label);

#endif
