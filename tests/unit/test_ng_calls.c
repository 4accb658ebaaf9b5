/*
 * test_ng_calls.c - who is who in an ng call: tags, forks, re-offers and
 * deletes, played through ng_execute() against the real call model.
 *
 * Each row is one call flow as a proxy would send it: offers, answers,
 * deletes and queries, each a bencoded document built from the step. A
 * fresh call_ctx with one real worker and a few real ports on 127.0.0.1
 * runs every row. After each step the driver checks the reply (result,
 * error-reason, warning), reads the relay ports out of the reply's SDP,
 * and looks at the call model: how many media, which leg got the party's
 * address, whether a delete is pending.
 *
 * Ports are remembered in slots: a step may save the reply's ports under a
 * slot number, or require them to equal, or to differ from, a slot saved
 * before. "The callee's re-offer gives the caller the same port as the
 * answer did" is then `.same = ANS`.
 *
 * Parties: a (caller, 127.0.0.20:40000), b (callee, 127.0.0.30:42000), and
 * for forks b1 and b2 (127.0.0.31:44000) on branches br1 and br2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "call/calls.h"
#include "control/ng/bencode.h"
#include "control/ng/ng.h"
#include "lib/log.h"
#include "sdp/sdp.h"

#define SDP_HEAD(o, ip) \
	"v=0\r\no=" o " 100 100 IN IP4 " ip "\r\ns=-\r\nc=IN IP4 " ip "\r\nt=0 0\r\n"
#define AUDIO(port) \
	"m=audio " port " RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n" \
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
#define VIDEO(port)	"m=video " port " RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"

#define SDP_A		SDP_HEAD("alice", "127.0.0.20") AUDIO("40000") "a=sendrecv\r\n"
#define SDP_A_HOLD	SDP_HEAD("alice", "127.0.0.20") AUDIO("40000") "a=sendonly\r\n"
#define SDP_A_MOVED	SDP_HEAD("alice", "127.0.0.21") AUDIO("40010")
#define SDP_B		SDP_HEAD("bob", "127.0.0.30") AUDIO("42000")
#define SDP_B_MOVED	SDP_HEAD("bob", "127.0.0.30") AUDIO("42002")
#define SDP_B2		SDP_HEAD("bob2", "127.0.0.31") AUDIO("44000")
#define SDP_A_AV	SDP_HEAD("alice", "127.0.0.20") AUDIO("40000") VIDEO("40002")
#define SDP_B_AV	SDP_HEAD("bob", "127.0.0.30") AUDIO("42000") VIDEO("42002")
#define SDP_A_NOVIDEO	SDP_HEAD("alice", "127.0.0.20") AUDIO("40000") VIDEO("0")
#define SDP_B_NOVIDEO	SDP_HEAD("bob", "127.0.0.30") AUDIO("42000") VIDEO("0")
#define SDP_A_SAVP \
	SDP_HEAD("alice", "127.0.0.20") "m=audio 40000 RTP/SAVP 0\r\n" \
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" \
	"d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"

#define NSLOTS	8
/* Slot names, for reading the rows. */
enum { NONE = 0, OFF = 1, ANS, OFF2, ANS2, OFF3, ANS3 };

/* What a step expects of the pending deletion of the call's media. */
enum pending { P_ANY = 0, P_YES, P_NO };

struct step {
	const char	*cmd;		/* NULL ends the row */
	const char	*call;		/* NULL: "c1" */
	const char	*from, *to, *via;
	const char	*sdp;
	const char	*flags;		/* one flag, or NULL */
	const char	*delay;		/* delete-delay as an integer, or NULL */
	bool		 supports;	/* supports: ["load limit"] */

	const char	*result;	/* NULL: "ok" */
	const char	*reason;	/* error-reason, or the load limit message */
	const char	*warning;	/* a prefix of the reply's warning; NULL: none */
	int		 save, same, differ;	/* slots */
	unsigned	 rejected;	/* bit i: m= line i+1 must answer port 0 */
	int		 media;		/* media in the call afterwards; -1: no call */
	enum pending	 pending;
	/* The leg facing party `sig` (its peer named `sig_peer`, if given)
	 * must hold `sig_port` as the address its party signalled. */
	const char	*sig, *sig_peer;
	uint16_t	 sig_port;
};

