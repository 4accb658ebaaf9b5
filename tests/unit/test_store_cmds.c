/*
 * test_store_cmds.c - the exact Redis commands of each moment of a call's
 * life (store/cmds.h), rendered as one line per command, arguments joined
 * by spaces. One row per moment: create, update by signalling, a switch,
 * one media deleted, the call deleted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store/cmds.h"

#define OFF	((int64_t)1764000000000)

static const struct store_keys keys = { .node = "n1", .group = "n1", .ttl_ms = 600000,
    .wall_off = OFF };

static void
set_leg(struct leg_saved *l, const char *local, const char *peer)
{
	memset(l, 0, sizeof(*l));
	addr_parse_hostport(&l->local, local, 0, AF_INET);
	addr_parse(&l->advertised, "127.0.0.1", 0, AF_INET);
	l->latch.policy = LATCH_SSRC;
	l->proc.jitterbuf = -1;		/* no J: the daemon's own */
	pt_set_allow_all(&l->pts);	/* no c: any payload type */
	if (peer) {
		l->latch.trust = TRUST_SIGNALLED;
		addr_parse_hostport(&l->latch.peer, peer, 0, AF_INET);
		l->latch.signalled = l->latch.peer;
	}
}

static void
one_media_call(struct call_saved *c, bool answered)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->callid, "c1");
	c->created_ms = 1000;
	c->nmedia = 1;
	c->media[0].num = 1;
	strcpy(c->media[0].tag[0], "ft");
	if (answered)
		strcpy(c->media[0].tag[1], "tt");
	c->media[0].answered = answered;
	set_leg(&c->media[0].leg[0], "127.0.0.1:30000", "127.0.0.2:4000");
	set_leg(&c->media[0].leg[1], "127.0.0.1:30002",
	    answered ? "127.0.0.3:5000" : NULL);
}

#define LEG_A_SIG "1 laddr=127.0.0.1:30000 adv=127.0.0.1 pol=ssrc st=signalled " \
	"asym=0 ver=0 root=0 sig=127.0.0.2:4000 peer=127.0.0.2:4000 rpeer=- " \
	"rconf=0 ssrc=- seq=0 seqt=0 nsw=0 swt=0 wst=0 wsw=0 mux=0 blk=0 hold=0 " \
	"jb=- zp=0 pt=any"
#define LEG_B_NONE "1 laddr=127.0.0.1:30002 adv=127.0.0.1 pol=ssrc st=none " \
	"asym=0 ver=0 root=0 sig=- peer=- rpeer=- " \
	"rconf=0 ssrc=- seq=0 seqt=0 nsw=0 swt=0 wst=0 wsw=0 mux=0 blk=0 hold=0 " \
	"jb=- zp=0 pt=any"
#define LEG_B_SIG "1 laddr=127.0.0.1:30002 adv=127.0.0.1 pol=ssrc st=signalled " \
	"asym=0 ver=0 root=0 sig=127.0.0.3:5000 peer=127.0.0.3:5000 rpeer=- " \
	"rconf=0 ssrc=- seq=0 seqt=0 nsw=0 swt=0 wst=0 wsw=0 mux=0 blk=0 hold=0 " \
	"jb=- zp=0 pt=any"
#define LEG_B_MOVED "1 laddr=127.0.0.1:30002 adv=127.0.0.1 pol=ssrc st=strong " \
	"asym=0 ver=1 root=1 sig=127.0.0.3:5000 peer=127.0.0.4:6000 " \
	"rpeer=127.0.0.4:6001 rconf=0 ssrc=0000abcd seq=17 seqt=1764000009000 " \
	"nsw=1 swt=1764000009000 wst=1764000009000 wsw=1 mux=0 blk=0 hold=0 " \
	"jb=- zp=0 pt=any"

enum moment { CREATE, UPDATE, RECORDED, SWITCH, MEDIA_DELETED, DELETED };

struct row {
	const char	*name;
	enum moment	 moment;
	const char	*want;
};

