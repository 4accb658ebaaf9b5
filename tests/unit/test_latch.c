/*
 * test_latch.c - the handover state machine, replayed call by call.
 *
 * Each scenario is a row: a policy and a list of steps (signalling, RTP
 * and RTCP packets at given times, and checks of where media goes). One
 * driver runs every row as its own cmocka test, so a failure names the
 * scenario, the step and what was expected.
 *
 * Addresses: 127.0.0.1 is the phone's signalled (public) IP, 127.0.0.2
 * and .3 are networks it moves to, 127.0.0.9 a legitimate stranger, and
 * 127.0.0.66/.67 are attackers. The driver checks after every step that
 * an attacker never becomes the peer, in any scenario.
 *
 * Held packets: the driver keeps its own copy of the hold area (what
 * each LATCH_HOLD put in which slot) and checks every decision against
 * it: a release names only slots holding the new peer's packets, oldest
 * first; whatever else leaves the book was counted as a drop; the book
 * never holds more than LATCH_HOLD_SLOTS. RELEASED and HELD steps check what a
 * row expects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "media/latch.h"

#define WIFI	"127.0.0.1:4000"	/* signalled address, exact */
#define WIFI_NAT "127.0.0.1:34000"	/* signalled IP, NAT-mapped port */
#define LTE	"127.0.0.2:5000"
#define LTE_NAT	"127.0.0.2:5002"
#define LTE2	"127.0.0.3:6000"
#define STRANGER "127.0.0.9:9000"
#define PRIV	"10.0.0.5:4000"
#define ATT	"127.0.0.66:7000"
#define ATT2	"127.0.0.67:20000"

#define SSRC_A	0x1111aaaau		/* the phone's stream */
#define SSRC_B	0x2222bbbbu		/* the phone's stream after a restart */
#define SSRC_X	0x6666deadu		/* the attacker's */
#define SSRC_STEP 0x9e3779b1u		/* spray: a different SSRC every packet */

enum step_kind {
	S_END = 0,
	S_SIGNAL,	/* latch_on_signal, then latch_rtcp_follow */
	S_RTP,		/* latch_on_rtp, compare the decision */
	S_RTCP,		/* latch_rtcp_on_packet, compare accept */
	S_PEER,		/* where RTP goes, and with what trust */
	S_RTCP_PEER,	/* where RTCP goes, and whether its port is confirmed */
	S_LOOP,		/* replay the `back` steps before it `n` more times */
	S_RELEASED,	/* the sequence numbers the last RTP step released */
	S_HELD,		/* how many packets the leg holds */
};

struct step {
	uint64_t	t;
	enum step_kind	kind;
	const char	*src;		/* NULL in S_PEER/S_RTCP_PEER: nowhere */
	uint32_t	ssrc;
	uint16_t	seq;
	bool		bad_pt;
	enum latch_verdict v;
	int		why;		/* evidence, drop reason, trust or bool */
	/*
	 * Repetition: packet i of an S_RTP with n > 1, or iteration i of an
	 * S_LOOP, is sent at t + i*dt with seq + i*dseq, port + i*dport and
	 * ssrc + i*dssrc. A loop takes dt from the loop step.
	 */
	unsigned	n;
	unsigned	back;
	uint32_t	dt;
	int		dseq;
	int		dport;
	uint32_t	dssrc;
	uint16_t	rel[LATCH_HOLD_SLOTS];	/* S_RELEASED */
};

/* Expected outcomes of an RTP step. */
#define FWD		.v = LATCH_FORWARD
#define SWITCH(E)	.v = LATCH_SWITCHED, .why = EVIDENCE_##E
#define DROP(R)		.v = LATCH_DROP, .why = DROP_##R
#define HOLD		.v = LATCH_HOLD

#define SIGNAL(T, A)	{ .t = (T), .kind = S_SIGNAL, .src = (A) }
#define RTP(T, A, SSRC, SEQ, EXP) \
	{ .t = (T), .kind = S_RTP, .src = (A), .ssrc = (SSRC), \
	  .seq = (SEQ), .dseq = 1, EXP }
/* Like RTP, for a source sending DSEQ packets per loop iteration. */
#define RTPD(T, A, SSRC, SEQ, DSEQ, EXP) \
	{ .t = (T), .kind = S_RTP, .src = (A), .ssrc = (SSRC), \
	  .seq = (SEQ), .dseq = (DSEQ), EXP }
/* N packets, DT ms apart, consecutive sequence numbers. */
#define RTPN(T, A, SSRC, SEQ, N, DT, EXP) \
	{ .t = (T), .kind = S_RTP, .src = (A), .ssrc = (SSRC), \
	  .seq = (SEQ), .n = (N), .dt = (DT), .dseq = 1, EXP }
/* N packets, each from the next port with another SSRC. */
#define SPRAY(T, A, SSRC, SEQ, N, DT, EXP) \
	{ .t = (T), .kind = S_RTP, .src = (A), .ssrc = (SSRC), \
	  .seq = (SEQ), .n = (N), .dt = (DT), .dseq = 1, .dport = 1, \
	  .dssrc = SSRC_STEP, EXP }
#define BADPT(T, A, SSRC, SEQ) \
	{ .t = (T), .kind = S_RTP, .src = (A), .ssrc = (SSRC), \
	  .seq = (SEQ), .bad_pt = true, DROP(PT) }
#define LOOP(BACK, N, DT) \
	{ .kind = S_LOOP, .back = (BACK), .n = (N), .dt = (DT) }
#define PEER(A, TRUST)	{ .kind = S_PEER, .src = (A), .why = TRUST_##TRUST }
#define NOPEER		{ .kind = S_PEER, .src = NULL, .why = TRUST_NONE }
#define RTCP(A, SSRC, OK) \
	{ .kind = S_RTCP, .src = (A), .ssrc = (SSRC), .why = (OK) }
#define RTCP_PEER(A, CONFIRMED) \
	{ .kind = S_RTCP_PEER, .src = (A), .why = (CONFIRMED) }
/* The last RTP step sent these held packets first, in this order. */
#define RELEASED(N, ...) \
	{ .kind = S_RELEASED, .n = (N), .rel = { __VA_ARGS__ } }
#define NONE_RELEASED	{ .kind = S_RELEASED, .n = 0 }
#define HELD(N)		{ .kind = S_HELD, .n = (N) }
#define END		{ .kind = S_END }

/*
 * A verified call: signalled at WIFI, which delivers seq 100..149 from
 * t=0 to t=980 and then falls silent.
 */
#define VERIFIED \
	SIGNAL(0, WIFI), \
	RTPN(0, WIFI, SSRC_A, 100, 50, 20, FWD), \
	PEER(WIFI, STRONG)

struct scenario {
	const char	*name;
	enum latch_policy policy;
	bool		asymmetric;
	void		(*tweak)(struct latch_config *);
	const struct step *steps;
};

static void
busy_25(struct latch_config *cfg)
{
	cfg->busy_count = 25;
}

static void
strong_6(struct latch_config *cfg)
{
	cfg->strong_count = 6;
}