struct row {
	const char	*name;
	unsigned	 max_calls;
	unsigned	 port_pairs;	/* 0: plenty */
	struct step	 steps[12];
};

#define OFFER(F, T, S)		.cmd = "offer", .from = (F), .to = (T), .sdp = (S)
#define ANSWER(F, T, S)		.cmd = "answer", .from = (F), .to = (T), .sdp = (S)
#define DELETE(F, T)		.cmd = "delete", .from = (F), .to = (T), .delay = "0"
#define QUERY			.cmd = "query"

static const struct row rows[] = {
	{ "offer, answer, re-offers from either side keep every port", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .save = OFF, .media = 1,
		    .sig = "a", .sig_port = 40000 },
		{ ANSWER("a", "b", SDP_B), .save = ANS, .differ = OFF, .media = 1,
		    .sig = "b", .sig_port = 42000 },
		/* A retransmission with a new cookie is the same offer. */
		{ OFFER("a", NULL, SDP_A), .same = OFF, .media = 1 },
		{ OFFER("a", "b", SDP_A_HOLD), .same = OFF, .media = 1,
		    .sig = "a", .sig_port = 40000 },
		{ ANSWER("a", "b", SDP_B), .same = ANS, .media = 1 },
		/* The callee's re-INVITE: the caller hears of the caller's leg. */
		{ OFFER("b", "a", SDP_B_MOVED), .same = ANS, .media = 1,
		    .sig = "b", .sig_port = 42002 },
		{ ANSWER("b", "a", SDP_A), .same = OFF, .media = 1,
		    .sig = "a", .sig_port = 40000 },
		/* The caller moved: its ports stay, its address changes. */
		{ OFFER("a", "b", SDP_A_MOVED), .same = OFF, .media = 1,
		    .sig = "a", .sig_port = 40010 },
		{ QUERY, .media = 1 },
		{ .cmd = NULL } } },
	{ "late offer: the callee's 200 offers, the ACK answers (swapped tags)", 0, 0, {
		{ OFFER("b", "a", SDP_B), .save = OFF, .media = 1,
		    .sig = "b", .sig_port = 42000 },
		{ ANSWER("b", "a", SDP_A), .save = ANS, .differ = OFF, .media = 1,
		    .sig = "a", .sig_port = 40000 },
		/* The caller's re-INVITE, with From/To as SIP has them. */
		{ OFFER("a", "b", SDP_A_HOLD), .same = ANS, .media = 1,
		    .sig = "a", .sig_port = 40000 },
		{ ANSWER("a", "b", SDP_B_MOVED), .same = OFF, .media = 1,
		    .sig = "b", .sig_port = 42002 },
		/* A BYE from the caller: its from-tag ends the 1:1 call. */
		{ DELETE("a", NULL), .media = -1 },
		{ .cmd = NULL } } },
	{ "forks with via-branch: separate ports, each answer on its branch", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .via = "br1", .save = OFF, .media = 1 },
		{ OFFER("a", NULL, SDP_A), .via = "br2", .save = OFF2, .differ = OFF,
		    .media = 2 },
		/* The same branch again is a retransmission. */
		{ OFFER("a", NULL, SDP_A), .via = "br1", .same = OFF, .media = 2 },
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .save = ANS, .media = 2,
		    .sig = "b1", .sig_port = 42000 },
		{ ANSWER("a", "b2", SDP_B2), .via = "br2", .save = ANS2, .differ = ANS,
		    .media = 2, .sig = "b2", .sig_port = 44000 },
		/* b1 still owns its branch. */
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .same = ANS, .media = 2,
		    .sig = "b1", .sig_port = 42000 },
		/* In-dialog re-offers name the branch by its to-tag alone. */
		{ OFFER("a", "b2", SDP_A_HOLD), .same = OFF2, .media = 2 },
		{ OFFER("a", "b1", SDP_A_HOLD), .same = OFF, .media = 2 },
		{ OFFER("b2", "a", SDP_B2), .same = ANS2, .media = 2,
		    .sig = "b2", .sig_port = 44000 },
		{ OFFER("b1", "a", SDP_B_MOVED), .same = ANS, .media = 2,
		    .sig = "b1", .sig_port = 42002 },
		{ .cmd = NULL } } },
	{ "a second to-tag without via-branch takes the leg over", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .save = OFF, .media = 1 },
		{ ANSWER("a", "b1", SDP_B), .save = ANS, .media = 1,
		    .sig = "b1", .sig_port = 42000 },
		{ ANSWER("a", "b2", SDP_B2), .same = ANS, .media = 1,
		    .sig = "b2", .sig_port = 44000 },
		{ OFFER("b2", "a", SDP_B2), .same = ANS, .media = 1,
		    .sig = "b2", .sig_port = 44000 },
		/* b1 is no party any more. */
		{ DELETE("a", "b1"), .warning = "Call-ID not found or tags didn't match",
		    .media = 1 },
		{ DELETE("a", "b2"), .media = -1 },
		{ .cmd = NULL } } },
	{ "delete by the caller's from-tag ends every fork", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .via = "br1", .media = 1 },
		{ OFFER("a", NULL, SDP_A), .via = "br2", .media = 2 },
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .media = 2 },
		{ ANSWER("a", "b2", SDP_B2), .via = "br2", .media = 2 },
		{ DELETE("a", NULL), .media = -1 },
		{ DELETE("a", NULL), .warning = "Call-ID not found or tags didn't match",
		    .media = -1 },
		{ .cmd = NULL } } },
	{ "delete by a callee's from-tag ends its branch only", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .via = "br1", .save = OFF, .media = 1 },
		{ OFFER("a", NULL, SDP_A), .via = "br2", .media = 2 },
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .media = 2 },
		{ ANSWER("a", "b2", SDP_B2), .via = "br2", .media = 2 },
		{ DELETE("b2", NULL), .media = 1, .sig = "b1", .sig_port = 42000 },
		{ OFFER("a", "b1", SDP_A), .same = OFF, .media = 1 },
		{ DELETE("b1", NULL), .media = -1 },
		{ .cmd = NULL } } },
	{ "delete by to-tag ends that branch only", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .via = "br1", .media = 1 },
		{ OFFER("a", NULL, SDP_A), .via = "br2", .media = 2 },
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .media = 2 },
		{ ANSWER("a", "b2", SDP_B2), .via = "br2", .media = 2 },
		{ DELETE("a", "b1"), .media = 1, .sig = "b2", .sig_port = 44000 },
		{ DELETE("a", "b2"), .media = -1 },
		{ .cmd = NULL } } },
	{ "delete by via-branch ends that branch's untagged leg", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .via = "br1", .media = 1 },
		{ OFFER("a", NULL, SDP_A), .via = "br2", .media = 2 },
		{ ANSWER("a", "b1", SDP_B), .via = "br1", .media = 2 },
		/* br1 is answered: its leg is tagged, a via-branch misses it. */
		{ DELETE("a", NULL), .via = "br1",
		    .warning = "Call-ID not found or tags didn't match", .media = 2 },
		{ DELETE("a", NULL), .via = "br2", .media = 1,
		    .sig = "b1", .sig_port = 42000 },
		{ .cmd = NULL } } },
	{ "delete with a delay is pending; an offer revives the call", 0, 0, {
		{ OFFER("a", NULL, SDP_A), .save = OFF, .media = 1, .pending = P_NO },
		{ ANSWER("a", "b", SDP_B), .media = 1 },
		{ .cmd = "delete", .from = "a", .delay = "30", .media = 1,
		    .pending = P_YES },
		{ QUERY, .media = 1, .pending = P_YES },
		/* A crossed BYE: ok again, and the deadline does not move. */
		{ .cmd = "delete", .from = "b", .delay = "30", .media = 1,
		    .pending = P_YES },
		{ OFFER("a", "b", SDP_A_HOLD), .same = OFF, .media = 1,
		    .pending = P_NO },
		{ DELETE("a", NULL), .media = -1 },
		{ QUERY, .result = "error", .reason = "Unknown call-id", .media = -1 },
		{ .cmd = NULL } } },
	{ "delete of what is not there: a warning, or with fatal an error", 0, 0, {
		{ DELETE("a", NULL), .warning = "Call-ID not found or tags didn't match",
		    .media = -1 },
		{ DELETE("a", NULL), .flags = "fatal", .result = "error",
		    .reason = "Call-ID not found or tags didn't match", .media = -1 },
		{ OFFER("a", NULL, SDP_A), .media = 1 },
		{ DELETE("x", NULL), .flags = "fatal", .result = "error",
		    .reason = "Call-ID not found or tags didn't match", .media = 1 },
		{ DELETE("a", "x"), .warning = "Call-ID not found or tags didn't match",
		    .media = 1 },
		{ .cmd = "delete", .delay = "0", .media = -1 },
		{ .cmd = NULL } } },
	{ "answer or query for an unknown call", 0, 0, {
		{ ANSWER("a", "b", SDP_B), .result = "error", .reason = "Unknown call-id",
		    .media = -1 },
		{ QUERY, .result = "error", .reason = "Unknown call-id", .media = -1 },
		{ .cmd = NULL } } },
	{ "max-calls with supports: load limit", 1, 0, {
		{ OFFER("a", NULL, SDP_A), .supports = true, .media = 1 },
		{ OFFER("a", NULL, SDP_A), .call = "c2", .supports = true,
		    .result = "load limit", .reason = "Parallel session limit reached",
		    .media = -1 },
		/* Limits apply to new calls only. */
		{ ANSWER("a", "b", SDP_B), .supports = true, .media = 1 },
		{ OFFER("a", "b", SDP_A), .supports = true, .media = 1 },
		{ .cmd = NULL } } },
	{ "max-calls without supports: the exact error Kamailio fails over on", 1, 0, {
		{ OFFER("a", NULL, SDP_A), .media = 1 },
		{ OFFER("a", NULL, SDP_A), .call = "c2", .result = "error",
		    .reason = "Parallel session limit reached", .media = -1 },
		{ OFFER("a", NULL, SDP_A), .media = 1 },
		{ .cmd = NULL } } },
	{ "port exhaustion: Ran out of ports, even with supports", 0, 2, {
		{ OFFER("a", NULL, SDP_A), .supports = true, .media = 1 },
		{ OFFER("a", NULL, SDP_A), .call = "c2", .supports = true,
		    .result = "error", .reason = "Ran out of ports", .media = -1 },
		/* The call of a failed offer is not left half-built. */
		{ QUERY, .call = "c2", .result = "error", .reason = "Unknown call-id",
		    .media = -1 },
		{ DELETE("a", NULL), .media = -1 },
		{ OFFER("a", NULL, SDP_A), .call = "c2", .media = 1 },
		{ .cmd = NULL } } },
	{ "two m= lines of which the second runs out of ports", 0, 3, {
		{ OFFER("a", NULL, SDP_A), .media = 1 },
		{ OFFER("a", NULL, SDP_A_AV), .call = "c2", .result = "error",
		    .reason = "Ran out of ports", .media = -1 },
		{ QUERY, .call = "c2", .result = "error", .reason = "Unknown call-id",
		    .media = -1 },
		{ .cmd = NULL } } },
	{ "SRTP is refused, and no call is made", 0, 0, {
		{ OFFER("a", NULL, SDP_A_SAVP), .result = "error",
		    .reason = "SRTP/DTLS is not supported by rtproam yet: m= line 1 "
		    "is RTP/SAVP", .media = -1 },
		{ OFFER("a", NULL, SDP_A), .flags = "SRTP", .result = "error",
		    .reason = "SRTP/DTLS is not supported by rtproam yet: ask for "
		    "RTP/AVP (no SDES, DTLS or SAVP flags)", .media = -1 },
		{ .cmd = NULL } } },
	{ "a rejected m= line stays port 0 and gets no media", 0, 0, {
		{ OFFER("a", NULL, SDP_A_NOVIDEO), .rejected = 0x2, .save = OFF,
		    .media = 1 },
		{ ANSWER("a", "b", SDP_B_NOVIDEO), .rejected = 0x2, .media = 1 },
		{ .cmd = NULL } } },
	{ "two m= lines make two media with their own ports", 0, 0, {
		{ OFFER("a", NULL, SDP_A_AV), .save = OFF, .media = 2 },
		{ ANSWER("a", "b", SDP_B_AV), .save = ANS, .differ = OFF, .media = 2,
		    .sig = "b", .sig_port = 42000 },
		{ OFFER("b", "a", SDP_B_AV), .same = ANS, .media = 2 },
		{ OFFER("a", "b", SDP_A_AV), .same = OFF, .media = 2 },
		{ .cmd = NULL } } },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

