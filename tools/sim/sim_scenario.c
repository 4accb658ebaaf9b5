/*
 * sim_scenario.c - option and reply parsing for rtproam-sim. Pure.
 */
#include "sim_scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

/* Longest option string we take apart; anything longer is a typo. */
#define SPEC_MAX	256
#define SPEC_TOKENS	16

static const char *const move_names[] = {
	[SIM_MOVE_PORT] = "port",
	[SIM_MOVE_IP] = "ip",
	[SIM_MOVE_IPPORT] = "ipport",
	[SIM_MOVE_BACK] = "back",
};

static const char *const attack_names[] = {
	[SIM_ATK_NONE] = "none",
	[SIM_ATK_GARBAGE] = "garbage",
	[SIM_ATK_RTPFLOOD] = "rtpflood",
	[SIM_ATK_SLOW] = "slow",
	[SIM_ATK_RACE] = "race",
	[SIM_ATK_RTCPREPLAY] = "rtcpreplay",
	[SIM_ATK_SSRCGUESS] = "ssrcguess",
};

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * A whole token must be a decimal number within [lo, hi]; "12abc" or an
 * empty string is refused rather than read as 12 or 0.
 */
static int
parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *ep;
	long long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * Copy spec and cut it at every ':' and ','. Returns the token count or
 * -1 when the string is too long or has too many parts.
 */
static int
split(const char *spec, char *buf, size_t buflen, char **tok)
{
	size_t n = strlen(spec);
	int nt = 0;
	char *p;

	if (n == 0 || n >= buflen)
		return -1;
	memcpy(buf, spec, n + 1);
	tok[nt++] = buf;
	for (p = buf; *p != '\0'; p++) {
		if (*p != ':' && *p != ',')
			continue;
		if (nt == SPEC_TOKENS)
			return -1;
		*p = '\0';
		tok[nt++] = p + 1;
	}
	return nt;
}

/* "name=value": point *val at value when tok starts with name=. */
static bool
opt_is(const char *tok, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(tok, name, n) != 0 || tok[n] != '=')
		return false;
	*val = tok + n + 1;
	return true;
}

const char *
sim_move_kind_name(enum sim_move_kind k)
{
	if ((size_t)k < sizeof(move_names) / sizeof(move_names[0]))
		return move_names[k];
	return "?";
}

const char *
sim_attack_kind_name(enum sim_attack_kind k)
{
	if ((size_t)k < sizeof(attack_names) / sizeof(attack_names[0]))
		return attack_names[k];
	return "?";
}

int
sim_move_parse(const char *spec, struct sim_move *m, char *err, size_t errlen)
{
	char buf[SPEC_MAX], *tok[SPEC_TOKENS];
	const char *val;
	int nt, i;
	size_t k;

	memset(m, 0, sizeof(*m));
	if ((nt = split(spec, buf, sizeof(buf), tok)) < 2)
		return fail(err, errlen, "move '%s': want T:KIND[:opts]", spec);
	if (parse_num(tok[0], 0, SIM_MAX_MS, &m->at_ms) == -1)
		return fail(err, errlen, "move '%s': bad time '%s'", spec,
		    tok[0]);
	for (k = 0; k < sizeof(move_names) / sizeof(move_names[0]); k++)
		if (strcmp(tok[1], move_names[k]) == 0)
			break;
	if (k == sizeof(move_names) / sizeof(move_names[0]))
		return fail(err, errlen,
		    "move '%s': kind must be port, ip, ipport or back", spec);
	m->kind = (enum sim_move_kind)k;

	for (i = 2; i < nt; i++) {
		if (strcmp(tok[i], "newssrc") == 0)
			m->newssrc = true;
		else if (strcmp(tok[i], "reinvite") == 0)
			m->reinvite = true;
		else if (opt_is(tok[i], "overlap", &val)) {
			if (parse_num(val, 0, 60000, &m->overlap_ms) == -1)
				return fail(err, errlen, "move '%s': overlap"
				    " wants 0..60000 ms", spec);
		} else if (opt_is(tok[i], "silence", &val)) {
			if (parse_num(val, 0, 60000, &m->silence_ms) == -1)
				return fail(err, errlen, "move '%s': silence"
				    " wants 0..60000 ms", spec);
		} else
			return fail(err, errlen,
			    "move '%s': unknown option '%s'", spec, tok[i]);
	}
	/* Silence is a stretch of the media before the move, not before it. */
	if (m->silence_ms > m->at_ms)
		return fail(err, errlen, "move '%s': silence is longer than"
		    " the time before the move", spec);
	return 0;
}

static void
attack_defaults(struct sim_attack *a, enum sim_attack_kind k)
{
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->rate = 50;
	a->ports = 1;
	a->stop_ms = -1;
	a->legs = SIM_LEG_A | SIM_LEG_B;
	switch (k) {
	case SIM_ATK_GARBAGE:
	case SIM_ATK_RTPFLOOD:
		a->rate = 1000;
		a->ports = 32;
		break;
	case SIM_ATK_RACE:
		/* Early enough that the first packet a relay sees is ours. */
		a->start_ms = -500;
		break;
	default:
		break;
	}
	(void)addr_parse(&a->from, "127.0.0.66", 0, AF_INET);
}

