/*
 * ctl_transport.c - rtproam-ctl's way to the relay: one rtpproxy command
 * out, its reply back, over UDP (cookie, retransmission), TCP or a unix
 * socket, with bounded waits.
 */
#include "ctl_transport.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define UDP_TRIES	4	/* the first send and 3 retransmits */
#define UDP_WAIT_MS	500
#define STREAM_WAIT_MS	2000
#define STREAM_READS	4096	/* recv() calls per reply, at most */
#define STALE_MAX	64	/* replies to older cookies read per wait */

/* The request under way (rtproam-ctl sends one at a time). */
static const struct target *cur;
static char *reply;
static size_t reply_max;

uint64_t
ctl_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;	/* cannot fail for CLOCK_MONOTONIC */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *
ctl_target_parse(const char *spec, struct target *t)
{
	const char *rest = strchr(spec, ':');
	size_t n;

	memset(t, 0, sizeof(*t));
	t->spec = spec;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "cunix:", 6) == 0) {
		/* unix: one command per connection; cunix: lines, as tcp. */
		t->lines = spec[0] == 'c';
		if ((n = strlen(++rest)) == 0 || n >= sizeof(t->sun.sun_path))
			return "bad socket path";
		t->sun.sun_family = AF_UNIX;
		memcpy(t->sun.sun_path, rest, n + 1);
		return NULL;
	}
	if (strncmp(spec, "udp:", 4) != 0 && strncmp(spec, "udp6:", 5) != 0 &&
	    strncmp(spec, "tcp:", 4) != 0 && strncmp(spec, "tcp6:", 5) != 0)
		return "socket must start with udp:, udp6:, tcp:, tcp6:, unix: or cunix:";
	t->udp = spec[0] == 'u';
	t->lines = true;
	if (addr_parse_hostport(&t->addr, rest + 1, 22222, spec[3] == '6' ?
	    AF_INET6 : AF_UNSPEC) != 0 || addr_port(&t->addr) == 0)
		return "bad socket address (numeric HOST:PORT)";
	return NULL;
}

static void
sys_fail(const char *what)
{
	if (errno == ECONNREFUSED || errno == ENOENT)
		fprintf(stderr, "rtproam-ctl: %s: no relay listening (%s)\n",
		    cur->spec, strerror(errno));
	else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS)
		fprintf(stderr, "rtproam-ctl: %s: no relay answering within "
		    "%u ms\n", cur->spec, STREAM_WAIT_MS);
	else
		fprintf(stderr, "rtproam-ctl: %s: %s: %s\n", cur->spec, what,
		    strerror(errno));
}

/*
 * UDP: "cookie command" out, "cookie reply" back. Resending the same
 * cookie is safe: the relay answers a repeat from its reply cache
 * instead of running the command twice.
 */
static int
udp_request(const char *cmd, size_t *rlen)
{
	static unsigned seq;
	char cookie[32], dgram[CMD_MAX + 40];
	struct pollfd pfd;
	uint64_t deadline, now;
	size_t clen;
	ssize_t got;
	unsigned try, i;
	int fd, dlen, rc;

	/* pid and sequence: unique per invocation and per command. */
	clen = (size_t)snprintf(cookie, sizeof(cookie), "%ld_%u",
	    (long)getpid(), ++seq);
	dlen = snprintf(dgram, sizeof(dgram), "%s %s", cookie, cmd);
	if (dlen < 0 || (size_t)dlen >= sizeof(dgram))
		return -2;	/* cannot happen: ctl_request checked */
	if ((fd = socket(addr_family(&cur->addr), SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) < 0) {
		sys_fail("socket");
		return -1;
	}
	/* Connected: ICMP "port unreachable" comes back as ECONNREFUSED. */
	if (connect(fd, &cur->addr.u.sa, cur->addr.len) != 0)
		goto fail;
	for (try = 0; try < UDP_TRIES; try++) {
		if (send(fd, dgram, (size_t)dlen, 0) != dlen)
			goto fail;
		deadline = ctl_mono_ms() + UDP_WAIT_MS;
		for (i = 0; i < STALE_MAX && (now = ctl_mono_ms()) < deadline; i++) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if ((rc = poll(&pfd, 1, (int)(deadline - now))) < 0)
				goto fail;
			if (rc == 0)
				break;
			if ((got = recv(fd, reply, reply_max, 0)) < 0)
				goto fail;
			/* A late answer to an earlier cookie is not ours. */
			if ((size_t)got > clen && reply[clen] == ' ' &&
			    memcmp(reply, cookie, clen) == 0) {
				*rlen = (size_t)got - clen - 1;
				memmove(reply, reply + clen + 1, *rlen);
				close(fd);
				return 0;
			}
		}
	}
	fprintf(stderr, "rtproam-ctl: %s: no reply after %u tries of %u ms\n",
	    cur->spec, UDP_TRIES, UDP_WAIT_MS);
	close(fd);
	return -1;
fail:
	sys_fail("udp");
	close(fd);
	return -1;
}

