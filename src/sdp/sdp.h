/*
 * sdp.h - SDP (RFC 4566/8866) parsing for the ng protocol.
 *
 * The parser does not build a model of the whole SDP: it splits the body
 * into lines, classifies each one (kept, or owned by the relay), and reads
 * the few facts the offer/answer code needs. sdp_rewrite.h then writes the
 * SDP back with every line it does not own copied byte for byte, in place.
 * Strings in the result point into the caller's buffer, which must outlive
 * the struct sdp.
 *
 * Accepted input: LF or CRLF line endings (mixed too), a last line without
 * an ending, empty lines at the very end (ignored). Parsing is one pass over
 * the bytes plus one over the lines: linear in the input.
 *
 * Pure: no sockets, clock, logging or globals. sdp_parse allocates the line
 * table; sdp_free releases it.
 */
#ifndef RTPROAM_SDP_H
#define RTPROAM_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA	32	/* more m= lines: sdp_parse fails "too many m= lines" */

struct sdp_str { const char *p; size_t len; };		/* points into the input */

enum sdp_dir { SDP_DIR_UNSET = 0, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

struct sdp_addr {		/* from c= or a=rtcp or o= */
	int		 family;	/* AF_INET, AF_INET6; 0 = absent */
	char		 ip[46];	/* as written (validated with inet_pton) */
	bool		 zero;		/* 0.0.0.0 or :: (old-style hold) */
};

/*
 * What a line is to the rewriter. Internal to src/sdp: the rewriter reads
 * the table, callers read the facts in struct sdp and struct sdp_media.
 */
enum sdp_line_kind {
	SDP_L_KEEP = 0,		/* copied as it is */
	SDP_L_ORIGIN,		/* o= */
	SDP_L_CONN,		/* c= */
	SDP_L_MEDIA,		/* m= */
	SDP_L_INFO,		/* i= (a c= we insert goes after it) */
	SDP_L_OWNED,		/* removed; the relay writes its own if any */
	SDP_L_ICE,		/* removed with strip_ice, else kept */
};

struct sdp_line {
	const char	*p;		/* the type letter */
	uint32_t	 len;		/* without the line ending */
	uint8_t		 kind;		/* enum sdp_line_kind */
	bool		 zero;		/* c= with 0.0.0.0 or :: */
	uint32_t	 aux;		/* o=: offset of the nettype field (0:
					 * not rewritable); m=: offset just
					 * past the port and its "/N" */
};

struct sdp_media {
	struct sdp_str	 type;		/* audio, video, image, application, ... */
	uint16_t	 port;		/* 0 = rejected */
	unsigned	 nports;	/* the "/2" of m=, 1 when absent */
	struct sdp_str	 proto;		/* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, udptl, ... */
	struct sdp_str	 fmts;		/* the format list as written */
	struct sdp_addr	 conn;		/* media-level c=; family 0 when absent */
	int		 rtcp_port;	/* a=rtcp:PORT; -1 when absent */
	struct sdp_addr	 rtcp_addr;	/* a=rtcp:PORT IN IP4 ADDR; family 0 when absent */
	bool		 rtcp_mux;
	enum sdp_dir	 dir;		/* media-level direction attribute, UNSET if none */
	bool		 has_ice;	/* any a=ice-* / a=candidate in this section or session */
	bool		 has_crypto;	/* a=crypto */
	bool		 has_fingerprint;	/* a=fingerprint (here or session level) */
	/*
	 * For the ICE/DTLS code (WebRTC): attribute values after the ':',
	 * media level, else session level; len 0 when absent.
	 */
	struct sdp_str	 ice_ufrag, ice_pwd, fingerprint, setup;
	unsigned	 ncandidates;
	/* internal: the section is lines [line_first, line_end), m= first */
	size_t		 line_first, line_end;
};

struct sdp {
	struct sdp_addr	 origin;	/* o= address */
	struct sdp_addr	 conn;		/* session-level c= */
	enum sdp_dir	 dir;		/* session-level direction attribute */
	unsigned	 nmedia;
	struct sdp_media media[SDP_MAX_MEDIA];
	/* internal: every line; the session part is [0, media[0].line_first) */
	struct sdp_line	*lines;
	size_t		 nlines;
};

/*
 * Returns 0, or -1 with err set to a short reason ("Failed to parse SDP:
 * line 7: m= port not a number"). On failure nothing needs freeing; on
 * success call sdp_free.
 */
int	sdp_parse(struct sdp *s, const char *buf, size_t len, char *err, size_t errlen);
void	sdp_free(struct sdp *s);
/* The address a media's packets come from: its c=, else the session c= (NULL if none). */
const struct sdp_addr *sdp_media_addr(const struct sdp *s, unsigned i);
/*
 * Direction in force for media i: media level wins (RFC 4566, unlike
 * rtpengine 10.5), then session level, else SENDRECV. A zero c= address is
 * not looked at: the caller decides what old-style hold means.
 */
enum sdp_dir sdp_media_dir(const struct sdp *s, unsigned i);
bool	sdp_proto_is_rtp(struct sdp_str proto);		/* RTP/AVP, RTP/AVPF */
bool	sdp_proto_is_srtp(struct sdp_str proto);	/* RTP/SAVP(F), UDP/TLS/RTP/SAVP(F) */
/* "sendrecv", ... ; NULL for SDP_DIR_UNSET. */
const char *sdp_dir_name(enum sdp_dir d);

#endif
