/*
 * control.c - rtproam-sim's control client: the commands a proxy would
 * send for the call and its re-INVITEs (rtpproxy's U, L, D or ng's
 * offer, answer, delete; s->proto builds and parses them), one at a
 * time, each retransmitted until answered or given up.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <poll.h>
#include <sys/socket.h>

#include "sim.h"

#define CTL_TIMEOUT_US	500000
#define CTL_TRIES	4		/* the first send and 3 retransmits */

const struct phone *
txn_sdp_phone(const struct sim *s, const struct txn *t)
{
	/* An offer carries the offerer's address, an answer the other's. */
	return &s->ph[t->kind == TXN_OFFER ? t->party : !t->party];
}

int
txn_push(struct sim *s, enum txn_kind kind, int party)
{
	struct txn *t;

	if (s->ntxn == MAX_TXN)
		return -1;
	t = &s->txn[s->ntxn];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->party = party;
	snprintf(t->cookie, sizeof(t->cookie), "%ld_%u", (long)getpid(),
	    ++s->cookie_seq);
	/* Built once: a retransmission is the same datagram, same cookie. */
	if (s->proto->build(s, t) == -1)
		return -1;
	return s->ntxn++;
}

bool
txn_pending(const struct sim *s)
{
	return s->txn_head < s->ntxn;
}

static void
txn_send(struct sim *s, struct txn *t)
{
	vlog(s, "> %s", t->cmd);
	/* A lost datagram is what the retransmission is for. */
	if (send(s->ctl_fd, t->cmd, t->len, MSG_DONTWAIT) == -1)
		vlog(s, "control send: %s", strerror(errno));
	t->tries++;
	t->next = mono_us() + CTL_TIMEOUT_US;
	t->state = TXN_SENT;
}

void
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
	/*
	 * U answers for the other party, L for the offerer (reference 1.2);
	 * likewise the SDP of an offer reply goes to the other party, that
	 * of an answer reply to the offerer.
	 */
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

void
ctl_read(struct sim *s)
{
	/*
	 * An ng reply carries a rewritten SDP, a delete's the call's
	 * statistics: any datagram must fit, or a cut reply would never
	 * parse.
	 */
	static char buf[65536];
	struct txn *t;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = recv(s->ctl_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n == -1) {
			if (!recv_errno_ok(errno))
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
		if (s->proto->parse(t, buf, (size_t)n) == SIM_REPLY_BAD)
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

static void
setup_failed(const struct txn *t, const char *cmd)
{
	if (t->reply.kind == SIM_REPLY_ERROR && t->reply.reason[0] != '\0')
		warnx("call setup failed: %s answered with an error: %s", cmd,
		    t->reply.reason);
	else if (t->reply.kind == SIM_REPLY_ERROR)
		warnx("call setup failed: %s answered with E%d", cmd,
		    t->reply.code);
	else if (t->reply.kind == SIM_REPLY_PORT)
		warnx("call setup failed: %s answered port %u, unusable", cmd,
		    t->reply.port);
	else
		warnx("call setup failed: no answer to %s", cmd);
}

/* One command of the call setup, run to its end; 0 if it worked. */
static int
setup_step(struct sim *s, enum txn_kind kind)
{
	int t;

	if ((t = txn_push(s, kind, 0)) == -1)
		errx(1, "command too long");
	ctl_run(s);
	if (s->txn[t].state != TXN_OK) {
		setup_failed(&s->txn[t], s->proto->verb[kind]);
		return -1;
	}
	return 0;
}

int
setup_call(struct sim *s)
{
	struct addr media;

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
	if (setup_step(s, TXN_OFFER) == -1 ||
	    setup_step(s, TXN_ANSWER) == -1)
		return -1;
	s->setup_done = true;
	return 0;
}

void
teardown(struct sim *s)
{
	int d;

	if (!s->setup)
		return;
	/* Whatever is still queued (a late reinvite) is abandoned. */
	s->txn_head = s->ntxn;
	/*
	 * A signal that ended the run must not leave the call on the relay
	 * until its TTL: the D is still sent (bounded by CTL_TRIES), and a
	 * second signal stops waiting for its answer.
	 */
	stop_flag = 0;
	if ((d = txn_push(s, TXN_DELETE, 0)) == -1) {
		s->teardown = 0;
		return;
	}
	ctl_run(s);
	s->teardown = s->txn[d].state == TXN_OK;
}
