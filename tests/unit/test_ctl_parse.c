/*
 * test_ctl_parse.c - the control-protocol parser against the command
 * shapes Kamailio and OpenSIPS really send, the malformed ones we must
 * refuse with the right E<n>, and a crash hunt over prefixes and
 * mutations (run it under ASan: every input sits in an exact-size heap
 * block, so an overread is caught).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/rtpp/ctl_parse.h"

/* Flags for struct ok_case.flags. */
#define F_A	0x001
#define F_S	0x002
#define F_W	0x004
#define F_6	0x008
#define F_N	0x010
#define F_VERB	0x020
#define F_TTL	0x040
#define F_SUB	0x080

struct ok_case {
	const char	*in;
	enum ctl_op	 op;
	const char	*callid;
	const char	*addr;
	unsigned	 port;
	const char	*ftag;
	unsigned	 fmedia;
	const char	*ttag;
	unsigned	 tmedia;
	const char	*nsock;
	const char	*ntag;
	const char	*pts;		/* "0,8,101"; NULL = any PT */
	unsigned	 flags;
	const char	*iface;		/* "IE"; NULL = none */
	unsigned	 zptime;
	int		 ho;		/* handover + 1; 0 = default (-1) */
	const char	*extra;		/* vf_date, copy target or prompt */
	const char	*codecs;	/* P codecs */
	unsigned	 count;		/* P count */
	unsigned	 nq;
	const char	*q0;		/* first and last name */
	const char	*qlast;
};

