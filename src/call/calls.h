/*
 * calls.h - what every control protocol does to calls.
 *
 * The rtpproxy protocol (control/rtpp) and rtpengine's ng protocol
 * (control/ng) are two front ends over this one call model: a call set up
 * with U/L and one set up with offer/answer are the same objects, listed,
 * counted, recorded and timed out the same way. A front end turns its
 * request into a media_request, and its protocol's reply out of what
 * comes back; it never opens a socket or talks to a worker itself.
 *
 * Runs on the control thread; reaches the workers only through worker.h.
 */
#ifndef RTPROAM_CALL_CALLS_H
#define RTPROAM_CALL_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call/call.h"
#include "config/config.h"
#include "media/ports.h"
#include "media/worker.h"

struct recorder;

/* Why a new media could not be created: what an operator alerts on. */
enum refused_reason {
	REFUSED_NO_PORTS,	/* the port range is full */
	REFUSED_NO_FDS,		/* socket() or bind() failed (descriptors...) */
	REFUSED_MAX_CALLS,	/* --max-calls */
	REFUSED_MAX
};
const char *refused_reason_name(enum refused_reason r);

/* What went wrong; each front end maps these to its protocol's errors. */
enum call_err {
	CALL_OK = 0,
	CALL_ERR_NOT_FOUND,	/* a lookup found no such media */
	CALL_ERR_NO_PORTS,	/* port range full, or no sockets */
	CALL_ERR_MAX_CALLS,	/* --max-calls reached by a new call */
	CALL_ERR_NOMEM,
	CALL_ERR_SHUTDOWN,	/* no new calls while stopping */
	CALL_ERR_NO_LOCAL_AF,	/* no media address of the family asked for */
	CALL_ERR_NO_RECORDER,	/* recording asked, no --record-dir */
	CALL_ERR_STANDBY,	/* an HA standby: no calls until it takes over */
};

struct call_ctx;

/*
 * Who wants to hear of changes to calls (the store, when --redis is set);
 * NULL when nobody. Called on the control thread; a hook may read the call
 * but must not change the table.
 */
struct call_hooks {
	/* Signalling created or changed media m (a U/L, offer/answer). */
	void	(*media_changed)(void *arg, struct media *m);
	/* Media m goes, and its call stays (it has other media). */
	void	(*media_deleted)(void *arg, struct media *m);
	/* Call c ends (deleted or timed out), just before it is freed. */
	void	(*call_deleted)(void *arg, struct call *c);
	/*
	 * Describe the listener's state into buf: format 0 "key: value" lines
	 * (the I command), 1 Prometheus text. Returns the length written.
	 */
	size_t	(*report)(void *arg, int format, char *buf, size_t len);
	void	*arg;
};

/* Called for a call that timed out, before it is deleted. */
typedef void (*call_timeout_fn)(void *arg, struct call *c);

struct fastpath;

struct call_ctx {
	const struct config	*cfg;
	struct call_table	 calls;
	struct ports		 ports;
	struct worker		*workers;
	unsigned		 nworkers;
	unsigned		 next_worker;
	struct recorder		*rec;		/* NULL: no --record-dir */
	struct fastpath		*fastpath;	/* NULL: sockets only */
	bool			 shutting_down;
	bool			 standby;	/* --ha standby, not (yet) the owner */
	const struct call_hooks	*hooks;		/* NULL: nobody listens */
	call_timeout_fn		 on_timeout;	/* NULL: nobody to tell */
	void			*on_timeout_arg;

	/* Totals for I and the metrics; media that ended fold theirs in here. */
	uint64_t		 cmds, cmd_errors;
	uint64_t		 cmds_refused;	/* over --max-cmd-rate: refused, not run */
	uint64_t		 ng_malformed;	/* ng documents that did not decode or parse */
	uint64_t		 ng_errors;	/* ng commands answered with an error */
	uint64_t		 calls_timed_out, calls_deleted;
	uint64_t		 refused[REFUSED_MAX];	/* media not created, by why */
	struct ended_totals	 ended;		/* shared with the workers */
};

/* Zero the context and set up its histograms. */
void	call_ctx_init(struct call_ctx *ctx, const struct config *cfg);
void	call_ctx_free(struct call_ctx *ctx);
/* Ended totals plus the live media's current counters. */
void	call_totals(struct call_ctx *ctx, struct relay_totals *t);
/*
 * The kernel fast path: legs with a map entry now, and the packets it
 * forwarded (as folded by the workers, at most a second behind; they are
 * part of the received and relayed totals too).
 */
