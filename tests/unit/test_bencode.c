/*
 * test_bencode.c - the ng document tree: bencode and JSON, both ways.
 *
 * Tables of documents that must round-trip byte for byte, of malformed
 * ones that must fail with a given code and reason, and of lookups.
 * Every input is copied into a heap block of exactly its size, and every
 * encoder runs into one, so under ASan a read or write one byte past the
 * end is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "control/ng/bencode.h"
#include "control/ng/ngjson.h"

/* A string literal and its length, NULs inside included. */
#define B(s)	(s), (sizeof(s) - 1)

/* What Kamailio 5.6 sent for an offer (ng-protocol.md 2.2), lengths made right. */
#define OFFER_SDP \
	"v=0\r\no=alice 100 100 IN IP4 192.168.1.20\r\ns=-\r\n" \
	"c=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n" \
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
#define KAMAILIO_OFFER \
	"d8:supportsl10:load limite3:sdp215:" OFFER_SDP \
	"5:flagsl18:SIP-source-addresse7:replacel6:origin18:session-connectione" \
	"7:call-id16:kam-basic-1@test13:received-froml3:IP49:127.0.0.1e" \
	"8:from-tag9:alicetag17:command5:offere"
#define REPLY_SDP \
	"v=0\r\no=alice 100 101 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\n" \
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n" \
	"a=rtcp:30001\r\n"
#define OFFER_REPLY	"d3:sdp224:" REPLY_SDP "6:result2:oke"

static char *
heap_copy(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* Nested lists: "d1:a" + (depth - 1) x "l" + "i0e" + (depth - 1) x "e" + "e". */
static char *
gen_depth(unsigned depth, size_t *len)
{
	char *p = malloc(2 * depth + 16), *q = p;
	unsigned i;

	assert_non_null(p);
	q += sprintf(q, "d1:a");
	for (i = 1; i < depth; i++)
		*q++ = 'l';
	q += sprintf(q, "i0e");
	for (i = 1; i < depth; i++)
		*q++ = 'e';
	*q++ = 'e';
	*len = (size_t)(q - p);
	return p;
}

/* A dictionary holding one list of n integers: n + 2 values. */
static char *
gen_nodes(unsigned n, size_t *len)
{
	char *p = malloc(3 * (size_t)n + 16), *q = p;
	unsigned i;

	assert_non_null(p);
	q += sprintf(q, "d1:al");
	for (i = 0; i < n; i++)
		q += sprintf(q, "i0e");
	q += sprintf(q, "ee");
	*len = (size_t)(q - p);
	return p;
}

static char *
gen_depth_32(size_t *len)
{
	return gen_depth(BENCODE_MAX_DEPTH, len);
}

static char *
gen_depth_33(size_t *len)
{
	return gen_depth(BENCODE_MAX_DEPTH + 1, len);
}

static char *
gen_nodes_max(size_t *len)
{
	return gen_nodes(BENCODE_MAX_NODES - 2, len);
}

static char *
gen_nodes_over(size_t *len)
{
	return gen_nodes(BENCODE_MAX_NODES - 1, len);
}

/* Round trips: decode, then encode, gives the same bytes. */

struct rt_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	char		*(*gen)(size_t *);
};

static const struct rt_case rt_cases[] = {
	{ "ping", B("d7:command4:pinge"), NULL },
	{ "pong", B("d6:result4:ponge"), NULL },
	{ "ints: 0, -1, 1, INT64 max and min",
	  B("d1:ai0e1:bi-1e1:ci1e1:di9223372036854775807e"
	    "1:ei-9223372036854775808ee"), NULL },
	{ "strings with NUL, CR, LF and binary",
	  B("d1:a3:a\0b1:b4:\r\n\r\n1:c6:\xff\xfe\x80\x00\x01\x7f"
	    "3:k\0y2:\0\0e"), NULL },
	{ "empty string, list and dict", B("d0:0:1:al0:e1:bdee"), NULL },
	{ "empty top-level dict", B("de"), NULL },
	{ "nested lists and dicts",
	  B("d1:ald1:bl1:cl1:dei7eee1:ei-5ee1:fd1:gd1:hdeeee"), NULL },
	{ "unsorted keys and duplicates kept in order",
	  B("d1:zi1e1:ai2e1:zi3ee"), NULL },
	{ "Kamailio offer", B(KAMAILIO_OFFER), NULL },
	{ "offer reply with sdp", B(OFFER_REPLY), NULL },
	{ "depth 32", NULL, 0, gen_depth_32 },
	{ "20000 values", NULL, 0, gen_nodes_max },
};

