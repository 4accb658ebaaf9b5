/*
 * test_latch_save.c - a leg's latch saved before a crash and restored
 * after it must be exactly as strict as before: latched to the same peer,
 * with its stream, its switch budget, and no head start for an attacker.
 *
 * Each row builds a latch the way a call would (signalling, packets),
 * saves it, restores it RESTART_MS later, and then replays packets
 * against the restored latch. Addresses as in test_latch.c: 127.0.0.1 the
 * phone, 127.0.0.2 where it moved, 127.0.0.66 an attacker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "media/latch.h"

#define PHONE	"127.0.0.1:4000"
#define MOVED	"127.0.0.2:5000"
#define ATT	"127.0.0.66:7000"
#define SSRC	0x1111aaaau
#define SSRC_X	0x6666deadu
#define T0	100000u		/* monotonic ms the call starts at */
#define RESTART_MS 3000u	/* the relay was away this long */

static struct latch_config cfg;

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse_hostport(&a, s, 0, AF_INET), 0);
	return a;
}

static bool
is_peer(const struct latch *l, const char *s)
{
	struct addr a = A(s);

	return addr_equal(&l->peer, &a);
}

static struct latch_decision
pkt(struct latch *l, const char *src, uint32_t ssrc, uint16_t seq, uint64_t t)
{
	struct rtp_info p;
	struct addr a = A(src);

	memset(&p, 0, sizeof(p));
	p.kind = PKT_RTP;
	p.ssrc = ssrc;
	p.seq = seq;
	return latch_on_rtp(l, &p, true, &a, t);
}

/* A call whose phone talked for a second at PHONE: latched, strong. */
static void
talking_call(struct latch *l, struct latch_rtcp *r)
{
	struct addr sig = A(PHONE);
	unsigned i;

	latch_init(l, &cfg, LATCH_PROBATION, false);
	latch_rtcp_init(r);
	latch_on_signal(l, &sig, T0);
	latch_rtcp_follow(r, l);
	for (i = 0; i < 50; i++)
		assert_int_equal(pkt(l, PHONE, SSRC, (uint16_t)(100 + i), T0 + 20 * i).verdict,
		    LATCH_FORWARD);
	assert_int_equal(l->trust, TRUST_STRONG);
}

/* Save, then restore `gap` ms after the last packet. */
static uint64_t
crash(struct latch *l, struct latch_rtcp *r, uint64_t gap)
{
	struct latch_saved s;
	uint64_t now = T0 + 20 * 49 + gap;

	latch_save(l, r, &s);
	memset(l, 0xa5, sizeof(*l));	/* nothing survives but the saved state */
	memset(r, 0xa5, sizeof(*r));
	latch_restore(l, r, &cfg, &s, now);
	return now;
}

static void
test_latched_leg_comes_back_latched(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	uint64_t now;

	(void)state;
	talking_call(&l, &r);
	now = crash(&l, &r, RESTART_MS);
	assert_int_equal(l.trust, TRUST_STRONG);
	assert_true(is_peer(&l, PHONE));
	assert_true(l.rooted && l.ever_verified);
	assert_true(l.stream.known);
	assert_int_equal(l.stream.ssrc, SSRC);
	assert_int_equal(l.stream.max_seq, 149);
	assert_int_equal(l.stream.last_ms, now);
	assert_int_equal(l.cfg, &cfg);
	assert_int_equal(addr_port(&r.peer), 4001);
	/* The phone's next packets pass at once: no learning window. */
	assert_int_equal(pkt(&l, PHONE, SSRC, 300, now + 1).verdict, LATCH_FORWARD);
}

static void
test_sprayer_gets_nothing_after_restore(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	uint64_t now;
	unsigned i;

	(void)state;
	talking_call(&l, &r);
	now = crash(&l, &r, RESTART_MS);
	for (i = 0; i < 200; i++) {
		/* The attacker: consecutive sequence numbers, new SSRC, fast. */
		assert_int_equal(pkt(&l, ATT, SSRC_X, (uint16_t)i, now + 5 * i).verdict,
		    LATCH_DROP);
		/* The phone resumes and keeps talking. */
		if (i % 4 == 0)
			assert_int_equal(pkt(&l, PHONE, SSRC, (uint16_t)(300 + i / 4),
			    now + 5 * i).verdict, LATCH_FORWARD);
	}
	assert_true(is_peer(&l, PHONE));
}

/*
 * The phone's last packet is long past (its stream time was saved before
 * the crash), but the guard runs from the restore: an attacker cannot use
 * the restart gap as the peer's silence. More than probation_count
 * consecutive packets inside guard_ms of the restore all fail; with the
 * saved time they would have won.
 */
