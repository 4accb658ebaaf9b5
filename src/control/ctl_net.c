/*
 * ctl_net.c - control transports. Whatever the transport, a command ends
 * up in its protocol's executor (ctl_execute() for rtpproxy, ng_execute()
 * for ng) and its reply goes back the way it came, from the very address
 * the request reached (Kamailio connect()s its UDP socket to the relay).
 */
#include "control/ctl_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/ng/bencode.h"
#include "control/ng/ng.h"
#include "control/rtpp/ctl_parse.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "control/ratelimit.h"
#include "control/rcache.h"

#define CTL_REPLY_MAX	65000	/* one UDP datagram; `Il` listings fill it */
/* Controllers read replies into 256 bytes; only those are worth caching. */
#define RCACHE_REPLY_MAX 256
#define CTL_MAX_CONNS	256
#define RCACHE_TTL_MS	30000	/* longer than any controller's retry span */
#define RCACHE_MAX	65536
#define RATE_WARN_MS	10000	/* at most one "over the rate" line per 10 s */
#define CTL_UDP_BATCH	64	/* replies held for one sendmmsg() */
#define CTL_DGRAM_MAX	65536	/* the largest UDP datagram, and then some */
/* An ng message on TCP: a cookie, a space and a document of one datagram's size. */
#define NG_STREAM_MAX	(CTL_DGRAM_MAX + 256)

enum ep_kind { EP_UDP, EP_LISTEN_ONESHOT, EP_LISTEN_LINES, EP_CONN_ONESHOT, EP_CONN_LINES };

/* Which protocol an endpoint speaks. */
enum ctl_proto { PROTO_RTPP, PROTO_NG };

struct endpoint {
	enum ep_kind	 kind;
	enum ctl_proto	 proto;
	int		 fd;
	bool		 wildcard;	/* bound to 0.0.0.0 or ::: replies name their source */
	char		*unix_path;	/* unlinked at close */
	struct endpoint	*next, *prev;	/* connections, so shutdown can free them */
	/* connections */
	size_t		 used, cap;
	char		*buf;
};

/* Replies held for one sendmmsg() at the end of a read pass (handle_udp). */
struct udp_replies {
	struct mmsghdr		msg[CTL_UDP_BATCH];
	struct iovec		iov[CTL_UDP_BATCH];
	struct sockaddr_storage	to[CTL_UDP_BATCH];
	char			buf[CTL_UDP_BATCH][RCACHE_REPLY_MAX];
	unsigned		n;
};

struct ctl_net {
	int		 epfd;
	struct endpoint	*listeners[2 * CONFIG_MAX_CTL];	/* -s, then --ng */
	unsigned	 nlisteners;
	unsigned	 nconns;
	struct endpoint	*conns;
	struct rcache	 rcache;
	struct ratelimit cmd_rate;	/* --max-cmd-rate */
	uint64_t	 rate_warn_ms;	/* last "over the rate" log line */
	char		 reply[CTL_REPLY_MAX];
	char		 rx[CTL_DGRAM_MAX + 1];
	char		 key[CTL_DGRAM_MAX + sizeof(struct sockaddr_storage)];
	struct udp_replies replies;
};

static struct endpoint *
endpoint_new(enum ep_kind kind, enum ctl_proto proto, int fd)
{
	struct endpoint *ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL)
		return NULL;
	ep->kind = kind;
	ep->proto = proto;
	ep->fd = fd;
	if (kind == EP_CONN_ONESHOT || kind == EP_CONN_LINES) {
		ep->cap = proto == PROTO_NG ? NG_STREAM_MAX : CTL_MAX_CMD + 1;
		if ((ep->buf = malloc(ep->cap)) == NULL) {
			free(ep);
			return NULL;
		}
	}
	return ep;
}

static int
watch(struct ctl_net *n, struct endpoint *ep)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = ep;
	return epoll_ctl(n->epfd, EPOLL_CTL_ADD, ep->fd, &ev);
}

