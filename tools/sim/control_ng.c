/*
 * control_ng.c - rtproam-sim's ng messages (reference: ng-protocol.md 2):
 * an offer with the offerer's SDP, a re-offer with the to-tag set for a
 * re-INVITE, an answer with the answerer's SDP, a delete with no delay.
 * sim_ng.c writes and reads the bencode; control.c sends and
 * retransmits.
 */
#include "sim.h"
#include "sim_ng.h"

static int
ng_build(const struct sim *s, struct txn *t)
{
	const struct phone *p;
	struct sim_ng_req q = {
		.callid = s->callid,
		/* The offerer's tag is the from-tag, as with U and L. */
		.from_tag = s->tag[t->party],
		.to_tag = s->tag[!t->party],
	};
	int n;

	switch (t->kind) {
	case TXN_OFFER:
		q.cmd = SIM_NG_OFFER;
		/* The initial INVITE has no to-tag yet. */
		if (!s->setup_done)
			q.to_tag = NULL;
		break;
	case TXN_ANSWER:
		q.cmd = SIM_NG_ANSWER;
		break;
	default:
		/* A BYE: call-id and from-tag end a 1:1 call (reference 6.4). */
		q.cmd = SIM_NG_DELETE;
		q.to_tag = NULL;
		break;
	}
	if (q.cmd != SIM_NG_DELETE) {
		p = txn_sdp_phone(s, t);
		q.media = &p->ep[p->cur].addr;
		/*
		 * o= stays the phone's; its version grows with each move,
		 * since only then does the phone's SDP change (RFC 3264 8).
		 */
		q.sess_id = p->first_ssrc;
		q.sess_ver = 1u + p->path;
	}
	if ((n = sim_ng_request(&q, t->cookie, t->cmd, sizeof(t->cmd))) == -1)
		return -1;
	t->len = (size_t)n;
	return 0;
}

static enum sim_reply_kind
ng_parse(struct txn *t, const char *buf, size_t len)
{
	return sim_ng_reply_parse(buf, len, t->cookie, t->kind != TXN_DELETE,
	    &t->reply);
}

const struct ctl_proto ctl_ng = {
	.id = SIM_PROTO_NG,
	.verb = { [TXN_OFFER] = "offer", [TXN_ANSWER] = "answer",
	    [TXN_DELETE] = "delete" },
	.build = ng_build,
	.parse = ng_parse,
};
