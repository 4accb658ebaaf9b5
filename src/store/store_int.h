/*
 * store_int.h - the store's insides, shared by store.c (writing),
 * store_restore.c (the start-up restore and takeovers), store_ha.c (the
 * lease) and store_report.c (status).
 */
#ifndef RTPROAM_STORE_STORE_INT_H
#define RTPROAM_STORE_STORE_INT_H

#include "call/saved.h"
#include "store/cmds.h"
#include "store/lease.h"
#include "store/rconn.h"
#include "store/store.h"
#include "store/target.h"

struct store {
	const struct config *cfg;
	struct call_ctx	*ctx;
	struct call_hooks hooks;
	struct store_target target;
	char		 target_str[160];
	char		*password;
	char		 client_name[80];
	char		 prefix[96];		/* rtproam:<node>:call: */
	struct store_keys keys;
	char		 lease_key[96], epoch_key[96];
	struct rconn	 rc;
	int		 epfd, evfd, tfd;
	char		 tag_door, tag_timer;	/* epoll data: their addresses */

	struct store_batch *batch;
	struct call_saved *scratch;

	struct call	**queue;		/* calls signalling changed */
	unsigned	 nqueue, qcap;
	char		**tomb;			/* deleted while Redis was away */
	unsigned	 ntomb, tcap;

	bool		 sweep_due;
	uint64_t	 last_sweep_ms;
	bool		 resync_due, resyncing;
	uint64_t	 last_resync_ms;
	unsigned	 rs_bucket;
	uint64_t	 next_refresh_ms;

	uint64_t	 started_ms;
	uint64_t	 since_ms;
	bool		 logged_down;
	uint64_t	 unsent, resyncs;
	uint64_t	 restored, rejected, busy;

	/* The lease (store_ha.c). */
	enum ha_role	 role;
	struct lease	 lease;			/* ours, while have_lease */
	char		 lease_val[LEASE_VALUE_MAX + 1];
	char		 lease_ms_str[12];
	bool		 have_lease, ever_held, lease_pending;
	bool		 takeover_due, reload_scripts;
	bool		 stop;			/* fenced: the daemon must stop */
	uint64_t	 next_lease_ms;
	uint64_t	 takeovers;
	uint64_t	 last_restore_ms;	/* how long the last restore took */
};

struct redisContext;

uint64_t store_wall_ms(void);
int64_t	 store_wall_off(void);
size_t	 store_report(struct store *s, int format, char *buf, size_t len);

void	 store_ha_init(struct store *s);
void	 store_ha_tick(struct store *s, uint64_t now);
/* A write Redis refused: the guard's FENCED/NOLEASE, or a lost script. */
void	 store_ha_failure(struct store *s, const char *err, size_t len);
bool	 store_ha_take_sync(struct store *s, struct redisContext *c);
/* Restore the group's calls now (a standby that won the lease). */
void	 store_takeover(struct store *s);

#endif
