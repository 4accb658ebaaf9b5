/*
 * ngbench.c - load generator and meter for a relay's ng control protocol
 * (rtpengine's, ng-protocol.md), so that rtproam and rtpengine can be run
 * through the same calls. One relay per invocation; each run appends one
 * record, and --summary prints the medians of both relays side by side.
 *
 * Per call, as Kamailio 5.6's rtpengine module sends them with the stock
 * NAT flags (ng-protocol.md 4.9, example 1): an offer carrying the
 * caller's SDP, and after its reply an answer carrying the callee's. W
 * commands are in flight from one UDP socket (many SIP workers at once);
 * cookies are "<random>_<seq>"; a command without a reply is resent with
 * the same cookie after a second, five tries in all, as Kamailio does.
 *
 * A run: ping; a cold round (N calls set up and deleted, untimed except
 * for its rate: a fresh process grows its heap then); N calls set up again
 * with new Call-IDs (timed); RSS; RTP both ways through every call for
 * T seconds; a query per call; a delete per call with delete-delay 0.
 *
 * The phones are UDP sockets on 127.0.0.10-25; each advertises its own
 * address and port in its SDP, so a relay can send to it from the first
 * packet. Media follows one schedule as in rtpbench (packet j from stream
 * j mod S, due at t0 + j / (S R)); a phone reads its socket every fourth
 * packet it sends. Sent, relayed (arrived at the other phone of the call)
 * and lost (not arrived 0.5 s after the last send) are counted per run.
 *
 *   ngbench -c 127.0.0.1:13989 -p PID -n 1000 -W 32 -t 5 -l rtproam --record F
 *   ngbench --summary F [--subject rtproam --ref rtpengine]
 */
#include <math.h>
#include <poll.h>
#include <sys/socket.h>

#include "bench.h"
#include "bench_args.h"
#include "bench_phones.h"
#include "ngbench_req.h"
#include "ngbench_report.h"

#define NG_TRIES	5
#define NG_TIMEOUT_NS	NS_PER_S
#define REQ_MAX		2048
#define REPLY_MAX	65536
#define NIPS		16
#define PKT_MIN		20		/* RTP header + stream + sequence */
#define PKT_MAX		1400
#define RX_EVERY	4
#define TICK_NS		(100 * 1000ull)
#define DRAIN_NS	(500 * NS_PER_MS)
#define MAX_PACKETS	(100ull * 1000 * 1000)	/* bounds one media run */
#define SETTLE_POLL_NS	(5 * NS_PER_MS)
#define SETTLE_QUIET_NS	(20 * NS_PER_MS)
#define SETTLE_MAX_NS	NS_PER_S

struct slot {
	bool		 busy;
	unsigned	 call;
	enum ng_step	 step;
	unsigned	 tries;
	uint64_t	 seq;		/* the number in the cookie */
	uint64_t	 first_ns;	/* first send of this command */
	uint64_t	 deadline;
	size_t		 len;
	char		 req[REQ_MAX];
};

/* The options are a subset of rtpbench's struct opts (bench.h). */
struct ngb {
	struct opts	 o;
	int		 fd;
	char		 prefix[12];
	uint64_t	 gen;		/* slot reuses, for fresh cookies */
	struct slot	*slot;
	struct call	*calls;
	unsigned	 salt;		/* makes Call-IDs unique to one round */
	struct hist	*hist;		/* reply latency of the current batch */
	FILE		*trace;		/* --trace: a line per reply, or NULL */
	uint64_t	 batch_ns;	/* when the current batch started */
	/* Counters of the last batch. */
	unsigned	 answered, failed, resent;
	char		 last_error[96];
	/* Media. */
	uint8_t		 pkt[PKT_MAX];
	uint64_t	 sent, relayed, misrouted;
	char		 reply[REPLY_MAX];
};

/* --trace names each command itself. */
static const char *const cmd_name[] = { "offer", "answer", "query", "delete" };

static void
call_names(struct call *k, unsigned c, unsigned salt)
{
	snprintf(k->id, sizeof(k->id), "%08x-%u@ngbench.invalid", salt, c);
	snprintf(k->ftag, sizeof(k->ftag), "a%04x%u", salt & 0xffff, c);
	snprintf(k->ttag, sizeof(k->ttag), "b%04x%u", (salt >> 16) & 0xffff, c);
}

