/*
 * sdp.c - split an SDP into lines, classify them, read the facts the ng
 * offer/answer code needs. Pure; see sdp.h.
 */
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a line of the session part set, copied into each media at the end. */
struct sess_facts {
	bool		 has_ice, has_fingerprint;
	struct sdp_str	 ice_ufrag, ice_pwd, fingerprint, setup;
};

struct parser {
	struct sdp	*s;
	struct sdp_media *m;		/* NULL in the session part */
	struct sess_facts sess;
	size_t		 lineno;	/* 1-based, for messages */
	char		*err;
	size_t		 errlen;
};

static int	fail(struct parser *ps, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *ps, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ps->errlen > 0) {
		if (ps->lineno > 0)
			snprintf(ps->err, ps->errlen,
			    "Failed to parse SDP: line %zu: %s", ps->lineno, why);
		else
			snprintf(ps->err, ps->errlen, "Failed to parse SDP: %s",
			    why);
	}
	return -1;
}

/* A view of [p, end) with fields split on blanks. */
struct cursor {
	const char	*p, *end;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated field; len 0 at the end. */
static struct sdp_str
next_field(struct cursor *c)
{
	struct sdp_str f;

	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	f.p = c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	f.len = (size_t)(c->p - f.p);
	return f;
}

static bool
str_is(struct sdp_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

/* Decimal digits only, at most max. Returns -1 otherwise. */
static long
parse_num(struct sdp_str s, long max)
{
	long v = 0;
	size_t i;

	if (s.len == 0 || s.len > 10)
		return -1;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v <= max ? v : -1;
}

/*
 * "IN IP4 addr" from three fields. A multicast "/ttl[/n]" suffix is not
 * part of the address. Returns 0, or -1 for anything else.
 */
static int
parse_addr(struct sdp_str net, struct sdp_str type, struct sdp_str ip,
    struct sdp_addr *a)
{
	unsigned char bin[16];
	const char *slash;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!str_is(net, "IN"))
		return -1;
	if (str_is(type, "IP4"))
		a->family = AF_INET;
	else if (str_is(type, "IP6"))
		a->family = AF_INET6;
	else
		return -1;
	if ((slash = memchr(ip.p, '/', ip.len)) != NULL)
		ip.len = (size_t)(slash - ip.p);
	if (ip.len == 0 || ip.len >= sizeof(a->ip))
		goto bad;
	memcpy(a->ip, ip.p, ip.len);
	a->ip[ip.len] = '\0';
	if (inet_pton(a->family, a->ip, bin) != 1)
		goto bad;
	a->zero = true;
	for (i = 0; i < (a->family == AF_INET ? 4u : 16u); i++)
		if (bin[i] != 0)
			a->zero = false;
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	return -1;
}

static int
parse_conn(struct parser *ps, struct sdp_line *l)
{
	struct cursor c = { l->p + 2, l->p + l->len };
	struct sdp_str net, type, ip;
	struct sdp_addr a;

	net = next_field(&c);
	type = next_field(&c);
	ip = next_field(&c);
	if (parse_addr(net, type, ip, &a) == -1 || next_field(&c).len != 0)
		return fail(ps, "c= with a bad address");
	l->zero = a.zero;
	if (ps->m != NULL)
		ps->m->conn = a;
	else
		ps->s->conn = a;
	return 0;
}

/*
 * o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>.
 * Not an error when it does not parse: o= is only rewritten on request,
 * and a hostname is legal there.
 */
static void
parse_origin(struct parser *ps, struct sdp_line *l)
{
	struct cursor c = { l->p + 2, l->p + l->len };
	struct sdp_str net, type, ip;
	int i;

	for (i = 0; i < 3; i++)
		if (next_field(&c).len == 0)
			return;
	net = next_field(&c);
	type = next_field(&c);
	ip = next_field(&c);
	if (ip.len == 0 || next_field(&c).len != 0)
		return;
	l->aux = (uint32_t)(net.p - l->p);
	(void)parse_addr(net, type, ip, &ps->s->origin);
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int
parse_media(struct parser *ps, struct sdp_line *l, size_t idx)
{
	struct cursor c = { l->p + 2, l->p + l->len };
	struct sdp_str type, port, count = { NULL, 0 }, proto, fmt;
	struct sdp_media *m;
	const char *slash;
	long v, n = 1;

	if (ps->s->nmedia == SDP_MAX_MEDIA)
		return fail(ps, "too many m= lines (more than %d)",
		    SDP_MAX_MEDIA);
	type = next_field(&c);
	port = next_field(&c);
	proto = next_field(&c);
	fmt = next_field(&c);
	if (fmt.len == 0)
		return fail(ps, "m= has too few fields");
	if ((slash = memchr(port.p, '/', port.len)) != NULL) {
		count.p = slash + 1;
		count.len = (size_t)(port.p + port.len - count.p);
		port.len = (size_t)(slash - port.p);
		if ((n = parse_num(count, 65535)) < 1)
			return fail(ps, "m= port count not a number");
	}
	if ((v = parse_num(port, 65535)) < 0)
		return fail(ps, "m= port not a number");

	m = &ps->s->media[ps->s->nmedia++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->port = (uint16_t)v;
	m->nports = (unsigned)n;
	m->proto = proto;
	m->fmts.p = fmt.p;
	m->fmts.len = (size_t)(l->p + l->len - fmt.p);
	/* Trailing blanks are not part of the format list. */
	while (m->fmts.len > 0 && is_blank(m->fmts.p[m->fmts.len - 1]))
		m->fmts.len--;
	m->rtcp_port = -1;
	m->line_first = idx;
	m->line_end = idx + 1;
	l->aux = (uint32_t)(port.p + port.len - l->p) +
	    (count.p != NULL ? (uint32_t)count.len + 1 : 0);
	ps->m = m;
	return 0;
}

/* a=rtcp:<port> [IN IP4 <addr>]; ignored when malformed. */
static void
parse_rtcp(struct sdp_media *m, struct sdp_str val)
{
	struct cursor c = { val.p, val.p + val.len };
	struct sdp_str port, net, type, ip;
	long v;

	port = next_field(&c);
	if ((v = parse_num(port, 65535)) < 0)
		return;
	m->rtcp_port = (int)v;
	net = next_field(&c);
	if (net.len == 0)
		return;
	type = next_field(&c);
	ip = next_field(&c);
	(void)parse_addr(net, type, ip, &m->rtcp_addr);
}

/*
 * Attributes the relay owns. Some it regenerates (direction, rtcp,
 * rtcp-mux); the rest become lies once a relay sits between the parties:
 *   group:BUNDLE	we give each m= its own ports, so nothing is bundled
 *   bundle-only	(RFC 8843) would make the answerer drop the section
 *   crypto, key-mgmt	the peer's SRTP keys; whoever terminates SRTP on
 *			our leg must offer its own (out.media[].extra)
 *   fingerprint,	the peer's DTLS certificate and role; DTLS runs
 *   setup, tls-id	between the party and the relay, not end to end
 *   rtcp-mux-only	(RFC 8858) we may demultiplex RTCP on this leg
 *   ice-lite		says what ICE agent sits at our address: not the peer
 * and with strip_ice the peer's ICE lines (its candidates skip the relay):
 *   ice-ufrag, ice-pwd, ice-options, ice-*, candidate, end-of-candidates,
 *   remote-candidates.
 * Everything else (rtpmap, fmtp, rtcp-fb, ptime, extmap, mid, ssrc, msid,
 * other groups, vendor attributes) stays true through a relay and is kept.
 */
static void
classify_attr(struct parser *ps, struct sdp_line *l)
{
	struct sdp_str name, val;
	struct sdp_media *m = ps->m;
	struct sess_facts *sf = &ps->sess;
	const char *colon;
	enum sdp_dir dir = SDP_DIR_UNSET;

	name.p = l->p + 2;
	name.len = l->len - 2;
	/* No value: an empty one at the end of the line, never NULL. */
	val.p = l->p + l->len;
	val.len = 0;
	if ((colon = memchr(name.p, ':', name.len)) != NULL) {
		val.p = colon + 1;
		val.len = (size_t)(name.p + name.len - val.p);
		name.len = (size_t)(colon - name.p);
	}

	if (str_is(name, "sendrecv"))
		dir = SDP_SENDRECV;
	else if (str_is(name, "sendonly"))
		dir = SDP_SENDONLY;
	else if (str_is(name, "recvonly"))
		dir = SDP_RECVONLY;
	else if (str_is(name, "inactive"))
		dir = SDP_INACTIVE;
	if (dir != SDP_DIR_UNSET) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			m->dir = dir;
		else
			ps->s->dir = dir;
		return;
	}

	if (str_is(name, "rtcp")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			parse_rtcp(m, val);
	} else if (str_is(name, "rtcp-mux")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			m->rtcp_mux = true;
	} else if (str_is(name, "group")) {
		if (val.len >= 6 && strncasecmp(val.p, "BUNDLE", 6) == 0 &&
		    (val.len == 6 || is_blank(val.p[6])))
			l->kind = SDP_L_OWNED;
	} else if (str_is(name, "crypto")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			m->has_crypto = true;
	} else if (str_is(name, "fingerprint")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL) {
			m->has_fingerprint = true;
			m->fingerprint = val;
		} else {
			sf->has_fingerprint = true;
			sf->fingerprint = val;
		}
	} else if (str_is(name, "setup")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			m->setup = val;
		else
			sf->setup = val;
	} else if (str_is(name, "tls-id") || str_is(name, "key-mgmt") ||
	    str_is(name, "rtcp-mux-only") || str_is(name, "bundle-only")) {
		l->kind = SDP_L_OWNED;
	} else if (str_is(name, "ice-lite")) {
		l->kind = SDP_L_OWNED;
		if (m != NULL)
			m->has_ice = true;
		else
			sf->has_ice = true;
	} else if ((name.len >= 4 && strncasecmp(name.p, "ice-", 4) == 0) ||
	    str_is(name, "candidate") || str_is(name, "end-of-candidates") ||
	    str_is(name, "remote-candidates")) {
		l->kind = SDP_L_ICE;
		if (m != NULL) {
			m->has_ice = true;
			if (str_is(name, "candidate"))
				m->ncandidates++;
			else if (str_is(name, "ice-ufrag"))
				m->ice_ufrag = val;
			else if (str_is(name, "ice-pwd"))
				m->ice_pwd = val;
		} else {
			sf->has_ice = true;
			if (str_is(name, "ice-ufrag"))
				sf->ice_ufrag = val;
			else if (str_is(name, "ice-pwd"))
				sf->ice_pwd = val;
		}
	}
}

static int
parse_line(struct parser *ps, struct sdp_line *l, size_t idx)
{
	if (memchr(l->p, '\0', l->len) != NULL)
		return fail(ps, "NUL byte");
	if (l->len < 2 || l->p[0] < 'a' || l->p[0] > 'z' || l->p[1] != '=')
		return fail(ps, "not of the form x=value");
	if (idx == 0) {
		if (l->p[0] != 'v')
			return fail(ps, "the first line is not v=");
		return 0;
	}
	/* A section runs to the next m= line (which starts its own). */
	if (ps->m != NULL && l->p[0] != 'm')
		ps->m->line_end = idx + 1;
	switch (l->p[0]) {
	case 'v':
		return fail(ps, "a second v= line");
	case 'o':
		l->kind = SDP_L_ORIGIN;
		if (ps->m == NULL)
			parse_origin(ps, l);
		else
			l->kind = SDP_L_KEEP;
		return 0;
	case 'c':
		l->kind = SDP_L_CONN;
		return parse_conn(ps, l);
	case 'm':
		l->kind = SDP_L_MEDIA;
		return parse_media(ps, l, idx);
	case 'i':
		l->kind = SDP_L_INFO;
		return 0;
	case 'a':
		classify_attr(ps, l);
		return 0;
	}
	return 0;
}

/* Session-level ICE and DTLS lines apply to every media (RFC 8839, 8842). */
static void
inherit_session(struct sdp *s, const struct sess_facts *sf)
{
	struct sdp_media *m;
	unsigned i;

	for (i = 0; i < s->nmedia; i++) {
		m = &s->media[i];
		m->has_ice |= sf->has_ice;
		m->has_fingerprint |= sf->has_fingerprint;
		if (m->ice_ufrag.len == 0)
			m->ice_ufrag = sf->ice_ufrag;
		if (m->ice_pwd.len == 0)
			m->ice_pwd = sf->ice_pwd;
		if (m->fingerprint.len == 0)
			m->fingerprint = sf->fingerprint;
		if (m->setup.len == 0)
			m->setup = sf->setup;
	}
}

/* Split buf into lines. Returns the number of lines, or 0 when none. */
static size_t
split_lines(struct sdp_line *lines, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n = 0, l;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		memset(&lines[n], 0, sizeof(lines[n]));
		lines[n].p = p;
		lines[n].len = (uint32_t)(l > 0 && p[l - 1] == '\r' ? l - 1 : l);
		n++;
		p += l + (nl != NULL);
	}
	/* Blank lines at the end are an artefact of the SIP body, not SDP. */
	while (n > 0 && lines[n - 1].len == 0)
		n--;
	return n;
}

