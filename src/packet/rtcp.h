/*
 * rtcp.h - RTCP compound packet parsing (RFC 3550 section 6) and the
 * round-trip time computation of section 6.4.1.
 *
 * Pure: the parser reads only the bytes it is given and checks every
 * length against the buffer before looking. It extracts what a relay
 * wants for call-quality figures: the sender's SSRC, an SR's timestamps
 * and counts, every report block, and the first CNAME. SDES items other
 * than CNAME, APP, BYE reasons, feedback (RFC 4585) and XR (RFC 3611)
 * bodies are checked for length and skipped.
 */
#ifndef RTPROAM_RTCP_H
#define RTPROAM_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_SR		200
#define RTCP_RR		201
#define RTCP_SDES	202
#define RTCP_BYE	203
#define RTCP_APP	204
#define RTCP_RTPFB	205
#define RTCP_PSFB	206
#define RTCP_XR		207

/* A report count is five bits wide. */
#define RTCP_MAX_BLOCKS	31
#define RTCP_CNAME_MAX	255

enum rtcp_err {
	RTCP_OK = 0,
	RTCP_ESHORT = -1,	/* buffer too short, or not a multiple of 4 */
	RTCP_EVERSION = -2,	/* a packet's version is not 2 */
	RTCP_ELENGTH = -3,	/* a length field runs past the buffer */
	RTCP_EPADDING = -4,	/* padding bit misplaced or count impossible */
	RTCP_ETYPE = -5,	/* packet type outside 192..223 */
	RTCP_EBODY = -6,	/* a packet too short for what it declares */
};

struct rtcp_block {
	uint32_t	ssrc;		/* the source reported on */
	uint8_t		fraction_lost;	/* /256, since the previous report */
	int32_t		cum_lost;	/* 24-bit signed, sign-extended */
	uint32_t	ext_max_seq;
	uint32_t	jitter;		/* RTP timestamp units */
	uint32_t	lsr;		/* middle 32 bits of the SR's NTP time */
	uint32_t	dlsr;		/* 1/65536 s since that SR */
};

struct rtcp_info {
	/* SSRC of the first SR or RR, or of the first packet without one. */
	uint32_t	sender_ssrc;
	unsigned	npackets;	/* packets in the compound */
	uint32_t	types;		/* bit (type - 192) for each type seen */

	bool		has_sr;		/* fields below are from the first SR */
	uint32_t	ntp_sec;
	uint32_t	ntp_frac;
	uint32_t	ntp_mid32;	/* what receivers echo as LSR */
	uint32_t	rtp_ts;
	uint32_t	sender_packets;
	uint32_t	sender_octets;

	unsigned	nblocks;	/* report blocks kept, SR and RR alike */
	unsigned	blocks_dropped;	/* beyond RTCP_MAX_BLOCKS */
	struct rtcp_block blocks[RTCP_MAX_BLOCKS];

	bool		has_bye;
	size_t		cname_len;	/* 0: no CNAME item seen */
	char		cname[RTCP_CNAME_MAX + 1];	/* NUL-terminated */
};

/*
 * Parse an RTCP datagram (a compound of one or more packets). Every
 * packet must be version 2 with a type in 192..223, the lengths must add
 * up to the datagram exactly, and only the last packet may be padded
 * (RFC 3550 A.2). Reduced-size RTCP (RFC 5506), which need not start
 * with SR or RR, is accepted. Returns RTCP_OK or a negative rtcp_err;
 * *out is only meaningful on RTCP_OK.
 */
int	rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *out);
const char *rtcp_strerror(int err);

/* 64-bit NTP timestamp (seconds since 1900, 32.32) for a Unix time. */
uint64_t rtcp_ntp64(uint64_t unix_us);
/* Its middle 32 bits (16.16), the format of LSR and of arrival time A. */
uint32_t rtcp_ntp_mid32(uint64_t unix_us);
/*
 * RFC 3550 6.4.1: round trip = A - LSR - DLSR, all 16.16 seconds, A the
 * arrival time of the report block. Returns milliseconds (rounded), or
 * -1 if LSR is 0 (no SR received yet) or the result is negative (clock
 * trouble, or a block that is not about our SR).
 */
int	rtcp_rtt_ms(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr);

#endif
