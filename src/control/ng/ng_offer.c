/*
 * ng_offer.c - offer and answer: an SDP in, the call model updated, the
 * SDP rewritten to point at the relay out.
 *
 * Who is who (ng-protocol.md §2.2): from-tag is the party whose SDP an
 * offer carries, to-tag the party whose SDP an answer carries, in the
 * offer and in the matching answer alike. So an offer is rtpproxy's U
 * (the address is from-tag's) and an answer is its L (the address is
 * to-tag's); the rewritten SDP goes to the other party and names the leg
 * that faces it. Each m= line is one media of the call, numbered from 1,
 * with its own port pair per party for the whole call: re-INVITEs from
 * either side, retransmissions and a phone that moved keep the ports.
 */
#include "control/ng/ng_commands.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "sdp/sdp.h"
#include "sdp/sdp_rewrite.h"

#define NG_SDP_MAX	65536

/* What one m= line of this request does. */
struct media_plan {
	bool		 relayed;	/* an RTP line with a port: it has a media */
	bool		 keep;		/* not RTP: left as it came, not relayed */
	bool		 unknown;	/* an answer's line with no media: rejected */
	struct media	*media;
	unsigned	 owner;		/* leg facing the party whose SDP this is */
};

static const char *
family_name(int family)
{
	return family == AF_INET6 ? "IP6" : "IP4";
}

/* The error-reasons that make Kamailio try the next relay (§7) are exact. */
static enum ng_status
call_failure(const struct ng_request *req, enum call_err err, unsigned line,
    struct ng_reply *out)
{
	switch (err) {
	case CALL_ERR_MAX_CALLS:
		if (req->supports_load_limit) {
			snprintf(out->reason, sizeof(out->reason),
			    "Parallel session limit reached");
			return NG_STATUS_LOAD_LIMIT;
		}
		return ng_fail(out, "Parallel session limit reached");
	case CALL_ERR_NO_PORTS:
		return ng_fail(out, "Ran out of ports");
	case CALL_ERR_NOT_FOUND:
		return ng_fail(out, "Unknown call-id");
	case CALL_ERR_SHUTDOWN:
		return ng_fail(out, "Relay is shutting down");
	case CALL_ERR_STANDBY:
		return ng_fail(out, "Relay is an HA standby: it serves no calls "
		    "until it takes over");
	case CALL_ERR_NO_LOCAL_AF:
		return ng_fail(out, "No media address of the family asked for "
		    "(m= line %u): configure one with -l or -6", line);
	case CALL_ERR_NOMEM:
	case CALL_ERR_NO_RECORDER:
	case CALL_OK:
		break;
	}
	return ng_fail(out, "Out of memory");
}

