/*
 * rtproam-ctl - the operator's view of a running relay.
 *
 * It speaks the rtpproxy control protocol the SIP proxy uses, so it works
 * on any control socket the relay listens on and needs no other channel.
 * Each sub-command is one or a few protocol commands (I, Il, Qv, D) whose
 * replies are printed as an aligned table or as JSON. Only `delete` and
 * whatever `raw` sends change anything on the relay.
 *
 * Exit 0 on success, 1 when the relay cannot be reached or answers with
 * an error, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "ctl_format.h"
#include "ctl_transport.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define DEFAULT_SOCKET	"udp:127.0.0.1:22222"
#define REPLY_MAX	65536	/* a datagram: `Il` fills up to 65000 */
#define QNAMES_PER_CMD	13	/* the relay takes at most 16 names per Q */
#define ROWS_MAX	2048	/* media lines kept from one listing */
#define KV_MAX		32	/* "name: value" lines of an I reply */

static struct target	 target;
static bool		 json;
static char		 reply[REPLY_MAX + 1];
static char		 listing[REPLY_MAX + 1];	/* the last `Il` reply */
static struct row	 rows[ROWS_MAX];
static unsigned		 nrows;
static unsigned long	 list_more;	/* media the relay left out */

/*
 * Named Q fields (qfields[] in src/ctl_rtpp.c): those of the whole media,
 * then those asked once per side with an _a/_o suffix. Side a is the
 * party of the first tag; each side's figures describe what it sends.
 */
static const char *const media_fields[] = { "ttl", "nrelayed", "ndropped",
    "ninvalid" };
enum unit { U_NUM, U_MS, U_RTT, U_FRAC, U_LOSS };
/* Indices into side_fields[], in its order. */
enum { S_PKTS, S_HANDOVERS, S_EXPECTED, S_LOST, S_JITTER, S_MAXJITTER, S_WIRE,
	S_RTT, S_RLOST, S_RFRACTION, S_RJITTER };
static const struct {
	const char	*name;
	const char	*label;
	enum unit	 unit;
} side_fields[] = {
	{ "npkts_in", "packets in", U_NUM },
	{ "handovers", "handovers", U_NUM },
	{ "expected", "rtp expected", U_NUM },
	{ "lost", "rtp lost", U_LOSS },
	{ "jitter_us", "jitter", U_MS },
	{ "maxjitter_us", "max jitter", U_MS },
	{ "wire_bytes", "bytes in on the wire", U_NUM },
	{ "rtt_us", "rtt relay<->party", U_RTT },
	/* What the party's RTCP says about the stream it receives. */
	{ "rlost", "it reports lost", U_NUM },
	{ "rfraction", "it reports loss (last)", U_FRAC },
	{ "rjitter_us", "it reports jitter", U_MS },
};
#define NMEDIA	(sizeof(media_fields) / sizeof(media_fields[0]))
#define NSIDE	(sizeof(side_fields) / sizeof(side_fields[0]))
#define NQ	(NMEDIA + 2 * NSIDE)
#define SIDE(vals, f, s) ((vals)[NMEDIA + (size_t)(s) * NSIDE + (size_t)(f)])

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rtproam-ctl [-s SOCKET] [-j] COMMAND [ARGS]\n"
	    "Look at and steer a running rtproam over its control socket.\n"
	    "\n"
	    "  -s, --socket SOCKET  udp:HOST:PORT, udp6:[ADDR]:PORT,\n"
	    "                       tcp:HOST:PORT, unix:PATH or cunix:PATH\n"
	    "                       (default %s)\n"
	    "  -j, --json           print JSON instead of tables\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Commands:\n"
	    "  info                 totals (I)\n"
	    "  list                 one row per media line of every call (Il)\n"
	    "  ha                   call state in Redis: up or down since when,\n"
	    "                       writes, errors, restored and rejected records\n"
	    "  show CALLID          per-side quality figures of one call (Qv)\n"
	    "  delete CALLID FTAG [TTAG]\n"
	    "                       end a call, or the media of one tag (D)\n"
	    "  watch [--interval S] [--count N]\n"
	    "                       totals and rates every S seconds (default 1),\n"
	    "                       N lines (default 10, 0: until interrupted)\n"
	    "  raw WORD...          send one protocol command, print the reply\n"
	    "\n"
	    "Exit status: 0 ok, 1 relay unreachable or error reply, 2 usage.\n",
	    DEFAULT_SOCKET);
}

static void die_usage(const char *, const char *) __attribute__((noreturn));

