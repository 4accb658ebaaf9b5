/*
 * rtpbench.c - load generator and meter for an rtpproxy-protocol relay.
 *
 * Sets N calls up over the control protocol as Kamailio would (see
 * bench_ctl.h), then plays both phones of every call: each phone is its
 * own UDP socket on a 127.0.0.x address, sending RTP at a fixed rate to
 * the relay port it was given and receiving the other phone's stream.
 *
 * Sending follows one global schedule: with S streams of R packets per
 * second, packet j is due at t0 + j / (S R), from stream j mod S, so the
 * load is spread evenly instead of arriving in 20 ms bursts. Each packet
 * carries its send time (CLOCK_MONOTONIC ns) and its stream in the
 * payload. The receiving phone reads the kernel's arrival time stamp
 * (SO_TIMESTAMPNS), so one-way latency is the time from our send() to the
 * moment the relay's packet reached the phone's socket, and does not
 * include the generator's own receive backlog.
 *
 * Only packets sent inside the measurement window count: offered = sent
 * in the window, delivered = those of them that arrived. The relay's CPU
 * time (utime + stime of all its threads, /proc/PID/stat) is read at the
 * start of the window and after the last window packet arrived.
 *
 * Modes: a fixed load (default), --saturate (add calls step by step until
 * loss or p99 crosses a threshold), and --summary FILE (medians and ratios
 * over the records that runs appended with --record FILE).
 */
#include <math.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bench.h"
#include "bench_ctl.h"
#include "bench_phones.h"
#include "bench_report.h"
#include "bench_opts.h"

#define RX_EVERY	4		/* a phone reads every 4th time it sends */
#define TX_PER_LOOP	256		/* sends before looking at the clock again */
#define DRAIN_NS	(500 * NS_PER_MS)
#define LATE_NS		NS_PER_MS

struct bench {
	struct opts	 o;
	struct call	*calls;
	unsigned	 ncalls;	/* opened so far */
	unsigned	 cap;
	struct ctl	 ctl;
	struct hist	*hist;
	pid_t		 softirqd;
	uint8_t		 pkt[RX_MTU];
	/* The current window. */
	uint64_t	 win_start, win_end;
	uint64_t	 sent_win, recv_win, late;
	uint64_t	 short_pkts, misrouted;	/* not ours, or the wrong stream */
	int64_t		 real_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

static void
put64(uint8_t *p, uint64_t v)
{
	wr_be32(p, (uint32_t)(v >> 32));
	wr_be32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)rd_be32(p) << 32 | rd_be32(p + 4);
}

/* Call-ID and tags of call c; r makes them unique to one round. */
static void
call_names(struct call *k, unsigned c, unsigned r)
{
	snprintf(k->id, sizeof(k->id), "%08x-%u@bench.invalid", r, c);
	snprintf(k->ftag, sizeof(k->ftag), "f%07x%u", r & 0xfffffff, c);
	snprintf(k->ttag, sizeof(k->ttag), "t%07x%u", (r >> 4) & 0xfffffff, c);
}

/* Open the phones of calls [from, to): two sockets each. */
static int
phones_open(struct bench *b, unsigned from, unsigned to)
{
	struct call *k;
	unsigned c, r;

	if (to > b->cap) {
		if ((k = realloc(b->calls, to * sizeof(*k))) == NULL)
			return -1;
		memset(k + b->cap, 0, (to - b->cap) * sizeof(*k));
		b->calls = k;
		b->cap = to;
	}
	r = (unsigned)mono_ns();
	for (c = from; c < to; c++) {
		k = &b->calls[c];
		memset(k, 0, sizeof(*k));
		k->ph[0].fd = k->ph[1].fd = -1;
		call_names(k, c, r);
		if (call_open(k, c, b->o.nips, r, true) != 0)
			return -1;
	}
	b->ncalls = to;
	return 0;
}

