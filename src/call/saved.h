/*
 * saved.h - a call as the store (src/store/) persists and restores it.
 *
 * call/ owns this plain description so that it never includes store/:
 * call_save() fills one from a live call, call_restore() rebuilds a live
 * call from one, and the store only encodes, decodes and validates it.
 * Latch times are the relay's monotonic milliseconds; the store turns
 * them into wall-clock time in the record.
 */
#ifndef RTPROAM_CALL_SAVED_H
#define RTPROAM_CALL_SAVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "media/latch.h"
#include "media/media.h"

#define SAVED_ID_MAX	255	/* Call-ID, tag, via-branch */
#define SAVED_MEDIA_MAX	16	/* media of one call that a record may hold */
#define SAVED_LABEL_MAX	31	/* media->label */

struct leg_saved {
	struct addr	 local;		/* port = the RTP port (RTCP is +1) */
	struct addr	 advertised;
	struct leg_mode	 mode;
	struct latch_saved latch;
	struct leg_proc	 proc;		/* jitter buffer, resizer (J, Z) */
	struct pt_set	 pts;		/* payload types it may send (c) */
};

struct media_saved {
	unsigned	 slot;		/* media->slot: its fields in the record */
	unsigned	 num;
	char		 tag[2][SAVED_ID_MAX + 1];	/* tag[1] "": no answer yet */
	char		 branch[SAVED_ID_MAX + 1];	/* "": none */
	bool		 answered;
	char		 type[12];
	char		 proto[24];
	/* ng, per party: for a later answer or query (media.h). */
	bool		 mux_offer[2];
	char		 label[2][SAVED_LABEL_MAX + 1];
	uint64_t	 delete_at_ms;	/* monotonic; 0: no delayed delete pending */
	struct leg_saved leg[2];
};

struct call_saved {
	char		 callid[SAVED_ID_MAX + 1];
	uint64_t	 created_ms;	/* monotonic */
	/* rtpproxy timeout notification (U's notify arguments); "": none. */
	char		 notify_target[SAVED_ID_MAX + 1];
	char		 notify_tag[SAVED_ID_MAX + 1];
	/* Recording (rtpproxy R, ng start recording): under this tag. */
	bool		 recording;
	char		 rec_tag[SAVED_ID_MAX + 1];
	unsigned	 nmedia;
	struct media_saved media[SAVED_MEDIA_MAX];
};

struct call;
struct call_ctx;

/* A live call's state (control thread). -1: it has too many media or too long ids. */
int	call_save(struct call *c, struct call_saved *out);
/* One media of a live call, for a write of only its fields. */
int	media_save(struct media *m, struct media_saved *out);

/*
 * Rebuild a saved call at `now`: the same local ports, legs latched as
 * they were (latch_restore), handed to a worker. The call must not exist
 * yet. Returns 0, or -1 with err filled (ports busy: errno EADDRINUSE);
 * nothing of the call is left behind on failure.
 */
int	call_restore(struct call_ctx *ctx, const struct call_saved *s,
	    uint64_t now, char *err, size_t errlen);

#endif
