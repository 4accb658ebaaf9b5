/*
 * record_hdr.h - the IPv4 or IPv6 and UDP headers a recorded payload gets
 * in its pcap file (record_hdr.c).
 */
#ifndef RTPROAM_RECORD_HDR_H
#define RTPROAM_RECORD_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

/* IPv6 (40) + UDP (8): the most the headers take. */
#define RECORD_HDR_ROOM	48

/*
 * Write the headers into the RECORD_HDR_ROOM bytes before data (len bytes
 * of payload) and return where the packet starts, its length in *plen.
 * IPv6 when either address is (an IPv4 one is then written ::ffff:a.b.c.d),
 * else IPv4 with DF and identification ip_id; TTL 64; the UDP checksum is
 * left out over IPv4 (allowed) and computed over IPv6 (required).
 */
uint8_t	*record_headers(uint8_t *data, size_t len, const struct addr *src,
	    const struct addr *dst, uint16_t ip_id, size_t *plen);

#endif
