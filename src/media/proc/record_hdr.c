/*
 * record_hdr.c - the IP and UDP headers of a recorded packet.
 *
 * The relay keeps only the payload and the two addresses; the pcap file
 * (DLT_RAW) wants whole IP packets, so the writer synthesizes the headers
 * in the room left before the payload. Pure: no I/O, no state.
 */
#include "media/proc/record_hdr.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "packet/rtp.h"

static uint64_t
sum16(uint64_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n > 0)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* As IPv6 bytes: v4 is mapped (::ffff:a.b.c.d), no address is ::. */
static void
ip6_of(const struct addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	if (addr_family(a) == AF_INET6) {
		memcpy(out, &a->u.sin6.sin6_addr, 16);
	} else if (addr_family(a) == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a->u.sin.sin_addr, 4);
	}
}

uint8_t *
record_headers(uint8_t *data, size_t len, const struct addr *src,
    const struct addr *dst, uint16_t ip_id, size_t *plen)
{
	uint8_t *ip, *udp;
	size_t ulen = 8 + len;
	uint16_t csum;
	bool v6;

	v6 = addr_family(src) == AF_INET6 || addr_family(dst) == AF_INET6;
	if (!v6) {
		ip = data - 28;
		udp = ip + 20;
		ip[0] = 0x45;
		ip[1] = 0;
		wr_be16(ip + 2, (uint16_t)(20 + ulen));
		wr_be16(ip + 4, ip_id);
		wr_be16(ip + 6, 0x4000);		/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		wr_be16(ip + 10, 0);
		memset(ip + 12, 0, 8);
		if (addr_family(src) == AF_INET)
			memcpy(ip + 12, &src->u.sin.sin_addr, 4);
		if (addr_family(dst) == AF_INET)
			memcpy(ip + 16, &dst->u.sin.sin_addr, 4);
		wr_be16(ip + 10, (uint16_t)fold(sum16(0, ip, 20)));
	} else {
		ip = data - 48;
		udp = ip + 40;
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		wr_be16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		ip6_of(src, ip + 8);
		ip6_of(dst, ip + 24);
	}
	wr_be16(udp, (uint16_t)addr_port(src));
	wr_be16(udp + 2, (uint16_t)addr_port(dst));
	wr_be16(udp + 4, (uint16_t)ulen);
	wr_be16(udp + 6, 0);		/* none: allowed over IPv4 */
	if (v6) {
		/* Required over IPv6. Pseudo-header: addresses, length, 17. */
		csum = fold(sum16(sum16(ulen + IPPROTO_UDP, ip + 8, 32), udp, ulen));
		wr_be16(udp + 6, (uint16_t)(csum == 0 ? 0xffff : csum));
	}
	*plen = (size_t)(data - ip) + len;
	return ip;
}
