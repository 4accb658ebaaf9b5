/*
 * sim.c - what every part of rtproam-sim uses: the clock, the verbose
 * log, the seeded random numbers and the sockets in the event loop.
 */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include "packet/rtp.h"
#include "sim.h"

int64_t
mono_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
rel_us(const struct sim *s)
{
	return mono_us() - s->t0;
}

void
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
uint32_t
rnd(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

uint32_t
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

int
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
int
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

void
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

/* The marker of a packet rtp_classify() called RTP; false if unmarked. */
bool
rtp_mark(const uint8_t *buf, const struct rtp_info *ri, struct sim_mark *mk)
{
	return ri->kind == PKT_RTP && sim_mark_get(buf + ri->hdr_len,
	    ri->payload_len, mk);
}

/*
 * Errors a receive on our non-blocking sockets may end with and that
 * are no fault: no more data, a signal, or the ICMP error an earlier
 * send of ours left behind.
 */
bool
recv_errno_ok(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
	    e == ECONNREFUSED;
}
