/*
 * test_voipcalc.c - the bandwidth calculator against published figures
 * and hand computations, and its refusals.
 *
 * Published figures: Cisco, "Voice Over IP - Per Call Bandwidth
 * Consumption", document ID 7934, the per-codec table ("Bandwidth MP or
 * FRF.12", "Bandwidth w/cRTP MP or FRF.12", "Bandwidth Ethernet"). Its
 * assumptions: IP/UDP/RTP 40 bytes, cRTP 2 bytes, MP/FRF.12 6 bytes plus
 * a 1-byte flag, Ethernet 18 bytes including FCS. Each figure below was
 * recomputed from that formula, (payload + overhead) * 8 * pps, before
 * being written down; Cisco rounds to one decimal (three for iLBC 30 ms),
 * so we compare at the precision they print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "lib/voipcalc.h"

struct ok_case {
	const char	*name;
	const char	*codec;
	unsigned	 ptime;		/* 0: codec default */
	uint32_t	 bitrate;	/* bps, 0: default */
	uint32_t	 rate;
	bool		 ipv6;
	unsigned	 link;
	unsigned	 extra;
	bool		 crtp;
	double		 vad;
	uint32_t	 calls;
	/* expected */
	unsigned	 payload;
	unsigned	 packet;
	double		 pps;
	double		 stream_kbps;
	double		 call_kbps;	/* 0: 2 * stream */
	double		 tol;		/* on kbit/s; 0: 1e-9 */
};

#define ETH	VC_LINK_ETHERNET
#define PPP	VC_LINK_PPP

