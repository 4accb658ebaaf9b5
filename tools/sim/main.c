/*
 * rtproam-sim - two simulated phones, their handovers and a blind
 * attacker, run through any relay that speaks the rtpproxy control
 * protocol over UDP (rtproam, rtpproxy, rtpengine's --listen-udp) or
 * rtpengine's ng protocol over UDP (rtproam --ng, rtpengine --listen-ng).
 *
 * It sets up one call the way Kamailio would (U for A's offer, L for B's
 * answer; or an ng offer with A's SDP and an answer with B's), streams 20 ms PCMU both ways with RTCP sender reports, moves
 * one phone to new addresses at given times, optionally sprays the
 * relay's ports from an attacker address, and reports per direction and
 * per move what arrived where and when. It judges nothing: the exit
 * status only says whether the run happened.
 *
 * Only loopback addresses are used; 127.0.0.0/8 gives each simulated
 * network its own source IP. Everything is bounded by --duration.
 *
 * Every packet carries a marker naming its sender, its index and the
 * address it left from (sim_metrics.h), so the receiver counts
 * exactly rather than guessing by SSRC, which an attacker may copy.
 * A move with `reinvite` sends what a proxy would for a re-INVITE from
 * the mover: U with its new address, then L with the other party's
 * address (over ng: a re-offer with the to-tag set, then an answer);
 * either reply may change the ports the phones send to.
 *
 * The parts are listed in sim.h; the JSON keys in sim_report.h.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "packet/rtp.h"
#include "sim.h"

#define BATCH		32
#define MAX_DURATION_MS	600000

volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
sock_drain(struct sim *s, const struct sock *k)
{
	static uint8_t bufs[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct phone *p;
	int64_t now;
	int i, n, round;

	/* Bounded: level-triggered epoll brings us back for the rest. */
	for (round = 0; round < 8; round++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = PKT_MAX;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(k->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			/* ICMP errors from our own sends surface here. */
			if (!recv_errno_ok(errno))
				warn("recvmmsg");
			return;
		}
		now = rel_us(s);
		for (i = 0; i < n; i++) {
			switch (k->owner) {
			case OWN_PHONE_A:
			case OWN_PHONE_B:
				p = &s->ph[k->owner == OWN_PHONE_B];
				if (k->rtcp)
					phone_rx_rtcp(s, p, k->ep, bufs[i],
					    msgs[i].msg_len, now);
				else
					phone_rx_rtp(s, p, k->ep, bufs[i],
					    msgs[i].msg_len, now);
				break;
			case OWN_ATTACKER:
				atk_rx(s, bufs[i], msgs[i].msg_len, now);
				break;
			case OWN_CTL:
				break;
			}
		}
		if (n < BATCH)
			return;
	}
}