struct fixture {
	const struct row *row;
	struct config	 cfg;
	struct call_ctx	 ctx;
	struct worker	 worker;
	bool		 started;
	unsigned	 nports[NSLOTS];
	uint16_t	 ports[NSLOTS][SDP_MAX_MEDIA];
};

/*
 * A port range of its own per process, so that test runs side by side
 * (and the daemon's tests) rarely meet; the allocator skips taken pairs.
 */
static uint16_t
port_base(void)
{
	return (uint16_t)(20000 + (unsigned)(getpid() % 500) * 40);
}

static int
setup(void **state)
{
	const struct row *w = *state;
	struct fixture *f = calloc(1, sizeof(*f));
	uint16_t base = port_base();

	assert_non_null(f);
	f->row = w;
	config_default(&f->cfg);
	assert_int_equal(addr_parse(&f->cfg.ifaces[0], "127.0.0.1", 0, AF_INET), 0);
	f->cfg.nifaces = 1;
	f->cfg.max_calls = w->max_calls;
	f->cfg.port_min = base;
	f->cfg.port_max = (uint16_t)(base + (w->port_pairs ? 2 * w->port_pairs : 40) - 1);
	call_ctx_init(&f->ctx, &f->cfg);
	assert_int_equal(ports_init(&f->ctx.ports, f->cfg.port_min, f->cfg.port_max), 0);
	assert_int_equal(calls_init(&f->ctx.calls, 64), 0);
	f->ctx.workers = &f->worker;
	f->ctx.nworkers = 1;
	assert_int_equal(worker_start(&f->worker, 0, -1, NULL), 0);
	f->started = true;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f == NULL)
		return 0;
	f->ctx.shutting_down = true;
	if (f->started) {
		calls_delete_all(&f->ctx, "test over");
		worker_stop(&f->worker);
	}
	calls_free(&f->ctx.calls);
	ports_free(&f->ctx.ports);
	call_ctx_free(&f->ctx);
	free(f);
	return 0;
}

