/*
 * fastpath_entry.h - what map entry (kernel/fastpath_abi.h) a leg's state
 * gives: the pure half of the fast path, no I/O.
 *
 * The worker describes a receiving leg and the leg its packets go out of
 * in plain terms (struct fp_leg_input), and fastpath_entry_build() says
 * whether the kernel may forward that direction and, if so, the exact
 * key and entry to write. The answer is "no entry" for everything the
 * latch has not settled: an unverified or absent source, a candidate in
 * probation, hold, blocked media, a call whose packets userspace must see
 * (recording, jitter buffer, resizer), no destination, or legs of two
 * families (v4/v6 bridging).
 * The worker deletes the entry whenever the answer is no, and rewrites it
 * whenever the match or rewrite part differs (fastpath_entry_differs()).
 */
#ifndef RTPROAM_KERNEL_FASTPATH_ENTRY_H
#define RTPROAM_KERNEL_FASTPATH_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/fastpath_abi.h"
#include "lib/addr.h"

/* One leg, as the entry logic needs to know it. */
struct fp_side {
	struct addr	 local;		/* the relay's socket, port = RTP port */
	struct addr	 peer;		/* where the latch sends; unset: nowhere */
	bool		 verified;	/* latch trust strong or better */
	bool		 candidate;	/* another source is gathering evidence */
	bool		 held;		/* on hold: nothing is sent to this party */
	bool		 blocked;	/* what this party sends is dropped */
	unsigned	 ifindex;	/* interface that reaches peer; 0: unknown */
};

struct fp_leg_input {
	struct fp_side	 rx;		/* receives from its peer */
	struct fp_side	 tx;		/* sends what rx received to its peer */
	bool		 processed;	/* recording, jitter buffer or resizer */
	/* The received stream, as its statistics know it. */
	bool		 seq_valid;
	uint32_t	 ssrc;
	uint8_t		 pt;		/* of the last packet (the jitter clock's) */
	bool		 pt_no_jitter;	/* an event type (RFC 4733): kept up */
	bool		 pt_any;	/* the call allows every payload type */
	uint64_t	 pt_bits[2];
};

enum fp_verdict {
	FP_ENTRY = 0,		/* forward in the kernel: write the entry */
	FP_NO_SOURCE,		/* rx has no verified peer */
	FP_NO_CANDIDATE,	/* a candidate is in probation on rx */
	FP_NO_HOLD,		/* either party on hold, or rx blocked */
	FP_NO_PROCESSED,	/* userspace must see every packet */
	FP_NO_DEST,		/* tx has no peer, or its interface is unknown */
	FP_NO_FAMILY,		/* not one family (IPv4 or IPv6) on both legs */
	FP_NO_STREAM,		/* no SSRC yet, or a payload type kept up */
};

/*
 * Fill *key and the match and rewrite parts of *e (its state part is left
 * alone: the caller seeds it) when the answer is FP_ENTRY.
 */
enum fp_verdict fastpath_entry_build(const struct fp_leg_input *in,
	    struct fp_key *key, struct fp_entry *e);
/* The match or rewrite parts differ (the state part is not compared). */
bool	 fastpath_entry_differs(const struct fp_entry *a, const struct fp_entry *b);
const char *fastpath_verdict_name(enum fp_verdict v);

#endif
