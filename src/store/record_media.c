/*
 * record_media.c - the values of one media of a call's Redis hash: its
 * m<S> line and one line per leg, m<S>.a and m<S>.b (record.h says what
 * each holds). A leg must name this relay's own address and ports, and
 * peers that are unicast and not ours: a record is untrusted input.
 */
#include "store/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/textbuf.h"
#include "store/value.h"

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
store_encode_media(const struct media_saved *m, int64_t wall_off, char *buf,
    size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d num=%u t0=",
	    STORE_RECORD_VERSION, m->num);
	rc |= value_put_id(buf, len, &off, m->tag[0]);
	rc |= textbuf_printf(buf, len, &off, " t1=");
	rc |= value_put_id(buf, len, &off, m->tag[1]);
	rc |= textbuf_printf(buf, len, &off, " br=");
	rc |= value_put_id(buf, len, &off, m->branch);
	rc |= textbuf_printf(buf, len, &off, " ans=%d type=", m->answered);
	rc |= value_put_id(buf, len, &off, m->type);
	rc |= textbuf_printf(buf, len, &off, " proto=");
	rc |= value_put_id(buf, len, &off, m->proto);
	rc |= textbuf_printf(buf, len, &off, " mo0=%d mo1=%d lb0=",
	    m->mux_offer[0], m->mux_offer[1]);
	rc |= value_put_id(buf, len, &off, m->label[0]);
	rc |= textbuf_printf(buf, len, &off, " lb1=");
	rc |= value_put_id(buf, len, &off, m->label[1]);
	rc |= textbuf_printf(buf, len, &off, " del=%" PRIu64,
	    value_to_wall(m->delete_at_ms, wall_off));
	return value_finish(buf, len, off, rc);
}

static const char *
addr_or_dash(const struct addr *a, char *buf, size_t len)
{
	return addr_is_set(a) ? addr_str(a, buf, len) : "-";
}

/* "any", "-" (none), or the payload types in ascending order: "0,8,101". */
static int
put_pts(char *buf, size_t len, size_t *off, const struct pt_set *pts)
{
	const char *sep = "";
	unsigned pt;

	if (pts->any)
		return textbuf_put(buf, len, off, "any", 3);
	if (pts->bits[0] == 0 && pts->bits[1] == 0)
		return textbuf_put(buf, len, off, "-", 1);
	for (pt = 0; pt < 128; pt++) {
		if (!pt_set_has(pts, pt))
			continue;
		if (textbuf_printf(buf, len, off, "%s%u", sep, pt) != 0)
			return -1;
		sep = ",";
	}
	return 0;
}

