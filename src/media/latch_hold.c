/*
 * latch_hold.c - the book of a leg's held evidence packets: which slot
 * holds a packet from which source, with what sequence number, since
 * when. Pure, like the latch: the relay keeps the bytes.
 */
#include "media/latch_hold.h"

#include <string.h>

/* Milliseconds from `then` to `now`; a future timestamp counts as 0. */
static uint64_t
age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static void
held_free(struct latch *l, struct latch_held *h)
{
	memset(h, 0, sizeof(*h));
	l->nheld--;
}

/* A held packet will never be sent: it counts as the drop it would have been. */
static void
held_discard(struct latch *l, struct latch_held *h, struct hold_fx *fx)
{
	held_free(l, h);
	l->drops[DROP_UNVERIFIED]++;
	if (fx != NULL)
		fx->ndiscarded++;
}

/* The oldest held packet, or NULL when none is. */
static struct latch_held *
held_oldest(struct latch *l)
{
	struct latch_held *h, *old = NULL;
	int i;

	for (i = 0; i < LATCH_HOLD_SLOTS; i++) {
		h = &l->held[i];
		if (addr_is_set(&h->src) && (old == NULL || h->order < old->order))
			old = h;
	}
	return old;
}

/*
 * Discard the held packets from `src`, or from its IP when `ip_only`;
 * `keep` inverts the choice (all but those).
 */
void
book_discard_from(struct latch *l, const struct addr *src, bool ip_only,
    bool keep, struct hold_fx *fx)
{
	struct latch_held *h;
	bool match;
	int i;

	for (i = 0; i < LATCH_HOLD_SLOTS && l->nheld > 0; i++) {
		h = &l->held[i];
		if (!addr_is_set(&h->src))
			continue;
		match = ip_only ? addr_same_ip(&h->src, src) :
		    addr_equal(&h->src, src);
		if (match != keep)
			held_discard(l, h, fx);
	}
}

/* A candidate that went quiet: what it sent is too old to be of use now. */
void
book_expire(struct latch *l, uint64_t now, struct hold_fx *fx)
{
	struct latch_held *h;
	int i;

	for (i = 0; i < LATCH_HOLD_SLOTS && l->nheld > 0; i++) {
		h = &l->held[i];
		if (addr_is_set(&h->src) && age(now, h->at_ms) > LATCH_HOLD_MS)
			held_discard(l, h, fx);
	}
}

/* Book the packet; a full book gives up its oldest packet for it. */
void
book_put(struct latch *l, const struct addr *src, const struct rtp_info *pkt,
    uint64_t now, struct hold_fx *fx)
{
	unsigned limit = l->cfg->hold_count < LATCH_HOLD_SLOTS ?
	    l->cfg->hold_count : LATCH_HOLD_SLOTS;
	struct latch_held *h = NULL;
	int i;

	if (l->nheld >= limit)
		held_discard(l, held_oldest(l), fx);
	/* Only slots below the limit are used: the relay may size to it. */
	for (i = 0; i < (int)limit; i++)
		if (!addr_is_set(&l->held[i].src)) {
			h = &l->held[i];
			break;
		}
	h->src = *src;
	h->ssrc = pkt->ssrc;
	h->seq = pkt->seq;
	h->at_ms = now;
	h->order = l->hold_next++;
	l->nheld++;
	fx->slot = (uint8_t)(h - l->held);
}

/*
 * The leg now sends to `winner`, whose stream continues `old` (the old
 * peer's, before the switch). Its held packets go out first, oldest
 * first, unless the old peer delivered them already or they waited too
 * long; all others are discarded. The book is empty afterwards.
 */
void
book_release(struct latch *l, const struct addr *winner,
    const struct latch_stream *old, uint64_t now, struct hold_fx *fx)
{
	struct latch_held *h;

	while ((h = held_oldest(l)) != NULL) {
		if (addr_equal(&h->src, winner) &&
		    age(now, h->at_ms) <= LATCH_HOLD_MS &&
		    (!old->known || old->ssrc != h->ssrc ||
		    seq_delta(old->max_seq, h->seq) > 0)) {
			fx->release[fx->nrelease++] = (uint8_t)(h - l->held);
			held_free(l, h);
		} else
			held_discard(l, h, fx);
	}
}

void
latch_hold_cancel(struct latch *l, unsigned slot)
{
	if (slot < LATCH_HOLD_SLOTS && addr_is_set(&l->held[slot].src))
		held_discard(l, &l->held[slot], NULL);
}

/* Discard every held packet (the leg will never release any). */
void
book_discard_all(struct latch *l)
{
	while (l->nheld > 0)
		held_discard(l, held_oldest(l), NULL);
}

/* Is this very packet (source, SSRC, sequence number) held already? */
bool
book_has(const struct latch *l, const struct addr *src,
    const struct rtp_info *pkt)
{
	const struct latch_held *h;
	int i;

	for (i = 0; i < LATCH_HOLD_SLOTS && l->nheld > 0; i++) {
		h = &l->held[i];
		if (addr_is_set(&h->src) && h->seq == pkt->seq &&
		    h->ssrc == pkt->ssrc && addr_equal(&h->src, src))
			return true;
	}
	return false;
}
