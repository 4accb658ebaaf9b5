/*
 * fastpath_sync.h - the worker keeps the kernel fast path's map in step
 * with its latches (kernel/fastpath.h, kernel/fastpath_entry.h).
 *
 * A leg has an entry only while fastpath_entry_build() says so for its
 * current state, and the entry always says what the latch says: the
 * worker re-evaluates a media's two legs after every batch of packets
 * that reached its sockets, after every signalling or mode change, and
 * once a second. The kernel therefore never forwards anything the latch
 * did not decide; it only repeats the latch's last decision for packets
 * that would have gone through latch_on_rtp() as "one more from the
 * peer".
 *
 * Before the socket path touches a leg's RTP state (any packet on its RTP
 * socket), fastpath_take_back() reads and deletes the entry in one
 * operation and folds the kernel's counters and RFC 3550 state into the
 * leg, so the latch judges a candidate against the peer's real last
 * packet and the statistics never count a packet twice or lose one.
 *
 * Costs: no syscall per packet. An entry is written or deleted when the
 * decision changes, read once a second, and taken back once per batch of
 * packets that went up while it existed (stragglers, RTCP on a muxed
 * port, a candidate), then written again.
 */
#ifndef RTPROAM_MEDIA_FASTPATH_SYNC_H
#define RTPROAM_MEDIA_FASTPATH_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "media/worker.h"

struct fastpath;

/* Before the workers start: the map to keep (NULL: sockets only). */
void	 relay_set_fastpath(struct fastpath *fp);

/* Read back and delete the leg's entry, folding what the kernel did. */
void	 fastpath_take_back(struct worker *w, struct leg *leg);
/*
 * Re-evaluate both legs of m: write, rewrite or delete their entries.
 * poll also reads a live, unchanged entry and folds it (once a second).
 */
void	 fastpath_sync_media(struct worker *w, struct media *m, bool poll,
	    uint64_t now_ms);
/* m ends: take both entries back before its last publication. */
void	 fastpath_media_gone(struct worker *w, struct media *m);

#endif
