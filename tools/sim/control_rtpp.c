/*
 * control_rtpp.c - rtproam-sim's rtpproxy messages: U for an offer, L for
 * an answer, D for the teardown, each one line of text, with the codecs
 * c0,101 (reference 1.2). control.c sends and retransmits them.
 */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "sim.h"

static int
rtpp_build(const struct sim *s, struct txn *t)
{
	const struct phone *p = txn_sdp_phone(s, t);
	const struct addr *media = &p->ep[p->cur].addr;
	/* Built here, then copied: t->cmd lives in *s next to the arguments. */
	char ip[INET6_ADDRSTRLEN], ttag[40] = "", cmd[sizeof(t->cmd)];
	int n;

	switch (t->kind) {
	case TXN_OFFER:
		/*
		 * Offerer's address, offerer's tag first (reference 1.2);
		 * the initial INVITE has no to-tag yet, a re-INVITE has.
		 */
		if (s->setup_done)
			snprintf(ttag, sizeof(ttag), " %s;1",
			    s->tag[!t->party]);
		n = snprintf(cmd, sizeof(cmd),
		    "%s Uc0,101 %s %s %u %s;1%s", t->cookie, s->callid,
		    addr_ip_str(media, ip, sizeof(ip)), addr_port(media),
		    s->tag[t->party], ttag);
		break;
	case TXN_ANSWER:
		/* The answerer's address, but still the offerer's tag first. */
		n = snprintf(cmd, sizeof(cmd),
		    "%s Lc0,101 %s %s %u %s;1 %s;1", t->cookie, s->callid,
		    addr_ip_str(media, ip, sizeof(ip)), addr_port(media),
		    s->tag[t->party], s->tag[!t->party]);
		break;
	default:
		n = snprintf(cmd, sizeof(cmd), "%s D %s %s %s", t->cookie,
		    s->callid, s->tag[0], s->tag[1]);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	memcpy(t->cmd, cmd, (size_t)n + 1);
	t->len = (size_t)n;
	return 0;
}

static enum sim_reply_kind
rtpp_parse(struct txn *t, const char *buf, size_t len)
{
	return sim_reply_parse(buf, len, t->cookie, &t->reply);
}

const struct ctl_proto ctl_rtpp = {
	.id = SIM_PROTO_RTPP,
	.verb = { [TXN_OFFER] = "U", [TXN_ANSWER] = "L", [TXN_DELETE] = "D" },
	.build = rtpp_build,
	.parse = rtpp_parse,
};