static void
endpoint_close(struct ctl_net *n, struct endpoint *ep)
{
	(void)epoll_ctl(n->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
	close(ep->fd);
	if (ep->kind == EP_CONN_ONESHOT || ep->kind == EP_CONN_LINES) {
		if (ep->prev)
			ep->prev->next = ep->next;
		else
			n->conns = ep->next;
		if (ep->next)
			ep->next->prev = ep->prev;
		n->nconns--;
	}
	if (ep->unix_path) {
		unlink(ep->unix_path);
		free(ep->unix_path);
	}
	free(ep->buf);
	free(ep);
}

/* Open one -s or --ng socket. Returns an endpoint or NULL with err filled. */
static struct endpoint *
open_one(const char *spec, enum ctl_proto proto, bool freebind, char *err,
    size_t errlen)
{
	struct endpoint *ep;
	struct sockaddr_un sun;
	struct addr a;
	enum ep_kind kind;
	const char *rest;
	int fd, on = 1, family = AF_UNSPEC, type;

	if (strncmp(spec, "udp:", 4) == 0 || strncmp(spec, "udp6:", 5) == 0 ||
	    strncmp(spec, "tcp:", 4) == 0 || strncmp(spec, "tcp6:", 5) == 0) {
		family = spec[3] == '6' ? AF_INET6 : AF_INET;
		rest = strchr(spec, ':') + 1;
		type = spec[0] == 'u' ? SOCK_DGRAM : SOCK_STREAM;
		kind = spec[0] == 'u' ? EP_UDP : EP_LISTEN_LINES;
		if (addr_parse_hostport(&a, rest, 22222, family) != 0) {
			snprintf(err, errlen, "control socket %s: bad address", spec);
			return NULL;
		}
		if ((fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			goto syserr;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		/* A standby binds the service address before keepalived moves it here. */
		if (freebind)
			(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
		/* On a wildcard address, learn where each request arrived. */
		if (type == SOCK_DGRAM && addr_is_any(&a))
			(void)setsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
			    family == AF_INET6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &on,
			    sizeof(on));
		if (bind(fd, &a.u.sa, a.len) != 0 ||
		    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
			close(fd);
			goto syserr;
		}
		if ((ep = endpoint_new(kind, proto, fd)) == NULL) {
			close(fd);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		ep->wildcard = type == SOCK_DGRAM && addr_is_any(&a);
		return ep;
	}
	if (proto == PROTO_NG) {
		snprintf(err, errlen, "ng socket %s: udp:, udp6: or tcp: only", spec);
		return NULL;
	}
	/* unix:PATH (one command per connection) or cunix:PATH (lines). */
	kind = strncmp(spec, "cunix:", 6) == 0 ? EP_LISTEN_LINES : EP_LISTEN_ONESHOT;
	rest = kind == EP_LISTEN_LINES ? spec + 6 :
	    strncmp(spec, "unix:", 5) == 0 ? spec + 5 : spec;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (rest[0] == '\0' || strlen(rest) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: bad path", spec);
		return NULL;
	}
	strcpy(sun.sun_path, rest);
	(void)unlink(rest);	/* a stale socket from a previous run */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto syserr;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 128) != 0) {
		close(fd);
		goto syserr;
	}
	if ((ep = endpoint_new(kind, proto, fd)) == NULL ||
	    (ep->unix_path = strdup(rest)) == NULL) {
		free(ep);
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return ep;
syserr:
	snprintf(err, errlen, "control socket %s: %s", spec, strerror(errno));
	return NULL;
}

struct ctl_net *
ctl_net_open(const struct config *cfg, int epfd, char *err, size_t errlen)
{
	struct ctl_net *n;
	struct endpoint *ep;
	unsigned i;

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    rcache_init(&n->rcache, RCACHE_MAX, RCACHE_TTL_MS) != 0) {
		free(n);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->epfd = epfd;
	ratelimit_init(&n->cmd_rate, cfg->max_cmd_rate, cfg->max_cmd_rate,
	    now_ms() * 1000);
	for (i = 0; i < cfg->nctl + cfg->nng; i++) {
		bool ng = i >= cfg->nctl;
		const char *spec = ng ? cfg->ng[i - cfg->nctl] : cfg->ctl[i];

		if ((ep = open_one(spec, ng ? PROTO_NG : PROTO_RTPP, cfg->freebind, err,
		    errlen)) == NULL ||
		    watch(n, ep) != 0) {
			if (ep)
				endpoint_close(n, ep);
			ctl_net_close(n);
			return NULL;
		}
		n->listeners[n->nlisteners++] = ep;
		log_info("%s control socket %s", ng ? "ng" : "rtpproxy", spec);
	}
	return n;
}

void
ctl_net_close(struct ctl_net *n)
{
	unsigned i;

	if (n == NULL)
		return;
	while (n->conns)
		endpoint_close(n, n->conns);
	for (i = 0; i < n->nlisteners; i++)
		endpoint_close(n, n->listeners[i]);
	rcache_free(&n->rcache);
	free(n);
}

void
ctl_net_tick(struct ctl_net *n, uint64_t now)
{
	rcache_expire(&n->rcache, now);
}

/*
 * Execute one command of the endpoint's protocol, unless it is over
 * --max-cmd-rate: then it is refused with the answer that sends a SIP
 * proxy to another relay (E98; ng's "Parallel session limit reached"),
 * and counted (*refused, if not NULL, is then set).
 */
static size_t
execute(struct ctl_net *n, struct call_ctx *ctx, enum ctl_proto proto,
    const char *cmd, size_t len, const struct addr *from, char *out, size_t outlen,
    bool *refused)
{
	uint64_t now = now_ms();

	if (ratelimit_take(&n->cmd_rate, now * 1000))
		return proto == PROTO_NG ? ng_execute(ctx, cmd, len, from, out, outlen) :
		    ctl_execute(ctx, cmd, len, from, out, outlen);
	if (refused != NULL)
		*refused = true;
	ctx->cmds_refused++;
	if (n->rate_warn_ms == 0 || now - n->rate_warn_ms >= RATE_WARN_MS) {
		log_warn("control: over --max-cmd-rate %u/s, %" PRIu64
		    " command(s) refused so far", ctx->cfg->max_cmd_rate,
		    ctx->cmds_refused);
		n->rate_warn_ms = now;
	}
	if (proto == PROTO_NG)
		return (size_t)snprintf(out, outlen, "d6:result5:error12:error-reason"
		    "30:Parallel session limit reachede");
	return (size_t)snprintf(out, outlen, "E%d\n", E_OVERLOAD);
}

/*
 * Replies to small commands leave together, in one sendmmsg() at the end
 * of a read pass: a proxy that keeps many commands in flight is then woken
 * once per pass rather than once per reply. Only replies that fit the
 * reply cache's limit are held (copied: a later command of the same pass
 * may evict the cache entry); bigger ones (listings) go at once.
 */
static void
replies_flush(struct udp_replies *r, int fd)
{
	unsigned done;
	int rc;

	for (done = 0; done < r->n; done += (unsigned)rc) {
		rc = sendmmsg(fd, r->msg + done, r->n - done, MSG_DONTWAIT);
		if (rc <= 0) {
			/* This one cannot go (its sender is gone): skip it. */
			log_debug("control: reply not sent: %s", strerror(errno));
			rc = 1;
		}
	}
	r->n = 0;
}

static void
reply_udp(struct udp_replies *r, int fd, const char *reply, size_t len,
    const struct sockaddr_storage *to, socklen_t tolen)
{
	struct mmsghdr *m;

	memcpy(r->buf[r->n], reply, len);
	memcpy(&r->to[r->n], to, tolen);
	r->iov[r->n].iov_base = r->buf[r->n];
	r->iov[r->n].iov_len = len;
	m = &r->msg[r->n];
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_name = &r->to[r->n];
	m->msg_hdr.msg_namelen = tolen;
	m->msg_hdr.msg_iov = &r->iov[r->n];
	m->msg_hdr.msg_iovlen = 1;
	if (++r->n == CTL_UDP_BATCH)
		replies_flush(r, fd);
}

/* Where a request arrived on a wildcard socket: the reply leaves from there. */
struct arrival {
	union {
		size_t		 align;		/* a cmsghdr's alignment */
		/* CMSG_SPACE(sizeof(struct in6_pktinfo)) is 40; clang wants a constant. */
		char		 buf[64];
	} u;
	size_t		 len;
};

static ssize_t
recv_request(struct endpoint *ep, char *buf, size_t len, struct sockaddr_storage *ss,
    socklen_t *sl, struct arrival *arr)
{
	struct iovec iov = { buf, len };
	struct msghdr mh;
	ssize_t got;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = ss;
	mh.msg_namelen = sizeof(*ss);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ep->wildcard ? arr->u.buf : NULL;
	mh.msg_controllen = ep->wildcard ? sizeof(arr->u.buf) : 0;
	got = recvmsg(ep->fd, &mh, MSG_TRUNC);
	*sl = mh.msg_namelen;
	arr->len = ep->wildcard ? mh.msg_controllen : 0;
	return got;
}

/* Send one reply at once, from where the request arrived. */
static void
send_reply_now(struct endpoint *ep, const char *reply, size_t len,
    const struct sockaddr_storage *to, socklen_t tolen, const struct arrival *arr)
{
	struct iovec iov = { (void *)(uintptr_t)reply, len };
	struct cmsghdr *cm;
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)(uintptr_t)to;
	mh.msg_namelen = tolen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (arr->len > 0) {
		mh.msg_control = (void *)(uintptr_t)arr->u.buf;
		mh.msg_controllen = arr->len;
		/* Only the source address: the interface is for routing to pick. */
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
				((struct in_pktinfo *)(void *)CMSG_DATA(cm))->ipi_ifindex = 0;
			else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO)
				((struct in6_pktinfo *)(void *)CMSG_DATA(cm))->ipi6_ifindex = 0;
		}
	}
	if (sendmsg(ep->fd, &mh, MSG_DONTWAIT) < 0)
		log_debug("control: reply not sent: %s", strerror(errno));
}

