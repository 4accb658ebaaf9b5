/*
 * fwd.c - the bare forwarder: the reference for what one userspace thread
 * can relay at all.
 *
 * It does the job of a relay minus every piece of intelligence: it speaks
 * just enough of the rtpproxy control protocol (V, VF, U, L, D, X) to be
 * set up exactly like rtproam or rtpengine, gives each leg of a call an
 * RTP/RTCP port pair, and moves packets from one leg to the other with
 * recvmmsg()/sendmmsg(), one epoll set, one thread. A leg sends to the
 * address signalled by U/L until a packet arrives on it; then it sends to
 * that packet's source (latched once, re-armed by the next U/L). There is
 * no validation of any kind: no RTP parsing, no source check, no timers,
 * no statistics beyond one counter.
 *
 * With --tc IFNAME (fwd_tc.h) it is the minimal tc forwarder instead: the
 * same set-up and latching, then the kernel carries each call's RTP.
 *
 *	fwd [-s udp:HOST:PORT] [-l ADDR] [-m MIN] [-M MAX] [--tc IFNAME]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd_tc.h"
#include "lib/addr.h"

#define FWD_BATCH	32
#define FWD_MTU		2048
#define FWD_EVENTS	256
#define FWD_TOKENS	12
#define FWD_CMDLEN	1024
#define FWD_IDLEN	128
#define FWD_TAGLEN	64
#define FWD_CTL_ROUNDS	64	/* control datagrams per wakeup */

struct fleg;

/* What an epoll event points at. */
struct fsock {
	int		 fd;
	bool		 rtcp;
	struct fleg	*leg;		/* NULL: the control socket */
};

struct fleg {
	struct fsock	 rtp, rtcp;
	uint16_t	 port;		/* local RTP port; RTCP is port + 1 */
	struct addr	 peer[2];	/* [0] RTP, [1] RTCP destination */
	bool		 latched[2];
	char		 tag[FWD_TAGLEN];
	struct fcall	*call;
	unsigned	 idx;
};

struct fcall {
	struct fcall	*next;		/* hash chain */
	char		 id[FWD_IDLEN];
	struct fleg	 leg[2];	/* [0] the offerer (first U tag) */
	bool		 in_kernel;	/* --tc: the map carries its RTP */
};

struct fwd {
	int		 epfd;
	struct fsock	 ctl;
	int		 sigfd;
	struct addr	 local;
	uint16_t	 pmin;
	unsigned	 npairs, cursor;
	uint8_t		*busy;
	struct fcall	**bucket;
	unsigned	 nbuckets, ncalls;
	uint64_t	 relayed;
	struct fwd_tc	*tc;		/* --tc, else NULL */
	/* Packet buffers. */
	struct mmsghdr	 rx[FWD_BATCH], tx[FWD_BATCH];
	struct iovec	 rx_iov[FWD_BATCH], tx_iov[FWD_BATCH];
	struct sockaddr_storage rx_src[FWD_BATCH];
	uint8_t		 buf[FWD_BATCH][FWD_MTU];
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: fwd [-s udp:HOST:PORT] [-l ADDR] [-m MIN] [-M MAX] [--tc IFNAME]\n"
	    "Bare single-thread forwarder for the benchmark (rtpproxy V/U/L/D).\n"
	    "  -s    control socket [udp:127.0.0.1:22222]\n"
	    "  -l    media address [127.0.0.1]\n"
	    "  -m    lowest media port [35000]\n"
	    "  -M    highest media port [65000]\n"
	    "  --tc  after latching, forward RTP with the minimal tc program\n"
	    "        at ingress of IFNAME (root; builds with RTPROAM_EBPF)\n");
	exit(2);
}

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int
ep_add(struct fwd *f, struct fsock *s)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	return epoll_ctl(f->epfd, EPOLL_CTL_ADD, s->fd, &ev);
}

