/*
 * stats.h - per-stream RTP statistics: counters, RFC 3550 A.1 sequence
 * accounting, RFC 3550 A.8 interarrival jitter and on-the-wire bandwidth.
 *
 * Pure: no I/O, no allocation, no clock. The relay owns one struct
 * stream_stats per received stream (one per leg and direction) and calls
 *
 *	stats_on_rtp()		for every RTP packet accepted from the verified
 *				peer (after latching, before forwarding);
 *	stats_on_relayed()	for every packet actually sent on;
 *	stats_drop()		for every packet not sent on, with a reason;
 *	stats_on_rtcp()		for RTCP received on the stream (bytes only).
 *
 * The per-packet functions do no division and touch only this struct.
 * Reporting is done off the fast path: stats_snapshot() freezes the
 * counters into a struct stats_report, and stats_interval() compares two
 * reports to give the loss and the bit rate over the time between them.
 *
 * Sequence accounting follows RFC 3550 A.1 without probation (the latch
 * has already decided the source is genuine):
 *   - extended sequence numbers count 16-bit wraps (cycles);
 *   - a forward jump below STATS_MAX_DROPOUT is accepted as packet loss;
 *   - a packet up to STATS_MAX_MISORDER behind the highest one is late
 *     (reordered) or a duplicate;
 *   - any other jump is ignored unless the next packet follows it, which
 *     means the sender restarted its sequence: tracking restarts there;
 *   - a new SSRC restarts tracking too.
 * A restart closes the current "epoch": its expected and received counts
 * are folded into totals, so lost/expected keep covering the whole stream.
 * As in the RFC, duplicates count as received, so the cumulative loss can
 * be negative.
 *
 * Jitter is kept per RFC 3550 A.8 in RTP timestamp units of the payload
 * type's clock, as a fixed-point value (1/256 unit) so the J += (|D|-J)/16
 * filter is two shifts and an add. Arrival times in microseconds are
 * turned into clock units with a multiplier precomputed per clock rate.
 */
#ifndef RTPROAM_STATS_H
#define RTPROAM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/rtp.h"

/* Drop reasons are the relay's to define; it passes an index below this. */
#define STATS_DROP_MAX		8

/* RFC 3550 A.1 limits, in packets. */
#define STATS_MAX_DROPOUT	3000
#define STATS_MAX_MISORDER	100

/* Slots for clock rates told with stats_set_clock(). */
#define STATS_CLOCK_SLOTS	8
#define STATS_DEFAULT_CLOCK	8000

/* Per-packet overhead below the UDP payload, in bytes. */
#define STATS_UDP_HDR		8
#define STATS_IPV4_HDR		20
#define STATS_IPV6_HDR		40
/* Ethernet II: 14 header + 4 FCS (preamble and gap not counted). */
#define STATS_L2_ETHERNET	18

struct stats_clock {
	uint8_t		pt;
	uint32_t	rate;		/* 0: slot unused */
};

struct stream_stats {
	/* Overhead added to the UDP payload length for wire bytes. */
	uint16_t	rx_overhead;	/* UDP + IP + L2 of the receiving side */
	uint16_t	tx_overhead;	/* same for the sending side */
	uint16_t	l2_overhead;

	/* Counters: all packets handed in, whatever the sequence says. */
	uint64_t	rx_packets;
	uint64_t	rx_bytes;	/* UDP payload bytes */
	uint64_t	rx_wire_bytes;	/* incl. UDP, IP and L2 overhead */
	uint64_t	rtcp_packets;
	uint64_t	rtcp_bytes;
	uint64_t	relayed_packets;
	uint64_t	relayed_bytes;
	uint64_t	relayed_wire_bytes;
	uint64_t	drop_packets[STATS_DROP_MAX];
	uint64_t	drop_bytes[STATS_DROP_MAX];

	/* RFC 3550 A.1 state for the current epoch (SSRC / sequence run). */
	bool		seq_valid;	/* a packet has started an epoch */
	uint32_t	ssrc;
	uint16_t	max_seq;	/* highest seq seen, 16 bits */
	int64_t		ext_max;	/* extended highest seq */
	int64_t		ext_base;	/* extended lowest seq of the epoch */
	uint32_t	bad_seq;	/* seq expected after a big jump, or > 0xffff */
	uint64_t	received;	/* packets counted in this epoch */
	/* Bit i set: ext_max - i has been received (i < 128). */
	uint64_t	seen[2];

	/* Totals of closed epochs. */
	uint64_t	prior_expected;
	uint64_t	prior_received;

	/* Sequence events, whole stream. */
	uint64_t	duplicates;
	uint64_t	reordered;	/* late but not seen before */
	uint64_t	seq_ignored;	/* big jumps not (yet) believed */
	uint32_t	max_gap;	/* most seqs skipped by one forward jump */
	uint32_t	ssrc_changes;
	uint32_t	seq_restarts;	/* sender restarted its sequence */

