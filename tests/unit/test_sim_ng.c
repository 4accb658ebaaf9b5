/*
 * test_sim_ng.c - the ng messages rtproam-sim sends and the replies it
 * reads, one row per situation. Requests are checked by decoding them
 * with the daemon's own bencode and SDP parsers, so a row fails when the
 * relay would read something else than the simulator meant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "control/ng/bencode.h"
#include "sdp/sdp.h"
#include "sim_ng.h"

/* ---- the phone's SDP ----------------------------------------------- */

struct sdp_case {
	const char	*name;
	const char	*phone;		/* IP:PORT, or NULL: an unset address */
	uint32_t	 id, ver;
	size_t		 buflen;
	int		 ok;		/* 0, or -1 */
	const char	*origin;	/* the o= line expected */
	int		 family;
};

static const struct sdp_case sdp_cases[] = {
	{ "ipv4 phone", "127.0.0.2:4000", 7, 1, 1024, 0,
	    "o=- 7 1 IN IP4 127.0.0.2", AF_INET },
	{ "after two moves", "127.0.0.10:4002", 7, 3, 1024, 0,
	    "o=- 7 3 IN IP4 127.0.0.10", AF_INET },
	{ "ipv6 phone", "[::1]:5000", 4294967295u, 2, 1024, 0,
	    "o=- 4294967295 2 IN IP6 ::1", AF_INET6 },
	{ "buffer too small", "127.0.0.2:4000", 7, 1, 64, -1, NULL, 0 },
	{ "no address", NULL, 7, 1, 1024, -1, NULL, 0 },
};

static void
test_sdp(void **state)
{
	const struct sdp_case *c;
	const struct sdp_addr *ca;
	struct sdp sdp;
	struct addr a;
	char buf[1024], err[128], ip[ADDR_STRLEN];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(sdp_cases) / sizeof(sdp_cases[0]); i++) {
		c = &sdp_cases[i];
		addr_clear(&a);
		if (c->phone != NULL)
			assert_int_equal(addr_parse_hostport(&a, c->phone, 0,
			    AF_UNSPEC), 0);
		n = sim_ng_sdp(&a, c->id, c->ver, buf, c->buflen);
		if (c->ok == -1) {
			if (n != -1)
				fail_msg("%s: built %d bytes", c->name, n);
			continue;
		}
		if (n <= 0 || (size_t)n != strlen(buf))
			fail_msg("%s: length %d", c->name, n);
		if (strstr(buf, c->origin) == NULL)
			fail_msg("%s: no '%s' in\n%s", c->name, c->origin, buf);
		/* What the relay reads: the phone's address and port. */
		if (sdp_parse(&sdp, buf, (size_t)n, err, sizeof(err)) != 0)
			fail_msg("%s: %s", c->name, err);
		assert_int_equal(sdp.nmedia, 1);
		assert_int_equal(sdp.media[0].port, addr_port(&a));
		assert_true(sdp_proto_is_rtp(sdp.media[0].proto));
		assert_int_equal(sdp.media[0].fmts.len, 5);
		assert_memory_equal(sdp.media[0].fmts.p, "0 101", 5);
		assert_int_equal(sdp_media_dir(&sdp, 0), SDP_SENDRECV);
		ca = sdp_media_addr(&sdp, 0);
		assert_non_null(ca);
		assert_int_equal(ca->family, c->family);
		assert_string_equal(ca->ip, addr_ip_str(&a, ip, sizeof(ip)));
		sdp_free(&sdp);
	}
}

/* ---- requests ------------------------------------------------------ */

struct req_case {
	const char		*name;
	struct sim_ng_req	 q;
	const char		*cookie;
	size_t			 buflen;
	int			 ok;		/* 0, or -1 */
	const char		*command;
	bool			 has_sdp, has_to_tag, has_delay;
	const char		*sdp_ip;	/* the c= of the SDP sent */
};

static struct addr phone_a, phone_b;