/*
 * ng's cookie is everything before the first space, whatever its bytes;
 * the document starts right after that one space. No space, or an empty
 * cookie: no reply could be matched, so the datagram is only counted.
 */
static int
ng_split_cookie(const char *buf, size_t len, struct ctl_str *cookie,
    const char **doc, size_t *doclen)
{
	const char *sp = memchr(buf, ' ', len);

	if (sp == NULL || sp == buf)
		return -1;
	cookie->p = buf;
	cookie->len = (size_t)(sp - buf);
	*doc = sp + 1;
	*doclen = len - cookie->len - 1;
	return 0;
}

/* UDP: "cookie command" in, "cookie reply" out, resends from the cache. */
static void
handle_udp(struct ctl_net *n, struct call_ctx *ctx, struct endpoint *ep)
{
	char *buf = n->rx, *out = n->reply;
	struct sockaddr_storage ss;
	struct arrival arr;
	socklen_t sl;
	struct ctl_str cookie;
	struct addr from;
	const char *cmd, *cached;
	size_t cmdlen, klen, rlen;
	ssize_t got;
	unsigned i;
	int split;
	bool refused;

	/* Bounded: a flood of commands must not starve the rest of the loop. */
	for (i = 0; i < 64; i++) {
		if ((got = recv_request(ep, buf, CTL_DGRAM_MAX, &ss, &sl, &arr)) < 0)
			break;
		addr_from_sockaddr(&from, (struct sockaddr *)&ss, sl);
		/*
		 * The whole datagram is here (up to 64 KiB): whatever follows a
		 * readable cookie is answered, an over-long rtpproxy command
		 * with E25, without running it.
		 */
		if ((size_t)got > CTL_DGRAM_MAX)
			got = CTL_DGRAM_MAX;
		split = ep->proto == PROTO_NG ?
		    ng_split_cookie(buf, (size_t)got, &cookie, &cmd, &cmdlen) :
		    ctl_split_cookie(buf, (size_t)got, &cookie, &cmd, &cmdlen);
		if (split != 0) {
			if (ep->proto == PROTO_NG)
				ctx->ng_malformed++;
			log_debug("control: datagram without a cookie, dropped");
			continue;
		}
		/* Key: cookie + sender, so two proxies' cookies never collide. */
		klen = cookie.len;
		memcpy(n->key, cookie.p, klen);
		memcpy(n->key + klen, &ss, sl);
		klen += sl;
		if ((cached = rcache_get(&n->rcache, n->key, klen, &rlen)) == NULL) {
			memcpy(out, cookie.p, cookie.len);
			out[cookie.len] = ' ';
			rlen = cookie.len + 1;
			refused = false;
			if (rlen < CTL_REPLY_MAX - 256)
				rlen += execute(n, ctx, ep->proto, cmd, cmdlen, &from,
				    out + rlen, CTL_REPLY_MAX - rlen, &refused);
			/*
			 * rtpproxy's big replies come from read-only commands:
			 * re-running them is harmless. Every ng reply is kept: a
			 * retransmitted offer must not run twice. A refusal is
			 * not cached: a resend may run.
			 */
			if ((ep->proto == PROTO_NG || rlen <= RCACHE_REPLY_MAX) && !refused)
				(void)rcache_put(&n->rcache, n->key, klen, out, rlen, now_ms());
			cached = out;
		}
		if (arr.len > 0 || rlen > RCACHE_REPLY_MAX)
			send_reply_now(ep, cached, rlen, &ss, sl, &arr);
		else
			reply_udp(&n->replies, ep->fd, cached, rlen, &ss, sl);
	}
	replies_flush(&n->replies, ep->fd);
}

