/*
 * ng_request.h - one ng request, read out of its document into plain
 * fields (pure: no call table, no sockets). ng-protocol.md §2-3 lists the
 * keys; Kamailio and OpenSIPS send them in any order, with flags either
 * as list items ("flags": ["SIP-source-address"]) or as keys of their own
 * ("ICE": "remove").
 */
#ifndef RTPROAM_NG_REQUEST_H
#define RTPROAM_NG_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/ng/bencode.h"

enum ng_command {
	NG_UNKNOWN = 0,
	NG_PING,
	NG_OFFER,
	NG_ANSWER,
	NG_DELETE,
	NG_QUERY,
	NG_LIST,
	NG_STATISTICS,
	NG_START_RECORDING,
	NG_STOP_RECORDING,
	NG_PAUSE_RECORDING,
	NG_BLOCK_MEDIA,
	NG_UNBLOCK_MEDIA,
	/* Known to Kamailio 5.6, answered with an error that says why. */
	NG_BLOCK_DTMF,
	NG_UNBLOCK_DTMF,
	NG_SILENCE_MEDIA,
	NG_UNSILENCE_MEDIA,
	NG_START_FORWARDING,
	NG_STOP_FORWARDING,
	NG_PLAY_MEDIA,
	NG_STOP_MEDIA,
	NG_PLAY_DTMF,
	NG_PUBLISH,
	NG_SUBSCRIBE_REQUEST,
	NG_SUBSCRIBE_ANSWER,
	NG_UNSUBSCRIBE,
	NG_COMMAND_MAX
};

const char *ng_command_name(enum ng_command c);

/* ICE handling asked for; absent means remove until rtproam speaks ICE. */
enum ng_ice { NG_ICE_DEFAULT = 0, NG_ICE_REMOVE, NG_ICE_FORCE, NG_ICE_OTHER };

/* rtcp-mux items (a list; several may be given). */
#define NG_MUX_OFFER	0x01
#define NG_MUX_REQUIRE	0x02
#define NG_MUX_DEMUX	0x04
#define NG_MUX_ACCEPT	0x08
#define NG_MUX_REJECT	0x10

#define NG_MAX_WARNINGS	8
#define NG_IP_STRLEN	46

struct ng_str {
	const char	*p;		/* into the document: not NUL-terminated */
	size_t		 len;		/* 0: absent */
};

struct ng_request {
	enum ng_command	 command;
	struct ng_str	 call_id, from_tag, to_tag, via_branch, sdp;
	struct ng_str	 label, set_label, transport_protocol, media_address;
	struct ng_str	 direction[2];
	int		 address_family;	/* AF_INET, AF_INET6; 0: not given */
	char		 received_from[NG_IP_STRLEN];	/* "" when absent */
	int		 received_from_family;
	int64_t		 delete_delay;		/* -1: the daemon's */
	int64_t		 limit;			/* list: -1 when absent */

	/* flags */
	bool		 sip_source_address, trust_address;
	bool		 asymmetric, symmetric, strict_source, media_handover;
	bool		 port_latching, fatal, all, record_call, srtp_asked;
	bool		 replace_origin, replace_session_connection;
	bool		 supports_load_limit;
	enum ng_ice	 ice;
	unsigned	 rtcp_mux;		/* NG_MUX_* bits */
	int		 record_call_key;	/* record-call: 1 yes/on, 0 no/off, -1 absent */

	/* Flags and keys we accept but do not act on, for the reply's warning. */
	struct ng_str	 ignored[NG_MAX_WARNINGS];
	unsigned	 nignored;
};

/*
 * Read root (a dictionary) into *r. Returns 0, or -1 with the error-reason
 * rtpengine gives ("Dictionary contains no key \"command\"", "Unrecognized
 * command") in err. String fields point into the document.
 */
int	ng_request_parse(const struct bnode *root, struct ng_request *r, char *err,
	    size_t errlen);

/* "IP4"/"IP6" (also "IPv4", "4") -> AF_INET/AF_INET6; 0 if neither. */
int	ng_family_parse(const struct ng_str *s);

#endif
