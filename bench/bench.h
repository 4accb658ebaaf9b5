/*
 * bench.h - shared state of the rtpbench load generator, and the small
 * measuring helpers: clocks, /proc readers, the latency histogram.
 *
 * Header-only on purpose: bench/CMakeLists.txt builds every C file in
 * bench/ as its own program, so the helpers live in headers as static
 * functions. They are inline so that a program using only some of them
 * (ngbench.c) builds without unused-function warnings.
 */
#ifndef RTPBENCH_BENCH_H
#define RTPBENCH_BENCH_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "control/rtpp/ctl_parse.h"
#include "packet/rtp.h"

#define NS_PER_S	1000000000ull
#define NS_PER_MS	1000000ull

/* One phone: a socket on a 127.0.0.x address, sending to its relay port. */
struct phone {
	int		 fd;
	struct addr	 local;
	struct addr	 relay;		/* where it sends: from the U/L reply */
	uint32_t	 ssrc;
};

/* One call: phone[0] is the caller (from-tag), phone[1] the callee. */
struct call {
	struct phone	 ph[2];
	char		 id[48];
	char		 ftag[20];	/* "f" + 7 hex + up to 10 digits + NUL */
	char		 ttag[20];
	bool		 up;		/* U and L answered with a port */
	bool		 connected;	/* both phones connect()ed and polled */
};

struct opts {
	const char	*ctl;		/* relay control address */
	pid_t		 pid;		/* relay process, 0 = unknown */
	int		 relay_cpu;	/* core the relay is pinned to, -1 = none */
	bool		 whole_machine;	/* core_us_pkt: every core's busy time */
	const char	*phone_net;	/* "127.0.0." */
	const char	*label;
	unsigned	 run;
	unsigned	 calls;
	double		 duration;	/* measured window, s */
	double		 warmup;	/* media before the window, s */
	unsigned	 rate;		/* packets per second per stream */
	unsigned	 size;		/* RTP packet size, bytes */
	unsigned	 nips;		/* phones on 127.0.0.10 ... */
	unsigned	 window;	/* outstanding control commands */
	uint64_t	 tick_ns;	/* shortest sleep of the sender */
	bool		 json;
	bool		 header;
	bool		 print_header;	/* print the table heading and exit */
	bool		 cold_round;	/* one untimed setup+teardown first */
	const char	*record;
	/* Saturation mode. */
	bool		 saturate;
	unsigned	 step;
	unsigned	 max_calls;
	double		 max_loss;	/* fraction */
	double		 max_p99_us;
	/* Summary mode. */
	const char	*summary;
	const char	*subject;
	const char	*refs;	/* ngbench: the one relay compared with */
	const char	*trace;	/* ngbench: a line per reply goes here */
};

/* Monotonic and wall clocks in ns. */
static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Sleep ns; a signal cuts it short, the callers look at their flag. */
static inline void
sleep_ns(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / NS_PER_S);
	ts.tv_nsec = (long)(ns % NS_PER_S);
	if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
		fprintf(stderr, "%s: nanosleep: %s\n",
		    program_invocation_short_name, strerror(errno));
}

/*
 * Send one datagram without waiting. A full socket buffer or an ICMP
 * error loses it like the network would; other errors are said, with
 * `what` (the socket's role) in the message.
 */
static inline void
dgram_send(int fd, const void *p, size_t len, const char *what)
{
	if (send(fd, p, len, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
	    errno != ECONNREFUSED)
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    what, strerror(errno));
}

/* Read a small /proc file into buf; returns its length or -1. */
static inline ssize_t
read_small(const char *path, char *buf, size_t len)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, len - 1, fp);
	if (ferror(fp)) {
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0)
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

/*
 * utime + stime of a process, all its threads, in seconds. The kernel
 * scales these to the precise runtime; the unit is the clock tick.
 */
static inline double
proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_small(path, buf, sizeof(buf)) < 0 || hz <= 0)
		return -1;
	/* Fields after the command name, which may contain spaces. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)hz;
}

/*
 * Scheduler view of all threads of a process (pid 0: this one), in ns:
 * time on a CPU, and time runnable but waiting for a CPU (someone else
 * had it: the noise of a shared machine). Finer than the clock ticks of
 * /proc/PID/stat, for intervals as short as a call setup burst.
 * Returns 0, or -1 if unreadable.
 */
static inline int
proc_sched_ns(pid_t pid, double *run, double *wait)
{
	char path[300], buf[256], *end;
	struct dirent *de;
	DIR *d;

	*run = *wait = 0;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/task");
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (pid > 0)
			snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			    (int)pid, de->d_name);
		else
			snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat",
			    de->d_name);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			*run += strtod(buf, &end);
			*wait += strtod(end, NULL);
		}
	}
	return closedir(d);
}

