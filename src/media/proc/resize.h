/*
 * resize.h - repacketize a sample-based audio stream to a target ptime.
 *
 * The rtpproxy protocol's Z<ms> modifier (capability 20071116) asks the
 * relay to resend the media coming from the party whose U/L carried it in
 * packets of <ms> milliseconds. One struct resizer serves one direction of
 * one leg. It is pure: no sockets, no clock (time is a parameter), no
 * logging, no allocation after the caller allocated the struct.
 *
 * What is resized
 *   Codecs whose payload is a plain run of samples, so that any cut on a
 *   sample boundary is a valid packet: PT 0 PCMU, 8 PCMA, 9 G.722 (RTP clock
 *   8000 for 16 kHz audio: one byte per clock tick), 10 L16 stereo and
 *   11 L16 mono at 44100 Hz, and dynamic PTs declared as L16 with
 *   resize_declare_l16(). Everything else (telephone-event, CN, frame-based
 *   codecs) is forwarded as it came; resize_pt_check() says why, and
 *   resize_put() returns RESIZE_PASS_NEW the first time a PT passes so the
 *   caller can log it once. A packet of a resizable PT whose payload is
 *   empty, not a whole number of samples, or larger than RESIZE_MAX_PAYLOAD
 *   passes too (counted as `unfit`).
 *
 * Limit
 *   An output payload is at most RESIZE_MAX_PAYLOAD (1440) bytes, so that a
 *   resized packet fits one 1500-byte IPv6/UDP datagram: 180 ms of G.711 or
 *   G.722, 90 ms of L16/8000 mono, 10 ms of L16/44100 mono. A target that
 *   would exceed it is not attempted for that PT (RESIZE_WHY_TOO_LARGE), nor
 *   is one that is not a whole number of clock ticks (RESIZE_WHY_PTIME).
 *   Memory: the struct holds 2 * RESIZE_MAX_PAYLOAD bytes of payload.
 *
 * How
 *   Payload bytes of consecutive packets are appended to a buffer and cut
 *   into target-sized packets: that merges (20 -> 40), splits (60 -> 20)
 *   and carries a remainder across (20 -> 30: 160 + 160 bytes give one
 *   240-byte packet and 80 held). "Consecutive" means same SSRC and PT,
 *   sequence number +1, timestamp = previous + its samples, and no marker
 *   bit. Anything else (loss, reordering, PT or SSRC change, a timestamp
 *   jump, a new talkspurt) ends the run: what is held is sent first as a
 *   shorter packet, and the new packet starts a new run.
 *
 *   After resize_get() returned 0, less than one target packet is held.
 *   Inside a call, at most that plus one input packet.
 *
 *   Each output packet carries a fresh 12-byte header (V=2, no padding,
 *   CSRC or extension: input padding is stripped, CSRCs and header
 *   extensions are dropped), the input SSRC and PT, the RTP timestamp of
 *   its first sample (input clock, not rebased), and the marker bit of the
 *   input packet that began its run.
 *
 * Sequence numbers
 *   Once a resizable packet of an SSRC has been seen, the resizer owns that
 *   SSRC's output sequence space: it starts from that packet's own number
 *   and every packet sent afterwards, passed-through ones included, takes
 *   the next one (resize_put() rewrites a passed packet's number in place).
 *   Until then packets are untouched. Loss stays visible: a gap of g input
 *   packets skips ceil(g * input ticks / target ticks) output numbers, so
 *   that the receiver conceals instead of playing silence, and its RTCP
 *   reports still count loss. Once the space is owned, a packet that
 *   repeats the newest number or is up to 99 behind it is a duplicate or
 *   late and dropped (RESIZE_DROP): its time has been sent on.
 *   A larger jump (beyond 3000 ahead or 100 behind) is a sender restart:
 *   new run, no skip (and no skip exceeds 3000). A new SSRC is a new
 *   stream and starts over.
 *
 * Pauses
 *   When input stops, what is held must not wait forever. The caller arms
 *   a timer for resize_deadline_us() (the last input's arrival + its
 *   duration + max(half its duration, 10 ms)) and calls resize_flush()
 *   when it fires; the remainder then comes out as a short packet. A
 *   packet that continues the stream afterwards just starts the next one.
 *
 * Calling sequence, per received RTP packet
 *	v = resize_put(rz, buf, len, &info, now_us);
 *	while (resize_get(rz, out, sizeof(out), &n) == 1)
 *		send(out, n);
 *	if (v == RESIZE_PASS || v == RESIZE_PASS_NEW)
 *		send(buf, len);		(after the held data, in that order)
 * Output not drained makes the next resize_put() return RESIZE_BUSY.
 */
#ifndef RTPROAM_RESIZE_H
#define RTPROAM_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/rtp.h"

#define RESIZE_MAX_PAYLOAD	1440
#define RESIZE_PKT_MAX		(RTP_HDR_MIN + RESIZE_MAX_PAYLOAD)
#define RESIZE_MIN_MS		10	/* below: a packet-rate amplifier */
#define RESIZE_MAX_MS		1000
#define RESIZE_DYN_MAX		4	/* dynamic PTs declared as L16 */

