/*
 * fuzz_latch.c - the handover state machine driven by a byte stream.
 *
 * The input is a small header and then a sequence of events, each one
 * a time step, a source among six addresses and what arrives from it:
 *
 *   header   3 bytes. The first: policy (modulo 3), asymmetric when
 *            bits 2-4 are all set. The other two: 0x00 0x00 is
 *            latch_config_default, anything else sets the packet counts,
 *            guard, ptime and slack from their bits, and the switch
 *            limits from bits 5-7 of the first (zeroes included),
 *            and the hold book's size from their sum (0..4)
 *   event    op: bits 0-1 what (0, 1: RTP; 2: signalling; 3: RTCP),
 *                bits 2-7 the address (modulo 6; for signalling modulo
 *                5, the fifth being 0.0.0.0, hold)
 *            dt: milliseconds to advance (below 0x80 as is; above, in
 *                20 ms steps; 0xff: 65 s, past the per-minute window)
 *            RTP:  sel, then 12 bytes of RTP header for rtp_classify.
 *                  sel bits 0-1 pick the SSRC: the party's A or B (an
 *                  attacker's own fixed one), the header's, or what this
 *                  source sent last; bits 2-4 the sequence number: the
 *                  header's, or the stream's last +1, +1, +2, +3, +100,
 *                  -1 or -3000; bits 5-7 all set: a payload type outside
 *                  the call's list
 *            RTCP: sel, whose bits 0-1 pick the sender SSRC as for RTP
 *
 * Addresses 0-3 are the party: its public IP at the SDP port and at a
 * NAT-mapped port, another network it moves to, and the private address
 * a NATed phone writes into its SDP. Signalling names only these. 4 and
 * 5 are blind attackers (IPv4 and IPv6): never signalled, and never
 * sending an SSRC the party uses (the party's have the top bit clear,
 * theirs set), so they cannot know the party's stream.
 *
 * What latch.h promises and this checks after every event:
 *  - trust, peer and destination agree; STRONG implies ever_verified;
 *  - the switch and drop counters count exactly the verdicts returned;
 *  - a drop changes neither peer nor trust, a forward never the peer, a
 *    switch makes the source the peer and reports the old one;
 *  - a bad payload type is always dropped for that reason;
 *  - an asymmetric leg never learns: its peer is the signalled address,
 *    and it forwards exactly what comes from the signalled IP;
 *  - LATCH_OFF switches only on the signalled IP or when it has no peer,
 *    and only LATCH_PROBATION switches on weak evidence to a leg that
 *    has one;
 *  - switches on packet evidence keep min_switch_interval_ms apart;
 *  - a new public signalled address becomes the peer at once;
 *  - while a public signalled address has not answered (no packet from
 *    its IP forwarded, no verification of the party elsewhere), a blind
 *    attacker is never the peer, by weak evidence or any other;
 *  - RTCP goes to the RTP peer's IP, and is only accepted from it (from
 *    the signalled IP on an asymmetric leg);
 *  - held packets (a copy of the hold book is kept here, as the relay
 *    keeps the bytes): a HOLD names a free slot below hold_count, never
 *    for an asymmetric leg or LATCH_OFF, nor for an attacker unless the
 *    stream it continues is an attacker's, and moves nothing;
 *    a release comes only with a switch or a forward, names only slots
 *    holding packets of the source that now is the peer, oldest first,
 *    none older than LATCH_HOLD_MS; so nothing from a source that does
 *    not win is ever released. Every held packet that leaves the book
 *    otherwise was counted as an unverified drop, and as `ndiscarded`.
 *
 * FUZZ_LATCH_TRACE=1 in the environment prints every event.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "fuzz.h"
#include "media/latch.h"
#include "packet/rtp.h"

#define NADDR		6
#define NPARTY		4	/* 0..3 the party, 4..5 attackers */
#define HOLD		NADDR	/* index of 0.0.0.0, for signalling only */
#define T0		1000000	/* the relay's clock is milliseconds since boot */

#define SSRC_A		0x1111aaaau
#define SSRC_B		0x2222bbbbu
#define SSRC_X		0xdead0001u
#define ATTACKER_BIT	0x80000000u
#define NSEQ		8	/* SSRCs whose last sequence number is kept */

enum {
	EV_RTP = 0,
	EV_RTP2 = 1,
	EV_SIGNAL = 2,
	EV_RTCP = 3,
};