static const struct ok_case ok_cases[] = {
	/* The brief's reference point, also Cisco 7934's first row. */
	{ "G.711 20 ms Ethernet", "g711", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    160, 218, 50, 87.2, 174.4, 0 },
	/* Cisco 7934: G.711 MP/FRF.12 82.8, with cRTP 67.6. */
	{ "G.711 20 ms PPP", "pcmu", 20, 0, 0, false, PPP, 0, false, 0, 0,
	    160, 207, 50, 82.8, 0, 0 },
	{ "G.711 20 ms cRTP PPP", "pcma", 20, 0, 0, false, PPP, 0, true, 0, 0,
	    160, 169, 50, 67.6, 0, 0 },
	/* Cisco 7934: G.729 Ethernet 31.2, MP 26.8, cRTP 11.6. */
	{ "G.729 20 ms Ethernet", "g729", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    20, 78, 50, 31.2, 62.4, 0 },
	{ "G.729 20 ms PPP", "G729a", 0, 0, 0, false, PPP, 0, false, 0, 0,
	    20, 67, 50, 26.8, 0, 0 },
	{ "G.729 20 ms cRTP PPP", "g729", 20, 0, 0, false, PPP, 0, true, 0, 0,
	    20, 29, 50, 11.6, 0, 0 },
	/* Cisco 7934: G.723.1 6.3 Ethernet 21.9, MP 18.9, cRTP 8.8. */
	{ "G.723.1 6.3 30 ms Ethernet", "g723", 30, 0, 0, false, ETH, 0, false,
	    0, 0, 24, 82, 1000.0 / 30, 21.9, 0, 0.05 },
	{ "G.723.1 6.3 30 ms PPP", "g723-6.3", 0, 0, 0, false, PPP, 0, false,
	    0, 0, 24, 71, 1000.0 / 30, 18.9, 0, 0.05 },
	{ "G.723.1 6.3 30 ms cRTP PPP", "g723.1", 30, 0, 0, false, PPP, 0, true,
	    0, 0, 24, 33, 1000.0 / 30, 8.8, 0, 0.05 },
	/* Cisco 7934: G.723.1 5.3 Ethernet 20.8, MP 17.9, cRTP 7.7. */
	{ "G.723.1 5.3 30 ms Ethernet", "g723-5.3", 30, 0, 0, false, ETH, 0,
	    false, 0, 0, 20, 78, 1000.0 / 30, 20.8, 0, 0.05 },
	{ "G.723.1 5.3 30 ms PPP", "g723r53", 30, 0, 0, false, PPP, 0, false,
	    0, 0, 20, 67, 1000.0 / 30, 17.9, 0, 0.05 },
	{ "G.723.1 5.3 30 ms cRTP PPP", "g723-53", 30, 0, 0, false, PPP, 0,
	    true, 0, 0, 20, 29, 1000.0 / 30, 7.7, 0, 0.05 },
	/* Cisco 7934: G722_64k Ethernet 87.2, MP 82.8. */
	{ "G.722 20 ms Ethernet", "g722", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    160, 218, 50, 87.2, 0, 0 },
	{ "G.722 20 ms PPP", "g722", 20, 0, 0, false, PPP, 0, false, 0, 0,
	    160, 207, 50, 82.8, 0, 0 },
	/* Cisco 7934: ilbc_mode_20 Ethernet 38.4, MP 34.0, cRTP 18.8. */
	{ "iLBC 20 ms Ethernet", "ilbc", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    38, 96, 50, 38.4, 0, 0 },
	{ "iLBC 20 ms PPP", "ilbc20", 20, 0, 0, false, PPP, 0, false, 0, 0,
	    38, 85, 50, 34.0, 0, 0 },
	{ "iLBC 20 ms cRTP PPP", "ilbc20", 20, 0, 0, false, PPP, 0, true, 0, 0,
	    38, 47, 50, 18.8, 0, 0 },
	/* Cisco 7934: ilbc_mode_30 Ethernet 28.8, MP 25.867, cRTP 15.73. */
	{ "iLBC 30 ms Ethernet", "ilbc30", 30, 0, 0, false, ETH, 0, false, 0, 0,
	    50, 108, 1000.0 / 30, 28.8, 0, 0.05 },
	{ "iLBC 30 ms PPP", "ilbc-30", 30, 0, 0, false, PPP, 0, false, 0, 0,
	    50, 97, 1000.0 / 30, 25.867, 0, 0.0005 },
	{ "iLBC 30 ms cRTP PPP", "ilbc30", 0, 0, 0, false, PPP, 0, true, 0, 0,
	    50, 59, 1000.0 / 30, 15.73, 0, 0.005 },

	/*
	 * By hand from here on.
	 * IPv6: the IP header grows from 20 to 40 bytes.
	 * G.711: 160 + 12 + 8 + 40 + 18 = 238 bytes, x 8 x 50 = 95.2 kbit/s.
	 * G.729: 20 + 78 = 98 bytes = 39.2 kbit/s.
	 */
	{ "G.711 20 ms IPv6 Ethernet", "g711", 20, 0, 0, true, ETH, 0, false,
	    0, 0, 160, 238, 50, 95.2, 190.4, 0 },
	{ "G.729 20 ms IPv6 Ethernet", "g729", 20, 0, 0, true, ETH, 0, false,
	    0, 0, 20, 98, 50, 39.2, 0, 0 },
	/* VAD 0.6: 31.2 x 0.6 = 18.72 per stream; packet size unchanged. */
	{ "G.729 20 ms VAD 0.6", "g729", 20, 0, 0, false, ETH, 0, false, 0.6,
	    0, 20, 78, 50, 18.72, 37.44, 1e-9 },
	/* 802.1Q: 218 + 4 = 222 bytes = 88.8 kbit/s. */
	{ "G.711 20 ms 802.1Q", "g711", 20, 0, 0, false, VC_LINK_DOT1Q, 0,
	    false, 0, 0, 160, 222, 50, 88.8, 0, 0 },
	/* IPsec-ish 56 extra bytes: 274 bytes = 109.6 kbit/s. */
	{ "G.711 20 ms extra 56", "g711", 20, 0, 0, false, ETH, 56, false, 0,
	    0, 160, 274, 50, 109.6, 0, 0 },
	/* No link layer: 200 bytes at the IP layer = 80 kbit/s. */
	{ "G.711 20 ms IP only", "g711", 20, 0, 0, false, 0, 0, false, 0, 0,
	    160, 200, 50, 80.0, 0, 0 },
	/* 10 ms: 80 + 58 = 138 bytes at 100 pps = 110.4 kbit/s. */
	{ "G.711 10 ms", "g711", 10, 0, 0, false, ETH, 0, false, 0, 0,
	    80, 138, 100, 110.4, 0, 0 },
	/* 60 ms: 6 frames = 60 + 58 = 118 bytes at 16.67 pps. */
	{ "G.729 60 ms", "g729", 60, 0, 0, false, ETH, 0, false, 0, 0,
	    60, 118, 1000.0 / 60, 118 * 8 / 60.0, 0, 1e-9 },
	/* GSM-FR: 33 + 58 = 91 bytes x 400 = 36.4 kbit/s. */
	{ "GSM 20 ms", "gsm", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    33, 91, 50, 36.4, 0, 0 },
	{ "GSM 40 ms", "gsm-fr", 40, 0, 0, false, ETH, 0, false, 0, 0,
	    66, 124, 25, 24.8, 0, 0 },
	/* Opus 24 kbit/s (default), 20 ms: 60 bytes, 118 on the wire. */
	{ "Opus default 20 ms", "opus", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    60, 118, 50, 47.2, 0, 0 },
	/* Opus 32 kbit/s 60 ms: 240 + 58 = 298 bytes. */
	{ "Opus 32k 60 ms", "opus", 60, 32000, 0, false, ETH, 0, false, 0, 0,
	    240, 298, 1000.0 / 60, 298 * 8 / 60.0, 0, 1e-9 },
	/* Speex mode 3: 160 bits = 20 bytes per 20 ms, like G.729. */
	{ "Speex default", "speex", 0, 0, 0, false, ETH, 0, false, 0, 0,
	    20, 78, 50, 31.2, 0, 0 },
	/* Speex 11 kbit/s: 220 bits = 27.5, padded to 28 bytes. */
	{ "Speex 11k 20 ms", "speex", 20, 11000, 0, false, ETH, 0, false, 0, 0,
	    28, 86, 50, 34.4, 0, 0 },
	/* Speex 15 kbit/s 40 ms: two 300-bit frames = 75 bytes. */
	{ "Speex 15k 40 ms", "speex", 40, 15000, 0, false, ETH, 0, false, 0, 0,
	    75, 133, 25, 26.6, 0, 0 },
	/* Speex 3.95 kbit/s 40 ms: 2 x 79 bits = 158 bits -> 20 bytes. */
	{ "Speex 3.95k 40 ms", "speex", 40, 3950, 0, false, ETH, 0, false, 0,
	    0, 20, 78, 25, 15.6, 0, 0 },
	/* L16 8 kHz mono: 128 kbit/s, 320 bytes per 20 ms. */
	{ "L16 8 kHz 20 ms", "l16", 20, 0, 0, false, ETH, 0, false, 0, 0,
	    320, 378, 50, 151.2, 0, 0 },
	/* L16 44.1 kHz: 882 samples = 1764 bytes per 20 ms. */
	{ "L16 44.1 kHz 20 ms", "l16", 20, 0, 44100, false, ETH, 0, false, 0,
	    0, 1764, 1822, 50, 728.8, 0, 0 },
	/* Custom 12.2 kbit/s (AMR 12.2-like): 30.5 -> 31 bytes. */
	{ "custom 12.2k 20 ms", "custom", 20, 12200, 0, false, ETH, 0, false,
	    0, 0, 31, 89, 50, 35.6, 0, 0 },
};