static void
hold_0(struct latch_config *cfg)
{
	cfg->hold_count = 0;
}

static const struct scenario scenarios[] = {
{ "start: signalled exact address verifies on its first packet",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	NOPEER,
	SIGNAL(0, WIFI),
	PEER(WIFI, SIGNALLED),
	RTP(10, WIFI, SSRC_A, 100, FWD),
	PEER(WIFI, STRONG),
	RTPN(30, WIFI, SSRC_A, 101, 10, 20, FWD),
	END } },

{ "start: NAT port at the signalled IP is adopted at once",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTP(10, WIFI_NAT, SSRC_A, 100, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	RTPN(30, WIFI_NAT, SSRC_A, 101, 5, 20, FWD),
	/* The SDP port is now just another candidate. */
	RTP(130, WIFI, SSRC_A, 106, HOLD),
	PEER(WIFI_NAT, STRONG),
	END } },

{ "start: bad payload type verifies nothing",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	BADPT(10, WIFI_NAT, SSRC_A, 100),
	BADPT(20, WIFI, SSRC_A, 101),
	PEER(WIFI, SIGNALLED),
	RTP(40, WIFI, SSRC_A, 102, FWD),
	BADPT(60, WIFI, SSRC_A, 103),
	RTP(80, WIFI, SSRC_A, 104, FWD),
	END } },

{ "start race: attacker first at another IP never wins, phone wins at once",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTPN(0, ATT, SSRC_X, 1000, 50, 20, DROP(UNVERIFIED)),
	PEER(WIFI, SIGNALLED),
	RTP(1000, WIFI_NAT, SSRC_A, 1, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	RTP(1010, ATT, SSRC_X, 1050, DROP(UNVERIFIED)),
	RTP(1020, WIFI_NAT, SSRC_A, 2, FWD),
	LOOP(2, 50, 20),
	PEER(WIFI_NAT, STRONG),
	END } },

{ "start race: private signalled IP lets probation adopt the NATed phone",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, PRIV),
	PEER(PRIV, SIGNALLED),
	/* Ten packets, but only 180 ms since the signalling. */
	RTPN(0, LTE, SSRC_A, 100, 10, 20, DROP(UNVERIFIED)),
	RTP(200, LTE, SSRC_A, 110, SWITCH(WEAK)),
	PEER(LTE, WEAK),
	RTP(220, LTE, SSRC_A, 111, FWD),
	END } },

{ "start: no address at all, probation adopts, signalling then wins",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	RTPN(0, STRANGER, SSRC_X, 1, 9, 20, DROP(UNVERIFIED)),
	NOPEER,
	RTP(180, STRANGER, SSRC_X, 10, SWITCH(WEAK)),
	PEER(STRANGER, WEAK),
	SIGNAL(300, WIFI),
	PEER(WIFI, SIGNALLED),
	RTP(320, WIFI_NAT, SSRC_A, 1, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	END } },

/*
 * Found by fuzz/fuzz_latch.c. A source adopted before the leg had an
 * address kept its stream across the signalling, and continuing that
 * stream counted as strong evidence against the signalled IP.
 */
{ "start: a source adopted before any address cannot take back the signalled leg",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	RTPN(0, STRANGER, SSRC_X, 1, 9, 20, DROP(UNVERIFIED)),
	RTP(180, STRANGER, SSRC_X, 10, SWITCH(WEAK)),
	SIGNAL(300, WIFI),
	PEER(WIFI, SIGNALLED),
	/* Never verified, so continuing it is no evidence at all. */
	RTPN(1200, STRANGER, SSRC_X, 11, 50, 20, DROP(UNVERIFIED)),
	PEER(WIFI, SIGNALLED),
	RTP(2300, WIFI_NAT, SSRC_A, 1, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	END } },

{ "start: a stream that only ever continued itself does not outrank signalling",
  LATCH_SSRC, false, NULL, (const struct step[]){
	/* Classic latching, then the same stream from another port. */
	RTP(0, STRANGER, SSRC_X, 1, SWITCH(WEAK)),
	RTP(1000, "127.0.0.9:9002", SSRC_X, 51, HOLD),
	RTP(1020, "127.0.0.9:9002", SSRC_X, 52, SWITCH(STRONG)),
	PEER("127.0.0.9:9002", STRONG),
	SIGNAL(1100, WIFI),
	PEER(WIFI, SIGNALLED),
	RTPN(2100, "127.0.0.9:9002", SSRC_X, 103, 50, 20, DROP(UNVERIFIED)),
	PEER(WIFI, SIGNALLED),
	RTP(3200, WIFI, SSRC_A, 1, FWD),
	PEER(WIFI, STRONG),
	END } },

{ "move: same SSRC, clean handover switches on the second packet",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	HELD(1),
	RTP(1020, LTE, SSRC_A, 151, SWITCH(STRONG)),
	/* The first packet from the new path goes out before the second. */
	RELEASED(1, 150),
	HELD(0),
	PEER(LTE, STRONG),
	/* A late packet on the old path moves nothing back. */
	RTP(1030, WIFI, SSRC_A, 149, DROP(UNVERIFIED)),
	RTPN(1040, LTE, SSRC_A, 152, 10, 20, FWD),
	PEER(LTE, STRONG),
	END } },

{ "move: a duplicate or reordered packet on the new path does not count",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 151, HOLD),
	RTP(1005, LTE, SSRC_A, 151, DROP(UNVERIFIED)),
	RTP(1010, LTE, SSRC_A, 150, HOLD),
	RTP(1020, LTE, SSRC_A, 152, SWITCH(STRONG)),
	/* In the order they came, the duplicate once. */
	RELEASED(2, 151, 150),
	PEER(LTE, STRONG),
	END } },

{ "move: NAT rebinding, same IP and a new port",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1500, "127.0.0.1:4100", SSRC_A, 150, HOLD),
	RTP(1520, "127.0.0.1:4100", SSRC_A, 151, SWITCH(STRONG)),
	PEER("127.0.0.1:4100", STRONG),
	RTP(1540, "127.0.0.1:4100", SSRC_A, 152, FWD),
	END } },

/*
 * An old path that only delivers late copies is a straggler (see the next
 * rows); one that still delivers packets newer than the new path's is
 * alive: the phone alternates between paths, and the new one must out-run
 * it with busy_count packets, each newer than anything the peer sent.
 */
{ "move: phone alternating between paths: busy_count newer packets needed",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTPD(1000, WIFI, SSRC_A, 150, 2, FWD),
	RTPD(1010, LTE, SSRC_A, 151, 2, HOLD),
	LOOP(2, 8, 20),
	PEER(WIFI, STRONG),
	RTP(1180, WIFI, SSRC_A, 168, FWD),
	RTP(1190, LTE, SSRC_A, 169, SWITCH(STRONG)),
	/* What LTE held is older than what Wi-Fi delivered: not released. */
	NONE_RELEASED,
	HELD(0),
	PEER(LTE, STRONG),
	RTP(1200, WIFI, SSRC_A, 170, HOLD),
	RTP(1210, LTE, SSRC_A, 171, FWD),
	END } },

