/*
 * lease.c - the lease's value, its scripts, and what a node does next
 * (lease.h).
 */
#include "store/lease.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/ascii.h"

int
lease_parse(const char *s, size_t len, struct lease *out)
{
	const char *sp = memchr(s, ' ', len);
	size_t nlen, i;
	uint64_t e = 0;

	if (sp == NULL)
		return -1;
	nlen = (size_t)(sp - s);
	/* Canonical only (as INCR writes it): no leading zero, 1..20 digits. */
	if (!ascii_name_ok(s, nlen) || sp + 1 == s + len || s + len - sp - 1 > 20 ||
	    sp[1] == '0')
		return -1;
	for (i = nlen + 1; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || e > (UINT64_MAX - d) / 10)
			return -1;
		e = e * 10 + d;
	}
	if (e == 0)
		return -1;	/* INCR starts at 1 */
	memcpy(out->node, s, nlen);
	out->node[nlen] = '\0';
	out->epoch = e;
	return 0;
}

int
lease_format(const struct lease *l, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %" PRIu64, l->node, l->epoch);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

/*
 * Lua, run atomically by Redis. A nil GET is `false` in Redis' Lua.
 * TAKE returns {1, value} when the lease is now ours, {0, holder} when
 * another node holds it; with ARGV[3] = "1" a lease held by our own node
 * id is taken too (a restarted node: its previous run is dead).
 * RENEW returns 1 (renewed), 0 (nobody holds it) or the holder's value.
 * GUARD runs the commands only while the lease is ours, else fails with
 * "FENCED <holder>" or "NOLEASE"; scripts are atomic, so the MULTI/EXEC
 * around a whole-record write is not needed inside it.
 */
const char *const lease_scripts[LEASE_NSCRIPTS] = {
	[LEASE_TAKE] =
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if v then\n"
	    "  local holder = string.match(v, '^(%S+) ')\n"
	    "  if ARGV[3] ~= '1' or holder ~= ARGV[1] then return {0, v} end\n"
	    "end\n"
	    "local e = redis.call('INCR', KEYS[2])\n"
	    "v = ARGV[1] .. ' ' .. e\n"
	    "redis.call('SET', KEYS[1], v, 'PX', ARGV[2])\n"
	    "return {1, v}\n",
	[LEASE_RENEW] =
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if v == ARGV[1] then\n"
	    "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	    "  return 1\n"
	    "end\n"
	    "if not v then return 0 end\n"
	    "return v\n",
	[LEASE_GUARD] =
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if v ~= ARGV[1] then\n"
	    "  if v then return redis.error_reply('FENCED ' .. v) end\n"
	    "  return redis.error_reply('NOLEASE')\n"
	    "end\n"
	    "local i = 2\n"
	    "while i <= #ARGV do\n"
	    "  local n = tonumber(ARGV[i])\n"
	    "  redis.call(unpack(ARGV, i + 1, i + n))\n"
	    "  i = i + n + 1\n"
	    "end\n"
	    "return 1\n",
};

struct ha_step
ha_next(enum ha_role role, enum lease_event ev)
{
	switch (role) {
	case HA_STANDBY:
		if (ev == LEASE_WON)
			return (struct ha_step){ HA_ACTIVE, HA_RESTORE };
		return (struct ha_step){ HA_STANDBY, HA_NOTHING };
	case HA_ACTIVE:
		switch (ev) {
		case LEASE_WON:
		case LEASE_RENEWED:
			return (struct ha_step){ HA_ACTIVE, HA_NOTHING };
		case LEASE_GONE:
			/* Expired while Redis was away, or Redis lost it: ours again. */
			return (struct ha_step){ HA_ACTIVE, HA_TAKE };
		case LEASE_HELD:
		case LEASE_STOLEN:
			/* Another node serves our calls now: two relays must not. */
			return (struct ha_step){ HA_FENCED, HA_STOP };
		}
		break;
	case HA_FENCED:
		break;
	}
	return (struct ha_step){ HA_FENCED, HA_NOTHING };
}

const char *
ha_role_name(enum ha_role role)
{
	switch (role) {
	case HA_STANDBY:
		return "standby";
	case HA_ACTIVE:
		return "active";
	case HA_FENCED:
		return "fenced";
	}
	return "?";
}
