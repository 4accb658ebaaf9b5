/*
 * media.h - a call's media, legs and streams: what the packet path owns.
 * The calls they belong to are in call/call.h.
 *
 *   media     one m= line of the call (the ";N" of the tags): two legs.
 *             Created by the control thread, then handed to one worker,
 *             which from then on owns everything marked [worker] below.
 *   leg       the relay's side facing one party: a local RTP/RTCP port
 *             pair, and where that party's media goes (its latch).
 *             leg[0] faces the party whose tag created the media (the
 *             offerer), leg[1] the other one.
 *   stream    one socket of a leg: RTP (port P) or RTCP (P+1).
 *
 * A packet received on leg X's socket is sent out of the other leg's
 * socket of the same kind, to the other leg's latched peer, so that each
 * party receives media from the very port it sends to.
 *
 * Threads. The control thread never writes worker state after the
 * hand-over; it sends messages (worker.h). It reads the counters below,
 * which are single-writer atomics, for Q, I and the TTL scan.
 */
#ifndef RTPROAM_MEDIA_MEDIA_H
#define RTPROAM_MEDIA_MEDIA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/fastpath_abi.h"
#include "lib/addr.h"
#include "lib/histogram.h"
#include "media/latch.h"
#include "media/proc/mediaproc.h"
#include "packet/rtp.h"
#include "media/stats.h"
#include "lib/timerheap.h"

/* Counters written by one thread only: a relaxed load+store is enough. */
typedef _Atomic uint64_t counter_t;

