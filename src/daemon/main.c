/*
 * main.c - rtproam: start-up, the control thread's event loop, shutdown.
 *
 * Start-up order matters: daemonize before any thread exists, bind the
 * control sockets while we may still hold privileges, drop them, and only
 * then start the workers and parse the first command.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/capability.h>

#include "config/config.h"
#include "config/config_file.h"
#include "control/ctl_net.h"
#include "control/rtpp/ctl_rtpp.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "daemon/metrics.h"
#include "kernel/fastpath.h"
#include "control/rtpp/notify.h"
#include "media/proc/record.h"
#include "media/fastpath_sync.h"
#include "media/worker.h"
#include "store/store.h"

/* Sentinels for main's own epoll sources; ctl_net uses real pointers. */
static char sig_tag, timer_tag, metrics_tag;

/*
 * Every port of the range may become a socket, so ask for that many
 * descriptors plus some for control and the workers. Root may raise the
 * hard limit as well (the kernel caps it at fs.nr_open); anyone else
 * gets the hard limit. Returns the new soft limit.
 */
static long
raise_fd_limit(rlim_t want)
{
	struct rlimit rl, up;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		up.rlim_cur = up.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return (long)want;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	return rl.rlim_cur > 1u << 30 ? 1L << 30 : (long)rl.rlim_cur;
}

/*
 * Grow the descriptor table to n slots now, while this is the only thread.
 * The kernel grows it (doubling) when a new descriptor does not fit; in a
 * process with several threads each growth waits for an RCU grace period
 * (synchronize_rcu in expand_files), 10-20 ms on a loaded VM, and the
 * thread that waits is the control thread opening a new call's sockets:
 * every command behind it waits too. Grown here, it never grows again
 * while the port range lasts. The table never shrinks, so one dup2() to
 * the last slot and a close() are enough. Costs 8 bytes of kernel memory
 * per slot, what a full port range uses anyway.
 */
static void
reserve_fd_table(long n)
{
	int fd;

	if (n <= 1 || n > INT_MAX)
		return;
	if ((fd = dup2(STDERR_FILENO, (int)(n - 1))) < 0) {
		log_warn("cannot reserve %ld descriptors: %s", n, strerror(errno));
		return;
	}
	(void)close(fd);
}

