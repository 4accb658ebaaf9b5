/*
 * voipcalc.c - VoIP bandwidth calculator core (see voipcalc.h).
 */
#include "lib/voipcalc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How a codec turns ptime into payload bytes. */
enum vc_kind {
	K_SAMPLE,	/* constant bytes per ms, any whole-ms ptime */
	K_FRAME,	/* fixed-size frames of fixed duration */
	K_RATE,		/* a bit rate, payload rounded up to whole bytes */
	K_SPEEX,	/* bit-packed frames of a mode, padded at the end */
	K_L16,		/* 16-bit samples at a given rate */
};

struct vc_codec {
	const char	*name;
	const char	*aliases;	/* space separated */
	const char	*desc;
	enum vc_kind	kind;
	uint32_t	bitrate;	/* nominal bps; 0: must be given */
	unsigned	frame_ms;	/* frame, or the step ptime moves in */
	unsigned	frame_bytes;	/* K_FRAME */
	unsigned	def_ptime;
	uint32_t	min_bps, max_bps;	/* K_RATE */
};

static const struct vc_codec codecs[] = {
	{ "g711", "pcmu pcma g711u g711a g.711 ulaw alaw",
	  "G.711 PCM, 64 kbit/s", K_SAMPLE, 64000, 1, 0, 20, 0, 0 },
	{ "g722", "g.722",
	  "G.722 SB-ADPCM 16 kHz, 64 kbit/s", K_SAMPLE, 64000, 1, 0, 20, 0, 0 },
	{ "g729", "g729a g729ab g.729",
	  "G.729 CS-ACELP, 8 kbit/s, 10-byte frames per 10 ms",
	  K_FRAME, 8000, 10, 10, 20, 0, 0 },
	/* 189 and 158 bits a frame, carried in 24 and 20 bytes. */
	{ "g723-6.3", "g723 g7231 g723.1 g723.1-6.3 g723-63 g723r63",
	  "G.723.1 MP-MLQ, 6.3 kbit/s, 24-byte frames per 30 ms",
	  K_FRAME, 6300, 30, 24, 30, 0, 0 },
	{ "g723-5.3", "g723.1-5.3 g723-53 g723r53",
	  "G.723.1 ACELP, 5.3 kbit/s, 20-byte frames per 30 ms",
	  K_FRAME, 5300, 30, 20, 30, 0, 0 },
	/* 260 bits of GSM 06.10 plus the 4-bit signature of RFC 3551 4.5.8. */
	{ "gsm", "gsm-fr gsmfr gsm0610",
	  "GSM-FR 06.10, 13 kbit/s, 33-byte frames per 20 ms",
	  K_FRAME, 13000, 20, 33, 20, 0, 0 },
	{ "ilbc20", "ilbc ilbc-20 ilbc_mode_20",
	  "iLBC (RFC 3951), 15.2 kbit/s, 38-byte frames per 20 ms",
	  K_FRAME, 15200, 20, 38, 20, 0, 0 },
	{ "ilbc30", "ilbc-30 ilbc_mode_30",
	  "iLBC (RFC 3951), 13.33 kbit/s, 50-byte frames per 30 ms",
	  K_FRAME, 13330, 30, 50, 30, 0, 0 },
	/* Packets of 2.5..120 ms; whole ms means multiples of 5. */
	{ "opus", "",
	  "Opus at --bitrate 6..510 (default 24 kbit/s), 5..120 ms, "
	  "average payload",
	  K_RATE, 24000, 5, 0, 20, 6000, 510000 },
	{ "speex", "speex-nb",
	  "Speex narrowband, 20 ms frames, --bitrate 2.15, 3.95, 5.95, "
	  "8 (default), 11, 15, 18.2 or 24.6",
	  K_SPEEX, 8000, 20, 0, 20, 0, 0 },
	{ "l16", "pcm16 linear",
	  "L16 linear PCM, mono, 16 bits at --rate Hz (default 8000)",
	  K_L16, 0, 1, 0, 20, 0, 0 },
	{ "custom", "",
	  "any codec at --bitrate, payload rounded up to whole bytes",
	  K_RATE, 0, 1, 0, 20, 1, 100000000 },
};

#define NCODECS	(sizeof(codecs) / sizeof(codecs[0]))

/* Speex narrowband submodes: bit rate and bits per 20 ms frame. */
static const struct {
	uint32_t	bps;
	unsigned	bits;
} speex_modes[] = {
	{ 2150, 43 },	/* mode 1 */
	{ 3950, 79 },	/* mode 8 */
	{ 5950, 119 },	/* mode 2 */
	{ 8000, 160 },	/* mode 3 */
	{ 11000, 220 },	/* mode 4 */
	{ 15000, 300 },	/* mode 5 */
	{ 18200, 364 },	/* mode 6 */
	{ 24600, 492 },	/* mode 7 */
};