{ "move: reordering on the new path keeps the busy count",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTPD(1000, WIFI, SSRC_A, 150, 2, FWD),
	RTPD(1010, LTE, SSRC_A, 151, 2, HOLD),
	LOOP(2, 7, 20),
	RTP(1160, WIFI, SSRC_A, 166, FWD),
	RTP(1170, LTE, SSRC_A, 169, HOLD),
	/* 167 overtaken by 169: set aside, the run of nine survives. */
	RTP(1175, LTE, SSRC_A, 167, HOLD),
	RTP(1180, WIFI, SSRC_A, 170, FWD),
	RTP(1190, LTE, SSRC_A, 171, SWITCH(STRONG)),
	END } },

{ "move: old path delivering, then stops: switch after the guard time",
  LATCH_PROBATION, false, busy_25, (const struct step[]){
	VERIFIED,
	RTPD(1000, WIFI, SSRC_A, 150, 2, FWD),
	RTPD(1010, LTE, SSRC_A, 151, 2, HOLD),
	LOOP(2, 3, 20),
	/* Wi-Fi last delivered at 1060. */
	RTPN(1090, LTE, SSRC_A, 158, 9, 20, HOLD),
	RTP(1270, LTE, SSRC_A, 167, SWITCH(STRONG)),
	/* Bounded: the last four of the packets sent during the guard. */
	RELEASED(4, 163, 164, 165, 166),
	PEER(LTE, STRONG),
	END } },

{ "move: old path only delivering late copies: switch on the 2nd packet",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	/* Wi-Fi delivers 50 ms late what LTE already delivered. */
	RTP(1000, WIFI, SSRC_A, 150, FWD),
	RTP(1010, LTE, SSRC_A, 153, HOLD),
	RTP(1020, WIFI, SSRC_A, 151, FWD),
	RTP(1030, LTE, SSRC_A, 154, SWITCH(STRONG)),
	RELEASED(1, 153),
	PEER(LTE, STRONG),
	/* Further late copies from Wi-Fi are not forwarded, and do not flap. */
	RTP(1040, WIFI, SSRC_A, 152, DROP(UNVERIFIED)),
	RTP(1050, LTE, SSRC_A, 155, FWD),
	END } },

{ "move: new SSRC switches after probation once the old path is silent",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, LTE, SSRC_B, 5000, 9, 20, DROP(UNVERIFIED)),
	RTP(1180, LTE, SSRC_B, 5009, SWITCH(WEAK)),
	/* Weak evidence is not held (latch.h): probation costs packets. */
	NONE_RELEASED,
	PEER(LTE, WEAK),
	RTPN(1200, LTE, SSRC_B, 5010, 10, 20, FWD),
	END } },

{ "move: new SSRC waits while the old path is heard",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_B, 5000, DROP(UNVERIFIED)),
	/* The peer speaks: probation starts over from the next packet. */
	RTP(1010, WIFI, SSRC_A, 150, FWD),
	/* Ten packets by 1200, but Wi-Fi was heard 190 ms before. */
	RTPN(1020, LTE, SSRC_B, 5001, 10, 20, DROP(UNVERIFIED)),
	RTP(1220, LTE, SSRC_B, 5011, SWITCH(WEAK)),
	END } },

{ "move: a weakly adopted source gives way to the signalled IP",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, LTE, SSRC_B, 5000, 9, 20, DROP(UNVERIFIED)),
	RTP(1180, LTE, SSRC_B, 5009, SWITCH(WEAK)),
	RTP(1300, WIFI_NAT, SSRC_A, 160, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	END } },

{ "move: a weak switch is undone when the verified peer resumes",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTPN(0, WIFI, SSRC_A, 100, 50, 20, FWD),
	RTP(1000, LTE2, SSRC_A, 150, HOLD),
	RTP(1020, LTE2, SSRC_A, 151, SWITCH(STRONG)),
	RTPN(1040, LTE2, SSRC_A, 152, 49, 20, FWD),
	/* The phone mutes at 2000; someone else wins probation. */
	RTPN(2300, STRANGER, SSRC_X, 7000, 9, 20, DROP(UNVERIFIED)),
	RTP(2480, STRANGER, SSRC_X, 7009, SWITCH(WEAK)),
	PEER(STRANGER, WEAK),
	RTP(2500, STRANGER, SSRC_X, 7010, FWD),
	/* The phone unmutes: its stream continues, it takes its place back. */
	RTP(2600, LTE2, SSRC_A, 201, SWITCH(RESUMED)),
	PEER(LTE2, STRONG),
	RTP(2610, STRANGER, SSRC_X, 7011, DROP(UNVERIFIED)),
	RTP(2620, LTE2, SSRC_A, 202, FWD),
	END } },

{ "move: after a long silence the window scales with elapsed time",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	/* 10 s later, 450 packets further: 500 explained + slack. */
	RTP(10980, LTE, SSRC_A, 599, HOLD),
	RTP(11000, LTE, SSRC_A, 600, SWITCH(STRONG)),
	PEER(LTE, STRONG),
	END } },

{ "move: sequence number wrap at 65535",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTPN(0, WIFI, SSRC_A, 65530, 5, 20, FWD),
	RTP(100, LTE, SSRC_A, 65535, HOLD),
	RTP(120, LTE, SSRC_A, 0, SWITCH(STRONG)),
	RTPN(140, LTE, SSRC_A, 1, 5, 20, FWD),
	/* The old path's pre-wrap packets are old, not 65000 ahead. */
	RTP(250, WIFI, SSRC_A, 65534, DROP(UNVERIFIED)),
	PEER(LTE, STRONG),
	END } },

{ "hold: the book is bounded, the oldest held packet gives way",
  LATCH_PROBATION, false, strong_6, (const struct step[]){
	VERIFIED,
	RTPN(1000, LTE, SSRC_A, 150, 5, 20, HOLD),
	HELD(4),
	RTP(1100, LTE, SSRC_A, 155, SWITCH(STRONG)),
	RELEASED(4, 151, 152, 153, 154),
	HELD(0),
	RTP(1120, LTE, SSRC_A, 156, FWD),
	NONE_RELEASED,
	END } },

{ "hold: the losing candidate's packets are discarded, the winner's released",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	RTP(1005, LTE2, SSRC_A, 151, HOLD),
	HELD(2),
	RTP(1025, LTE2, SSRC_A, 152, SWITCH(STRONG)),
	RELEASED(1, 151),
	HELD(0),
	/* The loser keeps trying: it is a candidate again, never sent on. */
	RTP(1030, LTE, SSRC_A, 153, HOLD),
	RTP(1040, LTE2, SSRC_A, 154, FWD),
	NONE_RELEASED,
	PEER(LTE2, STRONG),
	END } },

{ "hold: a candidate quiet for longer than LATCH_HOLD_MS sends nothing stale",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	RTP(1400, LTE, SSRC_A, 170, SWITCH(STRONG)),
	NONE_RELEASED,
	HELD(0),
	END } },