static inline void
counter_add(counter_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

static inline void
counter_set(counter_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t
counter_get(const counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct leg;

/*
 * Where a party takes its RTCP. rtpproxy does not say: RTCP then leaves
 * the way it came (muxed in, muxed out). ng says it through a=rtcp-mux,
 * and then one party may mux while the other does not.
 */
enum rtcp_mux_mode {
	MUX_AS_RECEIVED = 0,
	MUX_ON,		/* on its RTP port */
	MUX_OFF,	/* on its RTCP port */
};

/*
 * What ng said of a party, beyond its address: where its RTCP goes,
 * whether what it sends is dropped (block media), whether nothing is sent
 * to it (old-style hold, c=0.0.0.0). rtpproxy media leave it all zero.
 */
struct leg_mode {
	enum rtcp_mux_mode rtcp_mux;
	bool		 blocked;
	bool		 held;
};

/*
 * The per-call media processing modifiers asked for a leg's mediaproc
 * (rtpproxy J<n>, Z<ms>; ng has no such flags yet).
 */
struct leg_proc {
	int		 jitterbuf;	/* -1: the daemon's --jitter-buffer, else enum jbuf_mode */
	unsigned	 zptime_ms;	/* resizer target; 0: none */
};

struct stream {
	int		 fd;
	bool		 is_rtcp;
	/*
	 * Datagrams to ask for at the next wake-up (worker only): as many
	 * as arrived the last time, doubled when that filled the batch.
	 */
	uint8_t		 rx_want;
	struct leg	*leg;
	counter_t	 rx_pkts;	/* every datagram received */
	counter_t	 rx_bytes;
	counter_t	 relayed_pkts;	/* received here and sent on */
	counter_t	 relayed_bytes;
	counter_t	 dropped_pkts;	/* received here and not sent on */
	counter_t	 invalid_pkts;	/* not RTP/RTCP */
	counter_t	 nodest_pkts;	/* accepted, but the other party has no address */
	counter_t	 send_errors;
};

/*
 * What the control thread may read of a leg's statistics: the worker
 * publishes a snapshot here once a second (relay_publish), so Q, I and the
 * metrics never touch the worker's own structs.
 */
struct leg_report {
	counter_t	 expected;	/* RTP packets, by sequence numbers */
	counter_t	 lost;		/* int64 stored as two's complement */
	counter_t	 duplicates;
	counter_t	 reordered;
	counter_t	 jitter_us;	/* RFC 3550 interarrival jitter */
	counter_t	 max_jitter_us;
	counter_t	 rx_wire_bytes;	/* incl. UDP, IP and Ethernet overhead */
	counter_t	 drops[DROP_REASON_MAX];
	/* From this party's RTCP reports about what it receives. */
	counter_t	 far_reports;
	counter_t	 far_fraction_lost;	/* /256 */
	counter_t	 far_cum_lost;		/* int64 as two's complement */
	counter_t	 far_jitter_us;
	counter_t	 rtt_us;		/* relay <-> this party; 0: unknown */
	counter_t	 mean_jitter_us;	/* mean of the once-a-second figures */
	counter_t	 last_switch_ms;	/* monotonic; 0: never */
	/* Jitter buffer on what this party sends (0 when off). */
	counter_t	 jb_depth_us;
	counter_t	 jb_maxdepth_us;
	counter_t	 jb_delay_us;		/* mean added delay */
	counter_t	 jb_late;		/* dropped: too late or stale */
	counter_t	 jb_reordered;
	counter_t	 rz_packets_out;	/* resizer output */
};

/*
 * What a party's own RTCP says [worker]: the report it sent about the
 * stream it receives, and when its SRs passed the relay, so that a report
 * from the other party (LSR/DLSR) gives the round trip relay <-> that party
 * without trusting anybody's wall clock.
 */
#define RTCP_SR_MEMORY 4
struct rtcp_view {
	uint32_t	 sr_mid32[RTCP_SR_MEMORY];
	uint64_t	 sr_at_us[RTCP_SR_MEMORY];
	unsigned	 sr_next;
	uint64_t	 reports;	/* report blocks seen */
	uint8_t		 fraction_lost;	/* /256 */
	int32_t		 cum_lost;
	uint32_t	 jitter;	/* RTP clock units */
	int64_t		 rtt_us;	/* -1: not measured yet */
};

/*
 * A packet the latch holds as evidence of a move (latch.h, "Held
 * evidence"): its bytes, and what the packet path knew of it on arrival,
 * so that its release looks to statistics and recording like its arrival.
 * They come from a pool of the worker's (relay.c), since only legs in the
 * middle of a move hold any. Larger packets are not held (dropped, as
 * without holding).
 */
#define LEG_HOLD_MTU	1500
struct held_packet {
	struct held_packet *next;	/* in the pool's free list */
	struct rtp_info	 info;
	uint64_t	 us;		/* arrival */
	uint16_t	 len;
	uint8_t		 buf[LEG_HOLD_MTU];
};

/*
 * [worker] The leg's entry in the kernel fast path's map (fastpath_sync.c):
 * what was written, and the kernel's state as last folded into the leg.
 */
struct leg_fastpath {
	bool		 live;		/* the entry is in the map */
	struct fp_key	 key;
	struct fp_entry	 entry;
	struct addr	 route_dst;	/* route_ifindex is the way to it */
	unsigned	 route_ifindex;
};

struct media;

struct leg {
	struct media	*media;
	unsigned	 idx;		/* 0 or 1 */
	struct addr	 local;		/* local address, port = RTP port */
	struct addr	 advertised;	/* what replies carry */
	uint16_t	 port;		/* RTP port; RTCP is port + 1 */
	struct stream	 rtp, rtcp;

	/* [worker] */
	struct latch	 latch;
	struct latch_rtcp rtcp_latch;
	struct pt_set	 pts;		/* payload types this party may send */
	struct stream_stats stats;	/* RTP from this party's peer */
	struct rtcp_view rtcp_view;
	struct leg_mode	 mode;
	/* What the latch's hold slots hold, from the worker's pool; NULL: nothing. */
	struct held_packet *held[LATCH_HOLD_SLOTS];
	/* Jitter buffer / resizer for what this party sends; NULL = plain relay. */
	struct mediaproc *mp;
	struct timer_node timer;	/* in the worker's heap while mp holds packets */
	struct leg_fastpath fp;		/* [worker] */

	/* Where the leg sends, published for listings (control reads under the lock). */
	pthread_mutex_t	 pub_lock;
	struct addr	 pub_peer, pub_rtcp_peer;

	uint64_t	 jitter_sum_us;	/* [worker] for the mean */
	uint64_t	 jitter_samples;

	counter_t	 last_rx_ms;	/* last packet accepted from the peer */
	counter_t	 switches;	/* handovers, mirrored from the latch */
	counter_t	 fast_pkts;	/* of rtp.rx_pkts, forwarded by the kernel */
	struct leg_report report;

	/*
	 * The latch state the store persists (store/). The worker writes it
	 * under a sequence counter, never a lock: on every switch, every
	 * signalling change and once a second; the control thread retries a
	 * torn read. ha_dirty asks the control thread to write it now.
	 */
	atomic_uint	 ha_seq;
	struct latch_saved ha_saved;
	atomic_bool	 ha_dirty;
};

struct call;

struct ports;
struct record_file;

struct media {
	struct call	*call;		/* control thread only */
	struct ports	*ports;		/* where media_destroy() returns its ports */
	struct ended_totals *ended;	/* where its figures go when it ends */
	struct relay_totals *accounted;	/* what the control thread added at unlink */
	struct media	*next;		/* in call->media */
	char		*call_id;	/* own copy: workers log it */
	unsigned	 num;		/* the ";N" */
	char		*tag[2];	/* tag[0] created it; tag[1] may be NULL */
	char		*branch;	/* ng via-branch of the offer that created it, or NULL */
	struct leg	 leg[2];
	unsigned	 worker;	/* index of the owning worker */
	bool		 answered;	/* an L (or a U with to-tag) was seen */
	/*
	 * Control thread only: what ng said of each party, so that a later
	 * answer or query can be written without asking the worker.
	 */
	bool		 mux_offer[2];		/* the SDP sent to it offered a=rtcp-mux */
	struct leg_mode	 mode[2];		/* mirrors leg.mode */
	struct addr	 signalled[2];		/* the address each party's SDP gave */
	char		 type[12];		/* m= media type, "" for rtpproxy media */
	char		 proto[24];		/* m= protocol */
	char		 label[2][32];		/* ng label of each party */
	uint64_t	 delete_at_ms;		/* ng delete with a delay: 0 = not pending */
	/*
	 * What each leg's mediaproc (leg.mp) was made from, so that a
	 * restored call processes media as the live one did.
	 */
	struct leg_proc	 proc[2];
	/* The payload types signalling last allowed each party (mirrors leg.pts). */
	struct pt_set	 pts[2];
	struct media	*wnext, *wprev;	/* [worker] its list of owned media */
	/*
	 * [worker] Detached, sockets out of epoll, freed at the end of the
	 * wake-up: events for it may still sit in that wake-up's batch.
	 */
	bool		 retired;
	struct record_file *rec;	/* [worker] recording its packets, or NULL */
	uint64_t	 created_ms;
	counter_t	 last_signal_ms;	/* last U/L touching it */
	unsigned	 slot;		/* control: its number in the call's store record */
};

/*
 * Totals over media, for I and the metrics: ended media are folded into one
 * of these when they end, live ones are added at read time.
 */
struct relay_totals {
	uint64_t	 rx, relayed, dropped, switches;
	uint64_t	 relayed_bytes;		/* UDP payload bytes sent on */
	uint64_t	 invalid, nodest;
	uint64_t	 expected, lost, wire_bytes;
	uint64_t	 drops[DROP_REASON_MAX];
};
void	 totals_add_media(struct relay_totals *t, struct media *m);
void	 totals_add(struct relay_totals *t, const struct relay_totals *a,
	    const struct relay_totals *b);

/*
 * What ended media leave behind. The control thread adds a media's figures
 * when it unlinks it (so totals never dip); the worker adds what its final
 * publication changed, and the quality samples, when it frees it.
 */
struct ended_totals {
	pthread_mutex_t	 lock;
	struct relay_totals t;
	struct histogram jitter_ms;	/* per stream that carried RTP */
	struct histogram loss_pct;
};

void	 ended_init(struct ended_totals *e);
void	 ended_free(struct ended_totals *e);
/* Control thread, at unlink: adds the media's figures and remembers them in it. */
void	 ended_add_unlinked(struct ended_totals *e, struct media *m);
/* Worker, after the final publication: adds what changed since, and the samples. */
void	 ended_add_final(struct ended_totals *e, struct media *m);
/* A consistent copy of everything (totals and histograms). */
void	 ended_read(struct ended_totals *e, struct relay_totals *t,
	    struct histogram *jitter_ms, struct histogram *loss_pct);

/*
 * Close its sockets, give their ports back, and free it (the owning worker,
 * or the control thread before ATTACH).
 */
void	 media_destroy(struct media *m);

/* Per-leg figures, safe from any thread (atomics). */
uint64_t leg_rx(struct leg *l);
uint64_t leg_relayed(struct leg *l);
uint64_t leg_dropped(struct leg *l);
/* The leg's published destinations (RTP, RTCP); unset when none. */
void	 leg_peers(struct leg *l, struct addr *rtp, struct addr *rtcp);
/* [worker] Publish the leg's latch state; `dirty` asks for a write. */
void	 leg_ha_publish(struct leg *l, bool dirty);
/* Any thread: a consistent copy of what leg_ha_publish() last wrote. */
void	 leg_ha_read(struct leg *l, struct latch_saved *out);
/* The end-of-call log line; the owning worker writes it with exact figures. */
void	 media_log_summary(struct media *m, const char *reason, uint64_t now);

#endif
