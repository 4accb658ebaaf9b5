/*
 * test_store_record.c - a call's Redis record: encode, decode, validate.
 *
 * One valid two-media call is encoded with the very commands the store
 * sends (store_cmds_call); its fields must decode to the same call and
 * encode again byte for byte. Then each row of the malformed table breaks
 * one thing in those fields (a field, or one key=value of a field) and
 * names what the decoder must say: a record is untrusted input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/cmds.h"
#include "store/record.h"

#define NODE	"relay-a"
#define LONG16	"0123456789abcdef"
#define LONG256	LONG16 LONG16 LONG16 LONG16 LONG16 LONG16 LONG16 LONG16 \
		LONG16 LONG16 LONG16 LONG16 LONG16 LONG16 LONG16 LONG16
#define OFF	((int64_t)1764000000000)	/* wall minus monotonic */

static struct config cfg;
static struct store_batch batch;

static void
set_addr(struct addr *a, const char *s)
{
	assert_int_equal(addr_parse_hostport(a, s, 0, AF_UNSPEC), 0);
}

static void
leg(struct leg_saved *l, const char *local, const char *peer, enum latch_trust st)
{
	memset(l, 0, sizeof(*l));
	set_addr(&l->local, local);
	addr_parse(&l->advertised, "127.0.0.1", 0, AF_INET);
	l->latch.policy = LATCH_PROBATION;
	l->latch.trust = st;
	l->proc.jitterbuf = -1;
	pt_set_allow_all(&l->pts);
	if (peer) {
		set_addr(&l->latch.peer, peer);
		set_addr(&l->latch.signalled, peer);
		set_addr(&l->latch.rtcp_peer, peer);
		addr_set_port(&l->latch.rtcp_peer, (uint16_t)(addr_port(&l->latch.peer) + 1));
	}
	if (st == TRUST_STRONG) {
		l->latch.ever_verified = l->latch.rooted = true;
		l->latch.stream.known = true;
		l->latch.stream.ssrc = 0x5f3a9c21;
		l->latch.stream.max_seq = 41233;
		l->latch.stream.last_ms = 123456;
		l->latch.switches = 2;
		l->latch.last_switch_ms = 120000;
		l->latch.window_start_ms = 100000;
		l->latch.window_switches = 2;
		l->latch.rtcp_confirmed = true;
	}
}

static void
sample_call(struct call_saved *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->callid, "a84b4c76e66710@pc33 x");	/* a space: ids are any bytes */
	c->created_ms = 5000;
	strcpy(c->notify_target, "unix:/run/kamailio/timeout.sock");
	strcpy(c->notify_tag, "5:dlg 7=x");
	c->recording = true;
	strcpy(c->rec_tag, "1928301774");
	c->nmedia = 2;
	c->media[0].slot = 0;
	c->media[0].num = 1;
	strcpy(c->media[0].tag[0], "1928301774");
	strcpy(c->media[0].tag[1], "a6c85cf");
	c->media[0].answered = true;
	c->media[0].mux_offer[0] = c->media[0].mux_offer[1] = true;
	strcpy(c->media[0].label[0], "caller");
	strcpy(c->media[0].label[1], "callee x");	/* escaped */
	c->media[0].delete_at_ms = 200000;
	leg(&c->media[0].leg[0], "127.0.0.1:30000", "127.0.0.2:4000", TRUST_STRONG);
	leg(&c->media[0].leg[1], "127.0.0.1:30002", "127.0.0.3:5000", TRUST_SIGNALLED);
	c->media[0].leg[1].proc.jitterbuf = JBUF_ADAPTIVE;
	c->media[0].leg[1].proc.zptime_ms = 30;
	pt_set_clear(&c->media[0].leg[1].pts);
	pt_set_add(&c->media[0].leg[1].pts, 0);
	pt_set_add(&c->media[0].leg[1].pts, 127);
	c->media[1].slot = 3;
	c->media[1].num = 2;
	strcpy(c->media[1].tag[0], "1928301774");
	strcpy(c->media[1].tag[1], "-");		/* escaped, not "none" */
	strcpy(c->media[1].branch, "z9hG4bK 776%");
	strcpy(c->media[1].type, "video");
	strcpy(c->media[1].proto, "RTP/AVP");
	leg(&c->media[1].leg[0], "127.0.0.1:30004", NULL, TRUST_NONE);
	c->media[1].leg[0].mode.rtcp_mux = MUX_ON;
	leg(&c->media[1].leg[1], "127.0.0.1:30006", "127.0.0.3:5002", TRUST_WEAK);
	pt_set_clear(&c->media[1].leg[1].pts);		/* none: "-" */
}