static const char *const addr_text[NADDR + 1] = {
	"198.51.100.23:4000",	/* 0 the party's public IP, SDP port */
	"198.51.100.23:34000",	/* 1 the same IP, NAT-mapped port */
	"192.0.2.50:5000",	/* 2 the party on another network */
	"10.1.1.5:4000",	/* 3 the private address in its SDP */
	"203.0.113.66:7000",	/* 4 attacker */
	"[2001:db8::66]:7000",	/* 5 attacker over IPv6 */
	"0.0.0.0:4000",		/* hold (signalling only) */
};

struct seqmem {
	uint32_t	ssrc;
	uint16_t	seq;
	bool		used;
};

struct fuzz_state {
	struct latch_config cfg;
	struct latch	l;
	struct latch_rtcp r;
	struct addr	addrs[NADDR + 1];
	uint64_t	now;

	/* Source of the bytes. */
	const uint8_t	*p, *end;

	/* The harness's own books, to compare with the latch's. */
	uint64_t	switches;
	uint64_t	drops[DROP_REASON_MAX];
	uint64_t	rtcp_drops;
	bool		switched_once;
	uint64_t	last_switch;
	struct addr	signalled;	/* last non-hold signalling */
	bool		pending;	/* public signalled IP has not answered */

	/* The hold book as the relay would see it. */
	struct {
		bool		used;
		unsigned	src;
		uint64_t	order, at;
	}		held[LATCH_HOLD_SLOTS];

	uint32_t	last_ssrc[NADDR];
	struct seqmem	seqs[NSEQ];
	unsigned	seq_next;
};

static int trace = -1;

static bool
is_attacker(const struct fuzz_state *fs, const struct addr *a)
{
	unsigned i;

	for (i = NPARTY; i < NADDR; i++)
		if (addr_equal(a, &fs->addrs[i]))
			return true;
	return false;
}

static bool
is_public(const struct addr *a)
{
	return addr_is_set(a) && !addr_is_any(a) && !addr_is_private(a);
}

static int
take(struct fuzz_state *fs)
{
	return fs->p < fs->end ? *fs->p++ : -1;
}

static uint64_t
time_step(int b)
{
	if (b < 0x80)
		return (uint64_t)b;
	if (b == 0xff)
		return 65000;
	return (uint64_t)(b - 0x7f) * 20;
}

static struct seqmem *
seq_find(struct fuzz_state *fs, uint32_t ssrc)
{
	unsigned i;

	for (i = 0; i < NSEQ; i++)
		if (fs->seqs[i].used && fs->seqs[i].ssrc == ssrc)
			return &fs->seqs[i];
	return NULL;
}

static void
seq_note(struct fuzz_state *fs, uint32_t ssrc, uint16_t seq)
{
	struct seqmem *m;

	if ((m = seq_find(fs, ssrc)) == NULL) {
		m = &fs->seqs[fs->seq_next];
		fs->seq_next = (fs->seq_next + 1) % NSEQ;
		m->used = true;
		m->ssrc = ssrc;
	}
	m->seq = seq;
}

/*
 * The SSRC a source sends: sel 0 and 1 are the party's two streams (an
 * attacker's fixed one), 2 the header's, 3 what this source sent last.
 * The top bit keeps the party's and the attackers' apart.
 */
static uint32_t
pick_ssrc(const struct fuzz_state *fs, unsigned src, unsigned sel,
    uint32_t hdr)
{
	uint32_t s;

	switch (sel & 3) {
	case 0:
		s = SSRC_A;
		break;
	case 1:
		s = SSRC_B;
		break;
	case 2:
		s = hdr;
		break;
	default:
		s = fs->last_ssrc[src] != 0 ? fs->last_ssrc[src] : SSRC_A;
		break;
	}
	if (src >= NPARTY)
		return (sel & 3) < 2 ? SSRC_X : s | ATTACKER_BIT;
	return s & ~ATTACKER_BIT;
}

/* Sequence number: the header's, or a step from the stream's last one. */
static uint16_t
pick_seq(struct fuzz_state *fs, uint32_t ssrc, unsigned sel, uint16_t hdr)
{
	static const int step[8] = { 0, 1, 1, 2, 3, 100, -1, -3000 };
	struct seqmem *m;

	if (sel == 0 || (m = seq_find(fs, ssrc)) == NULL)
		return hdr;
	return (uint16_t)(m->seq + step[sel & 7]);
}