#define L16_RATE_MIN	1000
#define L16_RATE_MAX	192000
/* Largest UDP payload in an IPv4 datagram. */
#define UDP_PAYLOAD_MAX	65507

const char *
voipcalc_strerror(enum vc_error e)
{
	switch (e) {
	case VC_OK:
		return "ok";
	case VC_EUNKNOWN_CODEC:
		return "unknown codec (see --help for the list)";
	case VC_EPTIME:
		return "ptime must be 1..1000 ms";
	case VC_EPTIME_FRAME:
		return "ptime must be a multiple of the codec's frame duration";
	case VC_EPTIME_SAMPLES:
		return "ptime does not hold a whole number of samples at this rate";
	case VC_EBITRATE:
		return "bitrate not valid for this codec";
	case VC_ENEED_BITRATE:
		return "this codec needs --bitrate";
	case VC_ERATE:
		return "sample rate must be 1000..192000 Hz";
	case VC_ELINK:
		return "link overhead must be ethernet, dot1q, ppp, none or "
		    "0..1500 bytes";
	case VC_EEXTRA:
		return "extra overhead must be 0..1500 bytes";
	case VC_EVAD:
		return "VAD factor must be more than 0 and at most 1";
	case VC_ECALLS:
		return "number of calls must be 1..10000000";
	case VC_ETOO_BIG:
		return "payload does not fit in a UDP datagram";
	}
	return "unknown error";
}

/* Is name one of the space-separated words in list (any case)? */
static bool
in_list(const char *list, const char *name)
{
	size_t n = strlen(name), w;

	while (*list != '\0') {
		w = strcspn(list, " ");
		if (w == n && strncasecmp(list, name, n) == 0)
			return true;
		list += w;
		list += strspn(list, " ");
	}
	return false;
}

static const struct vc_codec *
codec_find(const char *name)
{
	size_t i;

	if (name == NULL)
		name = "g711";
	for (i = 0; i < NCODECS; i++)
		if (strcasecmp(codecs[i].name, name) == 0 ||
		    in_list(codecs[i].aliases, name))
			return &codecs[i];
	return NULL;
}

bool
voipcalc_codec_info(unsigned i, const char **name, const char **aliases,
    const char **desc)
{
	if (i >= NCODECS)
		return false;
	*name = codecs[i].name;
	*aliases = codecs[i].aliases;
	*desc = codecs[i].desc;
	return true;
}

int
voipcalc_link_parse(const char *s)
{
	unsigned long v;
	char *end;

	if (strcasecmp(s, "ethernet") == 0 || strcasecmp(s, "eth") == 0)
		return VC_LINK_ETHERNET;
	if (strcasecmp(s, "dot1q") == 0 || strcasecmp(s, "vlan") == 0 ||
	    strcasecmp(s, "802.1q") == 0)
		return VC_LINK_DOT1Q;
	if (strcasecmp(s, "ppp") == 0 || strcasecmp(s, "mlppp") == 0 ||
	    strcasecmp(s, "frf12") == 0 || strcasecmp(s, "frf.12") == 0)
		return VC_LINK_PPP;
	if (strcasecmp(s, "none") == 0)
		return VC_LINK_NONE;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > VC_LINK_MAX)
		return -1;
	return (int)v;
}

/* Bytes of payload for a whole-byte rate codec, rounded up. */
static unsigned
bytes_for(uint64_t bps, unsigned ptime_ms)
{
	return (unsigned)((bps * ptime_ms + 7999) / 8000);
}

static enum vc_error
payload_speex(const struct vc_params *p, struct vc_result *r)
{
	uint32_t bps = p->bitrate_bps ? p->bitrate_bps : 8000;
	size_t i;

	for (i = 0; i < sizeof(speex_modes) / sizeof(speex_modes[0]); i++) {
		if (speex_modes[i].bps != bps)
			continue;
		r->bitrate_bps = bps;
		/* Frames are bit-packed; only the packet pads to a byte. */
		r->payload_bytes = (r->frames * speex_modes[i].bits + 7) / 8;
		return VC_OK;
	}
	return VC_EBITRATE;
}

static enum vc_error
payload_bytes(const struct vc_codec *c, const struct vc_params *p,
    struct vc_result *r)
{
	uint32_t rate;
	unsigned t = r->ptime_ms;

