/*
 * fuzz_rtp.c - rtp_classify on any datagram.
 *
 * Every packet the relay receives passes here first, from anyone. Beyond
 * memory safety: what comes back as RTP or RTCP must agree with the
 * bytes (RFC 3550 5.1 and A.1, RFC 5761 4), and the header and payload
 * lengths must add up to the datagram.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "packet/rtp.h"

static bool
all_zero(const struct rtp_info *ri)
{
	static const struct rtp_info zero;

	return memcmp(ri, &zero, sizeof(zero)) == 0;
}

static void
check_rtp(const uint8_t *buf, size_t len, const struct rtp_info *ri)
{
	size_t hdr, pad = 0;

	FUZZ_CHECK(len >= RTP_HDR_MIN && buf[0] >> 6 == 2);
	FUZZ_CHECK(buf[1] < 192 || buf[1] > 223);
	FUZZ_CHECK(ri->pt == (buf[1] & 0x7f));
	FUZZ_CHECK(ri->marker == ((buf[1] & 0x80) != 0));
	FUZZ_CHECK(ri->seq == rd_be16(buf + 2));
	FUZZ_CHECK(ri->ts == rd_be32(buf + 4));
	FUZZ_CHECK(ri->ssrc == rd_be32(buf + 8));

	/* The header length, worked out again from the bytes. */
	hdr = RTP_HDR_MIN + 4 * (size_t)(buf[0] & 0x0f);
	FUZZ_CHECK(hdr <= len);
	if (buf[0] & 0x10) {
		FUZZ_CHECK(hdr + 4 <= len);
		hdr += 4 + 4 * (size_t)rd_be16(buf + hdr + 2);
	}
	FUZZ_CHECK(ri->hdr_len == hdr);
	FUZZ_CHECK(hdr <= len);
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		FUZZ_CHECK(pad > 0);
	}
	FUZZ_CHECK(hdr + pad <= len);
	FUZZ_CHECK((size_t)ri->hdr_len + ri->payload_len + pad == len);
}

static void
check_rtcp(const uint8_t *buf, size_t len, const struct rtp_info *ri)
{
	FUZZ_CHECK(len >= RTCP_HDR_MIN && len % 4 == 0 && buf[0] >> 6 == 2);
	FUZZ_CHECK(buf[1] >= 192 && buf[1] <= 223);
	FUZZ_CHECK(ri->rtcp_type == buf[1]);
	FUZZ_CHECK(ri->ssrc == rd_be32(buf + 4));
	FUZZ_CHECK(((size_t)rd_be16(buf + 2) + 1) * 4 <= len);
	/* Nothing of the RTP fields is filled in. */
	FUZZ_CHECK(ri->pt == 0 && ri->seq == 0 && ri->hdr_len == 0 &&
	    ri->payload_len == 0 && !ri->marker);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_info ri;
	enum pkt_kind k;

	/* A UDP payload never exceeds this; the uint16 fields rely on it. */
	if (size > 65535)
		return 0;
	k = rtp_classify(data, size, &ri);
	FUZZ_CHECK(ri.kind == k);
	switch (k) {
	case PKT_RTP:
		check_rtp(data, size, &ri);
		break;
	case PKT_RTCP:
		check_rtcp(data, size, &ri);
		break;
	case PKT_INVALID:
		FUZZ_CHECK(all_zero(&ri));
		break;
	default:
		FUZZ_CHECK(!"unknown packet kind");
	}
	return 0;
}