int
sdp_parse(struct sdp *s, const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser ps;
	const char *p, *end;
	size_t nl = 1, i;

	memset(s, 0, sizeof(*s));
	memset(&ps, 0, sizeof(ps));
	ps.s = s;
	ps.err = err;
	ps.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';

	if (len == 0)
		return fail(&ps, "empty body");
	/* Offsets in struct sdp_line are 32-bit; ng bodies are < 64 KiB. */
	if (len > UINT32_MAX)
		return fail(&ps, "too large");
	for (p = buf, end = buf + len;
	    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		nl++;
	if ((s->lines = calloc(nl, sizeof(*s->lines))) == NULL)
		return fail(&ps, "out of memory");
	s->nlines = split_lines(s->lines, buf, len);
	if (s->nlines == 0) {
		sdp_free(s);
		return fail(&ps, "empty body");
	}
	for (i = 0; i < s->nlines; i++) {
		ps.lineno = i + 1;
		if (parse_line(&ps, &s->lines[i], i) == -1) {
			sdp_free(s);
			return -1;
		}
	}
	inherit_session(s, &ps.sess);
	return 0;
}

void
sdp_free(struct sdp *s)
{
	free(s->lines);
	s->lines = NULL;
	s->nlines = 0;
	s->nmedia = 0;
}

const struct sdp_addr *
sdp_media_addr(const struct sdp *s, unsigned i)
{
	if (i >= s->nmedia)
		return NULL;
	if (s->media[i].conn.family != 0)
		return &s->media[i].conn;
	if (s->conn.family != 0)
		return &s->conn;
	return NULL;
}

enum sdp_dir
sdp_media_dir(const struct sdp *s, unsigned i)
{
	if (i < s->nmedia && s->media[i].dir != SDP_DIR_UNSET)
		return s->media[i].dir;
	if (s->dir != SDP_DIR_UNSET)
		return s->dir;
	return SDP_SENDRECV;
}

bool
sdp_proto_is_rtp(struct sdp_str proto)
{
	return str_is(proto, "RTP/AVP") || str_is(proto, "RTP/AVPF");
}

bool
sdp_proto_is_srtp(struct sdp_str proto)
{
	return str_is(proto, "RTP/SAVP") || str_is(proto, "RTP/SAVPF") ||
	    str_is(proto, "UDP/TLS/RTP/SAVP") ||
	    str_is(proto, "UDP/TLS/RTP/SAVPF");
}

const char *
sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_SENDRECV:
		return "sendrecv";
	case SDP_SENDONLY:
		return "sendonly";
	case SDP_RECVONLY:
		return "recvonly";
	case SDP_INACTIVE:
		return "inactive";
	case SDP_DIR_UNSET:
		break;
	}
	return NULL;
}
