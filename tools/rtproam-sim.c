/*
 * rtproam-sim - two simulated phones, their handovers and a blind
 * attacker, run through any relay that speaks the rtpproxy control
 * protocol over UDP (rtproam, rtpproxy, rtpengine's --listen-udp).
 *
 * It sets up one call the way Kamailio would (U for A's offer, L for B's
 * answer), streams 20 ms PCMU both ways with RTCP sender reports, moves
 * one phone to new addresses at given times, optionally sprays the
 * relay's ports from an attacker address, and reports per direction and
 * per move what arrived where and when. It judges nothing: the exit
 * status only says whether the run happened.
 *
 * Only loopback addresses are used; 127.0.0.0/8 gives each simulated
 * network its own source IP. Everything is bounded by --duration.
 *
 * Every packet carries a marker naming its sender, its index and the
 * address it left from (src/sim_metrics.h), so the receiver counts
 * exactly rather than guessing by SSRC, which an attacker may copy.
 * A move with `reinvite` sends what a proxy would for a re-INVITE from
 * the mover: U with its new address, then L with the other party's
 * address; either reply may change the ports the phones send to.
 *
 * JSON output (--json FILE, or --json - for stdout instead of the
 * table); times in ms, null when there is no value:
 *
 *   version               1
 *   relay                 control address, "HOST:PORT"
 *   callid, from_tag, to_tag
 *   setup                 {done, relay_port_a, relay_port_b, media_addr}
 *                         relay_port_a: where A sends (L reply);
 *                         relay_port_b: where B sends (U reply)
 *   teardown_ok           D was answered (null without setup)
 *   duration_ms, rtcp_interval_ms, window_ms
 *   phones.a, phones.b    {addr, ssrc, final_addr, final_ssrc, relay,
 *                          send_errors}; relay = where it sent at the end
 *   directions.a_to_b, directions.b_to_a (sent by the first, received
 *   by the second phone):
 *     sent, received      packets sent; distinct packets accepted at an
 *                         address the receiver was using at that time
 *     lost                sent - received
 *     duplicates          accepted copies beyond the first
 *     latency_p50_ms, latency_p99_ms   first accepted copy, nearest rank
 *     injected            packets at the receiver not sent by its peer:
 *                         the attacker's, or unrecognisable ones
 *     to_old              peer packets that reached an address the
 *                         receiver had already left
 *     echoed              the receiver's own packets sent back to it
 *     misrouted           RTP on the RTCP socket or RTCP on the RTP one
 *     rtcp_sent, rtcp_received, rtcp_injected, rtcp_to_old
 *   moves[]               one per --move, in time order:
 *     at_ms, kind, phone, from, to, newssrc, overlap_ms, silence_ms,
 *     reinvite, reinvite_ok (null without reinvite)
 *     uplink_switched     a packet the mover sent from the new address
 *                         reached the other phone
 *     uplink_switch_pkts  packets sent from the new address before the
 *                         first one that arrived (all of them if none)
 *     uplink_switch_ms    first arrival - first send from the new address
 *     downlink_switched   the other phone's media reached the new address
 *     downlink_switch_ms  first delivery there - mover's first packet from
 *                         there (negative: the relay moved on signalling)
 *     downlink_switch_pkts  the other phone's packets sent in between
 *     lost_up, lost_down  mover's / other phone's packets sent within
 *                         +-window_ms of the move and never accepted
 *     to_old_rtp, to_old_rtcp   arrivals at left addresses during this
 *                         move's period (until the next move or the end)
 *     rtcp_to_new         other phone's RTCP received at the new RTCP
 *                         address; rtcp_to_new_ok = rtcp_to_new > 0
 *     rtcp_from_new       mover's RTCP from the new address that arrived
 *   attack                null, or {kind, from, ports, rate, start_ms,
 *                         stop_ms, sent, send_errors, leaked_rtp,
 *                         leaked_rtcp, leaked_from_a, leaked_from_b,
 *                         leaked_other, injected_rtp, injected_rtcp}
 *                         leaked_rtp/_rtcp: every packet the attacker's
 *                         sockets got from the relay; of those,
 *                         leaked_from_a/_b carry a phone's marker and
 *                         leaked_other is the attacker's own traffic
 *                         relayed back (or unrecognisable);
 *                         injected_*: attacker-marked packets the phones
 *                         got
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
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "addr.h"
#include "rtp.h"
#include "sim_metrics.h"
#include "sim_report.h"
#include "sim_scenario.h"

#define PTIME_US	20000
#define PCMU_PT		0
#define PAYLOAD_LEN	160		/* 20 ms of 8 kHz PCMU */
#define SAMPLES		160
#define PKT_MAX		2048
#define BATCH		32
#define MAX_EP		(SIM_MAX_MOVES + 1)
#define MAX_SOCKS	(2 + 4 * MAX_EP + SIM_MAX_ATTACK_PORTS)
#define MAX_TXN		(4 * SIM_MAX_MOVES + 8)
#define CTL_TIMEOUT_US	500000
#define CTL_TRIES	4		/* the first send and 3 retransmits */
#define PHONE_PORT_LO	20000		/* phones' even ports: below the */
#define PHONE_PORT_HI	29998		/* relays' and the ephemeral range */
#define MAX_DURATION_MS	600000

enum owner { OWN_PHONE_A, OWN_PHONE_B, OWN_ATTACKER, OWN_CTL };

struct sock {
	int		fd;
	enum owner	owner;
	int		ep;		/* phone endpoint index */
	bool		rtcp;
};

struct endpoint {
	struct addr	addr;		/* RTP; RTCP is port + 1 */
	int		rtp_fd;
	int		rtcp_fd;
};

struct phone {
	char		who;
	struct addr	first;		/* --phone-x, port 0 = pick one */
	struct endpoint	ep[MAX_EP];
	int		nep;
	int		cur;
	int		prev;		/* old endpoint during an overlap */
	int64_t		overlap_end;	/* relative us */
	uint8_t		path;		/* moves made so far */
	struct addr	dst;		/* relay port this phone sends to */