static void
check_state(const struct fuzz_state *fs)
{
	const struct latch *l = &fs->l;
	const struct addr *dst = latch_destination(l);
	unsigned i, j;

	FUZZ_CHECK(l->trust >= TRUST_NONE && l->trust <= TRUST_STRONG);
	FUZZ_CHECK((dst == NULL) == (l->trust == TRUST_NONE));
	if (dst != NULL)
		FUZZ_CHECK(addr_is_set(dst) && !addr_is_any(dst));
	if (l->trust == TRUST_STRONG)
		FUZZ_CHECK(l->ever_verified);
	FUZZ_CHECK(l->cfg == &fs->cfg);

	FUZZ_CHECK(l->switches == fs->switches);
	for (i = 0; i < DROP_REASON_MAX; i++)
		FUZZ_CHECK(l->drops[i] == fs->drops[i]);
	FUZZ_CHECK(l->drops[DROP_NONE] == 0);
	FUZZ_CHECK(fs->r.drops == fs->rtcp_drops);

	/* The hold book: bounded, and the same as the harness's. */
	for (j = i = 0; i < LATCH_HOLD_SLOTS; i++) {
		if (!addr_is_set(&l->held[i].src)) {
			FUZZ_CHECK(!fs->held[i].used);
			continue;
		}
		j++;
		FUZZ_CHECK(fs->held[i].used);
		FUZZ_CHECK(i < fs->cfg.hold_count);
		FUZZ_CHECK(addr_equal(&l->held[i].src,
		    &fs->addrs[fs->held[i].src]));
	}
	FUZZ_CHECK(j == l->nheld);

	/* At most one candidate per source. */
	for (i = 0; i < LATCH_CANDIDATES; i++) {
		if (!addr_is_set(&l->cand[i].src))
			continue;
		for (j = i + 1; j < LATCH_CANDIDATES; j++)
			FUZZ_CHECK(!addr_is_set(&l->cand[j].src) ||
			    !addr_equal(&l->cand[i].src, &l->cand[j].src));
	}

	if (l->asymmetric) {
		if (addr_is_set(&fs->signalled)) {
			FUZZ_CHECK(l->trust == TRUST_SIGNALLED);
			FUZZ_CHECK(addr_equal(&l->peer, &fs->signalled));
		} else
			FUZZ_CHECK(l->trust == TRUST_NONE);
	}

	/* RTCP follows RTP: same IP, RTP port + 1 until it learns its own. */
	if (dst == NULL)
		FUZZ_CHECK(!addr_is_set(&fs->r.peer) && !fs->r.confirmed);
	else {
		FUZZ_CHECK(addr_same_ip(&fs->r.peer, dst));
		if (!fs->r.confirmed && addr_port(dst) < UINT16_MAX)
			FUZZ_CHECK(addr_port(&fs->r.peer) ==
			    addr_port(dst) + 1);
	}

	/* The promise of latch.h on weak evidence, for blind attackers. */
	if (fs->pending && !l->asymmetric)
		FUZZ_CHECK(!is_attacker(fs, &l->peer) ||
		    l->trust == TRUST_NONE);
}

/*
 * Apply a decision to the harness's hold book (NULL: signalling, which
 * only discards). Returns how many held packets left it unreleased.
 */
static unsigned
book_apply(struct fuzz_state *fs, const struct latch_decision *d,
    unsigned src_i)
{
	const struct latch *l = &fs->l;
	uint64_t last = 0;
	unsigned i, gone = 0, slot;

	if (d != NULL) {
		if (d->nrelease > 0)
			FUZZ_CHECK(d->verdict == LATCH_SWITCHED ||
			    d->verdict == LATCH_FORWARD);
		for (i = 0; i < d->nrelease; i++) {
			slot = d->release[i];
			FUZZ_CHECK(slot < LATCH_HOLD_SLOTS && fs->held[slot].used);
			/* The winner's own packets, in the order they came. */
			FUZZ_CHECK(fs->held[slot].src == src_i);
			FUZZ_CHECK(addr_equal(&l->peer, &fs->addrs[src_i]));
			FUZZ_CHECK(i == 0 || fs->held[slot].order > last);
			FUZZ_CHECK(fs->now - fs->held[slot].at <= LATCH_HOLD_MS);
			last = fs->held[slot].order;
			fs->held[slot].used = false;
		}
	}
	for (i = 0; i < LATCH_HOLD_SLOTS; i++)
		if (fs->held[i].used && (!addr_is_set(&l->held[i].src) ||
		    l->held[i].order != fs->held[i].order)) {
			fs->held[i].used = false;
			gone++;
		}
	if (d != NULL && d->verdict == LATCH_HOLD) {
		slot = d->slot;
		FUZZ_CHECK(slot < fs->cfg.hold_count && !fs->held[slot].used);
		FUZZ_CHECK(addr_is_set(&l->held[slot].src));
		fs->held[slot].used = true;
		fs->held[slot].src = src_i;
		fs->held[slot].order = l->held[slot].order;
		fs->held[slot].at = fs->now;
	}
	fs->drops[DROP_UNVERIFIED] += gone;
	return gone;
}

