/*
 * worker.h - relay threads. Each worker owns an epoll set, the sockets of
 * the media handed to it, and their hot state (latches, statistics). No
 * lock is taken on the packet path: the control thread talks to a worker
 * only through its message queue.
 */
#ifndef RTPROAM_WORKER_H
#define RTPROAM_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "media/media.h"

enum wmsg_type {
	WMSG_ATTACH,	/* take ownership of a new media, start polling it */
	WMSG_SIGNAL,	/* U/L gave a leg an address (and codecs, flags) */
	WMSG_DETACH,	/* stop polling, close the sockets, free the media */
	WMSG_FLUSH,	/* everything queued before is done: tell the poster */
	WMSG_MEDIAPROC,	/* replace a leg's jitter buffer / resizer */
	WMSG_RECORD,	/* start (file) or stop (NULL) recording a media */
	WMSG_RECORD_CLOSE, /* no more packets for this file: close it */
	WMSG_LEG_MODE,	/* a leg's rtcp-mux and block settings */
	WMSG_FOLD,	/* fold the kernel fast path's counters in and publish */
};

/* A poster waiting for WMSG_FLUSH on several workers. */
struct flush_wait {
	pthread_mutex_t	 lock;
	pthread_cond_t	 done;
	unsigned	 pending;
};

struct wmsg {
	enum wmsg_type	 type;
	struct media	*media;
	unsigned	 leg;
	struct addr	 addr;		/* WMSG_SIGNAL */
	struct pt_set	 pts;
	bool		 set_pts;
	int		 asymmetric;	/* 1: becomes asymmetric (`A`), -1: unchanged */
	struct mediaproc *mp;		/* WMSG_MEDIAPROC: the leg's new processing */
	struct leg_mode	 mode;		/* WMSG_LEG_MODE */
	struct record_file *rec;	/* WMSG_RECORD, WMSG_RECORD_CLOSE */
	const char	*reason;	/* WMSG_DETACH: a static string for the log */
	struct flush_wait *flush;	/* WMSG_FLUSH */
	struct wmsg	*next;
};

struct worker_totals {
	counter_t	 rx_pkts;
	counter_t	 tx_pkts;
	counter_t	 dropped_pkts;
	counter_t	 switches;
	counter_t	 fast_pkts;	/* of rx_pkts, forwarded by the kernel */
	counter_t	 fast_streams;	/* legs with a kernel entry now */
};

struct worker {
	unsigned	 id;
	pthread_t	 thread;
	int		 epfd;
	int		 evfd;		/* message doorbell */
	int		 cpu;		/* -1: no affinity */
	atomic_bool	 stop;

	pthread_mutex_t	 lock;		/* guards the queue only */
	struct wmsg	*qhead, *qtail;

	struct media	*owned;		/* [worker] */
	struct media	*retired;	/* [worker] detached, freed after the batch */
	struct wmsg	*flushes;	/* [worker] answered after the batch too */
	struct timer_heap timers;	/* [worker] legs whose mediaproc waits */
	struct hold_pool *hold_pool;	/* [worker] packets latches hold (relay.c) */
	struct record_ring *rec_ring;	/* its ring to the recorder, or NULL */
	struct worker_totals totals;
};

int	worker_start(struct worker *w, unsigned id, int cpu, struct record_ring *ring);
/* Ask to stop, join, and free whatever media it still owned. */
void	worker_stop(struct worker *w);
/* Queue a message; the worker owns it from then on. Returns 0. */
int	worker_post(struct worker *w, struct wmsg *m);
/* Helpers that build and post the three messages. */
int	worker_attach(struct worker *w, struct media *m);
int	worker_signal(struct worker *w, struct media *m, unsigned leg,
	    const struct addr *a, const struct pt_set *pts, int asymmetric);
int	worker_detach(struct worker *w, struct media *m, const char *reason);
/* Record m's packets into f (NULL: stop). */
int	worker_record(struct worker *w, struct media *m, struct record_file *f);
/* After the last packet for f was queued: have the worker close it. */
int	worker_record_close(struct worker *w, struct record_file *f);
/* Leg `leg` of m: its party's RTCP mux, block and hold (leg_mode). */
int	worker_leg_mode(struct worker *w, struct media *m, unsigned leg,
	    const struct leg_mode *mode);
/* Fold m's kernel counters into its legs and publish them (Q, query). */
int	worker_fold(struct worker *w, struct media *m);
/* Hand leg `leg` of m a new mediaproc (NULL: plain relay again). */
int	worker_mediaproc(struct worker *w, struct media *m, unsigned leg, struct mediaproc *mp);

/*
 * Wait (at most timeout_ms) until every worker has handled what was queued
 * to it so far: after a D, its ports are really closed. Returns 0 or -1.
 */
int	workers_flush(struct worker *w, unsigned n, unsigned timeout_ms);


#endif
