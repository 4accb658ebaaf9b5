/*
 * wqueue.h - taking a worker's messages off its queue a slice at a time.
 *
 * A worker handles at most a slice of its queued messages per wake-up, so
 * a burst (a thousand deletes: four socket closes each) neither holds the
 * worker's streams nor, on a core it shares with the control thread, the
 * control thread for the whole burst. Pure: the caller holds the lock.
 */
#ifndef RTPROAM_WQUEUE_H
#define RTPROAM_WQUEUE_H

#include <stdbool.h>

struct wmsg;

/* Messages a worker handles per wake-up before packets and others get a turn. */
#define WMSG_SLICE	64

/*
 * Unlink up to max messages (0: all) from the front of the queue
 * *head..*tail and return them as a NULL-terminated list, oldest first.
 * *left tells whether messages stay queued.
 */
struct wmsg	*wqueue_take(struct wmsg **head, struct wmsg **tail, unsigned max,
		    bool *left);

#endif