static const struct req_case req_cases[] = {
	{ "initial offer: caller's SDP, no to-tag",
	    { SIM_NG_OFFER, "call1@h", "tagA", NULL, &phone_a, 1, 1 },
	    "9_1", 2048, 0, "offer", true, false, false, "127.0.0.2" },
	{ "initial offer with an empty to-tag: none sent",
	    { SIM_NG_OFFER, "call1@h", "tagA", "", &phone_a, 1, 1 },
	    "9_1", 2048, 0, "offer", true, false, false, "127.0.0.2" },
	{ "answer: callee's SDP, both tags",
	    { SIM_NG_ANSWER, "call1@h", "tagA", "tagB", &phone_b, 2, 1 },
	    "9_2", 2048, 0, "answer", true, true, false, "127.0.0.3" },
	{ "re-offer after a move: to-tag set",
	    { SIM_NG_OFFER, "call1@h", "tagA", "tagB", &phone_a, 1, 2 },
	    "9_3", 2048, 0, "offer", true, true, false, "127.0.0.2" },
	{ "callee's re-offer: its tag is the from-tag",
	    { SIM_NG_OFFER, "call1@h", "tagB", "tagA", &phone_b, 2, 2 },
	    "9_4", 2048, 0, "offer", true, true, false, "127.0.0.3" },
	{ "delete: no SDP, delay 0",
	    { SIM_NG_DELETE, "call1@h", "tagA", NULL, NULL, 0, 0 },
	    "9_5", 2048, 0, "delete", false, false, true, NULL },
	/* refused */
	{ "empty cookie",
	    { SIM_NG_DELETE, "call1@h", "tagA", NULL, NULL, 0, 0 },
	    "", 2048, -1, NULL, false, false, false, NULL },
	{ "cookie with a space",
	    { SIM_NG_DELETE, "call1@h", "tagA", NULL, NULL, 0, 0 },
	    "9 5", 2048, -1, NULL, false, false, false, NULL },
	{ "no call-id",
	    { SIM_NG_OFFER, "", "tagA", NULL, &phone_a, 1, 1 },
	    "9_6", 2048, -1, NULL, false, false, false, NULL },
	{ "no from-tag",
	    { SIM_NG_ANSWER, "call1@h", NULL, "tagB", &phone_b, 1, 1 },
	    "9_7", 2048, -1, NULL, false, false, false, NULL },
	{ "offer without a phone",
	    { SIM_NG_OFFER, "call1@h", "tagA", NULL, NULL, 1, 1 },
	    "9_8", 2048, -1, NULL, false, false, false, NULL },
	{ "offer larger than the buffer",
	    { SIM_NG_OFFER, "call1@h", "tagA", NULL, &phone_a, 1, 1 },
	    "9_9", 200, -1, NULL, false, false, false, NULL },
	{ "delete one byte short",
	    { SIM_NG_DELETE, "call1@h", "tagA", NULL, NULL, 0, 0 },
	    "9_5", 75, -1, NULL, false, false, false, NULL },
};

/* The delete of the row above, byte for byte: 75 bytes and a NUL. */
static const char delete_wire[] =
    "9_5 d7:call-id7:call1@h8:from-tag4:tagA12:delete-delayi0e"
    "7:command6:deletee";

static void
check_str(const char *name, const struct bnode *root, const char *key,
    const char *want)
{
	const struct bnode *n = bn_dict_get(root, key);

	if (want == NULL) {
		if (n != NULL)
			fail_msg("%s: unexpected %s", name, key);
		return;
	}
	if (!bn_is_str(n, want))
		fail_msg("%s: %s is not '%s'", name, key, want);
}

static void
test_request(void **state)
{
	const struct req_case *c;
	const struct bnode *sdpn, *last;
	struct bnode *root;
	struct bdoc d;
	struct sdp sdp;
	char buf[2048], err[128];
	size_t i, cl, used;
	int64_t delay;
	int n;

	(void)state;
	assert_int_equal(addr_parse_hostport(&phone_a, "127.0.0.2:4000", 0,
	    AF_INET), 0);
	assert_int_equal(addr_parse_hostport(&phone_b, "127.0.0.3:6000", 0,
	    AF_INET), 0);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		c = &req_cases[i];
		n = sim_ng_request(&c->q, c->cookie, buf, c->buflen);
		if (c->ok == -1) {
			if (n != -1)
				fail_msg("%s: built %d bytes", c->name, n);
			continue;
		}
		if (n <= 0 || (size_t)n != strlen(buf))
			fail_msg("%s: length %d", c->name, n);
		/* The cookie, one space, one dictionary and nothing else. */
		cl = strlen(c->cookie);
		assert_memory_equal(buf, c->cookie, cl);
		assert_int_equal(buf[cl], ' ');
		bdoc_init(&d);
		if (bencode_decode(&d, buf + cl + 1, (size_t)n - cl - 1, &root,
		    &used, err, sizeof(err)) != 0)
			fail_msg("%s: %s", c->name, err);
		assert_int_equal(used, (size_t)n - cl - 1);
		check_str(c->name, root, "command", c->command);
		check_str(c->name, root, "call-id", c->q.callid);
		check_str(c->name, root, "from-tag", c->q.from_tag);
		check_str(c->name, root, "to-tag",
		    c->has_to_tag ? c->q.to_tag : NULL);
		/* Kamailio puts the command last; so do we. */
		for (last = root->first; last->next != NULL; last = last->next)
			;
		assert_int_equal(last->klen, 7);
		assert_memory_equal(last->key, "command", 7);
		if (c->has_delay) {
			assert_int_equal(bn_get_int(bn_dict_get(root,
			    "delete-delay"), &delay), 0);
			assert_int_equal(delay, 0);
		} else
			assert_null(bn_dict_get(root, "delete-delay"));
		sdpn = bn_dict_get(root, "sdp");
		if (!c->has_sdp)
			assert_null(sdpn);
		else {
			assert_non_null(sdpn);
			assert_int_equal(sdpn->type, BN_STR);
			assert_int_equal(sdp_parse(&sdp, sdpn->s, sdpn->len,
			    err, sizeof(err)), 0);
			assert_string_equal(sdp_media_addr(&sdp, 0)->ip,
			    c->sdp_ip);
			assert_int_equal(sdp.media[0].port,
			    addr_port(c->q.media));
			sdp_free(&sdp);
		}
		bdoc_free(&d);
	}
	n = sim_ng_request(&req_cases[5].q, "9_5", buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(delete_wire));
	assert_string_equal(buf, delete_wire);
	/* Exactly large enough: the datagram and its NUL. */
	n = sim_ng_request(&req_cases[5].q, "9_5", buf, sizeof(delete_wire));
	assert_int_equal(n, (int)sizeof(delete_wire) - 1);
}