static int
bind_port(const struct addr *local, uint16_t port)
{
	struct addr a = *local;
	int fd;

	addr_set_port(&a, port);
	fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, &a.u.sa, a.len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bind the next free even/odd pair; 0 when the range is exhausted. */
static int
leg_open(struct fwd *f, struct fleg *leg)
{
	unsigned i, idx;
	uint16_t port;
	int a, b;

	for (i = 0; i < f->npairs; i++) {
		idx = (f->cursor + i) % f->npairs;
		if (f->busy[idx])
			continue;
		port = (uint16_t)(f->pmin + 2 * idx);
		if ((a = bind_port(&f->local, port)) < 0)
			continue;
		if ((b = bind_port(&f->local, (uint16_t)(port + 1))) < 0) {
			close(a);
			continue;
		}
		f->busy[idx] = 1;
		f->cursor = (idx + 1) % f->npairs;
		leg->port = port;
		leg->rtp.fd = a;
		leg->rtp.rtcp = false;
		leg->rtp.leg = leg;
		leg->rtcp.fd = b;
		leg->rtcp.rtcp = true;
		leg->rtcp.leg = leg;
		if (ep_add(f, &leg->rtp) != 0 || ep_add(f, &leg->rtcp) != 0) {
			fprintf(stderr, "fwd: epoll_ctl: %s\n", strerror(errno));
			close(a);
			close(b);
			f->busy[idx] = 0;
			return -1;
		}
		return 0;
	}
	return -1;
}

static void
leg_close(struct fwd *f, struct fleg *leg)
{
	/* close() also removes the fds from the epoll set. */
	if (close(leg->rtp.fd) != 0 || close(leg->rtcp.fd) != 0)
		fprintf(stderr, "fwd: close: %s\n", strerror(errno));
	f->busy[(leg->port - f->pmin) / 2] = 0;
}

static struct fcall **
call_slot(struct fwd *f, const char *id)
{
	struct fcall **p;

	p = &f->bucket[hash_str(id) & (f->nbuckets - 1)];
	while (*p != NULL && strcmp((*p)->id, id) != 0)
		p = &(*p)->next;
	return p;
}

static int
grow(struct fwd *f)
{
	struct fcall **nb, *c, *next;
	unsigned n = f->nbuckets * 2, i, h;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < f->nbuckets; i++) {
		for (c = f->bucket[i]; c != NULL; c = next) {
			next = c->next;
			h = hash_str(c->id) & (n - 1);
			c->next = nb[h];
			nb[h] = c;
		}
	}
	free(f->bucket);
	f->bucket = nb;
	f->nbuckets = n;
	return 0;
}