{ "hold: a candidate whose run breaks loses what it held",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	RTP(1020, LTE, SSRC_B, 7000, DROP(UNVERIFIED)),
	HELD(0),
	RTP(1040, LTE, SSRC_A, 152, HOLD),
	RTP(1060, LTE, SSRC_A, 153, SWITCH(STRONG)),
	RELEASED(1, 152),
	END } },

{ "hold: a re-INVITE overtaken by the first packet from the new address",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	SIGNAL(1005, LTE),
	PEER(LTE, SIGNALLED),
	HELD(1),
	RTP(1020, LTE, SSRC_A, 151, FWD),
	RELEASED(1, 150),
	PEER(LTE, STRONG),
	END } },

{ "hold: a re-INVITE overtaken at the NAT port; other sources discarded",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE_NAT, SSRC_A, 150, HOLD),
	RTP(1002, LTE2, SSRC_A, 150, HOLD),
	SIGNAL(1005, LTE),
	HELD(1),
	RTP(1020, LTE_NAT, SSRC_A, 151, SWITCH(SIGNALLED)),
	RELEASED(1, 150),
	PEER(LTE_NAT, STRONG),
	END } },

{ "hold: signalling elsewhere discards what a candidate held",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	SIGNAL(1010, LTE2),
	HELD(0),
	RTP(1020, LTE2, SSRC_A, 151, FWD),
	NONE_RELEASED,
	END } },

{ "hold: off (hold_count 0) drops the evidence as before",
  LATCH_PROBATION, false, hold_0, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, DROP(UNVERIFIED)),
	HELD(0),
	RTP(1020, LTE, SSRC_A, 151, SWITCH(STRONG)),
	NONE_RELEASED,
	END } },

{ "limits: a second move within a second waits for the interval",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 150, HOLD),
	RTP(1020, LTE, SSRC_A, 151, SWITCH(STRONG)),
	RTPN(1040, LTE, SSRC_A, 152, 23, 20, FWD),
	RTP(1500, LTE2, SSRC_A, 175, HOLD),
	RTPN(1520, LTE2, SSRC_A, 176, 25, 20, DROP(RATE_LIMIT)),
	PEER(LTE, STRONG),
	RTP(2020, LTE2, SSRC_A, 201, SWITCH(STRONG)),
	/* Held half a second before the limit let it win: too old to send. */
	NONE_RELEASED,
	HELD(0),
	PEER(LTE2, STRONG),
	END } },

{ "limits: the eleventh switch in a minute waits for the window",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTP(0, WIFI, SSRC_A, 100, FWD),
	RTPD(1100, LTE, SSRC_A, 101, 4, HOLD),
	RTPD(1120, LTE, SSRC_A, 102, 4, SWITCH(STRONG)),
	RTPD(2200, WIFI, SSRC_A, 103, 4, HOLD),
	RTPD(2220, WIFI, SSRC_A, 104, 4, SWITCH(STRONG)),
	LOOP(4, 4, 2200),
	PEER(WIFI, STRONG),
	RTP(12100, LTE, SSRC_A, 121, HOLD),
	RTPN(12120, LTE, SSRC_A, 122, 6, 20, DROP(RATE_LIMIT)),
	PEER(WIFI, STRONG),
	RTP(61120, LTE, SSRC_A, 128, SWITCH(STRONG)),
	END } },

{ "attack: new-SSRC flood while the peer keeps talking never wins",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, WIFI, SSRC_A, 150, FWD),
	RTPD(1005, ATT, SSRC_X, 1, 2, DROP(UNVERIFIED)),
	RTPD(1010, ATT, SSRC_X, 2, 2, DROP(UNVERIFIED)),
	LOOP(3, 200, 20),
	PEER(WIFI, STRONG),
	END } },

{ "attack: random-SSRC spray from 100 ports; a strong mover still wins",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	SPRAY(1000, ATT, SSRC_X, 1, 100, 1, DROP(UNVERIFIED)),
	PEER(WIFI, STRONG),
	RTP(1100, LTE, SSRC_A, 150, HOLD),
	/* Two packets lost on LTE: its slot is 60 ms idle, yet kept. */
	SPRAY(1101, ATT2, SSRC_X, 200, 59, 1, DROP(UNVERIFIED)),
	RTP(1160, LTE, SSRC_A, 153, SWITCH(STRONG)),
	PEER(LTE, STRONG),
	SPRAY(1161, ATT2, SSRC_X, 300, 200, 1, DROP(UNVERIFIED)),
	PEER(LTE, STRONG),
	HELD(0),
	END } },

{ "attack: a flood faster than twice the rate never completes probation",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, ATT, SSRC_X, 1, 2, 1, DROP(UNVERIFIED)),
	RTPN(1002, ATT, SSRC_X, 3, 400, 1, DROP(FLOOD)),
	PEER(WIFI, STRONG),
	END } },

{ "move: a new-SSRC mover's burst after a stall still switches",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	/* Five packets at once (a backlog), then the 20 ms rhythm. */
	RTPN(1200, LTE, SSRC_B, 1, 2, 1, DROP(UNVERIFIED)),
	RTPN(1202, LTE, SSRC_B, 3, 3, 1, DROP(FLOOD)),
	/* The average rate becomes plausible at the ninth packet. */
	RTPN(1224, LTE, SSRC_B, 6, 3, 20, DROP(FLOOD)),
	RTP(1284, LTE, SSRC_B, 9, DROP(UNVERIFIED)),
	RTP(1304, LTE, SSRC_B, 10, SWITCH(WEAK)),
	PEER(LTE, WEAK),
	END } },

{ "move: a late straggler from the old path does not hold the mover back",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, LTE, SSRC_A, 151, HOLD),
	/* Seq 150 was still in flight on Wi-Fi: older than what LTE sent. */
	RTP(1005, WIFI, SSRC_A, 150, FWD),
	RTP(1020, LTE, SSRC_A, 152, SWITCH(STRONG)),
	PEER(LTE, STRONG),
	END } },

{ "attack: wrong SSRC at the phone's rate while the phone talks",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, WIFI, SSRC_A, 150, FWD),
	RTP(1010, ATT, SSRC_X, 1, DROP(UNVERIFIED)),
	LOOP(2, 200, 20),
	PEER(WIFI, STRONG),
	END } },

{ "attack: right SSRC, wildly wrong seq, while the phone talks",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTP(1000, WIFI, SSRC_A, 150, FWD),
	RTP(1010, ATT, SSRC_A, 20150, DROP(UNVERIFIED)),
	LOOP(2, 200, 20),
	PEER(WIFI, STRONG),
	END } },

{ "attack: right SSRC, wrong seq, phone silent, policy ssrc",
  LATCH_SSRC, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, ATT, SSRC_A, 20150, 200, 20, DROP(UNVERIFIED)),
	RTPN(5000, ATT2, SSRC_A, 149 + 5000, 20, 20, DROP(UNVERIFIED)),
	PEER(WIFI, STRONG),
	END } },

