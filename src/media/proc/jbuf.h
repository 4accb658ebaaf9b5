/*
 * jbuf.h - per-stream jitter buffer: RTP packets are held, put back in
 * sequence order and sent on at the sender's packetization clock.
 *
 * Pure: no I/O, no clock, no logging, no allocation. The caller owns the
 * storage (an array of slots and nslots * slot_bytes of packet bytes, set
 * up once), passes the time to every call, and drives it so:
 *
 *	jbuf_put()		for every RTP packet of the stream that would
 *				otherwise be forwarded (after latching);
 *	jbuf_next_release_us()	to arm its timer;
 *	jbuf_get()		when the timer fires, until it returns 0,
 *				forwarding each packet it hands out;
 *	jbuf_reset()		when the latch switched the leg to a new path.
 *
 * Timeline
 *   Every packet gets a nominal arrival time: the local time it would
 *   arrive at if the network added no jitter. It comes from its RTP
 *   timestamp through a per-stream anchor (an RTP timestamp and a local
 *   time that correspond), and the packet goes out at nominal + depth.
 *   The anchor is meant to sit on the fastest transit seen, so that the
 *   excess e = arrival - nominal of a packet is the delay the network
 *   added to it, and e > depth means it came too late to keep its slot.
 *
 *   The anchor is moved in two ways:
 *   re-anchor  a new timeline starting at this packet (e = 0). Packets
 *              already held keep their release times. Done for the first
 *              packet, a new SSRC, a restarted sequence, the first packet
 *              after jbuf_reset(), a marker bit after a timestamp gap of
 *              more than one and a half packet intervals (a talkspurt
 *              after DTX: a free moment to resynchronize the clocks and
 *              for the adaptive depth to shrink), and a newest packet
 *              whose timestamp is more than JBUF_JUMP_MS away from where
 *              its arrival puts it (an older one that far off is a
 *              straggler from before the jump: late, and no jitter);
 *   slide      the timeline is shifted and the held packets on it with
 *              it. An early packet (e < 0) pulls it earlier at once; once
 *              per JBUF_WINDOW_MS it moves later by the smallest excess
 *              of the window if that is positive; and a run of late
 *              packets lasting JBUF_RESYNC_MS moves it later by the
 *              smallest excess of the run (the path got slower for good:
 *              a stall delivers its backlog within a few ms, so it does
 *              not qualify and its stale packets are dropped instead).
 *   Sliding is what tracks clock drift: a sender clock that is fast
 *   makes every packet a little early, one that is slow makes the window
 *   minimum grow, so the buffer neither grows nor runs dry.
 *
 * Release
 *   Packets go out in extended sequence order (RFC 3550 A.1 rules for
 *   wraps, misordering and restarts), the head when its time has come;
 *   a lost packet is not waited for, the next one simply keeps its own
 *   time. Two more rules keep a moving timeline from producing a burst:
 *   pacing  a packet is not sent less than half a packet interval (or
 *           half its timestamp distance, if smaller) after the previous
 *           one of the same timeline;
 *   stale   a head that is at least a packet interval overdue while the
 *           packet behind it is due as well is dropped (counted) rather
 *           than sent: the timeline moved past it.
 *   A packet older than one already sent is late (or a duplicate, if it
 *   was that very packet), and so is a packet of the previous SSRC that
 *   arrives within max_depth_ms of a change; they are dropped, counted.
 *
 * DTMF (RFC 4733) and other timestamp-sharing packets
 *   Every packet of an event carries the timestamp of its start, so the
 *   timestamp says nothing about when it was sent. Packets of event_pt,
 *   and any packet with the same timestamp as the newest packet timed
 *   by its own, are held for the depth from their arrival instead (the
 *   first of an event, whose timestamp moved on, is timed as usual if
 *   event_pt is not set): ordered by sequence, never taken for
 *   duplicates or judged late by time, and left out of the jitter
 *   estimate and the timeline.
 *
 * Depth
 *   JBUF_FIXED holds for depth_ms. JBUF_ADAPTIVE starts at depth_ms and
 *   aims at jitter_mult x J + margin_ms, J being the RFC 3550 A.8
 *   interarrival jitter (kept in microseconds), within [min_depth_ms,
 *   max_depth_ms]. It rises to a higher target at once (held packets are
 *   then sent later) and falls by at most shrink_ms_per_s per second of
 *   arrival time, which in a silence gap lets it reach its target in one
 *   step.
 *
 * Handover
 *   jbuf_reset() drops the packets held: they came over the old path,
 *   and sending them now in a burst, or after the new path's packets,
 *   would do more harm than the gap of at most one depth. The next packet
 *   re-anchors; the sequence history is kept, so a dropped packet that
 *   shows up again is a duplicate. If the new path first delivers a
 *   backlog the phone queued during the switch, its packets arrive early
 *   for their timestamps, slide the timeline down, and pacing and the
 *   stale rule turn the backlog into a gap instead of a burst.
 *
 * Capacity
 *   A full ring sends its oldest packet at once rather than at its time
 *   (counted as early), so a ring too small for the depth shortens the
 *   delay instead of losing packets. A packet that finds it still full
 *   (several arrived between two jbuf_get() calls) pushes out the oldest
 *   one (counted as overflow): keeping the newest bounds the delay. One
 *   older than everything held is refused. jbuf_slots_for() sizes the
 *   ring for the depth at a packet interval, with room for a burst.
 *
 * One clock rate per stream: a stream that mixes payload types of
 * different clock rates is timed as if all ran at clock_rate.
 */