/* Point the phones of the calls that are up at their relay ports. */
static int
phones_connect(struct bench *b, unsigned from, unsigned to)
{
	unsigned c;

	for (c = from; c < to; c++)
		if (b->calls[c].up && !b->calls[c].connected &&
		    call_connect(&b->calls[c], c) != 0)
			return -1;
	return 0;
}

static void
phones_close(struct bench *b)
{
	phones_close_all(b->calls, b->ncalls);
	b->ncalls = 0;
}

static void	phone_ready(struct bench *, unsigned);

/*
 * Send packet j of the schedule: stream j mod S, S = 2 x calls. Every
 * RX_EVERY packets, the same phone then reads what arrived for it in the
 * meantime, about RX_EVERY packets of the other stream, in one recvmmsg():
 * no epoll, no wakeups, and the relay does not pay for waking us. The
 * kernel's arrival time stamp makes the wait before we read irrelevant
 * to the latency.
 */
static void
send_one(struct bench *b, uint64_t j)
{
	unsigned stream = (unsigned)(j % (2 * (uint64_t)b->ncalls));
	struct call *k = &b->calls[stream / 2];
	struct phone *ph = &k->ph[stream % 2];
	uint64_t n = j / (2 * (uint64_t)b->ncalls), now;

	if (!k->connected)
		return;
	rtp_number(b->pkt, n, ph->ssrc);
	wr_be32(b->pkt + 20, stream);
	wr_be32(b->pkt + 24, (uint32_t)n);
	now = mono_ns();
	put64(b->pkt + 12, now);
	/* A lost packet still counts as sent. */
	dgram_send(ph->fd, b->pkt, b->o.size, "send");
	if (now >= b->win_start && now < b->win_end)
		b->sent_win++;
	if ((n + stream) % RX_EVERY == 0)
		phone_ready(b, stream);
}

/* Read one phone's socket. */
static void
phone_ready(struct bench *b, unsigned idx)
{
	static struct rxbatch rxb;
	struct mmsghdr *m = rxb.m;
	uint8_t (*buf)[RX_MTU] = rxb.buf;
	struct cmsghdr *cm;
	struct timespec ts;
	uint64_t rx, tx, now = 0;
	int n, i;

	n = rx_read(&rxb, b->calls[idx / 2].ph[idx % 2].fd, true);
	for (i = 0; i < n; i++) {
		if (m[i].msg_len < PAYLOAD_MIN) {
			b->short_pkts++;
			continue;
		}
		if (rd_be32(buf[i] + 20) != (idx ^ 1)) {
			b->misrouted++;
			continue;
		}
		rx = 0;
		for (cm = CMSG_FIRSTHDR(&m[i].msg_hdr); cm != NULL;
		    cm = CMSG_NXTHDR(&m[i].msg_hdr, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_TIMESTAMPNS) {
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = (uint64_t)ts.tv_sec * NS_PER_S +
				    (uint64_t)ts.tv_nsec - (uint64_t)b->real_off;
			}
		}
		if (rx == 0)
			rx = now ? now : (now = mono_ns());
		tx = get64(buf[i] + 12);
		if (tx < b->win_start || tx >= b->win_end)
			continue;
		b->recv_win++;
		hist_add(b->hist, rx > tx ? rx - tx : 0);
	}
}

static double
gen_user_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

static double
gen_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

struct sample {
	double	 relay, core, softirqd, gen;
	double	 all_user, relay_user, gen_user;	/* -1: unknown */
	double	 relay_run, relay_wait, gen_run, gen_wait;	/* ns */
	int	 relay_ok, gen_ok;
	uint64_t t;
};