/* The step as a proxy would send it, bencoded. */
static size_t
build(const struct step *s, char *buf, size_t len)
{
	struct bdoc d;
	struct bnode *root, *l;
	size_t off = 0;
	int64_t delay;

	bdoc_init(&d);
	root = bn_dict(&d);
	assert_non_null(root);
	if (s->supports) {
		l = bn_dict_add_list(&d, root, "supports");
		assert_int_equal(bn_list_add(l, bn_cstr(&d, "load limit")), 0);
	}
	if (s->sdp)
		assert_int_equal(bn_dict_add_cstr(&d, root, "sdp", s->sdp), 0);
	if (s->flags) {
		l = bn_dict_add_list(&d, root, "flags");
		assert_int_equal(bn_list_add(l, bn_cstr(&d, s->flags)), 0);
	}
	assert_int_equal(bn_dict_add_cstr(&d, root, "call-id", s->call ? s->call : "c1"), 0);
	if (s->via)
		assert_int_equal(bn_dict_add_cstr(&d, root, "via-branch", s->via), 0);
	if (s->from)
		assert_int_equal(bn_dict_add_cstr(&d, root, "from-tag", s->from), 0);
	if (s->to)
		assert_int_equal(bn_dict_add_cstr(&d, root, "to-tag", s->to), 0);
	if (s->delay) {
		delay = strtoll(s->delay, NULL, 10);
		assert_int_equal(bn_dict_add_int(&d, root, "delete-delay", delay), 0);
	}
	assert_int_equal(bn_dict_add_cstr(&d, root, "command", s->cmd), 0);
	assert_int_equal(bencode_encode(root, buf, len, &off), 0);
	bdoc_free(&d);
	return off;
}