static void
test_restart_gap_is_no_silence(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	uint64_t now;
	unsigned i;

	(void)state;
	talking_call(&l, &r);
	now = crash(&l, &r, 60000);
	for (i = 0; 15 * i < cfg.guard_ms; i++)
		assert_int_equal(pkt(&l, ATT, SSRC_X, (uint16_t)i, now + 15 * i).verdict,
		    LATCH_DROP);
	assert_true(i > cfg.probation_count);
	assert_true(is_peer(&l, PHONE));
}

/* A phone that really moves after the restart still switches on strong evidence. */
static void
test_strong_move_after_restore(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	struct latch_decision d;
	uint64_t now;

	(void)state;
	talking_call(&l, &r);
	now = crash(&l, &r, RESTART_MS);
	/* The first strong packet is held as evidence (released if it wins). */
	assert_int_equal(pkt(&l, MOVED, SSRC, 152, now + 20).verdict, LATCH_HOLD);
	d = pkt(&l, MOVED, SSRC, 153, now + 40);
	assert_int_equal(d.verdict, LATCH_SWITCHED);
	assert_int_equal(d.evidence, EVIDENCE_STRONG);
	assert_true(is_peer(&l, MOVED));
	assert_int_equal(l.switches, 1);
}

/* The per-minute switch budget spent before the crash stays spent. */
static void
test_switch_budget_survives(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	uint64_t now;

	(void)state;
	talking_call(&l, &r);
	l.window_switches = cfg.max_switches_per_min;
	l.window_start_ms = l.last_switch_ms = T0 + 900;
	l.switches = cfg.max_switches_per_min;
	now = crash(&l, &r, RESTART_MS);
	assert_int_equal(l.switches, cfg.max_switches_per_min);
	/* The first strong packet is held as evidence (released if it wins). */
	assert_int_equal(pkt(&l, MOVED, SSRC, 152, now + 20).verdict, LATCH_HOLD);
	assert_int_equal(pkt(&l, MOVED, SSRC, 153, now + 40).reason, DROP_RATE_LIMIT);
	assert_true(is_peer(&l, PHONE));
}

/* Times from another clock (ahead of ours) count as now, not as the future. */
static void
test_future_times_count_as_now(void **state)
{
	struct latch_saved s;
	struct latch l;
	struct latch_rtcp r;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.policy = LATCH_SSRC;
	s.trust = TRUST_STRONG;
	s.peer = A(PHONE);
	s.last_switch_ms = s.window_start_ms = 999999999;
	s.window_switches = 1;
	latch_restore(&l, &r, &cfg, &s, 5000);
	assert_int_equal(l.last_switch_ms, 5000);
	assert_int_equal(l.window_start_ms, 5000);
	assert_int_equal(l.policy, LATCH_SSRC);
	/* No confirmed RTCP port saved: RTCP follows RTP to port + 1. */
	assert_int_equal(addr_port(&r.peer), 4001);
	assert_false(r.confirmed);
}

/* A leg that had only its signalled address verifies it as before. */
static void
test_signalled_leg_still_verifies(void **state)
{
	struct latch l;
	struct latch_rtcp r;
	struct latch_saved s;
	struct addr sig = A(PHONE);

	(void)state;
	latch_init(&l, &cfg, LATCH_PROBATION, false);
	latch_rtcp_init(&r);
	latch_on_signal(&l, &sig, T0);
	latch_rtcp_follow(&r, &l);
	latch_save(&l, &r, &s);
	latch_restore(&l, &r, &cfg, &s, T0 + RESTART_MS);
	assert_int_equal(l.trust, TRUST_SIGNALLED);
	assert_int_equal(pkt(&l, ATT, SSRC_X, 1, T0 + RESTART_MS + 10).verdict, LATCH_DROP);
	assert_int_equal(pkt(&l, PHONE, SSRC, 1, T0 + RESTART_MS + 20).verdict,
	    LATCH_FORWARD);
	assert_int_equal(l.trust, TRUST_STRONG);
}

static int
setup(void **state)
{
	(void)state;
	latch_config_default(&cfg);
	cfg.policy = LATCH_PROBATION;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_latched_leg_comes_back_latched),
		cmocka_unit_test(test_sprayer_gets_nothing_after_restore),
		cmocka_unit_test(test_restart_gap_is_no_silence),
		cmocka_unit_test(test_strong_move_after_restore),
		cmocka_unit_test(test_switch_budget_survives),
		cmocka_unit_test(test_future_times_count_as_now),
		cmocka_unit_test(test_signalled_leg_still_verifies),
	};

	return cmocka_run_group_tests(t, setup, NULL);
}
