/*
 * store_ha.c - the lease in practice (lease.h has the rules): take it at
 * start or when a standby finds it free, renew it, write only under it,
 * and stop when another node has it.
 *
 * All of it runs on the control thread, on the store's asynchronous
 * connection; only the start-up take (store_restore.c) is synchronous.
 * Redis unreachable: an owner keeps relaying (it cannot know, and nobody
 * can take the lease from it meanwhile), a standby keeps waiting.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "lib/clock.h"
#include "lib/log.h"

#define STANDBY_POLL_MS	250

/*
 * Is every media address on this host? A standby waits for keepalived to
 * move the service address here before it takes calls it could not relay.
 */
static bool
addresses_here(const struct config *cfg)
{
	const struct addr *a[CONFIG_MAX_IFACES + 1];
	unsigned i, n = 0;
	int fd;
	bool here = true;

	for (i = 0; i < cfg->nifaces; i++)
		a[n++] = &cfg->ifaces[i];
	if (cfg->have_iface6)
		a[n++] = &cfg->iface6;
	for (i = 0; i < n && here; i++) {
		struct addr probe = *a[i];

		if (addr_is_any(&probe))
			continue;
		addr_set_port(&probe, 0);
		if ((fd = socket(addr_family(&probe), SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
			return false;
		if (bind(fd, &probe.u.sa, probe.len) != 0 && errno == EADDRNOTAVAIL)
			here = false;
		close(fd);
	}
	return here;
}

static void apply(struct store *s, enum lease_event ev, const char *holder,
    size_t holder_len);

/* The lease value we now hold (a TAKE we won). */
static void
hold(struct store *s, const char *val, size_t len)
{
	if (len >= sizeof(s->lease_val) || lease_parse(val, len, &s->lease) != 0) {
		log_err("redis: lease value %.*s does not parse", (int)(len > 80 ? 80 : len), val);
		return;
	}
	memcpy(s->lease_val, val, len);
	s->lease_val[len] = '\0';
	s->have_lease = true;
	s->ever_held = true;
	s->resync_due = true;	/* everything, under the new value */
}

static void
on_take(void *arg, redisReply *r)
{
	struct store *s = arg;

	s->lease_pending = false;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		if (r != NULL)
			log_warn("redis: taking the lease: unexpected reply%s%.*s",
			    r->type == REDIS_REPLY_ERROR ? ": " : "",
			    r->type == REDIS_REPLY_ERROR ? (int)r->len : 0,
			    r->type == REDIS_REPLY_ERROR ? r->str : "");
		return;
	}
	if (r->element[0]->integer == 1)
		hold(s, r->element[1]->str, r->element[1]->len);
	apply(s, r->element[0]->integer == 1 ? LEASE_WON : LEASE_HELD,
	    r->element[1]->str, r->element[1]->len);
}

static void
on_renew(void *arg, redisReply *r)
{
	struct store *s = arg;

	s->lease_pending = false;
	if (r == NULL)
		return;		/* connection lost: try again when it is back */
	if (r->type == REDIS_REPLY_INTEGER)
		apply(s, r->integer == 1 ? LEASE_RENEWED : LEASE_GONE, NULL, 0);
	else if (r->type == REDIS_REPLY_STRING)
		apply(s, LEASE_STOLEN, r->str, r->len);
	else
		log_warn("redis: renewing the lease: %.*s",
		    r->type == REDIS_REPLY_ERROR ? (int)r->len : 16,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
}

static void
send_script(struct store *s, enum lease_script which, rconn_reply_fn *fn,
    unsigned nargs, const char **args)
{
	const char *argv[8];
	size_t len[8];
	unsigned i, argc = 0;

	argv[argc++] = "EVALSHA";
	argv[argc++] = s->rc.sha[which];
	argv[argc++] = which == LEASE_TAKE ? "2" : "1";
	argv[argc++] = s->lease_key;
	if (which == LEASE_TAKE)
		argv[argc++] = s->epoch_key;
	for (i = 0; i < nargs && argc < 8; i++)
		argv[argc++] = args[i];
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	if (rconn_send_fn(&s->rc, fn, argc, argv, len, now_ms()) == 0)
		s->lease_pending = true;
}

static void
send_take(struct store *s)
{
	/* Our own node's lease is ours until this run has held one. */
	const char *args[3] = { s->cfg->node_id, s->lease_ms_str,
	    s->ever_held ? "0" : "1" };

	s->have_lease = false;
	send_script(s, LEASE_TAKE, on_take, 3, args);
}

static void
send_renew(struct store *s)
{
	const char *args[2] = { s->lease_val, s->lease_ms_str };

	send_script(s, LEASE_RENEW, on_renew, 2, args);
}

/* What a lease event makes of us. */
static void
apply(struct store *s, enum lease_event ev, const char *holder, size_t holder_len)
{
	struct ha_step step = ha_next(s->role, ev);
	enum ha_role was = s->role;

	s->role = step.role;
	switch (step.action) {
	case HA_NOTHING:
		break;
	case HA_TAKE:
		log_warn("redis: the lease of group %s is gone; taking it again",
		    s->cfg->ha_group);
		s->have_lease = false;
		s->next_lease_ms = 0;
		break;
	case HA_RESTORE:
		s->takeover_due = true;
		break;
	case HA_STOP:
		s->have_lease = false;
		s->stop = true;
		log_err("redis: node %.*s now owns group %s (we were %s %s): another "
		    "relay serves these calls; stopping, so that two relays never do",
		    (int)(holder_len > 80 ? 80 : holder_len), holder ? holder : "?",
		    s->cfg->ha_group, ha_role_name(was), s->lease_val);
		break;
	}
}

void
store_ha_failure(struct store *s, const char *err, size_t len)
{
	/* Guarded writes (lease.c) say why they did nothing. */
	if (err != NULL && len > 7 && memcmp(err, "FENCED ", 7) == 0)
		apply(s, LEASE_STOLEN, err + 7, len - 7);
	else if (err != NULL && len >= 7 && memcmp(err, "NOLEASE", 7) == 0)
		apply(s, LEASE_GONE, NULL, 0);
	else if (err != NULL && len >= 8 && memcmp(err, "NOSCRIPT", 8) == 0)
		s->reload_scripts = true;	/* SCRIPT FLUSH: a new connection loads them */
}

void
store_ha_tick(struct store *s, uint64_t now)
{
	if (!s->rc.up || s->lease_pending || s->role == HA_FENCED ||
	    now < s->next_lease_ms)
		return;
	if (s->role == HA_ACTIVE) {
		s->next_lease_ms = now + s->cfg->ha_lease_ms / 3;
		if (s->have_lease)
			send_renew(s);
		else
			send_take(s);
		return;
	}
	s->next_lease_ms = now + STANDBY_POLL_MS;
	if (addresses_here(s->cfg))
		send_take(s);
}

void
store_ha_init(struct store *s)
{
	s->role = s->cfg->ha_standby ? HA_STANDBY : HA_ACTIVE;
	snprintf(s->lease_ms_str, sizeof(s->lease_ms_str), "%u", s->cfg->ha_lease_ms);
	/* A standby starting beside its active lets the active take the lease. */
	s->next_lease_ms = s->role == HA_STANDBY ? now_ms() + s->cfg->ha_lease_ms : 0;
}

/* The start-up take, on the synchronous connection; true when we hold it. */
bool
store_ha_take_sync(struct store *s, redisContext *c)
{
	const char *argv[8] = { "EVAL", lease_scripts[LEASE_TAKE], "2", s->lease_key,
	    s->epoch_key, s->cfg->node_id, s->lease_ms_str, "1" };
	size_t len[8];
	redisReply *r;
	unsigned i;
	bool won = false;

	for (i = 0; i < 8; i++)
		len[i] = strlen(argv[i]);
	r = redisCommandArgv(c, 8, argv, len);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		won = r->element[0]->integer == 1;
		if (won)
			hold(s, r->element[1]->str, r->element[1]->len);
		else {
			s->role = HA_STANDBY;
			log_warn("redis: node %.*s holds the lease of group %s: waiting "
			    "as a standby until it lapses", (int)(r->element[1]->len > 80 ?
			    80 : r->element[1]->len), r->element[1]->str, s->cfg->ha_group);
		}
	} else
		log_err("redis %s: cannot take the lease: %s", s->target_str,
		    r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
	freeReplyObject(r);
	return won;
}
