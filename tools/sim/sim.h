/*
 * sim.h - rtproam-sim's run state, shared by its parts:
 *
 *   main.c      command line and the event loop
 *   sim.c       clock, log, random numbers, sockets
 *   control.c   the control client: one command at a time, retransmitted
 *               until answered; what the replies mean for the phones
 *   control_rtpp.c  its rtpproxy messages: U, L, D
 *   control_ng.c    its ng messages: offer, answer, delete
 *   phone.c     the two phones: streams, moves, what they receive
 *   attacker.c  the blind attacker: what it sends and what leaks to it
 *   results.c   the run's state as a struct sim_report, printed, and
 *               drawn (--svg)
 *
 * The pure parts (option and reply parsing, packet markers, counting,
 * the JSON and the table, the timeline and its picture) are
 * sim_scenario, sim_ng, sim_metrics, sim_report, sim_timeline and
 * sim_svg.
 */
#ifndef RTPROAM_SIM_H
#define RTPROAM_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "packet/rtp.h"
#include "sim_metrics.h"
#include "sim_scenario.h"
#include "sim_timeline.h"

#define PTIME_US	20000
#define PCMU_PT		0
#define PAYLOAD_LEN	160		/* 20 ms of 8 kHz PCMU */
#define SAMPLES		160
#define PKT_MAX		2048
#define MAX_EP		(SIM_MAX_MOVES + 1)
#define MAX_SOCKS	(2 + 4 * MAX_EP + SIM_MAX_ATTACK_PORTS)
#define MAX_TXN		(4 * SIM_MAX_MOVES + 8)
#define TXN_MAX_LEN	2048		/* an ng offer with its SDP fits */

enum owner { OWN_PHONE_A, OWN_PHONE_B, OWN_ATTACKER, OWN_CTL };

struct sock {
	int		fd;
	enum owner	owner;
	int		ep;		/* phone endpoint index */
	bool		rtcp;
};

struct endpoint {
	struct addr	addr;		/* RTP; RTCP is port + 1 */
	int		rtp_fd;
	int		rtcp_fd;
};

struct phone {
	char		who;
	struct addr	first;		/* --phone-x, port 0 = pick one */
	struct endpoint	ep[MAX_EP];
	int		nep;
	int		cur;
	int		prev;		/* old endpoint during an overlap */
	int64_t		overlap_end;	/* relative us */
	uint8_t		path;		/* moves made so far */
	struct addr	dst;		/* relay port this phone sends to */

	uint32_t	ssrc, first_ssrc;
	uint16_t	seq0;
	uint32_t	ts0;
	int64_t		stream_idx0;	/* index, slot where the SSRC began */
	int64_t		stream_slot0;
	uint32_t	sr_packets, sr_octets;
	int64_t		slot;		/* next 20 ms slot */
	int64_t		next_rtcp;	/* relative us */
	uint32_t	rtcp_index;

	struct sim_flow	tx;		/* what it sent, what the peer got */
	uint64_t	send_errors;
	/* What arrived here. */
	uint64_t	injected, echoed, misrouted, to_old;
	uint64_t	rtcp_sent, rtcp_rx, rtcp_injected, rtcp_to_old;
	uint64_t	atk_rtp, atk_rtcp;	/* attacker-marked */
};

struct move {
	struct sim_move	spec;
	bool		done;
	int		ep_from, ep_to;
	struct sim_move_obs obs;
	uint64_t	to_old_rtp, to_old_rtcp;
	uint64_t	rtcp_to_new, rtcp_from_new;
	int		txn_u, txn_l;			/* -1: no reinvite */
};

enum txn_state { TXN_QUEUED, TXN_SENT, TXN_OK, TXN_FAILED };
enum txn_kind { TXN_OFFER, TXN_ANSWER, TXN_DELETE };

struct txn {
	enum txn_kind	kind;
	int		party;		/* whose tag comes first */
	char		cookie[32];
	char		cmd[TXN_MAX_LEN];	/* the datagram, NUL-terminated */
	size_t		len;
	enum txn_state	state;
	int		tries;
	int64_t		next;		/* monotonic us */
	struct sim_reply reply;
};

struct sim;

