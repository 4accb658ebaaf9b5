/*
 * bench_ctl.h - the generator's side of the rtpproxy control protocol,
 * shaped like Kamailio's rtpproxy module: cookies "<random>_<seq>",
 * V and VF probes at start, then per call
 *
 *	U[c<pts>] <callid> <caller ip> <caller port> <from-tag>;1
 *	L[c<pts>] <callid> <callee ip> <callee port> <from-tag>;1 <to-tag>;1
 *	D <callid> <from-tag> <to-tag>
 *
 * Many calls are in flight at once (a window of outstanding commands, as
 * many Kamailio workers would produce); within a call, L follows the
 * answer to U. A command without an answer is resent with the same
 * cookie after a second, five tries in all, like Kamailio.
 */
#ifndef RTPBENCH_CTL_H
#define RTPBENCH_CTL_H

#include <poll.h>
#include <sys/socket.h>

#include "bench.h"

#define CTL_TRIES	5
#define CTL_TIMEOUT_NS	NS_PER_S
#define CTL_RX_BATCH	32
#define CTL_MAXLEN	256

enum ctl_step { STEP_U, STEP_L, STEP_D };
enum bench_op { OP_SETUP, OP_TEARDOWN };

struct ctl_slot {
	bool		 busy;
	unsigned	 call;
	enum ctl_step	 step;
	unsigned	 tries;
	uint64_t	 seq;		/* the number in the cookie */
	uint64_t	 deadline;
	size_t		 len;
	char		 cmd[CTL_MAXLEN];
};

struct ctl {
	int		 fd;
	char		 prefix[12];
	uint64_t	 gen;		/* slot reuses, for fresh cookies */
	unsigned	 window;
	struct ctl_slot	*slot;
	bool		 clist;		/* VF 20081102 answered 1 */
	/* Counters of the last ctl_batch(). */
	unsigned	 answered;
	unsigned	 failed;
	unsigned	 resent;
	char		 last_error[64];
};

static int
ctl_open(struct ctl *c, const char *where, unsigned window)
{
	struct addr a;
	unsigned r;

	memset(c, 0, sizeof(*c));
	if (strncmp(where, "udp:", 4) == 0)
		where += 4;
	if (addr_parse_hostport(&a, where, 22222, AF_UNSPEC) != 0) {
		fprintf(stderr, "rtpbench: bad control address %s\n", where);
		return -1;
	}
	c->window = window ? window : 1;
	if ((c->slot = calloc(c->window, sizeof(*c->slot))) == NULL)
		return -1;
	r = (unsigned)(mono_ns() ^ ((uint64_t)getpid() << 16));
	snprintf(c->prefix, sizeof(c->prefix), "%08x", r);
	c->fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, &a.u.sa, a.len) != 0) {
		fprintf(stderr, "rtpbench: control socket: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void
ctl_close(struct ctl *c)
{
	if (c->fd > 0 && close(c->fd) != 0)
		fprintf(stderr, "rtpbench: close: %s\n", strerror(errno));
	free(c->slot);
	c->slot = NULL;
}

static void
ctl_send(struct ctl *c, struct ctl_slot *s, uint64_t now)
{
	s->tries++;
	s->deadline = now + CTL_TIMEOUT_NS;
	/* A full socket buffer is one more timeout, not a failure. */
	dgram_send(c->fd, s->cmd, s->len, "control send");
}

/* Fill slot s with the next command of its call and send it. */
static void
ctl_issue(struct ctl *c, struct call *calls, struct ctl_slot *s, uint64_t now)
{
	struct call *k = &calls[s->call];
	char ip[ADDR_STRLEN];
	const char *mods = c->clist ? "c0,8,101" : "";
	int n = 0;

	s->seq = c->gen++ * c->window + (uint64_t)(s - c->slot);
	s->tries = 0;
	switch (s->step) {
	case STEP_U:
		n = snprintf(s->cmd, sizeof(s->cmd), "%s_%llu U%s %s %s %u %s;1",
		    c->prefix, (unsigned long long)s->seq, mods, k->id,
		    addr_ip_str(&k->ph[0].local, ip, sizeof(ip)),
		    addr_port(&k->ph[0].local), k->ftag);
		break;
	case STEP_L:
		n = snprintf(s->cmd, sizeof(s->cmd), "%s_%llu L%s %s %s %u %s;1 %s;1",
		    c->prefix, (unsigned long long)s->seq, mods, k->id,
		    addr_ip_str(&k->ph[1].local, ip, sizeof(ip)),
		    addr_port(&k->ph[1].local), k->ftag, k->ttag);
		break;
	case STEP_D:
		n = snprintf(s->cmd, sizeof(s->cmd), "%s_%llu D %s %s %s",
		    c->prefix, (unsigned long long)s->seq, k->id, k->ftag, k->ttag);
		break;
	}
	s->len = n > 0 && (size_t)n < sizeof(s->cmd) ? (size_t)n : 0;
	ctl_send(c, s, now);
}

/* One answer to the command in slot s. Returns true when the slot is free. */
static bool
ctl_answer(struct ctl *c, struct call *calls, struct ctl_slot *s,
    const char *body, uint64_t now)
{
	struct call *k = &calls[s->call];
	bool ok = true;

	c->answered++;
	switch (s->step) {
	case STEP_U:
		if (ctl_parse_port_reply(body, "127.0.0.1", &k->ph[1].relay) != 0) {
			ok = false;
			break;
		}
		s->step = STEP_L;
		ctl_issue(c, calls, s, now);
		return false;
	case STEP_L:
		if (ctl_parse_port_reply(body, "127.0.0.1", &k->ph[0].relay) != 0)
			ok = false;
		else
			k->up = true;
		break;
	case STEP_D:
		ok = body[0] == '0';
		k->up = false;
		break;
	}
	if (!ok) {
		c->failed++;
		snprintf(c->last_error, sizeof(c->last_error), "%.*s",
		    (int)strcspn(body, "\n"), body);
	}
	s->busy = false;
	return true;
}

/* Read every answer waiting on the socket. */
static void
ctl_receive(struct ctl *c, struct call *calls, unsigned *inflight, uint64_t now)
{
	static char buf[CTL_RX_BATCH][CTL_MAXLEN];
	struct mmsghdr m[CTL_RX_BATCH];
	struct iovec iov[CTL_RX_BATCH];
	struct ctl_slot *s;
	unsigned long long seq;
	char *sep, *end;
	size_t plen = strlen(c->prefix);
	int n, i;

	for (;;) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < CTL_RX_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = CTL_MAXLEN - 1;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(c->fd, m, CTL_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
				fprintf(stderr, "rtpbench: control recv: %s\n",
				    strerror(errno));
			return;
		}
		for (i = 0; i < n; i++) {
			buf[i][m[i].msg_len] = '\0';
			if (strncmp(buf[i], c->prefix, plen) != 0 || buf[i][plen] != '_')
				continue;
			seq = strtoull(buf[i] + plen + 1, &end, 10);
			if (*end != ' ')
				continue;
			s = &c->slot[seq % c->window];
			if (!s->busy || s->seq != seq)
				continue;	/* an answer to a retransmission */
			sep = end + 1;
			if (ctl_answer(c, calls, s, sep, now))
				(*inflight)--;
		}
	}
}

/*
 * Set up (U then L) or tear down (D) calls [first, last) with up to
 * `window` commands outstanding. Returns the elapsed time in ns.
 */
static uint64_t
ctl_batch(struct ctl *c, struct call *calls, unsigned first, unsigned last,
    enum bench_op op)
{
	struct pollfd pfd;
	struct ctl_slot *s;
	uint64_t start, now, next;
	unsigned next_call = first, inflight = 0, i;
	int ms;

	c->answered = c->failed = c->resent = 0;
	c->last_error[0] = '\0';
	start = now = mono_ns();
	while (next_call < last || inflight > 0) {
		/* A relay that answers nothing: give up on the rest. */
		if (c->failed >= c->window && c->answered == 0)
			next_call = last;
		for (i = 0; i < c->window && next_call < last; i++) {
			s = &c->slot[i];
			if (s->busy)
				continue;
			s->busy = true;
			s->call = next_call++;
			s->step = op == OP_SETUP ? STEP_U : STEP_D;
			inflight++;
			ctl_issue(c, calls, s, now);
		}
		next = now + CTL_TIMEOUT_NS;
		for (i = 0; i < c->window; i++)
			if (c->slot[i].busy && c->slot[i].deadline < next)
				next = c->slot[i].deadline;
		ms = next > now ? (int)((next - now) / NS_PER_MS) + 1 : 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			fprintf(stderr, "rtpbench: poll: %s\n", strerror(errno));
			break;
		}
		now = mono_ns();
		ctl_receive(c, calls, &inflight, now);
		for (i = 0; i < c->window; i++) {
			s = &c->slot[i];
			if (!s->busy || s->deadline > now)
				continue;
			if (s->tries >= CTL_TRIES) {
				c->failed++;
				snprintf(c->last_error, sizeof(c->last_error),
				    "no answer");
				s->busy = false;
				inflight--;
				continue;
			}
			c->resent++;
			ctl_send(c, s, now);
		}
	}
	return mono_ns() - start;
}