static void
run_rt(void **state)
{
	const struct rt_case *c = *state;
	struct bnode *root;
	struct bdoc d;
	char err[128], *in, *out;
	size_t len = c->len, used, off = 0;

	in = c->gen != NULL ? c->gen(&len) : heap_copy(c->in, len);
	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, in, len, &root, &used, err,
	    sizeof(err)), 0);
	assert_int_equal(used, len);
	assert_int_equal(root->type, BN_DICT);
	out = malloc(len);
	assert_non_null(out);
	assert_int_equal(bencode_encode(root, out, len, &off), 0);
	assert_int_equal(off, len);
	assert_memory_equal(out, in, len);
	free(out);
	bdoc_free(&d);
	free(in);
}

/* Every proper prefix of a valid document needs more bytes (TCP). */
static void
run_prefixes(void **state)
{
	const struct rt_case *c = *state;
	struct bnode *root;
	struct bdoc d;
	char err[128], *in;
	size_t n, used;

	for (n = 0; n < c->len; n++) {
		in = heap_copy(c->in, n);
		bdoc_init(&d);
		if (bencode_decode(&d, in, n, &root, &used, err,
		    sizeof(err)) != -2)
			fail_msg("prefix of %zu bytes: not -2 (%s)", n, err);
		assert_null(root);
		assert_true(strncmp(err, "bencode: ", 9) == 0);
		bdoc_free(&d);
		free(in);
	}
}

/* Malformed input: one row per kind. */

struct err_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 rc;
	const char	*reason;
	char		*(*gen)(size_t *);
};

static const struct err_case err_cases[] = {
	{ "leading zero in integer", B("d1:ai01ee"), -1, "leading zero in integer", NULL },
	{ "negative zero", B("d1:ai-0ee"), -1, "negative zero", NULL },
	{ "i-e", B("d1:ai-ee"), -1, "integer without digits", NULL },
	{ "ie", B("d1:aiee"), -1, "integer without digits", NULL },
	{ "integer over INT64 max", B("d1:ai9223372036854775808ee"), -1,
	  "overflows 64 bits", NULL },
	{ "integer under INT64 min", B("d1:ai-9223372036854775809ee"), -1,
	  "overflows 64 bits", NULL },
	{ "integer of 30 digits", B("d1:ai123456789012345678901234567890ee"), -1,
	  "overflows 64 bits", NULL },
	{ "bad byte in integer", B("d1:ai1xe"), -1, "bad byte 0x78 in integer", NULL },
	{ "string length past the end (needs more)", B("d1:a5:abce"), -2,
	  "string length runs past the end", NULL },
	{ "string length too large", B("d1:a99999999999:x"), -1,
	  "string length too large", NULL },
	{ "negative string length", B("d1:a-3:abce"), -1, "negative string length", NULL },
	{ "negative key length", B("d-1:ai0ee"), -1, "negative string length", NULL },
	{ "leading zero in string length", B("d01:ai0ee"), -1,
	  "leading zero in string length", NULL },
	{ "bad byte in string length", B("d1x:ai0ee"), -1,
	  "bad byte 0x78 in string length", NULL },
	{ "integer key", B("di1e1:ae"), -1, "dictionary key is not a string", NULL },
	{ "list key", B("dl1:ae1:ae"), -1, "dictionary key is not a string", NULL },
	{ "key without a value", B("d1:ae"), -1, "dictionary key without a value", NULL },
	{ "depth 33", NULL, 0, -1, "nesting deeper than 32", gen_depth_33 },
	{ "20001 values", NULL, 0, -1, "more than 20000 values", gen_nodes_over },
	{ "stray e", B("e"), -1, "'e' with no open container at offset 0", NULL },
	{ "unterminated dictionary (needs more)", B("d7:command4:ping"), -2,
	  "unterminated dictionary at offset 0", NULL },
	{ "unterminated inner list (needs more)", B("d1:al1:x"), -2,
	  "unterminated list at offset 4", NULL },
	{ "unterminated integer (needs more)", B("d1:ai12"), -2, "integer at offset", NULL },
	{ "unterminated length (needs more)", B("d12"), -2, "string length at offset", NULL },
	{ "top level integer", B("i42e"), -1, "top level is not a dictionary", NULL },
	{ "top level list", B("l1:ae"), -1, "top level is not a dictionary", NULL },
	{ "top level string", B("4:ping"), -1, "top level is not a dictionary", NULL },
	{ "top level JSON", B("{\"command\":\"ping\"}"), -1,
	  "top level is not a dictionary", NULL },
	{ "garbage byte as a value", B("d1:axe"), -1,
	  "unexpected byte 0x78 at offset 4", NULL },
	{ "garbage byte as a list item", B("d1:al\x01" "ee"), -1,
	  "unexpected byte 0x01 at offset 5", NULL },
	{ "empty input (needs more)", B(""), -2, "no data", NULL },
};

