/*
 * fuzz_ng.c - the pure part of the ng command layer on any bytes: one
 * document (what follows the cookie), decoded as bencode or JSON by its
 * first byte as ng.c does, read by ng_request_parse, and for an offer or
 * answer that carries an SDP, that SDP parsed and rewritten with an
 * sdp_out built the way ng_offer.c builds it (relay ports made up).
 *
 * Beyond memory safety the target checks:
 * - a request that fails says one of rtpengine's two reasons;
 * - a request that parses has sane values, and each of its strings lies
 *   inside the input (bencode) or is readable to its end (JSON, whose
 *   strings are copies);
 * - an SDP that ng_offer.c would accept rewrites, unless the output is
 *   too big, and the output parses again with the same m= lines and the
 *   ports that were written.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "control/ng/bencode.h"
#include "control/ng/ng_request.h"
#include "control/ng/ngjson.h"
#include "lib/addr.h"
#include "sdp/sdp.h"
#include "sdp/sdp_rewrite.h"
#include "fuzz.h"

#define OUTMAX	65536		/* ng_offer.c's NG_SDP_MAX */

static const struct sdp_addr relay4 = { AF_INET, "203.0.113.1", false };
static const struct sdp_addr relay6 = { AF_INET6, "2001:db8::1", false };

static const uint8_t *in_lo, *in_hi;
static bool from_input;		/* bencode: strings point into the input */
static volatile uint8_t sink;

static void
check_str(const struct ng_str *s)
{
	size_t i;
	uint8_t x = 0;

	if (s->len == 0)
		return;
	FUZZ_CHECK(s->p != NULL);
	if (from_input) {
		FUZZ_CHECK((const uint8_t *)s->p >= in_lo &&
		    (const uint8_t *)s->p < in_hi);
		FUZZ_CHECK(s->len <= (size_t)(in_hi - (const uint8_t *)s->p));
	}
	/* Under ASan, reading every byte proves the length is true. */
	for (i = 0; i < s->len; i++)
		x ^= (uint8_t)s->p[i];
	sink = x;
}

static void
check_request(const struct ng_request *r)
{
	unsigned i;

	FUZZ_CHECK(r->command > NG_UNKNOWN && r->command < NG_COMMAND_MAX);
	FUZZ_CHECK(strcmp(ng_command_name(r->command), "?") != 0);
	check_str(&r->call_id);
	check_str(&r->from_tag);
	check_str(&r->to_tag);
	check_str(&r->via_branch);
	check_str(&r->sdp);
	check_str(&r->label);
	check_str(&r->set_label);
	check_str(&r->transport_protocol);
	check_str(&r->media_address);
	check_str(&r->direction[0]);
	check_str(&r->direction[1]);
	FUZZ_CHECK(r->nignored <= NG_MAX_WARNINGS);
	for (i = 0; i < r->nignored; i++) {
		FUZZ_CHECK(r->ignored[i].len > 0);
		check_str(&r->ignored[i]);
	}
	FUZZ_CHECK(memchr(r->received_from, '\0', sizeof(r->received_from)) != NULL);
	FUZZ_CHECK(r->received_from_family == 0 || r->received_from_family == AF_INET ||
	    r->received_from_family == AF_INET6);
	FUZZ_CHECK(r->address_family == 0 || r->address_family == AF_INET ||
	    r->address_family == AF_INET6);
	FUZZ_CHECK(r->delete_delay >= -1);
	FUZZ_CHECK(r->record_call_key >= -1 && r->record_call_key <= 1);
	FUZZ_CHECK(r->ice <= NG_ICE_OTHER);
	FUZZ_CHECK((r->rtcp_mux & ~0x1fu) == 0);
}

/* media-address as ng_offer.c reads it: false when it is not an address. */
static bool
forced_addr(const struct ng_request *r, struct sdp_addr *sa)
{
	char ip[NG_IP_STRLEN];
	struct addr a;
	size_t n = r->media_address.len;

	if (n == 0)
		return false;
	if (n >= sizeof(ip))
		n = sizeof(ip) - 1;
	memcpy(ip, r->media_address.p, n);
	ip[n] = '\0';
	if (addr_parse(&a, ip, 0, strchr(ip, ':') ? AF_INET6 : AF_INET) != 0)
		return false;
	memset(sa, 0, sizeof(*sa));
	sa->family = addr_family(&a);
	addr_ip_str(&a, sa->ip, sizeof(sa->ip));
	return true;
}

