/*
 * latch.h - where does a leg's media go, and which sources may change it.
 *
 * This is the handover state machine. It is pure: no sockets, no clock,
 * no logging. The relay calls latch_on_rtp() for every valid RTP packet
 * received on a leg's RTP socket and applies the verdict; the control
 * path calls latch_on_signal() when a U/L command gives the leg an address.
 *
 * Vocabulary
 *   peer       the address the leg sends to, and the only source whose
 *              packets are forwarded and refresh the session.
 *   signalled  the address the SIP proxy gave for the party (U/L).
 *              Kamailio sends the SIP source IP, which for a phone behind
 *              NAT is the public IP its media also comes from.
 *   candidate  another source that sends plausible RTP. It becomes the
 *              peer only on evidence a blind attacker cannot forge.
 *
 * Evidence, strongest first
 *   signalled  the packet comes from the signalled IP (any port, for NAT).
 *              Adopted on the first packet while the peer is not verified
 *              by signalling or continuity (start of call, re-INVITE).
 *   strong     the verified stream's SSRC with a sequence number that
 *              continues it (ahead by what the elapsed time explains, plus
 *              slack). `strong_count` such packets in a row from the same
 *              source, with the peer silent since the first of them,
 *              switch. If the peer keeps delivering, `busy_count` packets
 *              each newer than anything the peer sent are needed.
 *   weak       a new SSRC: `probation_count` packets in a row with
 *              consecutive sequence numbers, at no more than twice the
 *              stream's packet rate, while the peer has been silent for
 *              `guard_ms` (a peer packet restarts the count). Only under
 *              LATCH_PROBATION, and never while a public signalled IP has
 *              not yet answered: neither at call start nor after a
 *              re-INVITE to a new IP can an attacker at another IP win the
 *              race. The flood guard applies to weak candidates only: a
 *              new path often delivers its first packets in a burst.
 *
 * Attackers who spray the port cannot pool effort: candidates are tracked
 * per source address (LATCH_CANDIDATES slots), and a packet that carries
 * strong evidence may evict a weak candidate, never the other way round.
 *
 * Held evidence
 *   The packets that make strong evidence are the mover's media, sent
 *   before the relay could know it had moved. Rather than dropping them,
 *   the latch answers LATCH_HOLD: the relay keeps the packet in the leg's
 *   hold slot `decision.slot` (the relay owns the bytes, the latch the
 *   book: source, SSRC, sequence number, arrival). When a source wins the
 *   leg, the decision lists in `release` the slots to send before the
 *   packet in hand, oldest first: only that source's packets, only ones
 *   newer than anything the old peer delivered (no duplicates when both
 *   paths carried them), none held longer than LATCH_HOLD_MS. Every other
 *   held packet is discarded and counted in drops[DROP_UNVERIFIED]: those
 *   of a candidate that loses, restarts its run, is evicted or goes quiet,
 *   and the oldest when the book is full. `ndiscarded` says how many a
 *   decision discarded, so the relay can count them too. So a packet
 *   from a source that never wins is never forwarded, held or not.
 *   Weak evidence (a new SSRC) is never held: zero loss there would take
 *   probation_count packets per leg, released as a burst of 200 ms of
 *   late audio that a receiver's jitter buffer would mostly throw away.
 */
#ifndef RTPROAM_LATCH_H
#define RTPROAM_LATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "packet/rtp.h"

enum latch_policy {
	LATCH_OFF = 0,		/* strict: first verified source, then only signalling */
	LATCH_SSRC,		/* + strong evidence (same SSRC, continuity) */
	LATCH_PROBATION,	/* + weak evidence (new SSRC after probation) */
};

struct latch_config {
	enum latch_policy policy;
	unsigned	strong_count;		/* 2 */
	unsigned	busy_count;		/* 10 */
	unsigned	probation_count;	/* 10 */
	uint32_t	guard_ms;		/* 200: peer silence for weak evidence */
	uint32_t	ptime_ms;		/* 20: assumed until measured */
	uint32_t	seq_slack;		/* 50: extra forward distance allowed */
	uint32_t	min_switch_interval_ms;	/* 1000 */
	unsigned	max_switches_per_min;	/* 10 */
	unsigned	hold_count;		/* LATCH_HOLD_SLOTS; 0: hold nothing */
};

/* Fill with the defaults above. */
void	latch_config_default(struct latch_config *cfg);
/* "off", "ssrc", "probation" -> policy; -1 if unknown. */
int	latch_policy_parse(const char *s);
const char *latch_policy_name(enum latch_policy p);

enum latch_trust {
	TRUST_NONE = 0,		/* no peer: nowhere to send (hold, or no address yet) */
	TRUST_SIGNALLED,	/* signalled address, no packet seen from it yet */
	TRUST_WEAK,		/* adopted after probation (new SSRC / unknown start) */
	TRUST_STRONG,		/* verified: signalled IP or SSRC continuity */
};