static void
run(struct sim *s)
{
	struct epoll_event evs[64];
	int64_t now, next, end, t, wait;
	int i, n, guard;

	end = s->duration_us + s->linger_us;
	/*
	 * One pass per event or millisecond at least; the guard only stops
	 * a runaway loop (e.g. a clock that does not advance).
	 */
	for (guard = 0; guard < 100000000 && !stop_flag; guard++) {
		now = rel_us(s);
		if (now >= end)
			break;
		moves_tick(s, now);
		phone_tick(s, &s->ph[0], now);
		phone_tick(s, &s->ph[1], now);
		atk_tick(s, now);
		txn_tick(s);

		next = end;
		if ((t = moves_next(s)) < next)
			next = t;
		if ((t = phone_next(s, &s->ph[0])) < next)
			next = t;
		if ((t = phone_next(s, &s->ph[1])) < next)
			next = t;
		if ((t = atk_next(s)) < next)
			next = t;
		if (txn_pending(s) &&
		    (t = s->txn[s->txn_head].next - s->t0) < next)
			next = t;
		now = rel_us(s);
		wait = next > now ? (next - now + 999) / 1000 : 0;
		if (wait > 100)
			wait = 100;
		n = epoll_wait(s->epfd, evs, 64, (int)wait);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 >= (uint32_t)s->nsocks)
				continue;
			if (s->socks[evs[i].data.u32].owner == OWN_CTL)
				ctl_read(s);
			else
				sock_drain(s, &s->socks[evs[i].data.u32]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rtproam-sim [options]\n"
"Simulate a call between two phones through an rtpproxy- or ng-protocol\n"
"relay, move one phone between addresses, attack the relay's ports, and\n"
"report.\n"
"\n"
"  --relay udp:HOST:PORT   rtpproxy control socket [udp:127.0.0.1:22222]\n"
"  --relay ng:udp:HOST:PORT  ng control socket (also ng:udp6:[ADDR]:PORT)\n"
"  --no-setup              no call setup; use --port-a/--port-b at\n"
"                          --media-addr\n"
"  --port-a P              relay port phone A sends to (with --no-setup)\n"
"  --port-b P              relay port phone B sends to (with --no-setup)\n"
"  --media-addr IP         relay media address [from the replies]\n"
"  --phone-a IP[:PORT]     phone A [127.0.0.2, random even port]\n"
"  --phone-b IP[:PORT]     phone B [127.0.0.3, random even port]\n"
"  --duration S            seconds of media, up to 600 [6]\n"
"  --rtcp-interval MS      RTCP SR period, 0 = none [1000]\n"
"  --move T:KIND[:opts]    move the mover at T ms (repeatable, up to %d)\n"
"                          KIND: port | ip | ipport | back\n"
"                          opts: newssrc, reinvite, overlap=MS, silence=MS\n"
"  --mover a|b             which phone moves [a]\n"
"  --attack KIND[:opts]    garbage | rtpflood | slow | race | rtcpreplay |\n"
"                          ssrcguess; opts: rate=PPS [1000 floods, else 50],\n"
"                          from=IP [127.0.0.66], start=MS [0, race -500],\n"
"                          stop=MS [end], ports=N [32 floods, else 1],\n"
"                          legs=a|b|ab [ab]\n"
"  --window MS             +- span around a move for loss counts [1000]\n"
"  --linger MS             wait for late packets after media ends [400]\n"
"  --callid ID             Call-ID [random]\n"
"  --seed N                random seed, for repeatable runs [random]\n"
"  --json FILE             also write JSON there; '-' = JSON on stdout only\n"
"  --svg FILE              also draw the run there: packets per 20 ms each\n"
"                          way by the mover's address, moves, switches and\n"
"                          the attacker's traffic on a time line\n"
"  --svg-label TEXT        name the relay or run in the picture's title\n"
"  -v, --verbose           log control traffic and moves on stderr\n"
"  -h, --help              this text\n"
"\n"
"Exit: 0 the run completed (judging the numbers is the caller's job),\n"
"1 the relay did not answer the setup or a fatal error, 2 usage error.\n"
"The JSON keys are described in tools/sim/sim_report.h.\n",
	    SIM_MAX_MOVES);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rtproam-sim: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "try 'rtproam-sim --help'\n");
	exit(2);
}

static int64_t
num_opt(const char *name, const char *v, int64_t lo, int64_t hi)
{
	char *ep;
	long long n;

	errno = 0;
	n = strtoll(v, &ep, 10);
	if (*v == '\0' || *ep != '\0' || errno != 0 || n < lo || n > hi)
		usage_err("--%s wants a number in %" PRId64 "..%" PRId64, name,
		    lo, hi);
	return n;
}

static void
phone_opt(const char *name, const char *v, struct addr *a)
{
	if (addr_parse_hostport(a, v, 0, AF_INET) == -1 ||
	    !sim_addr_is_loopback(a))
		usage_err("--%s wants an IPv4 loopback IP[:PORT]", name);
	if (addr_port(a) == 65535)
		usage_err("--%s: the RTCP port would be 65536", name);
}

static int
cmp_move(const void *x, const void *y)
{
	const struct move *a = x, *b = y;

	return (a->spec.at_ms > b->spec.at_ms) -
	    (a->spec.at_ms < b->spec.at_ms);
}