/* What ng_offer.c's check_sdp refuses never reaches the rewriter. */
static bool
refused(const struct ng_request *r, const struct sdp *s)
{
	unsigned i;

	if (r->srtp_asked || s->nmedia == 0)
		return true;
	for (i = 0; i < s->nmedia; i++) {
		if (s->media[i].port == 0)
			continue;
		if (sdp_proto_is_srtp(s->media[i].proto))
			return true;
		if (sdp_proto_is_rtp(s->media[i].proto) && sdp_media_addr(s, i) == NULL)
			return true;
	}
	return false;
}

static void
rewrite(const struct ng_request *r, const struct sdp *s)
{
	static char buf[OUTMAX];
	const struct sdp_media *sm;
	struct sdp_media_out *mo;
	struct sdp_addr forced;
	struct sdp_out so;
	struct sdp s2;
	bool answer = r->command == NG_ANSWER, have_forced;
	char err[160];
	size_t len;
	unsigned i;

	memset(&so, 0, sizeof(so));
	have_forced = forced_addr(r, &forced);
	so.addr = have_forced ? &forced :
	    r->address_family == AF_INET6 ? &relay6 : &relay4;
	so.replace_origin = r->replace_origin;
	so.replace_session_conn = r->replace_session_connection;
	so.strip_ice = true;
	so.nmedia = s->nmedia;
	for (i = 0; i < s->nmedia; i++) {
		sm = &s->media[i];
		mo = &so.media[i];
		if (sm->port == 0)
			continue;
		if (!sdp_proto_is_rtp(sm->proto)) {
			mo->keep = true;
			continue;
		}
		mo->addr = so.addr;
		mo->port = (uint16_t)(30000 + 2 * i);
		mo->dir = sdp_media_dir(s, i);
		if (sdp_media_addr(s, i)->zero && mo->dir == SDP_SENDRECV)
			mo->dir = SDP_SENDONLY;
		if (answer)
			mo->rtcp_mux = sm->rtcp_mux && !(r->rtcp_mux & NG_MUX_REJECT);
		else
			mo->rtcp_mux = (sm->rtcp_mux &&
			    !(r->rtcp_mux & (NG_MUX_REJECT | NG_MUX_DEMUX))) ||
			    (r->rtcp_mux & (NG_MUX_OFFER | NG_MUX_REQUIRE));
		mo->rtcp_port = mo->rtcp_mux && (answer ||
		    (r->rtcp_mux & NG_MUX_REQUIRE)) ? mo->port : (uint16_t)(mo->port + 1);
	}
	if (sdp_rewrite(s, &so, buf, sizeof(buf), &len, err, sizeof(err)) != 0) {
		/* Only an output too big for a datagram can fail. */
		FUZZ_CHECK(strncmp(err, "SDP rewrite: more than", 22) == 0);
		return;
	}
	FUZZ_CHECK(len > 0 && len <= sizeof(buf));
	if (sdp_parse(&s2, buf, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "output does not parse: %s\n%.*s\n", err, (int)len, buf);
		abort();
	}
	FUZZ_CHECK(s2.nmedia == s->nmedia);
	for (i = 0; i < s->nmedia; i++)
		FUZZ_CHECK(s2.media[i].port ==
		    (so.media[i].keep ? s->media[i].port : so.media[i].port));
	sdp_free(&s2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	struct ng_request r;
	struct bnode *root;
	struct bdoc d;
	struct sdp s;
	char err[256];
	size_t used;
	int rc;

	if (size == 0 || (doc[0] != 'd' && doc[0] != '{'))
		return 0;
	in_lo = data;
	in_hi = data + size;
	from_input = doc[0] == 'd';
	bdoc_init(&d);
	if (from_input)
		rc = bencode_decode(&d, doc, size, &root, &used, err, sizeof(err));
	else
		rc = ngjson_decode(&d, doc, size, &root, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(root == NULL || !from_input);
		goto out;
	}
	FUZZ_CHECK(root != NULL && root->type == BN_DICT);
	if (ng_request_parse(root, &r, err, sizeof(err)) != 0) {
		FUZZ_CHECK(strcmp(err, "Unrecognized command") == 0 ||
		    strcmp(err, "Dictionary contains no key \"command\"") == 0);
		goto out;
	}
	check_request(&r);
	if ((r.command != NG_OFFER && r.command != NG_ANSWER) || r.sdp.len == 0)
		goto out;
	if (sdp_parse(&s, r.sdp.p, r.sdp.len, err, sizeof(err)) != 0) {
		FUZZ_CHECK(strncmp(err, "Failed to parse SDP: ", 21) == 0);
		goto out;
	}
	FUZZ_CHECK(s.nmedia <= SDP_MAX_MEDIA);
	if (!refused(&r, &s))
		rewrite(&r, &s);
	sdp_free(&s);
out:
	bdoc_free(&d);
	return 0;
}