static void
handle_accept(struct ctl_net *n, struct endpoint *ep)
{
	struct endpoint *c;
	int fd;

	while ((fd = accept4(ep->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (n->nconns >= CTL_MAX_CONNS) {
			log_warn("control: too many connections, refusing one");
			close(fd);
			continue;
		}
		c = endpoint_new(ep->kind == EP_LISTEN_ONESHOT ?
		    EP_CONN_ONESHOT : EP_CONN_LINES, ep->proto, fd);
		if (c == NULL || watch(n, c) != 0) {
			free(c);
			close(fd);
			continue;
		}
		c->next = n->conns;
		if (n->conns)
			n->conns->prev = c;
		n->conns = c;
		n->nconns++;
	}
}

static void
reply_stream(struct endpoint *c, const char *reply, size_t len)
{
	/* Replies are short; a peer that does not read them loses them. */
	if (send(c->fd, reply, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		log_debug("control: stream reply not sent: %s", strerror(errno));
}

/*
 * ng on TCP: "cookie SP document", one after another; a message ends
 * where its bencode dictionary ends. A document that cannot be decoded
 * leaves no way to find the next one: it is answered, then the
 * connection is closed.
 */
static void
handle_ng_stream(struct ctl_net *n, struct call_ctx *ctx, struct endpoint *c)
{
	struct bdoc d;
	struct bnode *root;
	struct ctl_str cookie;
	const char *doc;
	char err[128];
	size_t doclen, used, start = 0, rlen;
	int rc;

	while (start < c->used) {
		if (ng_split_cookie(c->buf + start, c->used - start, &cookie, &doc,
		    &doclen) != 0)
			break;		/* no space yet: wait for more */
		bdoc_init(&d);
		rc = bencode_decode(&d, doc, doclen, &root, &used, err, sizeof(err));
		bdoc_free(&d);
		if (rc == -2)
			break;
		if (rc != 0)
			used = doclen;	/* answered with the decoder's error */
		memcpy(n->reply, cookie.p, cookie.len);
		n->reply[cookie.len] = ' ';
		rlen = cookie.len + 1;
		rlen += execute(n, ctx, PROTO_NG, doc, used, NULL, n->reply + rlen,
		    CTL_REPLY_MAX - rlen, NULL);
		reply_stream(c, n->reply, rlen);
		if (rc != 0) {
			endpoint_close(n, c);
			return;
		}
		start = (size_t)(doc - c->buf) + used;
	}
	memmove(c->buf, c->buf + start, c->used - start);
	c->used -= start;
	if (c->used == c->cap - 1) {
		log_warn("control: ng message over %zu bytes on TCP, connection closed",
		    c->cap - 1);
		endpoint_close(n, c);
	}
}

static void
handle_stream(struct ctl_net *n, struct call_ctx *ctx, struct endpoint *c)
{
	ssize_t got;
	size_t rlen, start, i;

	got = recv(c->fd, c->buf + c->used, c->cap - 1 - c->used, 0);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		endpoint_close(n, c);
		return;
	}
	c->used += (size_t)got;
	if (c->proto == PROTO_NG) {
		handle_ng_stream(n, ctx, c);
		return;
	}
	if (c->kind == EP_CONN_ONESHOT) {
		/* Kamailio writes one command, no newline, and waits for the reply. */
		rlen = execute(n, ctx, PROTO_RTPP, c->buf, c->used, NULL, n->reply,
		    CTL_REPLY_MAX, NULL);
		reply_stream(c, n->reply, rlen);
		endpoint_close(n, c);
		return;
	}
	for (start = 0, i = 0; i < c->used; i++) {
		if (c->buf[i] != '\n')
			continue;
		if (i > start) {
			rlen = execute(n, ctx, PROTO_RTPP, c->buf + start, i - start,
			    NULL, n->reply, CTL_REPLY_MAX, NULL);
			reply_stream(c, n->reply, rlen);
		}
		start = i + 1;
	}
	memmove(c->buf, c->buf + start, c->used - start);
	c->used -= start;
	if (c->used == c->cap - 1) {
		rlen = (size_t)snprintf(n->reply, CTL_REPLY_MAX, "E%d\n", E_TOO_BIG);
		reply_stream(c, n->reply, rlen);
		endpoint_close(n, c);
	}
}

void
ctl_net_event(struct ctl_net *n, struct call_ctx *ctx, void *ptr, uint32_t events)
{
	struct endpoint *ep = ptr;

	(void)events;
	switch (ep->kind) {
	case EP_UDP:
		handle_udp(n, ctx, ep);
		break;
	case EP_LISTEN_ONESHOT:
	case EP_LISTEN_LINES:
		handle_accept(n, ep);
		break;
	case EP_CONN_ONESHOT:
	case EP_CONN_LINES:
		handle_stream(n, ctx, ep);
		break;
	}
}
