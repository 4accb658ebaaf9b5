/*
 * test_rtcp.c - RTCP compound parsing on hand-built packets, every
 * truncation and a table of malformed variants (run under ASan: inputs
 * are copied into exact-size heap blocks so an overread is caught), and
 * the RFC 3550 6.4.1 round-trip example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "packet/rtcp.h"

/*
 * SR with one report block, then SDES with a CNAME.
 *
 * SR  V=2 P=0 RC=1, PT=200, length 12 (52 bytes)
 *     SSRC            0x12345678
 *     NTP             0xe1d5a3b2.80000000 (.5 s) -> middle 32 0xa3b28000
 *     RTP timestamp   0x0001e240 (123456)
 *     packets         1000, octets 160000
 *     block: SSRC 0x9abcdef0, fraction 25/256, cumulative lost 5,
 *            ext. highest seq 0x00010005 (1 wrap, seq 5), jitter 34,
 *            LSR 0xb7052000, DLSR 0x00054000
 * SDES V=2 P=0 SC=1, PT=202, length 6 (28 bytes)
 *     chunk SSRC 0x12345678: CNAME (1), 15 bytes "alice@192.0.2.1",
 *     END, two null octets to the 32-bit boundary
 */
static const uint8_t sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c,
	0x12, 0x34, 0x56, 0x78,
	0xe1, 0xd5, 0xa3, 0xb2, 0x80, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xe2, 0x40,
	0x00, 0x00, 0x03, 0xe8,
	0x00, 0x02, 0x71, 0x00,
	0x9a, 0xbc, 0xde, 0xf0,
	0x19, 0x00, 0x00, 0x05,
	0x00, 0x01, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x22,
	0xb7, 0x05, 0x20, 0x00,
	0x00, 0x05, 0x40, 0x00,
	/* SDES at 52 */
	0x81, 0xca, 0x00, 0x06,
	0x12, 0x34, 0x56, 0x78,
	0x01, 0x0f, 'a', 'l', 'i', 'c', 'e', '@', '1', '9', '2', '.',
	'0', '.', '2', '.', '1', 0x00, 0x00, 0x00,
};

/*
 * RR with two blocks, then BYE with a reason.
 *
 * RR  V=2 P=0 RC=2, PT=201, length 13 (56 bytes), SSRC 0x0badcafe
 *     block 1: SSRC 0x12345678, fraction 0, cumulative lost 0xfffffe (-2,
 *              duplicates), ext. highest 100, jitter 16,
 *              LSR 0xa3b28000 (the SR above), DLSR 0x00010000 (1 s)
 *     block 2: SSRC 0x22222222, fraction 128 (50 %), lost 0x7fffff
 *              (largest positive), ext. highest 0xffffffff, rest 0
 * BYE V=2 P=0 SC=1, PT=203, length 3 (16 bytes), SSRC 0x0badcafe,
 *     reason length 4 "bye!", three null octets
 */
static const uint8_t rr_bye[] = {
	0x82, 0xc9, 0x00, 0x0d,
	0x0b, 0xad, 0xca, 0xfe,
	0x12, 0x34, 0x56, 0x78,
	0x00, 0xff, 0xff, 0xfe,
	0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0x10,
	0xa3, 0xb2, 0x80, 0x00,
	0x00, 0x01, 0x00, 0x00,
	0x22, 0x22, 0x22, 0x22,
	0x80, 0x7f, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* BYE at 56 */
	0x81, 0xcb, 0x00, 0x03,
	0x0b, 0xad, 0xca, 0xfe,
	0x04, 'b', 'y', 'e', '!', 0x00, 0x00, 0x00,
};

/*
 * Packets we only check and skip, after an empty RR:
 * RR   RC=0, SSRC 0x01010101 (8 bytes)
 * RTPFB FMT=1 (generic NACK), sender 0x01010101, media 0x02020202,
 *      FCI pid 0x0010 blp 0x0003 (16 bytes)
 * PSFB FMT=1 (PLI), sender, media (12 bytes)
 * XR   SSRC 0x01010101, no blocks (8 bytes)
 * APP  subtype 0, SSRC, name "TEST" (12 bytes)
 * 210  a type nobody defined, 4 bytes of body (8 bytes)
 */
