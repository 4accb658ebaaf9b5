/*
 * latch_save.c - a leg's latch state out of, and back into, a struct
 * latch: what the store (src/store/) persists so that a restarted relay
 * opens no learning window. Pure, like latch.c.
 */
#include "media/latch.h"

#include <string.h>

void
latch_save(const struct latch *l, const struct latch_rtcp *r,
    struct latch_saved *out)
{
	memset(out, 0, sizeof(*out));
	out->policy = l->policy;
	out->trust = l->trust;
	out->asymmetric = l->asymmetric;
	out->ever_verified = l->ever_verified;
	out->rooted = l->rooted;
	out->signalled = l->signalled;
	if (l->trust != TRUST_NONE)
		out->peer = l->peer;
	out->stream = l->stream;
	out->last_switch_ms = l->last_switch_ms;
	out->window_start_ms = l->window_start_ms;
	out->window_switches = l->window_switches;
	out->switches = l->switches;
	out->rtcp_peer = r->peer;
	out->rtcp_confirmed = r->confirmed;
}

void
latch_restore(struct latch *l, struct latch_rtcp *r,
    const struct latch_config *cfg, const struct latch_saved *s,
    uint64_t now_ms)
{
	latch_init(l, cfg, s->policy, s->asymmetric);
	latch_rtcp_init(r);
	l->signalled = s->signalled;
	l->signalled_ms = now_ms;
	l->trust = s->trust;
	if (s->trust != TRUST_NONE)
		l->peer = s->peer;
	l->ever_verified = s->ever_verified;
	l->rooted = s->rooted;
	l->stream = s->stream;
	if (l->stream.known)
		l->stream.last_ms = now_ms;
	/* Timestamps from the future (another clock) count as now. */
	l->last_switch_ms = s->last_switch_ms > now_ms ? now_ms : s->last_switch_ms;
	l->window_start_ms = s->window_start_ms > now_ms ? now_ms : s->window_start_ms;
	l->window_switches = s->window_switches;
	l->switches = s->switches;
	if (addr_is_set(&s->rtcp_peer)) {
		r->peer = s->rtcp_peer;
		r->confirmed = s->rtcp_confirmed;
	} else {
		latch_rtcp_follow(r, l);
	}
}