/* ---- replies ------------------------------------------------------- */

/* rtproam's offer reply of example 1 (ng-protocol.md 4.9), shortened. */
#define SDP_OK(c, m) \
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" c "t=0 0\r\n" m \
    "a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp:38357\r\n"

struct reply_case {
	const char		*name;
	const char		*text;
	size_t			 len;		/* 0: strlen(text) */
	bool			 want_sdp;
	enum sim_reply_kind	 kind;
	unsigned		 port;
	const char		*host;
	const char		*reason;	/* a part of it */
};

#define B(s)	s, sizeof(s) - 1	/* text and length, NULs kept */

static const char sdp_session_c[] = SDP_OK("c=IN IP4 127.0.0.1\r\n",
    "m=audio 38356 RTP/AVP 0\r\n");
static const char sdp_media_c[] = SDP_OK("",
    "m=audio 38400 RTP/AVP 0\r\nc=IN IP4 127.0.0.9\r\n");
static const char sdp_port0[] = SDP_OK("c=IN IP4 127.0.0.1\r\n",
    "m=audio 0 RTP/AVP 0\r\n");
static const char sdp_no_c[] = SDP_OK("", "m=audio 38356 RTP/AVP 0\r\n");

/* "c1 d3:sdp<len>:<sdp>6:result2:oke", built at run time from the above. */
static char rep_session_c[512], rep_media_c[512], rep_port0[512],
    rep_no_c[512], rep_result_first[512];

static const struct reply_case reply_cases[] = {
	{ "offer ok: session c=", rep_session_c, 0, true, SIM_REPLY_PORT,
	    38356, "127.0.0.1", NULL },
	{ "keys in another order", rep_result_first, 0, true,
	    SIM_REPLY_PORT, 38356, "127.0.0.1", NULL },
	{ "media-level c= wins", rep_media_c, 0, true, SIM_REPLY_PORT,
	    38400, "127.0.0.9", NULL },
	{ "no c= at all: the control address will do", rep_no_c, 0, true,
	    SIM_REPLY_PORT, 38356, "", NULL },
	{ "rejected stream: port 0 for the caller to refuse", rep_port0, 0,
	    true, SIM_REPLY_PORT, 0, "127.0.0.1", NULL },
	{ "delete ok with statistics", "c1 d6:totalsde6:result2:oke", 0,
	    false, SIM_REPLY_PORT, 0, "", NULL },
	{ "delete ok with the call gone",
	    "c1 d6:result2:ok7:warning38:Call-ID not found or tags didn't"
	    " matche", 0, false, SIM_REPLY_PORT, 0, "", NULL },
	{ "error with a reason",
	    "c1 d6:result5:error12:error-reason15:Unknown call-ide", 0, true,
	    SIM_REPLY_ERROR, 0, "", "Unknown call-id" },
	{ "error without a reason", "c1 d6:result5:errore", 0, true,
	    SIM_REPLY_ERROR, 0, "", "error" },
	{ "control bytes in a reason are not printed",
	    B("c1 d6:result5:error12:error-reason5:a\nb\0ce"), true,
	    SIM_REPLY_ERROR, 0, "", "a?b?c" },
	{ "load limit",
	    "c1 d6:result10:load limit7:message30:Parallel session limit"
	    " reachede", 0, true, SIM_REPLY_ERROR, 0, "",
	    "Parallel session limit reached" },
	{ "ok without an sdp where one is due", "c1 d6:result2:oke", 0, true,
	    SIM_REPLY_ERROR, 0, "", "without an sdp" },
	{ "sdp that does not parse", "c1 d3:sdp5:hello6:result2:oke", 0,
	    true, SIM_REPLY_ERROR, 0, "", "SDP" },
	{ "pong is no answer to an offer", "c1 d6:result4:ponge", 0, true,
	    SIM_REPLY_ERROR, 0, "", "no result ok" },
	/* not ours, or not a reply: wait and retransmit */
	{ "another cookie", "c2 d6:result2:oke", 0, false, SIM_REPLY_BAD, 0,
	    "", NULL },
	{ "a cookie that only starts like ours", "c12 d6:result2:oke", 0,
	    false, SIM_REPLY_BAD, 0, "", NULL },
	{ "no space after the cookie", "c1d6:result2:oke", 0, false,
	    SIM_REPLY_BAD, 0, "", NULL },
	{ "cookie only", "c1 ", 0, false, SIM_REPLY_BAD, 0, "", NULL },
	{ "a cut datagram", "c1 d6:result2:ok", 0, false, SIM_REPLY_BAD, 0,
	    "", NULL },
	{ "bytes after the dictionary", "c1 d6:result2:okeX", 0, false,
	    SIM_REPLY_BAD, 0, "", NULL },
	{ "a JSON reply", "c1 {\"result\":\"ok\"}", 0, false,
	    SIM_REPLY_BAD, 0, "", NULL },
	{ "an rtpproxy reply", "c1 40000 127.0.0.1\n", 0, true,
	    SIM_REPLY_BAD, 0, "", NULL },
};

