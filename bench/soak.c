/*
 * soak.c - churn driver for a long soak of an rtpproxy-protocol relay.
 *
 * Holds N calls at all times. Every call is set up as Kamailio does it
 * (U with the caller, L with the callee), relays 20 ms RTP both ways for
 * a random lifetime, is deleted with D and replaced at once by a new
 * call (new Call-ID, new tags) on the same two phone sockets, so that the
 * driver's own descriptors stay constant and whatever grows is the
 * relay's.
 *
 * Every --sample seconds it reads the relay's VmRSS and its open file
 * descriptors (/proc/PID), asks the relay for `I` (active calls, packets
 * relayed) and prints one line. At the end it deletes every call, takes
 * a last sample and prints a summary: RSS at idle, start, end, min and
 * max, descriptors, calls created, memory per call, and a verdict from a
 * least-squares fit of RSS over the last two thirds of the samples.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "control/rtpp/ctl_parse.h"
#include "packet/rtp.h"

#define NS_PER_S	1000000000ull
#define NS_PER_MS	1000000ull
#define CMD_MAX		256
#define CMD_TRIES	5
#define CMD_TIMEOUT_NS	NS_PER_S
#define PKT_SIZE	172		/* PCMU 20 ms */
#define RX_BATCH	32
#define MAX_SAMPLES	100000
#define SETUP_PER_S	50		/* ramp: new calls per second at start */
#define EV_CTL		UINT32_MAX

enum state { ST_IDLE, ST_U, ST_L, ST_UP, ST_D, ST_DONE };

struct phone {
	int		 fd;
	struct addr	 local;
	struct addr	 relay;
	uint32_t	 ssrc;
	uint16_t	 seq;
	uint32_t	 ts;
	uint64_t	 next_tx;
};

struct slot {
	struct phone	 ph[2];
	enum state	 st;
	unsigned	 gen;
	char		 id[64], ftag[24], ttag[24];
	uint64_t	 seq;		/* number in the outstanding cookie */
	unsigned	 tries;
	uint64_t	 deadline;	/* retransmit the outstanding command */
	uint64_t	 end;		/* delete the call at this time */
	size_t		 len;
	char		 cmd[CMD_MAX];
};

struct sample {
	double		 t_s;
	long		 rss_kb;
	long		 fds;
	long		 calls, created;
	long long	 relayed;
	uint64_t	 tx, rx;
};