/* Two phones per call, on 16 loopback addresses, ports from the kernel. */
static int
phones_open(struct ngb *b)
{
	unsigned c;

	if ((b->calls = calloc(b->o.calls, sizeof(*b->calls))) == NULL)
		return -1;
	for (c = 0; c < b->o.calls; c++)
		b->calls[c].ph[0].fd = b->calls[c].ph[1].fd = -1;
	for (c = 0; c < b->o.calls; c++)
		if (call_open(&b->calls[c], c, NIPS, b->salt, false) != 0)
			return -1;
	return 0;
}

static void
phones_close(struct ngb *b)
{
	if (b->calls != NULL)
		phones_close_all(b->calls, b->o.calls);
	free(b->calls);
	b->calls = NULL;
}

static void
ng_send(struct ngb *b, struct slot *s, uint64_t now)
{
	s->tries++;
	s->deadline = now + NG_TIMEOUT_NS;
	/* A full socket buffer is one more timeout, not a failure. */
	dgram_send(b->fd, s->req, s->len, "control send");
}

static void
set_error(struct ngb *b, const char *what, size_t len)
{
	snprintf(b->last_error, sizeof(b->last_error), "%.*s",
	    (int)(len < 90 ? len : 90), what);
}

/* Fill the slot with the command of its step and send it. */
static void
ng_issue(struct ngb *b, struct slot *s, uint64_t now)
{
	char cookie[32];

	s->seq = b->gen++ * b->o.window + (uint64_t)(s - b->slot);
	s->tries = 0;
	s->first_ns = now;
	snprintf(cookie, sizeof(cookie), "%s_%llu", b->prefix,
	    (unsigned long long)s->seq);
	if (ng_encode(s->req, sizeof(s->req), &s->len, cookie, &b->calls[s->call],
	    s->call, s->step) != 0) {
		/* Cannot happen with these sizes; count it, do not spin. */
		b->failed++;
		set_error(b, "request too large", 17);
		s->busy = false;
		return;
	}
	ng_send(b, s, now);
}

/* A reply to the slot's command. Returns true when the slot is free. */
static bool
ng_reply(struct ngb *b, struct slot *s, const char *body, size_t len, uint64_t now)
{
	struct call *k = &b->calls[s->call];
	const struct bnode *root, *res, *why;
	struct bdoc d;
	char err[128];
	size_t used;
	bool ok = false, next = false;

	b->answered++;
	hist_add(b->hist, now - s->first_ns);
	if (b->trace != NULL)
		fprintf(b->trace, "%s %u %.1f %.1f %u\n", cmd_name[s->step], s->call,
		    (double)(s->first_ns - b->batch_ns) / 1000.0,
		    (double)(now - s->first_ns) / 1000.0, s->tries);
	bdoc_init(&d);
	if (bencode_decode(&d, body, len, (struct bnode **)&root, &used, err,
	    sizeof(err)) != 0) {
		set_error(b, err, strlen(err));
		goto out;
	}
	res = bn_dict_get(root, "result");
	if (!bn_is_str(res, "ok")) {
		why = bn_dict_get(root, "error-reason");
		if (why == NULL)
			why = bn_dict_get(root, "message");
		if (why != NULL && why->type == BN_STR)
			set_error(b, why->s, why->len);
		else
			set_error(b, "not ok", 6);
		goto out;
	}
	switch (s->step) {
	case NG_OFFER:
		/* The offer's SDP goes to the callee: where it sends. */
		ok = sdp_relay_addr(bn_dict_get(root, "sdp"), &k->ph[1].relay) == 0;
		next = ok;
		break;
	case NG_ANSWER:
		ok = sdp_relay_addr(bn_dict_get(root, "sdp"), &k->ph[0].relay) == 0;
		k->up = ok;
		break;
	case NG_QUERY:
		ok = true;
		break;
	case NG_DELETE:
		/* "ok" with a warning: the relay did not know the call. */
		why = bn_dict_get(root, "warning");
		ok = why == NULL;
		if (!ok && why->type == BN_STR)
			set_error(b, why->s, why->len);
		k->up = false;
		break;
	}
	if (!ok && b->last_error[0] == '\0')
		set_error(b, "no usable SDP in the reply", 26);
out:
	bdoc_free(&d);
	if (next) {
		s->step = NG_ANSWER;
		ng_issue(b, s, now);
		return !s->busy;
	}
	if (!ok)
		b->failed++;
	s->busy = false;
	return true;
}