static bool
str_eq(const struct bnode *n, const char *s)
{
	return n != NULL && n->type == BN_STR && n->len == strlen(s) &&
	    memcmp(n->s, s, n->len) == 0;
}

static void
check_str(unsigned k, const char *what, const struct bnode *n, const char *want)
{
	if (want == NULL && n == NULL)
		return;
	if (want != NULL && str_eq(n, want))
		return;
	fail_msg("step %u: %s: got \"%.*s\", want \"%s\"", k, what,
	    n && n->type == BN_STR ? (int)n->len : 6, n && n->type == BN_STR ? n->s :
	    "absent", want ? want : "absent");
}

static void
compare_slot(struct fixture *f, unsigned k, int slot, const uint16_t *p, unsigned n,
    bool same)
{
	bool eq;

	assert_true(slot > 0 && slot < NSLOTS && f->nports[slot] > 0);
	eq = f->nports[slot] == n && memcmp(f->ports[slot], p, n * sizeof(*p)) == 0;
	if (same && !eq)
		fail_msg("step %u: ports %u... are not those of slot %d (%u...)", k,
		    p[0], slot, f->ports[slot][0]);
	/* Differ: not one relayed port in common. */
	if (!same && f->ports[slot][0] == p[0])
		fail_msg("step %u: port %u is that of slot %d", k, p[0], slot);
}