static void
die_usage(const char *what, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "rtproam-ctl: %s: %s\n", what, arg);
	else
		fprintf(stderr, "rtproam-ctl: %s\n", what);
	fprintf(stderr, "try 'rtproam-ctl --help'\n");
	exit(EXIT_USAGE);
}

/*
 * Send one command; the reply, NUL-terminated and without its final
 * newline, is in reply[]. Returns 0, or -1 (already reported).
 */
static int
request(const char *cmd)
{
	int rc = ctl_request(&target, cmd, reply, sizeof(reply));

	if (rc == -2)
		die_usage("command too long", NULL);
	return rc;
}

/* An E<n> reply: say what it means and return 1; otherwise 0. */
static int
error_reply(const char *what)
{
	long code;
	char *end;

	if (reply[0] != 'E' || reply[1] < '0' || reply[1] > '9')
		return 0;
	errno = 0;
	code = strtol(reply + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	fprintf(stderr, "rtproam-ctl: %s: relay answered E%ld: %s\n", what,
	    code, ctl_error_text(code));
	return 1;
}

/* A request whose error reply is a failure. Returns 0 or EXIT_FAIL. */
static int
query(const char *cmd, const char *what)
{
	return request(cmd) != 0 || error_reply(what) ? EXIT_FAIL : 0;
}

/*
 * I, as a table or JSON. `prefix` (e.g. "ha "): only those keys, with the
 * prefix cut off; none there prints `off` (ha: the relay runs without --redis).
 */
static int
cmd_info(const char *prefix)
{
	struct kv kv[KV_MAX];
	char *rest;
	const char *k;
	size_t plen = prefix ? strlen(prefix) : 0;
	unsigned n, i, shown = 0;
	int w = 0;

	if (query("I", prefix ? "ha" : "info") != 0)
		return EXIT_FAIL;
	n = ctl_parse_kv(reply, kv, KV_MAX, &rest);
	for (i = 0; i < n; i++)
		if ((!prefix || strncmp(kv[i].key, prefix, plen) == 0) &&
		    (int)(strlen(kv[i].key) - plen) > w)
			w = (int)(strlen(kv[i].key) - plen);
	for (i = 0; i < n; i++) {
		if (prefix && strncmp(kv[i].key, prefix, plen) != 0)
			continue;
		k = kv[i].key + plen;
		if (!json) {
			printf("%-*s  %s\n", w, k, kv[i].val);
			shown++;
			continue;
		}
		fputs(shown++ ? "," : "{", stdout);
		ctl_json_str(stdout, k, true);
		putchar(':');
		ctl_json_val(stdout, kv[i].val);
	}
	if (prefix && shown == 0)
		fputs(json ? "{\"redis\":\"off\"}\n" : "redis  off (no --redis)\n", stdout);
	else if (json)
		fputs(shown ? "}\n" : "{}\n", stdout);
	return 0;
}

/* Run Il and split its media lines into rows[]. */
static int
load_list(void)
{
	struct kv kv[KV_MAX];
	char *rest;

	nrows = 0;
	list_more = 0;
	if (query("Il", "list") != 0)
		return EXIT_FAIL;
	/* Rows point into it: keep it apart from the replies to come. */
	memcpy(listing, reply, sizeof(listing));
	/* The totals come first; the media lines follow. */
	(void)ctl_parse_kv(listing, kv, KV_MAX, &rest);
	if (rest != NULL)
		nrows = ctl_parse_list(rest, rows, ROWS_MAX, &list_more);
	if (list_more > 0)
		fprintf(stderr, "rtproam-ctl: %lu more media not listed: the "
		    "relay's reply is full\n", list_more);
	return 0;
}

static int
cmd_list(void)
{
	if (load_list() != 0)
		return EXIT_FAIL;
	ctl_print_list(stdout, rows, nrows, json);
	return 0;
}

/* Name of Q field i: media_fields, then side_fields for a, then for o. */
static const char *
qname(size_t i, char *buf, size_t len)
{
	if (i < NMEDIA)
		return media_fields[i];
	i -= NMEDIA;
	/* The relay says npkts_ina/npkts_ino, without an underscore. */
	snprintf(buf, len, "%s%s%c", side_fields[i % NSIDE].name,
	    i % NSIDE == S_PKTS ? "" : "_", i < NSIDE ? 'a' : 'o');
	return buf;
}

/* Ask the relay every field of one media, a dozen at a time. */
static int
query_media(const struct row *row, int64_t *vals)
{
	char cmd[CMD_MAX], name[32], tag[2][256], *tok, *save, *eq;
	size_t first, i, k, off;

	/*
	 * The relay looks the media up by its first tag; an unanswered
	 * call has no second one, so the first stands in for it.
	 */
	ctl_split_pair(row->v[L_TAGS], tag[0], tag[1], sizeof(tag[0]));
	if (strcmp(tag[1], "-") == 0)
		memcpy(tag[1], tag[0], sizeof(tag[1]));
	for (first = 0; first < NQ; first += QNAMES_PER_CMD) {
		off = (size_t)snprintf(cmd, sizeof(cmd), "Qv %s %s;%s %s;%s",
		    row->v[L_CALL], tag[0], row->v[L_MEDIA], tag[1],
		    row->v[L_MEDIA]);
		for (i = first; i < NQ && i < first + QNAMES_PER_CMD &&
		    off < sizeof(cmd); i++)
			off += (size_t)snprintf(cmd + off, sizeof(cmd) - off,
			    " %s", qname(i, name, sizeof(name)));
		if (off >= sizeof(cmd))
			die_usage("call-id too long", NULL);
		if (query(cmd, "show") != 0)
			return EXIT_FAIL;
		for (tok = strtok_r(reply, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if ((eq = strchr(tok, '=')) == NULL || !ctl_is_int(eq + 1))
				continue;
			*eq = '\0';
			for (k = first; k < i; k++)
				if (strcmp(tok, qname(k, name, sizeof(name))) == 0)
					vals[k] = strtoll(eq + 1, NULL, 10);
		}
	}
	return 0;
}

static double
pct(int64_t part, int64_t whole)
{
	return whole > 0 && part > 0 ? 100.0 * (double)part / (double)whole : 0;
}

/* One per-side figure with its unit. */
static const char *
side_str(const int64_t *vals, size_t f, unsigned s, char *buf, size_t len)
{
	int64_t v = SIDE(vals, f, s);

	switch (side_fields[f].unit) {
	case U_MS:
		snprintf(buf, len, "%.3f ms", (double)v / 1000.0);
		break;
	case U_RTT:
		/* 0 is how the relay says "not measured yet". */
		if (v <= 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.3f ms", (double)v / 1000.0);
		break;
	case U_FRAC:
		snprintf(buf, len, "%.2f %%", (double)v * 100.0 / 256.0);
		break;
	case U_LOSS:
		snprintf(buf, len, "%" PRId64 " (%.2f %%)", v,
		    pct(v, SIDE(vals, S_EXPECTED, s)));
		break;
	case U_NUM:
		snprintf(buf, len, "%" PRId64, v);
		break;
	}
	return buf;
}

static void
show_table(const struct row *row, const int64_t *vals)
{
	static const unsigned pairs[] = { L_TAGS, L_PEERS, L_RTCP };
	static const char *const labels[] = { "tag", "rtp peer", "rtcp peer" };
	char a[128], o[128];
	size_t f;

	printf("call %s  media %s  ttl %" PRId64 " s  relayed %" PRId64
	    "  dropped %" PRId64 "  invalid %" PRId64 "\n", row->v[L_CALL],
	    row->v[L_MEDIA], vals[0], vals[1], vals[2], vals[3]);
	printf("  %-24s %-22s %s\n", "side", "a", "o");
	for (f = 0; f < sizeof(pairs) / sizeof(pairs[0]); f++) {
		ctl_split_pair(row->v[pairs[f]], a, o, sizeof(a));
		printf("  %-24s %-22s %s\n", labels[f], a, o);
	}
	for (f = 0; f < NSIDE; f++)
		printf("  %-24s %-22s %s\n", side_fields[f].label,
		    side_str(vals, f, 0, a, sizeof(a)),
		    side_str(vals, f, 1, o, sizeof(o)));
}

static void
show_json(const struct row *row, const int64_t *vals)
{
	char tag[2][256];
	size_t i;
	unsigned s;

	fputs("{\"media\":", stdout);
	ctl_json_val(stdout, row->v[L_MEDIA]);
	fputs(",\"tags\":", stdout);
	ctl_json_pair(stdout, row->v[L_TAGS]);
	fputs(",\"peers\":", stdout);
	ctl_json_pair(stdout, row->v[L_PEERS]);
	fputs(",\"rtcp_peers\":", stdout);
	ctl_json_pair(stdout, row->v[L_RTCP]);
	for (i = 0; i < NMEDIA; i++)
		printf(",\"%s\":%" PRId64, media_fields[i], vals[i]);
	ctl_split_pair(row->v[L_TAGS], tag[0], tag[1], sizeof(tag[0]));
	for (s = 0; s < 2; s++) {
		printf(",\"%c\":{\"tag\":", s ? 'o' : 'a');
		ctl_json_val(stdout, tag[s]);
		for (i = 0; i < NSIDE; i++) {
			printf(",\"%s\":", side_fields[i].name);
			/* 0 is how the relay says "not measured yet". */
			if (side_fields[i].unit == U_RTT && SIDE(vals, i, s) <= 0)
				fputs("null", stdout);
			else
				printf("%" PRId64, SIDE(vals, i, s));
		}
		printf(",\"loss_pct\":%.4f,\"rfraction_pct\":%.4f}",
		    pct(SIDE(vals, S_LOST, s), SIDE(vals, S_EXPECTED, s)),
		    (double)SIDE(vals, S_RFRACTION, s) * 100.0 / 256.0);
	}
	putchar('}');
}

static int
cmd_show(const char *callid)
{
	int64_t vals[NQ];
	unsigned r, found = 0;

	if (load_list() != 0)
		return EXIT_FAIL;
	for (r = 0; r < nrows; r++) {
		if (strcmp(rows[r].v[L_CALL], callid) != 0)
			continue;
		memset(vals, 0, sizeof(vals));
		if (query_media(&rows[r], vals) != 0)
			return EXIT_FAIL;
		if (json && found == 0) {
			fputs("{\"call\":", stdout);
			ctl_json_str(stdout, callid, false);
			fputs(",\"media\":[", stdout);
		}
		if (json) {
			fputs(found ? "," : "", stdout);
			show_json(&rows[r], vals);
		} else {
			fputs(found ? "\n" : "", stdout);
			show_table(&rows[r], vals);
		}
		found++;
	}
	if (found == 0) {
		fprintf(stderr, "rtproam-ctl: show: no call %s on the relay%s\n",
		    callid, list_more ? " (or beyond the truncated listing)" : "");
		return EXIT_FAIL;
	}
	if (json)
		fputs("]}\n", stdout);
	return 0;
}

/* Join words into one command line. */
static void
join(char *cmd, size_t len, int argc, char **argv)
{
	size_t off = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (off + n + 2 > len)
			die_usage("command too long", NULL);
		if (i > 0)
			cmd[off++] = ' ';
		memcpy(cmd + off, argv[i], n);
		off += n;
	}
	cmd[off] = '\0';
}

static int
cmd_delete(int argc, char **argv)
{
	char cmd[CMD_MAX] = "D ";

	if (argc < 2 || argc > 3)
		die_usage("delete wants CALLID FTAG [TTAG]", NULL);
	join(cmd + 2, sizeof(cmd) - 2, argc, argv);
	if (query(cmd, "delete") != 0)
		return EXIT_FAIL;
	fputs(json ? "{\"deleted\":true}\n" : "deleted\n", stdout);
	return 0;
}

static int
cmd_raw(int argc, char **argv)
{
	char cmd[CMD_MAX];

	if (argc < 1)
		die_usage("raw wants a command", NULL);
	join(cmd, sizeof(cmd), argc, argv);
	if (request(cmd) != 0)
		return EXIT_FAIL;
	if (json) {
		fputs("{\"command\":", stdout);
		ctl_json_str(stdout, cmd, false);
		fputs(",\"reply\":", stdout);
		ctl_json_str(stdout, reply, false);
		fputs("}\n", stdout);
	} else
		printf("%s\n", reply);
	/* The reply is printed either way; an error also sets the status. */
	return error_reply("raw") ? EXIT_FAIL : 0;
}

struct sample {
	uint64_t	 at_ms;
	int64_t		 calls, rx, tx, dropped, handovers;
};

static int
take_sample(struct sample *s)
{
	static const char *const keys[] = { "active sessions",
	    "packets received", "packets transmitted", "packets dropped",
	    "handovers" };
	int64_t *dst[] = { &s->calls, &s->rx, &s->tx, &s->dropped,
	    &s->handovers };
	struct kv kv[KV_MAX];
	char *rest;
	unsigned n, i, k;

	if (query("I", "watch") != 0)
		return EXIT_FAIL;
	s->at_ms = ctl_mono_ms();
	n = ctl_parse_kv(reply, kv, KV_MAX, &rest);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		*dst[k] = 0;
		for (i = 0; i < n; i++)
			if (strcmp(kv[i].key, keys[k]) == 0)
				*dst[k] = strtoll(kv[i].val, NULL, 10);
	}
	return 0;
}

static void
parse_watch(int argc, char **argv, double *interval, unsigned long *count)
{
	const char *arg;
	char *end;
	bool iv;
	int k;

	for (k = 0; k < argc; k++) {
		iv = strcmp(argv[k], "--interval") == 0 ||
		    strcmp(argv[k], "-i") == 0;
		if (!iv && strcmp(argv[k], "--count") != 0 &&
		    strcmp(argv[k], "-c") != 0)
			die_usage("watch: unknown argument", argv[k]);
		if (k + 1 == argc)
			die_usage("watch: missing value for", argv[k]);
		arg = argv[++k];
		errno = 0;
		if (iv) {
			*interval = strtod(arg, &end);
			if (errno != 0 || end == arg || *end != '\0' ||
			    !isfinite(*interval) || *interval < 0.01 ||
			    *interval > 86400)
				die_usage("watch: interval from 0.01 to 86400 s",
				    arg);
		} else {
			*count = strtoul(arg, &end, 10);
			if (errno != 0 || end == arg || *end != '\0' ||
			    arg[0] == '-')
				die_usage("watch: bad count", arg);
		}
	}
}

static int
cmd_watch(int argc, char **argv)
{
	struct sample prev, cur;
	struct timespec ts;
	struct tm tm;
	time_t now;
	double interval = 1.0, dt, in, out, drops;
	unsigned long count = 10, i;
	char when[16];

	parse_watch(argc, argv, &interval, &count);
	ts.tv_sec = (time_t)interval;
	ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
	if (take_sample(&prev) != 0)
		return EXIT_FAIL;
	if (!json)
		printf("%-8s  %6s  %9s  %11s  %8s  %9s\n", "time", "calls",
		    "pps in", "pps relayed", "drops/s", "handovers");
	/* count 0 runs until a signal ends us, as the operator asked. */
	for (i = 0; count == 0 || i < count; i++) {
		/* A signal that does not kill us only shortens one interval. */
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			return EXIT_FAIL;
		if (take_sample(&cur) != 0)
			return EXIT_FAIL;
		dt = cur.at_ms > prev.at_ms ?
		    (double)(cur.at_ms - prev.at_ms) / 1000.0 : interval;
		in = (double)(cur.rx - prev.rx) / dt;
		out = (double)(cur.tx - prev.tx) / dt;
		drops = (double)(cur.dropped - prev.dropped) / dt;
		now = time(NULL);
		if (now == (time_t)-1 || localtime_r(&now, &tm) == NULL ||
		    strftime(when, sizeof(when), "%H:%M:%S", &tm) == 0)
			snprintf(when, sizeof(when), "-");
		if (json)
			printf("{\"time\":\"%s\",\"active_calls\":%" PRId64
			    ",\"pps_in\":%.1f,\"pps_relayed\":%.1f,"
			    "\"drops_per_s\":%.1f,\"handovers\":%" PRId64
			    ",\"new_handovers\":%" PRId64 "}\n", when, cur.calls,
			    in, out, drops, cur.handovers,
			    cur.handovers - prev.handovers);
		else
			printf("%-8s  %6" PRId64 "  %9.1f  %11.1f  %8.1f  %9"
			    PRId64 "\n", when, cur.calls, in, out, drops,
			    cur.handovers);
		/* Line by line: watch is often piped into something. */
		if (fflush(stdout) != 0)
			return EXIT_FAIL;
		prev = cur;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *spec = DEFAULT_SOCKET, *cmd, *what;
	int ch, rc, nargs;

	opterr = 0;	/* our own messages, and exit 2 */
	/* '+': stop at the command, so `raw` words may start with '-'. */
	while ((ch = getopt_long(argc, argv, "+:s:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			spec = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
		case ':':
			die_usage("option needs a value", argv[optind - 1]);
			break;
		default:
			die_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die_usage("no command given", NULL);
	if ((what = ctl_target_parse(spec, &target)) != NULL)
		die_usage(what, spec);
	cmd = argv[optind++];
	nargs = argc - optind;
	argv += optind;
	if ((strcmp(cmd, "info") == 0 || strcmp(cmd, "list") == 0 ||
	    strcmp(cmd, "ha") == 0) && nargs)
		die_usage("no arguments expected after", cmd);
	if (strcmp(cmd, "show") == 0 && nargs != 1)
		die_usage("show wants one CALLID", NULL);
	if (strcmp(cmd, "info") == 0)
		rc = cmd_info(NULL);
	else if (strcmp(cmd, "ha") == 0)
		rc = cmd_info("ha ");
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list();
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(argv[0]);
	else if (strcmp(cmd, "delete") == 0)
		rc = cmd_delete(nargs, argv);
	else if (strcmp(cmd, "watch") == 0)
		rc = cmd_watch(nargs, argv);
	else if (strcmp(cmd, "raw") == 0)
		rc = cmd_raw(nargs, argv);
	else
		die_usage("unknown command", cmd);
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("rtproam-ctl: stdout");
		return EXIT_FAIL;
	}
	return rc;
}