static const uint8_t skip_mix[] = {
	0x80, 0xc9, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x81, 0xcd, 0x00, 0x03, 0x01, 0x01, 0x01, 0x01,
	0x02, 0x02, 0x02, 0x02, 0x00, 0x10, 0x00, 0x03,
	0x81, 0xce, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01,
	0x02, 0x02, 0x02, 0x02,
	0x80, 0xcf, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x80, 0xcc, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 'T', 'E', 'S', 'T',
	0x80, 0xd2, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
};

/* Parse from an exact-size heap copy, so ASan sees any overread. */
static int
parse_copy(const uint8_t *buf, size_t len, struct rtcp_info *out)
{
	uint8_t *p = malloc(len ? len : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, buf, len);
	rc = rtcp_parse(p, len, out);
	free(p);
	return rc;
}

static void
test_sr_sdes(void **state)
{
	struct rtcp_info ri;
	const struct rtcp_block *b;

	(void)state;
	assert_int_equal(parse_copy(sr_sdes, sizeof(sr_sdes), &ri), RTCP_OK);
	assert_int_equal(ri.npackets, 2);
	assert_int_equal(ri.types, 1u << 8 | 1u << 10);
	assert_int_equal(ri.sender_ssrc, 0x12345678);
	assert_true(ri.has_sr);
	assert_int_equal(ri.ntp_sec, 0xe1d5a3b2);
	assert_int_equal(ri.ntp_frac, 0x80000000);
	assert_int_equal(ri.ntp_mid32, 0xa3b28000);
	assert_int_equal(ri.rtp_ts, 123456);
	assert_int_equal(ri.sender_packets, 1000);
	assert_int_equal(ri.sender_octets, 160000);
	assert_int_equal(ri.nblocks, 1);
	b = &ri.blocks[0];
	assert_int_equal(b->ssrc, 0x9abcdef0);
	assert_int_equal(b->fraction_lost, 25);
	assert_int_equal(b->cum_lost, 5);
	assert_int_equal(b->ext_max_seq, 0x00010005);
	assert_int_equal(b->jitter, 34);
	assert_int_equal(b->lsr, 0xb7052000);
	assert_int_equal(b->dlsr, 0x00054000);
	assert_int_equal(ri.cname_len, 15);
	assert_string_equal(ri.cname, "alice@192.0.2.1");
	assert_false(ri.has_bye);
}

static void
test_rr_bye(void **state)
{
	struct rtcp_info ri;

	(void)state;
	assert_int_equal(parse_copy(rr_bye, sizeof(rr_bye), &ri), RTCP_OK);
	assert_int_equal(ri.npackets, 2);
	assert_int_equal(ri.sender_ssrc, 0x0badcafe);
	assert_false(ri.has_sr);
	assert_true(ri.has_bye);
	assert_int_equal(ri.nblocks, 2);
	assert_int_equal(ri.blocks[0].ssrc, 0x12345678);
	assert_int_equal(ri.blocks[0].cum_lost, -2);
	assert_int_equal(ri.blocks[0].ext_max_seq, 100);
	assert_int_equal(ri.blocks[0].jitter, 16);
	assert_int_equal(ri.blocks[0].lsr, 0xa3b28000);
	assert_int_equal(ri.blocks[0].dlsr, 0x00010000);
	assert_int_equal(ri.blocks[1].fraction_lost, 128);
	assert_int_equal(ri.blocks[1].cum_lost, 0x7fffff);
	assert_int_equal(ri.blocks[1].ext_max_seq, 0xffffffff);
	assert_int_equal(ri.blocks[1].lsr, 0);
	assert_int_equal(ri.cname_len, 0);
	/* No SR echoed in block 2: no round trip from it. */
	assert_int_equal(rtcp_rtt_ms(0x12345678, ri.blocks[1].lsr,
	    ri.blocks[1].dlsr), -1);
}