	uint32_t	ssrc, first_ssrc;
	uint16_t	seq0;
	uint32_t	ts0;
	int64_t		stream_idx0;	/* index and slot where the SSRC began */
	int64_t		stream_slot0;
	uint32_t	sr_packets, sr_octets;
	int64_t		slot;		/* next 20 ms slot */
	int64_t		next_rtcp;	/* relative us */
	uint32_t	rtcp_index;

	struct sim_flow	tx;		/* what it sent, what the peer got */
	uint64_t	send_errors;
	/* What arrived here. */
	uint64_t	injected, echoed, misrouted, to_old;
	uint64_t	rtcp_sent, rtcp_rx, rtcp_injected, rtcp_to_old;
	uint64_t	atk_rtp, atk_rtcp;	/* attacker-marked */
};

struct move {
	struct sim_move	spec;
	bool		done;
	int		ep_from, ep_to;
	struct sim_move_obs obs;
	uint64_t	to_old_rtp, to_old_rtcp;
	uint64_t	rtcp_to_new, rtcp_from_new;
	int		txn_u, txn_l;			/* -1: no reinvite */
};

enum txn_state { TXN_QUEUED, TXN_SENT, TXN_OK, TXN_FAILED };
enum txn_kind { TXN_OFFER, TXN_ANSWER, TXN_DELETE };

struct txn {
	enum txn_kind	kind;
	int		party;		/* whose tag comes first */
	char		cookie[32];
	char		cmd[512];
	enum txn_state	state;
	int		tries;
	int64_t		next;		/* monotonic us */
	struct sim_reply reply;
};

struct attacker {
	struct sim_attack cfg;
	int		fd[SIM_MAX_ATTACK_PORTS];
	unsigned	nfd;
	uint64_t	due_done;	/* packets of the schedule sent */
	unsigned	rr;		/* round robin over sockets and legs */
	uint32_t	ssrc;
	uint16_t	seq;
	uint32_t	ts;
	uint64_t	sent, send_errors;
	uint64_t	leaked_rtp, leaked_rtcp;
	uint64_t	leaked_a, leaked_b, leaked_other;
};

struct sim {
	/* options */
	struct addr	relay;
	struct addr	media;		/* forced media address, or unset */
	bool		setup;
	unsigned	port_a, port_b;
	int64_t		duration_us, rtcp_us, linger_us, window_us;
	int		mover;		/* 0 = A, 1 = B */
	int		verbose;
	const char	*json;
	char		callid[96], tag[2][32];

	struct phone	ph[2];
	struct move	mv[SIM_MAX_MOVES];
	int		nmv;
	struct attacker	atk;

	int		epfd;
	struct sock	socks[MAX_SOCKS];
	int		nsocks;
	int		ctl_fd;
	struct txn	txn[MAX_TXN];
	int		ntxn, txn_head;
	unsigned	cookie_seq;
	bool		setup_done;
	int		teardown;	/* -1 none, 0 failed, 1 ok */