{ "attack: re-INVITE to a new public IP opens no race",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	SIGNAL(1000, LTE),
	PEER(LTE, SIGNALLED),
	RTPN(1300, ATT, SSRC_X, 1, 30, 20, DROP(UNVERIFIED)),
	PEER(LTE, SIGNALLED),
	RTP(1900, LTE_NAT, SSRC_A, 150, SWITCH(SIGNALLED)),
	PEER(LTE_NAT, STRONG),
	END } },

{ "seq: ahead of what the time explains, or past the cap, is not strong",
  LATCH_SSRC, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1100, LTE, SSRC_A, 149 + 450, 20, 20, DROP(UNVERIFIED)),
	/* 200 s of silence explain 10000 packets, but the cap is 3000. */
	RTP(200980, LTE2, SSRC_A, 149 + 3100, DROP(UNVERIFIED)),
	RTP(201000, LTE2, SSRC_A, 149 + 3040, HOLD),
	RTP(201020, LTE2, SSRC_A, 149 + 3041, SWITCH(STRONG)),
	END } },

{ "signal: a re-INVITE with a new IP is honoured at once",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	SIGNAL(1000, LTE),
	PEER(LTE, SIGNALLED),
	RTP(1010, LTE_NAT, SSRC_A, 150, SWITCH(SIGNALLED)),
	PEER(LTE_NAT, STRONG),
	RTP(1030, LTE_NAT, SSRC_A, 151, FWD),
	END } },

{ "signal: a re-INVITE with the same IP keeps the learned port",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	/* Before any packet the signalled port is all there is. */
	SIGNAL(0, "127.0.0.1:3000"),
	SIGNAL(0, WIFI),
	PEER(WIFI, SIGNALLED),
	RTP(0, WIFI_NAT, SSRC_A, 100, SWITCH(SIGNALLED)),
	RTPN(20, WIFI_NAT, SSRC_A, 101, 10, 20, FWD),
	SIGNAL(500, WIFI),
	PEER(WIFI_NAT, STRONG),
	RTP(520, WIFI_NAT, SSRC_A, 111, FWD),
	END } },

{ "signal: hold (0.0.0.0) changes nothing",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, "0.0.0.0:4000"),
	NOPEER,
	VERIFIED,
	SIGNAL(1000, "0.0.0.0:0"),
	SIGNAL(1000, "[::]:4000"),
	PEER(WIFI, STRONG),
	RTP(1010, WIFI, SSRC_A, 150, FWD),
	END } },

{ "signal: a private re-offer does not replace a working peer",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	SIGNAL(1000, PRIV),
	PEER(WIFI, STRONG),
	RTP(1010, WIFI, SSRC_A, 150, FWD),
	END } },

{ "policy off: never moves except through signalling",
  LATCH_OFF, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, LTE, SSRC_A, 150, 20, 20, DROP(UNVERIFIED)),
	RTPN(2000, LTE2, SSRC_B, 1, 20, 20, DROP(UNVERIFIED)),
	PEER(WIFI, STRONG),
	SIGNAL(3000, LTE),
	PEER(LTE, SIGNALLED),
	RTP(3010, LTE, SSRC_A, 170, FWD),
	PEER(LTE, STRONG),
	RTP(3020, WIFI, SSRC_A, 171, DROP(UNVERIFIED)),
	END } },

{ "policy off: with no address the first packet is latched",
  LATCH_OFF, false, NULL, (const struct step[]){
	RTP(0, STRANGER, SSRC_X, 1, SWITCH(WEAK)),
	PEER(STRANGER, WEAK),
	RTP(20, ATT, SSRC_X, 2, DROP(UNVERIFIED)),
	SIGNAL(100, WIFI),
	RTP(120, WIFI_NAT, SSRC_A, 1, SWITCH(SIGNALLED)),
	PEER(WIFI_NAT, STRONG),
	END } },

{ "policy ssrc: a new SSRC is never taken, the old one is",
  LATCH_SSRC, false, NULL, (const struct step[]){
	VERIFIED,
	RTPN(1000, LTE, SSRC_B, 5000, 50, 20, DROP(UNVERIFIED)),
	PEER(WIFI, STRONG),
	RTP(2000, LTE, SSRC_A, 150, HOLD),
	RTP(2020, LTE, SSRC_A, 151, SWITCH(STRONG)),
	PEER(LTE, STRONG),
	END } },

{ "asymmetric: accepted by signalled IP, never learned",
  LATCH_PROBATION, true, NULL, (const struct step[]){
	RTP(0, WIFI, SSRC_A, 1, DROP(ASYMMETRIC)),
	NOPEER,
	SIGNAL(10, WIFI),
	RTP(20, "127.0.0.1:5555", SSRC_A, 2, FWD),
	PEER(WIFI, SIGNALLED),
	RTPN(40, ATT, SSRC_X, 1, 20, 20, DROP(ASYMMETRIC)),
	RTPN(40, LTE, SSRC_A, 3, 5, 20, DROP(ASYMMETRIC)),
	PEER(WIFI, SIGNALLED),
	RTCP_PEER("127.0.0.1:4001", false),
	RTCP("127.0.0.1:9999", SSRC_X, true),
	RTCP(LTE, SSRC_A, false),
	SIGNAL(1000, LTE),
	PEER(LTE, SIGNALLED),
	RTCP_PEER("127.0.0.2:5001", false),
	RTP(1000, "127.0.0.2:7777", SSRC_A, 10, FWD),
	RTP(1020, "127.0.0.1:5555", SSRC_A, 11, DROP(ASYMMETRIC)),
	END } },

{ "rtcp: follows RTP at port+1, port confirmed by SSRC from the RTP IP",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	RTCP(WIFI, SSRC_A, false),
	RTCP_PEER(NULL, false),
	SIGNAL(0, WIFI),
	RTCP_PEER("127.0.0.1:4001", false),
	RTP(0, WIFI, SSRC_A, 100, FWD),
	RTCP("127.0.0.1:6001", SSRC_X, false),
	RTCP_PEER("127.0.0.1:4001", false),
	RTCP("127.0.0.1:6001", SSRC_A, true),
	RTCP_PEER("127.0.0.1:6001", true),
	RTCP("127.0.0.1:6001", SSRC_X, true),
	END } },

{ "rtcp: before any RTP the signalled IP is trusted, nothing else",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	SIGNAL(0, WIFI),
	RTCP(ATT, SSRC_X, false),
	RTCP("127.0.0.1:4501", SSRC_X, true),
	RTCP_PEER("127.0.0.1:4501", true),
	END } },

{ "rtcp: replayed report from another IP with the right SSRC",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTCP(ATT, SSRC_A, false),
	RTCP_PEER("127.0.0.1:4001", false),
	RTCP("127.0.0.1:4001", SSRC_A, true),
	RTCP(ATT, SSRC_A, false),
	RTCP("127.0.0.66:4001", SSRC_A, false),
	RTCP_PEER("127.0.0.1:4001", true),
	END } },