	/* RFC 3550 A.8 jitter. */
	uint8_t		pt;		/* PT of the last jitter sample */
	bool		jit_valid;	/* last_arrival/last_ts are a baseline */
	uint32_t	clock_rate;	/* of pt */
	uint64_t	clock_mul;	/* clock_rate * 2^32 / 1e6, rounded */
	uint64_t	last_arrival_us;
	uint32_t	last_ts;
	uint32_t	jitter_q8;	/* J in clock units, times 256 */
	uint32_t	max_jitter_q8;
	uint32_t	jitter_rate;	/* clock the jitter values are in */
	uint64_t	nojitter[2];	/* PTs left out of jitter (events) */
	struct stats_clock clocks[STATS_CLOCK_SLOTS];
};

/* Frozen view of a stream, for printing or for stats_interval(). */
struct stats_report {
	uint64_t	at_us;		/* now_us given to stats_snapshot() */
	uint64_t	rx_packets;
	uint64_t	rx_bytes;
	uint64_t	rx_wire_bytes;
	uint64_t	relayed_packets;
	uint64_t	relayed_bytes;
	uint64_t	relayed_wire_bytes;
	uint64_t	dropped_packets;	/* all reasons */
	uint64_t	drop_packets[STATS_DROP_MAX];
	uint32_t	ssrc;
	uint32_t	ext_max_seq;	/* for an RTCP report block */
	uint64_t	expected;
	uint64_t	received;	/* counted by sequence accounting */
	int64_t		lost;		/* expected - received, may be < 0 */
	double		loss_pct;	/* 0 if lost <= 0 */
	uint64_t	duplicates;
	uint64_t	reordered;
	uint64_t	seq_ignored;
	uint32_t	max_gap;
	uint32_t	ssrc_changes;
	uint32_t	seq_restarts;
	uint32_t	jitter;		/* RFC 3550 units (clock ticks), for RR */
	double		jitter_ms;
	double		max_jitter_ms;
};

/* What happened between two reports of the same stream. */
struct stats_delta {
	uint64_t	usec;
	uint64_t	expected;
	int64_t		lost;
	uint8_t		fraction_lost;	/* RFC 3550 6.4.1, 8-bit fixed point */
	double		loss_pct;
	double		rx_kbps;	/* on the wire, incl. overhead */
	double		relayed_kbps;
};

/*
 * Start a stream. family is AF_INET or AF_INET6 and sets the IP header
 * size for both directions; the link layer defaults to Ethernet II.
 */
void	stats_init(struct stream_stats *st, int family);
/* The sending side is of another family (v4/v6 bridging). */
void	stats_set_tx_family(struct stream_stats *st, int family);
/* Link-layer bytes per packet (0 for none); applies to both directions. */
void	stats_set_link_overhead(struct stream_stats *st, unsigned bytes);

/*
 * Tell the RTP clock rate of a payload type (from SDP a=rtpmap), e.g.
 * Opus 48000. Static types already have theirs (RFC 3551); an unknown
 * type runs at STATS_DEFAULT_CLOCK. rate 0 forgets the type.
 * Returns 0, or -1 if pt > 127 or all slots are taken.
 */
int	stats_set_clock(struct stream_stats *st, unsigned pt, uint32_t rate);
/* Clock rate used for pt. */
uint32_t stats_clock_rate(const struct stream_stats *st, unsigned pt);
/*
 * Leave a payload type out of the jitter estimate. RFC 4733 events keep
 * the timestamp of the event start in every packet of the event, so they
 * would read as growing transit delay.
 */
void	stats_set_event_pt(struct stream_stats *st, unsigned pt);

/*
 * One RTP packet from the verified peer. pkt is what rtp_classify() gave,
 * udp_len the datagram's length, now_us a monotonic arrival time.
 */
void	stats_on_rtp(struct stream_stats *st, const struct rtp_info *pkt,
	    size_t udp_len, uint64_t now_us);
/* One RTCP datagram received for this stream. */
void	stats_on_rtcp(struct stream_stats *st, size_t udp_len);
/* One datagram sent on to the other leg. */
void	stats_on_relayed(struct stream_stats *st, size_t udp_len);
/* One datagram not sent on; reason >= STATS_DROP_MAX counts as the last. */
void	stats_drop(struct stream_stats *st, unsigned reason, size_t udp_len);

/* Current smoothed jitter, and its maximum so far, in milliseconds. */
double	stats_jitter_ms(const struct stream_stats *st);
double	stats_max_jitter_ms(const struct stream_stats *st);

void	stats_snapshot(const struct stream_stats *st, uint64_t now_us,
	    struct stats_report *out);
/*
 * Compare two reports of one stream, prev taken before cur. Loss over the
 * interval per RFC 3550 6.4.1 (fraction_lost 0 when fewer arrived than
 * duplicates made up for), bit rates on the wire.
 */
void	stats_interval(const struct stats_report *prev,
	    const struct stats_report *cur, struct stats_delta *out);
/* kbit/s for a byte count over an interval; 0 if the interval is 0. */
double	stats_kbps(uint64_t bytes, uint64_t usec);
/* Bytes on the wire for one datagram: udp_len + UDP + IP + link layer. */
size_t	stats_wire_bytes(size_t udp_len, int family, unsigned l2);

#endif
