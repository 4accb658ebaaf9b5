/*
 * relay.h - the packet fast path, run by a worker for a ready socket.
 */
#ifndef RTPROAM_RELAY_H
#define RTPROAM_RELAY_H

#include "media/media.h"

struct worker;
struct relay_buffers;

struct relay_buffers *relay_buffers_new(void);
void	relay_buffers_free(struct relay_buffers *rb);

/* Drain the socket in batches, decide for each packet, send what passes. */
void	relay_stream_ready(struct worker *w, struct relay_buffers *rb, struct stream *s);

/* A U/L reached the worker: update the leg's latch (and codec list). */
void	relay_apply_signal(struct leg *leg, const struct addr *a,
	    const struct pt_set *pts, int asymmetric, uint64_t now);

/* Run the jitter buffers and resizers whose time has come. */
void	relay_timers(struct worker *w, uint64_t now_us);

/*
 * --redis: an eventfd the workers ring after a leg's latch state changed
 * (leg_ha_publish with dirty set); -1 (the default) rings nothing.
 */
void	relay_set_ha_doorbell(int fd);

/* Publish the media's statistics for the control thread (once a second). */
void	relay_publish(struct media *m, uint64_t now_us);

#endif