static struct fcall *
call_new(struct fwd *f, const char *id)
{
	struct fcall *c, **slot;
	unsigned i;

	if (f->ncalls >= f->nbuckets && grow(f) != 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	for (i = 0; i < 2; i++) {
		c->leg[i].call = c;
		c->leg[i].idx = i;
	}
	if (leg_open(f, &c->leg[0]) != 0) {
		free(c);
		return NULL;
	}
	if (leg_open(f, &c->leg[1]) != 0) {
		leg_close(f, &c->leg[0]);
		free(c);
		return NULL;
	}
	slot = call_slot(f, id);
	c->next = *slot;
	*slot = c;
	f->ncalls++;
	return c;
}

static void
leg_addr(const struct fwd *f, const struct fleg *leg, struct addr *a)
{
	*a = f->local;
	addr_set_port(a, leg->port);
}

/*
 * --tc: once both RTP legs are latched, each leg's RTP leaves from the
 * other leg's socket to that leg's peer in the kernel. Not per packet:
 * once per latch.
 */
static void
tc_hand_over(struct fwd *f, struct fcall *c)
{
	struct addr a, b;

	if (f->tc == NULL || c->in_kernel || !c->leg[0].latched[0] ||
	    !c->leg[1].latched[0])
		return;
	leg_addr(f, &c->leg[0], &a);
	leg_addr(f, &c->leg[1], &b);
	if (fwd_tc_put(f->tc, &a, &b, &c->leg[1].peer[0]) != 0 ||
	    fwd_tc_put(f->tc, &b, &a, &c->leg[0].peer[0]) != 0) {
		fprintf(stderr, "fwd: call %s stays on sockets: %s\n", c->id,
		    strerror(errno));
		(void)fwd_tc_del(f->tc, &a);
		return;
	}
	c->in_kernel = true;
}

/* --tc: a leg re-armed or a call deleted; its RTP goes up again. */
static void
tc_take_back(struct fwd *f, struct fcall *c)
{
	struct addr a, b;

	if (!c->in_kernel)
		return;
	leg_addr(f, &c->leg[0], &a);
	leg_addr(f, &c->leg[1], &b);
	if (fwd_tc_del(f->tc, &a) != 0 || fwd_tc_del(f->tc, &b) != 0)
		fprintf(stderr, "fwd: call %s: map delete: %s\n", c->id,
		    strerror(errno));
	c->in_kernel = false;
}

static void
call_free(struct fwd *f, struct fcall **slot)
{
	struct fcall *c = *slot;

	*slot = c->next;
	tc_take_back(f, c);
	leg_close(f, &c->leg[0]);
	leg_close(f, &c->leg[1]);
	free(c);
	f->ncalls--;
}

/* Tags compare without their ";N" media number. */
static size_t
tag_len(const char *t)
{
	return strcspn(t, ";");
}

static bool
tag_is(const struct fleg *leg, const char *t)
{
	size_t n = tag_len(t);

	return leg->tag[0] != '\0' && strlen(leg->tag) == n &&
	    memcmp(leg->tag, t, n) == 0;
}

static void
tag_set(struct fleg *leg, const char *t)
{
	size_t n = tag_len(t);

	if (n >= sizeof(leg->tag))
		n = sizeof(leg->tag) - 1;
	memcpy(leg->tag, t, n);
	leg->tag[n] = '\0';
}

static void
signal_leg(struct fwd *f, struct fleg *leg, const struct addr *a)
{
	if (addr_is_any(a))
		return;
	tc_take_back(f, leg->call);
	leg->peer[0] = *a;
	leg->peer[1] = *a;
	addr_set_port(&leg->peer[1], (uint16_t)(addr_port(a) + 1));
	leg->latched[0] = leg->latched[1] = false;
}

static int
reply_port(struct fwd *f, const struct fleg *leg, char *out, size_t len)
{
	char ip[ADDR_STRLEN];

	return snprintf(out, len, "%u %s", leg->port,
	    addr_ip_str(&f->local, ip, sizeof(ip)));
}

/*
 * U: the address belongs to the first tag's party; reply with the port
 * the other party sends to. L: the address belongs to the second tag's
 * party; reply with the port the first tag's party sends to.
 */
static void
cmd_update(struct fwd *f, bool lookup, char **tok, int ntok, char *out, size_t len)
{
	struct fcall **slot, *c;
	struct addr a;
	unsigned long port;
	unsigned party;
	char *ep;

	if (ntok < (lookup ? 6 : 5)) {
		snprintf(out, len, "E1");
		return;
	}
	port = strtoul(tok[3], &ep, 10);
	if (*ep != '\0' || port > 65535 ||
	    addr_parse(&a, tok[2], (uint16_t)port, addr_family(&f->local)) != 0) {
		snprintf(out, len, "E37");
		return;
	}
	slot = call_slot(f, tok[1]);
	if ((c = *slot) == NULL) {
		if (lookup) {
			snprintf(out, len, "0");
			return;
		}
		if ((c = call_new(f, tok[1])) == NULL) {
			snprintf(out, len, "E71");
			return;
		}
		tag_set(&c->leg[0], tok[4]);
		if (ntok >= 6)
			tag_set(&c->leg[1], tok[5]);
	}
	/* Which leg does the first tag name? */
	party = (!tag_is(&c->leg[0], tok[4]) && tag_is(&c->leg[1], tok[4])) ? 1 : 0;
	if (lookup) {
		party ^= 1;
		if (c->leg[party].tag[0] == '\0')
			tag_set(&c->leg[party], tok[5]);
	}
	signal_leg(f, &c->leg[party], &a);
	reply_port(f, &c->leg[party ^ 1], out, len);
}

static void
cmd_delete(struct fwd *f, char **tok, int ntok, char *out, size_t len)
{
	struct fcall **slot;

	if (ntok < 3) {
		snprintf(out, len, "E1");
		return;
	}
	slot = call_slot(f, tok[1]);
	if (*slot == NULL) {
		snprintf(out, len, "E50");
		return;
	}
	call_free(f, slot);
	snprintf(out, len, "0");
}

static void
cmd_delete_all(struct fwd *f)
{
	unsigned i;

	for (i = 0; i < f->nbuckets; i++)
		while (f->bucket[i] != NULL)
			call_free(f, &f->bucket[i]);
}

/* One command (cookie already removed) -> reply body. */
static void
command(struct fwd *f, char **tok, int ntok, char *out, size_t len)
{
	switch (tok[0][0]) {
	case 'V':
	case 'v':
		if (tok[0][1] == 'F' || tok[0][1] == 'f')
			snprintf(out, len, "%d", ntok > 1 &&
			    (strcmp(tok[1], "20040107") == 0 ||
			    strcmp(tok[1], "20050322") == 0));
		else
			snprintf(out, len, "20040107");
		break;
	case 'U':
	case 'u':
		cmd_update(f, false, tok, ntok, out, len);
		break;
	case 'L':
	case 'l':
		cmd_update(f, true, tok, ntok, out, len);
		break;
	case 'D':
	case 'd':
		cmd_delete(f, tok, ntok, out, len);
		break;
	case 'X':
	case 'x':
		cmd_delete_all(f);
		snprintf(out, len, "0");
		break;
	case 'I':
	case 'i':
		snprintf(out, len, "active sessions: %u\nrelayed: %llu",
		    f->ncalls, (unsigned long long)f->relayed);
		break;
	default:
		snprintf(out, len, "E0");
		break;
	}
}

static void
control_ready(struct fwd *f)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	char cmd[FWD_CMDLEN], reply[FWD_CMDLEN], *tok[FWD_TOKENS], *p, *save;
	ssize_t n;
	int ntok, r, round;

	for (round = 0; round < FWD_CTL_ROUNDS; round++) {
		fromlen = sizeof(from);
		n = recvfrom(f->ctl.fd, cmd, sizeof(cmd) - 1, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, "fwd: control recv: %s\n",
				    strerror(errno));
			return;
		}
		cmd[n] = '\0';
		ntok = 0;
		for (p = strtok_r(cmd, " \t\r\n", &save); p != NULL &&
		    ntok < FWD_TOKENS; p = strtok_r(NULL, " \t\r\n", &save))
			tok[ntok++] = p;
		if (ntok < 2)
			continue;	/* no cookie or no command: nothing to answer */
		r = snprintf(reply, sizeof(reply), "%s ", tok[0]);
		command(f, tok + 1, ntok - 1, reply + r, sizeof(reply) - (size_t)r - 1);
		r = (int)strlen(reply);
		reply[r++] = '\n';
		if (sendto(f->ctl.fd, reply, (size_t)r, MSG_DONTWAIT,
		    (struct sockaddr *)&from, fromlen) < 0)
			fprintf(stderr, "fwd: control send: %s\n", strerror(errno));
	}
}

