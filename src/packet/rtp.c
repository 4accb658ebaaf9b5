/*
 * rtp.c - RTP/RTCP header validation, RFC 3550 appendix A.1 and RFC 5761.
 */
#include "packet/rtp.h"

#include <string.h>

/*
 * RTCP: version 2, and the first packet of a compound must be SR or RR
 * (RFC 3550 6.1) or, in practice, an APP/BYE/SDES/feedback packet that
 * some UAs send alone. Its length field must fit in the datagram.
 */
static enum pkt_kind
classify_rtcp(const uint8_t *buf, size_t len, struct rtp_info *out)
{
	size_t plen;

	if (len < RTCP_HDR_MIN || (len & 3) != 0)
		return PKT_INVALID;
	plen = ((size_t)rd_be16(buf + 2) + 1) * 4;
	if (plen > len)
		return PKT_INVALID;
	out->kind = PKT_RTCP;
	out->rtcp_type = buf[1];
	out->ssrc = rd_be32(buf + 4);
	return PKT_RTCP;
}

enum pkt_kind
rtp_classify(const uint8_t *buf, size_t len, struct rtp_info *out)
{
	size_t hdr, pad = 0;
	unsigned cc;

	memset(out, 0, sizeof(*out));
	if (len < RTCP_HDR_MIN || (buf[0] >> 6) != 2)
		return PKT_INVALID;
	if (buf[1] >= 192 && buf[1] <= 223)
		return classify_rtcp(buf, len, out);
	if (len < RTP_HDR_MIN)
		return PKT_INVALID;

	cc = buf[0] & 0x0f;
	hdr = RTP_HDR_MIN + 4 * (size_t)cc;
	if (hdr > len)
		return PKT_INVALID;
	if (buf[0] & 0x10) {		/* header extension */
		if (hdr + 4 > len)
			return PKT_INVALID;
		hdr += 4 + 4 * (size_t)rd_be16(buf + hdr + 2);
		if (hdr > len)
			return PKT_INVALID;
	}
	if (buf[0] & 0x20) {		/* padding: count in the last octet */
		pad = buf[len - 1];
		if (pad == 0 || hdr + pad > len)
			return PKT_INVALID;
	}
	out->kind = PKT_RTP;
	out->marker = (buf[1] & 0x80) != 0;
	out->pt = buf[1] & 0x7f;
	out->seq = rd_be16(buf + 2);
	out->ts = rd_be32(buf + 4);
	out->ssrc = rd_be32(buf + 8);
	out->hdr_len = (uint16_t)hdr;
	out->payload_len = (uint16_t)(len - hdr - pad);
	return PKT_RTP;
}

void
pt_set_allow_all(struct pt_set *s)
{
	memset(s, 0, sizeof(*s));
	s->any = true;
}

void
pt_set_clear(struct pt_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
pt_set_add(struct pt_set *s, unsigned pt)
{
	if (pt < 128) {
		s->bits[pt >> 6] |= (uint64_t)1 << (pt & 63);
		s->any = false;
	}
}