{ "rtcp: follows a same-IP port change and a move to a new IP",
  LATCH_PROBATION, false, NULL, (const struct step[]){
	VERIFIED,
	RTCP("127.0.0.1:4001", SSRC_A, true),
	RTCP_PEER("127.0.0.1:4001", true),
	RTP(1000, "127.0.0.1:4100", SSRC_A, 150, HOLD),
	RTP(1020, "127.0.0.1:4100", SSRC_A, 151, SWITCH(STRONG)),
	/* Same IP: the confirmed port stays until RTCP shows the new one. */
	RTCP_PEER("127.0.0.1:4001", true),
	RTCP("127.0.0.1:4101", SSRC_X, false),
	RTCP("127.0.0.1:4101", SSRC_A, true),
	RTCP_PEER("127.0.0.1:4101", true),
	RTP(2100, LTE, SSRC_A, 153, HOLD),
	RTP(2120, LTE, SSRC_A, 154, SWITCH(STRONG)),
	RTCP_PEER("127.0.0.2:5001", false),
	RTCP("127.0.0.1:4101", SSRC_A, false),
	RTCP("127.0.0.2:5001", SSRC_A, true),
	RTCP_PEER("127.0.0.2:5001", true),
	END } },
};

#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* The driver's own copy of a held packet. */
struct shadow {
	bool		used;
	struct addr	src;
	uint16_t	seq;
	uint64_t	order;
};

struct run {
	const struct scenario *sc;
	struct latch_config cfg;
	struct latch	l;
	struct latch_rtcp r;
	struct shadow	held[LATCH_HOLD_SLOTS];
	uint64_t	nput;		/* packets put on hold so far */
	uint16_t	released[LATCH_HOLD_SLOTS];
	unsigned	nreleased;	/* by the last RTP step */
	char		where[160];	/* the step, for failure messages */
};

static void
make_addr(struct addr *a, const char *s, int dport, unsigned i)
{
	if (addr_parse_hostport(a, s, 0, AF_UNSPEC) != 0)
		fail_msg("bad address in table: %s", s);
	addr_set_port(a, (uint16_t)(addr_port(a) + dport * (int)i));
}

static const char *
outcome(enum latch_verdict v, int why, char *buf, size_t len)
{
	switch (v) {
	case LATCH_FORWARD:
		snprintf(buf, len, "forward");
		break;
	case LATCH_SWITCHED:
		snprintf(buf, len, "switched (%s)",
		    latch_evidence_name((enum latch_evidence)why));
		break;
	case LATCH_DROP:
		snprintf(buf, len, "drop (%s)",
		    latch_drop_reason_name((enum latch_drop_reason)why));
		break;
	case LATCH_HOLD:
		snprintf(buf, len, "hold");
		break;
	}
	return buf;
}

static const char *const trust_names[] = {
	"none", "signalled", "weak", "strong",
};

/* No scenario may ever send media to an attacker. */
static void
check_no_attacker(struct run *run)
{
	static const char *const attackers[] = { "127.0.0.66", "127.0.0.67" };
	char ip[ADDR_STRLEN];
	size_t i, k;

	/* Nothing of theirs is even held. */
	for (k = 0; k < LATCH_HOLD_SLOTS; k++) {
		if (!addr_is_set(&run->l.held[k].src))
			continue;
		addr_ip_str(&run->l.held[k].src, ip, sizeof(ip));
		for (i = 0; i < sizeof(attackers) / sizeof(attackers[0]); i++)
			if (strcmp(ip, attackers[i]) == 0)
				fail_msg("%s: holding a packet of the attacker %s",
				    run->where, ip);
	}
	if (latch_destination(&run->l) == NULL)
		return;
	addr_ip_str(&run->l.peer, ip, sizeof(ip));
	for (i = 0; i < sizeof(attackers) / sizeof(attackers[0]); i++)
		if (strcmp(ip, attackers[i]) == 0)
			fail_msg("%s: media goes to the attacker %s",
			    run->where, ip);
	if (addr_is_set(&run->r.peer)) {
		addr_ip_str(&run->r.peer, ip, sizeof(ip));
		for (i = 0; i < sizeof(attackers) / sizeof(attackers[0]); i++)
			if (strcmp(ip, attackers[i]) == 0)
				fail_msg("%s: RTCP goes to the attacker %s",
				    run->where, ip);
	}
}

/* addr_equal, except that two unset addresses are the same. */
static bool
same_addr(const struct addr *a, const struct addr *b)
{
	if (!addr_is_set(a) || !addr_is_set(b))
		return addr_is_set(a) == addr_is_set(b);
	return addr_equal(a, b);
}

/*
 * Apply decision `d` for the packet (src, seq) to the driver's copy of
 * the hold area, checking it against the latch's promises.
 */
static void
check_hold_book(struct run *run, const struct latch_decision *d,
    const struct addr *src, uint16_t seq)
{
	struct shadow *h;
	uint64_t last = 0;
	unsigned i, used, gone;
	char a[ADDR_STRLEN];

	run->nreleased = 0;
	if (d->nrelease > 0 && d->verdict != LATCH_SWITCHED &&
	    d->verdict != LATCH_FORWARD)
		fail_msg("%s: a release with verdict %d", run->where, d->verdict);
	for (i = 0; i < d->nrelease; i++) {
		assert_true(d->release[i] < LATCH_HOLD_SLOTS);
		h = &run->held[d->release[i]];
		if (!h->used)
			fail_msg("%s: released empty slot %u", run->where,
			    d->release[i]);
		/* Only the winner's, and in the order they came. */
		if (!addr_equal(&h->src, src) || !addr_equal(&run->l.peer, src))
			fail_msg("%s: released a packet from %s", run->where,
			    addr_str(&h->src, a, sizeof(a)));
		if (i > 0 && h->order <= last)
			fail_msg("%s: released out of order", run->where);
		last = h->order;
		run->released[run->nreleased++] = h->seq;
		h->used = false;
	}
	/* What the latch no longer holds was discarded, and counted so. */
	gone = 0;
	for (i = 0; i < LATCH_HOLD_SLOTS; i++) {
		h = &run->held[i];
		if (h->used && (!addr_is_set(&run->l.held[i].src) ||
		    run->l.held[i].order != h->order)) {
			h->used = false;
			gone++;
		}
	}
	if (gone != d->ndiscarded)
		fail_msg("%s: %u held packets gone, %u said discarded",
		    run->where, gone, d->ndiscarded);
	if (d->verdict == LATCH_HOLD) {
		assert_true(d->slot < run->cfg.hold_count);
		h = &run->held[d->slot];
		if (h->used)
			fail_msg("%s: slot %u still in use", run->where, d->slot);
		h->used = true;
		h->src = *src;
		h->seq = seq;
		h->order = run->l.held[d->slot].order;
		run->nput++;
	}
	for (used = i = 0; i < LATCH_HOLD_SLOTS; i++)
		used += run->held[i].used;
	assert_int_equal(used, run->l.nheld);
	assert_true(run->l.nheld <= run->cfg.hold_count);
}

