/*
 * test_sdp.c - SDP parsing and rewriting, against a corpus of client SDPs.
 *
 * The corpus (tests/unit/sdp/NN-name.sdp) holds RECONSTRUCTIONS of what the
 * named clients typically send: written from knowledge of their usual
 * attribute sets and origin lines, not captured from the wire. Each file
 * has its expected rewrite (NN-name.out) for a fixed relay: 203.0.113.1 or
 * 2001:db8::1 (the SDP's family), RTP port 30000+2i for media i, RTCP the
 * next port or the same one when muxed, replace_origin,
 * replace_session_conn and strip_ice on. The table below gives, per file,
 * the options that differ (mux, direction, keep) and the facts the parser
 * must find.
 *
 * SDP_REGEN=1 in the environment writes the .out files instead of
 * comparing (then read every diff before committing them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "sdp/sdp.h"
#include "sdp/sdp_rewrite.h"

#define OUTMAX	(128 * 1024)

static const struct sdp_addr relay4 = { AF_INET, "203.0.113.1", false };
static const struct sdp_addr relay6 = { AF_INET6, "2001:db8::1", false };

/*
 * media: one letter per m= line, what the relay does with it:
 *   a  relay it; write a=rtcp-mux when the input had it (mux accepted)
 *   d  relay it, demultiplexed: never write a=rtcp-mux
 *   k  keep the section as it came (not carried by the relay)
 *   0  reject it (port 0); an input port 0 is rejected whatever the letter
 * odir: one letter per m= line, the direction we write (r sendrecv,
 *   s sendonly, o recvonly, i inactive); NULL: sdp_media_dir's answer.
 * pdir: what sdp_media_dir must answer per m=, same letters.
 * ice, mux, rtcp: has_ice, rtcp_mux and rtcp_port of the first m=.
 */
struct corpus_row {
	const char	*file;
	const char	*media;
	const char	*odir;
	unsigned	 nmedia;
	uint16_t	 ports[4];
	const char	*addr;		/* sdp_media_addr(s, 0)->ip; NULL: none */
	const char	*pdir;
	bool		 ice, mux;
	int		 rtcp;
};