static const struct ok_case ok_cases[] = {
	/* reference 1.9 */
	{ .in = "V", .op = CTL_V },
	{ .in = "VF 20050322", .op = CTL_VF, .extra = "20050322" },
	{ .in = "VF 20071116", .op = CTL_VF, .extra = "20071116" },
	{ .in = "vf 20081102", .op = CTL_VF, .extra = "20081102" },
	{ .in = "Uc0,8,101 a1f9@pc.example 198.51.100.23 4000 t-caller;1",
	  .op = CTL_U, .callid = "a1f9@pc.example", .addr = "198.51.100.23",
	  .port = 4000, .ftag = "t-caller", .fmedia = 1, .pts = "0,8,101" },
	{ .in = "Lc0,101 a1f9@pc.example 192.0.2.50 30000 t-caller;1 "
	    "t-callee;1",
	  .op = CTL_L, .callid = "a1f9@pc.example", .addr = "192.0.2.50",
	  .port = 30000, .ftag = "t-caller", .fmedia = 1,
	  .ttag = "t-callee", .tmedia = 1, .pts = "0,101" },
	{ .in = "Uc0 a1f9@pc.example 192.0.2.50 30002 t-callee;1 t-caller;1",
	  .op = CTL_U, .callid = "a1f9@pc.example", .addr = "192.0.2.50",
	  .port = 30002, .ftag = "t-callee", .fmedia = 1,
	  .ttag = "t-caller", .tmedia = 1, .pts = "0" },
	{ .in = "Q a1f9@pc.example t-caller;1 t-callee", .op = CTL_Q,
	  .callid = "a1f9@pc.example", .ftag = "t-caller", .fmedia = 1,
	  .ttag = "t-callee" },
	{ .in = "L a1f9@pc.example 192.0.2.50 30000 t-nobody;1 t-callee;1",
	  .op = CTL_L, .callid = "a1f9@pc.example", .addr = "192.0.2.50",
	  .port = 30000, .ftag = "t-nobody", .fmedia = 1,
	  .ttag = "t-callee", .tmedia = 1 },
	{ .in = "D a1f9@pc.example t-caller t-callee", .op = CTL_D,
	  .callid = "a1f9@pc.example", .ftag = "t-caller",
	  .ttag = "t-callee" },
	{ .in = "UIE q7@host.example 198.51.100.23 4000 ta;1", .op = CTL_U,
	  .callid = "q7@host.example", .addr = "198.51.100.23", .port = 4000,
	  .ftag = "ta", .fmedia = 1, .iface = "IE" },
	{ .in = "U cid7 192.0.2.7 5004 ft;1\n", .op = CTL_U, .callid = "cid7",
	  .addr = "192.0.2.7", .port = 5004, .ftag = "ft", .fmedia = 1 },
	{ .in = "Uc8 cid7 192.0.2.7 5004 ft;1 tt;1 tcp:192.0.2.1:9999 "
	    "T4812.77",
	  .op = CTL_U, .callid = "cid7", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1,
	  .nsock = "tcp:192.0.2.1:9999", .ntag = "T4812.77", .pts = "8" },
	/* notify without to-tag, 7 tokens */
	{ .in = "U cid7 192.0.2.7 5004 ft;1 unix:/run/n.sock I",
	  .op = CTL_U, .callid = "cid7", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1, .nsock = "unix:/run/n.sock",
	  .ntag = "I" },
	/* Kamailio's glued notify pair, 6 tokens */
	{ .in = "U k1@h 198.51.100.23 4000 fa;1 "
	    "unix:/var/run/kamailio/timeout.sock;leg%3D17",
	  .op = CTL_U, .callid = "k1@h", .addr = "198.51.100.23",
	  .port = 4000, .ftag = "fa", .fmedia = 1,
	  .nsock = "unix:/var/run/kamailio/timeout.sock", .ntag = "leg%3D17" },
	{ .in = "U k1@h 198.51.100.23 4000 fa;1 TCP:127.0.0.1:9999;T1.2",
	  .op = CTL_U, .callid = "k1@h", .addr = "198.51.100.23",
	  .port = 4000, .ftag = "fa", .fmedia = 1,
	  .nsock = "TCP:127.0.0.1:9999", .ntag = "T1.2" },
	{ .in = "U k1@h 198.51.100.23 4000 fa;1 unix:/tmp/a;b.sock;t9",
	  .op = CTL_U, .callid = "k1@h", .addr = "198.51.100.23",
	  .port = 4000, .ftag = "fa", .fmedia = 1,
	  .nsock = "unix:/tmp/a;b.sock", .ntag = "t9" },
	/* L never takes the glued form: its 6th token is the to-tag */
	{ .in = "L k1@h 192.0.2.1 4000 fa;1 dummy", .op = CTL_L,
	  .callid = "k1@h", .addr = "192.0.2.1", .port = 4000, .ftag = "fa",
	  .fmedia = 1, .ttag = "dummy" },
	/* Kamailio modifier shapes */
	{ .in = "UAc0,8 c1;b0 198.51.100.9 4002 ft;2", .op = CTL_U,
	  .callid = "c1;b0", .addr = "198.51.100.9", .port = 4002,
	  .ftag = "ft", .fmedia = 2, .pts = "0,8", .flags = F_A },
	{ .in = "U6 v6@h 2001:db8::1 5000 ft;1", .op = CTL_U,
	  .callid = "v6@h", .addr = "2001:db8::1", .port = 5000,
	  .ftag = "ft", .fmedia = 1, .flags = F_6 },
	{ .in = "UEI6S v6@h 2001:db8::1 5000 ft;1 tt;1", .op = CTL_U,
	  .callid = "v6@h", .addr = "2001:db8::1", .port = 5000,
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1,
	  .flags = F_6 | F_S, .iface = "EI" },
	{ .in = "UZ20c18,101 z@h 192.0.2.9 0 ft;3", .op = CTL_U,
	  .callid = "z@h", .addr = "192.0.2.9", .port = 0, .ftag = "ft",
	  .fmedia = 3, .zptime = 20, .pts = "18,101" },
	{ .in = "Uz999C0 z@h 0.0.0.0 65535 ft;65535", .op = CTL_U,
	  .callid = "z@h", .addr = "0.0.0.0", .port = 65535, .ftag = "ft",
	  .fmedia = 65535, .zptime = 999, .pts = "0" },
	/* OpenSIPS shapes: l<addr>, R<addr>, T/t, pass-through flags, && */
	{ .in = "UAl203.0.113.10c0,8t60 o1 192.0.2.7 5004 ft;1", .op = CTL_U,
	  .callid = "o1", .addr = "192.0.2.7", .port = 5004, .ftag = "ft",
	  .fmedia = 1, .pts = "0,8", .flags = F_A | F_TTL },
	{ .in = "Ul[2001:db8::5]R192.0.2.200T30 o1 192.0.2.7 5004 ft;1",
	  .op = CTL_U, .callid = "o1", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1, .flags = F_TTL },
	{ .in = "Ul{public}R[2001:db8::9]xyk o1 192.0.2.7 5004 ft;1",
	  .op = CTL_U, .callid = "o1", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1 },
	{ .in = "Uc0,8,WN o1 192.0.2.7 5004 ft;1", .op = CTL_U,
	  .callid = "o1", .addr = "192.0.2.7", .port = 5004, .ftag = "ft",
	  .fmedia = 1, .pts = "0,8", .flags = F_W | F_N },
	{ .in = "U cid 192.0.2.7 5004 ft;1 tt;1 && M3:1 Dtag 101",
	  .op = CTL_U, .callid = "cid", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1,
	  .flags = F_SUB },
	{ .in = "L cid 192.0.2.7 5004 ft;1 tt;1 && a b c d e f g h i j k l "
	    "m n o p q r s t u v w x y z",
	  .op = CTL_L, .callid = "cid", .addr = "192.0.2.7", .port = 5004,
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1,
	  .flags = F_SUB },
	/* rtproam's handover policy; a bare H or lower-case h is a flag */
	{ .in = "UH2 h@h 192.0.2.7 5004 ft;1", .op = CTL_U, .callid = "h@h",
	  .addr = "192.0.2.7", .port = 5004, .ftag = "ft", .fmedia = 1,
	  .ho = 3 },
	{ .in = "UH0h1H o@h 192.0.2.7 5004 ft;1", .op = CTL_U,
	  .callid = "o@h", .addr = "192.0.2.7", .port = 5004, .ftag = "ft",
	  .fmedia = 1, .ho = 1 },
	/* case-insensitive letters, any run of blanks */
	{ .in = "u\tc1  192.0.2.1\r\n4000 f;1", .op = CTL_U, .callid = "c1",
	  .addr = "192.0.2.1", .port = 4000, .ftag = "f", .fmedia = 1 },
	{ .in = "  l c1 192.0.2.1 4000 f;1 t;1  ", .op = CTL_L,
	  .callid = "c1", .addr = "192.0.2.1", .port = 4000, .ftag = "f",
	  .fmedia = 1, .ttag = "t", .tmedia = 1 },
	{ .in = "d c1 f", .op = CTL_D, .callid = "c1", .ftag = "f" },
	{ .in = "Dw c1 f;2 t;2", .op = CTL_D, .callid = "c1", .ftag = "f",
	  .fmedia = 2, .ttag = "t", .tmedia = 2, .flags = F_VERB },
	/* Q, G, I, X, V */
	{ .in = "Qv q@h ft;1 tt;1 ttl packets_in packets_out relayed dropped",
	  .op = CTL_Q, .callid = "q@h", .ftag = "ft", .fmedia = 1,
	  .ttag = "tt", .tmedia = 1, .flags = F_VERB, .nq = 5, .q0 = "ttl",
	  .qlast = "dropped" },
	{ .in = "Q q@h ft;1", .op = CTL_Q, .callid = "q@h", .ftag = "ft",
	  .fmedia = 1 },
	{ .in = "G", .op = CTL_G },
	{ .in = "Gv nsess_created nsess_timeout", .op = CTL_G,
	  .flags = F_VERB, .nq = 2, .q0 = "nsess_created",
	  .qlast = "nsess_timeout" },
	{ .in = "I", .op = CTL_I },
	{ .in = "Ib", .op = CTL_I },			/* brief: the totals, as plain I */
	{ .in = "Il", .op = CTL_I, .flags = F_VERB },	/* rtproam: list the calls */
	{ .in = "X", .op = CTL_X },
	{ .in = "V 20060704", .op = CTL_V },
	/* R, C, N, P, S */
	{ .in = "R r@h ft tt", .op = CTL_R, .callid = "r@h", .ftag = "ft",
	  .ttag = "tt" },
	{ .in = "Rs r@h ft", .op = CTL_R, .callid = "r@h", .ftag = "ft" },
	{ .in = "C c@h udp:192.0.2.5:7000 ft;1 tt;1", .op = CTL_C,
	  .callid = "c@h", .extra = "udp:192.0.2.5:7000", .ftag = "ft",
	  .fmedia = 1, .ttag = "tt", .tmedia = 1 },
	{ .in = "N c@h ft;2 tt;2", .op = CTL_N, .callid = "c@h",
	  .ftag = "ft", .fmedia = 2, .ttag = "tt", .tmedia = 2 },
	{ .in = "P3 p@h /var/prompts/moh session ft;1 tt;1", .op = CTL_P,
	  .callid = "p@h", .extra = "/var/prompts/moh", .codecs = "session",
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1, .count = 3 },
	{ .in = "P p@h moh 0,8 ft;1", .op = CTL_P, .callid = "p@h",
	  .extra = "moh", .codecs = "0,8", .ftag = "ft", .fmedia = 1,
	  .count = 1 },
	{ .in = "P-1 p@h moh session ft;1", .op = CTL_P, .callid = "p@h",
	  .extra = "moh", .codecs = "session", .ftag = "ft", .fmedia = 1,
	  .count = CTL_PLAY_FOREVER },
	{ .in = "S p@h ft;1 tt;1", .op = CTL_S, .callid = "p@h",
	  .ftag = "ft", .fmedia = 1, .ttag = "tt", .tmedia = 1 },
};