struct soak {
	/* options */
	const char	*ctl_addr;
	pid_t		 pid;
	unsigned	 ncalls;
	double		 duration, life_min, life_max, sample_s, flat_kb_min;
	unsigned	 rate, nips, first_ip;
	/* state */
	struct slot	*slots;
	int		 ctl, ep;
	char		 prefix[16];
	uint64_t	 cmdseq;
	uint64_t	 t0, period;
	uint64_t	 tx, rx, tx_iv, rx_iv, stale;
	uint64_t	 created, setup_fail, resent, cmds, cmd_fail;
	/* the I that is outstanding, for the sample being taken */
	uint64_t	 info_seq, info_deadline;
	bool		 info_pending;
	bool		 final;		/* the sample after the teardown */
	struct sample	 cur;
	struct sample	*samples;
	unsigned	 nsamples;
	long		 rss_idle, fds_idle;
	uint8_t		 pkt[PKT_SIZE];
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t
rnd(void)
{
	static uint64_t x;

	if (x == 0)
		x = mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static long
proc_rss_kb(pid_t pid)
{
	char path[64], buf[4096], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (pid <= 0 || (fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strstr(buf, "VmRSS:")) == NULL)
		return -1;
	return strtol(p + 6, NULL, 10);
}

static long
proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	long n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (pid <= 0 || (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
ctl_send(struct soak *s, const char *buf, size_t len)
{
	if (send(s->ctl, buf, len, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
	    errno != ECONNREFUSED)
		fprintf(stderr, "soak: control send: %s\n", strerror(errno));
}

/* Issue the command of the slot's current state with a fresh cookie. */
static void
slot_issue(struct soak *s, unsigned i, uint64_t now)
{
	struct slot *k = &s->slots[i];
	char ip[ADDR_STRLEN];
	int n = 0;

	k->seq = s->cmdseq++;
	k->tries = 1;
	k->deadline = now + CMD_TIMEOUT_NS;
	switch (k->st) {
	case ST_U:
		n = snprintf(k->cmd, sizeof(k->cmd), "%s_%llu Uc0 %s %s %u %s;1",
		    s->prefix, (unsigned long long)k->seq, k->id,
		    addr_ip_str(&k->ph[0].local, ip, sizeof(ip)),
		    addr_port(&k->ph[0].local), k->ftag);
		break;
	case ST_L:
		n = snprintf(k->cmd, sizeof(k->cmd), "%s_%llu Lc0 %s %s %u %s;1 %s;1",
		    s->prefix, (unsigned long long)k->seq, k->id,
		    addr_ip_str(&k->ph[1].local, ip, sizeof(ip)),
		    addr_port(&k->ph[1].local), k->ftag, k->ttag);
		break;
	case ST_D:
		n = snprintf(k->cmd, sizeof(k->cmd), "%s_%llu D %s %s %s",
		    s->prefix, (unsigned long long)k->seq, k->id, k->ftag, k->ttag);
		break;
	default:
		return;
	}
	k->len = n > 0 && (size_t)n < sizeof(k->cmd) ? (size_t)n : 0;
	s->cmds++;
	ctl_send(s, k->cmd, k->len);
}

/* A new call on the slot's phones: new names, lifetime, then U. */
static void
slot_new_call(struct soak *s, unsigned i, uint64_t now)
{
	struct slot *k = &s->slots[i];
	double life;

	k->gen++;
	snprintf(k->id, sizeof(k->id), "soak-%s-%u-%u@soak.invalid", s->prefix,
	    i, k->gen);
	snprintf(k->ftag, sizeof(k->ftag), "f%u.%u", i, k->gen);
	snprintf(k->ttag, sizeof(k->ttag), "t%u.%u", i, k->gen);
	life = s->life_min + (s->life_max - s->life_min) *
	    (double)(rnd() % 1000001) / 1e6;
	k->end = 0;
	k->ph[0].ssrc = (uint32_t)rnd();
	k->ph[1].ssrc = (uint32_t)rnd();
	k->st = ST_U;
	slot_issue(s, i, now);
	/* The lifetime counts from the moment media can flow (set in L). */
	k->end = (uint64_t)(life * NS_PER_S);
}

static void
slot_answer(struct soak *s, unsigned i, const char *body, uint64_t now)
{
	struct slot *k = &s->slots[i];
	unsigned side;

	switch (k->st) {
	case ST_U:
		if (ctl_parse_port_reply(body, "127.0.0.1", &k->ph[1].relay) != 0)
			goto fail;
		k->st = ST_L;
		slot_issue(s, i, now);
		return;
	case ST_L:
		if (ctl_parse_port_reply(body, "127.0.0.1", &k->ph[0].relay) != 0)
			goto fail;
		for (side = 0; side < 2; side++) {
			if (connect(k->ph[side].fd, &k->ph[side].relay.u.sa,
			    k->ph[side].relay.len) != 0) {
				fprintf(stderr, "soak: connect: %s\n",
				    strerror(errno));
				goto fail;
			}
			/* Spread the streams over the packet interval. */
			k->ph[side].next_tx = now + rnd() % s->period;
		}
		k->end += now;
		k->st = ST_UP;
		s->created++;
		return;
	case ST_D:
		if (body[0] != '0') {
			s->cmd_fail++;
			fprintf(stderr, "soak: D %s answered %.*s\n", k->id,
			    (int)strcspn(body, "\n"), body);
		}
		k->st = stop ? ST_DONE : ST_IDLE;
		return;
	default:
		return;
	}
fail:
	s->cmd_fail++;
	s->setup_fail++;
	if (s->setup_fail <= 20)
		fprintf(stderr, "soak: call %s: setup answered %.*s\n", k->id,
		    (int)strcspn(body, "\n"), body);
	/* Delete whatever half exists; then a new call. */
	k->st = ST_D;
	slot_issue(s, i, now);
}

/* Parse the `I` reply into the current sample and print its line. */
static void
info_answer(struct soak *s, const char *body)
{
	const char *p;
	double secs;

	if ((p = strstr(body, "active sessions:")) != NULL)
		s->cur.calls = strtol(p + 16, NULL, 10);
	if ((p = strstr(body, "sessions created:")) != NULL)
		s->cur.created = strtol(p + 17, NULL, 10);
	if ((p = strstr(body, "packets transmitted:")) != NULL)
		s->cur.relayed = strtoll(p + 20, NULL, 10);
	s->info_pending = false;
	secs = s->nsamples ? s->cur.t_s - s->samples[s->nsamples - 1].t_s :
	    s->cur.t_s;
	printf("%st=%6.0fs rss_kb=%7ld fds=%5ld calls=%4ld created=%7ld "
	    "relayed=%11lld tx_pps=%6.0f rx_pps=%6.0f loss=%.3f%%\n",
	    s->final ? "after teardown: " : "", s->cur.t_s, s->cur.rss_kb,
	    s->cur.fds, s->cur.calls, s->cur.created, s->cur.relayed,
	    secs > 0 ? (double)s->tx_iv / secs : 0,
	    secs > 0 ? (double)s->rx_iv / secs : 0,
	    s->tx_iv ? 100.0 * ((double)s->tx_iv - (double)s->rx_iv) /
	    (double)s->tx_iv : 0.0);
	fflush(stdout);
	s->tx_iv = s->rx_iv = 0;
	if (s->nsamples < MAX_SAMPLES)
		s->samples[s->nsamples++] = s->cur;
}

static void
sample_start(struct soak *s, uint64_t now)
{
	char buf[64];
	int n;

	memset(&s->cur, 0, sizeof(s->cur));
	s->cur.t_s = (double)(now - s->t0) / NS_PER_S;
	s->cur.rss_kb = proc_rss_kb(s->pid);
	s->cur.fds = proc_fds(s->pid);
	s->cur.calls = s->cur.created = -1;
	s->cur.relayed = -1;
	s->cur.tx = s->tx;
	s->cur.rx = s->rx;
	s->info_seq = s->cmdseq++;
	s->info_pending = true;
	s->info_deadline = now + 2 * NS_PER_S;
	n = snprintf(buf, sizeof(buf), "%s_%llu I", s->prefix,
	    (unsigned long long)s->info_seq);
	ctl_send(s, buf, (size_t)n);
}

static void
ctl_receive(struct soak *s, uint64_t now)
{
	char buf[4096], *end;
	unsigned long long seq;
	size_t plen = strlen(s->prefix);
	ssize_t n;
	unsigned i, k;

	for (k = 0; k < 1000; k++) {
		if ((n = recv(s->ctl, buf, sizeof(buf) - 1, MSG_DONTWAIT)) < 0)
			return;
		buf[n] = '\0';
		if (strncmp(buf, s->prefix, plen) != 0 || buf[plen] != '_')
			continue;
		seq = strtoull(buf + plen + 1, &end, 10);
		if (*end != ' ')
			continue;
		if (s->info_pending && seq == s->info_seq) {
			info_answer(s, end + 1);
			continue;
		}
		for (i = 0; i < s->ncalls; i++)
			if (s->slots[i].seq == seq && (s->slots[i].st == ST_U ||
			    s->slots[i].st == ST_L || s->slots[i].st == ST_D))
				break;
		if (i < s->ncalls)
			slot_answer(s, i, end + 1, now);
	}
}

static void
phone_receive(struct soak *s, unsigned idx)
{
	static uint8_t buf[RX_BATCH][PKT_SIZE + 64];
	struct mmsghdr m[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct slot *k = &s->slots[idx / 2];
	int n, i, rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(k->ph[idx % 2].fd, m, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			/* Ours: this slot, this call, from the other phone. */
			if (m[i].msg_len >= 24 && rd_be32(buf[i] + 12) == idx / 2 &&
			    rd_be32(buf[i] + 16) == k->gen &&
			    rd_be32(buf[i] + 20) == (idx % 2 ^ 1)) {
				s->rx++;
				s->rx_iv++;
			} else
				s->stale++;
		}
	}
}

static void
send_due(struct soak *s, uint64_t now)
{
	struct slot *k;
	struct phone *ph;
	unsigned i, side, burst;

	for (i = 0; i < s->ncalls; i++) {
		k = &s->slots[i];
		if (k->st != ST_UP)
			continue;
		for (side = 0; side < 2; side++) {
			ph = &k->ph[side];
			for (burst = 0; ph->next_tx <= now && burst < 5; burst++) {
				s->pkt[2] = (uint8_t)(ph->seq >> 8);
				s->pkt[3] = (uint8_t)ph->seq;
				wr_be32(s->pkt + 4, ph->ts);
				wr_be32(s->pkt + 8, ph->ssrc);
				wr_be32(s->pkt + 12, i);
				wr_be32(s->pkt + 16, k->gen);
				wr_be32(s->pkt + 20, side);
				if (send(ph->fd, s->pkt, sizeof(s->pkt),
				    MSG_DONTWAIT) >= 0) {
					s->tx++;
					s->tx_iv++;
				}
				ph->seq++;
				ph->ts += 160;
				ph->next_tx += s->period;
			}
			/* Far behind (the machine stalled): skip, do not burst. */
			if (ph->next_tx <= now)
				ph->next_tx = now + s->period;
		}
	}
}

/* Timers: retransmissions, call ends, new calls (at most `budget`). */
static void
run_timers(struct soak *s, uint64_t now, unsigned *budget)
{
	struct slot *k;
	unsigned i;

	for (i = 0; i < s->ncalls; i++) {
		k = &s->slots[i];
		switch (k->st) {
		case ST_U:
		case ST_L:
		case ST_D:
			if (k->deadline > now)
				break;
			if (k->tries >= CMD_TRIES) {
				s->cmd_fail++;
				fprintf(stderr, "soak: call %s: no answer after %u "
				    "tries\n", k->id, k->tries);
				k->st = stop ? ST_DONE : ST_IDLE;
				break;
			}
			k->tries++;
			k->deadline = now + CMD_TIMEOUT_NS;
			s->resent++;
			ctl_send(s, k->cmd, k->len);
			break;
		case ST_UP:
			if (stop || k->end <= now) {
				k->st = ST_D;
				slot_issue(s, i, now);
			}
			break;
		case ST_IDLE:
			if (!stop && *budget > 0) {
				(*budget)--;
				slot_new_call(s, i, now);
			}
			break;
		case ST_DONE:
			break;
		}
	}
}

static int
open_phones(struct soak *s)
{
	struct addr a;
	socklen_t len;
	struct epoll_event ev;
	char ip[32];
	unsigned i, side, n = 0;

	for (i = 0; i < s->ncalls; i++) {
		for (side = 0; side < 2; side++, n++) {
			struct phone *ph = &s->slots[i].ph[side];

			snprintf(ip, sizeof(ip), "127.0.0.%u",
			    s->first_ip + n % s->nips);
			if (addr_parse(&a, ip, 0, AF_INET) != 0)
				return -1;
			ph->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, 0);
			len = sizeof(a.u);
			if (ph->fd < 0 || bind(ph->fd, &a.u.sa, a.len) != 0 ||
			    getsockname(ph->fd, &a.u.sa, &len) != 0) {
				fprintf(stderr, "soak: phone %s: %s\n", ip,
				    strerror(errno));
				return -1;
			}
			addr_from_sockaddr(&ph->local, &a.u.sa, len);
			ph->seq = (uint16_t)rnd();
			ph->ts = (uint32_t)rnd();
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.u32 = i * 2 + side;
			if (epoll_ctl(s->ep, EPOLL_CTL_ADD, ph->fd, &ev) != 0)
				return -1;
		}
	}
	return 0;
}

static int
open_ctl(struct soak *s)
{
	struct epoll_event ev;
	struct addr a;
	const char *where = s->ctl_addr;

	if (strncmp(where, "udp:", 4) == 0)
		where += 4;
	if (addr_parse_hostport(&a, where, 22222, AF_UNSPEC) != 0) {
		fprintf(stderr, "soak: bad control address %s\n", s->ctl_addr);
		return -1;
	}
	s->ctl = socket(addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->ctl < 0 || connect(s->ctl, &a.u.sa, a.len) != 0) {
		fprintf(stderr, "soak: control socket: %s\n", strerror(errno));
		return -1;
	}
	snprintf(s->prefix, sizeof(s->prefix), "sk%06x",
	    (unsigned)(rnd() & 0xffffff));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = EV_CTL;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ctl, &ev);
}

/* One pass of the event loop: up to `wait_ms` for packets and replies. */
static void
poll_once(struct soak *s, int wait_ms)
{
	struct epoll_event ev[64];
	int n, i;

	n = epoll_wait(s->ep, ev, 64, wait_ms);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == EV_CTL)
			ctl_receive(s, mono_ns());
		else
			phone_receive(s, ev[i].data.u32);
	}
}

/* Least-squares slope of y over x (x in minutes), over samples [from, to). */
static double
slope(const struct sample *v, unsigned from, unsigned to, bool fds)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, n = to - from, d;
	unsigned i;

