/*
 * rconn.h - one asynchronous Redis connection on the control thread's
 * epoll (hiredis 0.14 has no epoll adapter, no async timeouts and no
 * reconnect: all three are here). Never blocks: a command is appended to
 * hiredis' output buffer and leaves when the socket is writable.
 *
 * Lifecycle (ha.md 3.3): hiredis frees its context itself after a failed
 * connect or an I/O error, so `ac` is cleared in the callbacks and never
 * touched afterwards. A new connection is made only in rconn_after_batch(),
 * after the epoll batch: no event of the old socket can then reach the new
 * one, even on the same descriptor number.
 */
#ifndef RTPROAM_STORE_RCONN_H
#define RTPROAM_STORE_RCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/target.h"

struct redisAsyncContext;
struct redisReply;

#define RCONN_MAX_SCRIPTS	4
#define RCONN_SHA_LEN		40

/* Told of one command's reply: NULL when the connection went first. */
typedef void rconn_reply_fn(void *arg, struct redisReply *reply);

#define RCONN_MAX_INFLIGHT	10000
#define RCONN_CONNECT_MS	500
#define RCONN_REPLY_MS		1000
#define RCONN_BACKOFF_MIN_MS	100
#define RCONN_BACKOFF_MAX_MS	5000

struct rconn {
	const struct store_target *target;
	const char	*password;	/* NULL: no AUTH */
	const char	*client_name;
	const char *const *scripts;	/* SCRIPT LOADed on every connection */
	unsigned	 nscripts;
	char		 sha[RCONN_MAX_SCRIPTS][RCONN_SHA_LEN + 1];
	unsigned	 sha_next;
	int		 epfd;
	char		 tag;		/* &tag is its epoll data */

	struct redisAsyncContext *ac;	/* NULL: no connection */
	int		 fd;
	uint32_t	 armed;		/* EPOLLIN/EPOLLOUT wanted */
	bool		 registered;
	bool		 connected;	/* TCP/unix connect completed */
	bool		 up;		/* and Redis answered the first command */
	uint64_t	 started_ms;	/* of the connection attempt */
	uint64_t	 next_try_ms;
	uint64_t	 backoff_ms;

	/* The commands in flight (replies come in order): sent when, told whom. */
	uint64_t	 sent_ms[RCONN_MAX_INFLIGHT];
	rconn_reply_fn	*reply_fn[RCONN_MAX_INFLIGHT];
	unsigned	 head, inflight;

	uint64_t	 replies, failures, reconnects;
	char		 why[128];	/* the last reason it went down */
	char		 hs_why[128];	/* AUTH or SELECT refused: why */

	/*
	 * Told of each transition, and of each command that was not stored:
	 * Redis' error text, or NULL when the connection was lost.
	 */
	void		(*on_state)(void *arg, bool up);
	void		(*on_failure)(void *arg, const char *err, size_t len);
	void		*arg;
};

void	rconn_init(struct rconn *rc, const struct store_target *t,
	    const char *password, const char *client_name, int epfd);
/* Scripts (at most RCONN_MAX_SCRIPTS) whose SHA1s rc->sha[] will hold. */
void	rconn_scripts(struct rconn *rc, const char *const *scripts, unsigned n);
/* Drop the connection (callbacks get NULL replies first). */
void	rconn_close(struct rconn *rc);
void	rconn_event(struct rconn *rc, uint32_t events);
/* Timeouts: a connect or a reply that takes too long drops the connection. */
void	rconn_tick(struct rconn *rc, uint64_t now);
/* Connect when due (call after each epoll batch). */
void	rconn_after_batch(struct rconn *rc, uint64_t now);
/*
 * Queue one command; -1 when down or RCONN_MAX_INFLIGHT are in flight.
 * With fn, fn hears the reply (whatever it is) instead of on_failure.
 */
int	rconn_send(struct rconn *rc, unsigned argc, const char **argv,
	    const size_t *argvlen, uint64_t now);
int	rconn_send_fn(struct rconn *rc, rconn_reply_fn *fn, unsigned argc,
	    const char **argv, const size_t *argvlen, uint64_t now);

#endif