enum latch_evidence {
	EVIDENCE_NONE = 0,
	EVIDENCE_SIGNALLED,	/* first packet from the signalled IP */
	EVIDENCE_STRONG,	/* SSRC + sequence continuity */
	EVIDENCE_WEAK,		/* probation */
	EVIDENCE_RESUMED,	/* the previous verified peer came back (undoes a weak switch) */
	EVIDENCE_SIGNALLING,	/* a U/L gave a new IP (latch_on_signal, not latch_on_rtp) */
};

enum latch_verdict {
	LATCH_FORWARD,		/* from the peer: forward and refresh */
	LATCH_SWITCHED,		/* peer changed to this source: forward, log, count */
	LATCH_DROP,		/* drop; see the reason */
	LATCH_HOLD,		/* keep in hold slot `slot`; neither sent nor dropped yet */
};

enum latch_drop_reason {
	DROP_NONE = 0,
	DROP_PT,		/* payload type not in the call's list */
	DROP_UNVERIFIED,	/* candidate still gathering evidence */
	DROP_FLOOD,		/* candidate faster than twice the stream's rate */
	DROP_RATE_LIMIT,	/* evidence complete, but the leg switched too recently */
	DROP_ASYMMETRIC,	/* asymmetric leg, source IP is not the signalled one */
	DROP_REASON_MAX
};

#define LATCH_CANDIDATES 4
#define LATCH_HOLD_SLOTS 4	/* held packets per leg, at most */
#define LATCH_HOLD_MS	200	/* held longer is no use to a receiver */

struct latch_decision {
	enum latch_verdict	verdict;
	enum latch_drop_reason	reason;		/* for LATCH_DROP */
	enum latch_evidence	evidence;	/* for LATCH_SWITCHED */
	uint8_t			slot;		/* for LATCH_HOLD */
	/*
	 * LATCH_SWITCHED, or LATCH_FORWARD of the packet that verifies a
	 * signalled address: send these held slots first, in this order.
	 */
	uint8_t			nrelease;
	uint8_t			release[LATCH_HOLD_SLOTS];
	uint8_t			ndiscarded;	/* held packets this call gave up */
	struct addr		old_peer;	/* for LATCH_SWITCHED */
};

/* One held packet in the latch's book; the relay has its bytes. */
struct latch_held {
	struct addr	src;		/* unset = free slot */
	uint32_t	ssrc;
	uint16_t	seq;
	uint64_t	at_ms;
	uint64_t	order;		/* arrival order on the leg */
};

struct latch_candidate {
	struct addr	src;		/* unset = free slot */
	uint32_t	ssrc;
	uint16_t	last_seq;
	unsigned	count;		/* consistent packets in a row */
	bool		strong;		/* all of them were strong evidence */
	bool		peer_spoke;	/* the peer delivered since first_ms */
	uint64_t	first_ms, last_ms;
};

/* The remembered stream of a verified peer: what continuity is checked against. */
struct latch_stream {
	bool		known;
	uint32_t	ssrc;
	uint16_t	max_seq;	/* highest sequence number delivered */
	uint64_t	last_ms;	/* when it last delivered */
};

struct latch {
	const struct latch_config *cfg;
	enum latch_policy policy;	/* per leg: cfg->policy or the call's modifier */
	bool		asymmetric;	/* `A`: never learn, accept by signalled IP */

	struct addr	signalled;	/* from U/L; unset or any = none */
	uint64_t	signalled_ms;	/* when it was (last) changed */
	struct addr	peer;
	enum latch_trust trust;
	bool		ever_verified;	/* a peer was STRONG at least once */
	struct latch_stream stream;	/* the peer's stream */
	/*
	 * The stream descends from a peer verified at the signalled IP. Only
	 * then is continuing it evidence against what signalling says: a
	 * stream first adopted on weak evidence proves only that it continues
	 * itself (found by fuzz/fuzz_latch.c).
	 */
	bool		rooted;
	bool		prev_rooted;

	/* Last verified peer before a weak switch, so it can take its place back. */
	struct addr	prev_peer;
	struct latch_stream prev_stream;

	struct latch_candidate cand[LATCH_CANDIDATES];

	struct latch_held held[LATCH_HOLD_SLOTS];
	unsigned	nheld;		/* slots in use */
	uint64_t	hold_next;	/* order of the next held packet */

	uint64_t	last_switch_ms;
	uint64_t	window_start_ms;	/* per-minute switch budget */
	unsigned	window_switches;

	/* Counters the stats and Q read. */
	uint64_t	switches;
	uint64_t	drops[DROP_REASON_MAX];
};

/* A leg with no address yet. */
void	latch_init(struct latch *l, const struct latch_config *cfg,
	    enum latch_policy policy, bool asymmetric);

