/*
 * latch_hold.h - the latch's book of held evidence packets (latch.h,
 * "Held evidence"). Internal to the latch: latch.c decides when a packet
 * is held, released or given up; latch_hold.c keeps the book.
 */
#ifndef RTPROAM_LATCH_HOLD_H
#define RTPROAM_LATCH_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "media/latch.h"

/* What a packet's handling did to the held packets, for the decision. */
struct hold_fx {
	uint8_t		slot;
	uint8_t		nrelease;
	uint8_t		release[LATCH_HOLD_SLOTS];
	uint8_t		ndiscarded;
};

/*
 * Discard the held packets from `src`, or from its IP when `ip_only`;
 * `keep` inverts the choice (all but those). fx may be NULL.
 */
void	book_discard_from(struct latch *l, const struct addr *src, bool ip_only,
	    bool keep, struct hold_fx *fx);
void	book_discard_all(struct latch *l);
/* Discard what was held longer than LATCH_HOLD_MS. */
void	book_expire(struct latch *l, uint64_t now, struct hold_fx *fx);
bool	book_has(const struct latch *l, const struct addr *src,
	    const struct rtp_info *pkt);
/* Book the packet (fx->slot); a full book gives up its oldest packet. */
void	book_put(struct latch *l, const struct addr *src,
	    const struct rtp_info *pkt, uint64_t now, struct hold_fx *fx);
/*
 * The leg now sends to `winner`, whose stream continues `old`: list its
 * packets in fx->release, give up the others. The book is empty after.
 */
void	book_release(struct latch *l, const struct addr *winner,
	    const struct latch_stream *old, uint64_t now, struct hold_fx *fx);

#endif
