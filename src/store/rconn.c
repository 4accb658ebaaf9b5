/*
 * rconn.c - the asynchronous Redis connection (rconn.h says why it looks
 * the way it does).
 */
#include "store/rconn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "lib/log.h"

void
rconn_init(struct rconn *rc, const struct store_target *t, const char *password,
    const char *client_name, int epfd)
{
	memset(rc, 0, sizeof(*rc));
	rc->target = t;
	rc->password = password;
	rc->client_name = client_name;
	rc->epfd = epfd;
	rc->fd = -1;
	rc->backoff_ms = RCONN_BACKOFF_MIN_MS;
}

void
rconn_scripts(struct rconn *rc, const char *const *scripts, unsigned n)
{
	rc->scripts = scripts;
	rc->nscripts = n > RCONN_MAX_SCRIPTS ? RCONN_MAX_SCRIPTS : n;
}

/* ---- the five event hooks hiredis calls ---- */

static void
update_epoll(struct rconn *rc)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = rc->armed;
	ev.data.ptr = &rc->tag;
	if (epoll_ctl(rc->epfd, rc->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    rc->fd, &ev) != 0)
		log_err("redis: epoll_ctl: %s", strerror(errno));
	else
		rc->registered = true;
}

static void
add_read(void *p)
{
	struct rconn *rc = p;

	if (!(rc->armed & EPOLLIN)) {
		rc->armed |= EPOLLIN;
		update_epoll(rc);
	}
}

static void
del_read(void *p)
{
	struct rconn *rc = p;

	if (rc->armed & EPOLLIN) {
		rc->armed &= ~(uint32_t)EPOLLIN;
		update_epoll(rc);
	}
}

static void
add_write(void *p)
{
	struct rconn *rc = p;

	if (!(rc->armed & EPOLLOUT)) {
		rc->armed |= EPOLLOUT;
		update_epoll(rc);
	}
}

static void
del_write(void *p)
{
	struct rconn *rc = p;

	if (rc->armed & EPOLLOUT) {
		rc->armed &= ~(uint32_t)EPOLLOUT;
		update_epoll(rc);
	}
}

/* The socket is about to be closed by hiredis: out of epoll, not closed here. */
static void
cleanup(void *p)
{
	struct rconn *rc = p;

	if (rc->registered)
		(void)epoll_ctl(rc->epfd, EPOLL_CTL_DEL, rc->fd, NULL);
	rc->registered = false;
	rc->armed = 0;
}

/* ---- state ---- */

static void
went_down(struct rconn *rc, const char *why)
{
	bool was_up = rc->up;

	rc->ac = NULL;
	rc->fd = -1;
	rc->up = false;
	rc->connected = false;
	snprintf(rc->why, sizeof(rc->why), "%s", rc->hs_why[0] ? rc->hs_why : why);
	rc->next_try_ms = rc->started_ms + rc->backoff_ms;
	rc->backoff_ms = rc->backoff_ms * 2 > RCONN_BACKOFF_MAX_MS ?
	    RCONN_BACKOFF_MAX_MS : rc->backoff_ms * 2;
	if (was_up && rc->on_state)
		rc->on_state(rc->arg, false);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->ev.data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this; no disconnect follows. */
		went_down(rc, ac->errstr[0] ? ac->errstr : "connect failed");
		return;
	}
	/* Up only once Redis answers: a hung server accepts connections too. */
	rc->connected = true;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->ev.data;

	went_down(rc, status == REDIS_OK ? "closed" :
	    ac->errstr[0] ? ac->errstr : "connection lost");
}

/* The oldest command in flight is answered: who wanted to know. */
static rconn_reply_fn *
pop_inflight(struct rconn *rc)
{
	rconn_reply_fn *fn = NULL;

	if (rc->inflight > 0) {
		fn = rc->reply_fn[rc->head];
		rc->head = (rc->head + 1) % RCONN_MAX_INFLIGHT;
		rc->inflight--;
	}
	return fn;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct rconn *rc = priv;
	redisReply *reply = r;
	rconn_reply_fn *fn = pop_inflight(rc);

	(void)ac;
	/* NULL: the connection went before the reply; an error: not stored. */
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		rc->failures++;
	else
		rc->replies++;
	if (fn != NULL) {
		fn(rc->arg, reply);
		return;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL) {
			static struct log_limit lim;

			log_ratelimited(&lim, 1, LOG_LVL_WARN, "redis: %.*s",
			    (int)(reply->len > 200 ? 200 : reply->len), reply->str);
		}
		if (rc->on_failure)
			rc->on_failure(rc->arg, reply ? reply->str : NULL,
			    reply ? reply->len : 0);
	}
}

/*
 * AUTH, SELECT, CLIENT SETNAME. A refusal (wrong password, no such
 * database) is no connection at all: drop it and say why. The last answer
 * makes the connection up: a hung server accepts connections too.
 */
static void
on_handshake(redisAsyncContext *ac, void *r, void *priv)
{
	struct rconn *rc = priv;
	redisReply *reply = r;

	(void)pop_inflight(rc);
	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(rc->hs_why, sizeof(rc->hs_why), "%.*s",
		    (int)(reply->len > 100 ? 100 : reply->len), reply->str);
		redisAsyncDisconnect(ac);	/* deferred: we are in its callback */
		return;
	}
	if (rc->inflight == 0 && rc->connected && !rc->up && rc->hs_why[0] == '\0') {
		rc->up = true;
		rc->backoff_ms = RCONN_BACKOFF_MIN_MS;
		rc->why[0] = '\0';
		if (rc->on_state)
			rc->on_state(rc->arg, true);
	}
}