/* The HSET of a call, as fields (pointing into the batch). */
static unsigned
hset_fields(const struct call_saved *c, struct store_field *f)
{
	struct store_keys k = { .node = NODE, .group = NODE, .ttl_ms = 600000, .wall_off = OFF };
	const struct store_cmd *h;
	unsigned i, n = 0;

	store_batch_reset(&batch);
	assert_int_equal(store_cmds_call(&batch, &k, c), 0);
	h = &batch.cmd[2];	/* MULTI, UNLINK, HSET */
	assert_memory_equal(h->argv[0], "HSET", 4);
	for (i = 2; i + 1 < h->argc; i += 2, n++) {
		f[n].name = h->argv[i];
		f[n].name_len = h->argvlen[i];
		f[n].val = h->argv[i + 1];
		f[n].val_len = h->argvlen[i + 1];
	}
	return n;
}

static int
setup(void **state)
{
	(void)state;
	config_default(&cfg);
	cfg.port_min = 30000;
	cfg.port_max = 30099;
	addr_parse(&cfg.ifaces[0], "127.0.0.1", 0, AF_INET);
	cfg.nifaces = 1;
	return 0;
}

static void
test_round_trip(void **state)
{
	static struct call_saved in, out;
	struct store_field f[64], g[64];
	char err[128] = "";
	unsigned n, m, i;

	(void)state;
	sample_call(&in);
	n = hset_fields(&in, f);
	assert_int_equal(n, 6 + 6);
	if (store_decode_call(f, n, in.callid, strlen(in.callid), &cfg, OFF,
	    &out, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_string_equal(out.callid, in.callid);
	assert_int_equal(out.nmedia, 2);
	assert_string_equal(out.media[1].branch, "z9hG4bK 776%");
	assert_string_equal(out.notify_target, "unix:/run/kamailio/timeout.sock");
	assert_string_equal(out.notify_tag, "5:dlg 7=x");
	assert_string_equal(out.media[1].tag[1], "-");
	assert_int_equal(out.media[0].leg[0].latch.stream.ssrc, 0x5f3a9c21);
	assert_int_equal(out.media[0].leg[0].latch.stream.last_ms, 123456);
	assert_int_equal(out.media[0].leg[0].latch.switches, 2);
	assert_true(addr_equal(&out.media[1].leg[1].latch.peer,
	    &in.media[1].leg[1].latch.peer));
	assert_int_equal(out.media[1].leg[0].mode.rtcp_mux, MUX_ON);
	assert_true(out.recording);
	assert_string_equal(out.rec_tag, "1928301774");
	assert_true(out.media[0].mux_offer[0] && out.media[0].mux_offer[1]);
	assert_false(out.media[1].mux_offer[0]);
	assert_string_equal(out.media[0].label[1], "callee x");
	assert_string_equal(out.media[1].label[0], "");
	assert_int_equal(out.media[0].delete_at_ms, 200000);
	assert_int_equal(out.media[1].delete_at_ms, 0);
	assert_int_equal(out.media[0].leg[1].proc.jitterbuf, JBUF_ADAPTIVE);
	assert_int_equal(out.media[0].leg[1].proc.zptime_ms, 30);
	assert_int_equal(out.media[0].leg[0].proc.jitterbuf, -1);
	assert_true(out.media[0].leg[0].pts.any);
	assert_false(out.media[0].leg[1].pts.any);
	assert_true(pt_set_has(&out.media[0].leg[1].pts, 0) &&
	    pt_set_has(&out.media[0].leg[1].pts, 127) &&
	    !pt_set_has(&out.media[0].leg[1].pts, 8));
	assert_false(out.media[1].leg[1].pts.any || pt_set_has(&out.media[1].leg[1].pts, 0));

	/* Encoded again: the same bytes. Copy first, the batch is reused. */
	{
		static char copy[64][STORE_VALUE_MAX + 1];

		for (i = 0; i < n; i++) {
			memcpy(copy[i], f[i].val, f[i].val_len);
			f[i].val = copy[i];
		}
		m = hset_fields(&out, g);
		assert_int_equal(m, n);
		for (i = 0; i < n; i++) {
			assert_int_equal(g[i].val_len, f[i].val_len);
			assert_memory_equal(g[i].val, f[i].val, f[i].val_len);
		}
	}
}

/*
 * A malformed record: in field `field`, replace the token that starts with
 * `key=` by `tok` (key NULL: the whole value by `tok`; tok NULL: drop the
 * token or field). `add` adds a field instead. `why` must be in the error.
 */
struct bad {
	const char	*name;
	const char	*field;
	const char	*key;
	const char	*tok;
	const char	*why;
};

static const struct bad bad_rows[] = {
	{ "version 2",		"v", NULL, "2", "version" },
	{ "no version",		"v", NULL, NULL, "missing" },
	{ "cid of another key",	"cid", NULL, "other", "cid" },
	{ "bad own",		"own", NULL, "relay b", "bad own" },
	{ "created not a number", "created", NULL, "12a", "created" },
	{ "unknown field",	"+x", NULL, "1", "unknown field" },
	{ "field name m01",	"+m01", NULL, "1", "unknown field" },
	{ "m0.c",		"+m0.c", NULL, "1", "unknown field" },
	{ "leg missing",	"m0.b", NULL, NULL, "incomplete" },
	{ "media line missing",	"m3", NULL, NULL, "incomplete" },
	{ "value version 2",	"m0.a", NULL, "2 laddr=127.0.0.1:30000", "version" },
	{ "oversized value",	"m0.a", "sig", "sig=AAAA...", "1100 bytes" },
	{ "foreign laddr",	"m0.a", "laddr", "laddr=10.9.9.9:30000", "interface" },
	{ "port above range",	"m0.a", "laddr", "laddr=127.0.0.1:40000", "port range" },
	{ "odd port",		"m0.a", "laddr", "laddr=127.0.0.1:30001", "port range" },
	{ "port pair past max",	"m0.a", "laddr", "laddr=127.0.0.1:30100", "port range" },
	{ "laddr not an address", "m0.a", "laddr", "laddr=relay:30000", "laddr" },
	{ "adv not ours",	"m0.a", "adv", "adv=192.0.2.1", "advertises" },
	{ "unknown policy",	"m0.a", "pol", "pol=any", "pol" },
	{ "unknown trust",	"m0.a", "st", "st=total", "st" },
	{ "bool 2",		"m0.a", "asym", "asym=2", "asym" },
	{ "multicast peer",	"m0.a", "peer", "peer=224.0.0.1:4000", "unicast" },
	{ "broadcast peer",	"m0.a", "peer", "peer=255.255.255.255:4000", "unicast" },
	{ "port 0 peer",	"m0.a", "peer", "peer=127.0.0.2:0", "unicast" },
	{ "peer is our port",	"m0.a", "peer", "peer=127.0.0.1:30010", "own media" },
	{ "rtcp peer ours",	"m0.a", "rpeer", "rpeer=127.0.0.1:30011", "own media" },
	{ "v6 peer, v4 leg",	"m0.a", "peer", "peer=[::1]:4000", "peer" },
	{ "strong without peer", "m0.a", "peer", "peer=-", "no peer" },
	{ "none with a peer",	"m3.a", "peer", "peer=127.0.0.2:4000", "st=none" },
	{ "ssrc not hex",	"m0.a", "ssrc", "ssrc=5f3a9cxz", "ssrc" },
	{ "ssrc too long",	"m0.a", "ssrc", "ssrc=5f3a9c210", "ssrc" },
	{ "seq above 16 bits",	"m0.a", "seq", "seq=65536", "seq" },
	{ "negative number",	"m0.a", "nsw", "nsw=-1", "nsw" },
	{ "huge time",		"m0.a", "swt", "swt=99999999999999999999", "swt" },
	{ "mux 3",		"m0.a", "mux", "mux=3", "mux" },
	{ "key missing",	"m0.a", "hold", NULL, "hold" },
	{ "unknown key",	"m0.a", "hold", "hold=0 foo=1", "unknown key" },
	{ "key twice",		"m0.a", "hold", "hold=0 st=strong", "twice" },
	{ "token without =",	"m0.a", "hold", "hold=0 junk", "malformed" },
	{ "two legs one port",	"m0.b", "laddr", "laddr=127.0.0.1:30000", "twice" },
	{ "empty tag",		"m0", "t0", "t0=-", "empty t0" },
	{ "NUL in a tag",	"m0", "t0", "t0=a%00b", "escape" },
	{ "bad escape",		"m0", "t0", "t0=a%4", "escape" },
	{ "raw quote in a tag",	"m0", "t0", "t0=a\"b", "bad byte" },
	{ "media number",	"m0", "num", "num=70000", "num" },
	{ "newline in a notify tag", "nt", "tag", "tag=a%0Ab", "control character" },
	{ "notify to a UDP target", "nt", "to", "to=udp:127.0.0.1:9", "neither" },
	{ "notify without tag",	"nt", "tag", NULL, "no tag" },
	{ "notify key unknown",	"nt", "tag", "tag=x via=y", "unknown key" },
	{ "nt of version 2",	"nt", NULL, "2 to=tcp:127.0.0.1:9 tag=x", "version" },
	{ "type too long",	"m3", "type", "type=videovideovideo", "too long" },
	{ "rec of version 2",	"rec", NULL, "2 tag=x", "version" },
	{ "rec twice",		"+rec", NULL, "1 tag=x", "rec twice" },
	{ "newline in a rec tag", "rec", "tag", "tag=a%0Ab", "control character" },
	{ "rec key unknown",	"rec", "tag", "tag=x file=/etc/passwd", "unknown key" },
	{ "rec tag too long",	"rec", "tag", "tag=" LONG256, "too long" },
	{ "mux offer 2",	"m0", "mo0", "mo0=2", "mo0" },
	{ "label too long",	"m0", "lb0", "lb0=0123456789abcdef0123456789abcdef", "too long" },
	{ "CR in a label",	"m0", "lb1", "lb1=a%0Db", "control character" },
	{ "NUL in a label",	"m0", "lb1", "lb1=a%00b", "escape" },
	{ "delete time huge",	"m0", "del", "del=99999999999999999999", "del" },
	{ "delete time a word",	"m0", "del", "del=soon", "del" },
	{ "unknown jitter buffer", "m0.b", "jb", "jb=deep", "jb" },
	{ "jitter buffer number", "m0.b", "jb", "jb=1", "jb" },
	{ "resizer over 1 s",	"m0.b", "zp", "zp=1001", "zp" },
	{ "resizer negative",	"m0.b", "zp", "zp=-20", "zp" },
	{ "payload type 128",	"m0.b", "pt", "pt=0,128", "pt" },
	{ "payload types unordered", "m0.b", "pt", "pt=8,0", "pt" },
	{ "payload type twice",	"m0.b", "pt", "pt=8,8", "pt" },
	{ "payload type list empty item", "m0.b", "pt", "pt=0,,8", "pt" },
	{ "payload type trailing comma", "m0.b", "pt", "pt=0,", "pt" },
	{ "payload type leading zero", "m0.b", "pt", "pt=08", "pt" },
	{ "payload type signed", "m0.b", "pt", "pt=+8", "pt" },
	{ "payload types empty", "m0.b", "pt", "pt=", "pt" },
};

/* Replace (or drop) the token `key=...` of value v; result in out. */
static void
edit_value(const char *v, size_t len, const struct bad *b, char *out, size_t outlen)
{
	char in[STORE_VALUE_MAX + 1], *p, *save = NULL;
	size_t klen = strlen(b->key), off = 0;
	int first = 1;

	memcpy(in, v, len);
	in[len] = '\0';
	out[0] = '\0';
	for (p = strtok_r(in, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		if (strncmp(p, b->key, klen) == 0 && p[klen] == '=') {
			if (b->tok == NULL)
				continue;
			p = (char *)b->tok;
		}
		off += (size_t)snprintf(out + off, outlen - off, "%s%s",
		    first ? "" : " ", p);
		first = 0;
	}
}

static void
test_bad(void **state)
{
	const struct bad *b = *state;
	static struct call_saved in, out;
	static char val[4096];
	struct store_field f[64];
	char err[128] = "";
	unsigned n, i, k;

	sample_call(&in);
	n = hset_fields(&in, f);
	if (b->field[0] == '+') {
		f[n].name = b->field + 1;
		f[n].name_len = strlen(b->field + 1);
		f[n].val = b->tok;
		f[n++].val_len = strlen(b->tok);
	} else {
		for (i = 0; i < n; i++)
			if (f[i].name_len == strlen(b->field) &&
			    memcmp(f[i].name, b->field, f[i].name_len) == 0)
				break;
		assert_true(i < n);
		if (b->key == NULL && b->tok == NULL) {
			for (k = i; k + 1 < n; k++)
				f[k] = f[k + 1];
			n--;
		} else if (b->key == NULL) {
			f[i].val = b->tok;
			f[i].val_len = strlen(b->tok);
		} else {
			edit_value(f[i].val, f[i].val_len, b, val, sizeof(val));
			if (strcmp(b->tok ? b->tok : "", "sig=AAAA...") == 0) {
				memset(val, 'A', 1100);
				memcpy(val, "1 ", 2);
				val[1100] = '\0';
			}
			f[i].val = val;
			f[i].val_len = strlen(val);
		}
	}
	assert_int_equal(store_decode_call(f, n, in.callid, strlen(in.callid),
	    &cfg, OFF, &out, err, sizeof(err)), -1);
	if (strstr(err, b->why) == NULL)
		fail_msg("%s: error \"%s\" does not say \"%s\"", b->name, err, b->why);
}

/* A standby restores what the active node wrote: `own` names any node. */
static void
test_other_node(void **state)
{
	static struct call_saved in, out;
	struct store_field f[64];
	char err[128] = "";
	unsigned n, i;

	(void)state;
	sample_call(&in);
	n = hset_fields(&in, f);
	for (i = 0; i < n; i++)
		if (f[i].name_len == 3 && memcmp(f[i].name, "own", 3) == 0) {
			f[i].val = "relay-b";
			f[i].val_len = 7;
		}
	if (store_decode_call(f, n, in.callid, strlen(in.callid), &cfg, OFF,
	    &out, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(out.nmedia, in.nmedia);
}

/*
 * A record written before recording, ng party state, delayed deletes and
 * mediaproc modifiers were kept: it decodes, with their defaults.
 */
static void
test_older_record(void **state)
{
	static const char *const newer[] = { "mo0", "mo1", "lb0", "lb1", "del",
	    "jb", "zp", "pt" };
	static struct call_saved in, out;
	static char vals[64][STORE_VALUE_MAX + 1];
	struct store_field f[64];
	struct bad b = { 0 };
	char err[128] = "";
	unsigned n, i, k, j;

	(void)state;
	sample_call(&in);
	n = hset_fields(&in, f);
	for (i = k = 0; i < n; i++) {
		if (f[i].name_len == 3 && memcmp(f[i].name, "rec", 3) == 0)
			continue;
		memcpy(vals[k], f[i].val, f[i].val_len);
		vals[k][f[i].val_len] = '\0';
		for (j = 0; j < sizeof(newer) / sizeof(newer[0]); j++) {
			static char tmp[STORE_VALUE_MAX + 1];

			b.key = newer[j];
			edit_value(vals[k], strlen(vals[k]), &b, tmp, sizeof(tmp));
			strcpy(vals[k], tmp);
		}
		f[k] = f[i];
		f[k].val = vals[k];
		f[k].val_len = strlen(vals[k]);
		k++;
	}
	assert_int_equal(k, n - 1);
	assert_null(strstr(vals[5], "lb0="));
	if (store_decode_call(f, k, in.callid, strlen(in.callid), &cfg, OFF,
	    &out, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	assert_false(out.recording);
	assert_string_equal(out.rec_tag, "");
	for (i = 0; i < out.nmedia; i++) {
		assert_false(out.media[i].mux_offer[0] || out.media[i].mux_offer[1]);
		assert_string_equal(out.media[i].label[0], "");
		assert_int_equal(out.media[i].delete_at_ms, 0);
		for (j = 0; j < 2; j++) {
			assert_int_equal(out.media[i].leg[j].proc.jitterbuf, -1);
			assert_int_equal(out.media[i].leg[j].proc.zptime_ms, 0);
			assert_true(out.media[i].leg[j].pts.any);
		}
	}
	assert_int_equal(out.media[0].leg[0].latch.switches, 2);
}

static void
test_field_names(void **state)
{
	char buf[STORE_FIELD_NAME_MAX + 1];

	(void)state;
	assert_int_equal(store_media_field(12, -1, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "m12");
	store_media_field(0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "m0.b");
}

int
main(void)
{
	struct CMUnitTest t[4 + sizeof(bad_rows) / sizeof(bad_rows[0])];
	size_t i, n = 0;

	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_round_trip);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_field_names);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_other_node);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_older_record);
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_bad,
		    (void *)&bad_rows[i]);
		t[n++].name = bad_rows[i].name;
	}
	return _cmocka_run_group_tests("store_record", t, n, setup, NULL);
}
