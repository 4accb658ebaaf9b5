/*
 * store.h - call state in Redis, so that calls survive a relay restart
 * (--redis; README "HA: calls that survive a restart").
 *
 * Control thread only. The store hears of signalling through call hooks
 * (call/calls.h) and of handovers through the leg snapshots the workers
 * publish (media.h: leg_ha_publish) and a doorbell eventfd; it writes
 * through one asynchronous connection on the daemon's epoll, never
 * blocking. Redis down or slow: nothing waits; everything is written again
 * when it is back, and every refresh period anyway. Writes happen only
 * under the group's lease (lease.h), which a standby takes over.
 */
#ifndef RTPROAM_STORE_STORE_H
#define RTPROAM_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call/calls.h"
#include "config/config.h"

struct store;

struct store_status {
	bool		 up;
	uint64_t	 since_ms;	/* wall clock of the last transition */
	char		 target[160];
	char		 why[128];	/* why it is down */
	uint64_t	 writes;	/* commands answered */
	uint64_t	 write_errors;	/* commands not stored (error or lost) */
	uint64_t	 unsent;	/* writes skipped while down or full */
	uint64_t	 resyncs;	/* full rewrites started */
	uint64_t	 reconnects;
	uint64_t	 restored, rejected, busy;	/* at start-up and takeovers */
	unsigned	 inflight;
	const char	*role;		/* active, standby, fenced */
	char		 lease[96];	/* "<node> <epoch>" we hold, or "" */
	uint64_t	 takeovers;
	uint64_t	 last_restore_ms;
	unsigned	 tombstones;	/* deletes waiting for Redis */
	bool		 dirty;		/* a rewrite of every call is pending */
};

/*
 * Read the password (file or environment) and check the URL; before the
 * privilege drop, since the file may be readable by root only. NULL with
 * err on failure.
 */
struct store *store_new(const struct config *cfg, char *err, size_t errlen);
/* Attach to the daemon: its calls, its epoll; install the call hooks. */
int	store_start(struct store *s, struct call_ctx *ctx, int epfd, char *err,
	    size_t errlen);
/*
 * Take the group's lease and restore its calls from Redis (synchronously,
 * before any control command is read). Another node holds the lease, or
 * --ha standby: wait as a standby (no calls; store_after_batch takes over
 * when the lease lapses). Unreachable Redis: logged, nothing restored.
 */
void	store_restore(struct store *s);
/* true: the epoll event was the store's (and was handled). */
bool	store_event(struct store *s, void *tag, uint32_t events);
/* After each epoll batch: queued writes, reconnects. */
void	store_after_batch(struct store *s);
void	store_status(struct store *s, struct store_status *st);
/* Fenced: another node owns our calls; the daemon must stop at once. */
bool	store_should_stop(const struct store *s);
/*
 * Stop writing, before the calls are ended at shutdown: the records stay,
 * so that the next start restores the calls. The workers may still run.
 */
void	store_stop(struct store *s);
/* Free it, once the workers have stopped (they ring its eventfd). */
void	store_free(struct store *s);

#endif