struct bad_case {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 err;
};

static const struct bad_case bad_cases[] = {
	{ "", 0, E_ARGC },
	{ " \t\r\n", 0, E_ARGC },
	{ "&& U x", 0, E_ARGC },
	{ "K c1 f", 0, E_UNKNOWN_CMD },
	{ "9", 0, E_UNKNOWN_CMD },
	{ "U a1f9@pc.example 198.51.100.23", 0, E_ARGC },
	{ "U c 192.0.2.1 4000", 0, E_ARGC },
	{ "U c 192.0.2.1 4000 f;1 t;1 s n extra", 0, E_ARGC },
	{ "U 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24",
	  0, E_ARGC },
	{ "U c 192.0.2.1 70000 f;1", 0, E_BAD_ADDR },
	{ "U c 192.0.2.1 -1 f;1", 0, E_BAD_ADDR },
	{ "U c 192.0.2.1 abc f;1", 0, E_BAD_ADDR },
	{ "U c 192.0.2.1 40a0 f;1", 0, E_BAD_ADDR },
	{ "U c 192.0.2.1 99999999999999999999999 f;1", 0, E_BAD_ADDR },
	{ "U c 192.0.2.1 4000 f;x", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 f;0", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 f;", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 f;65536", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 f;1;2", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 f;1 t;-1", 0, E_BAD_MEDIA_NUM },
	{ "U c 192.0.2.1 4000 ;1", 0, E_SYNTAX },
	{ "Z c 192.0.2.1 4000 f;1", 0, E_UNKNOWN_CMD },
	{ "UZ c 192.0.2.1 4000 f;1", 0, E_BAD_Z },
	{ "UZ0 c 192.0.2.1 4000 f;1", 0, E_BAD_Z },
	{ "Uz1000 c 192.0.2.1 4000 f;1", 0, E_BAD_Z },
	{ "Uc0,,8 c 192.0.2.1 4000 f;1", 0, E_BAD_CLIST },
	{ "Uc200 c 192.0.2.1 4000 f;1", 0, E_BAD_CLIST },
	{ "Uc128 c 192.0.2.1 4000 f;1", 0, E_BAD_CLIST },
	{ "Uc c 192.0.2.1 4000 f;1", 0, E_BAD_CLIST },
	{ "UAc,0 c 192.0.2.1 4000 f;1", 0, E_BAD_CLIST },
	{ "Lc0,8,, c 192.0.2.1 4000 f;1 t;1", 0, E_BAD_CLIST },
	{ "Ul c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul300.1.1.1 c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul[2001:db8::1 c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul[] c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul[zz::1] c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul{} c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "Ul{pub c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "URx c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "UR{lbl} c 192.0.2.1 4000 f;1", 0, E_BAD_LADDR },
	{ "UT c 192.0.2.1 4000 f;1", 0, E_BAD_MODIFIER },
	{ "Utx c 192.0.2.1 4000 f;1", 0, E_BAD_MODIFIER },
	{ "UH3 c 192.0.2.1 4000 f;1", 0, E_BAD_MODIFIER },
	{ "UH10 c 192.0.2.1 4000 f;1", 0, E_BAD_MODIFIER },
	{ "UIEI c 192.0.2.1 4000 f;1", 0, E_BAD_MODIFIER },
	{ "U c\0id 192.0.2.1 4000 f;1", 25, E_SYNTAX },
	{ "V\0", 2, E_SYNTAX },
	{ "L c 192.0.2.1 4000 f;1", 0, E_ARGC },
	{ "L c 192.0.2.1 4000 f;1 unix:/s n", 0, E_ARGC },
	/* notify tags */
	{ "U c 192.0.2.1 4000 f;1 unix:/run/x.sock;", 0, E_NOTIFY_TAG },
	{ "U c 192.0.2.1 4000 f;1 t;1 unix:/s T%zz", 0, E_NOTIFY_TAG },
	{ "U c 192.0.2.1 4000 f;1 unix:/s T%4", 0, E_NOTIFY_TAG },
	{ "U c 192.0.2.1 4000 f;1 tcp:h:1;T%0A2", 0, E_NOTIFY_TAG },
	/* other commands */
	{ "D c", 0, E_ARGC },
	{ "D c f t x", 0, E_ARGC },
	{ "Dx c f", 0, E_BAD_MODIFIER },
	{ "D c f;z", 0, E_BAD_MEDIA_NUM },
	{ "Q c", 0, E_ARGC },
	{ "Q c f t 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 0, E_ARGC },
	{ "Q c f;q", 0, E_BAD_MEDIA_NUM },
	{ "G 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 0, E_ARGC },
	{ "V 1 2", 0, E_ARGC },
	{ "Vx", 0, E_MODIFIER },
	{ "VF", 0, E_ARGC },
	{ "VF 1 2", 0, E_ARGC },
	{ "VFx 20050322", 0, E_MODIFIER },
	{ "X1", 0, E_MODIFIER },
	{ "X now", 0, E_ARGC },
	{ "I more", 0, E_ARGC },
	{ "R c", 0, E_ARGC },
	{ "C c target", 0, E_ARGC },
	{ "C c target f t x", 0, E_ARGC },
	{ "N c f t x", 0, E_ARGC },
	{ "S c", 0, E_ARGC },
	{ "P c p session", 0, E_ARGC },
	{ "Px c p session f", 0, E_SYNTAX },
	{ "P- c p session f", 0, E_SYNTAX },
	{ "P99999999999 c p session f", 0, E_SYNTAX },
	{ "D c f t && x", 0, E_SUBCMD },
	{ "V && x", 0, E_SUBCMD },
};

static bool
known_code(int rc)
{
	static const int codes[] = {
		CTL_OK, E_UNKNOWN_CMD, E_ARGC, E_MODIFIER, E_SUBCMD, E_SYNTAX,
		E_NO_PORTS, E_NOTIFY_TAG, E_BAD_Z, E_BAD_CLIST, E_BAD_LADDR,
		E_TOO_BIG, E_BAD_ARG, E_BAD_MEDIA_NUM, E_BAD_MODIFIER,
		E_NO_LOCAL_AF, E_BAD_ADDR, E_NO_SESSION, E_QUERY, E_NOMEM,
		E_OVERLOAD, E_SHUTDOWN,
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (rc == codes[i])
			return true;
	return false;
}

static bool
str_is(const struct ctl_str *s, const char *want)
{
	if (want == NULL)
		return s->len == 0;
	return ctl_str_eq(s, want, strlen(want));
}

#define CHECK(c) do {							\
	if (!(c)) {							\
		print_error("case \"%s\": %s\n", tc->in, #c);		\
		fail();							\
	}								\
} while (0)

/* "0,8,101" against the parsed list and set. */
static bool
pts_match(const struct ctl_mods *m, const char *want)
{
	unsigned i = 0, v;
	char *end;

	if (want == NULL)
		return m->pts.any && m->npts == 0;
	if (m->pts.any)
		return false;
	while (*want != '\0') {
		v = (unsigned)strtoul(want, &end, 10);
		if (i >= m->npts || m->pt_list[i] != v ||
		    !pt_set_has(&m->pts, v))
			return false;
		i++;
		want = *end == ',' ? end + 1 : end;
	}
	return i == m->npts;
}

static void
check_ok(const struct ok_case *tc, const struct ctl_cmd *c)
{
	CHECK(c->op == tc->op);
	CHECK(c->letter == tc->in[strspn(tc->in, " \t")]);
	CHECK(str_is(&c->callid, tc->callid));
	CHECK(str_is(&c->addr, tc->addr));
	CHECK(c->port == tc->port);
	CHECK(str_is(&c->from.tag, tc->ftag));
	CHECK(c->from.media == tc->fmedia);
	CHECK(str_is(&c->to.tag, tc->ttag));
	CHECK(c->to.media == tc->tmedia);
	CHECK(str_is(&c->notify_socket, tc->nsock));
	CHECK(str_is(&c->notify_tag, tc->ntag));
	CHECK(pts_match(&c->mods, tc->pts));
	CHECK(c->mods.asymmetric == !!(tc->flags & F_A));
	CHECK(c->mods.symmetric == !!(tc->flags & F_S));
	CHECK(c->mods.weak == !!(tc->flags & F_W));
	CHECK(c->mods.ipv6 == !!(tc->flags & F_6));
	CHECK(c->mods.new_port == !!(tc->flags & F_N));
	CHECK(c->mods.verbose == !!(tc->flags & F_VERB));
	CHECK(c->mods.ttl_set == !!(tc->flags & F_TTL));
	CHECK(c->has_subcmd == !!(tc->flags & F_SUB));
	CHECK(c->mods.iface[0] == (tc->iface ? tc->iface[0] : '\0'));
	CHECK(c->mods.iface[1] == (tc->iface && tc->iface[0] ?
	    tc->iface[1] : '\0'));
	CHECK(c->mods.zptime == tc->zptime);
	CHECK(c->mods.handover == tc->ho - 1);
	if (tc->op == CTL_VF)
		CHECK(str_is(&c->vf_date, tc->extra));
	else if (tc->op == CTL_C)
		CHECK(str_is(&c->copy_target, tc->extra));
	else if (tc->op == CTL_P) {
		CHECK(str_is(&c->play_prompt, tc->extra));
		CHECK(str_is(&c->play_codecs, tc->codecs));
		CHECK(c->play_count == tc->count);
	}
	CHECK(c->nqnames == tc->nq);
	if (tc->nq > 0) {
		CHECK(str_is(&c->qnames[0], tc->q0));
		CHECK(str_is(&c->qnames[tc->nq - 1], tc->qlast));
	}
}

/* Parse from an exact-size heap copy so ASan sees any overread. */
static int
parse_copy(const char *in, size_t len, struct ctl_cmd *c, char **keep)
{
	char *b = malloc(len ? len : 1);
	int rc;

	assert_non_null(b);
	memcpy(b, in, len);
	rc = ctl_parse(b, len, c);
	if (keep != NULL)
		*keep = b;
	else
		free(b);
	return rc;
}

static void
test_ok_table(void **state)
{
	struct ctl_cmd c;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *tc = &ok_cases[i];
		char *b;

		rc = parse_copy(tc->in, strlen(tc->in), &c, &b);
		if (rc != CTL_OK) {
			print_error("case \"%s\": rc %d\n", tc->in, rc);
			fail();
		}
		check_ok(tc, &c);
		free(b);
	}
}

static void
test_bad_table(void **state)
{
	struct ctl_cmd c;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *tc = &bad_cases[i];

		len = tc->len ? tc->len : strlen(tc->in);
		rc = parse_copy(tc->in, len, &c, NULL);
		if (rc != tc->err) {
			print_error("case \"%s\": rc %d, want %d\n", tc->in,
			    rc, tc->err);
			fail();
		}
		assert_int_equal(ctl_err_code(rc), tc->err);
	}
}

static void
test_too_big(void **state)
{
	struct ctl_cmd c;
	char *b;

	(void)state;
	b = malloc(9000);
	assert_non_null(b);
	memset(b, 'x', 9000);
	memcpy(b, "U c 192.0.2.1 4000 f;1 ", 23);
	assert_int_equal(ctl_parse(b, 9000, &c), E_TOO_BIG);
	assert_int_equal(ctl_parse(b, CTL_MAX_CMD + 1, &c), E_TOO_BIG);
	/* Exactly the limit is still parsed: one long to-tag. */
	assert_int_equal(ctl_parse(b, CTL_MAX_CMD, &c), CTL_OK);
	assert_int_equal(c.to.tag.len, CTL_MAX_CMD - 23);
	free(b);
}

static void
test_many_codecs(void **state)
{
	char cmd[600];
	struct ctl_cmd c;
	size_t n;
	unsigned pt;

	(void)state;
	/* 40 PTs: all in the set, the first 32 in the list. */
	n = (size_t)snprintf(cmd, sizeof(cmd), "Uc");
	for (pt = 0; pt < 40; pt++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%u",
		    pt ? "," : "", 80 + pt);
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
	    " c 192.0.2.1 4000 f;1");
	assert_int_equal(ctl_parse(cmd, n, &c), CTL_OK);
	assert_int_equal(c.mods.npts, 32);
	assert_int_equal(c.mods.pt_list[31], 111);
	assert_true(pt_set_has(&c.mods.pts, 119));
	assert_false(pt_set_has(&c.mods.pts, 0));
	/* Trailing comma is tolerated. */
	assert_int_equal(ctl_parse("Uc0,8, c 192.0.2.1 4000 f;1", 27, &c),
	    CTL_OK);
	assert_int_equal(c.mods.npts, 2);
}

struct cookie_case {
	const char	*in;
	int		 rc;
	const char	*cookie;
	const char	*cmd;
};

static const struct cookie_case cookie_cases[] = {
	{ "88211_301 V", 0, "88211_301", "V" },
	{ "88211_302 VF 20050322", 0, "88211_302", "VF 20050322" },
	{ "4410_9_17\tUc8 cid7 192.0.2.7 5004 ft;1\n", 0, "4410_9_17",
	  "Uc8 cid7 192.0.2.7 5004 ft;1\n" },
	{ "  ck \r\n  X", 0, "ck", "X" },
	/* A cookie alone: the empty command gets E1, not silence. */
	{ "ck", 0, "ck", "" },
	{ "ck  \n", 0, "ck", "" },
	{ "", -1, NULL, NULL },
	{ " \t ", -1, NULL, NULL },
};

static void
test_split_cookie(void **state)
{
	struct ctl_str ck;
	const char *cmd;
	size_t i, cl, len;
	char *b;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cookie_cases) / sizeof(cookie_cases[0]); i++) {
		const struct cookie_case *tc = &cookie_cases[i];

		len = strlen(tc->in);
		b = malloc(len ? len : 1);
		assert_non_null(b);
		memcpy(b, tc->in, len);
		rc = ctl_split_cookie(b, len, &ck, &cmd, &cl);
		CHECK(rc == tc->rc);
		if (rc == 0) {
			CHECK(str_is(&ck, tc->cookie));
			CHECK(cl == strlen(tc->cmd) &&
			    memcmp(cmd, tc->cmd, cl) == 0);
		}
		free(b);
	}
}

struct url_case {
	const char	*in;
	size_t		 dstlen;
	int		 rc;
	const char	*out;
};

static const struct url_case url_cases[] = {
	{ "leg%3D17", 64, 6, "leg=17" },
	{ "T4812.77", 64, 8, "T4812.77" },
	{ "a%2fb%2Fc", 64, 5, "a/b/c" },
	{ "x+y%20z", 64, 5, "x+y z" },
	{ "", 1, 0, "" },
	{ "abc", 4, 3, "abc" },
	{ "abc", 3, -1, NULL },
	{ "%41", 2, 1, "A" },
	{ "%41", 1, -1, NULL },
	{ "abc", 0, -1, NULL },
	{ "%", 64, -1, NULL },
	{ "%4", 64, -1, NULL },
	{ "%zz", 64, -1, NULL },
	{ "%4g", 64, -1, NULL },
	{ "ab%", 64, -1, NULL },
	{ "a%0Ab", 64, -1, NULL },
	{ "a%0db", 64, -1, NULL },
	{ "a%00b", 64, -1, NULL },
};

static void
test_url_decode(void **state)
{
	struct ctl_str s;
	char dst[64];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		const struct url_case *tc = &url_cases[i];

		s.p = tc->in;
		s.len = strlen(tc->in);
		memset(dst, 'Q', sizeof(dst));
		rc = ctl_url_decode(&s, dst, tc->dstlen);
		CHECK(rc == tc->rc);
		if (rc >= 0)
			CHECK(strcmp(dst, tc->out) == 0);
		/* Never a byte past dstlen. */
		CHECK(tc->dstlen >= sizeof(dst) || dst[tc->dstlen] == 'Q');
	}
}