static const struct row rows[] = {
	{ "U creates the call", CREATE,
	  "MULTI\nUNLINK rtproam:n1:call:c1\nHSET rtproam:n1:call:c1 v 1 cid c1 own n1 created 1764000001000 "
	  "m0 1 num=1 t0=ft t1=- br=- ans=0 type=- proto=- "
	  "mo0=0 mo1=0 lb0=- lb1=- del=0 "
	  "m0.a " LEG_A_SIG " m0.b " LEG_B_NONE "\n"
	  "PEXPIRE rtproam:n1:call:c1 600000\nEXEC\n" },
	{ "L answers it", UPDATE,
	  "MULTI\nUNLINK rtproam:n1:call:c1\nHSET rtproam:n1:call:c1 v 1 cid c1 own n1 created 1764000001000 "
	  "m0 1 num=1 t0=ft t1=tt br=- ans=1 type=- proto=- "
	  "mo0=0 mo1=0 lb0=- lb1=- del=0 "
	  "m0.a " LEG_A_SIG " m0.b " LEG_B_SIG "\n"
	  "PEXPIRE rtproam:n1:call:c1 600000\nEXEC\n" },
	{ "recorded, J1 Z20 c0,8,101, ng labels, delete delayed", RECORDED,
	  "MULTI\nUNLINK rtproam:n1:call:c1\nHSET rtproam:n1:call:c1 v 1 cid c1 own n1 created 1764000001000 "
	  "rec 1 tag=ft "
	  "m0 1 num=1 t0=ft t1=tt br=- ans=1 type=audio proto=RTP/AVP "
	  "mo0=1 mo1=0 lb0=caller lb1=- del=1764000031000 "
	  "m0.a 1 laddr=127.0.0.1:30000 adv=127.0.0.1 pol=ssrc st=signalled "
	  "asym=0 ver=0 root=0 sig=127.0.0.2:4000 peer=127.0.0.2:4000 rpeer=- "
	  "rconf=0 ssrc=- seq=0 seqt=0 nsw=0 swt=0 wst=0 wsw=0 mux=0 blk=0 hold=0 "
	  "jb=fixed zp=20 pt=0,8,101 "
	  "m0.b " LEG_B_SIG "\n"
	  "PEXPIRE rtproam:n1:call:c1 600000\nEXEC\n" },
	{ "a handover of leg b", SWITCH,
	  "HSET rtproam:n1:call:c1 m0.b " LEG_B_MOVED "\n"
	  "PEXPIRE rtproam:n1:call:c1 600000\n" },
	{ "one media of several deleted", MEDIA_DELETED,
	  "HDEL rtproam:n1:call:c1 m0 m0.a m0.b\n" },
	{ "D or a timeout", DELETED,
	  "UNLINK rtproam:n1:call:c1\n" },
};

static void
render(const struct store_batch *b, char *out, size_t len)
{
	size_t off = 0;
	unsigned i, j;

	out[0] = '\0';
	for (i = 0; i < b->n; i++)
		for (j = 0; j < b->cmd[i].argc; j++)
			off += (size_t)snprintf(out + off, len - off, "%.*s%s",
			    (int)b->cmd[i].argvlen[j], b->cmd[i].argv[j],
			    j + 1 < b->cmd[i].argc ? " " : "\n");
}

