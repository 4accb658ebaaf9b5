/*
 * notify.c - timeout notification connections, one per permitted target,
 * kept open between notifications as rtpproxy does.
 */
#include "control/rtpp/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

/* Bound the time a dead target can stall the control thread. */
#define NOTIFY_CONNECT_MS 300

struct notify_target {
	const char	*spec;		/* as given to -n */
	int		 fd;
};

struct notify {
	struct notify_target	 t[CONFIG_MAX_NOTIFY];
	unsigned		 n;
};

/* rtpproxy accepted a bare path for unix sockets; so do we. */
static const char *
strip_unix(const char *s)
{
	if (strncmp(s, "unix:", 5) == 0)
		return s + 5;
	return s[0] == '/' ? s : NULL;
}

static bool
same_target(const char *a, const char *b)
{
	const char *ua = strip_unix(a), *ub = strip_unix(b);

	if (ua && ub)
		return strcmp(ua, ub) == 0;
	return strcmp(a, b) == 0;
}

struct notify *
notify_new(const struct config *cfg)
{
	struct notify *n;
	unsigned i;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	for (i = 0; i < cfg->nnotify; i++) {
		n->t[i].spec = cfg->notify[i];
		n->t[i].fd = -1;
	}
	n->n = cfg->nnotify;
	return n;
}

void
notify_free(struct notify *n)
{
	unsigned i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		if (n->t[i].fd >= 0)
			close(n->t[i].fd);
	free(n);
}

bool
notify_permitted(const struct notify *n, const char *target)
{
	unsigned i;

	for (i = 0; i < n->n; i++)
		if (same_target(n->t[i].spec, target))
			return true;
	return false;
}

static int
connect_target(const char *spec)
{
	struct sockaddr_un sun;
	struct addr a;
	struct pollfd pfd;
	const char *path;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	if ((path = strip_unix(spec)) != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "tcp:", 4) != 0 ||
	    addr_parse_hostport(&a, spec + 4, 0, AF_UNSPEC) != 0 || addr_port(&a) == 0)
		return -1;
	fd = socket(addr_family(&a), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, &a.u.sa, a.len) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, NOTIFY_CONNECT_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

void
notify_send(struct notify *n, const char *target, const char *tag)
{
	struct notify_target *t = NULL;
	char line[512];
	size_t len;
	unsigned i, attempt;

	for (i = 0; i < n->n; i++)
		if (same_target(n->t[i].spec, target))
			t = &n->t[i];
	if (t == NULL)
		return;
	len = (size_t)snprintf(line, sizeof(line), "%s\n", tag);
	if (len >= sizeof(line))
		return;
	/* A kept connection may have been closed by the peer: retry once afresh. */
	for (attempt = 0; attempt < 2; attempt++) {
		if (t->fd < 0 && (t->fd = connect_target(t->spec)) < 0)
			break;
		if (send(t->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len) {
			log_info("timeout notification sent to %s: %s", t->spec, tag);
			return;
		}
		close(t->fd);
		t->fd = -1;
	}
	log_warn("timeout notification to %s failed: %s", t->spec, strerror(errno));
}