static void
ev_signal(struct fuzz_state *fs, unsigned target)
{
	struct latch *l = &fs->l;
	const struct addr *sig = &fs->addrs[target];
	struct addr old_peer = l->peer;
	enum latch_trust old_trust = l->trust;

	latch_on_signal(l, sig, fs->now);
	latch_rtcp_follow(&fs->r, l);
	(void)book_apply(fs, NULL, target);
	if (target == HOLD) {
		/* Hold keeps state. */
		FUZZ_CHECK(l->trust == old_trust);
		FUZZ_CHECK(old_trust == TRUST_NONE ||
		    addr_equal(&l->peer, &old_peer));
		return;
	}
	fs->signalled = *sig;
	if (l->asymmetric)
		return;
	/*
	 * A new public IP is honoured at once, unless the leg latched to
	 * that IP from packets already (its NAT port wins).
	 */
	if (is_public(sig)) {
		if (old_trust >= TRUST_WEAK && addr_same_ip(sig, &old_peer)) {
			FUZZ_CHECK(addr_equal(&l->peer, &old_peer));
			FUZZ_CHECK(l->trust == old_trust);
			fs->pending = false;
		} else {
			FUZZ_CHECK(addr_equal(&l->peer, sig));
			FUZZ_CHECK(l->trust == TRUST_SIGNALLED);
			fs->pending = true;
		}
	} else {
		/* A private one never replaces a peer learned from packets. */
		if (old_trust >= TRUST_WEAK)
			FUZZ_CHECK(addr_equal(&l->peer, &old_peer));
		fs->pending = false;
	}
}