static void
do_rtp(struct run *run, const struct step *s, const struct addr *src,
    uint64_t t, uint32_t ssrc, uint16_t seq)
{
	struct rtp_info pkt;
	struct latch_decision d;
	uint64_t drops[DROP_REASON_MAX], switches;
	struct addr before;
	char got[64], want[64], a[ADDR_STRLEN], b[ADDR_STRLEN];
	int why;

	memset(&pkt, 0, sizeof(pkt));
	pkt.kind = PKT_RTP;
	pkt.pt = 0;
	pkt.seq = seq;
	pkt.ts = (uint32_t)seq * 160;
	pkt.ssrc = ssrc;
	pkt.hdr_len = RTP_HDR_MIN;
	pkt.payload_len = 160;

	memcpy(drops, run->l.drops, sizeof(drops));
	switches = run->l.switches;
	before = run->l.peer;
	d = latch_on_rtp(&run->l, &pkt, !s->bad_pt, src, t);
	if (d.verdict == LATCH_SWITCHED)
		latch_rtcp_follow(&run->r, &run->l);
	check_hold_book(run, &d, src, seq);
	/* Discarded held packets are counted as unverified drops. */
	drops[DROP_UNVERIFIED] += d.ndiscarded;

	why = d.verdict == LATCH_SWITCHED ? (int)d.evidence :
	    d.verdict == LATCH_DROP ? (int)d.reason : 0;
	if (d.verdict != s->v || (s->v != LATCH_FORWARD && why != s->why))
		fail_msg("%s: got %s, want %s (peer %s, trust %s)", run->where,
		    outcome(d.verdict, why, got, sizeof(got)),
		    outcome(s->v, s->why, want, sizeof(want)),
		    addr_str(&run->l.peer, a, sizeof(a)),
		    trust_names[run->l.trust]);

	/* The bookkeeping the stats rely on. */
	switch (d.verdict) {
	case LATCH_DROP:
		assert_int_equal(run->l.drops[d.reason], drops[d.reason] + 1);
		assert_int_equal(run->l.switches, switches);
		if (!same_addr(&before, &run->l.peer))
			fail_msg("%s: a dropped packet moved the peer", run->where);
		break;
	case LATCH_SWITCHED:
		assert_int_equal(run->l.switches, switches + 1);
		if (!addr_equal(&run->l.peer, src) ||
		    (addr_is_set(&before) && !addr_equal(&d.old_peer, &before)))
			fail_msg("%s: switched to %s from %s", run->where,
			    addr_str(&run->l.peer, a, sizeof(a)),
			    addr_str(&d.old_peer, b, sizeof(b)));
		break;
	case LATCH_FORWARD:
		assert_int_equal(run->l.switches, switches);
		if (!run->l.asymmetric && !addr_equal(&run->l.peer, src))
			fail_msg("%s: forwarded from a non-peer", run->where);
		break;
	case LATCH_HOLD:
		assert_memory_equal(run->l.drops, drops, sizeof(drops));
		assert_int_equal(run->l.switches, switches);
		if (!same_addr(&before, &run->l.peer))
			fail_msg("%s: a held packet moved the peer", run->where);
		break;
	}
}

static void
check_addr(struct run *run, const char *what, const struct addr *got,
    const char *want)
{
	struct addr w;
	char g[ADDR_STRLEN];

	if (want == NULL) {
		if (got != NULL && addr_is_set(got))
			fail_msg("%s: %s is %s, want none", run->where, what,
			    addr_str(got, g, sizeof(g)));
		return;
	}
	make_addr(&w, want, 0, 0);
	if (got == NULL || !addr_equal(got, &w))
		fail_msg("%s: %s is %s, want %s", run->where, what,
		    got ? addr_str(got, g, sizeof(g)) : "none", want);
}

static void
exec_step(struct run *run, unsigned idx, const struct step *s, unsigned i,
    uint32_t dt)
{
	struct addr src;
	uint64_t t = s->t + (uint64_t)i * dt;
	uint32_t ssrc = s->ssrc + i * s->dssrc;
	uint16_t seq = (uint16_t)(s->seq + (int)i * s->dseq);
	struct latch_decision none;
	uint64_t unverified;
	unsigned k;
	bool ok;

	addr_clear(&src);
	if (s->src != NULL)
		make_addr(&src, s->src, s->dport, i);
	snprintf(run->where, sizeof(run->where),
	    "step %u#%u t=%llu %s ssrc=%#x seq=%u", idx + 1, i,
	    (unsigned long long)t, s->src ? s->src : "-", ssrc, seq);

	switch (s->kind) {
	case S_SIGNAL:
		unverified = run->l.drops[DROP_UNVERIFIED];
		latch_on_signal(&run->l, &src, t);
		latch_rtcp_follow(&run->r, &run->l);
		/* Signalling releases nothing; what it discards is a drop. */
		memset(&none, 0, sizeof(none));
		none.verdict = LATCH_DROP;
		for (k = 0; k < LATCH_HOLD_SLOTS; k++)
			none.ndiscarded += run->held[k].used &&
			    !addr_is_set(&run->l.held[k].src);
		check_hold_book(run, &none, &src, 0);
		assert_int_equal(run->l.drops[DROP_UNVERIFIED],
		    unverified + none.ndiscarded);
		break;
	case S_RTP:
		do_rtp(run, s, &src, t, ssrc, seq);
		break;
	case S_RTCP:
		ok = latch_rtcp_on_packet(&run->r, &run->l, ssrc, &src);
		if (ok != (s->why != 0))
			fail_msg("%s: RTCP %s, want %s", run->where,
			    ok ? "accepted" : "rejected",
			    s->why ? "accepted" : "rejected");
		break;
	case S_PEER:
		check_addr(run, "peer", latch_destination(&run->l), s->src);
		if ((int)run->l.trust != s->why)
			fail_msg("%s: trust %s, want %s", run->where,
			    trust_names[run->l.trust], trust_names[s->why]);
		break;
	case S_RTCP_PEER:
		check_addr(run, "RTCP peer", &run->r.peer, s->src);
		if (s->src != NULL && run->r.confirmed != (s->why != 0))
			fail_msg("%s: RTCP port %s, want %s", run->where,
			    run->r.confirmed ? "confirmed" : "guessed",
			    s->why ? "confirmed" : "guessed");
		break;
	case S_RELEASED:
		if (run->nreleased != s->n)
			fail_msg("%s: released %u, want %u", run->where,
			    run->nreleased, s->n);
		for (k = 0; k < s->n; k++)
			if (run->released[k] != s->rel[k])
				fail_msg("%s: released #%u is seq %u, want %u",
				    run->where, k, run->released[k], s->rel[k]);
		break;
	case S_HELD:
		if (run->l.nheld != s->n)
			fail_msg("%s: %u held, want %u", run->where,
			    run->l.nheld, s->n);
		break;
	case S_END:
	case S_LOOP:
		break;
	}
	check_no_attacker(run);
}