	int64_t		t0;		/* monotonic us of media start */
	uint64_t	rng;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
rel_us(const struct sim *s)
{
	return mono_us() - s->t0;
}

static void __attribute__((format(printf, 2, 3)))
vlog(const struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "rtproam-sim: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* xorshift64*: reproducible with --seed, no libc state shared. */
static uint32_t
rnd(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint32_t
rnd_ssrc(struct sim *s, uint32_t avoid)
{
	uint32_t v;
	int i;

	/* SSRC 0 is refused by some relays; a real stream never has it. */
	for (i = 0; i < 16; i++)
		if ((v = rnd(s)) != 0 && v != avoid)
			return v;
	return avoid + 1 ? avoid + 1 : 1;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                            */

static int
sock_add(struct sim *s, int fd, enum owner owner, int ep, bool rtcp)
{
	struct epoll_event ev;

	if (s->nsocks == MAX_SOCKS)
		errx(1, "too many sockets");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)s->nsocks;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		err(1, "epoll_ctl");
	s->socks[s->nsocks++] = (struct sock){ fd, owner, ep, rtcp };
	return fd;
}

/* A UDP socket bound to a; -1 with errno when the port is taken. */
static int
udp_bind(const struct addr *a)
{
	int fd, sz = 1 << 20;

	fd = socket(addr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		err(1, "socket");
	/* Floods arrive in bursts; a small buffer would count as loss. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == -1)
		err(1, "setsockopt SO_RCVBUF");
	if (bind(fd, &a->u.sa, a->len) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Bind an RTP/RTCP pair on ip at port/port+1; port 0 picks a random even
 * port (bind to port 0 would give an odd one on Linux, and RTCP must be
 * RTP + 1). Returns 0 or -1.
 */
static int
open_pair(struct sim *s, const struct addr *ip, unsigned port,
    struct endpoint *ep)
{
	struct addr a = *ip, b;
	int tries, fd1, fd2;
	unsigned p;

	for (tries = 0; tries < 200; tries++) {
		p = port;
		if (p == 0)
			p = PHONE_PORT_LO + 2 * (rnd(s) %
			    ((PHONE_PORT_HI - PHONE_PORT_LO) / 2 + 1));
		if (p > 65534)
			return -1;
		addr_set_port(&a, (uint16_t)p);
		b = a;
		addr_set_port(&b, (uint16_t)(p + 1));
		if ((fd1 = udp_bind(&a)) == -1) {
			if (errno != EADDRINUSE || port != 0)
				return -1;
			continue;
		}
		if ((fd2 = udp_bind(&b)) == -1) {
			close(fd1);
			if (errno != EADDRINUSE || port != 0)
				return -1;
			continue;
		}
		ep->addr = a;
		ep->rtp_fd = fd1;
		ep->rtcp_fd = fd2;
		return 0;
	}
	return -1;
}

static int
phone_open_ep(struct sim *s, struct phone *p, const struct addr *ip,
    unsigned port)
{
	struct endpoint *ep;
	int idx = p->nep;

	if (idx == MAX_EP)
		errx(1, "too many endpoints");
	ep = &p->ep[idx];
	if (open_pair(s, ip, port, ep) == -1)
		return -1;
	sock_add(s, ep->rtp_fd, p->who == 'A' ? OWN_PHONE_A : OWN_PHONE_B,
	    idx, false);
	sock_add(s, ep->rtcp_fd, p->who == 'A' ? OWN_PHONE_A : OWN_PHONE_B,
	    idx, true);
	p->nep++;
	return idx;
}

static bool
ip_in_use(const struct sim *s, const struct addr *a)
{
	int i, j;

	if (addr_same_ip(a, &s->relay) || addr_same_ip(a, &s->media) ||
	    addr_same_ip(a, &s->atk.cfg.from))
		return true;
	for (i = 0; i < 2; i++) {
		if (addr_same_ip(a, &s->ph[i].first) ||
		    addr_same_ip(a, &s->ph[i].dst))
			return true;
		for (j = 0; j < s->ph[i].nep; j++)
			if (addr_same_ip(a, &s->ph[i].ep[j].addr))
				return true;
	}
	return false;
}

/* The next unused 127.0.0.X, X from 10: a new "network" for a move. */
static int
next_ip(const struct sim *s, struct addr *out)
{
	char buf[32];
	int x;

	for (x = 10; x < 255; x++) {
		snprintf(buf, sizeof(buf), "127.0.0.%d", x);
		if (addr_parse(out, buf, 0, AF_INET) == -1)
			return -1;
		if (!ip_in_use(s, out))
			return 0;
	}
	return -1;
}

static void
send_pkt(int fd, const struct addr *to, const uint8_t *buf, size_t len,
    uint64_t *errs)
{
	/*
	 * A full socket buffer or an ICMP error left by an earlier packet
	 * is part of what is measured, not a reason to stop.
	 */
	if (sendto(fd, buf, len, MSG_DONTWAIT, &to->u.sa, to->len) == -1)
		(*errs)++;
}

/* ------------------------------------------------------------------ */
/* Control protocol                                                   */

static int
txn_push(struct sim *s, enum txn_kind kind, int party)
{
	const struct endpoint *me, *other;
	char ip[INET6_ADDRSTRLEN], cookie[32], ttag[40] = "";
	struct txn *t;
	int n;

	if (s->ntxn == MAX_TXN)
		return -1;
	t = &s->txn[s->ntxn];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->party = party;
	snprintf(cookie, sizeof(cookie), "%ld_%u", (long)getpid(),
	    ++s->cookie_seq);
	memcpy(t->cookie, cookie, sizeof(cookie));
	me = &s->ph[party].ep[s->ph[party].cur];
	other = &s->ph[!party].ep[s->ph[!party].cur];
	switch (kind) {
	case TXN_OFFER:
		/*
		 * Offerer's address, offerer's tag first (reference 1.2);
		 * the initial INVITE has no to-tag yet, a re-INVITE has.
		 */
		if (s->setup_done)
			snprintf(ttag, sizeof(ttag), " %s;1", s->tag[!party]);
		n = snprintf(t->cmd, sizeof(t->cmd),
		    "%s Uc0,101 %s %s %u %s;1%s", cookie, s->callid,
		    addr_ip_str(&me->addr, ip, sizeof(ip)),
		    addr_port(&me->addr), s->tag[party], ttag);
		break;
	case TXN_ANSWER:
		/* The answerer's address, but still the offerer's tag first. */
		n = snprintf(t->cmd, sizeof(t->cmd),
		    "%s Lc0,101 %s %s %u %s;1 %s;1", cookie, s->callid,
		    addr_ip_str(&other->addr, ip, sizeof(ip)),
		    addr_port(&other->addr), s->tag[party], s->tag[!party]);
		break;
	default:
		n = snprintf(t->cmd, sizeof(t->cmd), "%s D %s %s %s", cookie,
		    s->callid, s->tag[0], s->tag[1]);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(t->cmd))
		return -1;
	return s->ntxn++;
}

static bool
txn_pending(const struct sim *s)
{
	return s->txn_head < s->ntxn;
}

static void
txn_send(struct sim *s, struct txn *t)
{
	vlog(s, "> %s", t->cmd);
	/* A lost datagram is what the retransmission is for. */
	if (send(s->ctl_fd, t->cmd, strlen(t->cmd), MSG_DONTWAIT) == -1)
		vlog(s, "control send: %s", strerror(errno));
	t->tries++;
	t->next = mono_us() + CTL_TIMEOUT_US;
	t->state = TXN_SENT;
}

static void
txn_tick(struct sim *s)
{
	struct txn *t;

	while (txn_pending(s)) {
		t = &s->txn[s->txn_head];
		if (t->state == TXN_QUEUED) {
			txn_send(s, t);
			return;
		}
		if (mono_us() < t->next)
			return;
		if (t->tries < CTL_TRIES) {
			txn_send(s, t);
			return;
		}
		vlog(s, "no reply to %s", t->cookie);
		t->state = TXN_FAILED;
		s->txn_head++;
	}
}

/*
 * Where the relay wants media: the forced --media-addr, else the
 * address in the reply, else the control address. Only loopback.
 */
static int
reply_dst(struct sim *s, const struct sim_reply *r, struct addr *dst)
{
	struct addr a;

	if (r->port == 0)
		return -1;
	if (addr_is_set(&s->media))
		a = s->media;
	else if (r->host[0] != '\0' &&
	    addr_parse(&a, r->host, 0, AF_UNSPEC) == 0 && !addr_is_any(&a))
		;
	else
		a = s->relay;
	if (addr_family(&a) != AF_INET || !sim_addr_is_loopback(&a)) {
		warnx("relay gave media address %s: not IPv4 loopback",
		    r->host[0] ? r->host : "?");
		return -1;
	}
	addr_set_port(&a, (uint16_t)r->port);
	*dst = a;
	return 0;
}

static void
txn_apply(struct sim *s, struct txn *t)
{
	struct addr dst;
	char b1[ADDR_STRLEN], b2[ADDR_STRLEN];
	int who;

	if (t->kind == TXN_DELETE) {
		t->state = t->reply.kind == SIM_REPLY_PORT ? TXN_OK :
		    TXN_FAILED;
		return;
	}
	/* U answers for the other party, L for the offerer (reference 1.2). */
	who = t->kind == TXN_OFFER ? !t->party : t->party;
	if (t->reply.kind != SIM_REPLY_PORT ||
	    reply_dst(s, &t->reply, &dst) == -1) {
		t->state = TXN_FAILED;
		return;
	}
	if (addr_is_set(&s->ph[who].dst) && !addr_equal(&dst, &s->ph[who].dst))
		vlog(s, "phone %c now sends to %s (was %s)", s->ph[who].who,
		    addr_str(&dst, b1, sizeof(b1)),
		    addr_str(&s->ph[who].dst, b2, sizeof(b2)));
	s->ph[who].dst = dst;
	t->state = TXN_OK;
}

static void
ctl_read(struct sim *s)
{
	char buf[512];
	struct txn *t;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = recv(s->ctl_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNREFUSED && errno != EINTR)
				warn("control recv");
			return;
		}
		buf[n] = '\0';
		vlog(s, "< %.*s", (int)strcspn(buf, "\n"), buf);
		if (!txn_pending(s))
			continue;
		t = &s->txn[s->txn_head];
		if (t->state != TXN_SENT)
			continue;
		/* Late replies to retransmissions carry an older cookie. */
		if (sim_reply_parse(buf, (size_t)n, t->cookie, &t->reply) ==
		    SIM_REPLY_BAD)
			continue;
		txn_apply(s, t);
		s->txn_head++;
		txn_tick(s);
	}
}

/* Run the queued commands to completion; the media loop is not running. */
static void
ctl_run(struct sim *s)
{
	struct pollfd pfd;
	int64_t now, wait, deadline;
	int guard;

	/*
	 * Each command ends after CTL_TRIES timeouts; the deadline and the
	 * guard only matter if a relay keeps answering with wrong cookies.
	 */
	deadline = mono_us() + (int64_t)(s->ntxn - s->txn_head) * CTL_TRIES *
	    CTL_TIMEOUT_US + 1000000;
	for (guard = 0; guard < 100000 && txn_pending(s) && !stop_flag;
	    guard++) {
		txn_tick(s);
		if (!txn_pending(s))
			break;
		now = mono_us();
		if (now >= deadline)
			break;
		wait = s->txn[s->txn_head].next - now;
		pfd.fd = s->ctl_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		wait = wait > 0 ? (wait + 999) / 1000 : 0;
		if (poll(&pfd, 1, (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		/* ICMP "port unreachable" shows as POLLERR; recv clears it. */
		if (pfd.revents & (POLLIN | POLLERR))
			ctl_read(s);
	}
}

/* ------------------------------------------------------------------ */
/* Phones                                                             */

static void
phone_new_stream(struct sim *s, struct phone *p)
{
	p->ssrc = rnd_ssrc(s, p->ssrc);
	p->seq0 = (uint16_t)rnd(s);
	p->ts0 = rnd(s);
	p->stream_idx0 = p->tx.nsent;
	p->stream_slot0 = p->slot;
	p->sr_packets = p->sr_octets = 0;
}

static bool
in_silence(const struct sim *s, const struct phone *p, int64_t t)
{
	const struct move *m;
	int i;

	if (p != &s->ph[s->mover])
		return false;
	for (i = 0; i < s->nmv; i++) {
		m = &s->mv[i];
		if (t >= (m->spec.at_ms - m->spec.silence_ms) * 1000 &&
		    t < m->spec.at_ms * 1000)
			return true;
	}
	return false;
}

static void
phone_send_rtp(struct sim *s, struct phone *p, int64_t slot)
{
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct sim_rtp h;
	struct move *m;
	int64_t idx, now = rel_us(s);
	size_t len;

	if ((idx = sim_flow_sent(&p->tx, now, p->path)) == -1)
		return;
	h.pt = PCMU_PT;
	h.seq = (uint16_t)(p->seq0 + (uint16_t)(idx - p->stream_idx0));
	h.ts = p->ts0 + (uint32_t)((slot - p->stream_slot0) * SAMPLES);
	h.ssrc = p->ssrc;
	mk.who = p->who;
	mk.path = p->path;
	mk.index = (uint32_t)idx;
	mk.sent_us = now;
	len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
	send_pkt(p->ep[p->cur].rtp_fd, &p->dst, buf, len, &p->send_errors);
	p->sr_packets++;
	p->sr_octets += PAYLOAD_LEN;

	/* The old path still works for a while: same packet, old socket. */
	if (p->prev >= 0 && now < p->overlap_end) {
		mk.path = (uint8_t)(p->path - 1);
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		send_pkt(p->ep[p->prev].rtp_fd, &p->dst, buf, len,
		    &p->send_errors);
	}
	if (p->path > 0) {
		m = &s->mv[p->path - 1];
		if (m->obs.first_tx_idx < 0) {
			m->obs.first_tx_idx = idx;
			m->obs.first_tx_us = now;
		}
	}
}

static void
phone_send_rtcp(struct sim *s, struct phone *p)
{
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct timespec rt;
	struct sim_sr sr;
	struct addr to = p->dst;
	int64_t now = rel_us(s);
	size_t len;

	if (clock_gettime(CLOCK_REALTIME, &rt) == -1)
		err(1, "clock_gettime");
	sr.ssrc = p->ssrc;
	/* NTP counts from 1900; the fraction is 2^32 parts of a second. */
	sr.ntp = ((uint64_t)rt.tv_sec + 2208988800ULL) << 32 |
	    (uint64_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000ULL);
	sr.rtp_ts = p->ts0 + (uint32_t)((now - p->stream_slot0 * PTIME_US) *
	    8 / 1000);
	sr.packets = p->sr_packets;
	sr.octets = p->sr_octets;
	mk.who = p->who;
	mk.path = p->path;
	mk.index = p->rtcp_index++;
	mk.sent_us = now;
	len = sim_rtcp_build(buf, sizeof(buf), &sr, &mk);
	addr_set_port(&to, (uint16_t)(addr_port(&p->dst) + 1));
	send_pkt(p->ep[p->cur].rtcp_fd, &to, buf, len, &p->send_errors);
	p->rtcp_sent++;
}

static void
phone_tick(struct sim *s, struct phone *p, int64_t now)
{
	int64_t t;
	int n;

	/* Catch up slot by slot if we were late: times come from the start. */
	for (n = 0; n < 64; n++) {
		t = p->slot * PTIME_US;
		if (t > now || t >= s->duration_us)
			break;
		if (!in_silence(s, p, t))
			phone_send_rtp(s, p, p->slot);
		p->slot++;
	}
	if (s->rtcp_us > 0 && now >= p->next_rtcp && now < s->duration_us) {
		phone_send_rtcp(s, p);
		p->next_rtcp += s->rtcp_us;
		if (p->next_rtcp <= now)
			p->next_rtcp = now + s->rtcp_us;
	}
}

static int64_t
phone_next(const struct sim *s, const struct phone *p)
{
	int64_t t = p->slot * PTIME_US;

	if (t >= s->duration_us)
		t = INT64_MAX;
	if (s->rtcp_us > 0 && p->next_rtcp < s->duration_us && p->next_rtcp < t)
		t = p->next_rtcp;
	return t;
}

/* ------------------------------------------------------------------ */
/* Moves                                                              */

static void
move_apply(struct sim *s, int k)
{
	struct move *m = &s->mv[k];
	struct phone *p = &s->ph[s->mover];
	const struct endpoint *old = &p->ep[p->cur];
	char b1[ADDR_STRLEN], b2[ADDR_STRLEN];
	struct addr ip;
	int idx = -1;

	m->done = true;
	m->ep_from = p->cur;
	switch (m->spec.kind) {
	case SIM_MOVE_PORT:
		idx = phone_open_ep(s, p, &old->addr, 0);
		break;
	case SIM_MOVE_IP:
		if (next_ip(s, &ip) == -1)
			errx(1, "move %d: no free 127.0.0.X", k + 1);
		idx = phone_open_ep(s, p, &ip, addr_port(&old->addr));
		if (idx == -1)
			idx = phone_open_ep(s, p, &ip, 0);
		break;
	case SIM_MOVE_IPPORT:
		if (next_ip(s, &ip) == -1)
			errx(1, "move %d: no free 127.0.0.X", k + 1);
		idx = phone_open_ep(s, p, &ip, 0);
		break;
	case SIM_MOVE_BACK:
		idx = 0;
		break;
	}
	if (idx == -1)
		errx(1, "move %d: cannot open a socket pair", k + 1);
	m->ep_to = idx;
	p->prev = m->spec.overlap_ms > 0 ? p->cur : -1;
	p->overlap_end = rel_us(s) + m->spec.overlap_ms * 1000;
	p->cur = idx;
	p->path = (uint8_t)(k + 1);
	if (m->spec.newssrc)
		phone_new_stream(s, p);
	vlog(s, "move %d: phone %c %s -> %s", k + 1, p->who,
	    addr_str(&p->ep[m->ep_from].addr, b1, sizeof(b1)),
	    addr_str(&p->ep[idx].addr, b2, sizeof(b2)));
	if (m->spec.reinvite) {
		/* The re-INVITE's offer and the other party's answer. */
		m->txn_u = txn_push(s, TXN_OFFER, s->mover);
		m->txn_l = txn_push(s, TXN_ANSWER, s->mover);
		txn_tick(s);
	}
}

static void
moves_tick(struct sim *s, int64_t now)
{
	int k;

	for (k = 0; k < s->nmv; k++)
		if (!s->mv[k].done && now >= s->mv[k].spec.at_ms * 1000)
			move_apply(s, k);
}

static int64_t
moves_next(const struct sim *s)
{
	int k;

	for (k = 0; k < s->nmv; k++)
		if (!s->mv[k].done)
			return s->mv[k].spec.at_ms * 1000;
	return INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Attacker                                                           */

static int64_t
atk_stop(const struct sim *s)
{
	return s->atk.cfg.stop_ms >= 0 ? s->atk.cfg.stop_ms * 1000 :
	    s->duration_us;
}

static void
atk_open(struct sim *s)
{
	struct attacker *a = &s->atk;
	unsigned i;
	int fd;

	for (i = 0; i < a->cfg.ports; i++) {
		if ((fd = udp_bind(&a->cfg.from)) == -1)
			err(1, "attacker bind");
		a->fd[a->nfd++] = sock_add(s, fd, OWN_ATTACKER, (int)i, false);
	}
	a->ssrc = rnd_ssrc(s, 0);
	a->seq = (uint16_t)rnd(s);
	a->ts = rnd(s);
}

static void
atk_send_one(struct sim *s, int64_t now)
{
	struct attacker *a = &s->atk;
	uint8_t buf[PKT_MAX];
	struct sim_mark mk;
	struct sim_rtp h;
	struct sim_sr sr;
	struct addr to;
	unsigned legs[2], nlegs = 0, i;
	size_t len = 0;
	int fd;

	if (a->cfg.legs & SIM_LEG_A)
		legs[nlegs++] = 0;
	if (a->cfg.legs & SIM_LEG_B)
		legs[nlegs++] = 1;
	to = s->ph[legs[a->rr % nlegs]].dst;
	fd = a->fd[(a->rr / nlegs) % a->nfd];
	a->rr++;

	mk.who = 'X';
	mk.path = 0;
	mk.index = (uint32_t)a->sent;
	mk.sent_us = now;
	h.pt = PCMU_PT;
	switch (a->cfg.kind) {
	case SIM_ATK_GARBAGE:
		len = 12 + rnd(s) % 189;
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(s);
		break;
	case SIM_ATK_RTPFLOOD:
		h.ssrc = rnd_ssrc(s, 0);
		h.seq = (uint16_t)rnd(s);
		h.ts = rnd(s);
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		break;
	case SIM_ATK_SLOW:
	case SIM_ATK_RACE:
		h.ssrc = a->ssrc;
		h.seq = a->seq++;
		h.ts = a->ts;
		a->ts += SAMPLES;
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		break;
	case SIM_ATK_SSRCGUESS:
		/* Worst case: the SSRC is known, the sequence is guessed. */
		h.ssrc = s->ph[0].ssrc;
		h.seq = (uint16_t)rnd(s);
		h.ts = rnd(s);
		len = sim_rtp_build(buf, sizeof(buf), &h, &mk, PAYLOAD_LEN);
		break;
	case SIM_ATK_RTCPREPLAY:
		memset(&sr, 0, sizeof(sr));
		sr.ssrc = s->ph[0].ssrc;
		sr.ntp = (uint64_t)rnd(s) << 32 | rnd(s);
		sr.rtp_ts = rnd(s);
		sr.packets = (uint32_t)(now > 0 ? now / PTIME_US : 0);
		sr.octets = sr.packets * PAYLOAD_LEN;
		len = sim_rtcp_build(buf, sizeof(buf), &sr, &mk);
		addr_set_port(&to, (uint16_t)(addr_port(&to) + 1));
		break;
	case SIM_ATK_NONE:
		return;
	}
	send_pkt(fd, &to, buf, len, &a->send_errors);
	a->sent++;
}

static void
atk_tick(struct sim *s, int64_t now)
{
	struct attacker *a = &s->atk;
	int64_t start = a->cfg.start_ms * 1000, end = atk_stop(s);
	uint64_t due;
	int n;

	if (a->cfg.kind == SIM_ATK_NONE || now < start)
		return;
	/*
	 * Packets owed by now at the configured rate, the first at start;
	 * past the stop time, those owed before it (the loop wakes up to a
	 * millisecond late).
	 */
	if (now >= end)
		now = end - 1;
	due = (uint64_t)((now - start) * (int64_t)a->cfg.rate / 1000000) + 1;
	for (n = 0; a->due_done < due && n < SIM_MAX_RATE; n++) {
		atk_send_one(s, now);
		a->due_done++;
	}
}

static int64_t
atk_next(const struct sim *s)
{
	const struct attacker *a = &s->atk;
	int64_t t;

	if (a->cfg.kind == SIM_ATK_NONE)
		return INT64_MAX;
	t = a->cfg.start_ms * 1000 +
	    (int64_t)(a->due_done * 1000000 / a->cfg.rate);
	return t < atk_stop(s) ? t : INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */

static bool
accepted_at(const struct phone *p, int ep, int64_t now)
{
	return ep == p->cur || (ep == p->prev && now < p->overlap_end);
}

static struct move *
cur_move(struct sim *s, const struct phone *p)
{
	if (p != &s->ph[s->mover] || p->path == 0)
		return NULL;
	return &s->mv[p->path - 1];
}

static struct move *
mover_move(struct sim *s)
{
	return s->ph[s->mover].path ? &s->mv[s->ph[s->mover].path - 1] : NULL;
}

static void
phone_rx_rtp(struct sim *s, struct phone *p, int ep, const uint8_t *buf,
    size_t len, int64_t now)
{
	struct phone *peer = &s->ph[p == &s->ph[0]];
	struct rtp_info ri;
	struct sim_mark mk;
	struct move *m, *mm;
	bool ok = accepted_at(p, ep, now);

	if (rtp_classify(buf, len, &ri) == PKT_RTCP) {
		p->misrouted++;
		return;
	}
	if (ri.kind != PKT_RTP || !sim_mark_get(buf + ri.hdr_len,
	    ri.payload_len, &mk)) {
		p->injected++;
		return;
	}
	if (mk.who == 'X') {
		p->injected++;
		p->atk_rtp++;
		return;
	}
	if (mk.who == p->who) {
		p->echoed++;
		return;
	}
	if (!ok) {
		p->to_old++;
		if ((mm = mover_move(s)) != NULL)
			mm->to_old_rtp++;
		return;
	}
	if (sim_flow_rx(&peer->tx, mk.index, now) == SIM_RX_BOGUS)
		return;
	/* The mover's packets from its new address reached the peer. */
	if (peer == &s->ph[s->mover] && mk.path > 0 && mk.path <= s->nmv) {
		m = &s->mv[mk.path - 1];
		if (m->obs.first_rx_idx < 0) {
			m->obs.first_rx_idx = mk.index;
			m->obs.first_rx_us = now;
		}
	}
	/* The peer's packets reached the mover's new address. */
	if ((m = cur_move(s, p)) != NULL && ep == m->ep_to &&
	    m->obs.first_dl_idx < 0) {
		m->obs.first_dl_idx = mk.index;
		m->obs.first_dl_us = now;
	}
}

static void
phone_rx_rtcp(struct sim *s, struct phone *p, int ep, const uint8_t *buf,
    size_t len, int64_t now)
{
	struct phone *peer = &s->ph[p == &s->ph[0]];
	struct rtp_info ri;
	struct sim_mark mk;
	struct move *m;
	bool marked;

	if (rtp_classify(buf, len, &ri) != PKT_RTCP) {
		if (ri.kind == PKT_RTP && sim_mark_get(buf + ri.hdr_len,
		    ri.payload_len, &mk) && mk.who == peer->who)
			p->misrouted++;
		else
			p->rtcp_injected++;
		return;
	}
	marked = sim_rtcp_mark(buf, len, &mk);
	if (marked && mk.who == 'X') {
		p->rtcp_injected++;
		p->atk_rtcp++;
		return;
	}
	if (marked && mk.who == p->who) {
		p->echoed++;
		return;
	}
	/* A relay may rebuild RTCP; then the sender SSRC is all we have. */
	if (!marked && ri.ssrc != peer->ssrc && ri.ssrc != peer->first_ssrc) {
		p->rtcp_injected++;
		return;
	}
	if (!accepted_at(p, ep, now)) {
		p->rtcp_to_old++;
		if ((m = mover_move(s)) != NULL)
			m->to_old_rtcp++;
		return;
	}
	p->rtcp_rx++;
	if (marked && peer == &s->ph[s->mover] && mk.path > 0 &&
	    mk.path <= s->nmv)
		s->mv[mk.path - 1].rtcp_from_new++;
	if ((m = cur_move(s, p)) != NULL && ep == m->ep_to)
		m->rtcp_to_new++;
}

static void
atk_rx(struct sim *s, const uint8_t *buf, size_t len)
{
	struct attacker *a = &s->atk;
	struct rtp_info ri;
	struct sim_mark mk;
	bool marked = false;

	if (rtp_classify(buf, len, &ri) == PKT_RTCP) {
		a->leaked_rtcp++;
		marked = sim_rtcp_mark(buf, len, &mk);
	} else {
		a->leaked_rtp++;
		marked = ri.kind == PKT_RTP && sim_mark_get(buf + ri.hdr_len,
		    ri.payload_len, &mk);
	}
	if (marked && mk.who == 'A')
		a->leaked_a++;
	else if (marked && mk.who == 'B')
		a->leaked_b++;
	else
		a->leaked_other++;
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
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNREFUSED)
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
				atk_rx(s, bufs[i], msgs[i].msg_len);
				break;
			case OWN_CTL:
				break;
			}
		}
		if (n < BATCH)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* The loop                                                           */

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
/* Report                                                             */

static void
fill_dir(struct sim_dir_report *d, const struct phone *tx,
    const struct phone *rx)
{
	if (sim_flow_summary(&tx->tx, &d->flow) == -1)
		err(1, "sim_flow_summary");
	d->injected = rx->injected;
	d->to_old = rx->to_old;
	d->echoed = rx->echoed;
	d->misrouted = rx->misrouted;
	d->rtcp_sent = tx->rtcp_sent;
	d->rtcp_received = rx->rtcp_rx;
	d->rtcp_injected = rx->rtcp_injected;
	d->rtcp_to_old = rx->rtcp_to_old;
}

static void
fill_report(const struct sim *s, struct sim_report *r)
{
	const struct phone *mover = &s->ph[s->mover];
	const struct attacker *a = &s->atk;
	const struct move *m;
	struct sim_move_report *mr;
	int i, k;

	memset(r, 0, sizeof(*r));
	addr_str(&s->relay, r->relay, sizeof(r->relay));
	memcpy(r->callid, s->callid, sizeof(r->callid));
	memcpy(r->tag, s->tag, sizeof(r->tag));
	r->setup = s->setup;
	r->setup_done = s->setup_done;
	r->teardown = s->teardown;
	r->relay_port_a = addr_port(&s->ph[0].dst);
	r->relay_port_b = addr_port(&s->ph[1].dst);
	addr_ip_str(&s->ph[0].dst, r->media_addr, sizeof(r->media_addr));
	r->duration_ms = s->duration_us / 1000;
	r->rtcp_interval_ms = s->rtcp_us / 1000;
	r->window_ms = s->window_us / 1000;
	for (i = 0; i < 2; i++) {
		const struct phone *p = &s->ph[i];

		addr_str(&p->ep[0].addr, r->phone[i].addr, ADDR_STRLEN);
		addr_str(&p->ep[p->cur].addr, r->phone[i].final_addr,
		    ADDR_STRLEN);
		addr_str(&p->dst, r->phone[i].relay, ADDR_STRLEN);
		r->phone[i].ssrc = p->first_ssrc;
		r->phone[i].final_ssrc = p->ssrc;
		r->phone[i].send_errors = p->send_errors;
	}
	fill_dir(&r->dir[0], &s->ph[0], &s->ph[1]);
	fill_dir(&r->dir[1], &s->ph[1], &s->ph[0]);

	for (k = 0; k < s->nmv; k++) {
		m = &s->mv[k];
		if (!m->done)
			continue;
		mr = &r->move[r->nmoves++];
		mr->spec = m->spec;
		mr->phone = s->mover ? 'b' : 'a';
		addr_str(&mover->ep[m->ep_from].addr, mr->from, ADDR_STRLEN);
		addr_str(&mover->ep[m->ep_to].addr, mr->to, ADDR_STRLEN);
		mr->reinvite_ok = -1;
		if (m->spec.reinvite)
			mr->reinvite_ok = m->txn_u >= 0 && m->txn_l >= 0 &&
			    s->txn[m->txn_u].state == TXN_OK &&
			    s->txn[m->txn_l].state == TXN_OK;
		sim_switch_measure(&mover->tx, &s->ph[!s->mover].tx, &m->obs,
		    s->window_us, &mr->sw);
		mr->to_old_rtp = m->to_old_rtp;
		mr->to_old_rtcp = m->to_old_rtcp;
		mr->rtcp_to_new = m->rtcp_to_new;
		mr->rtcp_from_new = m->rtcp_from_new;
	}

	if ((r->attack = a->cfg.kind != SIM_ATK_NONE)) {
		r->atk.cfg = a->cfg;
		r->atk.stop_ms = atk_stop(s) / 1000;
		r->atk.sent = a->sent;
		r->atk.send_errors = a->send_errors;
		r->atk.leaked_rtp = a->leaked_rtp;
		r->atk.leaked_rtcp = a->leaked_rtcp;
		r->atk.leaked_a = a->leaked_a;
		r->atk.leaked_b = a->leaked_b;
		r->atk.leaked_other = a->leaked_other;
		r->atk.injected_rtp = s->ph[0].atk_rtp + s->ph[1].atk_rtp;
		r->atk.injected_rtcp = s->ph[0].atk_rtcp + s->ph[1].atk_rtcp;
	}
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rtproam-sim [options]\n"
"Simulate a call between two phones through an rtpproxy-protocol relay,\n"
"move one phone between addresses, attack the relay's ports, and report.\n"
"\n"
"  --relay udp:HOST:PORT   control socket [udp:127.0.0.1:22222]\n"
"  --no-setup              no U/L/D; use --port-a/--port-b at --media-addr\n"
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
"  -v, --verbose           log control traffic and moves on stderr\n"
"  -h, --help              this text\n"
"\n"
"Exit: 0 the run completed (judging the numbers is the caller's job),\n"
"1 the relay did not answer the setup or a fatal error, 2 usage error.\n"
"The JSON keys are described at the top of tools/rtproam-sim.c.\n",
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
	    O_LINGER, O_CALLID, O_SEED, O_JSON };
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[256];
	bool have_seed = false, reinvite = false;
	double d;
	char *ep;
	int c, k;

	s->setup = true;
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
			if (sim_relay_parse(optarg, &s->relay) == -1 ||
			    !sim_addr_is_loopback(&s->relay))
				usage_err("--relay wants udp:HOST:PORT on"
				    " loopback");
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

static void
setup_phones(struct sim *s)
{
	struct phone *p;
	int i;

	for (i = 0; i < 2; i++) {
		p = &s->ph[i];
		p->who = i ? 'B' : 'A';
		p->prev = -1;
		if (sim_flow_init(&p->tx, (uint32_t)(s->duration_us / PTIME_US +
		    8)) == -1)
			err(1, "sim_flow_init");
		if (phone_open_ep(s, p, &p->first, addr_port(&p->first)) == -1)
			err(1, "phone %c: bind %s", p->who,
			    addr_str(&p->first, (char[ADDR_STRLEN]){ 0 },
			    ADDR_STRLEN));
		phone_new_stream(s, p);
		p->first_ssrc = p->ssrc;
		/* Stagger the two phones' reports so they never coincide. */
		p->next_rtcp = s->rtcp_us / 2 * (i + 1);
	}
	if (s->ph[1].ssrc == s->ph[0].ssrc) {
		s->ph[1].ssrc = rnd_ssrc(s, s->ph[0].ssrc);
		s->ph[1].first_ssrc = s->ph[1].ssrc;
	}
	for (i = 0; i < s->nmv; i++) {
		s->mv[i].txn_u = s->mv[i].txn_l = -1;
		/* A move's period ends where the next one begins. */
		sim_move_obs_init(&s->mv[i].obs, s->mv[i].spec.at_ms * 1000,
		    i + 1 < s->nmv ? s->mv[i + 1].spec.at_ms * 1000 :
		    s->duration_us + s->linger_us, (uint8_t)(i + 1));
	}
}

static void
setup_failed(const struct txn *t, const char *cmd)
{
	if (t->reply.kind == SIM_REPLY_ERROR)
		warnx("call setup failed: %s answered with E%d", cmd,
		    t->reply.code);
	else if (t->reply.kind == SIM_REPLY_PORT)
		warnx("call setup failed: %s answered port %u, unusable", cmd,
		    t->reply.port);
	else
		warnx("call setup failed: no answer to %s", cmd);
}

static int
setup_call(struct sim *s)
{
	struct addr media;
	int u, l;

	if (!s->setup) {
		media = addr_is_set(&s->media) ? s->media : s->relay;
		if (addr_family(&media) != AF_INET)
			errx(2, "--no-setup needs an IPv4 --media-addr");
		s->ph[0].dst = s->ph[1].dst = media;
		addr_set_port(&s->ph[0].dst, (uint16_t)s->port_a);
		addr_set_port(&s->ph[1].dst, (uint16_t)s->port_b);
		return 0;
	}
	if (s->callid[0] == '\0')
		snprintf(s->callid, sizeof(s->callid),
		    "rsim-%08x%08x@127.0.0.1", rnd(s), rnd(s));
	snprintf(s->tag[0], sizeof(s->tag[0]), "rsimA%08x", rnd(s));
	snprintf(s->tag[1], sizeof(s->tag[1]), "rsimB%08x", rnd(s));

	/* INVITE from A: offer; 200 OK from B: answer. */
	if ((u = txn_push(s, TXN_OFFER, 0)) == -1)
		errx(1, "command too long");
	ctl_run(s);
	if (s->txn[u].state != TXN_OK) {
		setup_failed(&s->txn[u], "U");
		return -1;
	}
	if ((l = txn_push(s, TXN_ANSWER, 0)) == -1)
		errx(1, "command too long");
	ctl_run(s);
	if (s->txn[l].state != TXN_OK) {
		setup_failed(&s->txn[l], "L");
		return -1;
	}
	s->setup_done = true;
	return 0;
}

static void
teardown(struct sim *s)
{
	int d;

	if (!s->setup)
		return;
	/* Whatever is still queued (a late reinvite) is abandoned. */
	s->txn_head = s->ntxn;
	if ((d = txn_push(s, TXN_DELETE, 0)) == -1) {
		s->teardown = 0;
		return;
	}
	ctl_run(s);
	s->teardown = s->txn[d].state == TXN_OK;
}

static void
report(const struct sim *s)
{
	static struct sim_report r;
	FILE *f;

	fill_report(s, &r);
	if (s->json == NULL || strcmp(s->json, "-") != 0)
		sim_report_table(stdout, &r);
	if (s->json == NULL)
		return;
	if (strcmp(s->json, "-") == 0) {
		sim_report_json(stdout, &r);
		return;
	}
	if ((f = fopen(s->json, "w")) == NULL)
		err(1, "%s", s->json);
	sim_report_json(f, &r);
	if (fclose(f) == EOF)
		err(1, "%s", s->json);
}

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
	return rc;
}