static const struct corpus_row corpus[] = {
{ "01-sipp-uac", "a", NULL, 1, { 6000 }, "127.0.0.1", "r", false, false, -1 },
{ "02-kamailio-sipp-pcap", "a", NULL, 1, { 6000 }, "10.0.0.11", "r",
  false, false, -1 },
{ "03-baresip", "a", NULL, 1, { 10998 }, "192.168.1.34", "r",
  false, false, -1 },
{ "04-linphone-video", "aa", NULL, 2, { 7078, 9078 }, "192.168.0.23", "rr",
  false, false, -1 },
{ "05-asterisk-chan-sip", "a", NULL, 1, { 17234 }, "198.51.100.20", "r",
  false, false, -1 },
{ "06-asterisk-pjsip", "a", NULL, 1, { 10042 }, "198.51.100.21", "r",
  false, false, -1 },
/* a=rtcp with an address: a plain a=rtcp comes out. */
{ "07-freeswitch", "a", NULL, 1, { 24562 }, "198.51.100.30", "r",
  false, false, 24563 },
/* c= at both levels: both rewritten. */
{ "08-cisco-gw", "a", NULL, 1, { 16384 }, "192.0.2.50", "r",
  false, false, -1 },
/* Session-level a=sendrecv: removed there, written per media. */
{ "09-polycom", "a", NULL, 1, { 2222 }, "10.1.2.40", "r", false, false, -1 },
{ "10-yealink", "a", NULL, 1, { 11800 }, "192.168.1.50", "r",
  false, false, -1 },
{ "11-grandstream", "a", NULL, 1, { 5004 }, "192.168.2.15", "r",
  false, false, -1 },
/* No session c=: only the media one, the session b= stays. */
{ "12-microsip-pjsua", "a", NULL, 1, { 4000 }, "192.168.1.101", "r",
  false, false, 4001 },
{ "13-pjsua-ice", "a", NULL, 1, { 4010 }, "203.0.113.77", "r",
  true, false, 4011 },
/* Mux offered, demultiplexed toward the other side. */
{ "14-zoiper-mux", "d", NULL, 1, { 8000 }, "192.168.0.12", "r",
  false, true, -1 },
/* Video turned down by us. */
{ "15-bria", "a0", NULL, 2, { 57884, 54136 }, "192.168.0.77", "rr",
  false, false, -1 },
{ "16-jitsi-zrtp", "aa", NULL, 2, { 5000, 5002 }, "192.168.1.9", "rr",
  false, false, -1 },
/* BUNDLE, ICE, DTLS, mux accepted; the data channel is not relayed. */
{ "17-chrome-webrtc", "aak", NULL, 3, { 54321, 54321, 54321 }, "192.0.2.88",
  "rrr", true, true, 9 },
/* Session-level fingerprint and ICE options, a=bundle-only. */
{ "18-firefox-webrtc", "aa", NULL, 2, { 50124, 50124 }, "192.0.2.99", "rr",
  true, true, 50125 },
{ "19-linphone-ipv6", "a", NULL, 1, { 7078 }, "2001:db8:100::25", "r",
  false, false, 7079 },
/* T.38 not carried: it keeps the session c= it relied on. */
{ "20-t38-gateway", "k", NULL, 1, { 4002 }, "198.51.100.40", "r",
  false, false, -1 },
/* Old-style hold: zero stays zero; the caller turns it into sendonly. */
{ "21-snom-hold-c0", "a", "s", 1, { 52546 }, "0.0.0.0", "r",
  false, false, -1 },
{ "22-asterisk-sendonly", "a", NULL, 1, { 10042 }, "198.51.100.21", "s",
  false, false, -1 },
{ "23-freeswitch-inactive", "a", NULL, 1, { 24562 }, "198.51.100.30", "i",
  false, false, 24563 },
/* Session recvonly: media sendrecv wins for audio, video inherits. */
{ "24-session-dir", "aa", NULL, 2, { 20000, 20002 }, "192.0.2.61", "ro",
  false, false, -1 },
{ "25-rejected-video", "aa", NULL, 2, { 30000, 0 }, "198.51.100.9", "ri",
  false, false, -1 },
/* RFC 4566's example: "/2" dropped, i= u= e= kept. */
{ "26-port-count", "aa", NULL, 2, { 49170, 51372 }, "192.0.2.10", "oo",
  false, false, -1 },
{ "27-lf-only-sipdroid", "a", NULL, 1, { 21000 }, "10.8.0.5", "r",
  false, false, -1 },
{ "28-no-trailing-newline", "a", NULL, 1, { 40000 }, "192.0.2.70", "r",
  false, false, -1 },
{ "29-rtcp-with-address", "a", NULL, 1, { 31000 }, "192.0.2.80", "r",
  false, false, 31005 },
{ "30-mux-rtcp-equals-port", "a", NULL, 1, { 38409 }, "198.51.100.55", "r",
  false, true, 38409 },
/* BFCP over TCP is kept; its a=setup is TCP's, not DTLS's. */
{ "31-polycom-bfcp", "aak", NULL, 3, { 2226, 2228, 60002 }, "10.1.2.41",
  "rrr", false, false, -1 },
/* Session-level ice-lite and fingerprint go; answer back, mux accepted. */
{ "32-janus-ice-lite", "a", NULL, 1, { 9 }, "198.51.100.90", "s",
  true, true, -1 },
};
#define NCORPUS	(sizeof(corpus) / sizeof(corpus[0]))

static enum sdp_dir
dir_of(char c)
{
	switch (c) {
	case 'r':
		return SDP_SENDRECV;
	case 's':
		return SDP_SENDONLY;
	case 'o':
		return SDP_RECVONLY;
	case 'i':
		return SDP_INACTIVE;
	}
	fail_msg("bad direction letter '%c'", c);
	return SDP_DIR_UNSET;
}