/*
 * A control protocol: how a transaction becomes a datagram and how a
 * reply datagram becomes a struct sim_reply. control.c does the rest
 * (queue, retransmission, applying replies) the same for each.
 */
struct ctl_proto {
	enum sim_proto	 id;
	const char	*verb[3];	/* by enum txn_kind, for messages */
	/* Fill t->cmd and t->len from t's kind, party and cookie; -1 if
	 * it does not fit. */
	int		(*build)(const struct sim *, struct txn *);
	/* Parse into t->reply; SIM_REPLY_BAD: not an answer to t. */
	enum sim_reply_kind (*parse)(struct txn *, const char *, size_t);
};

extern const struct ctl_proto ctl_rtpp;		/* control_rtpp.c */
extern const struct ctl_proto ctl_ng;		/* control_ng.c */

struct attacker {
	struct sim_attack cfg;
	int		fd[SIM_MAX_ATTACK_PORTS];
	unsigned	nfd;
	uint64_t	due_done;	/* packets of the schedule sent */
	unsigned	rr;		/* round robin over sockets and legs */
	uint32_t	ssrc;
	uint16_t	seq;
	uint32_t	ts;
	uint64_t	sent, send_errors;
	uint64_t	leaked_rtp, leaked_rtcp;
	uint64_t	leaked_a, leaked_b, leaked_other;
};

struct sim {
	/* options */
	struct addr	relay;
	const struct ctl_proto *proto;
	struct addr	media;		/* forced media address, or unset */
	bool		setup;
	unsigned	port_a, port_b;
	int64_t		duration_us, rtcp_us, linger_us, window_us;
	int		mover;		/* 0 = A, 1 = B */
	int		verbose;
	const char	*json;
	const char	*svg, *svg_label;
	char		callid[96], tag[2][32];

	struct phone	ph[2];
	struct move	mv[SIM_MAX_MOVES];
	int		nmv;
	struct attacker	atk;
	struct sim_timeline tl;		/* bins only with --svg */

	int		epfd;
	struct sock	socks[MAX_SOCKS];
	int		nsocks;
	int		ctl_fd;
	struct txn	txn[MAX_TXN];
	int		ntxn, txn_head;
	unsigned	cookie_seq;
	bool		setup_done;
	int		teardown;	/* -1 none, 0 failed, 1 ok */

	int64_t		t0;		/* monotonic us of media start */
	uint64_t	rng;
};

/* Set by SIGINT and SIGTERM: every loop ends early. */
extern volatile sig_atomic_t stop_flag;

/* sim.c */
int64_t		mono_us(void);
int64_t		rel_us(const struct sim *);
void		vlog(const struct sim *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
uint32_t	rnd(struct sim *);
uint32_t	rnd_ssrc(struct sim *, uint32_t);
int		sock_add(struct sim *, int, enum owner, int, bool);
int		udp_bind(const struct addr *);
void		send_pkt(int, const struct addr *, const uint8_t *, size_t,
		    uint64_t *);
bool		rtp_mark(const uint8_t *, const struct rtp_info *,
		    struct sim_mark *);
bool		recv_errno_ok(int);

/* control.c */
const struct phone *txn_sdp_phone(const struct sim *, const struct txn *);
int		txn_push(struct sim *, enum txn_kind, int);
bool		txn_pending(const struct sim *);
void		txn_tick(struct sim *);
void		ctl_read(struct sim *);
int		setup_call(struct sim *);
void		teardown(struct sim *);

/* phone.c */
void		setup_phones(struct sim *);
void		phone_tick(struct sim *, struct phone *, int64_t);
int64_t		phone_next(const struct sim *, const struct phone *);
void		moves_tick(struct sim *, int64_t);
int64_t		moves_next(const struct sim *);
void		phone_rx_rtp(struct sim *, struct phone *, int,
		    const uint8_t *, size_t, int64_t);
void		phone_rx_rtcp(struct sim *, struct phone *, int,
		    const uint8_t *, size_t, int64_t);

/* attacker.c */
int64_t		atk_stop(const struct sim *);
void		atk_open(struct sim *);
void		atk_tick(struct sim *, int64_t);
int64_t		atk_next(const struct sim *);
void		atk_rx(struct sim *, const uint8_t *, size_t, int64_t);

/* results.c */
void		report(struct sim *);

#endif
