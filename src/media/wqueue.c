/*
 * wqueue.c - a slice off the front of a worker's message queue.
 */
#include "media/wqueue.h"

#include <stddef.h>

#include "media/worker.h"

struct wmsg *
wqueue_take(struct wmsg **head, struct wmsg **tail, unsigned max, bool *left)
{
	struct wmsg *first = *head, *last = NULL, *m = first;
	unsigned n;

	for (n = 0; m != NULL && (max == 0 || n < max); n++) {
		last = m;
		m = m->next;
	}
	/* m is the first message that stays, if any. */
	*head = m;
	if (m == NULL)
		*tail = NULL;
	if (last != NULL)
		last->next = NULL;
	*left = m != NULL;
	return last != NULL ? first : NULL;
}