/* Read every reply waiting on the control socket. */
static void
ng_receive(struct ngb *b, unsigned *inflight, uint64_t now)
{
	size_t plen = strlen(b->prefix);
	unsigned long long seq;
	struct slot *s;
	char *end;
	ssize_t n;
	unsigned guard;

	/* Bounded: at most a few windows' worth per call. */
	for (guard = 0; guard < 64 * b->o.window; guard++) {
		n = recv(b->fd, b->reply, sizeof(b->reply) - 1, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
				fprintf(stderr, "ngbench: control recv: %s\n",
				    strerror(errno));
			return;
		}
		b->reply[n] = '\0';
		if ((size_t)n <= plen || strncmp(b->reply, b->prefix, plen) != 0 ||
		    b->reply[plen] != '_')
			continue;
		seq = strtoull(b->reply + plen + 1, &end, 10);
		if (*end != ' ')
			continue;
		s = &b->slot[seq % b->o.window];
		if (!s->busy || s->seq != seq)
			continue;	/* a reply to a retransmission */
		end++;
		if (ng_reply(b, s, end, (size_t)(b->reply + n - end), now))
			(*inflight)--;
	}
}

/*
 * Run calls [0, N) through `first` (offer, which continues with answer;
 * query; delete) with up to W commands in flight. Returns the elapsed ns.
 */
static uint64_t
ng_batch(struct ngb *b, enum ng_step first)
{
	struct pollfd pfd;
	struct slot *s;
	uint64_t start, now, next;
	unsigned next_call = 0, inflight = 0, i;
	int ms;

	b->answered = b->failed = b->resent = 0;
	b->last_error[0] = '\0';
	memset(b->hist, 0, sizeof(*b->hist));
	b->batch_ns = start = now = mono_ns();
	while ((next_call < b->o.calls || inflight > 0) && !interrupted) {
		/* A relay that answers nothing: give up on the rest. */
		if (b->failed >= b->o.window && b->answered == 0)
			next_call = b->o.calls;
		for (i = 0; i < b->o.window && next_call < b->o.calls; i++) {
			s = &b->slot[i];
			if (s->busy)
				continue;
			/* Queries and deletes only for calls that are up. */
			if (first != NG_OFFER && !b->calls[next_call].up) {
				next_call++;
				continue;
			}
			s->busy = true;
			s->call = next_call++;
			s->step = first;
			inflight++;
			ng_issue(b, s, now);
			if (!s->busy)
				inflight--;
		}
		next = now + NG_TIMEOUT_NS;
		for (i = 0; i < b->o.window; i++)
			if (b->slot[i].busy && b->slot[i].deadline < next)
				next = b->slot[i].deadline;
		ms = next > now ? (int)((next - now) / NS_PER_MS) + 1 : 0;
		pfd.fd = b->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			fprintf(stderr, "ngbench: poll: %s\n", strerror(errno));
			break;
		}
		now = mono_ns();
		ng_receive(b, &inflight, now);
		for (i = 0; i < b->o.window; i++) {
			s = &b->slot[i];
			if (!s->busy || s->deadline > now)
				continue;
			if (s->tries >= NG_TRIES) {
				b->failed++;
				set_error(b, "no reply", 8);
				s->busy = false;
				inflight--;
				continue;
			}
			b->resent++;
			ng_send(b, s, now);
		}
	}
	for (i = 0; i < b->o.window; i++)
		b->slot[i].busy = false;
	return mono_ns() - start;
}

static const char *
step_name(enum ng_step st)
{
	return st == NG_OFFER ? "offer/answer" : st == NG_QUERY ? "query" : "delete";
}

/* One batch; commands per second, failures added to *fails. */
static double
ng_rate(struct ngb *b, enum ng_step first, double *fails, double *relay_ns)
{
	double c0 = proc_cpu_ns(b->o.pid), c1;
	uint64_t ns;

	ns = ng_batch(b, first);
	c1 = proc_cpu_ns(b->o.pid);
	if (relay_ns != NULL)
		*relay_ns = c0 >= 0 && c1 >= 0 ? c1 - c0 : NAN;
	*fails += b->failed;
	if (b->failed > 0)
		fprintf(stderr, "ngbench: %s: %u %s commands failed (last: %s)\n",
		    b->o.label, b->failed, step_name(first), b->last_error);
	if (b->resent > 0)
		fprintf(stderr, "ngbench: %s: %u %s commands resent after 1 s "
		    "without a reply\n", b->o.label, b->resent, step_name(first));
	return ns && b->answered ? (double)b->answered * NS_PER_S / (double)ns : NAN;
}

