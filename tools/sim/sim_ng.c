/*
 * sim_ng.c - ng requests and replies for rtproam-sim. Pure.
 */
#include "sim_ng.h"

#include <stdio.h>
#include <string.h>

#include <sys/socket.h>

#include "control/ng/bencode.h"
#include "sdp/sdp.h"

static const char *const cmd_names[] = {
	[SIM_NG_OFFER] = "offer",
	[SIM_NG_ANSWER] = "answer",
	[SIM_NG_DELETE] = "delete",
};

int
sim_ng_sdp(const struct addr *media, uint32_t sess_id, uint32_t sess_ver,
    char *buf, size_t len)
{
	char ip[ADDR_STRLEN];
	const char *fam;
	int n;

	switch (addr_family(media)) {
	case AF_INET:
		fam = "IP4";
		break;
	case AF_INET6:
		fam = "IP6";
		break;
	default:
		return -1;
	}
	addr_ip_str(media, ip, sizeof(ip));
	n = snprintf(buf, len,
	    "v=0\r\n"
	    "o=- %u %u IN %s %s\r\n"
	    "s=rtproam-sim\r\n"
	    "c=IN %s %s\r\n"
	    "t=0 0\r\n"
	    "m=audio %u RTP/AVP 0 101\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\n"
	    "a=ptime:20\r\n"
	    "a=sendrecv\r\n",
	    sess_id, sess_ver, fam, ip, fam, ip, addr_port(media));
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

static bool
filled(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Everything is copied into the doc, so the caller's strings may go. */
static struct bnode *
request_doc(struct bdoc *d, const struct sim_ng_req *q)
{
	struct bnode *root;
	char sdp[1024];
	int n, rc = 0;

	if ((root = bn_dict(d)) == NULL)
		return NULL;
	if (q->cmd != SIM_NG_DELETE) {
		if (q->media == NULL || (n = sim_ng_sdp(q->media, q->sess_id,
		    q->sess_ver, sdp, sizeof(sdp))) == -1)
			return NULL;
		rc |= bn_dict_add_str(d, root, "sdp", sdp, (size_t)n);
	}
	rc |= bn_dict_add_cstr(d, root, "call-id", q->callid);
	rc |= bn_dict_add_cstr(d, root, "from-tag", q->from_tag);
	if (filled(q->to_tag))
		rc |= bn_dict_add_cstr(d, root, "to-tag", q->to_tag);
	/* Without it rtpengine keeps forwarding for its default 30 s. */
	if (q->cmd == SIM_NG_DELETE)
		rc |= bn_dict_add_int(d, root, "delete-delay", 0);
	rc |= bn_dict_add_cstr(d, root, "command", cmd_names[q->cmd]);
	return rc == 0 ? root : NULL;
}

int
sim_ng_request(const struct sim_ng_req *q, const char *cookie, char *buf,
    size_t len)
{
	struct bdoc d;
	struct bnode *root;
	size_t cl, off;
	int rc = -1;

	/* The cookie ends at the first space (reference 1.1). */
	if (!filled(cookie) || strchr(cookie, ' ') != NULL ||
	    !filled(q->callid) || !filled(q->from_tag) ||
	    (unsigned)q->cmd > SIM_NG_DELETE)
		return -1;
	cl = strlen(cookie);
	if (cl + 1 >= len)
		return -1;
	memcpy(buf, cookie, cl);
	buf[cl] = ' ';
	off = cl + 1;

	bdoc_init(&d);
	/* One byte kept back for the NUL that makes the datagram loggable. */
	if ((root = request_doc(&d, q)) != NULL &&
	    bencode_encode(root, buf, len - 1, &off) == 0) {
		buf[off] = '\0';
		rc = (int)off;
	}
	bdoc_free(&d);
	return rc;
}

/* A relay's text for a person: printable ASCII only, cut to fit. */
static void
reason_copy(struct sim_reply *r, const struct bnode *n, const char *dflt)
{
	size_t i, k = 0;

	if (n == NULL || n->type != BN_STR || n->len == 0) {
		snprintf(r->reason, sizeof(r->reason), "%s", dflt);
		return;
	}
	for (i = 0; i < n->len && k + 1 < sizeof(r->reason); i++)
		r->reason[k++] = n->s[i] >= 0x20 && n->s[i] < 0x7f ? n->s[i] :
		    '?';
	r->reason[k] = '\0';
}

static enum sim_reply_kind
reply_error(struct sim_reply *r, const char *reason)
{
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	return r->kind = SIM_REPLY_ERROR;
}

/* The first m= line of the rewritten SDP says where to send. */
static enum sim_reply_kind
reply_sdp(const struct bnode *sdpn, struct sim_reply *r)
{
	struct sdp sdp;
	const struct sdp_addr *ca;
	char err[128];

	if (sdpn == NULL || sdpn->type != BN_STR)
		return reply_error(r, "ok without an sdp");
	if (sdp_parse(&sdp, sdpn->s, sdpn->len, err, sizeof(err)) == -1)
		return reply_error(r, err);
	if (sdp.nmedia == 0) {
		sdp_free(&sdp);
		return reply_error(r, "rewritten SDP has no m= line");
	}
	r->port = sdp.media[0].port;
	if ((ca = sdp_media_addr(&sdp, 0)) != NULL)
		snprintf(r->host, sizeof(r->host), "%s", ca->ip);
	sdp_free(&sdp);
	return r->kind = SIM_REPLY_PORT;
}

enum sim_reply_kind
sim_ng_reply_parse(const char *buf, size_t len, const char *cookie,
    bool want_sdp, struct sim_reply *r)
{
	struct bdoc d;
	struct bnode *root;
	const struct bnode *res;
	size_t cl = strlen(cookie), used;
	char err[128];
	enum sim_reply_kind k;

	memset(r, 0, sizeof(*r));
	if (len <= cl + 1 || memcmp(buf, cookie, cl) != 0 || buf[cl] != ' ')
		return SIM_REPLY_BAD;
	buf += cl + 1;
	len -= cl + 1;

	bdoc_init(&d);
	/* One datagram, one dictionary: trailing bytes are not a reply. */
	if (bencode_decode(&d, buf, len, &root, &used, err, sizeof(err)) != 0 ||
	    used != len || root->type != BN_DICT) {
		bdoc_free(&d);
		return SIM_REPLY_BAD;
	}
	res = bn_dict_get(root, "result");
	if (bn_is_str(res, "ok"))
		k = want_sdp ? reply_sdp(bn_dict_get(root, "sdp"), r) :
		    (r->kind = SIM_REPLY_PORT);
	else if (bn_is_str(res, "error")) {
		reason_copy(r, bn_dict_get(root, "error-reason"), "error");
		k = r->kind = SIM_REPLY_ERROR;
	} else if (bn_is_str(res, "load limit")) {
		reason_copy(r, bn_dict_get(root, "message"), "load limit");
		k = r->kind = SIM_REPLY_ERROR;
	} else
		k = reply_error(r, "reply has no result ok, error or load"
		    " limit");
	bdoc_free(&d);
	return k;
}
