/*
 * inet_sum.h - what the tests use to check synthesized IP and UDP headers:
 * the ones' complement sum (RFC 1071), folded (0xffff over a block whose
 * checksum is right), and a big-endian 16-bit read.
 */
#ifndef RTPROAM_TEST_INET_SUM_H
#define RTPROAM_TEST_INET_SUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n > 0)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static inline unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

#endif