static void
fill(struct vc_params *p, const struct ok_case *c)
{
	memset(p, 0, sizeof(*p));
	p->codec = c->codec;
	p->ptime_ms = c->ptime;
	p->bitrate_bps = c->bitrate;
	p->sample_rate = c->rate;
	p->ipv6 = c->ipv6;
	p->link_bytes = c->link;
	p->extra_bytes = c->extra;
	p->crtp = c->crtp;
	p->vad = c->vad;
	p->calls = c->calls;
}

static void
test_ok_table(void **state)
{
	struct vc_params p;
	struct vc_result r;
	size_t i;
	double tol, call;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];

		fill(&p, c);
		assert_int_equal(voipcalc(&p, &r), VC_OK);
		print_message("%-28s %4u B %4u B %7.3f pps %8.3f kbit/s\n",
		    c->name, r.payload_bytes, r.packet_bytes, r.pps,
		    r.stream_kbps);
		tol = c->tol > 0 ? c->tol : 1e-9;
		call = c->call_kbps > 0 ? c->call_kbps : 2 * c->stream_kbps;
		assert_int_equal(r.payload_bytes, c->payload);
		assert_int_equal(r.packet_bytes, c->packet);
		assert_true(fabs(r.pps - c->pps) < 1e-9);
		assert_true(fabs(r.stream_kbps - c->stream_kbps) <= tol);
		assert_true(fabs(r.call_kbps - call) <= 2 * tol);
		assert_true(fabs(r.total_kbps - r.call_kbps) < 1e-9);
	}
}