static int
drop_privileges(const char *spec)
{
	char user[64], *group;
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (snprintf(user, sizeof(user), "%s", spec) >= (int)sizeof(user))
		return -1;
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		log_err("-u: no such user: %s", user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			log_err("-u: no such group: %s", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
		log_err("cannot drop privileges to %s: %s", spec, strerror(errno));
		return -1;
	}
	/* Paranoia: regaining root must now be impossible. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_err("privilege drop did not stick");
		return -1;
	}
	log_info("running as %s (uid %u gid %u)", user, (unsigned)pw->pw_uid, (unsigned)gid);
	return 0;
}

static int
write_pidfile(const char *path)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

static int
add_fd(int epfd, int fd, void *tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Returns false when the daemon should stop. */
static bool
handle_signal(int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return true;
	if (si.ssi_signo == SIGHUP) {
		log_reopen();
		log_notice("SIGHUP: log reopened");
		return true;
	}
	log_notice("signal %u: shutting down", si.ssi_signo);
	return false;
}

/*
 * A service that is not root but was handed CAP_BPF and CAP_NET_ADMIN
 * (systemd AmbientCapabilities) to attach the fast path gives them up
 * once it is attached: the map is used through a descriptor, which needs
 * no capability. capset(2) directly: libcap for one call is not worth a
 * dependency.
 */
static int
drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	memset(none, 0, sizeof(none));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 ||
	    syscall(SYS_capset, &hdr, none) != 0) {
		log_err("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	log_info("capabilities dropped after attaching the fast path");
	return 0;
}

/*
 * --fast-path ebpf: attach while we may still hold CAP_BPF and
 * CAP_NET_ADMIN, before the drop. Where the kernel says no, say so once
 * and run on sockets: the relay works the same, at the socket path's cost.
 */
static struct fastpath *
open_fast_path(const struct config *cfg)
{
	struct addr addrs[CONFIG_MAX_IFACES + 1];
	struct fastpath *fp;
	char err[256];
	unsigned n;

	for (n = 0; n < cfg->nifaces; n++)
		addrs[n] = cfg->ifaces[n];
	if (cfg->have_iface6)
		addrs[n++] = cfg->iface6;
	if ((fp = fastpath_open(addrs, n, err, sizeof(err))) == NULL) {
		log_warn("--fast-path ebpf: %s; forwarding on sockets only", err);
		return NULL;
	}
	log_notice("fast path: eBPF program attached to %u interface(s)",
	    fastpath_attached(fp));
	return fp;
}

static int
run(struct config *cfg)
{
	struct call_ctx ctx;
	struct ctl_net *net = NULL;
	struct metrics *metrics = NULL;
	struct store *store = NULL;
	struct epoll_event ev[32];
	struct itimerspec its;
	sigset_t mask;
	uint64_t ticks;
	unsigned i, started = 0;
	int epfd = -1, sfd = -1, tfd = -1, n, k, rc = 1, cpus;
	char err[256];
	bool running = true;
	unsigned buckets = config_range_calls(cfg);

	call_ctx_init(&ctx, cfg);
	/* A bucket per call the port range can hold, at least 1024. */
	if (buckets < 1024)
		buckets = 1024;
	if (ports_init(&ctx.ports, cfg->port_min, cfg->port_max) != 0 ||
	    calls_init(&ctx.calls, buckets) != 0 ||
	    (ctx.on_timeout_arg = notify_new(cfg)) == NULL) {
		log_err("out of memory at start-up");
		goto out;
	}
	ctx.on_timeout = ctl_rtpp_on_timeout;
	ctx.ports.freebind = cfg->freebind;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Block before any thread starts, so only the signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0 ||
	    (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) {
		log_err("start-up: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = its.it_value.tv_sec = 1;
	if (timerfd_settime(tfd, 0, &its, NULL) != 0 ||
	    add_fd(epfd, sfd, &sig_tag) != 0 || add_fd(epfd, tfd, &timer_tag) != 0) {
		log_err("start-up: %s", strerror(errno));
		goto out;
	}
	if ((net = ctl_net_open(cfg, epfd, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	if (cfg->metrics != NULL &&
	    ((metrics = metrics_start(cfg->metrics, &ctx, err, sizeof(err))) == NULL ||
	    add_fd(epfd, metrics_fd(metrics), &metrics_tag) != 0)) {
		log_err("%s", metrics ? strerror(errno) : err);
		goto out;
	}
	/* Its password file may be root's: read before the drop. */
	if (cfg->redis != NULL && (store = store_new(cfg, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	if (cfg->fast_path == FAST_PATH_EBPF)
		ctx.fastpath = open_fast_path(cfg);
	if (cfg->user && drop_privileges(cfg->user) != 0)
		goto out;
	if (cfg->user == NULL && geteuid() != 0 && cfg->fast_path == FAST_PATH_EBPF &&
	    drop_capabilities() != 0)
		goto out;

	cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	ctx.nworkers = cfg->workers ? cfg->workers : (unsigned)(cpus > 0 ? cpus : 1);
	/* 4 MiB per worker: about a second of disk stall at 100 recorded calls. */
	if (cfg->record_dir != NULL && (ctx.rec = recorder_start(cfg->record_dir,
	    ctx.nworkers, 4u << 20, err, sizeof(err))) == NULL) {
		log_err("--record-dir: %s", err);
		goto out;
	}
	if ((ctx.workers = calloc(ctx.nworkers, sizeof(*ctx.workers))) == NULL)
		goto out;
	relay_set_fastpath(ctx.fastpath);
	for (i = 0; i < ctx.nworkers; i++, started++) {
		if (worker_start(&ctx.workers[i], i,
		    cfg->affinity && cpus > 0 ? (int)(i % (unsigned)cpus) : -1,
		    ctx.rec ? recorder_ring(ctx.rec, i) : NULL) != 0) {
			log_err("cannot start worker %u: %s", i, strerror(errno));
			goto out;
		}
	}
	/*
	 * Calls of this node come back before the first command is read (the
	 * control sockets are bound, not served): a proxy retrying meanwhile
	 * finds them.
	 */
	if (store != NULL) {
		if (store_start(store, &ctx, epfd, err, sizeof(err)) != 0) {
			log_err("%s", err);
			goto out;
		}
		store_restore(store);
	}
	log_notice("rtproam %s ready: %u worker(s), ports %u-%u, handover %s, ttl %us",
	    RTPROAM_VERSION, ctx.nworkers, cfg->port_min, cfg->port_max,
	    latch_policy_name(cfg->latch.policy), cfg->ttl_s);

	while (running) {
		n = epoll_wait(epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (k = 0; k < n && running; k++) {
			if (ev[k].data.ptr == &sig_tag) {
				running = handle_signal(sfd);
			} else if (ev[k].data.ptr == &timer_tag) {
				if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					log_warn("timer: %s", strerror(errno));
				calls_expire(&ctx, now_ms());
				ctl_net_tick(net, now_ms());
				if (metrics)	/* MHD's own timeouts (idle connections) */
					metrics_run(metrics);
			} else if (ev[k].data.ptr == &metrics_tag) {
				metrics_run(metrics);
			} else if (store_event(store, ev[k].data.ptr, ev[k].events)) {
				continue;
			} else {
				ctl_net_event(net, &ctx, ev[k].data.ptr, ev[k].events);
			}
		}
		store_after_batch(store);
		if (store_should_stop(store))
			running = false;
	}
	/*
	 * Fenced (another relay owns our calls): EX_TEMPFAIL. Restarted by a
	 * supervisor, it waits as a standby while the other node holds the lease.
	 */
	rc = store_should_stop(store) ? 75 : 0;
out:
	ctx.shutting_down = true;
	/* First: ending the calls here must not delete their records. */
	store_stop(store);
	if (started == ctx.nworkers && ctx.workers)
		calls_delete_all(&ctx, "shutdown");
	for (i = 0; i < started; i++)
		worker_stop(&ctx.workers[i]);
	store_free(store);
	/* After the workers: it drains their rings and closes every file. */
	recorder_stop(ctx.rec);
	free(ctx.workers);
	/* After the workers: they write its map. Detaches the program. */
	fastpath_close(ctx.fastpath);
	metrics_stop(metrics);
	ctl_net_close(net);
	notify_free(ctx.on_timeout_arg);
	calls_free(&ctx.calls);
	ports_free(&ctx.ports);
	call_ctx_free(&ctx);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (epfd >= 0)
		close(epfd);
	return rc;
}

/* The -c file's strings: cfg points into them until exit. */
static struct config_argv file_args;

int
main(int argc, char **argv)
{
	struct config cfg;
	char err[256];
	rlim_t want;
	long fds;
	int rc;

	rc = config_load(&cfg, argc, argv, &file_args, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "rtproam: %s\n", err);
		return rc < 0 ? 2 : 0;
	}
	if (geteuid() == 0 && cfg.user == NULL && !cfg.no_root_check) {
		fprintf(stderr, "rtproam: refusing to run as root: give -u USER "
		    "to drop privileges, or -F to insist\n");
		return 2;
	}
	if (!cfg.foreground && daemon(0, 0) != 0) {
		fprintf(stderr, "rtproam: daemon: %s\n", strerror(errno));
		return 1;
	}
	if (log_open(cfg.log_target, (enum log_level)cfg.log_level) != 0) {
		fprintf(stderr, "rtproam: log %s: %s\n", cfg.log_target, strerror(errno));
		return 1;
	}
	/* A socket per port of the range, and 64 for everything else. */
	want = (rlim_t)(cfg.port_max - cfg.port_min + 1) + 64;
	if ((fds = raise_fd_limit(want)) < 0)
		log_warn("cannot raise the file limit: %s", strerror(errno));
	else if ((rlim_t)fds < want)
		log_warn("file limit %ld: room for about %ld calls, though the "
		    "port range has room for %u (raise LimitNOFILE / ulimit -n)",
		    fds, (fds - 64) / 4, config_range_calls(&cfg));
	else
		log_info("file limit %ld: room for about %ld calls (4 sockets each)",
		    fds, (fds - 64) / 4);
	/* Before run() starts any thread; within the soft limit just set. */
	if (fds > 0)
		reserve_fd_table((rlim_t)fds < want ? fds : (long)want);
	if (cfg.pidfile && write_pidfile(cfg.pidfile) != 0)
		log_warn("pidfile %s: %s", cfg.pidfile, strerror(errno));
	rc = run(&cfg);
	if (cfg.pidfile)
		(void)unlink(cfg.pidfile);
	log_notice("rtproam stopped");
	config_argv_free(&file_args);
	return rc;
}
