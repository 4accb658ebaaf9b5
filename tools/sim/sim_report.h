/*
 * sim_report.h - rtproam-sim's results as plain data, and the two ways
 * of printing them: a table for people and JSON for scripts.
 *
 * The JSON keys are a contract with the tests and operators' scripts.
 * Add keys, never rename or drop one.
 *
 * JSON output (--json FILE, or --json - for stdout instead of the
 * table); times in ms, null when there is no value:
 *
 *   version               1
 *   relay                 control address, "HOST:PORT"
 *   protocol              the control protocol: "rtpp" or "ng"
 *   callid, from_tag, to_tag
 *   setup                 {done, relay_port_a, relay_port_b, media_addr}
 *                         relay_port_a: where A sends (L reply);
 *                         relay_port_b: where B sends (U reply)
 *   teardown_ok           D was answered (null without setup)
 *   duration_ms, rtcp_interval_ms, window_ms
 *   phones.a, phones.b    {addr, ssrc, final_addr, final_ssrc, relay,
 *                          send_errors}; relay = where it sent at the end
 *   directions.a_to_b, directions.b_to_a (sent by the first, received
 *   by the second phone):
 *     sent, received      packets sent; distinct packets accepted at an
 *                         address the receiver was using at that time
 *     lost                sent - received
 *     duplicates          accepted copies beyond the first
 *     latency_p50_ms, latency_p99_ms   first accepted copy, nearest rank
 *     injected            packets at the receiver not sent by its peer:
 *                         the attacker's, or unrecognisable ones
 *     to_old              peer packets that reached an address the
 *                         receiver had already left
 *     echoed              the receiver's own packets sent back to it
 *     misrouted           RTP on the RTCP socket or RTCP on the RTP one
 *     rtcp_sent, rtcp_received, rtcp_injected, rtcp_to_old
 *   moves[]               one per --move, in time order:
 *     at_ms, kind, phone, from, to, newssrc, overlap_ms, silence_ms,
 *     reinvite, reinvite_ok (null without reinvite)
 *     uplink_switched     a packet the mover sent from the new address
 *                         reached the other phone
 *     uplink_switch_pkts  packets sent from the new address before the
 *                         first one that arrived (all of them if none)
 *     uplink_switch_ms    first arrival - first send from the new address
 *     downlink_switched   the other phone's media reached the new address
 *     downlink_switch_ms  first delivery there - mover's first packet from
 *                         there (negative: the relay moved on signalling)
 *     downlink_switch_pkts  the other phone's packets sent in between
 *     lost_up, lost_down  mover's / other phone's packets sent within
 *                         +-window_ms of the move and never accepted
 *     to_old_rtp, to_old_rtcp   arrivals at left addresses during this
 *                         move's period (until the next move or the end)
 *     rtcp_to_new         other phone's RTCP received at the new RTCP
 *                         address; rtcp_to_new_ok = rtcp_to_new > 0
 *     rtcp_from_new       mover's RTCP from the new address that arrived
 *   attack                null, or {kind, from, ports, rate, start_ms,
 *                         stop_ms, sent, send_errors, leaked_rtp,
 *                         leaked_rtcp, leaked_from_a, leaked_from_b,
 *                         leaked_other, injected_rtp, injected_rtcp}
 *                         leaked_rtp/_rtcp: every packet the attacker's
 *                         sockets got from the relay; of those,
 *                         leaked_from_a/_b carry a phone's marker and
 *                         leaked_other is the attacker's own traffic
 *                         relayed back (or unrecognisable);
 *                         injected_*: attacker-marked packets the phones
 *                         got
 */
#ifndef RTPROAM_SIM_REPORT_H
#define RTPROAM_SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/addr.h"
#include "sim_metrics.h"
#include "sim_scenario.h"

/* One direction: sent by one phone, received by the other. */
struct sim_dir_report {
	struct sim_flow_sum	flow;
	uint64_t		injected, to_old, echoed, misrouted;
	uint64_t		rtcp_sent, rtcp_received, rtcp_injected;
	uint64_t		rtcp_to_old;
};

struct sim_phone_report {
	char		addr[ADDR_STRLEN];	/* where the call started */
	char		final_addr[ADDR_STRLEN];
	char		relay[ADDR_STRLEN];	/* where it sent at the end */
	uint32_t	ssrc, final_ssrc;
	uint64_t	send_errors;
};

struct sim_move_report {
	struct sim_move		spec;
	char			phone;		/* 'a' or 'b' */
	char			from[ADDR_STRLEN], to[ADDR_STRLEN];
	int			reinvite_ok;	/* -1: no reinvite asked */
	struct sim_switch	sw;
	uint64_t		to_old_rtp, to_old_rtcp;
	uint64_t		rtcp_to_new, rtcp_from_new;
};

struct sim_attack_report {
	struct sim_attack	cfg;
	int64_t			stop_ms;	/* resolved */
	uint64_t		sent, send_errors;
	uint64_t		leaked_rtp, leaked_rtcp;
	uint64_t		leaked_a, leaked_b, leaked_other;
	uint64_t		injected_rtp, injected_rtcp;
};

struct sim_report {
	char			relay[ADDR_STRLEN];
	enum sim_proto		protocol;
	char			callid[96];
	char			tag[2][32];
	bool			setup;		/* U/L/D were used */
	bool			setup_done;
	int			teardown;	/* -1 none, 0 failed, 1 ok */
	unsigned		relay_port_a, relay_port_b;
	char			media_addr[64];
	int64_t			duration_ms, rtcp_interval_ms, window_ms;
	struct sim_phone_report	phone[2];	/* a, b */
	struct sim_dir_report	dir[2];		/* a_to_b, b_to_a */
	struct sim_move_report	move[SIM_MAX_MOVES];
	int			nmoves;
	bool			attack;
	struct sim_attack_report atk;
};

void	sim_report_json(FILE *f, const struct sim_report *r);
void	sim_report_table(FILE *f, const struct sim_report *r);

#endif
