/*
 * test_record_hdr.c - the headers a recorded payload gets in its pcap
 * file: one row per address mix and payload length; each packet is
 * checked field by field and by its checksums (the IPv4 header's, and the
 * UDP one over IPv6 with its pseudo-header).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "media/proc/record_hdr.h"
#include "inet_sum.h"

struct hdr_case {
	const char	*src, *dst;
	uint16_t	 sport, dport;
	size_t		 len;		/* payload bytes */
	int		 want_v6;
	const char	*src6, *dst6;	/* the addresses as written over IPv6 */
};

static const struct hdr_case cases[] = {
	{ "192.0.2.1", "198.51.100.7", 4000, 5002, 172, 0, NULL, NULL },
	{ "192.0.2.1", "198.51.100.7", 4000, 5002, 0, 0, NULL, NULL },
	{ "2001:db8::1", "2001:db8::2", 40000, 6000, 160, 1,
	  "2001:db8::1", "2001:db8::2" },
	/* Odd length: the checksum pads the last byte. */
	{ "2001:db8::1", "2001:db8::2", 40000, 6000, 161, 1,
	  "2001:db8::1", "2001:db8::2" },
	/* One IPv6 side makes the packet IPv6; the IPv4 one is mapped. */
	{ "192.0.2.1", "2001:db8::2", 4000, 6000, 33, 1,
	  "::ffff:192.0.2.1", "2001:db8::2" },
};

static void
test_headers(void **state)
{
	uint8_t buf[RECORD_HDR_ROOM + 256], *data = buf + RECORD_HDR_ROOM, *pkt, *udp;
	struct addr src, dst, a6;
	uint8_t want[16];
	size_t i, j, plen;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hdr_case *c = &cases[i];

		assert_int_equal(addr_parse(&src, c->src, c->sport, AF_UNSPEC), 0);
		assert_int_equal(addr_parse(&dst, c->dst, c->dport, AF_UNSPEC), 0);
		for (j = 0; j < c->len; j++)
			data[j] = (uint8_t)(j * 7 + i);
		pkt = record_headers(data, c->len, &src, &dst, 0x1234, &plen);
		if (!c->want_v6) {
			assert_ptr_equal(pkt, data - 28);
			assert_int_equal(plen, 28 + c->len);
			assert_int_equal(pkt[0], 0x45);
			assert_int_equal(be16(pkt + 2), 28 + c->len);
			assert_int_equal(be16(pkt + 4), 0x1234);
			assert_int_equal(be16(pkt + 6), 0x4000);	/* DF */
			assert_int_equal(pkt[8], 64);
			assert_int_equal(pkt[9], IPPROTO_UDP);
			assert_memory_equal(pkt + 12, &src.u.sin.sin_addr, 4);
			assert_memory_equal(pkt + 16, &dst.u.sin.sin_addr, 4);
			assert_int_equal(sum16(0, pkt, 20), 0xffff);
			udp = pkt + 20;
			assert_int_equal(be16(udp + 6), 0);	/* none over IPv4 */
		} else {
			assert_ptr_equal(pkt, data - 48);
			assert_int_equal(plen, 48 + c->len);
			assert_int_equal(pkt[0] >> 4, 6);
			assert_int_equal(be16(pkt + 4), 8 + c->len);
			assert_int_equal(pkt[6], IPPROTO_UDP);
			assert_int_equal(pkt[7], 64);
			assert_int_equal(addr_parse(&a6, c->src6, 0, AF_INET6), 0);
			memcpy(want, &a6.u.sin6.sin6_addr, 16);
			assert_memory_equal(pkt + 8, want, 16);
			assert_int_equal(addr_parse(&a6, c->dst6, 0, AF_INET6), 0);
			memcpy(want, &a6.u.sin6.sin6_addr, 16);
			assert_memory_equal(pkt + 24, want, 16);
			udp = pkt + 40;
			assert_int_not_equal(be16(udp + 6), 0);
			assert_int_equal(sum16(sum16((uint32_t)(8 + c->len + IPPROTO_UDP),
			    pkt + 8, 32), udp, 8 + c->len), 0xffff);
		}
		assert_int_equal(be16(udp), c->sport);
		assert_int_equal(be16(udp + 2), c->dport);
		assert_int_equal(be16(udp + 4), 8 + c->len);
		for (j = 0; j < c->len; j++)
			assert_int_equal(data[j], (uint8_t)(j * 7 + i));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