int
sim_attack_parse(const char *spec, struct sim_attack *a, char *err,
    size_t errlen)
{
	char buf[SPEC_MAX], *tok[SPEC_TOKENS];
	const char *val;
	int64_t v;
	int nt, i;
	size_t k;

	if ((nt = split(spec, buf, sizeof(buf), tok)) < 1)
		return fail(err, errlen, "attack '%s': want KIND[:opts]", spec);
	for (k = 1; k < sizeof(attack_names) / sizeof(attack_names[0]); k++)
		if (strcmp(tok[0], attack_names[k]) == 0)
			break;
	if (k == sizeof(attack_names) / sizeof(attack_names[0]))
		return fail(err, errlen, "attack '%s': unknown kind '%s'", spec,
		    tok[0]);
	attack_defaults(a, (enum sim_attack_kind)k);

	for (i = 1; i < nt; i++) {
		if (opt_is(tok[i], "rate", &val)) {
			if (parse_num(val, 1, SIM_MAX_RATE, &v) == -1)
				return fail(err, errlen,
				    "attack: rate wants 1..%d", SIM_MAX_RATE);
			a->rate = (unsigned)v;
		} else if (opt_is(tok[i], "from", &val)) {
			if (addr_parse(&a->from, val, 0, AF_INET) == -1 ||
			    !sim_addr_is_loopback(&a->from))
				return fail(err, errlen, "attack: from wants"
				    " an IPv4 loopback address");
		} else if (opt_is(tok[i], "start", &val)) {
			if (parse_num(val, -10000, SIM_MAX_MS,
			    &a->start_ms) == -1)
				return fail(err, errlen, "attack: start wants"
				    " -10000..%d ms", SIM_MAX_MS);
		} else if (opt_is(tok[i], "stop", &val)) {
			if (parse_num(val, -10000, SIM_MAX_MS,
			    &a->stop_ms) == -1)
				return fail(err, errlen, "attack: stop wants"
				    " -10000..%d ms", SIM_MAX_MS);
		} else if (opt_is(tok[i], "ports", &val)) {
			if (parse_num(val, 1, SIM_MAX_ATTACK_PORTS, &v) == -1)
				return fail(err, errlen,
				    "attack: ports wants 1..%d",
				    SIM_MAX_ATTACK_PORTS);
			a->ports = (unsigned)v;
		} else if (opt_is(tok[i], "legs", &val)) {
			if (strcmp(val, "a") == 0)
				a->legs = SIM_LEG_A;
			else if (strcmp(val, "b") == 0)
				a->legs = SIM_LEG_B;
			else if (strcmp(val, "ab") == 0)
				a->legs = SIM_LEG_A | SIM_LEG_B;
			else
				return fail(err, errlen,
				    "attack: legs wants a, b or ab");
		} else
			return fail(err, errlen,
			    "attack '%s': unknown option '%s'", spec, tok[i]);
	}
	if (a->stop_ms != -1 && a->stop_ms <= a->start_ms)
		return fail(err, errlen,
		    "attack '%s': stop must be after start", spec);
	return 0;
}

int
sim_relay_parse(const char *spec, struct addr *a)
{
	int family = AF_UNSPEC;

	if (strncmp(spec, "udp6:", 5) == 0) {
		spec += 5;
		family = AF_INET6;
	} else if (strncmp(spec, "udp:", 4) == 0) {
		spec += 4;
		family = AF_INET;
	}
	/* Only UDP carries cookies; unix/tcp control is out of scope here. */
	if (strchr(spec, '/') != NULL)
		return -1;
	return addr_parse_hostport(a, spec, 22222, family);
}

int
sim_relay_parse_proto(const char *spec, enum sim_proto *p, struct addr *a)
{
	*p = SIM_PROTO_RTPP;
	if (strncmp(spec, "ng:", 3) == 0) {
		*p = SIM_PROTO_NG;
		spec += 3;
	} else if (strncmp(spec, "rtpp:", 5) == 0)
		spec += 5;
	return sim_relay_parse(spec, a);
}

const char *
sim_proto_name(enum sim_proto p)
{
	return p == SIM_PROTO_NG ? "ng" : "rtpp";
}

bool
sim_addr_is_loopback(const struct addr *a)
{
	switch (addr_family(a)) {
	case AF_INET:
		return (ntohl(a->u.sin.sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		return IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr);
	}
	return false;
}

enum sim_reply_kind
sim_reply_parse(const char *buf, size_t len, const char *cookie,
    struct sim_reply *r)
{
	char body[256], *tok[4], *save = NULL, *t;
	size_t cl = strlen(cookie);
	int64_t v;
	int nt = 0;

	memset(r, 0, sizeof(*r));
	/* The cookie, exactly one space, then the body (reference 1.1). */
	if (len <= cl + 1 || memcmp(buf, cookie, cl) != 0 || buf[cl] != ' ')
		return SIM_REPLY_BAD;
	buf += cl + 1;
	len -= cl + 1;
	if (len >= sizeof(body) || memchr(buf, '\0', len) != NULL)
		return SIM_REPLY_BAD;
	memcpy(body, buf, len);
	body[len] = '\0';

	for (t = strtok_r(body, " \t\r\n", &save); t != NULL && nt < 4;
	    t = strtok_r(NULL, " \t\r\n", &save))
		tok[nt++] = t;
	if (nt == 0 || nt > 3)
		return SIM_REPLY_BAD;
	if (tok[0][0] == 'E') {
		if (nt != 1 || parse_num(tok[0] + 1, 0, 999, &v) == -1)
			return SIM_REPLY_BAD;
		r->code = (int)v;
		return r->kind = SIM_REPLY_ERROR;
	}
	if (parse_num(tok[0], 0, 65535, &v) == -1)
		return SIM_REPLY_BAD;
	r->port = (unsigned)v;
	if (nt >= 2) {
		if (strlen(tok[1]) >= sizeof(r->host))
			return SIM_REPLY_BAD;
		memcpy(r->host, tok[1], strlen(tok[1]) + 1);
	}
	/* A third token is the family, which only rtpengine spells out. */
	if (nt == 3 && strcmp(tok[2], "4") != 0 && strcmp(tok[2], "6") != 0)
		return SIM_REPLY_BAD;
	return r->kind = SIM_REPLY_PORT;
}