static void
run_err(void **state)
{
	const struct err_case *c = *state;
	struct bnode *root;
	struct bdoc d;
	char err[128], *in;
	size_t len = c->len, used = 99;
	int rc;

	in = c->gen != NULL ? c->gen(&len) : heap_copy(c->in, len);
	bdoc_init(&d);
	rc = bencode_decode(&d, in, len, &root, &used, err, sizeof(err));
	if (rc != c->rc || strstr(err, c->reason) == NULL)
		fail_msg("got %d \"%s\", want %d \"%s\"", rc, err, c->rc,
		    c->reason);
	assert_null(root);
	assert_int_equal(used, 0);
	bdoc_free(&d);
	free(in);
}

/* A short error buffer is cut, not overrun; a zero-sized one is left alone. */
static void
test_err_buffer(void **state)
{
	struct bnode *root;
	struct bdoc d;
	char err[8];
	size_t used;

	(void)state;
	bdoc_init(&d);
	memset(err, 'x', sizeof(err));
	assert_int_equal(bencode_decode(&d, B("d1:ai01ee"), &root, &used, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bencode");
	memset(err, 'x', sizeof(err));
	assert_int_equal(bencode_decode(&d, B("i1e"), &root, &used, err, 0), -1);
	assert_int_equal(err[0], 'x');
	bdoc_free(&d);
}

/* A TCP stream: one message ends where its dictionary does. */
static void
test_trailing_bytes(void **state)
{
	struct bnode *root;
	struct bdoc d;
	char err[128];
	size_t used;

	(void)state;
	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, B("d7:command4:pingec2 d"), &root,
	    &used, err, sizeof(err)), 0);
	assert_int_equal(used, 17);
	assert_true(bn_is_str(bn_dict_get(root, "command"), "ping"));
	bdoc_free(&d);
}

/* Decoded values: the tree holds what the bytes say. */
static void
test_decoded_values(void **state)
{
	const struct bnode *root, *n;
	struct bnode *r;
	struct bdoc d;
	char err[128];
	size_t used;
	int64_t v;

	(void)state;
	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, B(KAMAILIO_OFFER), &r, &used, err,
	    sizeof(err)), 0);
	root = r;
	assert_int_equal(root->count, 8);
	assert_true(bn_is_str(bn_dict_get(root, "command"), "offer"));
	assert_true(bn_is_str(bn_dict_get(root, "call-id"), "kam-basic-1@test"));
	n = bn_dict_get(root, "sdp");
	assert_non_null(n);
	assert_int_equal(n->len, sizeof(OFFER_SDP) - 1);
	assert_memory_equal(n->s, OFFER_SDP, n->len);
	n = bn_dict_get(root, "received-from");
	assert_int_equal(n->type, BN_LIST);
	assert_int_equal(n->count, 2);
	assert_true(bn_is_str(n->first, "IP4"));
	assert_true(bn_is_str(n->last, "127.0.0.1"));
	assert_null(n->first->key);
	n = bn_dict_get(root, "replace");
	assert_true(bn_is_str(n->first->next, "session-connection"));
	assert_null(bn_dict_get(root, "to-tag"));
	assert_null(bn_dict_get(n, "origin"));	/* not a dict */
	bdoc_free(&d);

	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, B("d1:ai9223372036854775807e"
	    "1:bi-9223372036854775808e1:c3:a\0be"), &r, &used, err,
	    sizeof(err)), 0);
	assert_int_equal(bn_get_int(bn_dict_get(r, "a"), &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(bn_get_int(bn_dict_get(r, "b"), &v), 0);
	assert_true(v == INT64_MIN);
	n = bn_dict_get(r, "c");
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->s, "a\0b", 3);
	assert_false(bn_is_str(n, "a"));
	bdoc_free(&d);
}