static void
test_moment(void **state)
{
	const struct row *r = *state;
	static struct store_batch b;
	static struct call_saved c;
	static char out[8192];
	struct leg_saved *l;

	store_batch_reset(&b);
	one_media_call(&c, r->moment != CREATE);
	switch (r->moment) {
	case CREATE:
	case UPDATE:
		assert_int_equal(store_cmds_call(&b, &keys, &c), 0);
		break;
	case RECORDED:
		c.recording = true;
		strcpy(c.rec_tag, "ft");
		strcpy(c.media[0].type, "audio");
		strcpy(c.media[0].proto, "RTP/AVP");
		c.media[0].mux_offer[0] = true;
		strcpy(c.media[0].label[0], "caller");
		c.media[0].delete_at_ms = 31000;
		c.media[0].leg[0].proc.jitterbuf = JBUF_FIXED;
		c.media[0].leg[0].proc.zptime_ms = 20;
		pt_set_clear(&c.media[0].leg[0].pts);
		pt_set_add(&c.media[0].leg[0].pts, 101);
		pt_set_add(&c.media[0].leg[0].pts, 0);
		pt_set_add(&c.media[0].leg[0].pts, 8);
		assert_int_equal(store_cmds_call(&b, &keys, &c), 0);
		break;
	case SWITCH:
		l = &c.media[0].leg[1];
		l->latch.trust = TRUST_STRONG;
		l->latch.ever_verified = l->latch.rooted = true;
		addr_parse_hostport(&l->latch.peer, "127.0.0.4:6000", 0, AF_INET);
		addr_parse_hostport(&l->latch.rtcp_peer, "127.0.0.4:6001", 0, AF_INET);
		l->latch.stream.known = true;
		l->latch.stream.ssrc = 0xabcd;
		l->latch.stream.max_seq = 17;
		l->latch.stream.last_ms = l->latch.last_switch_ms =
		    l->latch.window_start_ms = 9000;
		l->latch.switches = l->latch.window_switches = 1;
		assert_int_equal(store_cmds_leg(&b, &keys, "c1", 0, 1, l), 0);
		break;
	case MEDIA_DELETED:
		assert_int_equal(store_cmds_media_deleted(&b, &keys, "c1", 0), 0);
		break;
	case DELETED:
		assert_int_equal(store_cmds_call_deleted(&b, &keys, "c1"), 0);
		break;
	}
	render(&b, out, sizeof(out));
	assert_string_equal(out, r->want);
}

/*
 * What goes on the wire: each batch as one guarded script call (fencing),
 * MULTI/EXEC left out since a script is atomic.
 */
static void
test_guarded(void **state)
{
	static struct store_batch b;
	static struct store_guarded g;
	static struct call_saved c;
	static char out[8192];
	size_t off = 0;
	unsigned i;

	(void)state;
	store_batch_reset(&b);
	one_media_call(&c, false);
	assert_int_equal(store_cmds_call(&b, &keys, &c), 0);
	store_cmds_guard(&b, "5ha1", "rtproam:n1:lease", "n1 7", &g);
	for (i = 0; i < g.argc; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%.*s%s",
		    (int)g.argvlen[i], g.argv[i], i + 1 < g.argc ? " " : "\n");
	assert_string_equal(out,
	    "EVALSHA 5ha1 1 rtproam:n1:lease n1 7 "
	    "2 UNLINK rtproam:n1:call:c1 "
	    "16 HSET rtproam:n1:call:c1 v 1 cid c1 own n1 created 1764000001000 "
	    "m0 1 num=1 t0=ft t1=- br=- ans=0 type=- proto=- "
	  "mo0=0 mo1=0 lb0=- lb1=- del=0 "
	    "m0.a " LEG_A_SIG " m0.b " LEG_B_NONE " "
	    "3 PEXPIRE rtproam:n1:call:c1 600000\n");

	/* The lease and epoch keys of a group. */
	{
		char lease[64], epoch[64];

		assert_int_equal(store_lease_keys("media-1", lease, epoch, sizeof(lease)), 0);
		assert_string_equal(lease, "rtproam:media-1:lease");
		assert_string_equal(epoch, "rtproam:media-1:epoch");
		assert_int_equal(store_lease_keys("media-1", lease, epoch, 12), -1);
	}
}

/* A batch that is full takes nothing of an operation that does not fit. */
static void
test_full_batch(void **state)
{
	static struct store_batch b;
	static struct call_saved c;
	unsigned i;

	(void)state;
	store_batch_reset(&b);
	one_media_call(&c, true);
	for (i = 0; i < STORE_BATCH_CMDS - 1; i++)
		assert_int_equal(store_cmds_call_deleted(&b, &keys, "c1"), 0);
	assert_int_equal(store_cmds_call(&b, &keys, &c), -1);
	assert_int_equal(b.n, STORE_BATCH_CMDS - 1);
	assert_int_equal(store_cmds_call_deleted(&b, &keys, "c1"), 0);
	assert_int_equal(b.n, STORE_BATCH_CMDS);
}

int
main(void)
{
	struct CMUnitTest t[2 + sizeof(rows) / sizeof(rows[0])];
	size_t i, n = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_moment,
		    (void *)&rows[i]);
		t[n++].name = rows[i].name;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_full_batch);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_guarded);
	return cmocka_run_group_tests(t, NULL, NULL);
}