/*
 * unix: one command per connection, no newline; the relay closes after
 * its reply. tcp and cunix: newline-terminated lines; we half-close after
 * ours, so the relay closes once it has answered and EOF ends the reply
 * (a multi-line reply has no other end marker).
 */
static int
stream_request(const char *cmd, size_t *rlen)
{
	struct timeval tv = { STREAM_WAIT_MS / 1000, STREAM_WAIT_MS % 1000 * 1000 };
	const struct sockaddr *sa = &cur->addr.u.sa;
	socklen_t salen = cur->addr.len;
	uint64_t deadline = ctl_mono_ms() + STREAM_WAIT_MS;
	char out[CMD_MAX + 2];
	size_t len = strlen(cmd), used = 0;
	unsigned i;
	ssize_t n;
	int fd;

	if (len + 2 > sizeof(out))
		return -2;	/* cannot happen: ctl_request checked */
	memcpy(out, cmd, len);
	if (cur->lines)
		out[len++] = '\n';
	if (cur->sun.sun_family == AF_UNIX) {
		sa = (const struct sockaddr *)&cur->sun;
		salen = sizeof(cur->sun);
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sys_fail("socket");
		return -1;
	}
	/*
	 * Linux bounds connect() by SO_SNDTIMEO and each recv() by
	 * SO_RCVTIMEO: neither a dead host nor a mute relay can hang us.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, sa, salen) != 0 ||
	    send(fd, out, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    (cur->lines && shutdown(fd, SHUT_WR) != 0))
		goto fail;
	for (i = 0; i < STREAM_READS && ctl_mono_ms() < deadline; i++) {
		if ((n = recv(fd, reply + used, reply_max - used, 0)) < 0)
			goto fail;
		if (n == 0) {
			close(fd);
			*rlen = used;
			return 0;
		}
		if ((used += (size_t)n) == reply_max)
			break;
	}
	fprintf(stderr, "rtproam-ctl: %s: reply too long, or not complete "
	    "within %u ms\n", cur->spec, STREAM_WAIT_MS);
	close(fd);
	return -1;
fail:
	sys_fail("stream");
	close(fd);
	return -1;
}

int
ctl_request(const struct target *t, const char *cmd, char *buf, size_t buflen)
{
	size_t len = 0;

	if (strlen(cmd) > CMD_MAX)
		return -2;
	cur = t;
	reply = buf;
	reply_max = buflen - 1;		/* room for the NUL */

	if ((cur->udp ? udp_request(cmd, &len) :
	    stream_request(cmd, &len)) != 0)
		return -1;
	reply[len] = '\0';
	if (len > 0 && reply[len - 1] == '\n')
		reply[--len] = '\0';
	if (len == 0) {
		fprintf(stderr, "rtproam-ctl: %s: empty reply to %s\n",
		    cur->spec, cmd);
		return -1;
	}
	return 0;
}