static bool
ng_str_is(const struct ng_str *s, const char *lit)
{
	return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

/* A direction name: "internal"/"external" pick the first/second -l address. */
static char
iface_letter(const struct ng_str *name, struct ng_reply *out)
{
	if (name->len == 0)
		return 0;
	if (ng_str_is(name, "internal") || ng_str_is(name, "priv") ||
	    ng_str_is(name, "I"))
		return 'I';
	if (ng_str_is(name, "external") || ng_str_is(name, "pub") ||
	    ng_str_is(name, "E"))
		return 'E';
	ng_warn(out, "unknown interface %.*s, the default is used",
	    (int)name->len, name->p);
	return 0;
}

/*
 * The address the party of this SDP sends from, for media i: its c=, or
 * with SIP-source-address the SIP packet's source (the port stays the
 * SDP's). A line with ICE keeps its own address, as in rtpengine.
 */
static int
party_address(const struct ng_request *req, const struct sdp *sdp, unsigned i,
    struct addr *a)
{
	const struct sdp_addr *sa = sdp_media_addr(sdp, i);
	const char *ip;
	int family;

	if (sa == NULL)
		return -1;
	ip = sa->ip;
	family = sa->family;
	if (req->sip_source_address && !req->trust_address &&
	    req->received_from[0] != '\0' && !sa->zero && !sdp->media[i].has_ice) {
		ip = req->received_from;
		family = req->received_from_family ? req->received_from_family :
		    (strchr(ip, ':') ? AF_INET6 : AF_INET);
	}
	return addr_parse(a, ip, sdp->media[i].port, family);
}

static void
copy_str(char *dst, size_t size, const char *p, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/*
 * rtcp-mux (ng-protocol.md §4.5). A party muxes when it offered a=rtcp-mux
 * and we accept it (we always can, unless told to reject), or when it
 * accepts the mux we offered it. We offer mux onward only when the offerer
 * muxes and neither demux nor reject was asked, or when asked to offer it.
 */
static void
plan_mux(const struct ng_request *req, const struct sdp_media *sm, struct media *m,
    unsigned owner, bool answer)
{
	unsigned other = owner ^ 1;

	if (!answer) {
		m->mode[owner].rtcp_mux = sm->rtcp_mux &&
		    !(req->rtcp_mux & NG_MUX_REJECT) ? MUX_ON : MUX_OFF;
		m->mux_offer[other] = (sm->rtcp_mux &&
		    !(req->rtcp_mux & (NG_MUX_REJECT | NG_MUX_DEMUX))) ||
		    (req->rtcp_mux & (NG_MUX_OFFER | NG_MUX_REQUIRE));
		if (m->mode[other].rtcp_mux == MUX_AS_RECEIVED)
			m->mode[other].rtcp_mux = MUX_OFF;	/* until its answer says */
		return;
	}
	m->mode[owner].rtcp_mux = sm->rtcp_mux && m->mux_offer[owner] ? MUX_ON : MUX_OFF;
}

/* Push the control thread's view of both legs to the worker. */
static int
push_leg_modes(struct call_ctx *ctx, struct media *m)
{
	unsigned i;

	for (i = 0; i < 2; i++)
		if (worker_leg_mode(&ctx->workers[m->worker], m, i, &m->mode[i]) != 0)
			return -1;
	return 0;
}

/* Build the call model side of one m= line. */
static enum ng_status
update_one(struct call_ctx *ctx, const struct ng_request *req, const struct sdp *sdp,
    unsigned i, bool answer, struct media_plan *plan, bool *call_created,
    struct ng_reply *out)
{
	const struct sdp_media *sm = &sdp->media[i];
	struct media_request r;
	struct media_result res;
	enum call_err err;

	media_request_init(&r);
	r.callid = req->call_id.p;
	r.callid_len = req->call_id.len;
	r.num = i + 1;
	r.tag = req->from_tag.p;
	r.tag_len = req->from_tag.len;
	r.other = req->to_tag.p;
	r.other_len = req->to_tag.len;
	r.branch = req->via_branch.p;
	r.branch_len = req->via_branch.len;
	r.answer = answer;
	/* A later answer from another to-tag (a fork without via-branch) wins. */
	r.retag = answer;
	if (party_address(req, sdp, i, &r.addr) != 0)
		return ng_fail(out, "Incomplete SDP specification: no usable "
		    "address for m= line %u", i + 1);
	r.family[0] = addr_family(&r.addr);
	r.family[1] = req->address_family ? req->address_family : r.family[0];
	r.iface[0] = iface_letter(&req->direction[0], out);
	r.iface[1] = iface_letter(&req->direction[1], out);
	r.asymmetric = req->asymmetric ? 1 : -1;
	/* strict-source: nothing but signalling moves the leg (latch "off"). */
	if (req->strict_source)
		r.handover = LATCH_OFF;
	err = call_update_media(ctx, &r, &res);
	if (err == CALL_ERR_NOT_FOUND && answer) {
		/*
		 * No media for this line: the offer rejected it (port 0), and
		 * the answer must too (RFC 3264 §6). If no line at all is
		 * found, the call is unknown (ng_offer_answer says so).
		 */
		plan->unknown = true;
		return NG_STATUS_OK;
	}
	if (err != CALL_OK)
		return call_failure(req, err, i + 1, out);
	*call_created = *call_created || res.call_created;
	plan->media = res.media;
	plan->owner = res.owner;
	plan->relayed = true;
	if (addr_family(&res.media->leg[res.owner].local) != r.family[0])
		ng_warn(out, "m= line %u: the party now speaks %s on a leg opened "
		    "for the other family; its media cannot be relayed", i + 1,
		    family_name(r.family[0]));
	copy_str(res.media->type, sizeof(res.media->type), sm->type.p, sm->type.len);
	copy_str(res.media->proto, sizeof(res.media->proto), sm->proto.p, sm->proto.len);
	plan_mux(req, sm, res.media, res.owner, answer);
	res.media->signalled[res.owner] = r.addr;
	/* Old-style hold: c=0.0.0.0 asks for nothing to be sent to it. */
	res.media->mode[res.owner].held = addr_is_any(&r.addr);
	if (push_leg_modes(ctx, res.media) != 0)
		return ng_fail(out, "Out of memory");
	return NG_STATUS_OK;
}

/* Labels name parties for query and for Kamailio's MOS labels. */
static void
set_labels(const struct ng_request *req, struct media *m, unsigned owner, bool answer)
{
	unsigned from_leg = answer ? owner ^ 1 : owner;

	if (req->label.len > 0)
		copy_str(m->label[from_leg], sizeof(m->label[0]), req->label.p,
		    req->label.len);
	if (req->set_label.len > 0)
		copy_str(m->label[from_leg ^ 1], sizeof(m->label[0]),
		    req->set_label.p, req->set_label.len);
}

static void
sdp_addr_from(struct sdp_addr *sa, const struct addr *a)
{
	sa->family = addr_family(a);
	addr_ip_str(a, sa->ip, sizeof(sa->ip));
	sa->zero = false;
}

/* The rewritten SDP, for the party that faces leg owner ^ 1 of each media. */
static enum ng_status
rewrite(struct call_ctx *ctx, const struct ng_request *req, const struct sdp *sdp,
    const struct media_plan *plan, bool answer, struct ng_reply *out)
{
	static char buf[NG_SDP_MAX];	/* control thread only; copied into the reply */
	struct sdp_addr addrs[SDP_MAX_MEDIA], session, forced;
	struct sdp_out so;
	const struct leg *leg;
	const struct media *m;
	char err[160];
	size_t len;
	unsigned i;
	bool have_session = false;

	memset(&so, 0, sizeof(so));
	memset(&forced, 0, sizeof(forced));
	if (req->media_address.len > 0) {
		struct addr a;
		char ip[NG_IP_STRLEN];

		copy_str(ip, sizeof(ip), req->media_address.p, req->media_address.len);
		if (addr_parse(&a, ip, 0, strchr(ip, ':') ? AF_INET6 : AF_INET) != 0)
			return ng_fail(out, "Invalid media-address %s", ip);
		sdp_addr_from(&forced, &a);
	}
	so.replace_origin = req->replace_origin;
	so.replace_session_conn = req->replace_session_connection;
	so.strip_ice = true;	/* rtproam does not take part in ICE yet */
	so.nmedia = sdp->nmedia;
	for (i = 0; i < sdp->nmedia; i++) {
		struct sdp_media_out *mo = &so.media[i];

		if (plan[i].keep) {
			mo->keep = true;
			continue;
		}
		if (!plan[i].relayed)
			continue;	/* port 0: rejected */
		m = plan[i].media;
		leg = &m->leg[plan[i].owner ^ 1];
		if (forced.family)
			addrs[i] = forced;
		else
			sdp_addr_from(&addrs[i], &leg->advertised);
		if (!have_session) {
			session = addrs[i];
			have_session = true;
		}
		mo->addr = &addrs[i];
		mo->port = leg->port;
		mo->dir = sdp_media_dir(sdp, i);
		/* Old-style hold: the zero address stays, and says sendonly. */
		if (sdp_media_addr(sdp, i)->zero && mo->dir == SDP_SENDRECV)
			mo->dir = SDP_SENDONLY;
		if (answer)
			mo->rtcp_mux = m->mode[plan[i].owner ^ 1].rtcp_mux == MUX_ON;
		else
			mo->rtcp_mux = m->mux_offer[plan[i].owner ^ 1];
		/*
		 * An offer still names a separate RTCP port (RFC 5761 §5.1.1),
		 * unless mux is required; a muxed answer names the RTP port.
		 */
		mo->rtcp_port = (mo->rtcp_mux && (answer ||
		    (req->rtcp_mux & NG_MUX_REQUIRE))) ? leg->port : (uint16_t)(leg->port + 1);
	}
	if (!have_session) {
		/* Nothing relayed (all rejected): the relay's own address. */
		sdp_addr_from(&session, &ctx->cfg->ifaces[0]);
	}
	so.addr = forced.family ? &forced : &session;
	if (sdp_rewrite(sdp, &so, buf, sizeof(buf), &len, err, sizeof(err)) != 0)
		return ng_fail(out, "Error rewriting SDP: %s", err);
	if (bn_dict_add_str(out->doc, out->dict, "sdp", buf, len) != 0)
		return ng_fail(out, "Out of memory");
	return NG_STATUS_OK;
}

/* Refuse what a plain RTP relay would break, before touching any call. */
static enum ng_status
check_sdp(const struct ng_request *req, const struct sdp *sdp, struct media_plan *plan,
    struct ng_reply *out)
{
	const struct sdp_media *sm;
	unsigned i;

	if (req->srtp_asked)
		return ng_fail(out, "SRTP/DTLS is not supported by rtproam yet: "
		    "ask for RTP/AVP (no SDES, DTLS or SAVP flags)");
	if (sdp->nmedia == 0)
		return ng_fail(out, "Error rewriting SDP: no m= line");
	for (i = 0; i < sdp->nmedia; i++) {
		sm = &sdp->media[i];
		memset(&plan[i], 0, sizeof(plan[i]));
		if (sdp_proto_is_srtp(sm->proto) && sm->port != 0)
			return ng_fail(out, "SRTP/DTLS is not supported by rtproam yet: "
			    "m= line %u is %.*s", i + 1, (int)sm->proto.len, sm->proto.p);
		if (sm->port == 0)
			continue;
		if (!sdp_proto_is_rtp(sm->proto)) {
			plan[i].keep = true;
			ng_warn(out, "m= line %u (%.*s) is not RTP: passed through, "
			    "not relayed", i + 1, (int)sm->proto.len, sm->proto.p);
			continue;
		}
		if (sdp_media_addr(sdp, i) == NULL)
			return ng_fail(out, "Incomplete SDP specification");
	}
	return NG_STATUS_OK;
}

/* An answer whose lines match no media of the call: the call is unknown. */
static enum ng_status
check_answer_lines(const struct sdp *sdp, const struct media_plan *plan, bool answer,
    struct ng_reply *out)
{
	unsigned i, relayed = 0, unknown = 0;

	if (!answer)
		return NG_STATUS_OK;
	for (i = 0; i < sdp->nmedia; i++) {
		relayed += plan[i].relayed;
		unknown += plan[i].unknown;
	}
	if (unknown > 0 && relayed == 0)
		return ng_fail(out, "Unknown call-id");
	for (i = 0; i < sdp->nmedia; i++)
		if (plan[i].unknown)
			ng_warn(out, "m= line %u was rejected in the offer: rejected "
			    "here too", i + 1);
	return NG_STATUS_OK;
}

enum ng_status
ng_offer_answer(struct call_ctx *ctx, const struct ng_request *req,
    struct ng_reply *out)
{
	struct media_plan plan[SDP_MAX_MEDIA];
	struct sdp sdp;
	struct call *c;
	struct media *m;
	enum ng_status st;
	bool answer = req->command == NG_ANSWER, call_created = false;
	char err[160];
	unsigned i;

	if (req->sdp.len == 0)
		return ng_fail(out, "No SDP body in message");
	if (req->call_id.len == 0)
		return ng_fail(out, "No call-id in message");
	if (req->from_tag.len == 0)
		return ng_fail(out, "No from-tag in message");
	if (answer && req->to_tag.len == 0)
		return ng_fail(out, "No to-tag in message");
	if (sdp_parse(&sdp, req->sdp.p, req->sdp.len, err, sizeof(err)) != 0)
		return ng_fail(out, "%s", err);	/* "Failed to parse SDP: line N: why" */
	st = check_sdp(req, &sdp, plan, out);
	for (i = 0; st == NG_STATUS_OK && i < sdp.nmedia; i++)
		if (!plan[i].keep && sdp.media[i].port != 0)
			st = update_one(ctx, req, &sdp, i, answer, &plan[i],
			    &call_created, out);
	st = st != NG_STATUS_OK ? st : check_answer_lines(&sdp, plan, answer, out);
	c = call_find(&ctx->calls, req->call_id.p, req->call_id.len);
	if (st != NG_STATUS_OK) {
		/* A call this request began is not left half-built. */
		if (call_created && c != NULL)
			call_delete(ctx, c, "offer failed");
		sdp_free(&sdp);
		return st;
	}
	for (i = 0; i < sdp.nmedia; i++)
		if (plan[i].relayed)
			set_labels(req, plan[i].media, plan[i].owner, answer);
	if (c != NULL) {
		/* A new offer or answer revives a call whose delete was delayed. */
		for (m = c->media; m; m = m->next)
			m->delete_at_ms = 0;
		if (req->record_call || req->record_call_key == 1) {
			char tag[128];

			copy_str(tag, sizeof(tag), req->from_tag.p, req->from_tag.len);
			if (call_start_recording(ctx, c, tag) != CALL_OK)
				ng_warn(out, "recording asked, but not possible (--record-dir?)");
		}
	}
	st = rewrite(ctx, req, &sdp, plan, answer, out);
	sdp_free(&sdp);
	return st;
}