static void
test_str_eq_and_codes(void **state)
{
	struct ctl_str s = { "abc", 3 }, e = { NULL, 0 };

	(void)state;
	assert_true(ctl_str_eq(&s, "abc", 3));
	assert_false(ctl_str_eq(&s, "abd", 3));
	assert_false(ctl_str_eq(&s, "ab", 2));
	assert_true(ctl_str_eq(&e, "", 0));
	assert_int_equal(ctl_err_code(E_NO_SESSION), 50);
	assert_int_equal(ctl_err_code(E_ARGC), 1);
	assert_int_equal(ctl_err_code(E_NO_PORTS), 7);
}

/* Every string the parser hands out must lie inside the input. */
static bool
inside(const struct ctl_str *s, const char *b, size_t len)
{
	return s->len == 0 ||
	    (s->p >= b && s->len <= len && s->p - b <= (ptrdiff_t)(len - s->len));
}

static void
check_any(const char *b, size_t len)
{
	struct ctl_cmd c;
	unsigned i;
	int rc;

	rc = ctl_parse(b, len, &c);
	assert_true(known_code(rc));
	if (rc != CTL_OK)
		return;
	assert_true(inside(&c.modifiers, b, len));
	assert_true(inside(&c.callid, b, len));
	assert_true(inside(&c.addr, b, len));
	assert_true(inside(&c.from.tag, b, len));
	assert_true(inside(&c.to.tag, b, len));
	assert_true(inside(&c.notify_socket, b, len));
	assert_true(inside(&c.notify_tag, b, len));
	assert_true(inside(&c.vf_date, b, len));
	assert_true(inside(&c.copy_target, b, len));
	assert_true(inside(&c.play_prompt, b, len));
	assert_true(inside(&c.play_codecs, b, len));
	assert_true(c.nqnames <= CTL_MAX_QNAMES);
	for (i = 0; i < c.nqnames; i++)
		assert_true(inside(&c.qnames[i], b, len));
	assert_true(c.mods.npts <= 32);
	assert_true(c.mods.handover >= -1 && c.mods.handover <= 2);
}

/*
 * Every prefix and every single-byte mutation (all 256 values) of every
 * valid command, then random multi-byte mutations.
 */
static void
test_mutations(void **state)
{
	uint32_t rnd = 0x2545f491;
	size_t i, len, pos, k;
	unsigned v, r;
	char *b;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const char *in = ok_cases[i].in;

		len = strlen(in);
		for (k = 0; k <= len; k++) {
			b = malloc(k ? k : 1);
			assert_non_null(b);
			memcpy(b, in, k);
			check_any(b, k);
			free(b);
		}
		b = malloc(len);
		assert_non_null(b);
		for (pos = 0; pos < len; pos++) {
			for (v = 0; v < 256; v++) {
				memcpy(b, in, len);
				b[pos] = (char)v;
				check_any(b, len);
			}
		}
		for (r = 0; r < 2000; r++) {
			memcpy(b, in, len);
			for (k = 0; k < 4; k++) {
				rnd ^= rnd << 13;
				rnd ^= rnd >> 17;
				rnd ^= rnd << 5;
				b[rnd % len] = (char)(rnd >> 24);
			}
			check_any(b, len);
		}
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_table),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_many_codecs),
		cmocka_unit_test(test_split_cookie),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_str_eq_and_codes),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
