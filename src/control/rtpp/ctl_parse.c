/*
 * ctl_parse.c - rtpproxy control commands, from bytes to struct ctl_cmd.
 *
 * Pure: no I/O, no allocation, no logging. Every string in the result
 * points into the caller's buffer. Leniency follows sippy where a wrong
 * guess is harmless (unknown U/L letters, modifiers on read-only
 * commands) and is strict where it could bind a session to the wrong
 * tag, address or interface.
 */
#include "control/rtpp/ctl_parse.h"
#include "lib/addr.h"
#include "lib/ascii.h"

#include <stdio.h>

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

struct toks {
	struct ctl_str	t[CTL_MAX_TOKENS];
	unsigned	n;
	bool		subcmd;		/* stopped at "&&" */
};

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII only: the wire is bytes, and the locale must not matter. */
static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static size_t
span_digits(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(p[i]))
		i++;
	return i;
}

/*
 * Decimal, digits only (no sign, no blanks), at most max. Checking the
 * bound on every digit keeps an endless run of digits from wrapping.
 */
static int
parse_uint(const char *p, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static struct ctl_str
mkstr(const char *p, size_t len)
{
	struct ctl_str s = { p, len };

	return s;
}

/*
 * Split into tokens. Whatever follows a lone "&&" belongs to an OpenSIPS
 * sub-command we do not run, so it neither counts toward the token limit
 * nor gets looked at.
 */
static int
tokenize(const char *buf, size_t len, struct toks *tk)
{
	size_t i = 0, s;

	tk->n = 0;
	tk->subcmd = false;
	for (;;) {
		while (i < len && is_sep(buf[i]))
			i++;
		if (i == len)
			return CTL_OK;
		s = i;
		while (i < len && !is_sep(buf[i]))
			i++;
		if (i - s == 2 && buf[s] == '&' && buf[s + 1] == '&') {
			tk->subcmd = true;
			return CTL_OK;
		}
		if (tk->n == CTL_MAX_TOKENS)
			return E_ARGC;
		tk->t[tk->n++] = mkstr(buf + s, i - s);
	}
}

/*
 * "tag" or "tag;N". The split is at the first ';' so that a tag holding
 * a stray ';' is refused rather than silently truncated.
 */
static int
parse_tag(const struct ctl_str *t, struct ctl_tag *out)
{
	const char *semi;
	unsigned long v;
	size_t tl;

	out->tag = *t;
	out->media = 0;
	semi = memchr(t->p, ';', t->len);
	if (semi == NULL)
		return CTL_OK;
	tl = (size_t)(semi - t->p);
	if (tl == 0)
		return E_SYNTAX;
	if (parse_uint(semi + 1, t->len - tl - 1, 65535, &v) == -1 || v == 0)
		return E_BAD_MEDIA_NUM;
	out->tag.len = tl;
	out->media = (unsigned)v;
	return CTL_OK;
}

/* First tag at t[i], optional second at t[i + 1] if the command has it. */
static int
parse_tags(const struct toks *tk, unsigned i, struct ctl_cmd *c)
{
	int rc;

	if ((rc = parse_tag(&tk->t[i], &c->from)) != CTL_OK)
		return rc;
	if (i + 1 < tk->n)
		return parse_tag(&tk->t[i + 1], &c->to);
	return CTL_OK;
}

/*
 * Percent-decode; with dst == NULL only validate. A decoded NUL, CR or
 * LF is refused: the tag is written to a line-based notify socket, and
 * "%0A" would let one tag smuggle in a second event line.
 */
static int
url_decode(const struct ctl_str *in, char *dst, size_t dstlen)
{
	size_t i, o = 0;
	int hi, lo;
	char ch;

	if (in->len > INT_MAX)
		return -1;
	for (i = 0; i < in->len; i++) {
		ch = in->p[i];
		if (ch == '%') {
			if (in->len - i < 3)
				return -1;
			hi = hex_digit(in->p[i + 1]);
			lo = hex_digit(in->p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = (char)(hi << 4 | lo);
			if (ch == '\0' || ch == '\r' || ch == '\n')
				return -1;
			i += 2;
		}
		if (dst != NULL) {
			if (o + 1 >= dstlen)
				return -1;
			dst[o] = ch;
		}
		o++;
	}
	if (dst != NULL)
		dst[o] = '\0';
	return (int)o;
}

/*
 * c<pt>[,<pt>...]: *ip is just past the letter. One trailing comma is
 * tolerated (it harms nothing); an empty list or ",," is not. The set
 * takes every PT, the ordered list only the first 32: an SDP offering
 * more codecs than that must not fail the call.
 */
static int
parse_clist(const char *p, size_t n, size_t *ip, struct ctl_mods *m,
    bool *seen)
{
	size_t i = *ip, k;
	unsigned long v;
	unsigned got = 0;

	if (!*seen) {
		pt_set_clear(&m->pts);
		*seen = true;
	}
	for (;;) {
		k = span_digits(p + i, n - i);
		if (k == 0) {
			/* Trailing comma: fine unless another comma follows. */
			if (got == 0 || (i < n && p[i] == ','))
				return E_BAD_CLIST;
			break;
		}
		if (parse_uint(p + i, k, 127, &v) == -1)
			return E_BAD_CLIST;
		pt_set_add(&m->pts, (unsigned)v);
		if (m->npts < sizeof(m->pt_list))
			m->pt_list[m->npts++] = (uint8_t)v;
		got++;
		i += k;
		if (i == n || p[i] != ',')
			break;
		i++;
	}
	*ip = i;
	return CTL_OK;
}

/*
 * l<ipv4>, l[<ipv6>], l{label} and R<ipv4>, R[<ipv6>]: checked for form
 * and skipped; rtproam picks interfaces by its own configuration. A bare
 * IPv4 address runs over digits and dots, as in sippy.
 */
static int
skip_laddr(const char *p, size_t n, size_t *ip, bool label_ok)
{
	char tmp[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *e;
	size_t i = *ip, k;
	int af;

	if (i == n)
		return -1;
	if (p[i] == '[' || (label_ok && p[i] == '{')) {
		e = memchr(p + i + 1, p[i] == '[' ? ']' : '}', n - i - 1);
		if (e == NULL)
			return -1;
		k = (size_t)(e - (p + i + 1));
		if (k == 0)
			return -1;
		if (p[i] == '{') {
			*ip = i + k + 2;
			return 0;
		}
		af = AF_INET6;
		i++;
	} else {
		k = 0;
		while (i + k < n && (is_digit(p[i + k]) || p[i + k] == '.'))
			k++;
		af = AF_INET;
	}
	if (k == 0 || k >= sizeof(tmp))
		return -1;
	memcpy(tmp, p + i, k);
	tmp[k] = '\0';
	if (inet_pton(af, tmp, bin) != 1)
		return -1;
	*ip = i + k + (af == AF_INET6);
	return 0;
}

/*
 * U/L modifiers. sippy's letters are case-insensitive; the H and J
 * extensions are rtproam's own and upper case only, so a lower-case
 * script flag passed through by OpenSIPS cannot change the latching policy
 * or buffering. A bare 'H' or 'J' (no digit) is likewise a script flag.
 */
static int
parse_ul_mods(const struct ctl_str *s, struct ctl_mods *m)
{
	const char *p = s->p;
	size_t n = s->len, i = 0, k;
	unsigned long v;
	unsigned nif = 0;
	bool seen_c = false;
	int rc;
	char ch;

	while (i < n) {
		ch = p[i++];
		switch (ch) {
		case 'A': case 'a':
			m->asymmetric = true;
			break;
		case 'S': case 's':
			m->symmetric = true;
			break;
		case 'W': case 'w':
			m->weak = true;
			break;
		case 'N': case 'n':
			m->new_port = true;
			break;
		case '6':
			m->ipv6 = true;
			break;
		case 'I': case 'i': case 'E': case 'e':
			/* A third interface would be a guess: refuse it. */
			if (nif == 2)
				return E_BAD_MODIFIER;
			m->iface[nif++] = to_upper(ch);
			break;
		case 'Z': case 'z':
			k = span_digits(p + i, n - i);
			if (parse_uint(p + i, k, 999, &v) == -1 || v == 0)
				return E_BAD_Z;
			m->zptime = (unsigned)v;
			i += k;
			break;
		case 'C': case 'c':
			rc = parse_clist(p, n, &i, m, &seen_c);
			if (rc != CTL_OK)
				return rc;
			break;
		case 'L': case 'l':
			if (skip_laddr(p, n, &i, true) == -1)
				return E_BAD_LADDR;
			break;
		case 'R': case 'r':
			if (skip_laddr(p, n, &i, false) == -1)
				return E_BAD_LADDR;
			break;
		case 'T': case 't':
			k = span_digits(p + i, n - i);
			if (k == 0)
				return E_BAD_MODIFIER;
			m->ttl_set = true;
			i += k;
			break;
		case 'H':
		case 'J':
			/* rtproam's own: handover policy, jitter buffer mode. */
			k = span_digits(p + i, n - i);
			if (k == 0)
				break;
			if (parse_uint(p + i, k, 2, &v) == -1)
				return E_BAD_MODIFIER;
			if (ch == 'H')
				m->handover = (int)v;
			else
				m->jitterbuf = (int)v;
			i += k;
			break;
		default:
			/* Script flags and stray digits: ignored. */
			break;
		}
	}
	return CTL_OK;
}

static bool
is_notify_target(const struct ctl_str *t)
{
	static const char *const schemes[] = {
		"unix:", "cunix:", "tcp:", "tcp6:", "udp:", "udp6:",
	};
	size_t i, j, sl;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		sl = strlen(schemes[i]);
		if (t->len <= sl)
			continue;
		for (j = 0; j < sl; j++)
			if (to_lower(t->p[j]) != schemes[i][j])
				break;
		if (j == sl)
			return memchr(t->p + sl, ';', t->len - sl) != NULL;
	}
	return false;
}

/*
 * U<mods> callid addr port ftag [ttag] [nsock ntag]; L needs the ttag.
 * Kamailio without a To-tag glues socket and tag with ';' (6 tokens).
 * SIP tags cannot hold ':', so a 6th token starting with a scheme is
 * that pair. It is split at the last ';': the socket is free text (a
 * path may hold ';'), while the tag is %-encoded and so should not.
 */
static int
parse_ul(const struct toks *tk, struct ctl_cmd *c)
{
	const struct ctl_str *t = tk->t, *last;
	unsigned long port;
	bool has_to, has_notify;
	size_t k;
	int rc;

	switch (tk->n) {
	case 5:
		has_to = has_notify = false;
		break;
	case 6:
		has_to = true;
		has_notify = false;
		break;
	case 7:
		has_to = false;
		has_notify = true;
		break;
	case 8:
		has_to = has_notify = true;
		break;
	default:
		return E_ARGC;
	}
	if (c->op == CTL_L && !has_to)
		return E_ARGC;
	if ((rc = parse_ul_mods(&c->modifiers, &c->mods)) != CTL_OK)
		return rc;
	c->callid = t[1];
	c->addr = t[2];
	if (parse_uint(t[3].p, t[3].len, 65535, &port) == -1)
		return E_BAD_ADDR;
	c->port = (uint16_t)port;
	if ((rc = parse_tag(&t[4], &c->from)) != CTL_OK)
		return rc;

	last = &t[5];
	if (tk->n == 6 && c->op == CTL_U && is_notify_target(last)) {
		k = last->len;
		while (last->p[k - 1] != ';')
			k--;
		c->notify_socket = mkstr(last->p, k - 1);
		c->notify_tag = mkstr(last->p + k, last->len - k);
		if (c->notify_tag.len == 0)
			return E_NOTIFY_TAG;
	} else if (has_to) {
		if ((rc = parse_tag(&t[5], &c->to)) != CTL_OK)
			return rc;
	}
	if (has_notify) {
		c->notify_socket = t[tk->n - 2];
		c->notify_tag = t[tk->n - 1];
	}
	if (url_decode(&c->notify_tag, NULL, 0) == -1)
		return E_NOTIFY_TAG;
	return CTL_OK;
}

/* Does the modifier string contain letter l (either case)? */
static bool
has_mod(const struct ctl_str *m, char l)
{
	size_t i;

	for (i = 0; i < m->len; i++)
		if (to_lower(m->p[i]) == l)
			return true;
	return false;
}

static int
take_names(const struct toks *tk, unsigned from, struct ctl_cmd *c)
{
	unsigned i;

	if (tk->n - from > CTL_MAX_QNAMES)
		return E_ARGC;
	for (i = from; i < tk->n; i++)
		c->qnames[c->nqnames++] = tk->t[i];
	return CTL_OK;
}

/*
 * P<count>: empty means once. Kamailio sends -1 for "loop until S";
 * sippy reads any negative the same way, so all of them map to
 * CTL_PLAY_FOREVER.
 */
static int
parse_play_count(const struct ctl_str *m, unsigned *out)
{
	unsigned long v;

	if (m->len == 0) {
		*out = 1;
		return CTL_OK;
	}
	if (m->p[0] == '-') {
		if (parse_uint(m->p + 1, m->len - 1, UINT_MAX, &v) == -1 ||
		    v == 0)
			return E_SYNTAX;
		*out = CTL_PLAY_FOREVER;
		return CTL_OK;
	}
	if (parse_uint(m->p, m->len, UINT_MAX - 1, &v) == -1)
		return E_SYNTAX;
	*out = (unsigned)v;
	return CTL_OK;
}

static enum ctl_op
op_for(char letter, const struct ctl_str *mods)
{
	switch (to_lower(letter)) {
	case 'v':
		return mods->len > 0 && to_lower(mods->p[0]) == 'f' ?
		    CTL_VF : CTL_V;
	case 'u': return CTL_U;
	case 'l': return CTL_L;
	case 'd': return CTL_D;
	case 'q': return CTL_Q;
	case 'i': return CTL_I;
	case 'x': return CTL_X;
	case 'g': return CTL_G;
	case 'r': return CTL_R;
	case 'c': return CTL_C;
	case 'n': return CTL_N;
	case 'p': return CTL_P;
	case 's': return CTL_S;
	}
	return CTL_NONE;
}

int
ctl_parse(const char *buf, size_t len, struct ctl_cmd *out)
{
	struct toks tk;
	const struct ctl_str *m = &out->modifiers;
	unsigned n;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->mods.handover = -1;
	out->mods.jitterbuf = -1;
	pt_set_allow_all(&out->mods.pts);
	if (len > CTL_MAX_CMD)
		return E_TOO_BIG;
	if (len > 0 && memchr(buf, '\0', len) != NULL)
		return E_SYNTAX;
	if (tokenize(buf, len, &tk) != CTL_OK)
		return E_ARGC;
	if (tk.n == 0)
		return E_ARGC;
	n = tk.n;
	out->has_subcmd = tk.subcmd;
	out->letter = tk.t[0].p[0];
	out->modifiers = mkstr(tk.t[0].p + 1, tk.t[0].len - 1);
	out->op = op_for(out->letter, m);
	if (out->op == CTL_NONE)
		return E_UNKNOWN_CMD;
	/* Sub-commands only make sense riding on U/L. */
	if (out->has_subcmd && out->op != CTL_U && out->op != CTL_L)
		return E_SUBCMD;

	switch (out->op) {
	case CTL_U:
	case CTL_L:
		return parse_ul(&tk, out);
	case CTL_V:
		/* sippy takes an extra argument to V (20060704). */
		if (m->len != 0)
			return E_MODIFIER;
		return n <= 2 ? CTL_OK : E_ARGC;
	case CTL_VF:
		if (m->len != 1)
			return E_MODIFIER;
		if (n != 2)
			return E_ARGC;
		out->vf_date = tk.t[1];
		return CTL_OK;
	case CTL_X:
		if (m->len != 0)
			return E_MODIFIER;
		return n == 1 ? CTL_OK : E_ARGC;
	case CTL_I:
		if (n != 1)
			return E_ARGC;
		/* rtproam: `l` lists the calls after the totals. */
		out->mods.verbose = has_mod(m, 'l');
		return CTL_OK;
	case CTL_G:
		out->mods.verbose = has_mod(m, 'v');
		return take_names(&tk, 1, out);
	case CTL_D:
		if (n != 3 && n != 4)
			return E_ARGC;
		/* Only 'w' exists; anything else could mean "not a delete". */
		for (i = 0; i < m->len; i++)
			if (to_lower(m->p[i]) != 'w')
				return E_BAD_MODIFIER;
		out->mods.verbose = m->len != 0;
		out->callid = tk.t[1];
		return parse_tags(&tk, 2, out);
	case CTL_Q:
		if (n < 3)
			return E_ARGC;
		out->mods.verbose = has_mod(m, 'v');
		out->callid = tk.t[1];
		if ((rc = parse_tags(&tk, 2, out)) != CTL_OK || n <= 4)
			return rc;
		return take_names(&tk, 4, out);
	case CTL_R:
	case CTL_N:
	case CTL_S:
		if (n != 3 && n != 4)
			return E_ARGC;
		out->callid = tk.t[1];
		return parse_tags(&tk, 2, out);
	case CTL_C:
		if (n != 4 && n != 5)
			return E_ARGC;
		out->callid = tk.t[1];
		out->copy_target = tk.t[2];
		return parse_tags(&tk, 3, out);
	case CTL_P:
		if (n != 5 && n != 6)
			return E_ARGC;
		if (parse_play_count(m, &out->play_count) != CTL_OK)
			return E_SYNTAX;
		out->callid = tk.t[1];
		out->play_prompt = tk.t[2];
		out->play_codecs = tk.t[3];
		return parse_tags(&tk, 4, out);
	case CTL_NONE:
		break;
	}
	return E_UNKNOWN_CMD;
}

int
ctl_split_cookie(const char *buf, size_t len, struct ctl_str *cookie,
    const char **cmd, size_t *cmdlen)
{
	size_t i = 0, s;

	while (i < len && is_sep(buf[i]))
		i++;
	s = i;
	while (i < len && !is_sep(buf[i]))
		i++;
	if (i == s)
		return -1;
	*cookie = mkstr(buf + s, i - s);
	while (i < len && is_sep(buf[i]))
		i++;
	*cmd = buf + i;		/* may be empty: that is answered with E1 */
	*cmdlen = len - i;
	return 0;
}

int
ctl_err_code(int err)
{
	/* The enum values are the numbers on the wire. */
	return err;
}

int
ctl_url_decode(const struct ctl_str *in, char *dst, size_t dstlen)
{
	if (dst == NULL || dstlen == 0)
		return -1;
	return url_decode(in, dst, dstlen);
}

bool
ctl_str_eq(const struct ctl_str *a, const char *b, size_t blen)
{
	return a->len == blen && (blen == 0 || memcmp(a->p, b, blen) == 0);
}

int
ctl_parse_port_reply(const char *body, const char *dflt_host, struct addr *out)
{
	char host[ADDR_STRLEN];
	unsigned port;
	int n;

	n = sscanf(body, "%u %63s", &port, host);
	if (n < 1 || port == 0 || port > 65535)
		return -1;
	if (n < 2)
		snprintf(host, sizeof(host), "%s", dflt_host);
	return addr_parse(out, host, (uint16_t)port, AF_UNSPEC);
}