static void
run_scenario(void **state)
{
	const struct scenario *sc = *state;
	const struct step *s;
	struct run run;
	unsigned idx, i, k, it;

	memset(&run, 0, sizeof(run));
	run.sc = sc;
	latch_config_default(&run.cfg);
	if (sc->tweak != NULL)
		sc->tweak(&run.cfg);
	latch_init(&run.l, &run.cfg, sc->policy, sc->asymmetric);
	latch_rtcp_init(&run.r);

	for (idx = 0, s = sc->steps; s->kind != S_END; idx++, s++) {
		if (s->kind == S_RELEASED || s->kind == S_HELD) {
			exec_step(&run, idx, s, 0, 0);
			continue;
		}
		if (s->kind != S_LOOP) {
			for (i = 0; i < (s->n ? s->n : 1); i++)
				exec_step(&run, idx, s, i, s->dt);
			continue;
		}
		assert_true(s->back > 0 && s->back <= idx);
		for (it = 1; it <= s->n; it++)
			for (k = idx - s->back; k < idx; k++) {
				/* A looped step is one packet per iteration. */
				assert_true(sc->steps[k].n <= 1);
				exec_step(&run, k, &sc->steps[k], it, s->dt);
			}
	}
}

static void
test_names(void **state)
{
	struct latch_config cfg;

	(void)state;
	latch_config_default(&cfg);
	assert_int_equal(cfg.policy, LATCH_PROBATION);
	assert_int_equal(cfg.strong_count, 2);
	assert_int_equal(cfg.busy_count, 10);
	assert_int_equal(cfg.probation_count, 10);
	assert_int_equal(cfg.guard_ms, 200);
	assert_int_equal(cfg.ptime_ms, 20);
	assert_int_equal(cfg.seq_slack, 50);
	assert_int_equal(cfg.min_switch_interval_ms, 1000);
	assert_int_equal(cfg.max_switches_per_min, 10);
	assert_int_equal(cfg.hold_count, LATCH_HOLD_SLOTS);

	assert_int_equal(latch_policy_parse("off"), LATCH_OFF);
	assert_int_equal(latch_policy_parse("ssrc"), LATCH_SSRC);
	assert_int_equal(latch_policy_parse("probation"), LATCH_PROBATION);
	assert_int_equal(latch_policy_parse("strict"), -1);
	assert_int_equal(latch_policy_parse(""), -1);
	assert_string_equal(latch_policy_name(LATCH_OFF), "off");
	assert_string_equal(latch_policy_name(LATCH_SSRC), "ssrc");
	assert_string_equal(latch_policy_name(LATCH_PROBATION), "probation");

	assert_string_equal(latch_evidence_name(EVIDENCE_SIGNALLED), "signalled");
	assert_string_equal(latch_evidence_name(EVIDENCE_STRONG), "strong");
	assert_string_equal(latch_evidence_name(EVIDENCE_WEAK), "weak");
	assert_string_equal(latch_evidence_name(EVIDENCE_RESUMED), "resumed");
	assert_string_equal(latch_drop_reason_name(DROP_PT), "payload-type");
	assert_string_equal(latch_drop_reason_name(DROP_UNVERIFIED), "unverified");
	assert_string_equal(latch_drop_reason_name(DROP_FLOOD), "flood");
	assert_string_equal(latch_drop_reason_name(DROP_RATE_LIMIT), "rate-limit");
	assert_string_equal(latch_drop_reason_name(DROP_ASYMMETRIC), "asymmetric");
}

/* An RTP peer on port 65535 has no port+1: RTCP must not wrap to 0. */
static void
test_rtcp_port_overflow(void **state)
{
	struct latch_config cfg;
	struct latch l;
	struct latch_rtcp r;
	struct addr a;

	(void)state;
	latch_config_default(&cfg);
	latch_init(&l, &cfg, LATCH_PROBATION, false);
	latch_rtcp_init(&r);
	assert_int_equal(addr_parse(&a, "127.0.0.1", 65535, AF_INET), 0);
	latch_on_signal(&l, &a, 0);
	latch_rtcp_follow(&r, &l);
	assert_true(addr_is_set(&r.peer));
	assert_int_equal(addr_port(&r.peer), 65535);
}

/* The relay could not keep a packet: the latch forgets it, as a drop. */
static void
test_hold_cancel(void **state)
{
	struct latch_config cfg;
	struct latch l;
	struct latch_decision d;
	struct rtp_info pkt;
	struct addr wifi, lte;
	uint64_t unverified;
	uint16_t seq;

	(void)state;
	latch_config_default(&cfg);
	latch_init(&l, &cfg, LATCH_PROBATION, false);
	assert_int_equal(addr_parse_hostport(&wifi, WIFI, 0, AF_UNSPEC), 0);
	assert_int_equal(addr_parse_hostport(&lte, LTE, 0, AF_UNSPEC), 0);
	memset(&pkt, 0, sizeof(pkt));
	pkt.kind = PKT_RTP;
	pkt.ssrc = SSRC_A;
	latch_on_signal(&l, &wifi, 0);
	for (seq = 100; seq < 110; seq++) {
		pkt.seq = seq;
		d = latch_on_rtp(&l, &pkt, true, &wifi, seq * 20u - 2000u);
		assert_int_equal(d.verdict, LATCH_FORWARD);
	}
	pkt.seq = 110;
	d = latch_on_rtp(&l, &pkt, true, &lte, 200);
	assert_int_equal(d.verdict, LATCH_HOLD);
	assert_int_equal(l.nheld, 1);
	unverified = l.drops[DROP_UNVERIFIED];
	latch_hold_cancel(&l, d.slot);
	assert_int_equal(l.nheld, 0);
	assert_int_equal(l.drops[DROP_UNVERIFIED], unverified + 1);
	/* A second cancel of the same slot, or of a bad one, changes nothing. */
	latch_hold_cancel(&l, d.slot);
	latch_hold_cancel(&l, LATCH_HOLD_SLOTS);
	assert_int_equal(l.drops[DROP_UNVERIFIED], unverified + 1);
	pkt.seq = 111;
	d = latch_on_rtp(&l, &pkt, true, &lte, 220);
	assert_int_equal(d.verdict, LATCH_SWITCHED);
	assert_int_equal(d.nrelease, 0);
	assert_int_equal(d.ndiscarded, 0);
}

int
main(void)
{
	static struct CMUnitTest tests[NSCENARIOS + 3];
	size_t i;

	for (i = 0; i < NSCENARIOS; i++) {
		tests[i].name = scenarios[i].name;
		tests[i].test_func = run_scenario;
		tests[i].initial_state = (void *)&scenarios[i];
	}
	tests[i].name = "names and defaults";
	tests[i++].test_func = test_names;
	tests[i].name = "rtcp: port 65535 does not wrap";
	tests[i++].test_func = test_rtcp_port_overflow;
	tests[i].name = "hold: a packet the relay could not keep is a drop";
	tests[i++].test_func = test_hold_cancel;
	return _cmocka_run_group_tests("latch", tests, i, NULL, NULL);
}