static void
parse_args(struct sim *s, int argc, char **argv)
{
	enum { O_RELAY = 256, O_NOSETUP, O_PORTA, O_PORTB, O_MEDIA, O_PHA,
	    O_PHB, O_DUR, O_RTCP, O_MOVE, O_MOVER, O_ATTACK, O_WINDOW,
	    O_LINGER, O_CALLID, O_SEED, O_JSON, O_SVG, O_SVG_LABEL };
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, O_RELAY },
		{ "no-setup", no_argument, NULL, O_NOSETUP },
		{ "port-a", required_argument, NULL, O_PORTA },
		{ "port-b", required_argument, NULL, O_PORTB },
		{ "media-addr", required_argument, NULL, O_MEDIA },
		{ "phone-a", required_argument, NULL, O_PHA },
		{ "phone-b", required_argument, NULL, O_PHB },
		{ "duration", required_argument, NULL, O_DUR },
		{ "rtcp-interval", required_argument, NULL, O_RTCP },
		{ "move", required_argument, NULL, O_MOVE },
		{ "mover", required_argument, NULL, O_MOVER },
		{ "attack", required_argument, NULL, O_ATTACK },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "callid", required_argument, NULL, O_CALLID },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", required_argument, NULL, O_JSON },
		{ "svg", required_argument, NULL, O_SVG },
		{ "svg-label", required_argument, NULL, O_SVG_LABEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[256];
	enum sim_proto proto;
	bool have_seed = false, reinvite = false;
	double d;
	char *ep;
	int c, k;

	s->setup = true;
	s->proto = &ctl_rtpp;
	s->duration_us = 6000000;
	s->rtcp_us = 1000000;
	s->linger_us = 400000;
	s->window_us = 1000000;
	if (sim_relay_parse("udp:127.0.0.1:22222", &s->relay) == -1 ||
	    addr_parse(&s->ph[0].first, "127.0.0.2", 0, AF_INET) == -1 ||
	    addr_parse(&s->ph[1].first, "127.0.0.3", 0, AF_INET) == -1)
		errx(1, "built-in defaults do not parse");

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_RELAY:
			if (sim_relay_parse_proto(optarg, &proto,
			    &s->relay) == -1 || !sim_addr_is_loopback(&s->relay))
				usage_err("--relay wants [ng:]udp:HOST:PORT on"
				    " loopback");
			s->proto = proto == SIM_PROTO_NG ? &ctl_ng : &ctl_rtpp;
			break;
		case O_NOSETUP:
			s->setup = false;
			break;
		case O_PORTA:
			s->port_a = (unsigned)num_opt("port-a", optarg, 1,
			    65534);
			break;
		case O_PORTB:
			s->port_b = (unsigned)num_opt("port-b", optarg, 1,
			    65534);
			break;
		case O_MEDIA:
			if (addr_parse(&s->media, optarg, 0, AF_INET) == -1 ||
			    !sim_addr_is_loopback(&s->media))
				usage_err("--media-addr wants an IPv4 loopback"
				    " IP");
			break;
		case O_PHA:
			phone_opt("phone-a", optarg, &s->ph[0].first);
			break;
		case O_PHB:
			phone_opt("phone-b", optarg, &s->ph[1].first);
			break;
		case O_DUR:
			errno = 0;
			d = strtod(optarg, &ep);
			if (*optarg == '\0' || *ep != '\0' || errno != 0 ||
			    !(d >= 0.1 && d <= MAX_DURATION_MS / 1000))
				usage_err("--duration wants 0.1..%d seconds",
				    MAX_DURATION_MS / 1000);
			s->duration_us = (int64_t)llround(d * 1000.0) * 1000;
			break;
		case O_RTCP:
			s->rtcp_us = 1000 *
			    num_opt("rtcp-interval", optarg, 0, 60000);
			if (s->rtcp_us > 0 && s->rtcp_us < 20000)
				usage_err("--rtcp-interval: 0 or >= 20 ms");
			break;
		case O_MOVE:
			if (s->nmv == SIM_MAX_MOVES)
				usage_err("at most %d moves", SIM_MAX_MOVES);
			if (sim_move_parse(optarg, &s->mv[s->nmv].spec, errbuf,
			    sizeof(errbuf)) == -1)
				usage_err("%s", errbuf);
			reinvite |= s->mv[s->nmv].spec.reinvite;
			s->nmv++;
			break;
		case O_MOVER:
			if (strcasecmp(optarg, "a") == 0)
				s->mover = 0;
			else if (strcasecmp(optarg, "b") == 0)
				s->mover = 1;
			else
				usage_err("--mover wants a or b");
			break;
		case O_ATTACK:
			if (sim_attack_parse(optarg, &s->atk.cfg, errbuf,
			    sizeof(errbuf)) == -1)
				usage_err("%s", errbuf);
			break;
		case O_WINDOW:
			s->window_us = 1000 *
			    num_opt("window", optarg, 0, 60000);
			break;
		case O_LINGER:
			s->linger_us = 1000 *
			    num_opt("linger", optarg, 0, 10000);
			break;
		case O_CALLID:
			if (strlen(optarg) == 0 ||
			    strlen(optarg) >= sizeof(s->callid) ||
			    strpbrk(optarg, " \t\r\n") != NULL)
				usage_err("--callid wants 1..%zu characters, no"
				    " spaces", sizeof(s->callid) - 1);
			memcpy(s->callid, optarg, strlen(optarg) + 1);
			break;
		case O_SEED:
			s->rng = (uint64_t)num_opt("seed", optarg, 0,
			    INT64_MAX);
			have_seed = true;
			break;
		case O_JSON:
			s->json = optarg;
			break;
		case O_SVG:
			s->svg = optarg;
			break;
		case O_SVG_LABEL:
			s->svg_label = optarg;
			break;
		case 'v':
			s->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage_err("unknown option");
		}
	}
	if (optind != argc)
		usage_err("unexpected argument '%s'", argv[optind]);
	if (!s->setup && (s->port_a == 0 || s->port_b == 0))
		usage_err("--no-setup needs --port-a and --port-b");
	if (s->setup && (s->port_a != 0 || s->port_b != 0))
		usage_err("--port-a/--port-b only go with --no-setup");
	if (s->svg_label != NULL && s->svg == NULL)
		usage_err("--svg-label goes with --svg");
	if (!s->setup && reinvite)
		usage_err("a reinvite move needs a call (no --no-setup)");
	if (addr_same_ip(&s->ph[0].first, &s->ph[1].first) &&
	    addr_port(&s->ph[0].first) != 0 &&
	    addr_port(&s->ph[0].first) == addr_port(&s->ph[1].first))
		usage_err("phone A and phone B have the same address");
	for (k = 0; k < s->nmv; k++)
		if (s->mv[k].spec.at_ms * 1000 >= s->duration_us)
			usage_err("move at %" PRId64 " ms: the media ends"
			    " before", s->mv[k].spec.at_ms);
	/* Moves are applied in time order whatever the order given. */
	qsort(s->mv, (size_t)s->nmv, sizeof(s->mv[0]), cmp_move);

	if (!have_seed && getrandom(&s->rng, sizeof(s->rng), 0) !=
	    (ssize_t)sizeof(s->rng))
		err(1, "getrandom");
	/* xorshift must not start at zero. */
	s->rng = s->rng * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (s->rng == 0)
		s->rng = 1;
}

/* ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	static struct sim sim;
	struct sim *s = &sim;
	struct sigaction sa;
	int rc = 0, i;

	s->teardown = -1;
	parse_args(s, argc, argv);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");

	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	s->ctl_fd = socket(addr_family(&s->relay),
	    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->ctl_fd == -1)
		err(1, "socket");
	/* Connected: only the relay's replies reach this socket. */
	if (connect(s->ctl_fd, &s->relay.u.sa, s->relay.len) == -1)
		err(1, "connect %s", addr_str(&s->relay,
		    (char[ADDR_STRLEN]){ 0 }, ADDR_STRLEN));
	sock_add(s, s->ctl_fd, OWN_CTL, -1, false);

	setup_phones(s);
	if (s->atk.cfg.kind != SIM_ATK_NONE)
		atk_open(s);
	/* From the early attacker's first packet to the end of the linger. */
	if (s->svg != NULL && sim_tl_init(&s->tl, s->atk.cfg.kind !=
	    SIM_ATK_NONE && s->atk.cfg.start_ms < 0 ? s->atk.cfg.start_ms *
	    1000 : 0, s->duration_us + s->linger_us) == -1)
		errx(1, "no memory for the timeline of --svg");
	if (setup_call(s) == -1) {
		/* Half a call (U answered, L not) is still relay state. */
		if (s->txn[0].state == TXN_OK)
			teardown(s);
		return 1;
	}

	/* The loop starts early when the attacker is to be first. */
	s->t0 = mono_us();
	if (s->atk.cfg.kind != SIM_ATK_NONE && s->atk.cfg.start_ms < 0)
		s->t0 -= s->atk.cfg.start_ms * 1000;
	run(s);
	teardown(s);
	report(s);

	for (i = 0; i < s->nsocks; i++)
		if (close(s->socks[i].fd) == -1)
			warn("close");
	if (close(s->epfd) == -1)
		warn("close");
	for (i = 0; i < 2; i++)
		sim_flow_free(&s->ph[i].tx);
	sim_tl_free(&s->tl);
	return rc;
}
