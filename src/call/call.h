/*
 * call.h - calls and the table that finds them (control thread).
 *
 *   call      one Call-ID (with Kamailio's ";branch" suffix if any). Owned
 *             by the control thread, found by hash of the Call-ID. Its
 *             media (media/media.h) are found by tag.
 */
#ifndef RTPROAM_CALL_CALL_H
#define RTPROAM_CALL_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"

struct record_file;

struct call {
	char		*callid;
	struct call	*hnext;		/* hash chain */
	struct media	*media;
	char		*notify_target;	/* permitted socket, or NULL */
	char		*notify_tag;	/* decoded */
	struct record_file *rec_file;	/* R was asked: the call's pcap file */
	char		*rec_tag;	/* the tag it was asked with, while recording */
	unsigned	 worker;	/* every media of the call lives there */
	unsigned	 next_slot;	/* media->slot of its next media */
	bool		 ha_queued;	/* the store has it queued for a write */
	uint64_t	 created_ms;
};

/* ---- the call table (control thread) ---- */

struct call_table {
	struct call	**buckets;
	unsigned	  nbuckets;	/* power of two */
	unsigned	  ncalls;
	unsigned	  nmedia;
	uint64_t	  created_total;
};

int	 calls_init(struct call_table *t, unsigned nbuckets);
void	 calls_free(struct call_table *t);
struct call *call_find(struct call_table *t, const char *id, size_t len);
struct call *call_create(struct call_table *t, const char *id, size_t len, uint64_t now);
/* The new call got its media: count it in created_total. */
void	 call_created(struct call_table *t);
/* Unlink from the table and free; its media must have been handed off. */
void	 call_destroy(struct call_table *t, struct call *c);

/*
 * New media `num` of call c, created by the party with tag `tag0`; legs
 * zeroed, fds -1. Linked into c->media. NULL on allocation failure.
 */
struct media *media_create(struct call_table *t, struct call *c, unsigned num,
	    const char *tag0, size_t len0, uint64_t now);
/* Remember the answering party's tag. Returns 0 or -1 (no memory). */
int	 media_set_tag1(struct media *m, const char *tag, size_t len);
/* Remember the via-branch that tells this fork apart. Returns 0 or -1. */
int	 media_set_branch(struct media *m, const char *branch, size_t len);
/* Unlink from its call (control thread), before handing it to DETACH. */
void	 media_unlink(struct call_table *t, struct media *m);

/*
 * Find the media of call c that tags t1/t2 name, numbered `num` (0: any),
 * starting after `after` (NULL: from the first). *leg_of_t1 gets the
 * index of the leg facing the party named by t1. t2 may be NULL.
 */
struct media *media_lookup(struct call *c, struct media *after, unsigned num,
	    const char *t1, size_t l1, const char *t2, size_t l2, unsigned *leg_of_t1);

#endif