int
store_encode_leg(const struct leg_saved *l, int64_t wall_off, char *buf,
    size_t len)
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
	    s->trust == TRUST_NONE ? "-" :
	    addr_or_dash(&s->peer, a[3], sizeof(a[3])),
	    addr_or_dash(&s->rtcp_peer, a[4], sizeof(a[4])), s->rtcp_confirmed,
	    ssrc, s->stream.known ? s->stream.max_seq : 0,
	    s->stream.known ? value_to_wall(s->stream.last_ms, wall_off) : 0,
	    s->switches, value_to_wall(s->last_switch_ms, wall_off),
	    value_to_wall(s->window_start_ms, wall_off), s->window_switches,
	    (int)l->mode.rtcp_mux, l->mode.blocked, l->mode.held,
	    jb_names[l->proc.jitterbuf + 1], l->proc.zptime_ms);
	rc |= textbuf_printf(buf, len, &off, " pt=");
	rc |= put_pts(buf, len, &off, &l->pts);
	return value_finish(buf, len, off, rc);
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
get_peer(struct value_tokens *t, const char *key, const struct config *cfg,
    int family, bool optional, struct addr *out, char *err, size_t errlen)
{
	const char *s = value_tok(t, key);

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
get_local(struct value_tokens *t, const struct config *cfg, struct leg_saved *l,
    char *err, size_t errlen)
{
	const char *s;
	const struct addr *adv;
	unsigned pmin = cfg->port_min + (cfg->port_min & 1u), port, which;

	if ((s = value_tok(t, "laddr")) == NULL ||
	    addr_parse_hostport(&l->local, s, 0, AF_UNSPEC) != 0)
		ERR("bad laddr");
	if (!is_our_ip(cfg, &l->local, &which))
		ERR("laddr is not a media interface of this relay");
	port = addr_port(&l->local);
	if (port < pmin || port + 1 > cfg->port_max || (port - pmin) % 2 != 0)
		ERR("laddr port %u is outside the port range", port);
	if ((s = value_tok(t, "adv")) == NULL ||
	    addr_parse(&l->advertised, s, 0, addr_family(&l->local)) != 0)
		ERR("bad adv");
	adv = which < CONFIG_MAX_IFACES && addr_is_set(&cfg->advertised[which]) ?
	    &cfg->advertised[which] : &l->local;
	if (!addr_same_ip(&l->advertised, adv))
		ERR("adv is not what this interface advertises");
	return 0;
}

/* The pt key (put_pts); absent in older records: any. */
static int
get_pts(struct value_tokens *t, const char *key, struct pt_set *out, char *err,
    size_t errlen)
{
	const char *s;
	char *ep;
	unsigned long v;
	long last = -1;

	pt_set_allow_all(out);
	if (!value_present(t, key))
		return 0;
	s = value_tok(t, key);
	if (strcmp(s, "any") == 0)
		return 0;
	pt_set_clear(out);
	if (strcmp(s, "-") == 0)
		return 0;
	for (;;) {
		/* Ascending, no sign, no leading zero: one spelling per set. */
		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
			ERR("bad %s", key);
		v = strtoul(s, &ep, 10);
		if (v > 127 || (long)v <= last)
			ERR("bad %s", key);
		pt_set_add(out, (unsigned)v);
		last = (long)v;
		if (*ep == '\0')
			return 0;
		if (*ep != ',')
			ERR("bad %s", key);
		s = ep + 1;
	}
}

static int
decode_label(struct value_tokens *t, const char *key, char *out, size_t outlen,
    char *err, size_t errlen)
{
	out[0] = '\0';
	if (!value_present(t, key))
		return 0;
	if (value_get_id(t, key, out, outlen, false, err, errlen) != 0)
		return -1;
	if (!value_printable(out))
		ERR("control character in %s", key);
	return 0;
}

int
store_decode_leg(const char *v, size_t len, const struct config *cfg,
    int64_t off, struct leg_saved *l, char *err, size_t errlen)
{
	static const char *const pols[] = { "off", "ssrc", "probation" };
	struct latch_saved *s = &l->latch;
	struct value_tokens t;
	const char *x;
	uint64_t u;
	unsigned e;
	bool b;
	int fam;
	char *ep;

	memset(l, 0, sizeof(*l));
	if (value_tokenize(v, len, &t, err, errlen) != 0 ||
	    get_local(&t, cfg, l, err, errlen) != 0)
		return -1;
	fam = addr_family(&l->local);
	if (value_get_name(&t, "pol", pols, 3, &e, err, errlen) != 0)
		return -1;
	s->policy = (enum latch_policy)e;
	if (value_get_name(&t, "st", trust_names, 4, &e, err, errlen) != 0)
		return -1;
	s->trust = (enum latch_trust)e;
	if (value_get_bool(&t, "asym", &s->asymmetric, err, errlen) != 0 ||
	    value_get_bool(&t, "ver", &s->ever_verified, err, errlen) != 0 ||
	    value_get_bool(&t, "root", &s->rooted, err, errlen) != 0 ||
	    get_peer(&t, "sig", cfg, fam, true, &s->signalled,
	    err, errlen) != 0 ||
	    get_peer(&t, "peer", cfg, fam, s->trust == TRUST_NONE, &s->peer,
	    err, errlen) != 0 ||
	    get_peer(&t, "rpeer", cfg, fam, true, &s->rtcp_peer,
	    err, errlen) != 0 ||
	    value_get_bool(&t, "rconf", &s->rtcp_confirmed, err, errlen) != 0)
		return -1;
	if (s->trust == TRUST_NONE && addr_is_set(&s->peer))
		ERR("a peer on a leg with st=none");
	if ((x = value_tok(&t, "ssrc")) == NULL)
		ERR("no ssrc");
	if (strcmp(x, "-") != 0) {
		if (strlen(x) != 8 || strspn(x, "0123456789abcdefABCDEF") != 8)
			ERR("bad ssrc");
		s->stream.ssrc = (uint32_t)strtoul(x, &ep, 16);
		s->stream.known = true;
	}
	if (value_get_u64(&t, "seq", 65535, &u, err, errlen) != 0)
		return -1;
	s->stream.max_seq = (uint16_t)u;
	if (value_get_u64(&t, "seqt", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->stream.last_ms = s->stream.known ? value_to_mono(u, off) : 0;
	if (value_get_u64(&t, "nsw", 1000000000, &s->switches,
	    err, errlen) != 0 ||
	    value_get_u64(&t, "swt", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->last_switch_ms = value_to_mono(u, off);
	if (value_get_u64(&t, "wst", UINT64_C(1) << 53, &u, err, errlen) != 0)
		return -1;
	s->window_start_ms = value_to_mono(u, off);
	if (value_get_u64(&t, "wsw", 1000000, &u, err, errlen) != 0)
		return -1;
	s->window_switches = (unsigned)u;
	if (value_get_u64(&t, "mux", MUX_OFF, &u, err, errlen) != 0)
		return -1;
	l->mode.rtcp_mux = (enum rtcp_mux_mode)u;
	if (value_get_bool(&t, "blk", &b, err, errlen) != 0)
		return -1;
	l->mode.blocked = b;
	if (value_get_bool(&t, "hold", &b, err, errlen) != 0)
		return -1;
	l->mode.held = b;
	l->proc.jitterbuf = -1;
	if (value_present(&t, "jb")) {
		if (value_get_name(&t, "jb", jb_names, 4, &e, err, errlen) != 0)
			return -1;
		l->proc.jitterbuf = (int)e - 1;
	}
	if (value_get_u64_or(&t, "zp", RESIZE_MAX_MS, 0, &u, err, errlen) != 0)
		return -1;
	l->proc.zptime_ms = (unsigned)u;
	if (get_pts(&t, "pt", &l->pts, err, errlen) != 0)
		return -1;
	return value_all_used(&t, err, errlen);
}

int
store_decode_media(const char *v, size_t len, int64_t wall_off,
    struct media_saved *m, char *err, size_t errlen)
{
	struct value_tokens t;
	uint64_t u;
	unsigned i;
	char key[4];

	if (value_tokenize(v, len, &t, err, errlen) != 0 ||
	    value_get_u64(&t, "num", 65535, &u, err, errlen) != 0)
		return -1;
	m->num = (unsigned)u;
	if (value_get_id(&t, "t0", m->tag[0], sizeof(m->tag[0]), true,
	    err, errlen) != 0 ||
	    value_get_id(&t, "t1", m->tag[1], sizeof(m->tag[1]), false,
	    err, errlen) != 0 ||
	    value_get_id(&t, "br", m->branch, sizeof(m->branch), false,
	    err, errlen) != 0 ||
	    value_get_bool(&t, "ans", &m->answered, err, errlen) != 0 ||
	    value_get_id(&t, "type", m->type, sizeof(m->type), false,
	    err, errlen) != 0 ||
	    value_get_id(&t, "proto", m->proto, sizeof(m->proto), false,
	    err, errlen) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "mo%u", i);
		if (value_get_u64_or(&t, key, 1, 0, &u, err, errlen) != 0)
			return -1;
		m->mux_offer[i] = u != 0;
		snprintf(key, sizeof(key), "lb%u", i);
		if (decode_label(&t, key, m->label[i], sizeof(m->label[i]),
		    err, errlen) != 0)
			return -1;
	}
	if (value_get_u64_or(&t, "del", UINT64_C(1) << 53, 0, &u,
	    err, errlen) != 0)
		return -1;
	m->delete_at_ms = value_to_mono(u, wall_off);
	return value_all_used(&t, err, errlen);
}