/* Lookups */

struct get_case {
	const char	*name;
	const char	*doc;
	const char	*key;
	bool		 spaces;	/* bn_dict_get_key, else bn_dict_get */
	const char	*want;		/* string value; NULL = absent */
};

static const struct get_case get_cases[] = {
	{ "last duplicate wins", "d1:a1:x1:b1:y1:a1:ze", "a", false, "z" },
	{ "first of two keys", "d1:a1:x1:b1:ye", "a", false, "x" },
	{ "absent key", "d1:a1:xe", "b", false, NULL },
	{ "prefix of a key is not the key", "d2:ab1:xe", "a", false, NULL },
	{ "exact lookup ignores the spaced spelling",
	  "d13:received-from1:x13:received from1:ye", "received-from", false, "x" },
	{ "hyphen key finds the spaced spelling",
	  "d13:received from1:ye", "received-from", true, "y" },
	{ "spaced key finds the hyphen spelling",
	  "d13:received-from1:ye", "received from", true, "y" },
	{ "both spellings: the last one wins",
	  "d13:received-from1:x13:received from1:ye", "received-from", true, "y" },
	{ "both spellings reversed: the last one wins",
	  "d13:received from1:y13:received-from1:xe", "received-from", true, "x" },
	{ "spelling lookup is otherwise exact",
	  "d13:received_from1:xe", "received-from", true, NULL },
};

static void
run_get(void **state)
{
	const struct get_case *c = *state;
	const struct bnode *n;
	struct bnode *root;
	struct bdoc d;
	char err[128];
	size_t used;

	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, c->doc, strlen(c->doc), &root,
	    &used, err, sizeof(err)), 0);
	n = c->spaces ? bn_dict_get_key(root, c->key) : bn_dict_get(root, c->key);
	if (c->want == NULL)
		assert_null(n);
	else
		assert_true(bn_is_str(n, c->want));
	bdoc_free(&d);
}

struct int_case {
	const char	*name;
	const char	*doc;		/* the value under "v" */
	int		 rc;
	int64_t		 want;
};

static const struct int_case int_cases[] = {
	{ "integer", "d1:vi30ee", 0, 30 },
	{ "negative integer", "d1:vi-7ee", 0, -7 },
	{ "decimal string", "d1:v2:30e", 0, 30 },
	{ "negative decimal string", "d1:v2:-5e", 0, -5 },
	{ "string INT64 max", "d1:v19:9223372036854775807e", 0, INT64_MAX },
	{ "string INT64 min", "d1:v20:-9223372036854775808e", 0, INT64_MIN },
	{ "string over INT64 max", "d1:v19:9223372036854775808e", -1, 0 },
	{ "string 3x", "d1:v2:3xe", -1, 0 },
	{ "string with a space", "d1:v3: 30e", -1, 0 },
	{ "string with plus", "d1:v3:+30e", -1, 0 },
	{ "empty string", "d1:v0:e", -1, 0 },
	{ "lone minus", "d1:v1:-e", -1, 0 },
	{ "list", "d1:vli1eee", -1, 0 },
	{ "absent", "d1:wi1ee", -1, 0 },
};

static void
run_int(void **state)
{
	const struct int_case *c = *state;
	struct bnode *root;
	struct bdoc d;
	char err[128];
	size_t used;
	int64_t v = 12345;

	bdoc_init(&d);
	assert_int_equal(bencode_decode(&d, c->doc, strlen(c->doc), &root,
	    &used, err, sizeof(err)), 0);
	assert_int_equal(bn_get_int(bn_dict_get(root, "v"), &v), c->rc);
	if (c->rc == 0)
		assert_true(v == c->want);
	else
		assert_true(v == 12345);
	bdoc_free(&d);
}