	switch (c->kind) {
	case K_SAMPLE:
		if (p->bitrate_bps != 0 && p->bitrate_bps != c->bitrate)
			return VC_EBITRATE;
		r->bitrate_bps = c->bitrate;
		r->payload_bytes = c->bitrate / 8000 * t;
		return VC_OK;
	case K_FRAME:
		if (p->bitrate_bps != 0 && p->bitrate_bps != c->bitrate)
			return VC_EBITRATE;
		if (t % c->frame_ms != 0)
			return VC_EPTIME_FRAME;
		r->bitrate_bps = c->bitrate;
		r->frames = t / c->frame_ms;
		r->payload_bytes = r->frames * c->frame_bytes;
		return VC_OK;
	case K_RATE:
		r->bitrate_bps = p->bitrate_bps ? p->bitrate_bps : c->bitrate;
		if (r->bitrate_bps == 0)
			return VC_ENEED_BITRATE;
		if (r->bitrate_bps < c->min_bps || r->bitrate_bps > c->max_bps)
			return VC_EBITRATE;
		if (t % c->frame_ms != 0 ||
		    (c->frame_ms > 1 && t > 120))	/* Opus: 120 ms at most */
			return VC_EPTIME_FRAME;
		r->payload_bytes = bytes_for(r->bitrate_bps, t);
		return VC_OK;
	case K_SPEEX:
		if (t % c->frame_ms != 0)
			return VC_EPTIME_FRAME;
		r->frames = t / c->frame_ms;
		return payload_speex(p, r);
	case K_L16:
		if (p->bitrate_bps != 0)
			return VC_EBITRATE;	/* L16 takes --rate */
		rate = p->sample_rate ? p->sample_rate : 8000;
		if (rate < L16_RATE_MIN || rate > L16_RATE_MAX)
			return VC_ERATE;
		if ((uint64_t)rate * t % 1000 != 0)
			return VC_EPTIME_SAMPLES;
		r->bitrate_bps = rate * 16;
		r->payload_bytes = (unsigned)((uint64_t)rate * t / 1000 * 2);
		return VC_OK;
	}
	return VC_EUNKNOWN_CODEC;
}

enum vc_error
voipcalc(const struct vc_params *p, struct vc_result *r)
{
	const struct vc_codec *c;
	enum vc_error e;
	unsigned hdr;

	memset(r, 0, sizeof(*r));
	if ((c = codec_find(p->codec)) == NULL)
		return VC_EUNKNOWN_CODEC;
	r->codec = c->name;
	r->desc = c->desc;
	r->frame_ms = c->frame_ms;
	r->ptime_ms = p->ptime_ms ? p->ptime_ms : c->def_ptime;
	if (r->ptime_ms < 1 || r->ptime_ms > VC_PTIME_MAX)
		return VC_EPTIME;
	if (p->link_bytes > VC_LINK_MAX)
		return VC_ELINK;
	if (p->extra_bytes > VC_EXTRA_MAX)
		return VC_EEXTRA;
	r->vad = p->vad == 0.0 ? 1.0 : p->vad;
	if (!(r->vad > 0.0 && r->vad <= 1.0))	/* NaN fails too */
		return VC_EVAD;
	r->calls = p->calls ? p->calls : 1;
	if (r->calls > VC_CALLS_MAX)
		return VC_ECALLS;
	if ((e = payload_bytes(c, p, r)) != VC_OK)
		return e;
	if (r->payload_bytes + VC_RTP_HDR > UDP_PAYLOAD_MAX)
		return VC_ETOO_BIG;

	if (p->crtp) {
		r->crtp_bytes = VC_CRTP_HDR;
	} else {
		r->rtp_bytes = VC_RTP_HDR;
		r->udp_bytes = VC_UDP_HDR;
		r->ip_bytes = p->ipv6 ? VC_IPV6_HDR : VC_IPV4_HDR;
	}
	r->link_bytes = p->link_bytes;
	r->extra_bytes = p->extra_bytes;
	hdr = r->rtp_bytes + r->udp_bytes + r->ip_bytes + r->crtp_bytes +
	    r->link_bytes + r->extra_bytes;
	r->packet_bytes = r->payload_bytes + hdr;

	/* Bits per millisecond are kbit/s. */
	r->pps = 1000.0 / r->ptime_ms;
	r->payload_kbps = r->payload_bytes * 8.0 / r->ptime_ms;
	r->stream_kbps = r->packet_bytes * 8.0 / r->ptime_ms * r->vad;
	r->call_kbps = 2.0 * r->stream_kbps;
	r->total_kbps = r->calls * r->call_kbps;
	return VC_OK;
}
