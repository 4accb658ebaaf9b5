/*
 * lease.h - which node of an HA group owns the group's calls (ha.md 4.7),
 * as plain values and pure decisions; store_ha.c does the I/O.
 *
 * The key rtproam:<group>:lease holds "<node> <epoch>" and expires unless
 * its owner renews it; rtproam:<group>:epoch counts the owners there have
 * been, so that two ownerships by the same node differ too. Every write of
 * the owner runs inside a script that applies it only while the lease
 * holds the owner's exact value: a revived old owner cannot write over the
 * records of the node that took over (fencing), and it stops.
 */
#ifndef RTPROAM_STORE_LEASE_H
#define RTPROAM_STORE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_NODE_MAX	64
#define LEASE_VALUE_MAX	(LEASE_NODE_MAX + 1 + 20)

struct lease {
	char		 node[LEASE_NODE_MAX + 1];
	uint64_t	 epoch;
};

/* "<node> <epoch>" (len bytes, no terminator needed): 0, or -1. */
int	lease_parse(const char *s, size_t len, struct lease *out);
/* The value stored in Redis; its length, or -1 if it does not fit. */
int	lease_format(const struct lease *l, char *buf, size_t len);

/*
 * The scripts, loaded with SCRIPT LOAD on every connection and run with
 * EVALSHA (their texts are in lease.c, with what each returns):
 *   TAKE  KEYS lease epoch; ARGV node px same-node-ok
 *   RENEW KEYS lease;       ARGV value px
 *   GUARD KEYS lease;       ARGV value, then per command: argc, argv...
 */
enum lease_script { LEASE_TAKE, LEASE_RENEW, LEASE_GUARD, LEASE_NSCRIPTS };
extern const char *const lease_scripts[LEASE_NSCRIPTS];

enum ha_role { HA_STANDBY, HA_ACTIVE, HA_FENCED };

/* What Redis said about the lease, from any of the three scripts. */
enum lease_event {
	LEASE_WON,	/* TAKE: it is ours now (a new epoch) */
	LEASE_HELD,	/* TAKE: another node holds it */
	LEASE_RENEWED,	/* RENEW: still ours */
	LEASE_GONE,	/* RENEW or GUARD: nobody holds it (expired, Redis emptied) */
	LEASE_STOLEN,	/* RENEW or GUARD: another value: someone took over */
};

enum ha_action {
	HA_NOTHING,
	HA_TAKE,	/* ask for the lease */
	HA_RESTORE,	/* restore the group's calls, then serve them */
	HA_STOP,	/* another node owns our calls: stop relaying */
};

struct ha_step {
	enum ha_role	 role;
	enum ha_action	 action;
};

/* What a node in `role` does when Redis tells it `ev`. */
struct ha_step ha_next(enum ha_role role, enum lease_event ev);

const char *ha_role_name(enum ha_role role);

#endif