/*
 * Signalling gave the party address `sig` (U/L). An unset or any-address
 * (hold) `sig` leaves the peer alone. A new public IP is honoured at once:
 * the peer becomes `sig` (TRUST_SIGNALLED) and its first packet from that
 * IP (any port) verifies it. A re-offer with the IP the leg already latched
 * to keeps the latched port: the SDP port of a NATed phone is not its
 * mapped port. A private IP does not replace a peer learned from packets
 * (it is a NATed phone's SDP address, where its media never comes from).
 * When the peer changes, held packets survive only if they came from the
 * new signalled IP (its first packet releases them); the others are
 * discarded, which the caller sees as a drop in `nheld`.
 */
void	latch_on_signal(struct latch *l, const struct addr *sig, uint64_t now_ms);

/*
 * A valid RTP packet `pkt` from `src` arrived at `now_ms`; `pt_ok` says
 * whether its payload type is in the call's list. Returns the verdict.
 * LATCH_SWITCHED means l->peer is now `src` (and decision->old_peer the
 * previous one); the caller must then move RTCP (latch_rtcp_follow).
 * LATCH_HOLD asks the caller to keep the packet in slot `slot`, replacing
 * whatever was there (the latch discarded that already). Whatever the
 * verdict, send the `release` slots first and count `ndiscarded` drops.
 */
struct latch_decision latch_on_rtp(struct latch *l, const struct rtp_info *pkt,
	    bool pt_ok, const struct addr *src, uint64_t now_ms);

/*
 * The caller could not keep the packet LATCH_HOLD asked it to (too large,
 * or no room): the latch forgets it and counts it dropped as unverified.
 */
void	latch_hold_cancel(struct latch *l, unsigned slot);

/* Where to send: NULL when the leg has no peer. */
static inline const struct addr *
latch_destination(const struct latch *l)
{
	return l->trust == TRUST_NONE ? NULL : &l->peer;
}

/*
 * Another source is gathering evidence: a candidate that could still win
 * (it spoke within the time its sequence numbers could be continued
 * across, as cand_alloc() judges), or packets held for one. While it does,
 * every packet of the peer must reach latch_on_rtp() (the kernel fast
 * path stays off the leg).
 */
bool	latch_has_candidate(const struct latch *l, uint64_t now_ms);

/*
 * RTCP follows RTP, never the other way round. An RTCP leg sends to the
 * RTP peer's IP; its port is the RTP port + 1 until an RTCP packet from
 * that IP, whose sender SSRC is the RTP stream's, shows the real one.
 * RTCP from any other IP is dropped, however plausible: a replayed report
 * carries a genuine SSRC, and adopting it would hand an attacker the
 * other party's reports (and with them its SSRC and sequence numbers).
 */
struct latch_rtcp {
	struct addr	peer;		/* unset = nowhere to send */
	bool		confirmed;	/* port learned from a packet, not guessed */
	uint64_t	drops;
};

void	latch_rtcp_init(struct latch_rtcp *r);
/* Call after latch_on_signal() and after every LATCH_SWITCHED. */
void	latch_rtcp_follow(struct latch_rtcp *r, const struct latch *rtp);
/* true: accept (forward) this RTCP packet from `src`; may adopt its port. */
bool	latch_rtcp_on_packet(struct latch_rtcp *r, const struct latch *rtp,
	    uint32_t sender_ssrc, const struct addr *src);

/*
 * What of a leg's latches survives a restart (store/, latch_save.c): the
 * peers, the verified stream and the switch budget. Candidates never do:
 * partial evidence is dropped, which is the safe direction. Times are the
 * latch's own (monotonic ms).
 */
struct latch_saved {
	enum latch_policy policy;
	enum latch_trust trust;
	bool		asymmetric;
	bool		ever_verified;
	bool		rooted;
	bool		rtcp_confirmed;
	struct addr	signalled;
	struct addr	peer;		/* unset when trust is TRUST_NONE */
	struct addr	rtcp_peer;	/* unset: nowhere yet */
	struct latch_stream stream;
	uint64_t	last_switch_ms;
	uint64_t	window_start_ms;
	unsigned	window_switches;
	uint64_t	switches;
};

void	latch_save(const struct latch *l, const struct latch_rtcp *r,
	    struct latch_saved *out);
/*
 * Rebuild a leg's latches from a saved state at `now_ms`. The stream's
 * last delivery and the signalling time become `now_ms`: the real peer
 * counts as having just spoken, so weak evidence still needs the full
 * guard time of its silence, and continuity is judged from now on, never
 * from a time an attacker could widen by provoking a restart.
 */
void	latch_restore(struct latch *l, struct latch_rtcp *r,
	    const struct latch_config *cfg, const struct latch_saved *s,
	    uint64_t now_ms);

const char *latch_evidence_name(enum latch_evidence e);
const char *latch_drop_reason_name(enum latch_drop_reason r);

#endif
