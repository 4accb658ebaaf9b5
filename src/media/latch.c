/*
 * latch.c - the handover state machine. The rules are in latch.h; this
 * file applies them to one packet at a time.
 *
 * Pure: no I/O, no clock, no allocation. Every answer depends only on the
 * leg's state, the packet, its source and the time the caller passes in,
 * which is what lets the unit tests replay whole calls.
 */
#include "media/latch.h"
#include "media/latch_hold.h"

#include <string.h>

#define SEQ_MAX_DROPOUT		3000	/* RFC 3550 A.1: cap on the explained advance */
#define SEQ_MAX_MISORDER	100	/* RFC 3550 A.1: further back is a restart */
#define WEAK_SEQ_STEP		3	/* a probation stream may lose two packets */
#define FLOOD_MIN_COUNT		3	/* packets before the rate can be judged */
#define SWITCH_WINDOW_MS	60000	/* max_switches_per_min counts over this */

enum cand_class {
	CLASS_WEAK,		/* plausible RTP, nothing more */
	CLASS_STRONG,		/* continues the verified stream */
	CLASS_LATE,		/* a strong candidate's own packet, reordered */
};

static const char *const policy_names[] = {
	[LATCH_OFF] = "off",
	[LATCH_SSRC] = "ssrc",
	[LATCH_PROBATION] = "probation",
};

void
latch_config_default(struct latch_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = LATCH_PROBATION;
	cfg->strong_count = 2;
	cfg->busy_count = 10;
	cfg->probation_count = 10;
	cfg->guard_ms = 200;
	cfg->ptime_ms = 20;
	cfg->seq_slack = 50;
	cfg->min_switch_interval_ms = 1000;
	cfg->max_switches_per_min = 10;
	cfg->hold_count = LATCH_HOLD_SLOTS;
}

