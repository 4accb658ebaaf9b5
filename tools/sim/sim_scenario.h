/*
 * sim_scenario.h - what rtproam-sim is asked to do: the relay to talk
 * to, the handovers a phone performs, the attack to run, and the
 * rtpproxy control replies it has to understand.
 *
 * Pure parsing, no sockets: the option strings of the simulator and the
 * relay's answers are both untrusted text, and both are easier to get
 * right with a table of cases than with a network.
 */
#ifndef RTPROAM_SIM_SCENARIO_H
#define RTPROAM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define SIM_MAX_MOVES		16
#define SIM_MAX_ATTACK_PORTS	256
#define SIM_MAX_RATE		20000	/* packets per second */
#define SIM_MAX_MS		(3600 * 1000)

enum sim_move_kind {
	SIM_MOVE_PORT = 0,	/* same IP, new port: NAT rebinding */
	SIM_MOVE_IP,		/* new IP, same port if it is free */
	SIM_MOVE_IPPORT,	/* new IP and new port */
	SIM_MOVE_BACK,		/* return to the address the call started with */
};

struct sim_move {
	int64_t			at_ms;		/* since media start */
	enum sim_move_kind	kind;
	bool			newssrc;	/* restart the stream */
	bool			reinvite;	/* signal the new address */
	int64_t			overlap_ms;	/* old socket keeps sending */
	int64_t			silence_ms;	/* quiet before the move */
};

enum sim_attack_kind {
	SIM_ATK_NONE = 0,
	SIM_ATK_GARBAGE,	/* random bytes */
	SIM_ATK_RTPFLOOD,	/* valid RTP, random SSRC, many ports */
	SIM_ATK_SLOW,		/* valid RTP at a phone's rate, own SSRC */
	SIM_ATK_RACE,		/* like slow, but before the phones start */
	SIM_ATK_RTCPREPLAY,	/* SR carrying phone A's SSRC to RTCP ports */
	SIM_ATK_SSRCGUESS,	/* RTP with phone A's SSRC, random seq */
};

/* Which relay legs the attacker sprays. */
#define SIM_LEG_A	0x1	/* the port phone A sends to */
#define SIM_LEG_B	0x2	/* the port phone B sends to */

struct sim_attack {
	enum sim_attack_kind	kind;
	unsigned		rate;		/* packets per second, total */
	struct addr		from;		/* port 0: any */
	int64_t			start_ms;	/* may be negative (race) */
	int64_t			stop_ms;	/* -1: until the phones stop */
	unsigned		ports;		/* source sockets */
	unsigned		legs;		/* SIM_LEG_* */
};

/*
 * "T:KIND[:opt[:opt...]]", options newssrc, reinvite, overlap=MS,
 * silence=MS, separated by ':' or ','. Returns 0, or -1 with a sentence
 * in err.
 */
int		 sim_move_parse(const char *spec, struct sim_move *m,
		    char *err, size_t errlen);
const char	*sim_move_kind_name(enum sim_move_kind k);

/*
 * "KIND[:opt...]", options rate=PPS, from=IP, start=MS, stop=MS,
 * ports=N, legs=a|b|ab. Fills the kind's defaults first.
 */
int		 sim_attack_parse(const char *spec, struct sim_attack *a,
		    char *err, size_t errlen);
const char	*sim_attack_kind_name(enum sim_attack_kind k);

/* "udp:HOST:PORT", "udp6:[::1]:PORT", "HOST[:PORT]"; default port 22222. */
int		 sim_relay_parse(const char *spec, struct addr *a);

/* The control protocol the relay is driven over. */
enum sim_proto {
	SIM_PROTO_RTPP = 0,	/* rtpproxy: U, L, D */
	SIM_PROTO_NG,		/* rtpengine's ng: offer, answer, delete */
};

/*
 * sim_relay_parse behind an optional protocol prefix: "ng:udp:HOST:PORT",
 * "ng:udp6:[ADDR]:PORT", "rtpp:udp:HOST:PORT"; none means rtpproxy.
 */
int		 sim_relay_parse_proto(const char *spec, enum sim_proto *p,
		    struct addr *a);
const char	*sim_proto_name(enum sim_proto p);

/* 127.0.0.0/8 or ::1: the only places this tool may send to. */
bool		 sim_addr_is_loopback(const struct addr *a);

/*
 * A reply to one rtpproxy command: "<cookie> <body>\n". The body is a
 * port with an optional address and family ("40000 127.0.0.1 4"),
 * a bare number (D, and "0" for an L that found nothing) or E<code>.
 * The ng protocol's replies fill the same struct (sim_ng.h).
 */
enum sim_reply_kind {
	SIM_REPLY_BAD = 0,	/* not for us, or unparsable */
	SIM_REPLY_PORT,		/* port (and maybe address) */
	SIM_REPLY_ERROR,	/* E<code>, or an ng error with a reason */
};

struct sim_reply {
	enum sim_reply_kind	kind;
	unsigned		port;		/* 0..65535 */
	int			code;		/* rtpproxy's E<code> */
	char			host[64];	/* "" when absent */
	char			reason[128];	/* ng's error-reason; "" for rtpproxy */
};

/* Returns the kind; a reply whose cookie differs is SIM_REPLY_BAD. */
enum sim_reply_kind sim_reply_parse(const char *buf, size_t len,
		    const char *cookie, struct sim_reply *r);

#endif
