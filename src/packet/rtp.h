/*
 * rtp.h - RTP and RTCP header validation (RFC 3550, RFC 5761 demux).
 *
 * Pure functions over a byte buffer. Every packet the relay receives is
 * classified here before any latching decision looks at it, so that a
 * datagram that is not plausibly RTP/RTCP never influences anything.
 */
#ifndef RTPROAM_RTP_H
#define RTPROAM_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_MIN	12
#define RTCP_HDR_MIN	8

enum pkt_kind {
	PKT_INVALID = 0,	/* not RTP, not RTCP: drop and count */
	PKT_RTP,
	PKT_RTCP,
};

struct rtp_info {
	enum pkt_kind	kind;
	/* RTP */
	uint8_t		pt;		/* payload type, 0..127 */
	bool		marker;
	uint16_t	seq;
	uint32_t	ts;
	uint32_t	ssrc;		/* RTP: the stream; RTCP: the sender */
	uint16_t	hdr_len;	/* RTP header incl. CSRCs and extension */
	uint16_t	payload_len;	/* without padding */
	/* RTCP (first packet of a compound) */
	uint8_t		rtcp_type;	/* 200 SR, 201 RR, ... */
};

/*
 * Classify one datagram. A second byte in 192..223 is RTCP (RFC 5761
 * section 4), which is how rtcp-mux is sorted out on an RTP port.
 * Returns the kind, filling *out for RTP and RTCP.
 */
enum pkt_kind	rtp_classify(const uint8_t *buf, size_t len, struct rtp_info *out);

/* A set of allowed payload types (the `c` modifier); empty = any. */
struct pt_set {
	uint64_t	bits[2];
	bool		any;
};
void	pt_set_allow_all(struct pt_set *s);
void	pt_set_clear(struct pt_set *s);
void	pt_set_add(struct pt_set *s, unsigned pt);
static inline bool
pt_set_has(const struct pt_set *s, unsigned pt)
{
	return s->any || (pt < 128 && (s->bits[pt >> 6] >> (pt & 63)) & 1);
}

/* Network byte order readers; callers have checked the length. */
static inline uint16_t
rd_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Network byte order writers. */
static inline void
wr_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Signed distance b - a between two 16-bit sequence numbers (mod 2^16). */
static inline int
seq_delta(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(b - a);
}

#endif
