/*
 * voipcalc - VoIP bandwidth calculator for capacity planning.
 *
 * Thin front end: parses options into struct vc_params, lets voipcalc()
 * do the arithmetic and prints the result as a table or one JSON object.
 * Exit 0 on success, 2 on any usage or calculation error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/voipcalc.h"

#define EXIT_USAGE	2

static void
usage(FILE *f)
{
	const char *name, *aliases, *desc;
	unsigned i;

	fprintf(f,
	    "usage: voipcalc [options]\n"
	    "Bandwidth of RTP voice streams on the wire.\n"
	    "\n"
	    "  -c, --codec NAME     codec (default g711), see below\n"
	    "  -p, --ptime MS       packetization time (default: codec's)\n"
	    "  -b, --bitrate KBPS   codec bit rate, for opus, speex, custom\n"
	    "  -r, --rate HZ        sample rate for l16 (default 8000)\n"
	    "  -6, --ipv6           IPv6 (40-byte header) instead of IPv4 (20)\n"
	    "  -l, --link TYPE      link layer per packet: ethernet (18 =\n"
	    "                       14 header + 4 FCS, the default), dot1q (22),\n"
	    "                       ppp (7 = MLPPP/FRF.12 6 + 1 flag, as Cisco),\n"
	    "                       none (0) or a number of bytes\n"
	    "  -e, --extra BYTES    more overhead per packet (tunnel, IPsec)\n"
	    "      --crtp           compressed RTP: IP/UDP/RTP in 2 bytes\n"
	    "      --vad FACTOR     fraction of time talking, 0 < F <= 1\n"
	    "  -n, --calls N        number of calls (default 1)\n"
	    "  -j, --json           print one JSON object\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "A call is two streams, one each way. Codecs:\n");
	for (i = 0; voipcalc_codec_info(i, &name, &aliases, &desc); i++) {
		fprintf(f, "  %-9s %s\n", name, desc);
		if (*aliases != '\0')
			fprintf(f, "  %-9s (also: %s)\n", "", aliases);
	}
}

static void
die_usage(const char *what, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "voipcalc: %s: %s\n", what, arg);
	else
		fprintf(stderr, "voipcalc: %s\n", what);
	fprintf(stderr, "try 'voipcalc --help'\n");
	exit(EXIT_USAGE);
}

static unsigned long
parse_uint(const char *s, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		die_usage(what, s);
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		die_usage(what, s);
	return v;
}

static double
parse_double(const char *s, const char *what)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
		die_usage(what, s);
	return v;
}

/* A number with at most three decimals and no trailing zeros. */
static const char *
num(char *buf, size_t len, double v)
{
	char *p;

	snprintf(buf, len, "%.3f", v);
	if (strchr(buf, '.') != NULL) {
		p = buf + strlen(buf) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	return buf;
}

static void
print_table(const struct vc_result *r)
{
	char a[32], b[64];

	printf("%-16s %s (%s)\n", "codec", r->codec, r->desc);
	if (r->frames > 0)
		printf("%-16s %u ms (%u frame%s)\n", "ptime", r->ptime_ms,
		    r->frames, r->frames == 1 ? "" : "s");
	else
		printf("%-16s %u ms\n", "ptime", r->ptime_ms);
	printf("%-16s %u bytes (%s kbit/s)\n", "payload", r->payload_bytes,
	    num(a, sizeof(a), r->payload_kbps));
	if (r->crtp_bytes > 0)
		printf("%-16s cRTP %u, link %u, extra %u\n", "headers",
		    r->crtp_bytes, r->link_bytes, r->extra_bytes);
	else
		printf("%-16s RTP %u, UDP %u, IPv%c %u, link %u, extra %u\n",
		    "headers", r->rtp_bytes, r->udp_bytes,
		    r->ip_bytes == VC_IPV6_HDR ? '6' : '4', r->ip_bytes,
		    r->link_bytes, r->extra_bytes);
	printf("%-16s %u bytes\n", "packet on wire", r->packet_bytes);
	printf("%-16s %s\n", "packets/s", num(a, sizeof(a), r->pps));
	if (r->vad < 1.0)
		printf("%-16s %s of the time talking\n", "VAD",
		    num(a, sizeof(a), r->vad));
	printf("%-16s %s kbit/s\n", "per stream",
	    num(a, sizeof(a), r->stream_kbps));
	printf("%-16s %s kbit/s\n", "per call",
	    num(a, sizeof(a), r->call_kbps));
	snprintf(b, sizeof(b), "%u call%s", r->calls, r->calls == 1 ? "" : "s");
	printf("%-16s %s kbit/s\n", b, num(a, sizeof(a), r->total_kbps));
}

static void
print_json(const struct vc_result *r)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];

	/* Codec names and descriptions are ours: nothing to escape. */
	printf("{\"codec\":\"%s\",\"description\":\"%s\","
	    "\"bitrate_bps\":%u,\"ptime_ms\":%u,\"frames\":%u,"
	    "\"payload_bytes\":%u,"
	    "\"headers\":{\"rtp\":%u,\"udp\":%u,\"ip\":%u,\"crtp\":%u,"
	    "\"link\":%u,\"extra\":%u},"
	    "\"packet_bytes\":%u,\"pps\":%s,\"vad\":%s,\"calls\":%u,"
	    "\"payload_kbps\":%s,\"stream_kbps\":%s,\"call_kbps\":%s,"
	    "\"total_kbps\":%s}\n",
	    r->codec, r->desc, r->bitrate_bps, r->ptime_ms, r->frames,
	    r->payload_bytes, r->rtp_bytes, r->udp_bytes, r->ip_bytes,
	    r->crtp_bytes, r->link_bytes, r->extra_bytes, r->packet_bytes,
	    num(a, sizeof(a), r->pps), num(b, sizeof(b), r->vad), r->calls,
	    num(c, sizeof(c), r->payload_kbps),
	    num(d, sizeof(d), r->stream_kbps),
	    num(e, sizeof(e), r->call_kbps),
	    num(f, sizeof(f), r->total_kbps));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "codec",	required_argument,	NULL, 'c' },
		{ "ptime",	required_argument,	NULL, 'p' },
		{ "bitrate",	required_argument,	NULL, 'b' },
		{ "rate",	required_argument,	NULL, 'r' },
		{ "ipv6",	no_argument,		NULL, '6' },
		{ "link",	required_argument,	NULL, 'l' },
		{ "extra",	required_argument,	NULL, 'e' },
		{ "crtp",	no_argument,		NULL, 'C' },
		{ "vad",	required_argument,	NULL, 'V' },
		{ "calls",	required_argument,	NULL, 'n' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct vc_params p;
	struct vc_result r;
	enum vc_error err;
	bool json = false;
	double kbps;
	int ch, link;

	memset(&p, 0, sizeof(p));
	p.codec = "g711";
	p.link_bytes = VC_LINK_ETHERNET;
	p.vad = 1.0;
	p.calls = 1;
	opterr = 0;	/* our own messages, and exit 2 */
	while ((ch = getopt_long(argc, argv, ":c:p:b:r:6l:e:n:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			p.codec = optarg;
			break;
		case 'p':
			p.ptime_ms = (unsigned)parse_uint(optarg, VC_PTIME_MAX,
			    "bad --ptime (1..1000 ms)");
			if (p.ptime_ms == 0)
				die_usage("bad --ptime (1..1000 ms)", optarg);
			break;
		case 'b':
			kbps = parse_double(optarg, "bad --bitrate (kbit/s)");
			if (!(kbps > 0.0 && kbps <= 100000.0))
				die_usage("bad --bitrate (kbit/s)", optarg);
			p.bitrate_bps = (uint32_t)lround(kbps * 1000.0);
			break;
		case 'r':
			p.sample_rate = (uint32_t)parse_uint(optarg, 192000,
			    "bad --rate (Hz)");
			break;
		case '6':
			p.ipv6 = true;
			break;
		case 'l':
			if ((link = voipcalc_link_parse(optarg)) < 0)
				die_usage("bad --link (ethernet, dot1q, ppp, "
				    "none or 0..1500 bytes)", optarg);
			p.link_bytes = (unsigned)link;
			break;
		case 'e':
			p.extra_bytes = (unsigned)parse_uint(optarg,
			    VC_EXTRA_MAX, "bad --extra (0..1500 bytes)");
			break;
		case 'C':
			p.crtp = true;
			break;
		case 'V':
			p.vad = parse_double(optarg, "bad --vad (0 < F <= 1)");
			if (!(p.vad > 0.0 && p.vad <= 1.0))
				die_usage("bad --vad (0 < F <= 1)", optarg);
			break;
		case 'n':
			p.calls = (uint32_t)parse_uint(optarg, VC_CALLS_MAX,
			    "bad --calls (1..10000000)");
			if (p.calls == 0)
				die_usage("bad --calls (1..10000000)", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			die_usage("option needs a value", argv[optind - 1]);
			break;
		default:
			die_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);

	if ((err = voipcalc(&p, &r)) != VC_OK) {
		fprintf(stderr, "voipcalc: %s: %s\n", p.codec,
		    voipcalc_strerror(err));
		/* Say what the codec accepts. */
		if (err == VC_EPTIME_FRAME || err == VC_EBITRATE ||
		    err == VC_ENEED_BITRATE || err == VC_EPTIME_SAMPLES)
			fprintf(stderr, "voipcalc: %s: %s\n", r.codec, r.desc);
		return EXIT_USAGE;
	}
	if (json)
		print_json(&r);
	else
		print_table(&r);
	return fflush(stdout) == 0 ? 0 : 1;
}