enum resize_verdict {
	RESIZE_TAKEN = 0,	/* consumed: drain resize_get() */
	RESIZE_PASS,		/* drain resize_get(), then forward the packet */
	RESIZE_PASS_NEW,	/* as RESIZE_PASS; first of its PT: log once */
	RESIZE_DROP,		/* late or duplicate: do not forward */
	RESIZE_BUSY,		/* output of the last call not drained: nothing done */
};

enum resize_why {
	RESIZE_WHY_OK = 0,	/* resizable */
	RESIZE_WHY_CODEC,	/* not a sample-based codec (or not declared) */
	RESIZE_WHY_PTIME,	/* target is not a whole number of ticks, or out of range */
	RESIZE_WHY_TOO_LARGE,	/* target payload exceeds RESIZE_MAX_PAYLOAD */
};

struct resize_stats {
	uint64_t	in;		/* RTP packets given to resize_put() */
	uint64_t	out;		/* packets built by resize_get() */
	uint64_t	pass;		/* forwarded as they came */
	uint64_t	merged;		/* inputs appended to held data */
	uint64_t	split;		/* inputs cut across output packets */
	uint64_t	flushed;	/* outputs shorter than the target */
	uint64_t	late;		/* late or duplicate inputs dropped */
	uint64_t	unfit;		/* resizable PT, unusable payload: passed */
};

/* The header fields of held bytes: the run being collected, or the tail. */
struct resize_seg {
	uint32_t	ssrc;
	uint32_t	ts;		/* of the first held sample */
	uint16_t	seq;		/* tail only: assigned when it was cut */
	uint8_t		pt;
	bool		marker;
	size_t		len;		/* tail only */
};

struct resize_dyn {
	uint8_t		pt;
	uint8_t		bpt;		/* bytes per clock tick */
	uint32_t	clock;
};

struct resizer {
	unsigned	target_ms;	/* 0: invalid, everything passes */
	struct resize_dyn dyn[RESIZE_DYN_MAX];
	unsigned	ndyn;
	uint64_t	reported[2];	/* PTs already answered RESIZE_PASS_NEW */

	/* The stream and its output sequence space. */
	bool		have_ssrc;
	uint32_t	ssrc;
	bool		owned;		/* a resizable packet was seen: seq is ours */
	uint16_t	out_seq;	/* next output sequence number */

	/* The last input packet of the stream. */
	bool		have_last;
	uint16_t	last_seq;
	bool		last_resizable;
	uint32_t	next_ts;	/* where a continuing packet starts */
	uint32_t	last_ticks;	/* its duration */
	uint32_t	last_target_ticks;
	uint64_t	last_us;	/* its arrival */
	uint64_t	pause_us;	/* silence after it that flushes */

	/* The run: buf[head + tail.len .. head + len). */
	struct resize_seg run;
	unsigned	bpt;
	size_t		target_bytes;
	bool		flushing;	/* send the remainder short */

	/* The previous run's remainder, buf[head .. head + tail.len). */
	struct resize_seg tail;

	size_t		head, len;
	uint8_t		buf[2 * RESIZE_MAX_PAYLOAD];

	struct resize_stats st;
};

/*
 * Start empty with a target of `target_ms` milliseconds. Returns 0, or -1
 * if it is outside RESIZE_MIN_MS..RESIZE_MAX_MS (the resizer is then still
 * usable and passes everything through untouched).
 */
int	resize_init(struct resizer *rz, unsigned target_ms);

/*
 * Declare dynamic PT `pt` (96..127) as L16 (RFC 3551 4.5.11) at `clock_hz`
 * with `channels` (1..2). Redeclaring a PT replaces it. Returns 0, or -1 if
 * the arguments are invalid or RESIZE_DYN_MAX PTs are already declared.
 * Call before the first packet.
 */
int	resize_declare_l16(struct resizer *rz, unsigned pt, unsigned clock_hz,
	    unsigned channels);

/* Whether packets of `pt` are resized at this target, and if not, why. */
enum resize_why resize_pt_check(const struct resizer *rz, unsigned pt);
const char *resize_why_name(enum resize_why w);

/*
 * A valid RTP packet (`info` from rtp_classify() on `pkt`, `len` bytes)
 * arrived at `now_us`. For RESIZE_PASS* the packet's sequence number may
 * have been rewritten in place; nothing else in it changes. Anything that
 * is not RTP returns RESIZE_PASS untouched and uncounted.
 */
enum resize_verdict resize_put(struct resizer *rz, uint8_t *pkt, size_t len,
	    const struct rtp_info *info, uint64_t now_us);

/*
 * The next output packet: returns 1 and writes it to `out` (`*len` bytes),
 * 0 if there is none, -1 if `cap` is too small for it (RESIZE_PKT_MAX is
 * always enough; nothing is consumed). Call until it returns 0.
 */
int	resize_get(struct resizer *rz, uint8_t *out, size_t cap, size_t *len);

/*
 * When held data is due to be flushed: UINT64_MAX if nothing is held.
 */
uint64_t resize_deadline_us(const struct resizer *rz);

/*
 * The timer fired at `now_us`: if the deadline has passed, what is held
 * becomes a short packet. UINT64_MAX forces it (end of call, Z removed).
 * Returns 1 if resize_get() has output, else 0.
 */
int	resize_flush(struct resizer *rz, uint64_t now_us);

#endif
