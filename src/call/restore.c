/*
 * restore.c - a call into a plain description and back (call/saved.h):
 * what the store persists, and how a restarted relay rebuilds a call on
 * the same ports with its legs latched as they were.
 */
#include "call/saved.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/calls.h"
#include "lib/log.h"

_Static_assert(sizeof(((struct media *)0)->label[0]) == SAVED_LABEL_MAX + 1,
    "a saved label holds what a media's holds");

static int
copy_id(char *dst, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	if ((n = strlen(src)) > SAVED_ID_MAX)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
media_save(struct media *m, struct media_saved *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->slot = m->slot;
	out->num = m->num;
	if (copy_id(out->tag[0], m->tag[0]) != 0 ||
	    copy_id(out->tag[1], m->tag[1]) != 0 ||
	    copy_id(out->branch, m->branch) != 0)
		return -1;
	out->answered = m->answered;
	out->delete_at_ms = m->delete_at_ms;
	memcpy(out->type, m->type, sizeof(out->type));
	memcpy(out->proto, m->proto, sizeof(out->proto));
	out->type[sizeof(out->type) - 1] = '\0';
	out->proto[sizeof(out->proto) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		out->leg[i].local = m->leg[i].local;
		out->leg[i].advertised = m->leg[i].advertised;
		out->leg[i].mode = m->mode[i];
		out->leg[i].proc = m->proc[i];
		out->leg[i].pts = m->pts[i];
		out->mux_offer[i] = m->mux_offer[i];
		/* Both SAVED_LABEL_MAX + 1 bytes, NUL-terminated (copy_str). */
		memcpy(out->label[i], m->label[i], sizeof(out->label[i]));
		out->label[i][SAVED_LABEL_MAX] = '\0';
		leg_ha_read(&m->leg[i], &out->leg[i].latch);
	}
	return 0;
}

int
call_save(struct call *c, struct call_saved *out)
{
	struct media *m;

	out->nmedia = 0;
	if (copy_id(out->callid, c->callid) != 0 ||
	    copy_id(out->notify_target, c->notify_tag ? c->notify_target : NULL) != 0 ||
	    copy_id(out->notify_tag, c->notify_target ? c->notify_tag : NULL) != 0)
		return -1;
	out->created_ms = c->created_ms;
	out->recording = c->rec_file != NULL;
	if (copy_id(out->rec_tag, out->recording ? c->rec_tag : NULL) != 0)
		return -1;
	for (m = c->media; m; m = m->next) {
		if (out->nmedia == SAVED_MEDIA_MAX ||
		    media_save(m, &out->media[out->nmedia]) != 0)
			return -1;
		out->nmedia++;
	}
	return 0;
}

/* Bind the leg's own pair again and put its latches back as they were. */
static int
restore_leg(struct call_ctx *ctx, struct media *m, unsigned i,
    const struct leg_saved *ls, uint64_t now)
{
	struct leg *leg = &m->leg[i];
	int fds[2];

	if ((leg->port = ports_open_at(&ctx->ports, &ls->local,
	    addr_port(&ls->local), fds)) == 0)
		return -1;
	leg->rtp.fd = fds[0];
	leg->rtcp.fd = fds[1];
	leg->local = ls->local;
	leg->advertised = ls->advertised;
	leg->mode = ls->mode;
	m->mode[i] = ls->mode;
	m->signalled[i] = ls->latch.signalled;
	latch_restore(&leg->latch, &leg->rtcp_latch, &ctx->cfg->latch,
	    &ls->latch, now);
	stats_init(&leg->stats, addr_family(&ls->local));
	m->proc[i] = ls->proc;
	m->pts[i] = leg->pts = ls->pts;
	leg->mp = call_mediaproc_new(ctx, &m->proc[i]);
	counter_set(&leg->switches, ls->latch.switches);
	/* Not shared with a worker yet: publish in place. */
	if (latch_destination(&leg->latch) != NULL)
		leg->pub_peer = leg->latch.peer;
	leg->pub_rtcp_peer = leg->rtcp_latch.peer;
	leg_ha_publish(leg, false);
	return 0;
}

static int
restore_media(struct call_ctx *ctx, struct call *c, const struct media_saved *ms,
    uint64_t now, char *err, size_t errlen)
{
	struct media *m;
	unsigned i;

	if ((m = media_create(&ctx->calls, c, ms->num, ms->tag[0],
	    strlen(ms->tag[0]), now)) == NULL ||
	    (ms->tag[1][0] && media_set_tag1(m, ms->tag[1], strlen(ms->tag[1])) != 0) ||
	    (ms->branch[0] && media_set_branch(m, ms->branch, strlen(ms->branch)) != 0)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->slot = ms->slot;
	if (c->next_slot <= ms->slot)
		c->next_slot = ms->slot + 1;
	m->answered = ms->answered;
	m->delete_at_ms = ms->delete_at_ms;
	for (i = 0; i < 2; i++) {
		m->mux_offer[i] = ms->mux_offer[i];
		memcpy(m->label[i], ms->label[i], sizeof(m->label[i]));
	}
	memcpy(m->type, ms->type, sizeof(m->type));
	memcpy(m->proto, ms->proto, sizeof(m->proto));
	m->ports = &ctx->ports;
	m->ended = &ctx->ended;
	for (i = 0; i < 2; i++) {
		if (restore_leg(ctx, m, i, &ms->leg[i], now) != 0) {
			snprintf(err, errlen, "port %u: %s",
			    addr_port(&ms->leg[i].local), strerror(errno));
			goto fail;
		}
	}
	m->worker = c->media != m ? c->media->worker :
	    m->next ? m->next->worker : ctx->next_worker++ % ctx->nworkers;
	c->worker = m->worker;
	return 0;
fail:
	if (m != NULL) {
		media_unlink(&ctx->calls, m);
		media_destroy(m);
	}
	return -1;
}

int
call_restore(struct call_ctx *ctx, const struct call_saved *s, uint64_t now,
    char *err, size_t errlen)
{
	struct call *c;
	struct media *m;
	unsigned i;
	int saved_errno;

	if (call_find(&ctx->calls, s->callid, strlen(s->callid)) != NULL) {
		snprintf(err, errlen, "a call with this id exists");
		return -1;
	}
	if ((c = call_create(&ctx->calls, s->callid, strlen(s->callid), now)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < s->nmedia; i++) {
		if (restore_media(ctx, c, &s->media[i], now, err, errlen) != 0) {
			saved_errno = errno;
			while ((m = c->media) != NULL) {
				media_unlink(&ctx->calls, m);
				media_destroy(m);
			}
			call_destroy(&ctx->calls, c);
			errno = saved_errno;
			return -1;
		}
	}
	call_created(&ctx->calls);
	/* The notifier sends only to targets -n permits, whatever this says. */
	if (s->notify_target[0] && s->notify_tag[0]) {
		c->notify_target = strdup(s->notify_target);
		c->notify_tag = strdup(s->notify_tag);
	}
	/* Only now do workers see it: every media complete. */
	for (m = c->media; m; m = m->next) {
		counter_set(&m->last_signal_ms, now);
		if (worker_attach(&ctx->workers[m->worker], m) != 0) {
			log_err("call %s: cannot hand a restored media to its worker",
			    c->callid);
			call_delete(ctx, c, "no worker");
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	/*
	 * A recorded call records on, into a new pcap file (the old one ended
	 * with the old process). Without --record-dir here, it is only logged.
	 */
	if (s->recording && call_start_recording(ctx, c, s->rec_tag) == CALL_ERR_NOMEM)
		log_err("call %s: cannot record the restored call", c->callid);
	return 0;
}
