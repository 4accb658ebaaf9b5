/*
 * mediaproc.h - optional processing of the RTP one party sends, on its
 * way to the other: a jitter buffer (jbuf.c), then a ptime resizer
 * (resize.c). Off unless the call or the daemon asks for it, so the plain
 * relay path stays what it is. Owned by the worker that owns the leg.
 */
#ifndef RTPROAM_MEDIAPROC_H
#define RTPROAM_MEDIAPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/proc/jbuf.h"
#include "media/proc/resize.h"
#include "packet/rtp.h"

/* Sends one packet on to the other party. */
typedef void mediaproc_emit_fn(void *arg, const uint8_t *pkt, size_t len);

struct mediaproc;

struct mediaproc_stats {
	bool		 jb, rz;
	struct jbuf_stats jbs;
	struct resize_stats rzs;
};

/*
 * jb: NULL or a config whose mode is not JBUF_OFF; zptime_ms: 0 for no
 * resizer. NULL when both are off, or on allocation/config failure.
 */
struct mediaproc *mediaproc_new(const struct jbuf_config *jb, unsigned zptime_ms);
void	mediaproc_free(struct mediaproc *mp);
/* Take one RTP packet (it may be rewritten in place); emits what is due. */
void	mediaproc_packet(struct mediaproc *mp, uint8_t *pkt, size_t len,
	    const struct rtp_info *info, uint64_t now_us,
	    mediaproc_emit_fn *emit, void *arg);
/* The timer fired: emit what is due by now. */
void	mediaproc_timer(struct mediaproc *mp, uint64_t now_us,
	    mediaproc_emit_fn *emit, void *arg);
/* When mediaproc_timer() next has work; UINT64_MAX for none. */
uint64_t mediaproc_due(const struct mediaproc *mp);
/* The leg moved to a new address: nothing stale may burst out afterwards. */
void	mediaproc_reset(struct mediaproc *mp);
void	mediaproc_stats(const struct mediaproc *mp, struct mediaproc_stats *out);

#endif