static inline double
proc_cpu_ns(pid_t pid)
{
	double run, wait;

	if (pid <= 0 || proc_sched_ns(pid, &run, &wait) != 0)
		return -1;
	return run;
}

/* VmRSS in kB, or -1. */
static inline long
proc_rss_kb(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (pid <= 0 || read_small(path, buf, sizeof(buf)) < 0 ||
	    (p = strstr(buf, "VmRSS:")) == NULL)
		return -1;
	return strtol(p + 6, NULL, 10);
}

/* core_busy_s() of every core together: the whole machine. */
#define CORE_ALL	4096

/*
 * Busy time of one core, or of all (CORE_ALL): everything but idle and
 * iowait (user, nice, system, irq, softirq, steal), seconds.
 */
static inline double
core_busy_s(int cpu)
{
	char buf[8192], name[16], *p;
	unsigned long long v[10];
	long hz = sysconf(_SC_CLK_TCK);
	int n;

	if (cpu < 0 || hz <= 0 || read_small("/proc/stat", buf, sizeof(buf)) < 0)
		return -1;
	if (cpu == CORE_ALL) {
		snprintf(name, sizeof(name), "cpu ");
		if (strncmp(buf, name, strlen(name)) != 0)
			return -1;
		p = buf;
	} else {
		snprintf(name, sizeof(name), "\ncpu%d ", cpu);
		if ((p = strstr(buf, name)) == NULL)
			return -1;
	}
	memset(v, 0, sizeof(v));
	n = sscanf(p + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 8)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

/*
 * User time (user + nice) of every core together, seconds: with the
 * user time of the processes a benchmark knows, what the others ran.
 */
static inline double
machine_user_s(void)
{
	char buf[256];
	unsigned long long user, nice;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || read_small("/proc/stat", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "cpu %llu %llu", &user, &nice) != 2)
		return -1;
	return (double)(user + nice) / (double)hz;
}

/* utime of a process, all its threads, in seconds (as proc_cpu_s()). */
static inline double
proc_user_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_small(path, buf, sizeof(buf)) < 0 || hz <= 0)
		return -1;
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
	    &ut) != 1)
		return -1;
	return (double)ut / (double)hz;
}

/* The PID of ksoftirqd/<cpu>, or 0. Bounded by the number of processes. */
static inline pid_t
find_ksoftirqd(int cpu)
{
	char want[32], path[300], comm[64];
	struct dirent *de;
	DIR *d;
	pid_t found = 0;

	if (cpu < 0 || (d = opendir("/proc")) == NULL)
		return 0;
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (found == 0 && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (read_small(path, comm, sizeof(comm)) > 0 && strcmp(comm, want) == 0)
			found = (pid_t)atoi(de->d_name);
	}
	if (closedir(d) != 0)
		return 0;
	return found;
}

/*
 * Latency histogram: 100 ns bins up to 13.1 ms, then 100 us bins up to
 * 1.6 s, then one overflow bin. Percentiles are bin upper bounds.
 */
#define HIST_FINE	(1u << 17)
#define HIST_FINE_NS	100u
#define HIST_COARSE	(1u << 14)
#define HIST_COARSE_NS	100000u

struct hist {
	uint32_t	 fine[HIST_FINE];
	uint32_t	 coarse[HIST_COARSE + 1];
	uint64_t	 n;
	uint64_t	 max_ns;
	double		 sum_ns;
};

static inline void
hist_add(struct hist *h, uint64_t ns)
{
	uint64_t b;

	if (ns < (uint64_t)HIST_FINE * HIST_FINE_NS) {
		h->fine[ns / HIST_FINE_NS]++;
	} else {
		b = ns / HIST_COARSE_NS;
		h->coarse[b < HIST_COARSE ? b : HIST_COARSE]++;
	}
	h->n++;
	h->sum_ns += (double)ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* The q-quantile (0..1) in microseconds; -1 without samples. */
static inline double
hist_quantile_us(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (h->n == 0)
		return -1;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < HIST_FINE; i++) {
		seen += h->fine[i];
		if (seen > want)
			return (double)(i + 1) * HIST_FINE_NS / 1000.0;
	}
	for (i = 0; i <= HIST_COARSE; i++) {
		seen += h->coarse[i];
		if (seen > want)
			return i < HIST_COARSE ?
			    (double)(i + 1) * HIST_COARSE_NS / 1000.0 :
			    (double)h->max_ns / 1000.0;
	}
	return (double)h->max_ns / 1000.0;
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (sorts them); NaN-free input, n > 0. */
static inline double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
