/*
 * rtcp.c - RTCP compound parsing and round-trip time (RFC 3550 6, A.2).
 */
#include "packet/rtcp.h"

#include "packet/rtp.h"

#include <string.h>

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_OFFSET	2208988800ULL
#define SR_BODY		24	/* SSRC + NTP + RTP ts + packets + octets */
#define BLOCK_LEN	24
#define SDES_CNAME	1

const char *
rtcp_strerror(int err)
{
	switch (err) {
	case RTCP_OK:
		return "ok";
	case RTCP_ESHORT:
		return "datagram too short or not a multiple of 4";
	case RTCP_EVERSION:
		return "version is not 2";
	case RTCP_ELENGTH:
		return "length field runs past the datagram";
	case RTCP_EPADDING:
		return "bad padding";
	case RTCP_ETYPE:
		return "not an RTCP packet type";
	case RTCP_EBODY:
		return "packet too short for its contents";
	}
	return "unknown error";
}

static void
take_blocks(struct rtcp_info *out, const uint8_t *p, unsigned count)
{
	struct rtcp_block *b;
	uint32_t lost;

	for (; count > 0; count--, p += BLOCK_LEN) {
		if (out->nblocks == RTCP_MAX_BLOCKS) {
			out->blocks_dropped++;
			continue;
		}
		b = &out->blocks[out->nblocks++];
		b->ssrc = rd_be32(p);
		b->fraction_lost = p[4];
		lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		/* Sign-extend the 24-bit two's complement field. */
		b->cum_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 :
		    (int32_t)lost;
		b->ext_max_seq = rd_be32(p + 8);
		b->jitter = rd_be32(p + 12);
		b->lsr = rd_be32(p + 16);
		b->dlsr = rd_be32(p + 20);
	}
}

static int
parse_sr(struct rtcp_info *out, const uint8_t *body, size_t blen,
    unsigned count)
{
	if (blen < SR_BODY + (size_t)count * BLOCK_LEN)
		return RTCP_EBODY;
	if (!out->has_sr) {
		out->has_sr = true;
		out->ntp_sec = rd_be32(body + 4);
		out->ntp_frac = rd_be32(body + 8);
		out->ntp_mid32 = out->ntp_sec << 16 | out->ntp_frac >> 16;
		out->rtp_ts = rd_be32(body + 12);
		out->sender_packets = rd_be32(body + 16);
		out->sender_octets = rd_be32(body + 20);
	}
	/* Anything after the blocks is a profile extension: skipped. */
	take_blocks(out, body + SR_BODY, count);
	return RTCP_OK;
}

static int
parse_rr(struct rtcp_info *out, const uint8_t *body, size_t blen,
    unsigned count)
{
	if (blen < 4 + (size_t)count * BLOCK_LEN)
		return RTCP_EBODY;
	take_blocks(out, body + 4, count);
	return RTCP_OK;
}

/*
 * SDES: count chunks, each an SSRC and items (type, length, text) ended
 * by a zero octet and null padding to the next 32-bit boundary.
 */
static int
parse_sdes(struct rtcp_info *out, const uint8_t *body, size_t blen,
    unsigned count)
{
	size_t p = 0, ilen;
	bool ended;

	for (; count > 0; count--) {
		if (blen - p < 4)
			return RTCP_EBODY;
		p += 4;
		ended = false;
		while (p < blen) {
			if (body[p] == 0) {
				/* Chunks start on 32-bit boundaries. */
				p = (p + 4) & ~(size_t)3;
				ended = true;
				break;
			}
			if (blen - p < 2)
				return RTCP_EBODY;
			ilen = body[p + 1];
			if (blen - p - 2 < ilen)
				return RTCP_EBODY;
			if (body[p] == SDES_CNAME && out->cname_len == 0) {
				memcpy(out->cname, body + p + 2, ilen);
				out->cname[ilen] = '\0';
				out->cname_len = ilen;
			}
			p += 2 + ilen;
		}
		if (!ended || p > blen)
			return RTCP_EBODY;
	}
	return RTCP_OK;
}