/* The relay ports the reply's SDP gives, one per m= line. */
static void
check_sdp(struct fixture *f, unsigned k, const struct step *s, const struct bnode *sdp)
{
	uint16_t p[SDP_MAX_MEDIA];
	struct sdp parsed;
	char err[160];
	unsigned i;

	if (sdp == NULL || sdp->type != BN_STR)
		fail_msg("step %u: the reply has no sdp", k);
	if (sdp_parse(&parsed, sdp->s, sdp->len, err, sizeof(err)) != 0)
		fail_msg("step %u: the reply's sdp: %s", k, err);
	for (i = 0; i < parsed.nmedia; i++) {
		p[i] = parsed.media[i].port;
		if ((s->rejected >> i & 1) != (p[i] == 0))
			fail_msg("step %u: m= line %u has port %u", k, i + 1, p[i]);
		/* Ours, from the test's range, RTP even. */
		if (p[i] != 0)
			assert_true(p[i] >= f->cfg.port_min && p[i] <= f->cfg.port_max &&
			    p[i] % 2 == 0);
		if (sdp_media_addr(&parsed, i) != NULL && p[i] != 0)
			assert_string_equal(sdp_media_addr(&parsed, i)->ip, "127.0.0.1");
	}
	sdp_free(&parsed);
	if (s->same)
		compare_slot(f, k, s->same, p, i, true);
	if (s->differ)
		compare_slot(f, k, s->differ, p, i, false);
	if (s->save) {
		f->nports[s->save] = i;
		memcpy(f->ports[s->save], p, i * sizeof(*p));
	}
}

static bool
tag_is(const char *tag, const char *want)
{
	return tag != NULL && want != NULL && strcmp(tag, want) == 0;
}