static void
test_details(void **state)
{
	struct vc_params p;
	struct vc_result r;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.codec = "g711";
	p.link_bytes = VC_LINK_ETHERNET;
	p.calls = 10;
	assert_int_equal(voipcalc(&p, &r), VC_OK);
	assert_string_equal(r.codec, "g711");
	assert_int_equal(r.ptime_ms, 20);
	assert_int_equal(r.frames, 0);
	assert_int_equal(r.rtp_bytes, 12);
	assert_int_equal(r.udp_bytes, 8);
	assert_int_equal(r.ip_bytes, 20);
	assert_int_equal(r.crtp_bytes, 0);
	assert_int_equal(r.link_bytes, 18);
	assert_int_equal(r.bitrate_bps, 64000);
	assert_true(fabs(r.payload_kbps - 64.0) < 1e-9);
	assert_true(fabs(r.total_kbps - 1744.0) < 1e-9);
	assert_true(r.vad == 1.0);

	/* Default codec, and default ptime of a 30 ms codec. */
	p.codec = NULL;
	p.calls = 0;
	assert_int_equal(voipcalc(&p, &r), VC_OK);
	assert_string_equal(r.codec, "g711");
	assert_int_equal(r.calls, 1);
	p.codec = "G723";
	assert_int_equal(voipcalc(&p, &r), VC_OK);
	assert_string_equal(r.codec, "g723-6.3");
	assert_int_equal(r.ptime_ms, 30);
	assert_int_equal(r.frames, 1);
	/* 24 bytes per 30 ms carry 6.4 kbit/s for a 6.3 kbit/s codec. */
	assert_int_equal(r.bitrate_bps, 6300);
	assert_true(fabs(r.payload_kbps - 6.4) < 1e-9);

	/* cRTP replaces the three headers with one. */
	p.codec = "g729";
	p.crtp = true;
	assert_int_equal(voipcalc(&p, &r), VC_OK);
	assert_int_equal(r.rtp_bytes + r.udp_bytes + r.ip_bytes, 0);
	assert_int_equal(r.crtp_bytes, 2);
	assert_int_equal(r.frames, 2);
}

struct bad_case {
	const char	*codec;
	unsigned	 ptime;
	uint32_t	 bitrate;
	uint32_t	 rate;
	unsigned	 link;
	unsigned	 extra;
	double		 vad;
	uint32_t	 calls;
	enum vc_error	 err;
};