static void
test_skip_mix(void **state)
{
	struct rtcp_info ri;

	(void)state;
	assert_int_equal(parse_copy(skip_mix, sizeof(skip_mix), &ri), RTCP_OK);
	assert_int_equal(ri.npackets, 6);
	assert_int_equal(ri.sender_ssrc, 0x01010101);
	assert_int_equal(ri.nblocks, 0);
	assert_int_equal(ri.types, 1u << 9 | 1u << 13 | 1u << 14 |
	    1u << 15 | 1u << 12 | 1u << 18);
}

/* SR-less compounds (RFC 5506) still name a sender. */
static void
test_reduced_size(void **state)
{
	/* PSFB PLI alone: sender 0x0a0a0a0a, media 0x0b0b0b0b. */
	static const uint8_t pli[] = {
		0x81, 0xce, 0x00, 0x02, 0x0a, 0x0a, 0x0a, 0x0a,
		0x0b, 0x0b, 0x0b, 0x0b,
	};
	/* SDES first, then RR: the RR's SSRC wins. */
	static const uint8_t sdes_rr[] = {
		0x81, 0xca, 0x00, 0x02, 0x0c, 0x0c, 0x0c, 0x0c,
		0x00, 0x00, 0x00, 0x00,
		0x80, 0xc9, 0x00, 0x01, 0x0d, 0x0d, 0x0d, 0x0d,
	};
	struct rtcp_info ri;

	(void)state;
	assert_int_equal(parse_copy(pli, sizeof(pli), &ri), RTCP_OK);
	assert_int_equal(ri.sender_ssrc, 0x0a0a0a0a);
	assert_int_equal(parse_copy(sdes_rr, sizeof(sdes_rr), &ri), RTCP_OK);
	assert_int_equal(ri.sender_ssrc, 0x0d0d0d0d);
	assert_int_equal(ri.cname_len, 0);
}

/* Padding on the last packet: allowed, and stripped before parsing. */
static void
test_padding(void **state)
{
	/* RR RC=0, then BYE P=1 SC=1 with 4 octets of padding (last = 4). */
	static const uint8_t ok[] = {
		0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,
		0xa1, 0xcb, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04,
		0x00, 0x00, 0x00, 0x04,
	};
	struct rtcp_info ri;

	(void)state;
	assert_int_equal(parse_copy(ok, sizeof(ok), &ri), RTCP_OK);
	assert_true(ri.has_bye);
	assert_int_equal(ri.npackets, 2);
}

struct bad_case {
	const char	*name;
	uint8_t		 buf[64];
	size_t		 len;
	int		 err;
};