/* Builders: a reply as a handler makes one, in both encodings. */
static struct bnode *
build_reply(struct bdoc *d)
{
	struct bnode *r, *l, *t;

	assert_non_null(r = bn_dict(d));
	assert_int_equal(bn_dict_add_str(d, r, "sdp", B("v=0\r\n\0x")), 0);
	assert_int_equal(bn_dict_add_cstr(d, r, "result", "ok"), 0);
	assert_int_equal(bn_dict_add_int(d, r, "created", -42), 0);
	assert_non_null(l = bn_dict_add_list(d, r, "calls"));
	assert_int_equal(bn_list_add(l, bn_cstr(d, "a\"b\\c")), 0);
	assert_int_equal(bn_list_add(l, bn_int(d, INT64_MIN)), 0);
	assert_int_equal(bn_list_add(l, bn_dict(d)), 0);
	assert_non_null(t = bn_dict_add_dict(d, r, "totals"));
	assert_int_equal(bn_dict_add_k(d, t, B("k\0\x01"), bn_str(d, B("\xc3\xa9\xff"))),
	    0);
	assert_int_equal(bn_dict_add(d, t, "e", bn_list(d)), 0);
	return r;
}

#define REPLY_BENCODE \
	"d3:sdp7:v=0\r\n\0x6:result2:ok7:createdi-42e5:callsl5:a\"b\\c" \
	"i-9223372036854775808edee6:totalsd3:k\0\x01" "3:\xc3\xa9\xff" "1:eleee"
#define REPLY_JSON \
	"{\"sdp\":\"v=0\\r\\n\\u0000x\",\"result\":\"ok\",\"created\":-42," \
	"\"calls\":[\"a\\\"b\\\\c\",-9223372036854775808,{}]," \
	"\"totals\":{\"k\\u0000\\u0001\":\"\xc3\xa9\\u00ff\",\"e\":[]}}"

static void
test_builders(void **state)
{
	struct bnode *r;
	struct bdoc d;
	char buf[512];
	size_t off = 0;

	(void)state;
	bdoc_init(&d);
	r = build_reply(&d);
	assert_int_equal(r->count, 5);
	assert_int_equal(bencode_encode(r, buf, sizeof(buf), &off), 0);
	assert_int_equal(off, sizeof(REPLY_BENCODE) - 1);
	assert_memory_equal(buf, REPLY_BENCODE, off);
	off = 0;
	assert_int_equal(ngjson_encode(r, buf, sizeof(buf), &off), 0);
	assert_int_equal(off, sizeof(REPLY_JSON) - 1);
	assert_memory_equal(buf, REPLY_JSON, off);

	/* A failed builder passed straight in fails the add. */
	assert_int_equal(bn_list_add(r, bn_int(&d, 1)), -1);	/* not a list */
	assert_int_equal(bn_dict_add(&d, r, "x", NULL), -1);
	assert_int_equal(bn_list_add(NULL, bn_int(&d, 1)), -1);
	assert_int_equal(r->count, 5);
	bdoc_free(&d);

	/* Reusable after bdoc_free, and a big string gets room of its own. */
	bdoc_init(&d);
	{
		static char big[20000];
		struct bnode *s;

		memset(big, 'a', sizeof(big));
		assert_non_null(r = bn_dict(&d));
		assert_int_equal(bn_dict_add_str(&d, r, "big", big, sizeof(big)), 0);
		assert_non_null(s = bn_cstr(&d, "after"));
		assert_true(bn_is_str(s, "after"));
		assert_memory_equal(bn_dict_get(r, "big")->s, big, sizeof(big));
	}
	bdoc_free(&d);
}