static const struct bad_case bad_cases[] = {
	{ "amr-wb", 20, 0, 0, ETH, 0, 0, 0, VC_EUNKNOWN_CODEC },
	{ "", 20, 0, 0, ETH, 0, 0, 0, VC_EUNKNOWN_CODEC },
	{ "g711", 1001, 0, 0, ETH, 0, 0, 0, VC_EPTIME },
	{ "g729", 25, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "g729", 5, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "g723", 20, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "g723-5.3", 45, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "ilbc30", 20, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "ilbc20", 30, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "gsm", 30, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "speex", 30, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "speex", 20, 9000, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "opus", 22, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "opus", 125, 0, 0, ETH, 0, 0, 0, VC_EPTIME_FRAME },
	{ "opus", 20, 600000, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "opus", 20, 5000, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "custom", 20, 0, 0, ETH, 0, 0, 0, VC_ENEED_BITRATE },
	{ "g711", 20, 56000, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "g729", 20, 6400, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "l16", 20, 128000, 0, ETH, 0, 0, 0, VC_EBITRATE },
	{ "l16", 20, 0, 500, ETH, 0, 0, 0, VC_ERATE },
	{ "l16", 1, 0, 44100, ETH, 0, 0, 0, VC_EPTIME_SAMPLES },
	{ "l16", 1000, 0, 192000, ETH, 0, 0, 0, VC_ETOO_BIG },
	{ "g711", 20, 0, 0, 1501, 0, 0, 0, VC_ELINK },
	{ "g711", 20, 0, 0, ETH, 1501, 0, 0, VC_EEXTRA },
	{ "g711", 20, 0, 0, ETH, 0, 1.5, 0, VC_EVAD },
	{ "g711", 20, 0, 0, ETH, 0, -0.1, 0, VC_EVAD },
	{ "g711", 20, 0, 0, ETH, 0, NAN, 0, VC_EVAD },
	{ "g711", 20, 0, 0, ETH, 0, 0, VC_CALLS_MAX + 1, VC_ECALLS },
};

static void
test_bad_table(void **state)
{
	struct vc_params p;
	struct vc_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		memset(&p, 0, sizeof(p));
		p.codec = c->codec;
		p.ptime_ms = c->ptime;
		p.bitrate_bps = c->bitrate;
		p.sample_rate = c->rate;
		p.link_bytes = c->link;
		p.extra_bytes = c->extra;
		p.vad = c->vad;
		p.calls = c->calls;
		print_message("bad %zu: %s\n", i, c->codec);
		assert_int_equal(voipcalc(&p, &r), c->err);
		assert_true(strlen(voipcalc_strerror(c->err)) > 0);
	}
}

static void
test_link_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 out;
	} c[] = {
		{ "ethernet", 18 }, { "Ethernet", 18 }, { "eth", 18 },
		{ "dot1q", 22 }, { "802.1q", 22 }, { "ppp", 7 },
		{ "mlppp", 7 }, { "frf.12", 7 }, { "none", 0 },
		{ "0", 0 }, { "26", 26 }, { "1500", 1500 },
		{ "1501", -1 }, { "", -1 }, { "-1", -1 }, { "+5", -1 },
		{ " 5", -1 }, { "18x", -1 }, { "atm", -1 },
		{ "99999999999999999999999", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		print_message("link %s\n", c[i].in);
		assert_int_equal(voipcalc_link_parse(c[i].in), c[i].out);
	}
}

static void
test_codec_list(void **state)
{
	const char *name, *aliases, *desc;
	struct vc_params p;
	struct vc_result r;
	unsigned i;

	(void)state;
	/* Every listed codec computes at its defaults (custom needs a rate). */
	for (i = 0; voipcalc_codec_info(i, &name, &aliases, &desc); i++) {
		memset(&p, 0, sizeof(p));
		p.codec = name;
		p.link_bytes = VC_LINK_ETHERNET;
		if (strcmp(name, "custom") == 0)
			p.bitrate_bps = 10000;
		assert_int_equal(voipcalc(&p, &r), VC_OK);
		assert_string_equal(r.codec, name);
		assert_true(strlen(desc) > 0);
	}
	assert_true(i >= 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_table),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_link_parse),
		cmocka_unit_test(test_codec_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
