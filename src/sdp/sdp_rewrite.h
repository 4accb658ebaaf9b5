/*
 * sdp_rewrite.h - write a parsed SDP back with the relay's addresses and
 * ports (rtpengine 10.5's rules, ng-protocol.md §4.1, with the differences
 * noted there: media-level direction wins, CRLF everywhere).
 *
 * Every line the relay does not own is copied byte for byte and in place.
 * All output lines end in CRLF, whatever the input used: an LF-only SDP
 * comes back with CRLF endings.
 *
 * Owned lines (sdp.c lists them and says why): o= address (with
 * replace_origin), c= (a zero address stays zero: it is the party's hold
 * signal), the m= port, and the attributes that are removed, some of them
 * regenerated at the end of each active media section in this order:
 *	a=<direction>  a=rtcp:<rtcp_port>  [a=rtcp-mux]  [extra]
 * Rejected sections (port 0) are reduced to their m= line; keep sections
 * are written exactly as they came, with one addition: a keep section
 * without its own c= gets a copy of the original session c= when that one
 * is rewritten, so that its media still goes where the party said.
 */
#ifndef RTPROAM_SDP_REWRITE_H
#define RTPROAM_SDP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdp.h"

struct sdp_media_out {
	bool		 keep;		/* leave this m= section exactly as it came (non-RTP media
					 * the relay does not carry, e.g. TCP/BFCP) */
	uint16_t	 port;		/* our RTP port; 0 = rejected (write 0, drop the section's
					 * other lines except the m= line itself) */
	uint16_t	 rtcp_port;	/* a=rtcp value we write (== port when muxed) */
	bool		 rtcp_mux;	/* write a=rtcp-mux */
	enum sdp_dir	 dir;		/* direction to write (always written at media
					 * level; UNSET writes sendrecv) */
	const struct sdp_addr *addr;	/* our address for this media's c= (if it has one);
					 * NULL: sdp_out.addr */
	const char	*extra;		/* generated lines appended after a=rtcp-mux (CRLF-ended
					 * text, e.g. ICE candidates or a=crypto later); NULL = none */
};

struct sdp_out {
	const struct sdp_addr *addr;	/* our address for o= and the session c= */
	bool		 replace_origin;
	bool		 replace_session_conn;	/* also done when some active m= lacks its own c= */
	bool		 strip_ice;	/* remove a=ice-*, a=candidate, a=end-of-candidates,
					 * a=remote-candidates (session and media) */
	unsigned	 nmedia;		/* must equal the parsed nmedia */
	struct sdp_media_out media[SDP_MAX_MEDIA];
};

/*
 * Write the rewritten SDP into buf (len bytes); *outlen its length. -1 if it
 * does not fit or out does not match in (err says which).
 *
 * An active media section with no c= at either level gets one (the relay's
 * address), after its m= and i= lines: the party must learn where to send.
 */
int	sdp_rewrite(const struct sdp *in, const struct sdp_out *out, char *buf, size_t len,
	    size_t *outlen, char *err, size_t errlen);

#endif