/* What the call model holds after the step. */
static void
check_model(struct fixture *f, unsigned k, const struct step *s)
{
	const char *id = s->call ? s->call : "c1";
	struct call *c = call_find(&f->ctx.calls, id, strlen(id));
	struct media *m;
	unsigned n = 0, i, found = 0;

	for (m = c ? c->media : NULL; m; m = m->next) {
		n++;
		if (s->pending == P_YES)
			assert_true(m->delete_at_ms != 0);
		if (s->pending == P_NO)
			assert_true(m->delete_at_ms == 0);
		if (s->sig == NULL || m->num != 1)
			continue;
		for (i = 0; i < 2; i++) {
			if (!tag_is(m->tag[i], s->sig) ||
			    (s->sig_peer && !tag_is(m->tag[i ^ 1], s->sig_peer)))
				continue;
			found++;
			if (addr_port(&m->signalled[i]) != s->sig_port)
				fail_msg("step %u: the leg facing %s holds port %u, "
				    "want %u", k, s->sig, addr_port(&m->signalled[i]),
				    s->sig_port);
		}
	}
	if (s->media < 0 && c != NULL)
		fail_msg("step %u: call %s still exists (%u media)", k, id, n);
	if (s->media > 0 && (c == NULL || n != (unsigned)s->media))
		fail_msg("step %u: call %s has %u media, want %d", k, id, n, s->media);
	if (s->sig != NULL && found != 1)
		fail_msg("step %u: %u legs face %s, want 1", k, found, s->sig);
	/* The table's count agrees with what can be found in it. */
	assert_int_equal(f->ctx.calls.ncalls, (call_find(&f->ctx.calls, "c1", 2) != NULL) +
	    (call_find(&f->ctx.calls, "c2", 2) != NULL));
}

static void
run_step(struct fixture *f, unsigned k, const struct step *s)
{
	static char req[70000], reply[70000];
	size_t reqlen = build(s, req, sizeof(req)), n;
	struct bnode *root;
	struct bdoc d;
	char err[160];
	size_t used;

	n = ng_execute(&f->ctx, req, reqlen, NULL, reply, sizeof(reply));
	assert_true(n > 0 && n <= sizeof(reply));
	bdoc_init(&d);
	if (bencode_decode(&d, reply, n, &root, &used, err, sizeof(err)) != 0)
		fail_msg("step %u: reply does not decode: %s", k, err);
	assert_int_equal(used, n);
	check_str(k, "result", bn_dict_get(root, "result"), s->result ? s->result : "ok");
	if (s->result != NULL && strcmp(s->result, "load limit") == 0)
		check_str(k, "message", bn_dict_get(root, "message"), s->reason);
	else
		check_str(k, "error-reason", bn_dict_get(root, "error-reason"), s->reason);
	if (s->warning != NULL) {
		const struct bnode *w = bn_dict_get(root, "warning");

		if (w == NULL || w->type != BN_STR || w->len < strlen(s->warning) ||
		    memcmp(w->s, s->warning, strlen(s->warning)) != 0)
			fail_msg("step %u: warning: got \"%.*s\", want \"%s...\"", k,
			    w ? (int)w->len : 0, w ? w->s : "", s->warning);
	} else {
		check_str(k, "warning", bn_dict_get(root, "warning"), NULL);
	}
	if (s->result == NULL && s->sdp != NULL)
		check_sdp(f, k, s, bn_dict_get(root, "sdp"));
	bdoc_free(&d);
	check_model(f, k, s);
}

static void
run_row(void **state)
{
	struct fixture *f = *state;
	const struct row *w = f->row;
	unsigned k;

	for (k = 0; w->steps[k].cmd != NULL; k++)
		run_step(f, k + 1, &w->steps[k]);
}

int
main(void)
{
	static struct CMUnitTest tests[NROWS];
	size_t i;

	/* Every ended media says so at info: keep the test output readable. */
	log_set_level(LOG_LVL_ERR);
	for (i = 0; i < NROWS; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].setup_func = setup;
		tests[i].teardown_func = teardown;
		tests[i].initial_state = (void *)&rows[i];
	}
	return _cmocka_run_group_tests("ng_calls", tests, i, NULL, NULL);
}