static char *
slurp(const char *name, const char *ext, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s.%s", SDP_CORPUS, name, ext);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Our answer for row r on the parsed SDP: the table's fixed relay. */
static void
make_out(const struct corpus_row *r, const struct sdp *s, struct sdp_out *out)
{
	const struct sdp_addr *a = sdp_media_addr(s, 0);
	struct sdp_media_out *mo;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->addr = a != NULL && a->family == AF_INET6 ? &relay6 : &relay4;
	out->replace_origin = true;
	out->replace_session_conn = true;
	out->strip_ice = true;
	out->nmedia = s->nmedia;
	for (i = 0; i < s->nmedia; i++) {
		mo = &out->media[i];
		mo->keep = r->media[i] == 'k';
		if (r->media[i] == '0' || s->media[i].port == 0)
			continue;
		mo->port = (uint16_t)(30000 + 2 * i);
		mo->rtcp_mux = r->media[i] == 'a' && s->media[i].rtcp_mux;
		mo->rtcp_port = mo->rtcp_mux ? mo->port : mo->port + 1;
		mo->dir = r->odir != NULL ? dir_of(r->odir[i]) :
		    sdp_media_dir(s, i);
	}
}

static void
check_facts(const struct corpus_row *r, const struct sdp *s)
{
	const struct sdp_addr *a;
	unsigned i;

	assert_int_equal(s->nmedia, r->nmedia);
	assert_int_equal(strlen(r->media), r->nmedia);
	assert_int_equal(strlen(r->pdir), r->nmedia);
	for (i = 0; i < s->nmedia; i++) {
		assert_int_equal(s->media[i].port, r->ports[i]);
		assert_int_equal(sdp_media_dir(s, i), dir_of(r->pdir[i]));
	}
	a = sdp_media_addr(s, 0);
	if (r->addr == NULL)
		assert_null(a);
	else {
		assert_non_null(a);
		assert_string_equal(a->ip, r->addr);
	}
	assert_int_equal(s->media[0].has_ice, r->ice);
	assert_int_equal(s->media[0].rtcp_mux, r->mux);
	assert_int_equal(s->media[0].rtcp_port, r->rtcp);
}

static void
run_corpus(void **state)
{
	const struct corpus_row *r = *state;
	char err[160], *in, *want, *got;
	size_t inlen, wantlen, gotlen;
	struct sdp s, s2;
	struct sdp_out out;
	FILE *f;
	char path[512];
	unsigned i;

	in = slurp(r->file, "sdp", &inlen);
	if (sdp_parse(&s, in, inlen, err, sizeof(err)) != 0)
		fail_msg("%s: %s", r->file, err);
	check_facts(r, &s);
	make_out(r, &s, &out);
	got = malloc(OUTMAX);
	assert_non_null(got);
	if (sdp_rewrite(&s, &out, got, OUTMAX, &gotlen, err, sizeof(err)) != 0)
		fail_msg("%s: %s", r->file, err);

	if (getenv("SDP_REGEN") != NULL) {
		snprintf(path, sizeof(path), "%s/%s.out", SDP_CORPUS, r->file);
		assert_non_null(f = fopen(path, "wb"));
		assert_int_equal(fwrite(got, 1, gotlen, f), gotlen);
		fclose(f);
	}
	want = slurp(r->file, "out", &wantlen);
	if (gotlen != wantlen || memcmp(got, want, gotlen) != 0)
		fail_msg("%s: rewrite differs from %s.out:\n%.*s", r->file,
		    r->file, (int)gotlen, got);

	/* What we wrote parses, with our ports, and all of it CRLF. */
	if (sdp_parse(&s2, got, gotlen, err, sizeof(err)) != 0)
		fail_msg("%s: output: %s", r->file, err);
	assert_int_equal(s2.nmedia, s.nmedia);
	for (i = 0; i < s.nmedia; i++)
		assert_int_equal(s2.media[i].port, out.media[i].keep ?
		    s.media[i].port : out.media[i].port);
	for (i = 0; i < s2.nlines; i++)
		assert_memory_equal(s2.lines[i].p + s2.lines[i].len, "\r\n", 2);
	sdp_free(&s2);

	sdp_free(&s);
	free(in);
	free(want);
	free(got);
}

/* Parse errors: one row per reason. */
struct error_row {
	const char	*name;
	const char	*sdp;
	const char	*err;		/* the whole error-reason */
};

#define HDR	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const struct error_row errors[] = {
{ "empty body", "", "Failed to parse SDP: empty body" },
{ "only line endings", "\r\n\n", "Failed to parse SDP: empty body" },
{ "first line not v=", "o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n",
  "Failed to parse SDP: line 1: the first line is not v=" },
{ "v= missing, garbage", "hello world",
  "Failed to parse SDP: line 1: not of the form x=value" },
{ "a line without x=", HDR "m=audio 4000 RTP/AVP 0\r\nrtpmap 0\r\n",
  "Failed to parse SDP: line 7: not of the form x=value" },
{ "an empty line in the middle", HDR "\r\nm=audio 4000 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: not of the form x=value" },
{ "upper-case type", HDR "M=audio 4000 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: not of the form x=value" },
{ "second v=", HDR "v=0\r\n", "Failed to parse SDP: line 6: a second v= line" },
{ "m= port not a number", HDR "m=audio 4x00 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: m= port not a number" },
{ "m= port too big", HDR "m=audio 65536 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: m= port not a number" },
{ "m= port negative", HDR "m=audio -1 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: m= port not a number" },
{ "m= port count zero", HDR "m=audio 4000/0 RTP/AVP 0\r\n",
  "Failed to parse SDP: line 6: m= port count not a number" },
{ "m= without formats", HDR "m=audio 4000 RTP/AVP\r\n",
  "Failed to parse SDP: line 6: m= has too few fields" },
{ "m= empty", HDR "m=\r\n", "Failed to parse SDP: line 6: m= has too few fields" },
{ "c= bad IPv4", HDR "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.256\r\n",
  "Failed to parse SDP: line 7: c= with a bad address" },
{ "c= IPv6 under IP4", "v=0\r\nc=IN IP4 2001:db8::1\r\n",
  "Failed to parse SDP: line 2: c= with a bad address" },
{ "c= hostname", "v=0\r\nc=IN IP4 pbx.example.com\r\n",
  "Failed to parse SDP: line 2: c= with a bad address" },
{ "c= unknown nettype", "v=0\r\nc=ATM NSAP 47.0005\r\n",
  "Failed to parse SDP: line 2: c= with a bad address" },
{ "c= missing address", "v=0\r\nc=IN IP4\r\n",
  "Failed to parse SDP: line 2: c= with a bad address" },
{ "c= extra field", "v=0\r\nc=IN IP4 192.0.2.1 x\r\n",
  "Failed to parse SDP: line 2: c= with a bad address" },
{ "NUL in a line", "v=0\r\ns=a\0b\r\n",
  "Failed to parse SDP: line 2: NUL byte" },
};
#define NERRORS	(sizeof(errors) / sizeof(errors[0]))

