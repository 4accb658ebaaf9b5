/*
 * record.c - a call's Redis hash, field by field (record.h says what each
 * holds). Decoding is strict: a record is untrusted input, and a field we
 * do not understand, a number out of range or an address that is not ours
 * rejects the whole record rather than restore half a call.
 */
#include "store/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ascii.h"
#include "lib/textbuf.h"

#define MAX_TOKENS	32
#define ERR(...)	do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const char *const trust_names[] = {
	[TRUST_NONE] = "none", [TRUST_SIGNALLED] = "signalled",
	[TRUST_WEAK] = "weak", [TRUST_STRONG] = "strong",
};

/* leg_proc.jitterbuf + 1: "-" is the daemon's own --jitter-buffer. */
static const char *const jb_names[] = {
	"-", [JBUF_OFF + 1] = "off", [JBUF_FIXED + 1] = "fixed",
	[JBUF_ADAPTIVE + 1] = "adaptive",
};

int
store_media_field(unsigned slot, int leg, char *buf, size_t len)
{
	int n;

	if (leg < 0)
		n = snprintf(buf, len, "m%u", slot);
	else
		n = snprintf(buf, len, "m%u.%c", slot, leg ? 'b' : 'a');
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* ---- encoding ---- */

/* Bytes an id may carry as they are; the rest is %XX. */
static bool
id_safe(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("-._~!*+,;:@/()'$&", ch) != NULL;
}

/* An id for a value: "-" when empty, "%2D" for an id that is "-". */
static int
put_id(char *buf, size_t len, size_t *off, const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return textbuf_put(buf, len, off, "-", 1);
	if (strcmp(s, "-") == 0)
		return textbuf_put(buf, len, off, "%2D", 3);
	for (p = (const unsigned char *)s; *p; p++) {
		if (id_safe(*p)) {
			if (textbuf_put(buf, len, off, p, 1) != 0)
				return -1;
		} else if (textbuf_printf(buf, len, off, "%%%02X", *p) != 0)
			return -1;
	}
	return 0;
}

static int
finish(char *buf, size_t len, size_t off, int rc)
{
	if (rc != 0 || off >= len)
		return -1;
	buf[off] = '\0';
	return (int)off;
}

int
store_encode_notify(const struct call_saved *c, char *buf, size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d to=", STORE_RECORD_VERSION);
	rc |= put_id(buf, len, &off, c->notify_target);
	rc |= textbuf_printf(buf, len, &off, " tag=");
	rc |= put_id(buf, len, &off, c->notify_tag);
	return finish(buf, len, off, rc);
}

/* Monotonic ms to wall-clock ms; 0 stays "never". */
static uint64_t
to_wall(uint64_t mono, int64_t off)
{
	return mono == 0 ? 0 : (uint64_t)((int64_t)mono + off);
}

int
store_encode_recording(const struct call_saved *c, char *buf, size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d tag=", STORE_RECORD_VERSION);
	rc |= put_id(buf, len, &off, c->rec_tag);
	return finish(buf, len, off, rc);
}

int
store_encode_media(const struct media_saved *m, int64_t wall_off, char *buf,
    size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d num=%u t0=", STORE_RECORD_VERSION,
	    m->num);
	rc |= put_id(buf, len, &off, m->tag[0]);
	rc |= textbuf_printf(buf, len, &off, " t1=");
	rc |= put_id(buf, len, &off, m->tag[1]);
	rc |= textbuf_printf(buf, len, &off, " br=");
	rc |= put_id(buf, len, &off, m->branch);
	rc |= textbuf_printf(buf, len, &off, " ans=%d type=", m->answered);
	rc |= put_id(buf, len, &off, m->type);
	rc |= textbuf_printf(buf, len, &off, " proto=");
	rc |= put_id(buf, len, &off, m->proto);
	rc |= textbuf_printf(buf, len, &off, " mo0=%d mo1=%d lb0=", m->mux_offer[0],
	    m->mux_offer[1]);
	rc |= put_id(buf, len, &off, m->label[0]);
	rc |= textbuf_printf(buf, len, &off, " lb1=");
	rc |= put_id(buf, len, &off, m->label[1]);
	rc |= textbuf_printf(buf, len, &off, " del=%" PRIu64,
	    to_wall(m->delete_at_ms, wall_off));
	return finish(buf, len, off, rc);
}