#ifndef RTPROAM_JBUF_H
#define RTPROAM_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/rtp.h"

enum jbuf_mode {
	JBUF_OFF = 0,		/* no buffer: the relay forwards at once */
	JBUF_FIXED,
	JBUF_ADAPTIVE,
};

#define JBUF_NO_PT		(-1)	/* event_pt: no telephone-event type */
#define JBUF_WINDOW_MS		1000	/* drift: minimum excess window */
#define JBUF_RESYNC_MS		100	/* late run that moves the timeline */
#define JBUF_JUMP_MS		1000	/* timestamp jump that re-anchors */
#define JBUF_PTIME_MS		20	/* packet interval until measured */
#define JBUF_SLOT_SLACK		4	/* jbuf_slots_for(): room for a burst */
#define JBUF_MAX_SLOTS		4096

struct jbuf_config {
	enum jbuf_mode	mode;			/* JBUF_FIXED */
	uint32_t	clock_rate;		/* 8000 */
	uint32_t	depth_ms;		/* 40: fixed; adaptive start */
	uint32_t	min_depth_ms;		/* 20: adaptive floor */
	uint32_t	max_depth_ms;		/* 150: adaptive ceiling */
	uint32_t	jitter_mult;		/* 3 */
	uint32_t	margin_ms;		/* 10 */
	uint32_t	shrink_ms_per_s;	/* 5 */
	int		event_pt;		/* JBUF_NO_PT, or 0..127 */
};

/* One held packet. The caller only provides the array. */
struct jbuf_slot {
	int64_t		nominal_us;	/* its arrival without jitter */
	int64_t		floor_us;	/* never sent before (its arrival) */
	uint64_t	arrival_us;
	int64_t		ext;		/* extended sequence number */
	uint32_t	ts;		/* RTP timestamp */
	uint32_t	gen;		/* timeline it is on */
	uint32_t	buf;		/* its bytes: data + buf * slot_bytes */
	uint16_t	len;
	bool		exempt;		/* not timed by its timestamp */
};

struct jbuf {
	struct jbuf_config cfg;
	struct jbuf_slot *slot;		/* ring: held packets in ext order */
	uint8_t		*data;
	uint32_t	nslots;
	uint32_t	slot_bytes;
	uint32_t	head, count;

	/* Stream and sequence (RFC 3550 A.1). */
	bool		have_stream;
	uint32_t	ssrc;
	bool		have_prev;
	uint32_t	prev_ssrc;	/* the SSRC before the last change */
	uint64_t	change_us;	/* when it changed */
	uint16_t	hi_seq;
	int64_t		hi_ext;
	uint32_t	bad_seq;	/* confirms a jump; > 0xffff: none */
	uint64_t	hi_arrival_us;	/* arrival of the newest packet */
	bool		have_hi_ts;
	uint32_t	hi_ts;		/* of the newest timed packet */
	int64_t		hi_timed_ext;	/* and its ext */
	int64_t		pkt_us;		/* packet interval, measured */

	/* Timeline. */
	bool		anchored;
	uint32_t	gen;
	uint32_t	tl_ts;
	int64_t		tl_us;		/* nominal arrival of tl_ts */
	uint64_t	win_start_us;
	bool		win_any;
	int64_t		win_min_e;
	bool		late_run;
	uint64_t	late_start_us;
	int64_t		late_min_e;

	/* Depth and jitter. */
	int64_t		depth_us;
	int64_t		max_depth_us;	/* highest depth_us so far */
	bool		adapt_valid;
	uint64_t	adapt_us;	/* last depth update */
	bool		jit_valid;
	uint64_t	jit_arrival_us;
	uint32_t	jit_ts;
	int64_t		jitter_q4;	/* J in microseconds, times 16 */

