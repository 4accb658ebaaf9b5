/*
 * fuzz_rtcp.c - rtcp_parse on any datagram, and rtcp_rtt_ms on what it
 * finds.
 *
 * Beyond memory safety: an accepted compound must be a chain of version 2
 * packets whose lengths add up to the datagram; the report blocks kept
 * and dropped must be the ones the SR and RR headers count; dropping the
 * last packet of a compound must leave a compound one packet shorter;
 * and the round trip of every block must be what RFC 3550 6.4.1 says.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "packet/rtcp.h"
#include "packet/rtp.h"

#define TYPE_BIT(t)	((uint32_t)1 << ((t) - 192))
#define RTT_MAX_MS	32768000	/* 2^31 * 1000 / 65536, rounded */

struct walk {
	unsigned	npackets;
	unsigned	nreports;	/* report blocks SR and RR headers count */
	uint32_t	types;
	size_t		last_off;	/* where the last packet starts */
};

/* Follow the length fields again, trusting what rtcp_parse accepted. */
static void
walk(const uint8_t *buf, size_t len, struct walk *w)
{
	size_t off, plen;

	memset(w, 0, sizeof(*w));
	for (off = 0; off < len; off += plen) {
		FUZZ_CHECK(len - off >= 4);
		FUZZ_CHECK(buf[off] >> 6 == 2);
		FUZZ_CHECK(buf[off + 1] >= 192 && buf[off + 1] <= 223);
		plen = ((size_t)rd_be16(buf + off + 2) + 1) * 4;
		FUZZ_CHECK(plen <= len - off);
		/* Only the last packet may be padded. */
		if (buf[off] & 0x20)
			FUZZ_CHECK(off + plen == len);
		if (buf[off + 1] == RTCP_SR || buf[off + 1] == RTCP_RR)
			w->nreports += buf[off] & 0x1f;
		w->types |= TYPE_BIT(buf[off + 1]);
		w->npackets++;
		w->last_off = off;
	}
	FUZZ_CHECK(off == len);
}

static void
check_rtt(uint32_t lsr, uint32_t dlsr, uint32_t delta)
{
	int rtt, want;

	/* Arrival `delta` (16.16 seconds) after the report could leave. */
	rtt = rtcp_rtt_ms(lsr + dlsr + delta, lsr, dlsr);
	if (lsr == 0 || (int32_t)delta < 0)
		want = -1;
	else
		want = (int)(((uint64_t)delta * 1000 + 32768) >> 16);
	FUZZ_CHECK(rtt == want);
	FUZZ_CHECK(rtt >= -1 && rtt <= RTT_MAX_MS);
}

static void
check_info(const uint8_t *buf, size_t len, const struct rtcp_info *ri)
{
	const struct rtcp_block *b;
	struct rtcp_info shorter;
	struct walk w;
	unsigned i;
	int rtt;

	walk(buf, len, &w);
	FUZZ_CHECK(ri->npackets == w.npackets && ri->npackets > 0);
	FUZZ_CHECK(ri->types == w.types);
	FUZZ_CHECK(ri->nblocks <= RTCP_MAX_BLOCKS);
	FUZZ_CHECK(ri->nblocks + ri->blocks_dropped == w.nreports);
	FUZZ_CHECK(ri->blocks_dropped == 0 || ri->nblocks == RTCP_MAX_BLOCKS);
	FUZZ_CHECK(ri->has_sr == ((ri->types & TYPE_BIT(RTCP_SR)) != 0));
	FUZZ_CHECK(ri->has_bye == ((ri->types & TYPE_BIT(RTCP_BYE)) != 0));
	if (ri->has_sr)
		FUZZ_CHECK(ri->ntp_mid32 ==
		    (ri->ntp_sec << 16 | ri->ntp_frac >> 16));
	FUZZ_CHECK(ri->cname_len <= RTCP_CNAME_MAX);
	FUZZ_CHECK(ri->cname[ri->cname_len] == '\0');
	if (ri->cname_len == 0)
		FUZZ_CHECK(ri->cname[0] == '\0');

	for (i = 0; i < ri->nblocks; i++) {
		b = &ri->blocks[i];
		FUZZ_CHECK(b->cum_lost >= -0x800000 && b->cum_lost < 0x800000);
		/* The relay's use: arrival at our clock, the jitter as noise. */
		rtt = rtcp_rtt_ms(ri->ntp_mid32, b->lsr, b->dlsr);
		FUZZ_CHECK(rtt >= -1 && rtt <= RTT_MAX_MS);
		check_rtt(b->lsr, b->dlsr, b->jitter);
		check_rtt(b->lsr, b->dlsr, b->ext_max_seq);
	}

	/* Without its last packet, a compound is still one. */
	if (ri->npackets > 1) {
		FUZZ_CHECK(rtcp_parse(buf, w.last_off, &shorter) == RTCP_OK);
		FUZZ_CHECK(shorter.npackets == ri->npackets - 1);
		FUZZ_CHECK(shorter.nblocks <= ri->nblocks);
	}
	/* Cut inside the last packet, it is not. */
	if (len - w.last_off > 4)
		FUZZ_CHECK(rtcp_parse(buf, len - 4, &shorter) != RTCP_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_info ri;
	const char *why;
	int rc;

	rc = rtcp_parse(data, size, &ri);
	FUZZ_CHECK(rc <= RTCP_OK && rc >= RTCP_EBODY);
	why = rtcp_strerror(rc);
	FUZZ_CHECK(why != NULL && strcmp(why, "unknown error") != 0);
	if (rc == RTCP_OK) {
		FUZZ_CHECK(size >= 4 && size % 4 == 0);
		check_info(data, size, &ri);
	}
	return 0;
}