/* Kamailio's start-up probe. 0 when the relay answered pong. */
static int
ng_ping(struct ngb *b)
{
	char req[64], want[32];
	struct pollfd pfd;
	unsigned try;
	ssize_t n;
	int w;

	w = snprintf(want, sizeof(want), "%s_ping ", b->prefix);
	snprintf(req, sizeof(req), "%sd7:command4:pinge", want);
	for (try = 0; try < NG_TRIES && !interrupted; try++) {
		if (send(b->fd, req, strlen(req), 0) < 0 && errno != ECONNREFUSED)
			break;
		pfd.fd = b->fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, 1000) > 0) {
			if ((n = recv(b->fd, b->reply, sizeof(b->reply) - 1,
			    MSG_DONTWAIT)) < 0)
				break;
			b->reply[n] = '\0';
			if (strncmp(b->reply, want, (size_t)w) == 0)
				return strstr(b->reply + w, "4:pong") != NULL ? 0 : -1;
		}
	}
	return -1;
}

static int
ng_open(struct ngb *b)
{
	struct addr a;
	const char *where = b->o.ctl;

	if (strncmp(where, "udp:", 4) == 0)
		where += 4;
	if (addr_parse_hostport(&a, where, 22222, AF_UNSPEC) != 0) {
		fprintf(stderr, "ngbench: bad control address %s\n", where);
		return -1;
	}
	if ((b->slot = calloc(b->o.window, sizeof(*b->slot))) == NULL ||
	    (b->hist = calloc(1, sizeof(*b->hist))) == NULL)
		return -1;
	snprintf(b->prefix, sizeof(b->prefix), "%08x", b->salt);
	b->fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0 || connect(b->fd, &a.u.sa, a.len) != 0) {
		fprintf(stderr, "ngbench: control socket: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Point both phones of every call that is up at their relay ports. */
static int
phones_connect(struct ngb *b)
{
	unsigned c;

	for (c = 0; c < b->o.calls; c++) {
		b->calls[c].connected = false;
		if (b->calls[c].up && call_connect(&b->calls[c], c) != 0)
			return -1;
	}
	return 0;
}

/* Read what arrived for phone idx (stream idx = 2 x call + side). */
static void
phone_read(struct ngb *b, unsigned idx)
{
	static struct rxbatch rx;
	int n, i;

	n = rx_read(&rx, b->calls[idx / 2].ph[idx % 2].fd, false);
	for (i = 0; i < n; i++) {
		/* Ours: the other phone of the same call sent it. */
		if (rx.m[i].msg_len >= PKT_MIN && rd_be32(rx.buf[i] + 12) == (idx ^ 1))
			b->relayed++;
		else
			b->misrouted++;
	}
}

/* Packet n of stream idx. */
static void
phone_send(struct ngb *b, unsigned idx, uint64_t n)
{
	struct phone *ph = &b->calls[idx / 2].ph[idx % 2];

	if (!b->calls[idx / 2].connected)
		return;
	rtp_number(b->pkt, n, ph->ssrc);
	wr_be32(b->pkt + 12, idx);
	wr_be32(b->pkt + 16, (uint32_t)n);
	/* A lost packet still counts as sent. */
	dgram_send(ph->fd, b->pkt, b->o.size, "send");
	b->sent++;
	if ((n + idx) % RX_EVERY == 0)
		phone_read(b, idx);
}

/* RTP both ways on every call that is up, for the duration; fills r. */
static void
media(struct ngb *b, struct row *r)
{
	uint64_t streams = 2 * (uint64_t)b->o.calls, period = NS_PER_S / b->o.rate;
	uint64_t total, t0, now, due, j = 0, end;
	double c0, c1;
	unsigned idx;

	b->sent = b->relayed = b->misrouted = 0;
	total = (uint64_t)(b->o.duration * b->o.rate) * streams;
	if (total > MAX_PACKETS)
		total = MAX_PACKETS;
	rtp_template(b->pkt, sizeof(b->pkt));
	c0 = proc_cpu_ns(b->o.pid);
	t0 = mono_ns();
	/* Packet j is due at t0 + j P / S; send what is due, then nap. */
	while (j < total && !interrupted) {
		now = mono_ns();
		due = (now - t0) * streams / period + 1;
		if (due > total)
			due = total;
		for (; j < due; j++)
			phone_send(b, (unsigned)(j % streams), j / streams);
		if (j < total)
			sleep_ns(TICK_NS);
	}
	/* Stragglers: sweep every phone each millisecond, for at most 0.5 s. */
	end = mono_ns() + DRAIN_NS;
	while (b->relayed < b->sent && mono_ns() < end && !interrupted) {
		for (idx = 0; idx < streams; idx++)
			if (b->calls[idx / 2].connected)
				phone_read(b, idx);
		if (b->relayed < b->sent)
			sleep_ns(NS_PER_MS);
	}
	c1 = proc_cpu_ns(b->o.pid);
	r->v[R_SENT] = (double)b->sent;
	r->v[R_RELAYED] = (double)b->relayed;
	r->v[R_LOST] = b->relayed < b->sent ? (double)(b->sent - b->relayed) : 0;
	r->v[R_LOSS_PCT] = b->sent ? 100.0 * r->v[R_LOST] / (double)b->sent : NAN;
	if (c0 >= 0 && c1 >= 0 && b->relayed > 0)
		r->v[R_MEDIA_US_PKT] = (c1 - c0) / 1000.0 / (double)b->relayed;
	if (b->misrouted > 0)
		fprintf(stderr, "ngbench: %s: %llu packets arrived at the wrong "
		    "phone\n", b->o.label, (unsigned long long)b->misrouted);
}

static double
rss_kb(const struct ngb *b)
{
	long v = proc_rss_kb(b->o.pid);

	return v < 0 ? NAN : (double)v;
}

static void
rename_calls(struct ngb *b)
{
	unsigned c;

	b->salt = b->salt * 1103515245u + 12345u;
	for (c = 0; c < b->o.calls; c++) {
		b->calls[c].up = false;
		call_names(&b->calls[c], c, b->salt);
	}
}

/*
 * Wait until the relay is idle: its CPU time still for SETTLE_QUIET_NS,
 * at most SETTLE_MAX_NS. rtproam's workers close deleted calls' sockets
 * after the deletes are answered; without this the cold round's cleanup
 * (4 sockets per call) would run in the first milliseconds of the timed
 * setup and hold its port range (sized for 1995 calls) meanwhile.
 */
static void
settle(const struct ngb *b)
{
	uint64_t until = mono_ns() + SETTLE_MAX_NS, quiet = 0;
	double last = proc_cpu_ns(b->o.pid), now;

	if (last < 0) {
		sleep_ns(SETTLE_QUIET_NS);
		return;
	}
	while (quiet < SETTLE_QUIET_NS && mono_ns() < until && !interrupted) {
		sleep_ns(SETTLE_POLL_NS);
		now = proc_cpu_ns(b->o.pid);
		quiet = now == last ? quiet + SETTLE_POLL_NS : 0;
		last = now;
	}
}

/* One run against one relay. */
static int
run(struct ngb *b, struct row *r)
{
	double fails = 0, relay_ns;
	unsigned c, up = 0;

	r->v[R_RUN] = b->o.run;
	r->v[R_RSS_IDLE] = rss_kb(b);
	if (b->o.cold_round) {
		r->v[R_COLD_CPS] = ng_rate(b, NG_OFFER, &fails, NULL);
		(void)ng_rate(b, NG_DELETE, &fails, NULL);
		rename_calls(b);
		settle(b);
	}
	r->v[R_SETUP_CPS] = ng_rate(b, NG_OFFER, &fails, &relay_ns);
	if (b->answered > 0 && !isnan(relay_ns))
		r->v[R_SETUP_US_CMD] = relay_ns / 1000.0 / b->answered;
	r->v[R_SETUP_P50] = hist_quantile_us(b->hist, 0.5);
	r->v[R_SETUP_P99] = hist_quantile_us(b->hist, 0.99);
	for (c = 0; c < b->o.calls; c++)
		up += b->calls[c].up;
	r->v[R_CALLS] = up;
	r->v[R_RSS_SETUP] = rss_kb(b);
	if (up > 0)
		r->v[R_RSS_CALL] = (r->v[R_RSS_SETUP] - r->v[R_RSS_IDLE]) / up;
	if (phones_connect(b) != 0)
		return -1;
	if (up > 0 && b->o.duration > 0)
		media(b, r);
	r->v[R_QUERY_CPS] = ng_rate(b, NG_QUERY, &fails, NULL);
	r->v[R_DELETE_CPS] = ng_rate(b, NG_DELETE, &fails, NULL);
	r->v[R_CTL_FAIL] = fails;
	return 0;
}

/* --- Options and main --------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
"usage: ngbench -c HOST:PORT [-p PID] [-n calls] [-W window] [-t seconds]\n"
"               [-R pps] [-z bytes] [-l label] [--run N] [--record FILE]\n"
"               [--no-cold] [--trace FILE]\n"
"       ngbench --summary FILE [--subject LABEL] [--ref LABEL]\n"
"  -c  the relay's ng address (udp:HOST:PORT or HOST:PORT)\n"
"  -p  the relay's PID, for its CPU time and RSS\n"
"  -n  calls [1000]   -W  commands in flight [32]\n"
"  -t  seconds of RTP [5]   -R  packets per second per stream [50]\n"
"  -z  RTP packet size [172]\n"
"  --trace  append a line per reply to FILE: command, call, sent at (us\n"
"           since its batch began), latency us, sends\n");
	exit(2);
}

/* ngbench's options beyond those in bench_args.h. */
static const struct arg ngbench_args[] = {
	{ "calls", 'n', ARG_UINT, offsetof(struct opts, calls), 1, 20000 },
	{ "window", 'W', ARG_UINT, offsetof(struct opts, window), 1, 1024 },
	{ "duration", 't', ARG_DOUBLE, offsetof(struct opts, duration), 0, 600 },
	{ "rate", 'R', ARG_UINT, offsetof(struct opts, rate), 1, 1000 },
	{ "size", 'z', ARG_UINT, offsetof(struct opts, size), PKT_MIN, PKT_MAX },
	{ "no-cold", 0, ARG_CLEAR, offsetof(struct opts, cold_round), 0, 0 },
	{ "ref", 0, ARG_STR, offsetof(struct opts, refs), 0, 0 },
	{ "trace", 0, ARG_STR, offsetof(struct opts, trace), 0, 0 },
};

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	static const struct argset set = { ngbench_args,
	    sizeof(ngbench_args) / sizeof(ngbench_args[0]), usage };

	opts_defaults(o);
	o->calls = 1000;
	o->window = 32;
	o->refs = "rtpengine";
	args_parse(&set, o, argc, argv);
}

int
main(int argc, char *argv[])
{
	static struct ngb b;
	struct row r;
	int rc = 1;

	parse_opts(&b.o, argc, argv);
	if (b.o.summary != NULL)
		return summary(b.o.summary, b.o.subject, b.o.refs);
	if (gen_process_init() != 0)
		return 1;
	b.fd = -1;
	b.salt = (unsigned)(mono_ns() ^ ((uint64_t)getpid() << 16));
	row_init(&r, b.o.label);
	if (b.o.trace != NULL && (b.trace = fopen(b.o.trace, "a")) == NULL) {
		fprintf(stderr, "ngbench: %s: %s\n", b.o.trace, strerror(errno));
		goto out;
	}
	if (ng_open(&b) != 0)
		goto out;
	if (ng_ping(&b) != 0) {
		fprintf(stderr, "ngbench: %s: no pong from %s\n", b.o.label, b.o.ctl);
		goto out;
	}
	if (phones_open(&b) != 0)
		goto out;
	rename_calls(&b);
	if (run(&b, &r) != 0)
		goto out;
	row_print(stdout, &r, false);
	if (b.o.record != NULL)
		(void)record_append(b.o.record, &r);
	rc = 0;
out:
	phones_close(&b);
	if (b.fd >= 0 && close(b.fd) != 0)
		fprintf(stderr, "ngbench: close: %s\n", strerror(errno));
	if (b.trace != NULL && fclose(b.trace) != 0)
		fprintf(stderr, "ngbench: %s: %s\n", b.o.trace, strerror(errno));
	free(b.slot);
	free(b.hist);
	return rc;
}