static const char *
addr_or_dash(const struct addr *a, char *buf, size_t len)
{
	return addr_is_set(a) ? addr_str(a, buf, len) : "-";
}

int
store_encode_leg(const struct leg_saved *l, int64_t wall_off, char *buf, size_t len)
{
	const struct latch_saved *s = &l->latch;
	char a[5][ADDR_STRLEN], ssrc[12];
	size_t off = 0;
	int rc;

	if ((unsigned)s->trust > TRUST_STRONG ||
	    l->proc.jitterbuf < -1 || l->proc.jitterbuf > JBUF_ADAPTIVE)
		return -1;
	if (s->stream.known)
		snprintf(ssrc, sizeof(ssrc), "%08" PRIx32, s->stream.ssrc);
	else
		strcpy(ssrc, "-");
	rc = textbuf_printf(buf, len, &off,
	    "%d laddr=%s adv=%s pol=%s st=%s asym=%d ver=%d root=%d sig=%s "
	    "peer=%s rpeer=%s rconf=%d ssrc=%s seq=%u seqt=%" PRIu64
	    " nsw=%" PRIu64 " swt=%" PRIu64 " wst=%" PRIu64 " wsw=%u mux=%d "
	    "blk=%d hold=%d jb=%s zp=%u",
	    STORE_RECORD_VERSION, addr_str(&l->local, a[0], sizeof(a[0])),
	    addr_ip_str(&l->advertised, a[1], sizeof(a[1])),
	    latch_policy_name(s->policy), trust_names[s->trust], s->asymmetric,
	    s->ever_verified, s->rooted,
	    addr_or_dash(&s->signalled, a[2], sizeof(a[2])),
	    s->trust == TRUST_NONE ? "-" : addr_or_dash(&s->peer, a[3], sizeof(a[3])),
	    addr_or_dash(&s->rtcp_peer, a[4], sizeof(a[4])), s->rtcp_confirmed,
	    ssrc, s->stream.known ? s->stream.max_seq : 0,
	    s->stream.known ? to_wall(s->stream.last_ms, wall_off) : 0,
	    s->switches, to_wall(s->last_switch_ms, wall_off),
	    to_wall(s->window_start_ms, wall_off), s->window_switches,
	    (int)l->mode.rtcp_mux, l->mode.blocked, l->mode.held,
	    jb_names[l->proc.jitterbuf + 1], l->proc.zptime_ms);
	return finish(buf, len, off, rc);
}

/* ---- decoding ---- */

struct tokens {
	char	 buf[STORE_VALUE_MAX + 1];
	char	*key[MAX_TOKENS], *val[MAX_TOKENS];
	bool	 used[MAX_TOKENS];
	unsigned n;
};

/* "1 k=v k=v ...": the version, then unique keys. */
static int
tokenize(const char *v, size_t len, struct tokens *t, char *err, size_t errlen)
{
	char *p, *save = NULL, *eq;
	unsigned i;

	if (len > STORE_VALUE_MAX)
		ERR("value of %zu bytes", len);
	if (memchr(v, '\0', len) != NULL)
		ERR("NUL byte in a value");
	memcpy(t->buf, v, len);
	t->buf[len] = '\0';
	t->n = 0;
	if ((p = strtok_r(t->buf, " ", &save)) == NULL || strcmp(p, "1") != 0)
		ERR("unknown value version");
	while ((p = strtok_r(NULL, " ", &save)) != NULL) {
		if (t->n == MAX_TOKENS || (eq = strchr(p, '=')) == NULL || eq == p)
			ERR("malformed value");
		*eq = '\0';
		for (i = 0; i < t->n; i++)
			if (strcmp(t->key[i], p) == 0)
				ERR("%s twice", p);
		t->key[t->n] = p;
		t->val[t->n] = eq + 1;
		t->used[t->n++] = false;
	}
	return 0;
}