static void
take_sample(struct bench *b, struct sample *s)
{
	s->t = mono_ns();
	s->relay = proc_cpu_s(b->o.pid);
	s->core = core_busy_s(b->o.relay_cpu);
	s->softirqd = b->softirqd ? proc_cpu_s(b->softirqd) : -1;
	s->gen = gen_cpu_s();
	s->all_user = machine_user_s();
	s->relay_user = b->o.pid > 0 ? proc_user_s(b->o.pid) : 0;
	s->gen_user = gen_user_s();
	s->relay_ok = b->o.pid > 0 &&
	    proc_sched_ns(b->o.pid, &s->relay_run, &s->relay_wait) == 0;
	s->gen_ok = proc_sched_ns(0, &s->gen_run, &s->gen_wait) == 0;
}

/*
 * Play media on every connected call: warmup, then the window, then
 * wait for the window's packets (at most DRAIN_NS). Fills r.
 */
static void
play(struct bench *b, struct result *r)
{
	struct timespec ts;
	struct sample s0, s1;
	uint64_t t0, now, due, j = 0, streams, period, drain_end, next;
	unsigned budget, up = 0, c, idx;
	bool started = false;
	double wall;
	int n;

	for (c = 0; c < b->ncalls; c++)
		up += b->calls[c].connected;
	memset(b->hist, 0, sizeof(*b->hist));
	b->sent_win = b->recv_win = b->late = 0;
	b->short_pkts = b->misrouted = 0;
	streams = 2 * (uint64_t)b->ncalls;
	period = NS_PER_S / b->o.rate;
	t0 = mono_ns() + NS_PER_MS;
	b->win_start = t0 + (uint64_t)(b->o.warmup * NS_PER_S);
	b->win_end = b->win_start + (uint64_t)(b->o.duration * NS_PER_S);
	drain_end = b->win_end + DRAIN_NS;
	memset(&s0, 0, sizeof(s0));
	while (!interrupted) {
		now = mono_ns();
		b->real_off = (int64_t)(clock_ns(CLOCK_REALTIME) - now);
		if (!started && now >= b->win_start) {
			take_sample(b, &s0);
			started = true;
		}
		if (now >= b->win_end)
			break;
		/* Packet i is due at t0 + i P / S: send those <= now. */
		due = now >= t0 ? (now - t0) * streams / period : 0;
		while (now >= t0 && t0 + due * period / streams <= now)
			due++;
		for (budget = TX_PER_LOOP; j < due && budget > 0; budget--, j++) {
			if (now >= b->win_start &&
			    now - (t0 + j * period / streams) > LATE_NS)
				b->late++;
			send_one(b, j);
		}
		if (j < due)
			continue;
		/* Sleep to the next packet, but at least a tick: see --tick. */
		next = t0 + j * period / streams;
		if (next < now + b->o.tick_ns)
			next = now + b->o.tick_ns;
		if (!started && b->win_start < next)
			next = b->win_start;
		if (next > now) {
			ts.tv_sec = (time_t)(next / NS_PER_S);
			ts.tv_nsec = (long)(next % NS_PER_S);
			if ((n = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &ts, NULL)) != 0 && n != EINTR)
				fprintf(stderr, "rtpbench: clock_nanosleep: %s\n",
				    strerror(n));
		}
	}
	/* Collect the rest of the window's packets: sweeps, 1 ms apart. */
	while (!interrupted && b->recv_win < b->sent_win && mono_ns() < drain_end) {
		b->real_off = (int64_t)(clock_ns(CLOCK_REALTIME) - mono_ns());
		for (idx = 0; idx < 2 * b->ncalls; idx++)
			if (b->calls[idx / 2].connected)
				phone_ready(b, idx);
		if (b->recv_win < b->sent_win)
			sleep_ns(NS_PER_MS);
	}
	take_sample(b, &s1);
	if (!started)
		s0 = s1;
	wall = b->o.duration;
	r->calls = up;
	r->offered_pps = 2.0 * up * b->o.rate;
	r->sent_pps = (double)b->sent_win / wall;
	r->delivered_pps = (double)b->recv_win / wall;
	r->loss_pct = b->sent_win == 0 ? NAN : b->recv_win >= b->sent_win ? 0 :
	    100.0 * (double)(b->sent_win - b->recv_win) / (double)b->sent_win;
	r->p50_us = hist_quantile_us(b->hist, 0.5);
	r->p99_us = hist_quantile_us(b->hist, 0.99);
	r->p999_us = hist_quantile_us(b->hist, 0.999);
	r->max_us = b->hist->n ? (double)b->hist->max_ns / 1000.0 : NAN;
	if (s0.relay >= 0 && s1.relay >= 0 && b->recv_win > 0) {
		r->cpu_s = s1.relay - s0.relay;
		r->cpu_us_pkt = r->cpu_s * 1e6 / (double)b->recv_win;
		r->cpu_pct = 100.0 * r->cpu_s / ((double)(s1.t - s0.t) / NS_PER_S);
	}
	if (s0.core >= 0 && s1.core >= 0)
		r->core_busy_s = s1.core - s0.core;
	if (s0.core >= 0 && s1.core >= 0 && b->recv_win > 0)
		r->core_us_pkt = (s1.core - s0.core) * 1e6 / (double)b->recv_win;
	if (s0.softirqd >= 0 && s1.softirqd >= 0)
		r->softirqd_ms = (s1.softirqd - s0.softirqd) * 1e3;
	r->gen_pct = 100.0 * (s1.gen - s0.gen) / ((double)(s1.t - s0.t) / NS_PER_S);
	if (s0.relay_ok && s1.relay_ok)
		r->relay_wait_ms = (s1.relay_wait - s0.relay_wait) / 1e6;
	if (s0.gen_ok && s1.gen_ok)
		r->gen_wait_ms = (s1.gen_wait - s0.gen_wait) / 1e6;
	/*
	 * Whole-machine figures charge any other process's work to the
	 * relay measured: its user time tells a shared machine. Clock ticks:
	 * a few tens of ms either way are rounding.
	 */
	if (s0.all_user >= 0 && s1.all_user >= 0 && s0.relay_user >= 0 &&
	    s1.relay_user >= 0 && s0.gen_user >= 0 && s1.gen_user >= 0)
		r->other_user_ms = 1e3 * ((s1.all_user - s0.all_user) -
		    (s1.relay_user - s0.relay_user) - (s1.gen_user - s0.gen_user));
	r->gen_late_pct = b->sent_win ? 100.0 * (double)b->late /
	    (double)b->sent_win : 0;
	if (b->short_pkts > 0 || b->misrouted > 0)
		fprintf(stderr, "rtpbench: %s: %llu packets of another call's "
		    "stream, %llu too short to be ours\n", b->o.label,
		    (unsigned long long)b->misrouted,
		    (unsigned long long)b->short_pkts);
}