int
latch_policy_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
		if (strcmp(s, policy_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
latch_policy_name(enum latch_policy p)
{
	if ((unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[p];
	return "?";
}

void
latch_init(struct latch *l, const struct latch_config *cfg,
    enum latch_policy policy, bool asymmetric)
{
	/* All-zero is "no address", TRUST_NONE, no stream, no candidates. */
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->policy = policy;
	l->asymmetric = asymmetric;
}

/* Milliseconds from `then` to `now`; a future timestamp counts as 0. */
static uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static uint64_t
ptime(const struct latch *l)
{
	/* A zero ptime in a hand-written config must not divide by zero. */
	return l->cfg->ptime_ms ? l->cfg->ptime_ms : 1;
}

static bool
have_signalled(const struct latch *l)
{
	return addr_is_set(&l->signalled) && !addr_is_any(&l->signalled);
}

static bool
from_signalled_ip(const struct latch *l, const struct addr *src)
{
	return have_signalled(l) && addr_same_ip(src, &l->signalled);
}

static void
forget_candidates(struct latch *l)
{
	memset(l->cand, 0, sizeof(l->cand));
}

static void
forget_prev(struct latch *l)
{
	addr_clear(&l->prev_peer);
	memset(&l->prev_stream, 0, sizeof(l->prev_stream));
}


void
latch_on_signal(struct latch *l, const struct addr *sig, uint64_t now_ms)
{
	if (sig == NULL || !addr_is_set(sig) || addr_is_any(sig))
		return;
	l->signalled = *sig;
	l->signalled_ms = now_ms;

	if (l->asymmetric) {
		l->peer = *sig;
		l->trust = TRUST_SIGNALLED;
		/* It never learns again: nothing held can be released. */
		book_discard_all(l);
		return;
	}
	/*
	 * Same IP as a peer learned from packets: its port is the NAT
	 * mapping, which the SDP cannot know. A peer that only came from
	 * signalling has no learned port, so it takes the new one.
	 */
	if (l->trust >= TRUST_WEAK && addr_same_ip(sig, &l->peer))
		return;
	/*
	 * A private address was read out of a NATed phone's SDP: no packet
	 * can come from it, so it must not replace a peer that works.
	 */
	if (l->trust >= TRUST_WEAK && addr_is_private(sig))
		return;

	l->peer = *sig;
	l->trust = TRUST_SIGNALLED;
	forget_candidates(l);
	/*
	 * What came from the signalled IP before the U did is the party's
	 * (its first packet from there verifies the leg and releases it);
	 * nothing else can win now.
	 */
	if (l->nheld > 0)
		book_discard_from(l, sig, true, true, NULL);
	/* Signalling says where the party is now; the old path is history. */
	forget_prev(l);
	/* A stream that never answered at a signalled IP is no evidence now. */
	if (!l->rooted)
		memset(&l->stream, 0, sizeof(l->stream));
}

/*
 * Does (ssrc, seq) continue stream `s`? Ahead of its highest sequence
 * number, by no more than the packets the time since it last delivered
 * explains, plus slack for jitter and clock drift.
 */
static bool
continues(const struct latch *l, const struct latch_stream *s, uint32_t ssrc,
    uint16_t seq, uint64_t now)
{
	uint64_t expected;
	int d;

	if (!s->known || ssrc != s->ssrc)
		return false;
	expected = since(now, s->last_ms) / ptime(l) + 1;
	if (expected > SEQ_MAX_DROPOUT)
		expected = SEQ_MAX_DROPOUT;
	d = seq_delta(s->max_seq, seq);
	return d > 0 && (uint64_t)d <= expected + l->cfg->seq_slack;
}

/* The verified peer delivered: it is what continuity is measured against. */
static void
stream_note(struct latch_stream *s, uint32_t ssrc, uint16_t seq, uint64_t now)
{
	int d;

	if (!s->known || s->ssrc != ssrc) {
		s->known = true;
		s->ssrc = ssrc;
		s->max_seq = seq;
	} else {
		d = seq_delta(s->max_seq, seq);
		/* Reordering leaves the maximum; a long jump back is a restart. */
		if (d > 0 || d < -SEQ_MAX_MISORDER)
			s->max_seq = seq;
	}
	s->last_ms = now;
}

static void
peer_delivered(struct latch *l, const struct addr *src,
    const struct rtp_info *pkt, uint64_t now)
{
	int i;

	/*
	 * The signalled address answered, or a peer adopted on weak evidence
	 * turned out to sit at the IP the signalling later gave.
	 */
	struct latch_candidate *c;
	bool fresh;

	if (l->trust == TRUST_SIGNALLED ||
	    (l->trust == TRUST_WEAK && from_signalled_ip(l, src))) {
		l->trust = TRUST_STRONG;
		l->ever_verified = true;
		l->rooted = true;
	}
	/*
	 * Only a new packet shows that the old path is still alive. A late or
	 * duplicated one is a straggler from before the move, and must not
	 * hold a real mover back.
	 */
	fresh = !l->stream.known || pkt->ssrc != l->stream.ssrc ||
	    seq_delta(l->stream.max_seq, pkt->seq) > 0;
	stream_note(&l->stream, pkt->ssrc, pkt->seq, now);
	for (i = 0; i < LATCH_CANDIDATES; i++) {
		c = &l->cand[i];
		if (!fresh || (c->strong && c->ssrc == pkt->ssrc &&
		    seq_delta(c->last_seq, pkt->seq) <= 0))
			continue;
		c->peer_spoke = true;
	}
}

static struct latch_decision
drop(struct latch *l, enum latch_drop_reason why)
{
	struct latch_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = LATCH_DROP;
	d.reason = why;
	l->drops[why]++;
	return d;
}

static struct latch_decision
forward(void)
{
	struct latch_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = LATCH_FORWARD;
	return d;
}

/* Limits for switches on packet evidence; signalling is not limited. */
static bool
rate_limited(const struct latch *l, uint64_t now)
{
	/* window_switches is 0 only before the leg's first switch. */
	if (l->window_switches == 0)
		return false;
	if (since(now, l->last_switch_ms) < l->cfg->min_switch_interval_ms)
		return true;
	return since(now, l->window_start_ms) < SWITCH_WINDOW_MS &&
	    l->window_switches >= l->cfg->max_switches_per_min;
}

static void
count_switch(struct latch *l, uint64_t now)
{
	if (l->window_switches == 0 ||
	    since(now, l->window_start_ms) >= SWITCH_WINDOW_MS) {
		l->window_start_ms = now;
		l->window_switches = 0;
	}
	l->window_switches++;
	l->switches++;
	l->last_switch_ms = now;
}

static struct latch_decision
switch_to(struct latch *l, const struct addr *src, const struct rtp_info *pkt,
    uint64_t now, enum latch_evidence ev, struct hold_fx *fx)
{
	struct latch_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = LATCH_SWITCHED;
	d.evidence = ev;
	if (l->trust != TRUST_NONE)
		d.old_peer = l->peer;
	if (l->nheld > 0)
		book_release(l, src, &l->stream, now, fx);

	if (ev == EVIDENCE_WEAK) {
		/*
		 * The verified peer may only have been silent; keep it so it
		 * can take its place back. After a second weak switch the
		 * one to return to is still the last verified peer.
		 */
		if (l->trust == TRUST_STRONG) {
			l->prev_peer = l->peer;
			l->prev_stream = l->stream;
			l->prev_rooted = l->rooted;
		}
		l->trust = TRUST_WEAK;
		l->rooted = false;
		memset(&l->stream, 0, sizeof(l->stream));
	} else {
		if (ev == EVIDENCE_RESUMED) {
			l->stream = l->prev_stream;
			l->rooted = l->prev_rooted;
		} else
			memset(&l->stream, 0, sizeof(l->stream));
		if (ev == EVIDENCE_SIGNALLED)
			l->rooted = true;	/* strong evidence keeps the root it had */
		forget_prev(l);
		l->trust = TRUST_STRONG;
		l->ever_verified = true;
	}
	l->peer = *src;
	stream_note(&l->stream, pkt->ssrc, pkt->seq, now);
	forget_candidates(l);
	count_switch(l, now);
	return d;
}

static struct latch_candidate *
cand_find(struct latch *l, const struct addr *src)
{
	int i;

	for (i = 0; i < LATCH_CANDIDATES; i++)
		if (addr_is_set(&l->cand[i].src) &&
		    addr_equal(&l->cand[i].src, src))
			return &l->cand[i];
	return NULL;
}

/*
 * How much a packet from a candidate source says. A strong candidate's
 * packets must also continue its own run, except that one arriving a
 * little late (reordered on the new path) is set aside rather than
 * thrown at the candidate's evidence.
 */
static enum cand_class
classify(const struct latch *l, const struct latch_candidate *c,
    const struct rtp_info *pkt, uint64_t now)
{
	int d;

	if (!continues(l, &l->stream, pkt->ssrc, pkt->seq, now))
		return CLASS_WEAK;
	if (c == NULL || c->count == 0 || !c->strong || c->ssrc != pkt->ssrc)
		return CLASS_STRONG;
	d = seq_delta(c->last_seq, pkt->seq);
	if (d > 0 && (uint32_t)d <= l->cfg->seq_slack)
		return CLASS_STRONG;
	if (d <= 0 && d > -SEQ_MAX_MISORDER)
		return CLASS_LATE;
	return CLASS_WEAK;
}

/*
 * A slot for a source that has none. A strong packet may take the place
 * of any candidate without strong evidence; a weak one only that of a
 * weak candidate gone quiet for two ptimes. So a sprayer rotating source
 * addresses churns weak slots among its own addresses, but can neither
 * push out a handover in progress nor a phone sending at its steady
 * rate. A candidate idle for longer than its sequence numbers could
 * still be continued across (slack ptimes) is dead and goes to anyone.
 */
static struct latch_candidate *
cand_alloc(struct latch *l, bool strong, uint64_t now)
{
	struct latch_candidate *c, *victim = NULL;
	uint64_t idle, dead_ms, quiet_ms;
	int i;

	dead_ms = (uint64_t)l->cfg->seq_slack * ptime(l);
	quiet_ms = 2 * ptime(l);
	for (i = 0; i < LATCH_CANDIDATES; i++) {
		c = &l->cand[i];
		if (!addr_is_set(&c->src))
			return c;
		idle = since(now, c->last_ms);
		if (idle <= dead_ms &&
		    (c->strong || (!strong && idle <= quiet_ms)))
			continue;
		if (victim == NULL || c->last_ms < victim->last_ms)
			victim = c;
	}
	return victim;
}

bool
latch_has_candidate(const struct latch *l, uint64_t now)
{
	uint64_t dead_ms = (uint64_t)l->cfg->seq_slack * ptime(l);
	int i;

	if (l->nheld > 0)
		return true;
	for (i = 0; i < LATCH_CANDIDATES; i++)
		if (addr_is_set(&l->cand[i].src) &&
		    since(now, l->cand[i].last_ms) <= dead_ms)
			return true;
	return false;
}

static void
cand_start(struct latch_candidate *c, const struct addr *src,
    const struct rtp_info *pkt, bool strong, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->src = *src;
	c->ssrc = pkt->ssrc;
	c->last_seq = pkt->seq;
	c->count = 1;
	c->strong = strong;
	c->first_ms = c->last_ms = now;
}

/*
 * Count the packet into its candidate, restarting the run when it does
 * not follow the previous one (what it held belonged to the broken run).
 * Returns DROP_NONE if the packet counted, else why it is dropped without
 * further thought.
 */
static enum latch_drop_reason
cand_feed(struct latch *l, struct latch_candidate *c, const struct addr *src,
    const struct rtp_info *pkt, bool strong, uint64_t now, struct hold_fx *fx)
{
	uint64_t min_span;
	int d;

	d = seq_delta(c->last_seq, pkt->seq);
	/*
	 * A weak run restarts when the peer spoke: probation counts packets
	 * sent while the peer is silent, not ones interleaved with it.
	 */
	if (c->count == 0 || c->strong != strong || c->ssrc != pkt->ssrc ||
	    (!strong && (d < 1 || d > WEAK_SEQ_STEP || c->peer_spoke))) {
		if (l->nheld > 0)
			book_discard_from(l, src, false, false, fx);
		cand_start(c, src, pkt, strong, now);
	} else {
		c->count++;
		c->last_seq = pkt->seq;
		c->last_ms = now;
	}

	/*
	 * Faster than twice the stream's rate on average is no phone, and
	 * such a run cannot complete probation. It keeps counting rather than
	 * being banned: a real mover whose first packets arrive in a burst
	 * after a stall catches up as soon as its average rate is plausible,
	 * while a sustained flood never does. Strong runs are exempt: a blind
	 * sender cannot forge them.
	 */
	if (c->strong || c->count < FLOOD_MIN_COUNT)
		return DROP_NONE;
	min_span = (uint64_t)(c->count - 1) * ptime(l) / 2;
	return since(now, c->first_ms) < min_span ? DROP_FLOOD : DROP_NONE;
}

/*
 * Strong evidence is enough after strong_count packets if the peer has
 * not delivered since the run began (or has been quiet for a guard time
 * since, meaning the old path stopped). A peer still delivering has to
 * be out-run by busy_count packets, each newer than anything it sent.
 */
static bool
strong_ready(const struct latch *l, const struct latch_candidate *c,
    uint64_t now)
{
	if (l->policy < LATCH_SSRC)
		return false;
	if (c->count >= l->cfg->busy_count)
		return true;
	if (c->count < l->cfg->strong_count)
		return false;
	return !c->peer_spoke ||
	    since(now, l->stream.last_ms) >= l->cfg->guard_ms;
}

static bool
weak_ready(const struct latch *l, const struct latch_candidate *c,
    uint64_t now)
{
	uint64_t quiet_from;

	if (l->policy != LATCH_PROBATION ||
	    c->count < l->cfg->probation_count || c->peer_spoke)
		return false;
	/*
	 * A public signalled IP is where the phone's media comes from. Until
	 * the phone has answered from it, a foreign source with a new SSRC
	 * is as likely an attacker racing it: at call start, and again after
	 * a re-INVITE moved the leg to a new IP. A private one says nothing.
	 */
	if (have_signalled(l) && !addr_is_private(&l->signalled) &&
	    (!l->ever_verified || l->trust == TRUST_SIGNALLED))
		return false;
	if (l->trust == TRUST_NONE)
		return true;
	quiet_from = l->stream.known ? l->stream.last_ms : l->signalled_ms;
	return since(now, quiet_from) >= l->cfg->guard_ms;
}

/*
 * Strong evidence, or a strong candidate's reordered packet: the mover's
 * media, kept until its source wins or loses.
 */
static struct latch_decision
hold(struct latch *l, const struct addr *src, const struct rtp_info *pkt,
    uint64_t now, struct hold_fx *fx)
{
	struct latch_decision d;

	/* A duplicate on the new path is held once. */
	if (l->cfg->hold_count == 0 || book_has(l, src, pkt))
		return drop(l, DROP_UNVERIFIED);
	book_put(l, src, pkt, now, fx);
	memset(&d, 0, sizeof(d));
	d.verdict = LATCH_HOLD;
	return d;
}

static struct latch_decision
candidate_packet(struct latch *l, const struct rtp_info *pkt,
    const struct addr *src, uint64_t now, struct hold_fx *fx)
{
	struct latch_candidate *c;
	enum latch_drop_reason why;
	enum cand_class cls;
	bool ready;

	if (l->nheld > 0)
		book_expire(l, now, fx);
	c = cand_find(l, src);
	cls = classify(l, c, pkt, now);
	if (cls == CLASS_LATE)
		return hold(l, src, pkt, now, fx);
	if (c == NULL) {
		if ((c = cand_alloc(l, cls == CLASS_STRONG, now)) == NULL)
			return drop(l, DROP_UNVERIFIED);
		/* An evicted candidate can no longer win. */
		if (addr_is_set(&c->src) && l->nheld > 0)
			book_discard_from(l, &c->src, false, false, fx);
		c->count = 0;
	}
	why = cand_feed(l, c, src, pkt, cls == CLASS_STRONG, now, fx);
	if (why != DROP_NONE)
		return drop(l, why);

	ready = c->strong ? strong_ready(l, c, now) : weak_ready(l, c, now);
	if (!ready)
		return c->strong ? hold(l, src, pkt, now, fx) :
		    drop(l, DROP_UNVERIFIED);
	/* The candidate is kept: its next packet switches once allowed. */
	if (rate_limited(l, now))
		return drop(l, DROP_RATE_LIMIT);
	return switch_to(l, src, pkt, now,
	    c->strong ? EVIDENCE_STRONG : EVIDENCE_WEAK, fx);
}

/* Any source but the peer: the rules of latch.h, strongest evidence first. */
static struct latch_decision
other_source(struct latch *l, const struct rtp_info *pkt,
    const struct addr *src, uint64_t now_ms, struct hold_fx *fx)
{
	/*
	 * The signalled IP on another port is the phone behind its NAT. It
	 * wins at once over a peer nothing has verified yet, including one
	 * an attacker got adopted on weak evidence.
	 */
	if (from_signalled_ip(l, src) &&
	    (l->trust == TRUST_SIGNALLED || l->trust == TRUST_WEAK))
		return switch_to(l, src, pkt, now_ms, EVIDENCE_SIGNALLED, fx);

	/* Nowhere to send yet and no address to wait for: classic latching. */
	if (l->trust == TRUST_NONE && l->policy != LATCH_PROBATION)
		return switch_to(l, src, pkt, now_ms, EVIDENCE_WEAK, fx);
	if (l->policy == LATCH_OFF)
		return drop(l, DROP_UNVERIFIED);

	/* The verified peer a weak switch replaced was only silent. */
	if (l->trust == TRUST_WEAK && addr_is_set(&l->prev_peer) &&
	    addr_equal(src, &l->prev_peer) &&
	    continues(l, &l->prev_stream, pkt->ssrc, pkt->seq, now_ms))
		return switch_to(l, src, pkt, now_ms, EVIDENCE_RESUMED, fx);

	return candidate_packet(l, pkt, src, now_ms, fx);
}

/*
 * The peer's packet while packets are held. If it is the first from a
 * signalled address (a re-INVITE overtaken by the party's first packets
 * from there), what that very source sent before it goes out first.
 */
static struct latch_decision
peer_with_held(struct latch *l, const struct rtp_info *pkt,
    const struct addr *src, uint64_t now_ms, struct hold_fx *fx)
{
	if (l->trust == TRUST_SIGNALLED)
		book_release(l, src, &l->stream, now_ms, fx);
	peer_delivered(l, src, pkt, now_ms);
	return forward();
}

struct latch_decision
latch_on_rtp(struct latch *l, const struct rtp_info *pkt, bool pt_ok,
    const struct addr *src, uint64_t now_ms)
{
	struct latch_decision d;
	struct hold_fx fx;

	if (!pt_ok)
		return drop(l, DROP_PT);

	/* An asymmetric client sends from a port it does not receive on. */
	if (l->asymmetric) {
		if (from_signalled_ip(l, src))
			return forward();
		return drop(l, DROP_ASYMMETRIC);
	}

	if (l->trust != TRUST_NONE && addr_equal(src, &l->peer)) {
		/* The common case: one more packet from where the leg sends. */
		if (l->nheld == 0) {
			peer_delivered(l, src, pkt, now_ms);
			return forward();
		}
		memset(&fx, 0, sizeof(fx));
		d = peer_with_held(l, pkt, src, now_ms, &fx);
	} else {
		memset(&fx, 0, sizeof(fx));
		d = other_source(l, pkt, src, now_ms, &fx);
	}
	d.slot = fx.slot;
	d.nrelease = fx.nrelease;
	memcpy(d.release, fx.release, sizeof(d.release));
	d.ndiscarded = fx.ndiscarded;
	return d;
}

void
latch_rtcp_init(struct latch_rtcp *r)
{
	memset(r, 0, sizeof(*r));
}

void
latch_rtcp_follow(struct latch_rtcp *r, const struct latch *rtp)
{
	const struct addr *dst = latch_destination(rtp);
	uint16_t port;

	if (dst == NULL) {
		addr_clear(&r->peer);
		r->confirmed = false;
		return;
	}
	/* A port learned from RTCP stays right while the IP does. */
	if (r->confirmed && addr_is_set(&r->peer) &&
	    addr_same_ip(&r->peer, dst))
		return;
	r->peer = *dst;
	port = addr_port(dst);
	if (port < UINT16_MAX)
		addr_set_port(&r->peer, port + 1);
	r->confirmed = false;
}

bool
latch_rtcp_on_packet(struct latch_rtcp *r, const struct latch *rtp,
    uint32_t sender_ssrc, const struct addr *src)
{
	const struct addr *dst = latch_destination(rtp);
	bool ssrc_ok;

	if (rtp->asymmetric) {
		if (from_signalled_ip(rtp, src))
			return true;
		goto reject;
	}
	/* Only ever the RTP peer's IP: see latch.h on replayed reports. */
	if (dst == NULL || !addr_same_ip(src, dst))
		goto reject;
	if (r->confirmed && addr_equal(src, &r->peer))
		return true;
	/* Before the first RTP packet the signalled IP is all there is. */
	ssrc_ok = rtp->stream.known ? sender_ssrc == rtp->stream.ssrc :
	    rtp->trust >= TRUST_SIGNALLED;
	if (ssrc_ok) {
		r->peer = *src;
		r->confirmed = true;
		return true;
	}
reject:
	r->drops++;
	return false;
}

const char *
latch_evidence_name(enum latch_evidence e)
{
	switch (e) {
	case EVIDENCE_NONE:
		return "none";
	case EVIDENCE_SIGNALLED:
		return "signalled";
	case EVIDENCE_STRONG:
		return "strong";
	case EVIDENCE_WEAK:
		return "weak";
	case EVIDENCE_RESUMED:
		return "resumed";
	case EVIDENCE_SIGNALLING:
		return "signalling";
	}
	return "?";
}

const char *
latch_drop_reason_name(enum latch_drop_reason r)
{
	switch (r) {
	case DROP_NONE:
		return "none";
	case DROP_PT:
		return "payload-type";
	case DROP_UNVERIFIED:
		return "unverified";
	case DROP_FLOOD:
		return "flood";
	case DROP_RATE_LIMIT:
		return "rate-limit";
	case DROP_ASYMMETRIC:
		return "asymmetric";
	case DROP_REASON_MAX:
		break;
	}
	return "?";
}