static const struct bad_case bad_cases[] = {
	{ "empty", { 0 }, 0, RTCP_ESHORT },
	{ "not a multiple of 4", { 0x80, 0xc9, 0x00, 0x00, 0x00 }, 5,
	    RTCP_ESHORT },
	{ "version 1", { 0x40, 0xc9, 0x00, 0x01, 1, 2, 3, 4 }, 8,
	    RTCP_EVERSION },
	{ "version 0 in second packet",
	    { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
	      0x00, 0xcb, 0x00, 0x00 }, 12, RTCP_EVERSION },
	{ "RTP payload type, not RTCP", { 0x80, 0x60, 0x00, 0x01, 1, 2, 3, 4 },
	    8, RTCP_ETYPE },
	{ "type 224", { 0x80, 0xe0, 0x00, 0x01, 1, 2, 3, 4 }, 8, RTCP_ETYPE },
	{ "length past the end", { 0x80, 0xc9, 0x00, 0x02, 1, 2, 3, 4 }, 8,
	    RTCP_ELENGTH },
	{ "length 0xffff", { 0x80, 0xc9, 0xff, 0xff, 1, 2, 3, 4 }, 8,
	    RTCP_ELENGTH },
	{ "second length past the end",
	    { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
	      0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4 }, 16, RTCP_ELENGTH },
	{ "RR claims a block it lacks", { 0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4 },
	    8, RTCP_EBODY },
	{ "RR without SSRC", { 0x80, 0xc9, 0x00, 0x00 }, 4, RTCP_EBODY },
	{ "SR too short for sender info",
	    { 0x80, 0xc8, 0x00, 0x05, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0,
	      0, 0, 0, 0, 0, 0, 0, 0 }, 24, RTCP_EBODY },
	{ "SR RC=2 with room for 1",
	    { 0x82, 0xc8, 0x00, 0x0c, [4] = 1, [51] = 0 }, 52, RTCP_EBODY },
	{ "SDES item runs past the packet",
	    { 0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x09, 'a', 'b' }, 12,
	    RTCP_EBODY },
	{ "SDES chunk without END",
	    { 0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x02, 'a', 'b' }, 12,
	    RTCP_EBODY },
	{ "SDES item length octet missing",
	    { 0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x02, 0x01, 'x', 0x03 }, 12,
	    RTCP_EBODY },
	{ "SDES SC=2 with one chunk",
	    { 0x82, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 0 }, 12,
	    RTCP_EBODY },
	{ "BYE SC=2 with one SSRC", { 0x82, 0xcb, 0x00, 0x01, 1, 2, 3, 4 }, 8,
	    RTCP_EBODY },
	{ "BYE reason too long",
	    { 0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 0x05, 'a', 'b', 'c' }, 12,
	    RTCP_EBODY },
	{ "APP without name", { 0x80, 0xcc, 0x00, 0x01, 1, 2, 3, 4 }, 8,
	    RTCP_EBODY },
	{ "RTPFB without media SSRC", { 0x81, 0xcd, 0x00, 0x01, 1, 2, 3, 4 },
	    8, RTCP_EBODY },
	{ "XR without SSRC", { 0x80, 0xcf, 0x00, 0x00 }, 4, RTCP_EBODY },
	{ "padding on a packet that is not last",
	    { 0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 4,
	      0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4 }, 16, RTCP_EPADDING },
	{ "padding count 0",
	    { 0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 0 }, 12,
	    RTCP_EPADDING },
	{ "padding longer than the body",
	    { 0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 9 }, 8, RTCP_EPADDING },
	{ "padding eats the SSRC",
	    { 0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 4 }, 8, RTCP_EBODY },
};

static void
test_bad_table(void **state)
{
	struct rtcp_info ri;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		print_message("case: %s\n", bad_cases[i].name);
		assert_int_equal(parse_copy(bad_cases[i].buf, bad_cases[i].len,
		    &ri), bad_cases[i].err);
	}
	assert_string_equal(rtcp_strerror(RTCP_ELENGTH),
	    "length field runs past the datagram");
}

/*
 * Every prefix of the two compounds: only the ones ending on a packet
 * boundary are whole compounds; all others must be refused.
 */
static void
test_truncations(void **state)
{
	static const struct {
		const uint8_t	*buf;
		size_t		 len;
		size_t		 boundary;
	} c[] = {
		{ sr_sdes, sizeof(sr_sdes), 52 },
		{ rr_bye, sizeof(rr_bye), 56 },
	};
	struct rtcp_info ri;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (n = 0; n < c[i].len; n++) {
			rc = parse_copy(c[i].buf, n, &ri);
			if (n == c[i].boundary)
				assert_int_equal(rc, RTCP_OK);
			else
				assert_true(rc < 0);
		}
	}
}

/* Every single-byte mutation: any verdict, but no overread or crash. */
static void
test_mutations(void **state)
{
	uint8_t buf[sizeof(sr_sdes) > sizeof(rr_bye) ?
	    sizeof(sr_sdes) : sizeof(rr_bye)];
	const uint8_t *src[] = { sr_sdes, rr_bye, skip_mix };
	size_t lens[] = { sizeof(sr_sdes), sizeof(rr_bye), sizeof(skip_mix) };
	struct rtcp_info ri;
	size_t s, i;
	unsigned v;
	int rc;

	(void)state;
	for (s = 0; s < 3; s++) {
		for (i = 0; i < lens[s]; i++) {
			for (v = 0; v < 256; v++) {
				memcpy(buf, src[s], lens[s]);
				buf[i] = (uint8_t)v;
				rc = parse_copy(buf, lens[s], &ri);
				assert_true(rc <= 0);
				if (rc == RTCP_OK) {
					assert_true(ri.nblocks <= RTCP_MAX_BLOCKS);
					assert_true(ri.cname_len <= RTCP_CNAME_MAX);
					assert_int_equal(strlen(ri.cname),
					    strnlen(ri.cname, ri.cname_len));
				}
			}
		}
	}
}

