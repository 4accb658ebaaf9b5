/*
 * sim_ng.h - the rtpengine "ng" messages rtproam-sim sends and the
 * replies it reads (ng-protocol.md 1 and 2): an offer with the caller's
 * SDP, an answer with the callee's, a re-offer for a re-INVITE, and a
 * delete. Pure: the bencode and SDP work of the core library, no sockets.
 *
 * Where a phone must send is not in an ng reply's keys: it is the m=
 * port and c= address of the rewritten SDP the relay hands the other
 * party, exactly what a SIP phone would read.
 */
#ifndef RTPROAM_SIM_NG_H
#define RTPROAM_SIM_NG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "sim_scenario.h"

enum sim_ng_cmd { SIM_NG_OFFER, SIM_NG_ANSWER, SIM_NG_DELETE };

struct sim_ng_req {
	enum sim_ng_cmd		 cmd;
	const char		*callid;
	const char		*from_tag;
	const char		*to_tag;	/* NULL or "": not sent */
	/* offer and answer: the phone whose SDP it is, and its o= line */
	const struct addr	*media;
	uint32_t		 sess_id, sess_ver;
};

/*
 * The SDP a phone at media offers or answers: its address in o= and c=,
 * m=audio on its port with PCMU and telephone-event, CRLF line ends.
 * Returns the length written (NUL-terminated), or -1 if it does not fit
 * or media is neither IPv4 nor IPv6.
 */
int	sim_ng_sdp(const struct addr *media, uint32_t sess_id,
	    uint32_t sess_ver, char *buf, size_t len);

/*
 * One request datagram: cookie, one space, the bencode dictionary
 * (sdp, call-id, from-tag, to-tag, delete-delay 0 for delete, command
 * last as Kamailio sends it). Returns its length (buf is also
 * NUL-terminated), or -1 if it does not fit or a field is missing.
 */
int	sim_ng_request(const struct sim_ng_req *q, const char *cookie,
	    char *buf, size_t len);

/*
 * A reply datagram. Another cookie, or no bencode dictionary after it:
 * SIM_REPLY_BAD (not ours; the request is retransmitted). result ok:
 * SIM_REPLY_PORT, with port and host from the first m= line and its c=
 * address when want_sdp (offer, answer), port 0 otherwise (delete).
 * result error or load limit, or an ok without a usable SDP:
 * SIM_REPLY_ERROR with a printable reason.
 */
enum sim_reply_kind sim_ng_reply_parse(const char *buf, size_t len,
	    const char *cookie, bool want_sdp, struct sim_reply *r);

#endif
