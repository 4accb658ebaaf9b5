/*
 * ports.c - port pair allocation.
 */
#include "media/ports.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

int
ports_init(struct ports *p, uint16_t min, uint16_t max)
{
	struct timespec ts;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->min = (uint16_t)(min + (min & 1));
	p->max = max;
	if (p->max < p->min + 1)
		return -1;
	p->npairs = (unsigned)(p->max - p->min + 1) / 2;
	if ((p->busy = calloc(p->npairs, 1)) == NULL)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	p->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
	if (p->rng == 0)
		p->rng = 0x9e3779b97f4a7c15ULL;
	return 0;
}

void
ports_free(struct ports *p)
{
	free(p->busy);
	p->busy = NULL;
	pthread_mutex_destroy(&p->lock);
}

static uint64_t
next_random(struct ports *p)
{
	/* xorshift64: unpredictable enough to stop port guessing by sequence. */
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

/* A bound socket, or -1 with errno set. */
static int
bind_udp(const struct addr *local, uint16_t port, bool freebind)
{
	struct addr a = *local;
	int fd, on = 1, saved;

	addr_set_port(&a, port);
	fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (addr_family(&a) == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	/* Linux honours IP_FREEBIND on IPv6 sockets too. */
	if (freebind)
		(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	if (bind(fd, &a.u.sa, a.len) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* RTP on `port`, RTCP on port + 1: both or neither, -1 with errno set. */
static int
bind_pair(const struct addr *local, uint16_t port, bool freebind, int fds[2])
{
	int saved;

	if ((fds[0] = bind_udp(local, port, freebind)) < 0)
		return -1;
	if ((fds[1] = bind_udp(local, (uint16_t)(port + 1), freebind)) < 0) {
		saved = errno;
		close(fds[0]);
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * A port held by another process is worth skipping; anything else (out of
 * descriptors, of memory, an address that went away) fails the same way
 * on every port, and trying the whole range would turn each refused
 * command into tens of thousands of system calls.
 */
static bool
try_next_port(int err)
{
	return err == EADDRINUSE || err == EACCES;
}

uint16_t
ports_open_pair(struct ports *p, const struct addr *local, int fds[2])
{
	unsigned start, i, idx;
	uint16_t port = 0;

	pthread_mutex_lock(&p->lock);
	errno = EADDRINUSE;	/* what "no port left in the range" reports */
	if (p->used >= p->npairs)
		goto out;
	start = (unsigned)(next_random(p) % p->npairs);
	for (i = 0; i < p->npairs; i++) {
		idx = (start + i) % p->npairs;
		if (p->busy[idx])
			continue;
		port = (uint16_t)(p->min + 2 * idx);
		if (bind_pair(local, port, p->freebind, fds) != 0) {
			if (try_next_port(errno))
				continue;
			break;		/* errno says why */
		}
		p->busy[idx] = 1;
		p->used++;
		goto out;
	}
	port = 0;
out:
	pthread_mutex_unlock(&p->lock);
	return port;
}

uint16_t
ports_open_at(struct ports *p, const struct addr *local, uint16_t port, int fds[2])
{
	unsigned idx;
	uint16_t got = 0;

	if (port < p->min || port > p->max || (port - p->min) % 2 != 0 ||
	    (unsigned)(port - p->min) / 2 >= p->npairs) {
		errno = EINVAL;
		return 0;
	}
	idx = (unsigned)(port - p->min) / 2;
	pthread_mutex_lock(&p->lock);
	if (p->busy[idx])
		errno = EADDRINUSE;
	else if (bind_pair(local, port, p->freebind, fds) == 0) {
		p->busy[idx] = 1;
		p->used++;
		got = port;
	}
	pthread_mutex_unlock(&p->lock);
	return got;
}

void
ports_release(struct ports *p, uint16_t rtp_port)
{
	unsigned idx;

	if (rtp_port < p->min || rtp_port > p->max)
		return;
	idx = (unsigned)(rtp_port - p->min) / 2;
	pthread_mutex_lock(&p->lock);
	if (p->busy[idx]) {
		p->busy[idx] = 0;
		p->used--;
	}
	pthread_mutex_unlock(&p->lock);
}

unsigned
ports_free_pairs(struct ports *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->npairs - p->used;
	pthread_mutex_unlock(&p->lock);
	return n;
}