/* One command, answer in reply (without cookie and newline); 0 or -1. */
static int
ctl_request(struct ctl *c, const char *body, char *reply, size_t len)
{
	char cmd[CTL_MAXLEN], buf[CTL_MAXLEN], want[32];
	struct pollfd pfd;
	unsigned try;
	ssize_t n;
	int r;

	r = snprintf(want, sizeof(want), "%s_%llu ", c->prefix,
	    (unsigned long long)c->gen++ * c->window);
	snprintf(cmd, sizeof(cmd), "%s%s", want, body);
	for (try = 0; try < CTL_TRIES; try++) {
		if (send(c->fd, cmd, strlen(cmd), 0) < 0 && errno != ECONNREFUSED) {
			fprintf(stderr, "rtpbench: control send: %s\n", strerror(errno));
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, 1000) > 0) {
			if ((n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) < 0)
				break;
			buf[n] = '\0';
			if (strncmp(buf, want, (size_t)r) != 0)
				continue;
			snprintf(reply, len, "%.*s", (int)strcspn(buf + r, "\n"),
			    buf + r);
			return 0;
		}
	}
	return -1;
}

/* Kamailio's start-up probes. Returns 0 when the relay answered V. */
static int
ctl_probe(struct ctl *c)
{
	char reply[CTL_MAXLEN];

	if (ctl_request(c, "V", reply, sizeof(reply)) != 0) {
		fprintf(stderr, "rtpbench: relay at the control address does not answer\n");
		return -1;
	}
	if (strcmp(reply, "20040107") != 0)
		fprintf(stderr, "rtpbench: V answered \"%s\"\n", reply);
	if (ctl_request(c, "VF 20050322", reply, sizeof(reply)) != 0 ||
	    strcmp(reply, "1") != 0)
		fprintf(stderr, "rtpbench: VF 20050322 not supported (Kamailio "
		    "would disable this relay); going on\n");
	(void)ctl_request(c, "VF 20071116", reply, sizeof(reply));
	c->clist = ctl_request(c, "VF 20081102", reply, sizeof(reply)) == 0 &&
	    strcmp(reply, "1") == 0;
	return 0;
}

#endif