static void
reply_with_sdp(char *buf, size_t len, const char *sdp, bool result_first)
{
	int n;

	if (result_first)
		n = snprintf(buf, len, "c1 d6:result2:ok3:sdp%zu:%se",
		    strlen(sdp), sdp);
	else
		n = snprintf(buf, len, "c1 d3:sdp%zu:%s6:result2:oke",
		    strlen(sdp), sdp);
	assert_true(n > 0 && (size_t)n < len);
}

static void
test_reply(void **state)
{
	const struct reply_case *c;
	struct sim_reply r;
	size_t i, len;

	(void)state;
	reply_with_sdp(rep_session_c, sizeof(rep_session_c), sdp_session_c,
	    false);
	reply_with_sdp(rep_result_first, sizeof(rep_result_first),
	    sdp_session_c, true);
	reply_with_sdp(rep_media_c, sizeof(rep_media_c), sdp_media_c, false);
	reply_with_sdp(rep_port0, sizeof(rep_port0), sdp_port0, false);
	reply_with_sdp(rep_no_c, sizeof(rep_no_c), sdp_no_c, false);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		c = &reply_cases[i];
		len = c->len ? c->len : strlen(c->text);
		if (sim_ng_reply_parse(c->text, len, "c1", c->want_sdp, &r) !=
		    c->kind)
			fail_msg("%s: want kind %d, got %d (%s)", c->name,
			    c->kind, r.kind, r.reason);
		assert_int_equal(r.kind, c->kind);
		if (c->kind == SIM_REPLY_BAD)
			continue;
		if (r.port != c->port)
			fail_msg("%s: port %u, want %u", c->name, r.port,
			    c->port);
		assert_string_equal(r.host, c->host);
		if (c->reason == NULL)
			assert_string_equal(r.reason, "");
		else if (strstr(r.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->name,
			    r.reason, c->reason);
	}
}

/* What the simulator sends, the daemon's own decoder reads back. */
static void
test_request_reply_round_trip(void **state)
{
	struct sim_ng_req q = { SIM_NG_OFFER, "rt@h", "a", NULL, NULL, 5, 1 };
	struct sim_reply r;
	char req[2048], rep[2048], err[128];
	struct bdoc d;
	struct bnode *root;
	const struct bnode *sdpn;
	size_t used;
	int n;

	(void)state;
	assert_int_equal(addr_parse_hostport(&phone_a, "127.0.0.2:4000", 0,
	    AF_INET), 0);
	q.media = &phone_a;
	n = sim_ng_request(&q, "k7", req, sizeof(req));
	assert_true(n > 0);
	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, req + 3, (size_t)n - 3, &root,
	    &used, err, sizeof(err)), 0);
	sdpn = bn_dict_get(root, "sdp");
	assert_non_null(sdpn);
	/* A relay that echoed the SDP: the phone would send to itself. */
	n = snprintf(rep, sizeof(rep), "k7 d3:sdp%zu:%.*s6:result2:oke",
	    sdpn->len, (int)sdpn->len, sdpn->s);
	bdoc_free(&d);
	assert_int_equal(sim_ng_reply_parse(rep, (size_t)n, "k7", true, &r),
	    SIM_REPLY_PORT);
	assert_int_equal(r.port, 4000);
	assert_string_equal(r.host, "127.0.0.2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdp),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_request_reply_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
