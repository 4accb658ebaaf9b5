/*
 * relay.h - the packet fast path, run by a worker for a ready socket.
 */
#ifndef RTPROAM_RELAY_H
#define RTPROAM_RELAY_H

#include "media/media.h"

struct worker;
struct relay_buffers;
struct hold_pool;

struct relay_buffers *relay_buffers_new(void);
void	relay_buffers_free(struct relay_buffers *rb);

/*
 * A worker's pool of packets held as evidence of a move (latch.h), so
 * that no leg carries the memory while it is not moving.
 */
struct hold_pool *relay_hold_pool_new(void);
void	relay_hold_pool_free(struct hold_pool *p);
/* The media is about to be freed: what its legs hold goes back to the pool. */
void	relay_media_gone(struct worker *w, struct media *m);

/* Drain the socket in batches, decide for each packet, send what passes. */
void	relay_stream_ready(struct worker *w, struct relay_buffers *rb, struct stream *s);

/*
 * A U/L reached the worker: update the leg's latch (and codec list). `w`
 * is the owning worker, NULL before the media is handed to one.
 */
void	relay_apply_signal(struct worker *w, struct leg *leg, const struct addr *a,
	    const struct pt_set *pts, int asymmetric, uint64_t now);

/* Run the jitter buffers and resizers whose time has come. */
void	relay_timers(struct worker *w, uint64_t now_us);

/*
 * --redis: an eventfd the workers ring after a leg's latch state changed
 * (leg_ha_publish with dirty set); -1 (the default) rings nothing.
 */
void	relay_set_ha_doorbell(int fd);

/* Make the leg's destinations visible to the control thread (on a change). */
void	relay_publish_peers(struct leg *leg);

/* Publish the media's statistics for the control thread (once a second). */
void	relay_publish(struct media *m, uint64_t now_us);

#endif