	if (to - from < 2)
		return NAN;
	for (i = from; i < to; i++) {
		x = v[i].t_s / 60.0;
		y = fds ? (double)v[i].fds : (double)v[i].rss_kb;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	d = n * sxx - sx * sx;
	return d == 0 ? NAN : (n * sxy - sx * sy) / d;
}

/* Prints the summary; returns true when the verdict is flat. */
static bool
summary(struct soak *s, const struct sample *after)
{
	const struct sample *v = s->samples, *first, *last;
	long rmin = LONG_MAX, rmax = 0, fmin = LONG_MAX, fmax = 0;
	unsigned i, from;
	double rs, fs, per_call;
	bool flat;

	if (s->nsamples == 0) {
		printf("soak: no samples\n");
		return false;
	}
	first = &v[0];
	last = &v[s->nsamples - 1];
	for (i = 0; i < s->nsamples; i++) {
		if (v[i].rss_kb < rmin)
			rmin = v[i].rss_kb;
		if (v[i].rss_kb > rmax)
			rmax = v[i].rss_kb;
		if (v[i].fds < fmin)
			fmin = v[i].fds;
		if (v[i].fds > fmax)
			fmax = v[i].fds;
	}
	from = s->nsamples / 3;
	rs = slope(v, from, s->nsamples, false);
	fs = slope(v, from, s->nsamples, true);
	per_call = last->calls > 0 ?
	    (double)(last->rss_kb - s->rss_idle) / (double)last->calls : NAN;
	printf("\nsoak summary (%u samples over %.0f s, %u calls held, "
	    "lifetime %.0f-%.0f s, %u pps per stream)\n",
	    s->nsamples, last->t_s, s->ncalls, s->life_min, s->life_max, s->rate);
	printf("%-28s %10s %10s %10s %10s %10s %10s\n", "", "idle", "start",
	    "end", "min", "max", "after");
	printf("%-28s %10ld %10ld %10ld %10ld %10ld %10ld\n", "relay RSS (kB)",
	    s->rss_idle, first->rss_kb, last->rss_kb, rmin, rmax, after->rss_kb);
	printf("%-28s %10ld %10ld %10ld %10ld %10ld %10ld\n", "relay open fds",
	    s->fds_idle, first->fds, last->fds, fmin, fmax, after->fds);
	printf("%-28s %10s %10ld %10ld %10s %10s %10ld\n", "active calls (I)", "0",
	    first->calls, last->calls, "", "", after->calls);
	printf("calls created: %llu by this driver, %ld by the relay (I); "
	    "setup failures %llu, commands %llu, resent %llu, failed %llu\n",
	    (unsigned long long)s->created, after->created,
	    (unsigned long long)s->setup_fail, (unsigned long long)s->cmds,
	    (unsigned long long)s->resent, (unsigned long long)s->cmd_fail);
	printf("media: %llu packets sent, %llu received (loss %.4f%%), "
	    "%lld relayed by the relay; %llu stale\n",
	    (unsigned long long)s->tx, (unsigned long long)s->rx,
	    s->tx ? 100.0 * ((double)s->tx - (double)s->rx) / (double)s->tx : 0.0,
	    after->relayed, (unsigned long long)s->stale);
	printf("per-call memory estimate: (%ld - %ld) kB / %ld calls = %.1f kB\n",
	    last->rss_kb, s->rss_idle, last->calls, per_call);
	printf("RSS slope over the last %u samples: %.2f kB/min; fds slope "
	    "%.3f /min\n", s->nsamples - from, rs, fs);
	flat = !(rs > s->flat_kb_min) && !(fs > 0.5);
	printf("verdict: %s (threshold %.0f kB/min)\n", flat ? "flat" : "growing",
	    s->flat_kb_min);
	return flat;
}

static void
usage(void)
{
	fprintf(stderr,
"usage: soak [options]\n"
"  -c, --ctl HOST:PORT   relay control socket (udp) [127.0.0.1:22222]\n"
"  -p, --pid PID         relay process: RSS and open fds are read here\n"
"  -n, --calls N         calls held at all times [200]\n"
"  -t, --duration S      length of the churn [1800]\n"
"      --life MIN:MAX    call lifetime, uniform, seconds [5:30]\n"
"  -r, --rate PPS        RTP packets per second per stream [50]\n"
"      --sample S        seconds between samples [60]\n"
"      --flat KB         RSS slope (kB/min) below which the verdict is\n"
"                        flat [16]\n"
"  -i, --ips N           phone addresses 127.0.0.FIRST... [8]\n"
"      --first-ip N      last octet of the first phone address [60]\n");
	exit(2);
}

static double
fnum(const char *arg, double lo, double hi)
{
	char *end;
	double v = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "soak: %s: expected %g..%g\n", arg, lo, hi);
		exit(2);
	}
	return v;
}

