/*
 * sim_report.h - rtproam-sim's results as plain data, and the two ways
 * of printing them: a table for people and JSON for scripts.
 *
 * The JSON keys are a contract with the tests and operators' scripts;
 * they are listed at the top of tools/rtproam-sim.c. Add keys, never
 * rename or drop one.
 */
#ifndef RTPROAM_SIM_REPORT_H
#define RTPROAM_SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
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
