/*
 * sim_timeline.h - one rtproam-sim run as counts per 20 ms, for a
 * picture of it (sim_svg.h).
 *
 * Time runs from the first bin's start to the end of the linger, in
 * microseconds since media start like every other time in the
 * simulator; an attacker that starts early (race) makes start_us
 * negative. The bins are allocated once, from the run's bounded
 * duration; counting a packet is an index and an increment.
 *
 * The two media directions are indexed like the report's: 0 is A->B as
 * phone B received it, 1 is B->A as phone A received it. A packet's
 * *source* is the mover's address the packet used: the one it left from
 * when the mover sent it, the one it reached when the mover received
 * it. That is what tells the old path from the new one; the relay's own
 * port is the same before and after a move.
 *
 * Pure: no sockets, no clock.
 */
#ifndef RTPROAM_SIM_TIMELINE_H
#define RTPROAM_SIM_TIMELINE_H

#include <stdint.h>

#include "lib/addr.h"
#include "sim_scenario.h"

#define SIM_TL_BIN_US		20000
/* The mover's addresses: the first, then at most one new per move. */
#define SIM_TL_MAX_SRC		(SIM_MAX_MOVES + 1)
#define SIM_TL_MAX_MARKS	(3 * SIM_MAX_MOVES)

/*
 * One 20 ms bin. 16 bits are plenty (the attacker's maximum rate is 400
 * packets a bin) and keep a 600 s run under 5 MB; counts saturate.
 */
struct sim_tl_bin {
	uint16_t	rx[2][SIM_TL_MAX_SRC];	/* accepted, by source */
	uint16_t	stale[2][SIM_TL_MAX_SRC]; /* reached a left address */
	uint16_t	injected[2];	/* the attacker's, or unrecognisable */
	uint16_t	atk_sent;	/* attacker packets sent to the relay */
	uint16_t	atk_leaked;	/* packets the relay sent the attacker */
};

enum sim_tl_series {
	SIM_TL_RX,		/* dir, src */
	SIM_TL_STALE,		/* dir, src */
	SIM_TL_INJECTED,	/* dir */
	SIM_TL_ATK_SENT,
	SIM_TL_ATK_LEAKED,
};

enum sim_tl_mark_kind {
	SIM_TL_MOVE,		/* the mover changed address */
	SIM_TL_UP,		/* its first packet from there reached the peer */
	SIM_TL_DOWN,		/* the peer's first packet reached it there */
};

struct sim_tl_mark {
	enum sim_tl_mark_kind	kind;
	int			move;	/* 1-based, as in the report */
	int64_t			t_us;
};

struct sim_timeline {
	int64_t		start_us;	/* start of bin 0, a multiple of a bin */
	uint32_t	nbins;
	struct sim_tl_bin *bin;		/* NULL: not recording */
	char		mover;		/* 'A' or 'B' */
	/* The mover's addresses, in the order it took them. */
	char		src[SIM_TL_MAX_SRC][ADDR_STRLEN];
	unsigned	nsrc;
	int64_t		atk_start_us, atk_stop_us;	/* equal: no attacker */
	struct sim_tl_mark mark[SIM_TL_MAX_MARKS];
	unsigned	nmarks;
};

/*
 * Bins for [start_us, end_us); the rest zeroed, mover 'A'. Returns 0,
 * or -1 when the span is empty or too long or memory is short.
 */
int	sim_tl_init(struct sim_timeline *tl, int64_t start_us, int64_t end_us);
void	sim_tl_free(struct sim_timeline *tl);
/*
 * Count one packet at t_us. A time outside the span goes to the nearest
 * bin (a packet drained just after the end is still part of the run);
 * dir and src are ignored where the series has none, and a src beyond
 * SIM_TL_MAX_SRC is not counted. Does nothing while not recording.
 */
void	sim_tl_count(struct sim_timeline *tl, int64_t t_us,
	    enum sim_tl_series what, int dir, unsigned src);
/* Returns 0, or -1 when there is no room for another mark. */
int	sim_tl_mark(struct sim_timeline *tl, enum sim_tl_mark_kind kind,
	    int move, int64_t t_us);
/* The mover's address number src is addr; -1 if src is out of range. */
int	sim_tl_source(struct sim_timeline *tl, unsigned src, const char *addr);

#endif
