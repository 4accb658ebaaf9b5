/*
 * sim_metrics.h - what rtproam-sim puts on the wire, and what it makes
 * of what comes back.
 *
 * Every RTP packet a simulated party sends carries a marker at the start
 * of its payload, and every RTCP compound a marker in its CNAME, so the
 * receiver knows exactly which packet it holds: who sent it (phone A,
 * phone B or the attacker X), from which of the sender's addresses, and
 * its index in the sender's stream. Loss, duplicates, latency and
 * injection then follow from counting, not from guessing with SSRCs
 * that an attacker may copy.
 *
 * Pure: no sockets, no clock.
 */
#ifndef RTPROAM_SIM_METRICS_H
#define RTPROAM_SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * RTP payload marker, network byte order:
 *   0..3   "RSIM"
 *   4      sender: 'A', 'B' or 'X'
 *   5      path: how many moves the sender had made when it sent this
 *          copy (the old socket's duplicates during an overlap carry
 *          the previous number)
 *   6..7   zero
 *   8..11  index of the packet in the sender's stream, from 0
 *   12..19 send time, microseconds since media start (signed)
 */
#define SIM_MARK_LEN	20
#define SIM_RTP_HDR	12

struct sim_mark {
	char		who;
	uint8_t		path;
	uint32_t	index;
	int64_t		sent_us;
};

void	sim_mark_put(uint8_t *p, const struct sim_mark *m);
/* False when the bytes are no marker (foreign or mangled packet). */
bool	sim_mark_get(const uint8_t *p, size_t len, struct sim_mark *m);

struct sim_rtp {
	uint8_t		pt;
	uint16_t	seq;
	uint32_t	ts;
	uint32_t	ssrc;
};

/*
 * A plain RTP packet (no CSRC, no extension) whose payload is the marker
 * followed by 0xff, PCMU silence. payload_len >= SIM_MARK_LEN.
 * Returns the packet length or 0 if it does not fit.
 */
size_t	sim_rtp_build(uint8_t *buf, size_t cap, const struct sim_rtp *h,
	    const struct sim_mark *m, size_t payload_len);

struct sim_sr {
	uint32_t	ssrc;
	uint64_t	ntp;		/* 32.32 fixed point */
	uint32_t	rtp_ts;
	uint32_t	packets;
	uint32_t	octets;
};

/*
 * An RTCP compound of an SR without report blocks and an SDES whose
 * CNAME is the marker as text, "RSIM:<who>:<path>:<index>:<sent_us>".
 * Returns the length or 0 if it does not fit.
 */
size_t	sim_rtcp_build(uint8_t *buf, size_t cap, const struct sim_sr *sr,
	    const struct sim_mark *m);
/* Find the marker in a compound's CNAME; false if there is none. */
bool	sim_rtcp_mark(const uint8_t *buf, size_t len, struct sim_mark *m);

/*
 * One direction of media: what one party sent, indexed by its packet
 * index, and which of those the other party accepted and when. A copy
 * is "accepted" when it reached an address the receiver was listening
 * on at that moment; copies that reach an abandoned address are the
 * caller's to count elsewhere.
 */
struct sim_flow {
	uint32_t	 cap;
	uint32_t	 nsent;
	int64_t		*sent_us;	/* send time of index i */
	uint8_t		*sent_path;	/* path of the primary copy */
	int64_t		*rx_us;		/* first acceptance, -1: none */
	uint32_t	*rx_count;	/* accepted copies */
	uint64_t	 dups;		/* accepted copies beyond the first */
	uint64_t	 bogus;		/* markers naming an unsent index */
};

int	sim_flow_init(struct sim_flow *f, uint32_t cap);
void	sim_flow_free(struct sim_flow *f);
/* Record the next packet; returns its index, or -1 when full. */
int64_t	sim_flow_sent(struct sim_flow *f, int64_t t_us, uint8_t path);

enum sim_rx {
	SIM_RX_BOGUS = -1,	/* index never sent */
	SIM_RX_DUP = 0,
	SIM_RX_FIRST = 1,
};
enum sim_rx sim_flow_rx(struct sim_flow *f, uint32_t index, int64_t t_us);

struct sim_flow_sum {
	uint32_t	sent;
	uint32_t	received;	/* distinct indexes accepted */
	uint32_t	lost;		/* sent - received */
	uint64_t	dups;
	uint32_t	nlat;		/* samples behind p50/p99 */
	int64_t		p50_us;
	int64_t		p99_us;
};

/* Returns 0, or -1 if the scratch space for the percentiles is missing. */
int	sim_flow_summary(const struct sim_flow *f, struct sim_flow_sum *s);
/* Packets sent in [t0, t1), and those of them never accepted. */
uint32_t sim_flow_sent_between(const struct sim_flow *f, int64_t t0,
	    int64_t t1);
uint32_t sim_flow_lost_between(const struct sim_flow *f, int64_t t0,
	    int64_t t1);

/*
 * One handover as the run saw it, filled while packets flow: the mover
 * made move number `path` (its packets since carry that path) at at_us;
 * the move's period lasts until period_end_us (the next move, or the end).
 * Indexes are -1 until the event happened.
 */
struct sim_move_obs {
	int64_t		at_us, period_end_us;
	uint8_t		path;
	/* The mover's first packet from the new address... */
	int64_t		first_tx_idx, first_tx_us;
	/* ... the first of those the peer got ... */
	int64_t		first_rx_idx, first_rx_us;
	/* ... and the peer's first packet delivered there. */
	int64_t		first_dl_idx, first_dl_us;
};

void	sim_move_obs_init(struct sim_move_obs *o, int64_t at_us,
	    int64_t period_end_us, uint8_t path);

/*
 * The switch figures of one move:
 *   up         some packet from the new address reached the peer
 *   up_pkts    mover's packets from the new address before the first
 *              one that arrived (all it sent from there if none did)
 *   up_us      first arrival - first send from the new address
 *   down       the peer's media reached the new address
 *   down_us    first delivery there - the mover's first packet from there
 *              (negative when the relay moved on signalling alone)
 *   down_pkts  peer packets sent from that first packet until the one
 *              that arrived (until the period ends if none did)
 *   lost_up, lost_down  packets sent within +-window_us of the move
 *              that were never accepted, mover's and peer's
 */
struct sim_switch {
	bool		up, down;
	int64_t		up_pkts, up_us;
	int64_t		down_pkts, down_us;
	uint32_t	lost_up, lost_down;
};

void	sim_switch_measure(const struct sim_flow *mover,
	    const struct sim_flow *peer, const struct sim_move_obs *o,
	    int64_t window_us, struct sim_switch *sw);

/*
 * Nearest-rank percentile (pct 1..100) of v[0..n-1], sorting v in place.
 * n must be > 0.
 */
int64_t	sim_percentile(int64_t *v, size_t n, unsigned pct);

#endif