/*
 * The generator could not keep its schedule: it sent too little, or it
 * was late while busy. (Late while idle is a stall of the machine, which
 * the wait columns show; it is not the generator's limit.)
 */
static bool
generator_bound(const struct result *r)
{
	return r->sent_pps < 0.99 * r->offered_pps ||
	    (r->gen_late_pct > 1.0 && r->gen_pct > 90.0);
}

static double
rss_kb(const struct bench *b)
{
	long v = proc_rss_kb(b->o.pid);

	return v < 0 ? NAN : (double)v;
}

/*
 * Set up calls [from, to) and start their phones; commands per second.
 * With r, also the relay's CPU time per command and per wall second.
 */
static double
setup_calls(struct bench *b, unsigned from, unsigned to, double *fails,
    struct result *r)
{
	uint64_t ns;
	double c0, c1;

	if (to > b->ncalls && phones_open(b, from, to) != 0)
		return NAN;
	c0 = proc_cpu_ns(b->o.pid);
	ns = ctl_batch(&b->ctl, b->calls, from, to, OP_SETUP);
	c1 = proc_cpu_ns(b->o.pid);
	if (r != NULL && c0 >= 0 && c1 >= 0 && b->ctl.answered > 0 && ns > 0) {
		r->setup_us_cmd = (c1 - c0) / 1000.0 / b->ctl.answered;
		r->setup_cpu_pct = 100.0 * (c1 - c0) / (double)ns;
	}
	*fails += b->ctl.failed;
	if (b->ctl.failed > 0)
		fprintf(stderr, "rtpbench: %u of %u calls failed to set up (%s)\n",
		    b->ctl.failed, to - from, b->ctl.last_error);
	if (b->ctl.resent > 0)
		fprintf(stderr, "rtpbench: %s: %u setup commands resent after "
		    "1 s without an answer\n", b->o.label, b->ctl.resent);
	if (phones_connect(b, from, to) != 0)
		return NAN;
	return ns ? (double)b->ctl.answered * NS_PER_S / (double)ns : NAN;
}