static void
run_error(void **state)
{
	const struct error_row *r = *state;
	char err[160];
	struct sdp s;
	size_t len = strlen(r->sdp);

	/* The NUL row: its length runs to the last line ending. */
	if (strcmp(r->name, "NUL in a line") == 0)
		len = 12;
	assert_int_equal(sdp_parse(&s, r->sdp, len, err, sizeof(err)), -1);
	assert_string_equal(err, r->err);
	assert_null(s.lines);
}

static void
test_too_many_media(void **state)
{
	char buf[4096], err[160];
	struct sdp s;
	size_t off;
	int i;

	(void)state;
	off = (size_t)snprintf(buf, sizeof(buf), "%s", HDR);
	for (i = 0; i < SDP_MAX_MEDIA; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
	assert_int_equal(sdp_parse(&s, buf, off, err, sizeof(err)), 0);
	assert_int_equal(s.nmedia, SDP_MAX_MEDIA);
	sdp_free(&s);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "m=video 5000 RTP/AVP 96\r\n");
	assert_int_equal(sdp_parse(&s, buf, off, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "Failed to parse SDP: line 38: too many m= lines (more than 32)");
}

/*
 * ng-protocol.md §4.9, examples 1 and 2, through our rules. Where the
 * output differs from rtpengine 10.5's, the row says why.
 */
struct example_row {
	const char	*name;
	const char	*in;
	const char	*media;		/* as in the corpus table */
	const char	*want;
};

static const struct example_row examples[] = {
/*
 * rtpengine regenerates a=ptime after a=rtcp; we do not own a=ptime and
 * leave it where it was.
 */
{ "4.9 example 1: offer from a phone behind NAT",
  "v=0\r\n"
  "o=alice 2890844526 2890844526 IN IP4 192.168.1.20\r\n"
  "s=-\r\n"
  "c=IN IP4 192.168.1.20\r\n"
  "t=0 0\r\n"
  "m=audio 49170 RTP/AVP 0 8 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=fmtp:101 0-16\r\n"
  "a=ptime:20\r\n"
  "a=sendrecv\r\n",
  "a",
  "v=0\r\n"
  "o=alice 2890844526 2890844526 IN IP4 203.0.113.1\r\n"
  "s=-\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 0 8 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=fmtp:101 0-16\r\n"
  "a=ptime:20\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30001\r\n" },
/* rtpengine also copied the offer's a=ptime:20 into this answer; we do not. */
{ "4.9 example 1: answer from the public phone",
  "v=0\r\n"
  "o=bob 1001 1001 IN IP4 198.51.100.9\r\n"
  "s=Talk\r\n"
  "c=IN IP4 198.51.100.9\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 8 101\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=fmtp:101 0-15\r\n",
  "a",
  "v=0\r\n"
  "o=bob 1001 1001 IN IP4 203.0.113.1\r\n"
  "s=Talk\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 8 101\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=fmtp:101 0-15\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30001\r\n" },
/*
 * ICE: remove, rtcp-mux: demux. rtpengine regenerates a=mid and the
 * rtpmaps, which pushes a=x-custom:keepme above them; we own none of
 * those, so every kept line stays in its place.
 */
{ "4.9 example 2: ICE and mux offer, rejected video",
  "v=0\r\n"
  "o=- 7 7 IN IP4 127.0.0.20\r\n"
  "s=-\r\n"
  "c=IN IP4 127.0.0.20\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "m=audio 40000 RTP/AVP 0 101\r\n"
  "a=mid:0\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=rtcp:40000\r\n"
  "a=rtcp-mux\r\n"
  "a=ice-ufrag:Ab12\r\n"
  "a=ice-pwd:abcdefghijklmnopqrstuv\r\n"
  "a=candidate:1 1 UDP 2130706431 127.0.0.20 40000 typ host\r\n"
  "a=sendrecv\r\n"
  "a=x-custom:keepme\r\n"
  "m=video 0 RTP/AVP 96\r\n"
  "a=rtpmap:96 H264/90000\r\n",
  "dd",
  "v=0\r\n"
  "o=- 7 7 IN IP4 203.0.113.1\r\n"
  "s=-\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 0 101\r\n"
  "a=mid:0\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=x-custom:keepme\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30001\r\n"
  "m=video 0 RTP/AVP 96\r\n" },
/*
 * The callee's plain answer, mux accepted toward the ICE caller. rtpengine
 * added the offer's a=mid:0; the answerer's SDP has none and we add none
 * (the caller could pass it in extra).
 */
{ "4.9 example 2: answer, mux accepted toward the caller",
  "v=0\r\n"
  "o=- 9 9 IN IP4 127.0.0.30\r\n"
  "s=-\r\n"
  "c=IN IP4 127.0.0.30\r\n"
  "t=0 0\r\n"
  "m=audio 42000 RTP/AVP 0 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "m=video 0 RTP/AVP 96\r\n",
  "xx",
  "v=0\r\n"
  "o=- 9 9 IN IP4 203.0.113.1\r\n"
  "s=-\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 0 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30000\r\n"
  "a=rtcp-mux\r\n"
  "m=video 0 RTP/AVP 96\r\n" },
/* Not RFC-valid, but a relayed media must say where to send: c= added. */
{ "no c= anywhere: one is written after m= and i=",
  "v=0\r\n"
  "o=- 1 1 IN IP4 192.0.2.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "m=audio 4000 RTP/AVP 0\r\n"
  "i=voice\r\n"
  "b=AS:64\r\n",
  "a",
  "v=0\r\n"
  "o=- 1 1 IN IP4 203.0.113.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 0\r\n"
  "i=voice\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "b=AS:64\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30001\r\n" },
/* A zero media c= stays zero; the session c= follows replace_session_conn. */
{ "media-level c=0.0.0.0 stays zero",
  "v=0\r\n"
  "o=- 1 2 IN IP4 192.0.2.1\r\n"
  "s=-\r\n"
  "c=IN IP4 192.0.2.1\r\n"
  "t=0 0\r\n"
  "m=audio 4000 RTP/AVP 0\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=sendonly\r\n",
  "a",
  "v=0\r\n"
  "o=- 1 2 IN IP4 203.0.113.1\r\n"
  "s=-\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "t=0 0\r\n"
  "m=audio 30000 RTP/AVP 0\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=sendonly\r\n"
  "a=rtcp:30001\r\n" },
/* Found by fuzz/fuzz_sdp.c: an attribute without ":value" had no value. */
{ "regress: a=rtcp without a value is owned and dropped",
  "v=0\r\n"
  "c=IN IP4 192.0.2.1\r\n"
  "m=audio 4000 RTP/AVP 0\r\n"
  "a=rtcp\r\n"
  "a=ice-ufrag\r\n",
  "a",
  "v=0\r\n"
  "c=IN IP4 203.0.113.1\r\n"
  "m=audio 30000 RTP/AVP 0\r\n"
  "a=sendrecv\r\n"
  "a=rtcp:30001\r\n" },
};
#define NEXAMPLES	(sizeof(examples) / sizeof(examples[0]))

static void
run_example(void **state)
{
	const struct example_row *r = *state;
	struct corpus_row cr = { .media = NULL };
	char err[160], *got;
	struct sdp_out out;
	struct sdp s;
	size_t gotlen;
	unsigned i;

	if (sdp_parse(&s, r->in, strlen(r->in), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(strlen(r->media), s.nmedia);
	cr.media = "aaaa";
	make_out(&cr, &s, &out);
	for (i = 0; i < s.nmedia; i++) {
		/* x: mux accepted even though this side did not offer it. */
		if (r->media[i] == 'x' && out.media[i].port != 0) {
			out.media[i].rtcp_mux = true;
			out.media[i].rtcp_port = out.media[i].port;
		} else if (r->media[i] == 'd' && out.media[i].port != 0) {
			out.media[i].rtcp_mux = false;
			out.media[i].rtcp_port = out.media[i].port + 1;
		}
	}
	got = malloc(OUTMAX);
	assert_non_null(got);
	if (sdp_rewrite(&s, &out, got, OUTMAX, &gotlen, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (gotlen != strlen(r->want) || memcmp(got, r->want, gotlen) != 0)
		fail_msg("got:\n%.*s", (int)gotlen, got);
	sdp_free(&s);
	free(got);
}

/* 10,000 lines, nearly all a= lines: parses, rewrites, all of them kept. */
static void
test_ten_thousand_lines(void **state)
{
	const size_t nattr = 9990;
	char *in, *got, err[160], line[64];
	struct sdp_out out;
	struct sdp s;
	size_t off = 0, gotlen, i, n;
	const char *p;

	(void)state;
	in = malloc(nattr * 32 + 256);
	got = malloc(OUTMAX * 4);
	assert_non_null(in);
	assert_non_null(got);
	off += (size_t)sprintf(in, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	    "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n");
	for (i = 0; i < nattr; i++)
		off += (size_t)sprintf(in + off, "a=x-line:%zu\r\n", i);
	if (sdp_parse(&s, in, off, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(s.nlines, nattr + 7);
	memset(&out, 0, sizeof(out));
	out.addr = &relay4;
	out.nmedia = 1;
	out.media[0].port = 30000;
	out.media[0].rtcp_port = 30001;
	if (sdp_rewrite(&s, &out, got, OUTMAX * 4, &gotlen, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	/* Every a=x-line, in order. */
	p = got;
	for (i = 0; i < nattr; i++) {
		n = (size_t)snprintf(line, sizeof(line), "a=x-line:%zu\r\n", i);
		p = memmem(p, gotlen - (size_t)(p - got), line, n);
		if (p == NULL)
			fail_msg("a=x-line:%zu missing or out of order", i);
		p += n;
	}
	assert_string_equal(p, "a=sendrecv\r\na=rtcp:30001\r\n");
	sdp_free(&s);
	free(in);
	free(got);
}

/* Any buffer shorter than the output fails, and says so. */
static void
test_rewrite_buffer_sizes(void **state)
{
	const char *in = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n";
	char got[256], err[160];
	struct sdp_out out;
	struct sdp s;
	size_t full, len, n;

	(void)state;
	assert_int_equal(sdp_parse(&s, in, strlen(in), err, sizeof(err)), 0);
	memset(&out, 0, sizeof(out));
	out.addr = &relay6;
	out.nmedia = 1;
	out.media[0].port = 30000;
	out.media[0].rtcp_port = 30001;
	out.media[0].dir = SDP_INACTIVE;
	out.media[0].extra = "a=x-extra:1\r\n";
	assert_int_equal(sdp_rewrite(&s, &out, got, sizeof(got), &full, err,
	    sizeof(err)), 0);
	assert_int_equal(full, strlen("v=0\r\nc=IN IP6 2001:db8::1\r\n"
	    "m=audio 30000 RTP/AVP 0\r\na=inactive\r\na=rtcp:30001\r\n"
	    "a=x-extra:1\r\n"));
	assert_memory_equal(got, "v=0\r\nc=IN IP6 2001:db8::1\r\n"
	    "m=audio 30000 RTP/AVP 0\r\na=inactive\r\na=rtcp:30001\r\n"
	    "a=x-extra:1\r\n", full);
	for (len = 0; len < full; len++) {
		assert_int_equal(sdp_rewrite(&s, &out, got, len, &n, err,
		    sizeof(err)), -1);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err, "more than"));
	}
	out.nmedia = 2;
	assert_int_equal(sdp_rewrite(&s, &out, got, sizeof(got), &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "SDP rewrite: 2 media given for an SDP with 1");
	sdp_free(&s);
}

static void
test_protos(void **state)
{
	static const struct {
		const char	*proto;
		bool		 rtp, srtp;
	} rows[] = {
		{ "RTP/AVP", true, false },
		{ "RTP/AVPF", true, false },
		{ "rtp/avp", true, false },
		{ "RTP/SAVP", false, true },
		{ "RTP/SAVPF", false, true },
		{ "UDP/TLS/RTP/SAVP", false, true },
		{ "UDP/TLS/RTP/SAVPF", false, true },
		{ "udptl", false, false },
		{ "TCP/BFCP", false, false },
		{ "UDP/DTLS/SCTP", false, false },
		{ "RTP/AVPX", false, false },
		{ "", false, false },
	};
	struct sdp_str s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s.p = rows[i].proto;
		s.len = strlen(s.p);
		assert_int_equal(sdp_proto_is_rtp(s), rows[i].rtp);
		assert_int_equal(sdp_proto_is_srtp(s), rows[i].srtp);
	}
}

/* The ICE and DTLS values the WebRTC code will read, from both levels. */
static void
test_webrtc_values(void **state)
{
	char *in, err[160];
	struct sdp s;
	size_t len;

	(void)state;
	in = slurp("18-firefox-webrtc", "sdp", &len);
	assert_int_equal(sdp_parse(&s, in, len, err, sizeof(err)), 0);
	assert_true(s.media[1].has_fingerprint);
	assert_int_equal(s.media[0].fingerprint.len, 103);
	assert_memory_equal(s.media[0].ice_ufrag.p, "2b6d4f1a", 8);
	assert_memory_equal(s.media[1].setup.p, "actpass", 7);
	assert_int_equal(s.media[0].ncandidates, 2);
	assert_int_equal(s.media[1].ncandidates, 0);
	assert_true(s.media[1].has_ice);
	assert_true(s.origin.zero);
	sdp_free(&s);
	free(in);

	in = slurp("32-janus-ice-lite", "sdp", &len);
	assert_int_equal(sdp_parse(&s, in, len, err, sizeof(err)), 0);
	assert_int_equal(s.conn.family, 0);
	assert_true(s.media[0].has_fingerprint);
	assert_memory_equal(s.media[0].ice_pwd.p, "0123456789abcdefghijklmn", 24);
	assert_int_equal(s.media[0].ncandidates, 1);
	sdp_free(&s);
	free(in);

	in = slurp("13-pjsua-ice", "sdp", &len);
	assert_int_equal(sdp_parse(&s, in, len, err, sizeof(err)), 0);
	assert_int_equal(s.media[0].rtcp_addr.family, AF_INET);
	assert_string_equal(s.media[0].rtcp_addr.ip, "203.0.113.77");
	assert_int_equal(s.media[0].ncandidates, 4);
	assert_false(s.media[0].has_fingerprint);
	assert_int_equal(s.media[0].nports, 1);
	sdp_free(&s);
	free(in);

	in = slurp("26-port-count", "sdp", &len);
	assert_int_equal(sdp_parse(&s, in, len, err, sizeof(err)), 0);
	assert_int_equal(s.media[0].nports, 2);
	assert_int_equal(s.media[0].fmts.len, 1);
	assert_memory_equal(s.media[1].proto.p, "RTP/AVP", 7);
	sdp_free(&s);
	free(in);
}

int
main(void)
{
	static struct CMUnitTest tests[NCORPUS + NERRORS + NEXAMPLES + 8];
	size_t i, n = 0;

	for (i = 0; i < NCORPUS; i++) {
		tests[n].name = corpus[i].file;
		tests[n].test_func = run_corpus;
		tests[n++].initial_state = (void *)&corpus[i];
	}
	for (i = 0; i < NERRORS; i++) {
		tests[n].name = errors[i].name;
		tests[n].test_func = run_error;
		tests[n++].initial_state = (void *)&errors[i];
	}
	for (i = 0; i < NEXAMPLES; i++) {
		tests[n].name = examples[i].name;
		tests[n].test_func = run_example;
		tests[n++].initial_state = (void *)&examples[i];
	}
	tests[n].name = "too many m= lines";
	tests[n++].test_func = test_too_many_media;
	tests[n].name = "10,000-line SDP";
	tests[n++].test_func = test_ten_thousand_lines;
	tests[n].name = "rewrite: buffer sizes, media count";
	tests[n++].test_func = test_rewrite_buffer_sizes;
	tests[n].name = "proto helpers";
	tests[n++].test_func = test_protos;
	tests[n].name = "ICE and DTLS values";
	tests[n++].test_func = test_webrtc_values;
	return _cmocka_run_group_tests("sdp", tests, n, NULL, NULL);
}