static void
ev_rtp(struct fuzz_state *fs, unsigned src_i, int sel)
{
	struct latch *l = &fs->l;
	const struct addr *src = &fs->addrs[src_i];
	struct addr old_peer = l->peer;
	enum latch_trust old_trust = l->trust;
	struct latch_decision d;
	struct rtp_info ri;
	uint8_t hdr[RTP_HDR_MIN];
	uint32_t ssrc;
	uint16_t seq;
	bool pt_ok, from_sig;
	int i, b;

	for (i = 0; i < RTP_HDR_MIN; i++) {
		if ((b = take(fs)) < 0)
			return;
		hdr[i] = (uint8_t)b;
	}
	/* Version 2, no padding, extension or CSRCs; no marker, so never RTCP. */
	hdr[0] = 0x80;
	hdr[1] &= 0x7f;
	ssrc = pick_ssrc(fs, src_i, (unsigned)sel, rd_be32(hdr + 8));
	seq = pick_seq(fs, ssrc, ((unsigned)sel >> 2) & 7, rd_be16(hdr + 2));
	hdr[2] = (uint8_t)(seq >> 8);
	hdr[3] = (uint8_t)seq;
	hdr[8] = (uint8_t)(ssrc >> 24);
	hdr[9] = (uint8_t)(ssrc >> 16);
	hdr[10] = (uint8_t)(ssrc >> 8);
	hdr[11] = (uint8_t)ssrc;
	FUZZ_CHECK(rtp_classify(hdr, sizeof(hdr), &ri) == PKT_RTP);
	FUZZ_CHECK(ri.ssrc == ssrc && ri.seq == seq);
	fs->last_ssrc[src_i] = ssrc;
	seq_note(fs, ssrc, seq);
	pt_ok = (sel & 0xe0) != 0xe0;
	from_sig = addr_is_set(&fs->signalled) && !addr_is_any(&fs->signalled) &&
	    addr_same_ip(src, &fs->signalled);

	d = latch_on_rtp(l, &ri, pt_ok, src, fs->now);
	if (trace)
		fprintf(stderr, "t=%llu rtp %s ssrc=%08x seq=%u pt_ok=%d -> "
		    "verdict=%d reason=%s evidence=%s trust=%d\n",
		    (unsigned long long)(fs->now - T0), addr_text[src_i],
		    ssrc, seq, pt_ok, d.verdict,
		    latch_drop_reason_name(d.reason),
		    latch_evidence_name(d.evidence), l->trust);

	if (!pt_ok)
		FUZZ_CHECK(d.verdict == LATCH_DROP && d.reason == DROP_PT);
	FUZZ_CHECK(book_apply(fs, &d, src_i) == d.ndiscarded);
	switch (d.verdict) {
	case LATCH_HOLD:
		FUZZ_CHECK(!l->asymmetric && l->policy != LATCH_OFF);
		/* Blind: only a stream an attacker itself got adopted. */
		FUZZ_CHECK(src_i < NPARTY || (l->stream.ssrc & ATTACKER_BIT));
		FUZZ_CHECK(l->trust == old_trust);
		FUZZ_CHECK(old_trust == TRUST_NONE ||
		    addr_equal(&l->peer, &old_peer));
		FUZZ_CHECK(!addr_equal(src, &old_peer) || old_trust == TRUST_NONE);
		break;
	case LATCH_DROP:
		FUZZ_CHECK(d.reason > DROP_NONE && d.reason < DROP_REASON_MAX);
		fs->drops[d.reason]++;
		FUZZ_CHECK(l->trust == old_trust);
		FUZZ_CHECK(old_trust == TRUST_NONE ||
		    addr_equal(&l->peer, &old_peer));
		if (l->asymmetric && pt_ok)
			FUZZ_CHECK(!from_sig && d.reason == DROP_ASYMMETRIC);
		break;
	case LATCH_FORWARD:
		FUZZ_CHECK(d.reason == DROP_NONE);
		FUZZ_CHECK(l->trust >= old_trust);
		FUZZ_CHECK(old_trust == TRUST_NONE ||
		    addr_equal(&l->peer, &old_peer));
		if (l->asymmetric)
			FUZZ_CHECK(from_sig);
		else {
			FUZZ_CHECK(old_trust != TRUST_NONE);
			FUZZ_CHECK(addr_equal(src, &old_peer));
		}
		break;
	case LATCH_SWITCHED:
		FUZZ_CHECK(!l->asymmetric);
		FUZZ_CHECK(addr_equal(&l->peer, src));
		if (old_trust == TRUST_NONE)
			FUZZ_CHECK(!addr_is_set(&d.old_peer));
		else
			FUZZ_CHECK(addr_equal(&d.old_peer, &old_peer));
		switch (d.evidence) {
		case EVIDENCE_SIGNALLED:
			FUZZ_CHECK(from_sig);
			FUZZ_CHECK(old_trust == TRUST_SIGNALLED ||
			    old_trust == TRUST_WEAK);
			break;
		case EVIDENCE_STRONG:
		case EVIDENCE_RESUMED:
			FUZZ_CHECK(l->policy >= LATCH_SSRC);
			break;
		case EVIDENCE_WEAK:
			FUZZ_CHECK(old_trust == TRUST_NONE ||
			    l->policy == LATCH_PROBATION);
			break;
		default:
			FUZZ_CHECK(!"switch without evidence");
		}
		FUZZ_CHECK(l->trust == (d.evidence == EVIDENCE_WEAK ?
		    TRUST_WEAK : TRUST_STRONG));
		/* Packet evidence is rate limited; signalling is not. */
		if ((d.evidence == EVIDENCE_STRONG ||
		    (d.evidence == EVIDENCE_WEAK &&
		    l->policy == LATCH_PROBATION)) && fs->switched_once)
			FUZZ_CHECK(fs->now - fs->last_switch >=
			    fs->cfg.min_switch_interval_ms);
		fs->switches++;
		fs->switched_once = true;
		fs->last_switch = fs->now;
		latch_rtcp_follow(&fs->r, l);
		break;
	default:
		FUZZ_CHECK(!"unknown verdict");
	}

	/*
	 * The signalled IP answered, or the party proved its verified
	 * stream from elsewhere: the race latch.h speaks of is over.
	 */
	if (d.verdict != LATCH_DROP && from_sig)
		fs->pending = false;
	if (d.verdict == LATCH_SWITCHED && src_i < NPARTY &&
	    l->trust == TRUST_STRONG)
		fs->pending = false;
}