static double
teardown_calls(struct bench *b, double *fails)
{
	uint64_t ns;

	ns = ctl_batch(&b->ctl, b->calls, 0, b->ncalls, OP_TEARDOWN);
	*fails += b->ctl.failed;
	if (b->ctl.failed > 0)
		fprintf(stderr, "rtpbench: %u teardowns failed (%s)\n",
		    b->ctl.failed, b->ctl.last_error);
	return ns ? (double)b->ctl.answered * NS_PER_S / (double)ns : NAN;
}

static void
emit(struct bench *b, struct result *r)
{
	if (b->o.json) {
		json_result(stdout, r);
	} else {
		if (b->o.header)
			table_header(stdout, "relay");
		b->o.header = false;
		table_row(stdout, r);
	}
	if (fflush(stdout) != 0)
		fprintf(stderr, "rtpbench: stdout: %s\n", strerror(errno));
	if (b->o.record != NULL)
		(void)record_append(b->o.record, r);
}

/*
 * The first setup on a fresh relay pays for growing its heap and the
 * kernel's socket tables; a relay in service has done that long ago. Set
 * all calls up and tear them down once (cold_cps), then measure again
 * with new Call-IDs on the same phones.
 */
static int
cold_round(struct bench *b, struct result *r, double *fails)
{
	unsigned c, n = b->o.calls, salt = (unsigned)mono_ns() ^ 0x5a5a5a5a;
	uint64_t ns;

	if (phones_open(b, 0, n) != 0)
		return -1;
	ns = ctl_batch(&b->ctl, b->calls, 0, n, OP_SETUP);
	r->setup_cold_cps = ns ? (double)b->ctl.answered * NS_PER_S / (double)ns : NAN;
	*fails += b->ctl.failed;
	(void)ctl_batch(&b->ctl, b->calls, 0, n, OP_TEARDOWN);
	*fails += b->ctl.failed;
	for (c = 0; c < n; c++) {
		b->calls[c].up = false;
		call_names(&b->calls[c], c, salt);
	}
	return 0;
}

static int
fixed(struct bench *b)
{
	struct result r;
	double fails = 0;

	result_init(&r, b->o.label, "fixed");
	r.run = b->o.run;
	r.rss_idle_kb = rss_kb(b);
	if (b->o.cold_round && cold_round(b, &r, &fails) != 0)
		return 1;
	r.setup_cps = setup_calls(b, 0, b->o.calls, &fails, &r);
	if (isnan(r.setup_cps))
		return 1;
	r.rss_setup_kb = rss_kb(b);
	play(b, &r);
	r.rss_run_kb = rss_kb(b);
	r.teardown_cps = teardown_calls(b, &fails);
	r.rss_end_kb = rss_kb(b);
	r.ctl_fail = fails;
	if (r.calls > 0)
		r.rss_call_kb = (r.rss_run_kb - r.rss_idle_kb) / r.calls;
	if (generator_bound(&r))
		fprintf(stderr, "rtpbench: %s: the generator fell behind its "
		    "schedule (sent %.0f of %.0f pps, %.1f%% late): the load was "
		    "lower than asked\n", r.label, r.sent_pps, r.offered_pps,
		    r.gen_late_pct);
	emit(b, &r);
	return 0;
}