	/* Last packet out (or dropped in order). */
	bool		passed_any;
	int64_t		pass_ext;
	uint64_t	pass_bits;	/* bit i: pass_ext - i is gone */
	bool		released_any;
	uint64_t	rel_us;
	uint32_t	rel_ts;
	uint32_t	rel_gen;

	/* Counters. */
	uint64_t	queued, released, late, stale, duplicates, overflow;
	uint64_t	early;
	uint64_t	reordered, bad, reset_drops;
	uint64_t	delay_sum_us, delay_max_us;
	uint32_t	max_held;
	uint32_t	resets, reanchors, ssrc_changes, seq_restarts;
	uint32_t	resyncs;
};

enum jbuf_put_result {
	JBUF_QUEUED = 0,	/* held for release */
	JBUF_LATE,		/* its time, or a newer packet's, has passed */
	JBUF_DUPLICATE,		/* held or sent already */
	JBUF_FULL,		/* no room, and older than all held */
	JBUF_BAD,		/* too long for a slot, not RTP, or a sequence
				 * jump not yet confirmed by the next packet */
};

struct jbuf_stats {
	uint64_t	depth_us;	/* current: the delay aimed at */
	uint64_t	max_depth_us;
	uint64_t	jitter_us;	/* RFC 3550 A.8 estimate */
	uint32_t	held;		/* packets in the buffer now */
	uint32_t	max_held;
	uint64_t	delay_mean_us;	/* release - arrival, mean */
	uint64_t	delay_max_us;
	uint64_t	queued;
	uint64_t	released;
	uint64_t	late;		/* dropped: arrived too late */
	uint64_t	stale;		/* dropped: expired in the buffer */
	uint64_t	duplicates;
	uint64_t	overflow;	/* dropped (pushed out or refused): full */
	uint64_t	early;		/* sent before time: ring full */
	uint64_t	reordered;	/* out of order in, in order out */
	uint64_t	bad;
	uint64_t	reset_drops;	/* dropped by jbuf_reset() */
	uint32_t	resets;
	uint32_t	reanchors;
	uint32_t	ssrc_changes;
	uint32_t	seq_restarts;
	uint32_t	resyncs;	/* late runs that moved the timeline */
};

/* Fill with the defaults above. */
void	jbuf_config_default(struct jbuf_config *cfg);
/* "off", "fixed", "adaptive" -> mode; -1 if unknown. */
int	jbuf_mode_parse(const char *s);
const char *jbuf_mode_name(enum jbuf_mode m);
const char *jbuf_put_result_name(enum jbuf_put_result r);

/* Slots enough for the deepest the buffer gets at ptime_ms per packet. */
size_t	jbuf_slots_for(const struct jbuf_config *cfg, uint32_t ptime_ms);

/*
 * Set up jb on caller storage: slots[nslots] (2..JBUF_MAX_SLOTS) and
 * data, nslots * slot_bytes bytes, both to outlive jb. slot_bytes bounds
 * the packets accepted (at most 65535). The config is copied. Returns 0,
 * or -1 if the config or the storage is unusable (JBUF_OFF included).
 */
int	jbuf_init(struct jbuf *jb, const struct jbuf_config *cfg,
	    struct jbuf_slot *slots, size_t nslots, uint8_t *data,
	    size_t slot_bytes);

/*
 * Offer packet pkt (len bytes, as rtp_classify() described it in info)
 * that arrived at now_us. Anything but JBUF_QUEUED means dropped.
 */
enum jbuf_put_result jbuf_put(struct jbuf *jb, const uint8_t *pkt,
	    size_t len, const struct rtp_info *info, uint64_t now_us);

/*
 * Hand out the next packet if its time has come by now_us: copies it to
 * out and its length to *len and returns 1; returns 0 if none is due,
 * -1 if cap is too small for it (it stays; slot_bytes is always enough).
 * Call until it returns 0.
 */
int	jbuf_get(struct jbuf *jb, uint64_t now_us, uint8_t *out, size_t cap,
	    size_t *len);

/* When jbuf_get() has something next; UINT64_MAX when empty. */
uint64_t jbuf_next_release_us(const struct jbuf *jb);

/* The path changed: drop what is held, re-anchor on the next packet. */
void	jbuf_reset(struct jbuf *jb);

void	jbuf_stats(const struct jbuf *jb, struct jbuf_stats *out);

#endif