/* Encoders: every buffer one byte short (or more) fails, never overruns. */
static void
test_encode_short(void **state)
{
	int (*enc[2])(const struct bnode *, char *, size_t, size_t *) = {
		bencode_encode, ngjson_encode };
	struct bnode *r;
	struct bdoc d;
	char big[512], *buf;
	size_t full, n, off, e;

	(void)state;
	bdoc_init(&d);
	r = build_reply(&d);
	for (e = 0; e < 2; e++) {
		off = 0;
		assert_int_equal(enc[e](r, big, sizeof(big), &off), 0);
		full = off;
		for (n = 0; n < full; n++) {
			buf = malloc(n > 0 ? n : 1);
			off = 0;
			if (enc[e](r, buf, n, &off) != -1)
				fail_msg("encoder %zu: %zu of %zu bytes did fit",
				    e, n, full);
			free(buf);
		}
		/* Exactly full bytes fit, also after 3 bytes already there. */
		buf = malloc(full + 3);
		off = 3;
		assert_int_equal(enc[e](r, buf, full + 3, &off), 0);
		assert_int_equal(off, full + 3);
		assert_memory_equal(buf + 3, big, full);
		off = 4;
		assert_int_equal(enc[e](r, buf, full + 3, &off), -1);
		free(buf);
	}
	bdoc_free(&d);
}

/* JSON decoding */

static void
test_json_ping(void **state)
{
	struct bnode *root;
	struct bdoc d;
	char err[128];

	(void)state;
	bdoc_init(&d);
	assert_int_equal(ngjson_decode(&d, B("{\"command\":\"ping\"}"), &root,
	    err, sizeof(err)), 0);
	assert_int_equal(root->type, BN_DICT);
	assert_int_equal(root->count, 1);
	assert_true(bn_is_str(bn_dict_get(root, "command"), "ping"));
	bdoc_free(&d);
}