static const char *
tok(struct tokens *t, const char *key)
{
	unsigned i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->key[i], key) == 0) {
			t->used[i] = true;
			return t->val[i];
		}
	}
	return NULL;
}

/* Keys added after version 1 was first written may be absent (defaults). */
static bool
present(const struct tokens *t, const char *key)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->key[i], key) == 0)
			return true;
	return false;
}

static int
tokens_all_used(const struct tokens *t, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (!t->used[i])
			ERR("unknown key %s", t->key[i]);
	return 0;
}

static int
get_id(struct tokens *t, const char *key, char *out, size_t outlen, bool required,
    char *err, size_t errlen)
{
	const char *s = tok(t, key);
	size_t n = 0;
	int hi, lo;

	if (s == NULL)
		ERR("no %s", key);
	/* Written "-" when empty; a bare "key=" is empty too (found by fuzzing). */
	if (*s == '\0' || strcmp(s, "-") == 0) {
		if (required)
			ERR("empty %s", key);
		out[0] = '\0';
		return 0;
	}
	for (; *s; s++) {
		if (n + 1 >= outlen)
			ERR("%s too long", key);
		if (*s == '%') {
			if ((hi = hex_digit(s[1])) < 0 || (lo = hex_digit(s[2])) < 0 ||
			    (hi == 0 && lo == 0))
				ERR("bad escape in %s", key);
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else if (id_safe((unsigned char)*s)) {
			out[n++] = *s;
		} else
			ERR("bad byte in %s", key);
	}
	out[n] = '\0';
	return 0;
}

static int
get_u64(struct tokens *t, const char *key, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	const char *s = tok(t, key);
	char *ep;
	unsigned long long v;

	if (s == NULL)
		ERR("no %s", key);
	if (*s < '0' || *s > '9' || strlen(s) > 20)
		ERR("bad %s", key);
	v = strtoull(s, &ep, 10);
	if (*ep != '\0' || v > max)
		ERR("%s out of range", key);
	*out = v;
	return 0;
}

static int
get_bool(struct tokens *t, const char *key, bool *out, char *err, size_t errlen)
{
	uint64_t v;

	if (get_u64(t, key, 1, &v, err, errlen) != 0)
		return -1;
	*out = v != 0;
	return 0;
}

/* A number that older records lack: dflt then. */
static int
get_u64_or(struct tokens *t, const char *key, uint64_t max, uint64_t dflt,
    uint64_t *out, char *err, size_t errlen)
{
	*out = dflt;
	return present(t, key) ? get_u64(t, key, max, out, err, errlen) : 0;
}

/* Written to the proxy or a log as one line: no control characters. */
static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A unicast host a packet may be sent to. */
static bool
unicast(const struct addr *a)
{
	const uint8_t *b;

	if (addr_is_any(a) || addr_port(a) == 0)
		return false;
	if (addr_family(a) == AF_INET) {
		b = (const uint8_t *)&a->u.sin.sin_addr;
		return b[0] < 224;	/* no multicast, class E or broadcast */
	}
	return a->u.sin6.sin6_addr.s6_addr[0] != 0xff;
}

/* Our own media interface addresses, the given one's family. */
static bool
is_our_ip(const struct config *cfg, const struct addr *a, unsigned *which)
{
	unsigned i;

	for (i = 0; i < cfg->nifaces; i++) {
		if (addr_same_ip(&cfg->ifaces[i], a)) {
			*which = i;
			return true;
		}
	}
	if (cfg->have_iface6 && addr_same_ip(&cfg->iface6, a)) {
		*which = CONFIG_MAX_IFACES;
		return true;
	}
	return false;
}

/* One of our media ports: packets to it would loop through the relay. */
static bool
is_our_port(const struct config *cfg, const struct addr *a)
{
	unsigned i;

	return is_our_ip(cfg, a, &i) && addr_port(a) >= cfg->port_min &&
	    addr_port(a) <= cfg->port_max;
}

/* "-" (unset, when allowed) or a unicast IP:PORT that is not one of ours. */
static int
get_peer(struct tokens *t, const char *key, const struct config *cfg, int family,
    bool optional, struct addr *out, char *err, size_t errlen)
{
	const char *s = tok(t, key);

	addr_clear(out);
	if (s == NULL)
		ERR("no %s", key);
	if (strcmp(s, "-") == 0) {
		if (!optional)
			ERR("no %s address", key);
		return 0;
	}
	if (addr_parse_hostport(out, s, 0, family) != 0)
		ERR("bad %s address", key);
	if (!unicast(out))
		ERR("%s is not a unicast address", key);
	if (is_our_port(cfg, out))
		ERR("%s is one of our own media ports", key);
	return 0;
}

static int
get_local(struct tokens *t, const struct config *cfg, struct leg_saved *l,
    char *err, size_t errlen)
{
	const char *s;
	const struct addr *adv;
	unsigned pmin = cfg->port_min + (cfg->port_min & 1u), port, which;

	if ((s = tok(t, "laddr")) == NULL || addr_parse_hostport(&l->local, s, 0,
	    AF_UNSPEC) != 0)
		ERR("bad laddr");
	if (!is_our_ip(cfg, &l->local, &which))
		ERR("laddr is not a media interface of this relay");
	port = addr_port(&l->local);
	if (port < pmin || port + 1 > cfg->port_max || (port - pmin) % 2 != 0)
		ERR("laddr port %u is outside the port range", port);
	if ((s = tok(t, "adv")) == NULL ||
	    addr_parse(&l->advertised, s, 0, addr_family(&l->local)) != 0)
		ERR("bad adv");
	adv = which < CONFIG_MAX_IFACES && addr_is_set(&cfg->advertised[which]) ?
	    &cfg->advertised[which] : &l->local;
	if (!addr_same_ip(&l->advertised, adv))
		ERR("adv is not what this interface advertises");
	return 0;
}

static int
get_name(struct tokens *t, const char *key, const char *const *names, unsigned n,
    unsigned *out, char *err, size_t errlen)
{
	const char *s = tok(t, key);
	unsigned i;

	if (s != NULL)
		for (i = 0; i < n; i++)
			if (names[i] && strcmp(s, names[i]) == 0) {
				*out = i;
				return 0;
			}
	ERR("bad %s", key);
}

/* Wall-clock ms from the record to monotonic ms; 0 stays "never". */
static uint64_t
to_mono(uint64_t wall, int64_t off)
{
	int64_t m;

	if (wall == 0)
		return 0;
	m = (int64_t)wall - off;
	return m > 0 ? (uint64_t)m : 1;
}

static int
decode_leg(const char *v, size_t len, const struct config *cfg, int64_t off,
    struct leg_saved *l, char *err, size_t errlen)
{
	static const char *const pols[] = { "off", "ssrc", "probation" };
	struct latch_saved *s = &l->latch;
	struct tokens t;
	const char *x;
	uint64_t u;
	unsigned e;
	bool b;
	int fam;
	char *ep;

	memset(l, 0, sizeof(*l));
	if (tokenize(v, len, &t, err, errlen) != 0 ||
	    get_local(&t, cfg, l, err, errlen) != 0)
		return -1;
	fam = addr_family(&l->local);
	if (get_name(&t, "pol", pols, 3, &e, err, errlen) != 0)
		return -1;
	s->policy = (enum latch_policy)e;
	if (get_name(&t, "st", trust_names, 4, &e, err, errlen) != 0)
		return -1;
	s->trust = (enum latch_trust)e;
	if (get_bool(&t, "asym", &s->asymmetric, err, errlen) != 0 ||
	    get_bool(&t, "ver", &s->ever_verified, err, errlen) != 0 ||
	    get_bool(&t, "root", &s->rooted, err, errlen) != 0 ||
	    get_peer(&t, "sig", cfg, fam, true, &s->signalled, err, errlen) != 0 ||
	    get_peer(&t, "peer", cfg, fam, s->trust == TRUST_NONE, &s->peer,
	    err, errlen) != 0 ||
	    get_peer(&t, "rpeer", cfg, fam, true, &s->rtcp_peer, err, errlen) != 0 ||
	    get_bool(&t, "rconf", &s->rtcp_confirmed, err, errlen) != 0)
		return -1;
	if (s->trust == TRUST_NONE && addr_is_set(&s->peer))
		ERR("a peer on a leg with st=none");
	if ((x = tok(&t, "ssrc")) == NULL)
		ERR("no ssrc");
	if (strcmp(x, "-") != 0) {
		if (strlen(x) != 8 || strspn(x, "0123456789abcdefABCDEF") != 8)
			ERR("bad ssrc");
		s->stream.ssrc = (uint32_t)strtoul(x, &ep, 16);
		s->stream.known = true;
	}
	if (get_u64(&t, "seq", 65535, &u, err, errlen) != 0)
		return -1;
	s->stream.max_seq = (uint16_t)u;
	if (get_u64(&t, "seqt", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->stream.last_ms = s->stream.known ? to_mono(u, off) : 0;
	if (get_u64(&t, "nsw", 1000000000, &s->switches, err, errlen) != 0 ||
	    get_u64(&t, "swt", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->last_switch_ms = to_mono(u, off);
	if (get_u64(&t, "wst", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->window_start_ms = to_mono(u, off);
	if (get_u64(&t, "wsw", 1000000, &u, err, errlen) != 0)
		return -1;
	s->window_switches = (unsigned)u;
	if (get_u64(&t, "mux", MUX_OFF, &u, err, errlen) != 0)
		return -1;
	l->mode.rtcp_mux = (enum rtcp_mux_mode)u;
	if (get_bool(&t, "blk", &b, err, errlen) != 0)
		return -1;
	l->mode.blocked = b;
	if (get_bool(&t, "hold", &b, err, errlen) != 0)
		return -1;
	l->mode.held = b;
	l->proc.jitterbuf = -1;
	if (present(&t, "jb")) {
		if (get_name(&t, "jb", jb_names, 4, &e, err, errlen) != 0)
			return -1;
		l->proc.jitterbuf = (int)e - 1;
	}
	if (get_u64_or(&t, "zp", RESIZE_MAX_MS, 0, &u, err, errlen) != 0)
		return -1;
	l->proc.zptime_ms = (unsigned)u;
	return tokens_all_used(&t, err, errlen);
}

static int
decode_label(struct tokens *t, const char *key, char *out, size_t outlen,
    char *err, size_t errlen)
{
	out[0] = '\0';
	if (!present(t, key))
		return 0;
	if (get_id(t, key, out, outlen, false, err, errlen) != 0)
		return -1;
	if (!printable(out))
		ERR("control character in %s", key);
	return 0;
}

static int
decode_media(const char *v, size_t len, int64_t wall_off, struct media_saved *m,
    char *err, size_t errlen)
{
	struct tokens t;
	uint64_t u;
	unsigned i;
	char key[4];

	if (tokenize(v, len, &t, err, errlen) != 0 ||
	    get_u64(&t, "num", 65535, &u, err, errlen) != 0)
		return -1;
	m->num = (unsigned)u;
	if (get_id(&t, "t0", m->tag[0], sizeof(m->tag[0]), true, err, errlen) != 0 ||
	    get_id(&t, "t1", m->tag[1], sizeof(m->tag[1]), false, err, errlen) != 0 ||
	    get_id(&t, "br", m->branch, sizeof(m->branch), false, err, errlen) != 0 ||
	    get_bool(&t, "ans", &m->answered, err, errlen) != 0 ||
	    get_id(&t, "type", m->type, sizeof(m->type), false, err, errlen) != 0 ||
	    get_id(&t, "proto", m->proto, sizeof(m->proto), false, err, errlen) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "mo%u", i);
		if (get_u64_or(&t, key, 1, 0, &u, err, errlen) != 0)
			return -1;
		m->mux_offer[i] = u != 0;
		snprintf(key, sizeof(key), "lb%u", i);
		if (decode_label(&t, key, m->label[i], sizeof(m->label[i]),
		    err, errlen) != 0)
			return -1;
	}
	if (get_u64_or(&t, "del", UINT64_C(1) << 53, 0, &u, err, errlen) != 0)
		return -1;
	m->delete_at_ms = to_mono(u, wall_off);
	return tokens_all_used(&t, err, errlen);
}

static int
decode_notify(const char *v, size_t len, struct call_saved *c, char *err,
    size_t errlen)
{
	struct tokens t;

	if (tokenize(v, len, &t, err, errlen) != 0 ||
	    get_id(&t, "to", c->notify_target, sizeof(c->notify_target), true,
	    err, errlen) != 0 ||
	    get_id(&t, "tag", c->notify_tag, sizeof(c->notify_tag), true,
	    err, errlen) != 0)
		return -1;
	if (!printable(c->notify_target) || !printable(c->notify_tag))
		ERR("control character in nt");
	if (strncmp(c->notify_target, "unix:", 5) != 0 &&
	    strncmp(c->notify_target, "tcp:", 4) != 0 && c->notify_target[0] != '/')
		ERR("nt target is neither unix: nor tcp:");
	return tokens_all_used(&t, err, errlen);
}

static int
decode_recording(const char *v, size_t len, struct call_saved *c, char *err,
    size_t errlen)
{
	struct tokens t;

	if (tokenize(v, len, &t, err, errlen) != 0 ||
	    get_id(&t, "tag", c->rec_tag, sizeof(c->rec_tag), false, err,
	    errlen) != 0)
		return -1;
	if (!printable(c->rec_tag))
		ERR("control character in rec");
	c->recording = true;
	return tokens_all_used(&t, err, errlen);
}

static bool
field_is(const struct store_field *f, const char *name)
{
	return f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0;
}

static bool
value_is(const struct store_field *f, const char *s, size_t len)
{
	return f->val_len == len && memcmp(f->val, s, len) == 0;
}

/* "m<slot>" (leg -1), "m<slot>.a" (0) or "m<slot>.b" (1). */
static int
parse_media_name(const struct store_field *f, unsigned *slot, int *leg)
{
	char name[STORE_FIELD_NAME_MAX + 1], *ep;
	unsigned long v;

	if (f->name_len < 2 || f->name_len > STORE_FIELD_NAME_MAX ||
	    f->name[0] != 'm' || f->name[1] < '0' || f->name[1] > '9')
		return -1;
	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	v = strtoul(name + 1, &ep, 10);
	if (v > 65535 || (name[1] == '0' && ep != name + 2))
		return -1;
	*slot = (unsigned)v;
	if (*ep == '\0')
		*leg = -1;
	else if (strcmp(ep, ".a") == 0)
		*leg = 0;
	else if (strcmp(ep, ".b") == 0)
		*leg = 1;
	else
		return -1;
	return 0;
}

static struct media_saved *
media_slot(struct call_saved *out, unsigned slot, uint8_t *seen)
{
	unsigned i;

	for (i = 0; i < out->nmedia; i++)
		if (out->media[i].slot == slot)
			return &out->media[i];
	if (out->nmedia == SAVED_MEDIA_MAX)
		return NULL;
	seen[out->nmedia] = 0;
	memset(&out->media[out->nmedia], 0, sizeof(out->media[0]));
	out->media[out->nmedia].slot = slot;
	return &out->media[out->nmedia++];
}

/* No two legs of the record on one port. */
static int
check_ports(const struct call_saved *out, char *err, size_t errlen)
{
	const struct addr *a, *b;
	unsigned i, j;

	for (i = 0; i < out->nmedia * 2; i++) {
		a = &out->media[i / 2].leg[i % 2].local;
		for (j = i + 1; j < out->nmedia * 2; j++) {
			b = &out->media[j / 2].leg[j % 2].local;
			if (addr_port(a) == addr_port(b))
				ERR("port %u used twice", addr_port(a));
		}
	}
	return 0;
}

int
store_decode_call(const struct store_field *f, unsigned n, const char *cid,
    size_t cid_len, const struct config *cfg,
    int64_t wall_off, struct call_saved *out, char *err, size_t errlen)
{
	struct store_field_seen { bool v, cid, own, created, nt, rec; } hs = { 0 };
	uint8_t seen[SAVED_MEDIA_MAX];	/* bit 0: m, 1: .a, 2: .b */
	struct media_saved *m;
	unsigned i, slot, bit;
	uint64_t u;
	int leg;
	char num[24];

	memset(out, 0, sizeof(*out));
	if (cid_len == 0 || cid_len > SAVED_ID_MAX || memchr(cid, '\0', cid_len))
		ERR("bad call-id in the key");
	memcpy(out->callid, cid, cid_len);
	out->callid[cid_len] = '\0';
	for (i = 0; i < n; i++) {
		if (f[i].val_len > STORE_VALUE_MAX)
			ERR("field of %zu bytes", f[i].val_len);
		if (field_is(&f[i], "v")) {
			if (hs.v || !value_is(&f[i], "1", 1))
				ERR("unknown record version");
			hs.v = true;
		} else if (field_is(&f[i], "cid")) {
			if (hs.cid || !value_is(&f[i], cid, cid_len))
				ERR("cid does not match the key");
			hs.cid = true;
		} else if (field_is(&f[i], "own")) {
			/* Any node of the group: a standby restores the active's. */
			if (hs.own || !ascii_name_ok(f[i].val, f[i].val_len))
				ERR("bad own");
			hs.own = true;
		} else if (field_is(&f[i], "created")) {
			if (hs.created || f[i].val_len == 0 || f[i].val_len >= sizeof(num))
				ERR("bad created");
			memcpy(num, f[i].val, f[i].val_len);
			num[f[i].val_len] = '\0';
			if (strspn(num, "0123456789") != f[i].val_len)
				ERR("bad created");
			u = strtoull(num, NULL, 10);
			out->created_ms = to_mono(u, wall_off);
			hs.created = true;
		} else if (field_is(&f[i], "nt")) {
			if (hs.nt)
				ERR("nt twice");
			if (decode_notify(f[i].val, f[i].val_len, out, err, errlen) != 0)
				return -1;
			hs.nt = true;
		} else if (field_is(&f[i], "rec")) {
			if (hs.rec)
				ERR("rec twice");
			if (decode_recording(f[i].val, f[i].val_len, out, err,
			    errlen) != 0)
				return -1;
			hs.rec = true;
		} else if (parse_media_name(&f[i], &slot, &leg) == 0) {
			if ((m = media_slot(out, slot, seen)) == NULL)
				ERR("more than %d media", SAVED_MEDIA_MAX);
			bit = 1u << (leg + 1);
			if (seen[m - out->media] & bit)
				ERR("field m%u twice", slot);
			seen[m - out->media] |= (uint8_t)bit;
			if (leg < 0) {
				if (decode_media(f[i].val, f[i].val_len, wall_off, m,
				    err, errlen) != 0)
					return -1;
				m->slot = slot;
			} else if (decode_leg(f[i].val, f[i].val_len, cfg, wall_off,
			    &m->leg[leg], err, errlen) != 0)
				return -1;
		} else
			ERR("unknown field %.*s", (int)(f[i].name_len > 16 ? 16 :
			    f[i].name_len), f[i].name);
	}
	if (!hs.v || !hs.cid || !hs.own || !hs.created)
		ERR("a required field is missing");
	if (out->nmedia == 0)
		ERR("no media");
	for (i = 0; i < out->nmedia; i++) {
		if (seen[i] != 7)
			ERR("media m%u incomplete", out->media[i].slot);
		if (addr_family(&out->media[i].leg[0].local) !=
		    addr_family(&out->media[i].leg[0].latch.peer) &&
		    addr_is_set(&out->media[i].leg[0].latch.peer))
			ERR("m%u: peer of another family", out->media[i].slot);
	}
	return check_ports(out, err, errlen);
}