/* Drain one media socket into the other leg's socket of the same kind. */
static void
media_ready(struct fwd *f, struct fsock *s)
{
	struct fleg *in = s->leg, *out = &in->call->leg[in->idx ^ 1];
	struct fsock *os = s->rtcp ? &out->rtcp : &out->rtp;
	struct addr *dst = &out->peer[s->rtcp];
	unsigned k = s->rtcp, i, sent;
	int n, rc, round;

	for (round = 0; round < 8; round++) {
		for (i = 0; i < FWD_BATCH; i++)
			f->rx[i].msg_hdr.msg_namelen = sizeof(f->rx_src[i]);
		n = recvmmsg(s->fd, f->rx, FWD_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		if (!in->latched[k]) {
			addr_from_sockaddr(&in->peer[k],
			    (struct sockaddr *)&f->rx_src[0], f->rx[0].msg_hdr.msg_namelen);
			in->latched[k] = true;
			if (!s->rtcp)
				tc_hand_over(f, in->call);
		}
		if (addr_is_set(dst)) {
			for (i = 0; i < (unsigned)n; i++) {
				f->tx_iov[i].iov_base = f->buf[i];
				f->tx_iov[i].iov_len = f->rx[i].msg_len;
				f->tx[i].msg_hdr.msg_name = &dst->u.sa;
				f->tx[i].msg_hdr.msg_namelen = dst->len;
			}
			for (sent = 0; sent < (unsigned)n; sent += (unsigned)rc) {
				rc = sendmmsg(os->fd, f->tx + sent,
				    (unsigned)n - sent, MSG_DONTWAIT);
				if (rc <= 0)
					break;	/* full or ICMP error: drop the rest */
			}
			f->relayed += sent;
		}
		if (n < FWD_BATCH)
			return;
	}
}

static int
setup(struct fwd *f, const char *ctl, const char *listen, unsigned long pmin,
    unsigned long pmax)
{
	struct addr ca;
	sigset_t mask;
	unsigned i;

	if (strncmp(ctl, "udp:", 4) == 0)
		ctl += 4;
	if (addr_parse_hostport(&ca, ctl, 22222, AF_UNSPEC) != 0 ||
	    addr_parse(&f->local, listen, 0, AF_UNSPEC) != 0 ||
	    pmin < 1 || pmax > 65535 || pmin + 1 > pmax) {
		fprintf(stderr, "fwd: bad address or port range\n");
		return -1;
	}
	f->pmin = (uint16_t)(pmin + (pmin & 1));
	f->npairs = (unsigned)(pmax - f->pmin + 1) / 2;
	f->nbuckets = 1024;
	if ((f->busy = calloc(f->npairs, 1)) == NULL ||
	    (f->bucket = calloc(f->nbuckets, sizeof(*f->bucket))) == NULL) {
		fprintf(stderr, "fwd: out of memory\n");
		return -1;
	}
	for (i = 0; i < FWD_BATCH; i++) {
		f->rx_iov[i].iov_base = f->buf[i];
		f->rx_iov[i].iov_len = FWD_MTU;
		f->rx[i].msg_hdr.msg_iov = &f->rx_iov[i];
		f->rx[i].msg_hdr.msg_iovlen = 1;
		f->rx[i].msg_hdr.msg_name = &f->rx_src[i];
		f->tx[i].msg_hdr.msg_iov = &f->tx_iov[i];
		f->tx[i].msg_hdr.msg_iovlen = 1;
	}
	if ((f->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fprintf(stderr, "fwd: epoll_create1: %s\n", strerror(errno));
		return -1;
	}
	f->ctl.leg = NULL;
	f->ctl.fd = socket(addr_family(&ca), SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (f->ctl.fd < 0 || bind(f->ctl.fd, &ca.u.sa, ca.len) != 0 ||
	    ep_add(f, &f->ctl) != 0) {
		fprintf(stderr, "fwd: control socket %s: %s\n", ctl, strerror(errno));
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (f->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "fwd: signalfd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct fwd f;
	struct epoll_event ev[FWD_EVENTS], sev;
	static const struct option longopts[] = {
		{ "tc", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl = "udp:127.0.0.1:22222", *listen = "127.0.0.1";
	const char *tc_ifname = NULL;
	char err[256];
	unsigned long pmin = 35000, pmax = 65000;
	bool stop = false, ctl_ready;
	int ch, n, i;

	while ((ch = getopt_long(argc, argv, "s:l:m:M:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			ctl = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'm':
			pmin = strtoul(optarg, NULL, 10);
			break;
		case 'M':
			pmax = strtoul(optarg, NULL, 10);
			break;
		case 't':
			tc_ifname = optarg;
			break;
		default:
			usage();
		}
	}
	if (setup(&f, ctl, listen, pmin, pmax) != 0)
		return 1;
	if (tc_ifname != NULL) {
		if ((f.tc = fwd_tc_open(tc_ifname, &f.local, err, sizeof(err))) == NULL) {
			fprintf(stderr, "fwd: --tc %s: %s\n", tc_ifname, err);
			return 1;
		}
		fprintf(stderr, "fwd: tc program attached to %s\n", tc_ifname);
	}
	memset(&sev, 0, sizeof(sev));
	sev.events = EPOLLIN;
	sev.data.ptr = &f.sigfd;	/* any address that is no fsock */
	if (epoll_ctl(f.epfd, EPOLL_CTL_ADD, f.sigfd, &sev) != 0) {
		fprintf(stderr, "fwd: epoll_ctl: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "fwd: ready, control %s, media %s ports %u-%lu\n",
	    ctl, listen, f.pmin, pmax);
	while (!stop) {
		n = epoll_wait(f.epfd, ev, FWD_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fwd: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		ctl_ready = false;
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == &f.sigfd)
				stop = true;
			else if (ev[i].data.ptr == &f.ctl)
				ctl_ready = true;
			else
				media_ready(&f, ev[i].data.ptr);
		}
		/* Last: a D frees sockets that later events of this batch name. */
		if (ctl_ready)
			control_ready(&f);
	}
	fprintf(stderr, "fwd: stopping, %u calls, %llu packets relayed\n",
	    f.ncalls, (unsigned long long)f.relayed);
	cmd_delete_all(&f);
	fwd_tc_close(f.tc);	/* detaches the program */
	free(f.bucket);
	free(f.busy);
	if (close(f.ctl.fd) != 0 || close(f.sigfd) != 0 || close(f.epfd) != 0)
		return 1;
	return 0;
}
