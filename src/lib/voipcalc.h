/*
 * voipcalc.h - VoIP bandwidth for capacity planning.
 *
 * Pure: a codec, a packetization time and the encapsulation go in, the
 * packet size on the wire and the bit rates come out. tools/voipcalc.c
 * is the command-line front end.
 *
 * Packet on the wire = payload + RTP 12 + UDP 8 + IP (20 or 40)
 *                      + link layer + extra (tunnel, IPsec)
 * or, with compressed RTP (RFC 2508 cRTP), payload + 2 + link + extra:
 * the 40 bytes of IPv4/UDP/RTP shrink to 2 bytes when the UDP checksum is
 * not carried, the figure Cisco uses (4 with the checksum). cRTP is a
 * hop-by-hop scheme for serial links; nothing stops asking for it over
 * Ethernet, but no Ethernet link does it.
 *
 * Link-layer figures (per packet):
 *   ethernet  18  Ethernet II 14-byte header + 4-byte FCS. Preamble, SFD
 *                 and inter-frame gap (another 20 byte times on the
 *                 wire) are not counted, as in Cisco's tables.
 *   dot1q     22  the same with an 802.1Q VLAN tag.
 *   ppp        7  Cisco's figure for Multilink PPP or FRF.12: 6-byte
 *                 header plus a 1-byte end-of-frame flag.
 *   none       0  bandwidth at the IP layer.
 * These match Cisco's "Voice Over IP - Per Call Bandwidth Consumption"
 * (document ID 7934), whose tables this calculator reproduces.
 *
 * A stream is one direction; a call has two. With voice activity
 * detection, the rates are scaled by the fraction of time spent talking
 * (comfort-noise packets are not counted); packet size is unchanged.
 */
#ifndef RTPROAM_VOIPCALC_H
#define RTPROAM_VOIPCALC_H

#include <stdbool.h>
#include <stdint.h>

#define VC_RTP_HDR	12
#define VC_UDP_HDR	8
#define VC_IPV4_HDR	20
#define VC_IPV6_HDR	40
#define VC_CRTP_HDR	2

#define VC_LINK_ETHERNET 18
#define VC_LINK_DOT1Q	22
#define VC_LINK_PPP	7
#define VC_LINK_NONE	0

#define VC_PTIME_MAX	1000	/* ms */
#define VC_LINK_MAX	1500	/* bytes of link overhead we accept */
#define VC_EXTRA_MAX	1500
#define VC_CALLS_MAX	10000000u

enum vc_error {
	VC_OK = 0,
	VC_EUNKNOWN_CODEC,	/* codec name not in the table */
	VC_EPTIME,		/* ptime out of range */
	VC_EPTIME_FRAME,	/* ptime not a multiple of the frame duration */
	VC_EPTIME_SAMPLES,	/* ptime does not give whole bytes/samples */
	VC_EBITRATE,		/* bitrate not valid for the codec */
	VC_ENEED_BITRATE,	/* codec needs --bitrate */
	VC_ERATE,		/* sample rate not valid (L16) */
	VC_ELINK,		/* link overhead out of range */
	VC_EEXTRA,		/* extra overhead out of range */
	VC_EVAD,		/* VAD factor not in (0, 1] */
	VC_ECALLS,		/* number of calls out of range */
	VC_ETOO_BIG,		/* payload larger than a UDP datagram */
};

struct vc_params {
	const char	*codec;		/* name or alias, see voipcalc_codec_* */
	unsigned	ptime_ms;	/* 0: the codec's default */
	uint32_t	bitrate_bps;	/* 0: the codec's default */
	uint32_t	sample_rate;	/* L16 only; 0: 8000 */
	bool		ipv6;
	unsigned	link_bytes;	/* VC_LINK_* or any figure */
	unsigned	extra_bytes;	/* tunnel/IPsec, per packet */
	bool		crtp;
	double		vad;		/* fraction of time talking; 0 means 1 */
	uint32_t	calls;		/* 0 means 1 */
};

struct vc_result {
	const char	*codec;		/* canonical name */
	const char	*desc;
	uint32_t	bitrate_bps;	/* codec payload rate used */
	unsigned	ptime_ms;
	unsigned	frame_ms;	/* ptime must be a multiple of this */
	unsigned	frames;		/* codec frames per packet; 0 if sample-based */
	unsigned	payload_bytes;
	unsigned	rtp_bytes;	/* 12, or 0 under cRTP */
	unsigned	udp_bytes;
	unsigned	ip_bytes;
	unsigned	crtp_bytes;	/* compressed header replacing the three */
	unsigned	link_bytes;
	unsigned	extra_bytes;
	unsigned	packet_bytes;	/* everything, on the wire */
	double		pps;		/* per stream, while talking */
	double		vad;
	uint32_t	calls;
	double		payload_kbps;	/* payload bits only, no VAD */
	double		stream_kbps;	/* on the wire, VAD applied */
	double		call_kbps;	/* two streams */
	double		total_kbps;	/* calls x call_kbps */
};

/*
 * Compute. Returns VC_OK and fills *out, or an error code (see
 * voipcalc_strerror). On error, out->codec, desc and frame_ms are still
 * set if the codec was found (for a helpful message); the rest is not.
 */
enum vc_error voipcalc(const struct vc_params *p, struct vc_result *out);
const char *voipcalc_strerror(enum vc_error e);

/* "ethernet", "dot1q", "ppp", "none" or a byte count; -1 if neither. */
int	voipcalc_link_parse(const char *s);

/* Walk the codec table for --help: i from 0 until false. */
bool	voipcalc_codec_info(unsigned i, const char **name, const char **aliases,
	    const char **desc);

#endif
