/*
 * mediaproc.c - jitter buffer, then resizer. Packets leave the jitter
 * buffer at the sender's clock and go through the resizer like fresh ones.
 */
#include "media/proc/mediaproc.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* Audio packets; larger ones pass the jitter buffer's BAD count. */
#define MP_SLOT_BYTES	1500

struct mediaproc {
	bool		 have_jb, have_rz;
	struct jbuf	 jb;
	struct jbuf_slot *slots;
	uint8_t		*data;
	struct resizer	 rz;
	uint8_t		 out[MP_SLOT_BYTES > RESIZE_PKT_MAX ? MP_SLOT_BYTES : RESIZE_PKT_MAX];
};

struct mediaproc *
mediaproc_new(const struct jbuf_config *jb, unsigned zptime_ms)
{
	struct mediaproc *mp;
	size_t n;

	if ((jb == NULL || jb->mode == JBUF_OFF) && zptime_ms == 0)
		return NULL;
	if ((mp = calloc(1, sizeof(*mp))) == NULL)
		return NULL;
	if (jb != NULL && jb->mode != JBUF_OFF) {
		n = jbuf_slots_for(jb, JBUF_PTIME_MS);
		mp->slots = calloc(n, sizeof(*mp->slots));
		mp->data = malloc(n * MP_SLOT_BYTES);
		if (mp->slots == NULL || mp->data == NULL ||
		    jbuf_init(&mp->jb, jb, mp->slots, n, mp->data, MP_SLOT_BYTES) != 0)
			goto fail;
		mp->have_jb = true;
	}
	if (zptime_ms != 0) {
		if (resize_init(&mp->rz, zptime_ms) != 0)
			goto fail;
		mp->have_rz = true;
	}
	return mp;
fail:
	mediaproc_free(mp);
	return NULL;
}

void
mediaproc_free(struct mediaproc *mp)
{
	if (mp == NULL)
		return;
	free(mp->slots);
	free(mp->data);
	free(mp);
}

/* The resizer stage, or straight out when there is none. */
static void
resize_stage(struct mediaproc *mp, uint8_t *pkt, size_t len,
    const struct rtp_info *info, uint64_t now_us, mediaproc_emit_fn *emit, void *arg)
{
	enum resize_verdict v;
	size_t olen;

	if (!mp->have_rz) {
		emit(arg, pkt, len);
		return;
	}
	v = resize_put(&mp->rz, pkt, len, info, now_us);
	if (v == RESIZE_PASS_NEW)	/* once per payload type and stream */
		log_info("resizer: payload type %u passes unchanged (%s)", info->pt,
		    resize_why_name(resize_pt_check(&mp->rz, info->pt)));
	while (resize_get(&mp->rz, mp->out, sizeof(mp->out), &olen) == 1)
		emit(arg, mp->out, olen);
	if (v == RESIZE_PASS || v == RESIZE_PASS_NEW)
		emit(arg, pkt, len);
}

/* Release what the jitter buffer has due, through the resizer. */
static void
drain_jb(struct mediaproc *mp, uint64_t now_us, mediaproc_emit_fn *emit, void *arg)
{
	uint8_t pkt[MP_SLOT_BYTES];
	struct rtp_info info;
	size_t len;

	while (jbuf_get(&mp->jb, now_us, pkt, sizeof(pkt), &len) == 1) {
		if (rtp_classify(pkt, len, &info) != PKT_RTP)
			continue;	/* it was RTP going in */
		resize_stage(mp, pkt, len, &info, now_us, emit, arg);
	}
}

void
mediaproc_packet(struct mediaproc *mp, uint8_t *pkt, size_t len,
    const struct rtp_info *info, uint64_t now_us, mediaproc_emit_fn *emit, void *arg)
{
	if (mp->have_jb) {
		/* Anything but QUEUED is dropped; jbuf counts why. */
		(void)jbuf_put(&mp->jb, pkt, len, info, now_us);
		drain_jb(mp, now_us, emit, arg);
		return;
	}
	resize_stage(mp, pkt, len, info, now_us, emit, arg);
}

void
mediaproc_timer(struct mediaproc *mp, uint64_t now_us, mediaproc_emit_fn *emit, void *arg)
{
	size_t olen;

	if (mp->have_jb)
		drain_jb(mp, now_us, emit, arg);
	if (mp->have_rz && now_us >= resize_deadline_us(&mp->rz) &&
	    resize_flush(&mp->rz, now_us) > 0)
		while (resize_get(&mp->rz, mp->out, sizeof(mp->out), &olen) == 1)
			emit(arg, mp->out, olen);
}

uint64_t
mediaproc_due(const struct mediaproc *mp)
{
	uint64_t due = UINT64_MAX, t;

	if (mp->have_jb)
		due = jbuf_next_release_us(&mp->jb);
	if (mp->have_rz && (t = resize_deadline_us(&mp->rz)) < due)
		due = t;
	return due;
}

void
mediaproc_reset(struct mediaproc *mp)
{
	if (mp->have_jb)
		jbuf_reset(&mp->jb);
}

void
mediaproc_stats(const struct mediaproc *mp, struct mediaproc_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->jb = mp->have_jb;
	out->rz = mp->have_rz;
	if (mp->have_jb)
		jbuf_stats(&mp->jb, &out->jbs);
	if (mp->have_rz)
		out->rzs = mp->rz.st;
}