/* SCRIPT LOAD answered with the script's SHA1, in the order sent. */
static void
on_script(redisAsyncContext *ac, void *r, void *priv)
{
	struct rconn *rc = priv;
	redisReply *reply = r;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    reply->len == RCONN_SHA_LEN && rc->sha_next < rc->nscripts) {
		memcpy(rc->sha[rc->sha_next], reply->str, RCONN_SHA_LEN);
		rc->sha[rc->sha_next++][RCONN_SHA_LEN] = '\0';
	} else if (reply != NULL && reply->type != REDIS_REPLY_ERROR) {
		/* Not an error, not a SHA1: refuse the connection all the same. */
		snprintf(rc->hs_why, sizeof(rc->hs_why), "SCRIPT LOAD: unexpected reply");
		redisAsyncDisconnect(ac);
		(void)pop_inflight(rc);
		return;
	}
	on_handshake(ac, r, priv);
}

static int
send_cb(struct rconn *rc, redisCallbackFn *cb, rconn_reply_fn *fn, unsigned argc,
    const char **argv, const size_t *len, uint64_t now)
{
	unsigned slot = (rc->head + rc->inflight) % RCONN_MAX_INFLIGHT;

	if (rc->ac == NULL || rc->inflight >= RCONN_MAX_INFLIGHT)
		return -1;
	if (redisAsyncCommandArgv(rc->ac, cb, rc, (int)argc, argv, len) != REDIS_OK)
		return -1;
	rc->sent_ms[slot] = now;
	rc->reply_fn[slot] = fn;
	rc->inflight++;
	return 0;
}

static int
send_words(struct rconn *rc, uint64_t now, unsigned argc, ...)
{
	const char *argv[4];
	size_t len[4];
	unsigned i;
	va_list ap;

	va_start(ap, argc);
	for (i = 0; i < argc && i < 4; i++) {
		argv[i] = va_arg(ap, const char *);
		len[i] = strlen(argv[i]);
	}
	va_end(ap);
	return send_cb(rc, on_handshake, NULL, argc, argv, len, now);
}

static void
connect_now(struct rconn *rc, uint64_t now)
{
	const struct store_target *t = rc->target;
	redisAsyncContext *ac;
	char db[8];

	rc->started_ms = now;
	rc->reconnects++;
	rc->hs_why[0] = '\0';
	ac = t->path[0] ? redisAsyncConnectUnix(t->path) :
	    redisAsyncConnect(t->host, t->port);
	if (ac == NULL || ac->err) {
		went_down(rc, ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return;
	}
	rc->ac = ac;
	rc->fd = ac->c.fd;
	rc->armed = 0;
	rc->registered = false;
	ac->ev.data = rc;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (!t->path[0])
		(void)redisEnableKeepAlive(&ac->c);
	/*
	 * Queued before the connect completes; the first one also makes
	 * hiredis wait for writability, which is how 0.14 learns the connect
	 * finished.
	 */
	snprintf(db, sizeof(db), "%u", t->db);
	if (rc->password && t->user[0])
		(void)send_words(rc, now, 3, "AUTH", t->user, rc->password);
	else if (rc->password)
		(void)send_words(rc, now, 2, "AUTH", rc->password);
	if (t->db != 0)
		(void)send_words(rc, now, 2, "SELECT", db);
	rc->sha_next = 0;
	for (unsigned i = 0; i < rc->nscripts; i++) {
		const char *argv[3] = { "SCRIPT", "LOAD", rc->scripts[i] };
		size_t len[3] = { 6, 4, strlen(rc->scripts[i]) };

		(void)send_cb(rc, on_script, NULL, 3, argv, len, now);
	}
	(void)send_words(rc, now, 3, "CLIENT", "SETNAME", rc->client_name);
}

void
rconn_close(struct rconn *rc)
{
	if (rc->ac != NULL) {
		redisAsyncFree(rc->ac);
		/* Not connected yet: hiredis told nobody. */
		if (rc->ac != NULL)
			went_down(rc, "closed");
	}
}

void
rconn_event(struct rconn *rc, uint32_t events)
{
	if (rc->ac != NULL && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleRead(rc->ac);
	/* Read may have freed it: the callbacks cleared rc->ac then. */
	if (rc->ac != NULL && (events & EPOLLOUT))
		redisAsyncHandleWrite(rc->ac);
}

void
rconn_tick(struct rconn *rc, uint64_t now)
{
	const char *why = NULL;

	if (rc->ac == NULL)
		return;
	if (!rc->up && now - rc->started_ms >= RCONN_CONNECT_MS)
		why = "no answer to the connect within 500 ms";
	else if (rc->inflight > 0 && now - rc->sent_ms[rc->head] >= RCONN_REPLY_MS)
		why = "no reply within 1 s";
	if (why == NULL)
		return;
	rc->started_ms = now;
	redisAsyncFree(rc->ac);
	if (rc->ac != NULL)
		went_down(rc, why);
	else
		snprintf(rc->why, sizeof(rc->why), "%s", why);
}

void
rconn_after_batch(struct rconn *rc, uint64_t now)
{
	if (rc->ac == NULL && now >= rc->next_try_ms)
		connect_now(rc, now);
}

int
rconn_send(struct rconn *rc, unsigned argc, const char **argv,
    const size_t *argvlen, uint64_t now)
{
	return rconn_send_fn(rc, NULL, argc, argv, argvlen, now);
}

int
rconn_send_fn(struct rconn *rc, rconn_reply_fn *fn, unsigned argc,
    const char **argv, const size_t *argvlen, uint64_t now)
{
	if (!rc->up)
		return -1;	/* written by the rewrite once it is up */
	return send_cb(rc, on_reply, fn, argc, argv, argvlen, now);
}