/* More than 31 blocks across an SR and an RR: 31 kept, the rest counted. */
static void
test_many_blocks(void **state)
{
	uint8_t buf[(7 + 31 * 6) * 4 + (2 + 3 * 6) * 4];
	struct rtcp_info ri;
	size_t off = 0, i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80 | 31;
	buf[1] = RTCP_SR;
	buf[3] = 6 + 31 * 6;
	off = (7 + 31 * 6) * 4;
	buf[off] = 0x80 | 3;
	buf[off + 1] = RTCP_RR;
	buf[off + 3] = 1 + 3 * 6;
	for (i = 0; i < 31; i++)
		buf[28 + i * 24 + 3] = (uint8_t)i;
	assert_int_equal(parse_copy(buf, sizeof(buf), &ri), RTCP_OK);
	assert_int_equal(ri.nblocks, RTCP_MAX_BLOCKS);
	assert_int_equal(ri.blocks_dropped, 3);
	assert_int_equal(ri.blocks[30].ssrc, 30);
}

static void
test_ntp(void **state)
{
	(void)state;
	/* 1970-01-01 is 2208988800 s = 0x83aa7e80 after the NTP epoch. */
	assert_int_equal(rtcp_ntp64(0), 0x83aa7e80ull << 32);
	assert_int_equal(rtcp_ntp_mid32(0), 0x7e800000);
	assert_int_equal(rtcp_ntp_mid32(1500000), 0x7e818000);
	/* 1700000000.25 s: NTP 0xe8fe6f80.40000000. */
	assert_int_equal(rtcp_ntp64(1700000000250000ull),
	    0xe8fe6f80ull << 32 | 0x40000000);
	assert_int_equal(rtcp_ntp_mid32(1700000000250000ull), 0x6f804000);
}

struct rtt_case {
	uint32_t	a, lsr, dlsr;
	int		ms;
};

static const struct rtt_case rtt_cases[] = {
	/*
	 * RFC 3550 6.4.1: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000
	 * (46853.125 s), DLSR = 0x0005:4000 (5.250 s): 6.125 s.
	 */
	{ 0xb7108000, 0xb7052000, 0x00054000, 6125 },
	{ 0x12345678, 0, 0, -1 },			/* no SR yet */
	{ 0xb7050000, 0xb7052000, 0x00000000, -1 },	/* A before LSR */
	{ 0xb7108000, 0xb7052000, 0x000c0000, -1 },	/* DLSR too long */
	{ 0x00010000, 0xffff0000, 0x00008000, 1500 },	/* 16-bit s wrap */
	{ 0xb7052021, 0xb7052000, 0x00000000, 1 },	/* 33/65536 s */
	{ 0xb7052000, 0xb7052000, 0x00000000, 0 },
};

static void
test_rtt(void **state)
{
	struct rtcp_info sr, rr;
	size_t i;
	uint32_t a;

	(void)state;
	for (i = 0; i < sizeof(rtt_cases) / sizeof(rtt_cases[0]); i++)
		assert_int_equal(rtcp_rtt_ms(rtt_cases[i].a, rtt_cases[i].lsr,
		    rtt_cases[i].dlsr), rtt_cases[i].ms);

	/*
	 * End to end: we sent the SR above (its middle 32 bits are
	 * 0xa3b28000), the RR echoes it with DLSR 1 s and arrives 1.25 s
	 * after we sent it: 250 ms round trip.
	 */
	assert_int_equal(parse_copy(sr_sdes, sizeof(sr_sdes), &sr), RTCP_OK);
	assert_int_equal(parse_copy(rr_bye, sizeof(rr_bye), &rr), RTCP_OK);
	assert_int_equal(rr.blocks[0].lsr, sr.ntp_mid32);
	a = sr.ntp_mid32 + 0x00014000;
	assert_int_equal(rtcp_rtt_ms(a, rr.blocks[0].lsr, rr.blocks[0].dlsr),
	    250);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sr_sdes),
		cmocka_unit_test(test_rr_bye),
		cmocka_unit_test(test_skip_mix),
		cmocka_unit_test(test_reduced_size),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_many_blocks),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_rtt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