void	call_fastpath_totals(struct call_ctx *ctx, uint64_t *streams, uint64_t *pkts);
/*
 * Q and ng query answer with exact figures: have the workers of c's media
 * fold the kernel's counters now and wait for it (at most 100 ms each).
 * Nothing without the fast path.
 */
void	call_fold_fastpath(struct call_ctx *ctx, const struct call *c);
/*
 * After a delete command's detaches, before its reply: with the fast path on,
 * wait (bounded) until the workers have taken the deleted legs' entries out
 * of the kernel, so that nothing is forwarded for a call the proxy was told
 * is gone. Without the fast path it returns at once.
 */
void	call_delete_settle(struct call_ctx *ctx);

/*
 * One side of an offer/answer: the address one party gave for one media
 * of a call (U or L, ng offer or answer).
 *
 * `tag` names the party the request comes from (rtpproxy's first tag, ng's
 * from-tag), `other` the other party (may be empty). A request that
 * creates the media makes `tag`'s party leg 0. The address belongs to
 * `tag`'s party, or with `answer` set to `other`'s (an L, an ng answer);
 * that leg is the result's `owner`. The owner's party is told the port of
 * the *other* leg, which is where its media must go.
 */
struct media_request {
	const char	*callid;
	size_t		 callid_len;
	unsigned	 num;		/* media number (rtpproxy ";N", ng m= index + 1) */
	const char	*tag, *other, *branch;
	size_t		 tag_len, other_len, branch_len;	/* 0: absent */
	bool		 answer;	/* the address is `other`'s; never creates */
	bool		 retag;		/* an answer from a new to-tag takes the leg over */
	struct addr	 addr;		/* unset: no address (yet) */
	char		 iface[2];	/* 'I'/'E' for the owner's leg and the other; 0: by family */
	int		 family[2];	/* AF_INET/AF_INET6 of the owner's leg and the other's */
	const struct pt_set *pts;	/* NULL: unchanged */
	int		 asymmetric;	/* 1: the owner's party is asymmetric, -1: unchanged */
	int		 handover;	/* latch policy; -1: the daemon's */
	int		 jitterbuf;	/* jitter buffer mode; -1: the daemon's */
	unsigned	 zptime;	/* resizer target for what the owner sends; 0: none */
};

struct media_result {
	struct media	*media;
	unsigned	 owner;		/* the leg the address went to */
	bool		 created;	/* the media is new (and maybe its call) */
	bool		 call_created;
};

void	media_request_init(struct media_request *r);

/*
 * Find or create the media and give the owner's leg its address. The
 * reply to the owner's party names media->leg[owner ^ 1] (where it must
 * send). With `answer` set, a missing media is CALL_ERR_NOT_FOUND.
 */
enum call_err call_update_media(struct call_ctx *ctx, const struct media_request *r,
	    struct media_result *res);

/* Delete one media, or a whole call; count a deletion in calls_deleted. */
void	call_delete_media(struct call_ctx *ctx, struct media *m, const char *reason);
void	call_delete(struct call_ctx *ctx, struct call *c, const char *reason);
/* After media were deleted one by one: end the call if none is left. */
void	call_end_if_empty(struct call_ctx *ctx, struct call *c);
/* Delete every call (X, and shutdown). */
void	calls_delete_all(struct call_ctx *ctx, const char *reason);
/* End calls idle longer than their TTL (calling on_timeout first). */
void	calls_expire(struct call_ctx *ctx, uint64_t now);

/* Seconds a media has left before its TTL ends it (0: due now). */
unsigned media_ttl_left(struct call_ctx *ctx, struct media *m, uint64_t now);

/* Record the whole call into one pcap file named after it (and tag). */
enum call_err call_start_recording(struct call_ctx *ctx, struct call *c, const char *tag);
void	call_stop_recording(struct call_ctx *ctx, struct call *c);
/*
 * A command changed call c outside of signalling (recording, a delayed
 * delete): the listeners (the store) hear of it as of a media change.
 */
void	call_changed(struct call_ctx *ctx, struct call *c);
/* A leg's jitter buffer and resizer as p asks; NULL when both are off. */
struct mediaproc *call_mediaproc_new(struct call_ctx *ctx, const struct leg_proc *p);

#endif