static void
test_json_values(void **state)
{
	static const char in[] =
	    " {\"a\": [1, [2, {\"b\": \"c\"}], {}], \"t\": true, \"f\": false,"
	    " \"n\": null, \"d\": 2.9, \"neg\": -3.7, \"huge\": 1e300,"
	    " \"s\": \"a\\u0000b\", \"u\": \"\\u00e9\\u20ac\\ud83d\\ude00\","
	    " \"raw\": \"\xc3\xa9\", \"a b\": \"\\\"\\\\\\/\\n\"} \r\n";
	const struct bnode *a, *n;
	struct bnode *root;
	struct bdoc d;
	char err[128];
	int64_t v;

	(void)state;
	bdoc_init(&d);
	assert_int_equal(ngjson_decode(&d, in, sizeof(in) - 1, &root, err,
	    sizeof(err)), 0);
	a = bn_dict_get(root, "a");
	assert_int_equal(a->type, BN_LIST);
	assert_int_equal(a->count, 3);
	assert_int_equal(a->first->type, BN_INT);
	assert_int_equal(a->first->i, 1);
	n = a->first->next;
	assert_int_equal(n->type, BN_LIST);
	assert_int_equal(n->first->i, 2);
	assert_true(bn_is_str(bn_dict_get(n->last, "b"), "c"));
	assert_int_equal(a->last->type, BN_DICT);
	assert_int_equal(a->last->count, 0);
	assert_int_equal(bn_get_int(bn_dict_get(root, "t"), &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(bn_get_int(bn_dict_get(root, "f"), &v), 0);
	assert_int_equal(v, 0);
	assert_true(bn_is_str(bn_dict_get(root, "n"), ""));
	assert_int_equal(bn_get_int(bn_dict_get(root, "d"), &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(bn_get_int(bn_dict_get(root, "neg"), &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(bn_get_int(bn_dict_get(root, "huge"), &v), 0);
	assert_true(v == INT64_MAX);
	n = bn_dict_get(root, "s");
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->s, "a\0b", 3);
	assert_true(bn_is_str(bn_dict_get(root, "u"),
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	assert_true(bn_is_str(bn_dict_get(root, "raw"), "\xc3\xa9"));
	assert_true(bn_is_str(bn_dict_get(root, "a b"), "\"\\/\n"));
	bdoc_free(&d);
}

struct jerr_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*reason;
};

static const struct jerr_case jerr_cases[] = {
	{ "cut short", B("{\"command\":"), "Failed to parse JSON document" },
	{ "empty", B(""), "Failed to parse JSON document" },
	{ "trailing comma", B("{\"a\":1,}"), "Failed to parse JSON document" },
	{ "unquoted key", B("{a:1}"), "Failed to parse JSON document" },
	{ "leading zero", B("{\"a\":01}"), "Failed to parse JSON document" },
	{ "bare word", B("{\"a\":pong}"), "Failed to parse JSON document" },
	{ "bad escape", B("{\"a\":\"\\x\"}"), "Failed to parse JSON document" },
	{ "trailing garbage", B("{\"a\":1} x"), "Failed to parse JSON document" },
	{ "two documents", B("{}{}"), "Failed to parse JSON document" },
	{ "NUL after the object", B("{}\0"), "Failed to parse JSON document" },
	{ "array", B("[1,2]"), "top level is not an object" },
	{ "string", B("\"ping\""), "top level is not an object" },
	{ "number", B("42"), "top level is not an object" },
	{ "null", B("null"), "top level is not an object" },
	{ "depth 33",
	  B("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"),
	  "Failed to parse JSON document" },
};

static void
run_jerr(void **state)
{
	const struct jerr_case *c = *state;
	struct bnode *root;
	struct bdoc d;
	char err[128], *in;

	in = heap_copy(c->in, c->len);
	bdoc_init(&d);
	if (ngjson_decode(&d, in, c->len, &root, err, sizeof(err)) != -1 ||
	    strncmp(err, "JSON: ", 6) != 0 || strstr(err, c->reason) == NULL)
		fail_msg("got \"%s\", want \"%s\"", err, c->reason);
	assert_null(root);
	bdoc_free(&d);
	free(in);
}

static void
test_json_depth_32(void **state)
{
	static const char in[] =
	    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}";
	struct bnode *root;
	const struct bnode *n;
	struct bdoc d;
	char err[128];
	unsigned depth = 1;

	(void)state;
	bdoc_init(&d);
	assert_int_equal(ngjson_decode(&d, B(in), &root, err, sizeof(err)), 0);
	for (n = root->first; n->type == BN_LIST; n = n->first)
		depth++;
	assert_int_equal(depth, BENCODE_MAX_DEPTH);
	bdoc_free(&d);
}

static void
test_json_nodes(void **state)
{
	char *in, *q;
	struct bnode *root;
	struct bdoc d;
	char err[128];
	unsigned i, n;

	(void)state;
	for (n = BENCODE_MAX_NODES - 2; n <= BENCODE_MAX_NODES - 1; n++) {
		in = q = malloc(2 * (size_t)n + 16);
		assert_non_null(in);
		q += sprintf(q, "{\"a\":[");
		for (i = 0; i < n; i++)
			q += sprintf(q, i > 0 ? ",0" : "0");
		q += sprintf(q, "]}");
		bdoc_init(&d);
		if (n + 2 <= BENCODE_MAX_NODES) {
			assert_int_equal(ngjson_decode(&d, in, (size_t)(q - in),
			    &root, err, sizeof(err)), 0);
		} else {
			assert_int_equal(ngjson_decode(&d, in, (size_t)(q - in),
			    &root, err, sizeof(err)), -1);
			assert_non_null(strstr(err, "more than 20000 values"));
		}
		bdoc_free(&d);
		free(in);
	}
}

/* JSON encoding read back by json-c itself. */
static void
test_json_encode_jsonc(void **state)
{
	struct json_object *o, *v, *a;
	struct bnode *r;
	struct bdoc d;
	char buf[512];
	size_t off = 0;

	(void)state;
	bdoc_init(&d);
	r = build_reply(&d);
	assert_int_equal(ngjson_encode(r, buf, sizeof(buf) - 1, &off), 0);
	buf[off] = '\0';
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "sdp", &v));
	assert_int_equal(json_object_get_string_len(v), 7);
	assert_memory_equal(json_object_get_string(v), "v=0\r\n\0x", 7);
	assert_true(json_object_object_get_ex(o, "created", &v));
	assert_true(json_object_get_int64(v) == -42);
	assert_true(json_object_object_get_ex(o, "calls", &a));
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)),
	    "a\"b\\c");
	assert_true(json_object_get_int64(json_object_array_get_idx(a, 1)) ==
	    INT64_MIN);
	assert_true(json_object_object_get_ex(o, "totals", &a));
	/* The key's NUL cuts it in json-c; its value shows the byte rule. */
	assert_true(json_object_object_get_ex(a, "k", &v));
	/* A valid é stays é; the lone 0xff comes back as U+00FF. */
	assert_string_equal(json_object_get_string(v), "\xc3\xa9\xc3\xbf");
	json_object_put(o);
	bdoc_free(&d);
}

