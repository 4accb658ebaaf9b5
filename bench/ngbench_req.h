/*
 * ngbench_req.h - what ngbench puts on the wire and reads back: the
 * phones' SDP bodies, the ng requests built with the project's bencode
 * module, and the relay address taken out of a rewritten SDP with the
 * project's SDP parser. Pure functions over a call; no sockets.
 */
#ifndef NGBENCH_REQ_H
#define NGBENCH_REQ_H

#include "bench.h"
#include "control/ng/bencode.h"
#include "sdp/sdp.h"

#define SDP_TEXT_MAX	768

enum ng_step { NG_OFFER, NG_ANSWER, NG_QUERY, NG_DELETE };

/*
 * The SDP a phone sends: the caller's in the style of a desk phone
 * (PCMU, PCMA, DTMF events, ptime), the callee's a shorter answer.
 */
static int
phone_sdp(const struct call *k, unsigned side, unsigned c, char *buf, size_t len)
{
	char ip[ADDR_STRLEN];
	unsigned port = addr_port(&k->ph[side].local);
	int n;

	addr_ip_str(&k->ph[side].local, ip, sizeof(ip));
	if (side == 0)
		n = snprintf(buf, len, "v=0\r\n"
		    "o=alice %u %u IN IP4 %s\r\n"
		    "s=-\r\n"
		    "c=IN IP4 %s\r\n"
		    "t=0 0\r\n"
		    "m=audio %u RTP/AVP 0 8 101\r\n"
		    "a=rtpmap:0 PCMU/8000\r\n"
		    "a=rtpmap:8 PCMA/8000\r\n"
		    "a=rtpmap:101 telephone-event/8000\r\n"
		    "a=fmtp:101 0-16\r\n"
		    "a=ptime:20\r\n"
		    "a=sendrecv\r\n", 2890844526u + c, 2890844526u + c, ip, ip, port);
	else
		n = snprintf(buf, len, "v=0\r\n"
		    "o=bob %u %u IN IP4 %s\r\n"
		    "s=Talk\r\n"
		    "c=IN IP4 %s\r\n"
		    "t=0 0\r\n"
		    "m=audio %u RTP/AVP 0 101\r\n"
		    "a=rtpmap:0 PCMU/8000\r\n"
		    "a=rtpmap:101 telephone-event/8000\r\n"
		    "a=fmtp:101 0-15\r\n", 1000 + c, 1000 + c, ip, ip, port);
	return n > 0 && (size_t)n < len ? n : -1;
}

static int
add_strs(struct bdoc *d, struct bnode *m, const char *key, const char *a,
    const char *b2)
{
	struct bnode *l;

	if ((l = bn_dict_add_list(d, m, key)) == NULL ||
	    bn_list_add(l, bn_cstr(d, a)) != 0)
		return -1;
	return b2 == NULL ? 0 : bn_list_add(l, bn_cstr(d, b2));
}

/*
 * "<cookie> <bencode>" for command `step` of call k (number c) into buf;
 * *used = its length. Keys in Kamailio 5.6's order: supports, sdp, flags,
 * replace, call-id, received-from, tags, command last. 0, or -1 when it
 * does not fit.
 */
static int
ng_encode(char *buf, size_t len, size_t *used, const char *cookie,
    const struct call *k, unsigned c, enum ng_step step)
{
	static const char *names[] = { "offer", "answer", "query", "delete" };
	char sdp[SDP_TEXT_MAX], ip[ADDR_STRLEN];
	struct bdoc d;
	struct bnode *m;
	size_t off;
	int n, rc = -1;

	n = snprintf(buf, len, "%s ", cookie);
	if (n <= 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
	bdoc_init(&d);
	if ((m = bn_dict(&d)) == NULL || add_strs(&d, m, "supports", "load limit", NULL) != 0)
		goto out;
	if (step == NG_OFFER || step == NG_ANSWER) {
		if ((n = phone_sdp(k, step == NG_ANSWER, c, sdp, sizeof(sdp))) < 0 ||
		    bn_dict_add_str(&d, m, "sdp", sdp, (size_t)n) != 0)
			goto out;
		if (step == NG_OFFER &&
		    add_strs(&d, m, "flags", "SIP-source-address", NULL) != 0)
			goto out;
		if (add_strs(&d, m, "replace", "origin", "session-connection") != 0)
			goto out;
	}
	/* The SIP message came from the phone that sent the SDP. */
	addr_ip_str(&k->ph[step == NG_ANSWER].local, ip, sizeof(ip));
	if (bn_dict_add_cstr(&d, m, "call-id", k->id) != 0 ||
	    add_strs(&d, m, "received-from", "IP4", ip) != 0 ||
	    bn_dict_add_cstr(&d, m, "from-tag", k->ftag) != 0)
		goto out;
	if ((step == NG_ANSWER || step == NG_QUERY) &&
	    bn_dict_add_cstr(&d, m, "to-tag", k->ttag) != 0)
		goto out;
	if (step == NG_DELETE && bn_dict_add_int(&d, m, "delete-delay", 0) != 0)
		goto out;
	if (bn_dict_add_cstr(&d, m, "command", names[step]) != 0 ||
	    bencode_encode(m, buf, len, &off) != 0)
		goto out;
	*used = off;
	rc = 0;
out:
	bdoc_free(&d);
	return rc;
}

/* The relay's address for media in a rewritten SDP (first m= line). */
static int
sdp_relay_addr(const struct bnode *n, struct addr *to)
{
	const struct sdp_addr *a;
	struct sdp s;
	char err[128];
	int rc = -1;

	if (n == NULL || n->type != BN_STR ||
	    sdp_parse(&s, n->s, n->len, err, sizeof(err)) != 0)
		return -1;
	if (s.nmedia > 0 && s.media[0].port != 0 &&
	    (a = sdp_media_addr(&s, 0)) != NULL &&
	    addr_parse(to, a->ip, s.media[0].port, AF_UNSPEC) == 0)
		rc = 0;
	sdp_free(&s);
	return rc;
}

#endif