/* Why a saturation step is not good, or NULL. */
static const char *
step_verdict(const struct bench *b, const struct result *r, unsigned level,
    double fails)
{
	if (generator_bound(r))
		return "generator fell behind";
	if (fails > 0 || r->calls < level)
		return "call setup failed";
	if (!(r->loss_pct <= b->o.max_loss))
		return "loss";
	if (!(r->p99_us <= b->o.max_p99_us))
		return "p99 latency";
	return NULL;
}

/*
 * Raise the load by --step calls until a step is not good twice in a row
 * (one retry: on a shared machine a stall elsewhere can spoil one step;
 * a saturated relay fails every time). Reports the last good level.
 */
static int
saturate(struct bench *b)
{
	struct result r, sat;
	unsigned level = b->o.calls, good = 0, tries = 0;
	double fails = 0, good_pps = NAN, rss0;
	const char *why = "max-calls reached", *bad;

	rss0 = rss_kb(b);
	result_init(&sat, b->o.label, "sat");
	sat.run = b->o.run;
	sat.setup_cps = setup_calls(b, 0, level, &fails, &sat);
	if (isnan(sat.setup_cps))
		return 1;
	while (!interrupted) {
		result_init(&r, b->o.label, "step");
		r.run = b->o.run;
		r.rss_idle_kb = rss0;
		play(b, &r);
		r.rss_run_kb = rss_kb(b);
		r.ctl_fail = fails;
		if (r.calls > 0)
			r.rss_call_kb = (r.rss_run_kb - rss0) / r.calls;
		emit(b, &r);
		if ((bad = step_verdict(b, &r, level, fails)) != NULL) {
			why = bad;
			if (++tries < 2 && fails == 0)
				continue;	/* once more at the same level */
			break;
		}
		tries = 0;
		good = level;
		good_pps = r.delivered_pps;
		why = "max-calls reached";
		if (level + b->o.step > b->o.max_calls)
			break;
		if (isnan(setup_calls(b, level, level + b->o.step, &fails, NULL)))
			return 1;
		level += b->o.step;
	}
	if (interrupted)
		why = "interrupted";
	sat.calls = level;
	sat.sat_calls = good;
	sat.sat_pps = good_pps;
	sat.teardown_cps = teardown_calls(b, &fails);
	sat.ctl_fail = fails;
	fprintf(stderr, "rtpbench: %s: last good level %u calls, %.0f pps "
	    "(stopped at %u calls: %s)\n", b->o.label, good, good_pps, level, why);
	if (b->o.record != NULL)
		(void)record_append(b->o.record, &sat);
	if (b->o.json)
		json_result(stdout, &sat);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct bench b;
	int rc;

	parse_opts(&b.o, argc, argv);
	if (b.o.summary != NULL)
		return summary(&b.o);
	if (gen_process_init() != 0)
		return 1;
	/* Sleep to the microsecond: the schedule is finer than 50 us slack. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
		fprintf(stderr, "rtpbench: PR_SET_TIMERSLACK: %s\n", strerror(errno));
	if ((b.hist = calloc(1, sizeof(*b.hist))) == NULL) {
		fprintf(stderr, "rtpbench: %s\n", strerror(errno));
		return 1;
	}
	b.softirqd = find_ksoftirqd(b.o.relay_cpu);
	rtp_template(b.pkt, sizeof(b.pkt));
	if (ctl_open(&b.ctl, b.o.ctl, b.o.window) != 0 || ctl_probe(&b.ctl) != 0)
		return 1;
	rc = b.o.saturate ? saturate(&b) : fixed(&b);
	phones_close(&b);
	ctl_close(&b.ctl);
	free(b.calls);
	free(b.hist);
	return rc;
}