/* bencode -> tree -> JSON -> tree -> bencode gives the original bytes. */
static const struct rt_case json_rt_cases[] = {
	{ "ping", B("d7:command4:pinge"), NULL },
	{ "ints", B("d1:ai0e1:bi-1e1:ci9223372036854775807e"
	    "1:di-9223372036854775808ee"), NULL },
	{ "control bytes, NUL, quotes, UTF-8",
	  B("d1:a9:\0\x01\x1f\"\\/\r\n\t1:b9:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "e"), NULL },
	{ "empty string, list and dict", B("d1:a0:1:ble1:cdee"), NULL },
	{ "nested", B("d1:ald1:bl1:cl1:dei7eee1:ei-5ee1:fd1:gd1:hdeeee"), NULL },
	{ "Kamailio offer", B(KAMAILIO_OFFER), NULL },
	{ "offer reply with sdp", B(OFFER_REPLY), NULL },
};

static void
run_json_rt(void **state)
{
	const struct rt_case *c = *state;
	struct bnode *root;
	struct bdoc d, d2;
	char err[128], json[4096], out[4096];
	size_t used, jlen = 0, off = 0;

	bdoc_init(&d);
	bdoc_init(&d2);
	assert_int_equal(bencode_decode(&d, c->in, c->len, &root, &used, err,
	    sizeof(err)), 0);
	assert_int_equal(ngjson_encode(root, json, sizeof(json), &jlen), 0);
	if (ngjson_decode(&d2, json, jlen, &root, err, sizeof(err)) != 0)
		fail_msg("%s in %.*s", err, (int)jlen, json);
	assert_int_equal(bencode_encode(root, out, sizeof(out), &off), 0);
	assert_int_equal(off, c->len);
	assert_memory_equal(out, c->in, c->len);
	bdoc_free(&d2);
	bdoc_free(&d);
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct CMUnitTest tests[256];
static size_t ntests;

static void
add(const char *name, void (*fn)(void **), const void *row)
{
	static char names[256][96];

	assert_true(ntests < NELEM(tests));
	snprintf(names[ntests], sizeof(names[0]), "%s", name);
	tests[ntests].name = names[ntests];
	tests[ntests].test_func = fn;
	tests[ntests].initial_state = (void *)row;
	ntests++;
}

static void
add_row(const char *group, const char *name, void (*fn)(void **), const void *row)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%s: %s", group, name);
	add(buf, fn, row);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(rt_cases); i++)
		add_row("round trip", rt_cases[i].name, run_rt, &rt_cases[i]);
	for (i = 0; i < NELEM(rt_cases); i++)
		if (rt_cases[i].gen == NULL)
			add_row("prefixes need more", rt_cases[i].name,
			    run_prefixes, &rt_cases[i]);
	for (i = 0; i < NELEM(err_cases); i++)
		add_row("malformed", err_cases[i].name, run_err, &err_cases[i]);
	add("error buffer: cut, never overrun", test_err_buffer, NULL);
	add("stream: bytes after the dictionary are left", test_trailing_bytes,
	    NULL);
	add("decoded values", test_decoded_values, NULL);
	for (i = 0; i < NELEM(get_cases); i++)
		add_row("lookup", get_cases[i].name, run_get, &get_cases[i]);
	for (i = 0; i < NELEM(int_cases); i++)
		add_row("bn_get_int", int_cases[i].name, run_int, &int_cases[i]);
	add("builders: a reply in bencode and JSON", test_builders, NULL);
	add("encoders: one byte short fails at every length", test_encode_short,
	    NULL);
	add("json: ping", test_json_ping, NULL);
	add("json: value types", test_json_values, NULL);
	for (i = 0; i < NELEM(jerr_cases); i++)
		add_row("json malformed", jerr_cases[i].name, run_jerr,
		    &jerr_cases[i]);
	add("json: depth 32", test_json_depth_32, NULL);
	add("json: node limit", test_json_nodes, NULL);
	add("json: encoder output read by json-c", test_json_encode_jsonc, NULL);
	for (i = 0; i < NELEM(json_rt_cases); i++)
		add_row("bencode-json-bencode", json_rt_cases[i].name,
		    run_json_rt, &json_rt_cases[i]);
	return _cmocka_run_group_tests("bencode", tests, ntests, NULL, NULL);
}
