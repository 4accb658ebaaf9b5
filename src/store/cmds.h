/*
 * cmds.h - the exact Redis commands for each moment of a call's life, as
 * pure functions that fill argument vectors (the store sends them; the
 * unit tests read them):
 *
 *   created or changed by signalling, and every refresh or resync: the
 *   whole record, replaced atomically (no field of a media deleted while
 *   Redis was away survives, and no reader sees half of it):
 *       MULTI
 *       UNLINK <key>
 *       HSET <key> v 1 cid <id> own <node> created <ms> [nt ..] [rec ..]
 *            m<S> .. m<S>.a .. m<S>.b ..
 *       PEXPIRE <key> <ttl>
 *       EXEC
 *   a leg's latch changed (a committed switch, its first verification):
 *       HSET <key> m<S>.<a|b> <leg>          (one field)
 *       PEXPIRE <key> <ttl>                  (so no partial record outlives it)
 *   one media deleted, the call goes on:
 *       HDEL <key> m<S> m<S>.a m<S>.b
 *   deleted or timed out:
 *       UNLINK <key>
 *
 * Key: rtproam:<group>:call:<Call-ID> (the group is the node id unless
 * --ha-group says otherwise). Arguments are counted bytes, so
 * a Call-ID may hold any byte Redis can store.
 */
#ifndef RTPROAM_STORE_CMDS_H
#define RTPROAM_STORE_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "call/saved.h"
#include "store/record.h"

#define STORE_CMD_ARGS		(2 + 2 * (6 + 3 * SAVED_MEDIA_MAX))
#define STORE_BATCH_CMDS	8
#define STORE_BATCH_BYTES	(3 * SAVED_MEDIA_MAX * (STORE_VALUE_MAX + 32) + 4096)

struct store_cmd {
	unsigned	 argc;
	const char	*argv[STORE_CMD_ARGS];
	size_t		 argvlen[STORE_CMD_ARGS];
};

/* A few commands and the bytes their arguments point into. */
struct store_batch {
	unsigned	 n;
	struct store_cmd cmd[STORE_BATCH_CMDS];
	size_t		 used;
	char		 arena[STORE_BATCH_BYTES];
};

/* What every command needs: the key space, the owner, times. */
struct store_keys {
	const char	*node;		/* node id: the records' `own` */
	const char	*group;		/* HA group: the key space */
	uint64_t	 ttl_ms;	/* PEXPIRE */
	int64_t		 wall_off;	/* wall-clock ms minus monotonic ms */
};

void	store_batch_reset(struct store_batch *b);

/* Each appends its commands to b; -1 if they do not fit (b unchanged). */
int	store_cmds_call(struct store_batch *b, const struct store_keys *k,
	    const struct call_saved *c);
int	store_cmds_leg(struct store_batch *b, const struct store_keys *k,
	    const char *callid, unsigned slot, unsigned leg, const struct leg_saved *l);
int	store_cmds_media_deleted(struct store_batch *b, const struct store_keys *k,
	    const char *callid, unsigned slot);
int	store_cmds_call_deleted(struct store_batch *b, const struct store_keys *k,
	    const char *callid);

/*
 * A batch as one guarded write (lease.h, fencing): EVALSHA <sha> 1 <lease
 * key> <lease value>, then per command its argument count and arguments.
 * MULTI and EXEC are left out: a script is atomic. The arguments point
 * into the batch, which must outlive `out`.
 */
#define STORE_GUARDED_ARGS	(5 + STORE_BATCH_CMDS * (STORE_CMD_ARGS + 1))

struct store_guarded {
	unsigned	 argc;
	const char	*argv[STORE_GUARDED_ARGS];
	size_t		 argvlen[STORE_GUARDED_ARGS];
	char		 counts[STORE_BATCH_CMDS][8];
};

void	store_cmds_guard(const struct store_batch *b, const char *sha,
	    const char *lease_key, const char *lease_value,
	    struct store_guarded *out);

/* "rtproam:<group>:lease" and "rtproam:<group>:epoch"; 0 or -1. */
int	store_lease_keys(const char *group, char *lease, char *epoch, size_t len);

/* "rtproam:<group>:call:" into buf; the length or -1. */
int	store_key_prefix(const char *group, char *buf, size_t len);

#endif