static void
ev_rtcp(struct fuzz_state *fs, unsigned src_i, int sel)
{
	const struct latch *l = &fs->l;
	const struct addr *src = &fs->addrs[src_i];
	const struct addr *dst = latch_destination(l);
	struct addr old_peer = fs->r.peer;
	bool ok, was_confirmed = fs->r.confirmed;
	uint32_t ssrc;

	ssrc = pick_ssrc(fs, src_i, (unsigned)sel, SSRC_A ^ (uint32_t)sel);
	ok = latch_rtcp_on_packet(&fs->r, l, ssrc, src);
	if (trace)
		fprintf(stderr, "t=%llu rtcp %s ssrc=%08x -> %d\n",
		    (unsigned long long)(fs->now - T0), addr_text[src_i],
		    ssrc, ok);
	if (!ok) {
		fs->rtcp_drops++;
		FUZZ_CHECK(addr_equal(&fs->r.peer, &old_peer) ||
		    !addr_is_set(&old_peer));
		FUZZ_CHECK(fs->r.confirmed == was_confirmed);
		return;
	}
	if (l->asymmetric) {
		FUZZ_CHECK(addr_is_set(&fs->signalled) &&
		    addr_same_ip(src, &fs->signalled));
		return;
	}
	FUZZ_CHECK(dst != NULL && addr_same_ip(src, dst));
	FUZZ_CHECK(fs->r.confirmed && addr_equal(&fs->r.peer, src));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state fs;
	unsigned i, src;
	int op, dt, sel, h0, h1, h2;

	if (trace < 0)
		trace = getenv("FUZZ_LATCH_TRACE") != NULL;
	if (size < 3)
		return 0;
	memset(&fs, 0, sizeof(fs));
	for (i = 0; i <= NADDR; i++)
		FUZZ_CHECK(addr_parse_hostport(&fs.addrs[i], addr_text[i], 0,
		    AF_UNSPEC) == 0);
	fs.p = data;
	fs.end = data + size;
	fs.now = T0;

	h0 = take(&fs);
	h1 = take(&fs);
	h2 = take(&fs);
	latch_config_default(&fs.cfg);
	/* Any configuration must keep the promises; zeroes included. */
	if (h1 != 0 || h2 != 0) {
		fs.cfg.strong_count = (unsigned)h1 & 3;
		fs.cfg.busy_count = ((unsigned)h1 >> 2) & 15;
		fs.cfg.probation_count = (unsigned)h2 & 15;
		fs.cfg.guard_ms = (uint32_t)(((unsigned)h2 >> 4) & 7) * 50;
		fs.cfg.ptime_ms = ((unsigned)h1 >> 6) * 10;
		fs.cfg.seq_slack = (uint32_t)((unsigned)h2 >> 7) * 50;
		fs.cfg.min_switch_interval_ms = (uint32_t)(h0 >> 5) * 250;
		fs.cfg.max_switches_per_min = (unsigned)h0 >> 5;
		fs.cfg.hold_count = (unsigned)(h1 + h2) % (LATCH_HOLD_SLOTS + 1);
	}
	latch_init(&fs.l, &fs.cfg, (enum latch_policy)(h0 % 3),
	    (h0 & 0x1c) == 0x1c);
	latch_rtcp_init(&fs.r);
	check_state(&fs);

	while ((op = take(&fs)) >= 0 && (dt = take(&fs)) >= 0) {
		fs.now += time_step(dt);
		src = ((unsigned)op >> 2) % NADDR;
		switch (op & 3) {
		case EV_RTP:
		case EV_RTP2:
			if ((sel = take(&fs)) < 0)
				return 0;
			ev_rtp(&fs, src, sel);
			break;
		case EV_SIGNAL:
			/* The party's addresses, or hold. */
			src = ((unsigned)op >> 2) % (NPARTY + 1);
			if (src == NPARTY)
				src = HOLD;
			if (trace)
				fprintf(stderr, "t=%llu signal %s\n",
				    (unsigned long long)(fs.now - T0),
				    addr_text[src]);
			ev_signal(&fs, src);
			break;
		case EV_RTCP:
			if ((sel = take(&fs)) < 0)
				return 0;
			ev_rtcp(&fs, src, sel);
			break;
		}
		check_state(&fs);
	}
	return 0;
}