static void
parse_opts(struct soak *s, int argc, char **argv)
{
	enum { O_LIFE = 256, O_SAMPLE, O_FLAT, O_FIRST };
	static const struct option lo[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "calls", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "life", required_argument, NULL, O_LIFE },
		{ "rate", required_argument, NULL, 'r' },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "flat", required_argument, NULL, O_FLAT },
		{ "ips", required_argument, NULL, 'i' },
		{ "first-ip", required_argument, NULL, O_FIRST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *colon;
	int ch;

	s->ctl_addr = "127.0.0.1:22222";
	s->ncalls = 200;
	s->duration = 1800;
	s->life_min = 5;
	s->life_max = 30;
	s->rate = 50;
	s->sample_s = 60;
	s->flat_kb_min = 16;
	s->nips = 8;
	s->first_ip = 60;
	while ((ch = getopt_long(argc, argv, "c:p:n:t:r:i:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			s->ctl_addr = optarg;
			break;
		case 'p':
			s->pid = (pid_t)fnum(optarg, 1, 4194304);
			break;
		case 'n':
			s->ncalls = (unsigned)fnum(optarg, 1, 20000);
			break;
		case 't':
			s->duration = fnum(optarg, 1, 7 * 86400);
			break;
		case O_LIFE:
			if ((colon = strchr(optarg, ':')) == NULL)
				usage();
			*colon = '\0';
			s->life_min = fnum(optarg, 0.1, 86400);
			s->life_max = fnum(colon + 1, s->life_min, 86400);
			break;
		case 'r':
			s->rate = (unsigned)fnum(optarg, 1, 1000);
			break;
		case O_SAMPLE:
			s->sample_s = fnum(optarg, 1, 3600);
			break;
		case O_FLAT:
			s->flat_kb_min = fnum(optarg, 0, 1e9);
			break;
		case 'i':
			s->nips = (unsigned)fnum(optarg, 1, 200);
			break;
		case O_FIRST:
			s->first_ip = (unsigned)fnum(optarg, 2, 250);
			break;
		default:
			usage();
		}
	}
	if (optind < argc || s->first_ip + s->nips > 255)
		usage();
}

int
main(int argc, char **argv)
{
	static struct soak s;
	struct sigaction sa;
	struct rlimit rl;
	struct sample after;
	uint64_t now, end, next_sample, next_budget, drain_end;
	unsigned budget = 0, i, busy;

	parse_opts(&s, argc, argv);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return 1;
	if ((s.slots = calloc(s.ncalls, sizeof(*s.slots))) == NULL ||
	    (s.samples = calloc(MAX_SAMPLES, sizeof(*s.samples))) == NULL ||
	    (s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    open_ctl(&s) != 0 || open_phones(&s) != 0)
		return 1;
	memset(s.pkt, 0xff, sizeof(s.pkt));
	s.pkt[0] = 0x80;
	s.pkt[1] = 0;
	s.period = NS_PER_S / s.rate;
	s.rss_idle = proc_rss_kb(s.pid);
	s.fds_idle = proc_fds(s.pid);
	printf("soak: relay pid %d, idle RSS %ld kB, %ld fds; %u calls, "
	    "lifetime %.0f-%.0f s, %u pps per stream, %.0f s\n", (int)s.pid,
	    s.rss_idle, s.fds_idle, s.ncalls, s.life_min, s.life_max, s.rate,
	    s.duration);
	fflush(stdout);

	s.t0 = now = mono_ns();
	end = s.t0 + (uint64_t)(s.duration * NS_PER_S);
	next_sample = s.t0 + (uint64_t)(s.sample_s * NS_PER_S);
	next_budget = now;
	while (!stop && now < end) {
		/* Ramp and churn share one pace: SETUP_PER_S new calls per second. */
		if (now >= next_budget) {
			budget = SETUP_PER_S / 10;
			next_budget = now + NS_PER_S / 10;
		}
		run_timers(&s, now, &budget);
		send_due(&s, now);
		poll_once(&s, 2);
		now = mono_ns();
		if (now >= next_sample) {
			if (s.info_pending)	/* the last I got no answer */
				info_answer(&s, "");
			sample_start(&s, now);
			next_sample += (uint64_t)(s.sample_s * NS_PER_S);
		}
		if (s.info_pending && now > s.info_deadline)
			info_answer(&s, "");
	}

	/* Delete every call, wait for the answers (bounded), last sample. */
	stop = 1;
	now = mono_ns();
	drain_end = now + 12 * NS_PER_S;
	for (busy = 1; busy && now < drain_end; now = mono_ns()) {
		run_timers(&s, now, &budget);
		poll_once(&s, 5);
		for (busy = 0, i = 0; i < s.ncalls; i++)
			busy += s.slots[i].st != ST_DONE && s.slots[i].st != ST_IDLE;
	}
	/* Let the workers close the deleted calls' sockets. */
	for (i = 0; i < 200; i++)
		poll_once(&s, 10);
	s.info_pending = false;
	s.final = true;
	sample_start(&s, mono_ns());
	for (i = 0; i < 300 && s.info_pending; i++)
		poll_once(&s, 10);
	if (s.info_pending)
		info_answer(&s, "");
	after = s.samples[--s.nsamples];	/* not part of the fit */
	return summary(&s, &after) ? 0 : 1;
}