static int
parse_bye(struct rtcp_info *out, const uint8_t *body, size_t blen,
    unsigned count)
{
	size_t ids = (size_t)count * 4;

	if (blen < ids)
		return RTCP_EBODY;
	/* Optional reason: a length octet and that much text. */
	if (blen > ids && (size_t)body[ids] + 1 > blen - ids)
		return RTCP_EBODY;
	out->has_bye = true;
	return RTCP_OK;
}

/* Fixed minimum body (after the 4-byte header) of each known type. */
static size_t
min_body(uint8_t type)
{
	switch (type) {
	case RTCP_APP:		/* SSRC, name */
	case RTCP_RTPFB:	/* sender SSRC, media SSRC */
	case RTCP_PSFB:
		return 8;
	case RTCP_XR:		/* SSRC */
		return 4;
	}
	return 0;
}

static int
parse_one(struct rtcp_info *out, uint8_t type, unsigned count,
    const uint8_t *body, size_t blen)
{
	switch (type) {
	case RTCP_SR:
		return parse_sr(out, body, blen, count);
	case RTCP_RR:
		return parse_rr(out, body, blen, count);
	case RTCP_SDES:
		return parse_sdes(out, body, blen, count);
	case RTCP_BYE:
		return parse_bye(out, body, blen, count);
	}
	/* APP, feedback, XR and types we do not know: length only. */
	return blen < min_body(type) ? RTCP_EBODY : RTCP_OK;
}

int
rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *out)
{
	const uint8_t *h;
	size_t off, plen, blen, pad;
	bool sender_from_report = false, have_sender = false;
	unsigned count;
	uint8_t type;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < 4 || (len & 3) != 0)
		return RTCP_ESHORT;
	for (off = 0; off < len; off += plen) {
		h = buf + off;
		if ((h[0] >> 6) != 2)
			return RTCP_EVERSION;
		type = h[1];
		if (type < 192 || type > 223)
			return RTCP_ETYPE;
		count = h[0] & 0x1f;
		plen = ((size_t)rd_be16(h + 2) + 1) * 4;
		if (plen > len - off)
			return RTCP_ELENGTH;
		blen = plen - 4;
		if (h[0] & 0x20) {
			/* Only the last packet of a compound may pad. */
			if (off + plen != len)
				return RTCP_EPADDING;
			pad = h[plen - 1];
			if (pad == 0 || pad > blen)
				return RTCP_EPADDING;
			blen -= pad;
		}
		if ((rc = parse_one(out, type, count, h + 4, blen)) != RTCP_OK)
			return rc;
		/* SR and RR name the sender; other packets only stand in. */
		if (blen >= 4 && !sender_from_report &&
		    (type == RTCP_SR || type == RTCP_RR || !have_sender)) {
			out->sender_ssrc = rd_be32(h + 4);
			have_sender = true;
			sender_from_report = type == RTCP_SR ||
			    type == RTCP_RR;
		}
		out->npackets++;
		out->types |= (uint32_t)1 << (type - 192);
	}
	return RTCP_OK;
}

uint64_t
rtcp_ntp64(uint64_t unix_us)
{
	uint64_t sec = unix_us / 1000000 + NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;

	return sec << 32 | frac;
}

uint32_t
rtcp_ntp_mid32(uint64_t unix_us)
{
	return (uint32_t)(rtcp_ntp64(unix_us) >> 16);
}

int
rtcp_rtt_ms(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr)
{
	uint32_t rtt;

	if (lsr == 0)
		return -1;
	/* Modular, so a wrap of the 16-bit seconds between them is fine. */
	rtt = arrival_mid32 - lsr - dlsr;
	if ((int32_t)rtt < 0)
		return -1;
	return (int)(((uint64_t)rtt * 1000 + 32768) >> 16);
}
