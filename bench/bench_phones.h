/*
 * bench_phones.h - the phones of the load generators (rtpbench,
 * ngbench) and the process they run in: each phone is a UDP socket on a
 * 127.0.0.x address that sends RTP to its relay port and reads what the
 * relay sent it in batches; SIGINT/SIGTERM set a flag the loops look at.
 */
#ifndef RTPBENCH_PHONES_H
#define RTPBENCH_PHONES_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bench.h"

#define PHONE_NET	"127.0.0."
#define PHONE_FIRST	10

/*
 * The phones' /24, as a prefix ending in a dot: loopback unless a run in
 * network namespaces gives its own (rtpbench --phone-net).
 */
static const char *phone_net = PHONE_NET;
#define RX_BATCH	16
#define RX_MTU		2048
#define RX_CMSG		CMSG_SPACE(sizeof(struct timespec))

/* One recvmmsg() worth of datagrams, with room for their time stamps. */
struct rxbatch {
	struct mmsghdr	 m[RX_BATCH];
	struct iovec	 iov[RX_BATCH];
	uint8_t		 buf[RX_BATCH][RX_MTU];
	char		 cbuf[RX_BATCH][RX_CMSG];
};

static volatile sig_atomic_t interrupted;

static inline void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * Two sockets per call: take every descriptor we are allowed, and let
 * SIGINT/SIGTERM end the run's loops. 0, or -1 when a handler could not
 * be installed.
 */
static inline int
gen_process_init(void)
{
	struct sigaction sa;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "%s: setrlimit: %s\n",
			    program_invocation_short_name, strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	return 0;
}

/*
 * Open both phones of call k (number c) on two of the nips addresses
 * from 127.0.0.10, the caller and callee half the set apart; ports from
 * the kernel. salt makes the SSRCs differ between runs; stamps asks the
 * kernel for arrival time stamps. The caller sets the fds to -1 first.
 */
static inline int
call_open(struct call *k, unsigned c, unsigned nips, unsigned salt, bool stamps)
{
	struct addr a;
	socklen_t len;
	char ip[32];
	unsigned side;
	int on = 1;

	for (side = 0; side < 2; side++) {
		snprintf(ip, sizeof(ip), "%s%u", phone_net,
		    PHONE_FIRST + (c + side * (nips / 2)) % nips);
		if (addr_parse(&a, ip, 0, AF_INET) != 0)
			return -1;
		k->ph[side].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		len = sizeof(a.u);
		if (k->ph[side].fd < 0 || (stamps &&
		    setsockopt(k->ph[side].fd, SOL_SOCKET, SO_TIMESTAMPNS, &on,
		    sizeof(on)) != 0) ||
		    bind(k->ph[side].fd, &a.u.sa, a.len) != 0 ||
		    getsockname(k->ph[side].fd, &a.u.sa, &len) != 0) {
			fprintf(stderr, "%s: phone %s of call %u: %s\n",
			    program_invocation_short_name, ip, c, strerror(errno));
			return -1;
		}
		addr_from_sockaddr(&k->ph[side].local, &a.u.sa, len);
		k->ph[side].ssrc = (salt * 2654435761u) ^ (c * 2 + side);
	}
	return 0;
}

/* Point both phones of call k (number c) at their relay ports. */
static inline int
call_connect(struct call *k, unsigned c)
{
	unsigned side;

	for (side = 0; side < 2; side++) {
		if (connect(k->ph[side].fd, &k->ph[side].relay.u.sa,
		    k->ph[side].relay.len) != 0) {
			fprintf(stderr, "%s: phone of call %u: %s\n",
			    program_invocation_short_name, c, strerror(errno));
			return -1;
		}
	}
	k->connected = true;
	return 0;
}

/* Close the phones of calls [0, n) that are open. */
static inline void
phones_close_all(struct call *calls, unsigned n)
{
	unsigned c, side;

	for (c = 0; c < n; c++)
		for (side = 0; side < 2; side++)
			if (calls[c].ph[side].fd >= 0 &&
			    close(calls[c].ph[side].fd) != 0)
				fprintf(stderr, "%s: close: %s\n",
				    program_invocation_short_name, strerror(errno));
}

/* PCMU: version 2, PT 0, payload 0xff (silence) after the header. */
static inline void
rtp_template(uint8_t *pkt, size_t len)
{
	memset(pkt, 0xff, len);
	pkt[0] = 0x80;
	pkt[1] = 0;
}

/* Sequence number, timestamp (20 ms of 8 kHz) and SSRC of packet n. */
static inline void
rtp_number(uint8_t *pkt, uint64_t n, uint32_t ssrc)
{
	pkt[2] = (uint8_t)(n >> 8);
	pkt[3] = (uint8_t)n;
	wr_be32(pkt + 4, (uint32_t)(n * 160));
	wr_be32(pkt + 8, ssrc);
}

/*
 * Read up to RX_BATCH datagrams waiting on fd into rx, with their kernel
 * time stamps when stamps; returns how many (0 on an error, said unless
 * it is nothing waiting or an ICMP error).
 */
static inline int
rx_read(struct rxbatch *rx, int fd, bool stamps)
{
	int i, n;

	memset(rx->m, 0, sizeof(rx->m));
	for (i = 0; i < RX_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = RX_MTU;
		rx->m[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->m[i].msg_hdr.msg_iovlen = 1;
		if (stamps) {
			rx->m[i].msg_hdr.msg_control = rx->cbuf[i];
			rx->m[i].msg_hdr.msg_controllen = sizeof(rx->cbuf[i]);
		}
	}
	n = recvmmsg(fd, rx->m, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
		fprintf(stderr, "%s: recv: %s\n", program_invocation_short_name,
		    strerror(errno));
	return n < 0 ? 0 : n;
}

#endif
