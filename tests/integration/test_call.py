"""A call through the real relay: phones on 127.0.0.2 (caller, A) and
127.0.0.3 (callee, B) sending RTP both ways, RTCP, statistics, NAT latching
and re-offers."""

import pytest

import socket

from rtpp import (collect, exchange_media, free_port, is_rtcp, make_call, metrics, parse_info,
                  parse_port_reply, parse_rtp, poll_until, ports_closed)

N = 50


def q_fields(ctl, query):
    reply = ctl(query)
    fields = reply.split()
    assert fields and all(f.isdigit() for f in fields), "%s answered %r" % (query, reply)
    return [int(f) for f in fields]


def assert_delivered(got, sender, src, n, what):
    """`got` holds exactly the sender's last n packets, intact, in order,
    every one from the relay address `src`."""
    assert len(got) == n, "%s: %d of %d delivered" % (what, len(got), n)
    bad_src = [s for _, s in got if s != src]
    assert not bad_src, "%s: %d packets came from %s, not from the relay port %s" % (
        what, len(bad_src), bad_src[0], src)
    for data, _ in got:
        p = parse_rtp(data)
        assert p is not None and p["ssrc"] == sender.ssrc, "%s: foreign packet %r" % (what, data[:16])
    payloads = [parse_rtp(d)["payload"] for d, _ in got]
    assert payloads == sender.sent_payloads[-n:], "%s: payloads altered or reordered" % what


def test_call_both_ways(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "call-both-ways@test", a, b)
    for p in (call.a_port, call.b_port):
        assert p % 2 == 0 and daemon.port_min <= p < daemon.port_max, \
            "port %d not even or outside %d..%d" % (p, daemon.port_min, daemon.port_max)
    assert call.a_port != call.b_port

    got_b, got_a = exchange_media(a, call.a_dst, b, call.b_dst, count=N)
    # Symmetric: each phone hears the other from the very port it sends to.
    assert_delivered(got_b, a, call.b_dst, N, "A->B")
    assert_delivered(got_a, b, call.a_dst, N, "B->A")

    # RTCP sender reports both ways, on RTP port + 1.
    sr_a = a.send_rtcp_sr(call.a_rtcp)
    sr_b = b.send_rtcp_sr(call.b_rtcp)
    rb = b.recv(1, rtcp=True)
    ra = a.recv(1, rtcp=True)
    assert [d for d, _ in rb] == [sr_a], "B's RTCP socket got %r" % rb
    assert [s for _, s in rb] == [call.b_rtcp], "RTCP to B came from %r" % rb
    assert [d for d, _ in ra] == [sr_b], "A's RTCP socket got %r" % ra
    assert [s for _, s in ra] == [call.a_rtcp], "RTCP to A came from %r" % ra
    assert all(is_rtcp(d) for d, _ in ra + rb)

    # Q: ttl npkts_ina npkts_ino nrelayed ndropped (RTP + RTCP per side).
    q = "Q %s ft;1 tt" % call.callid
    want = [N + 1, N + 1, 2 * N + 2, 0]
    vals = poll_until(lambda: q_fields(ctl, q), lambda v: v[1:] == want)
    assert vals[1:] == want, "Q says in_a/in_o/relayed/dropped %r, expected %r" % (vals[1:], want)
    assert 0 < vals[0] <= 60, "ttl %d" % vals[0]
    # Asked from B's side, the first two swap places.
    q_b = q_fields(ctl, "Q %s tt;1 ft" % call.callid)
    assert q_b[1:3] == [N + 1, N + 1]

    # Named, verbose fields.
    assert ctl("Qv %s ft;1 tt ttl npkts_ina" % call.callid) in (
        "ttl=%d npkts_ina=%d" % (t, N + 1) for t in (vals[0], vals[0] - 1))
    assert ctl("Q %s ft;1 tt nrelayed ndropped" % call.callid) == "%d 0" % (2 * N + 2)

    info = parse_info(ctl("I"))
    assert info["active sessions"] == 1, info
    assert info["sessions created"] == 1, info
    assert info["packets received"] == 2 * N + 2, info
    assert info["packets transmitted"] == 2 * N + 2, info
    assert info["packets dropped"] == 0, info

    # Nothing else arrived anywhere.
    extra_a, extra_b = a.drain(), b.drain()
    assert extra_a == ([], []) and extra_b == ([], []), "leaked: %r %r" % (extra_a, extra_b)


def test_nat_latching_same_ip_other_port(daemon, phones):
    """B's SDP says 127.0.0.3:X but B really sends from 127.0.0.3:Y (its NAT
    mapping): the relay adopts Y at B's first packet."""
    ctl = daemon.ctl
    a = phones("127.0.0.2", name="A")
    sdp_b = phones("127.0.0.3", name="B-sdp")     # port X: only a listener
    b = phones("127.0.0.3", name="B-nat")         # port Y: the real phone
    call = make_call(ctl, "nat@test", a, sdp_b)

    # Before B has sent anything, the signalled port is all the relay knows.
    a.send_rtp(call.a_dst, 5, 0.002)
    early = sdp_b.recv(5)
    assert len(early) == 5, "before latching, %d of 5 went to the signalled port" % len(early)

    # B's first packet from Y moves B's destination at once.
    b.send_rtp(call.b_dst, 1)
    first = a.recv(1)
    assert len(first) == 1, "B's first packet from its NAT port was not relayed"
    got_b, got_a = exchange_media(a, call.a_dst, b, call.b_dst, count=20)
    assert_delivered(got_b, a, call.b_dst, 20, "A->B after latching")
    assert len(got_a) == 20, "B->A: %d of 20" % len(got_a)
    leaked = sdp_b.drain()
    assert leaked == ([], []), "%d packets still went to the SDP port" % len(leaked[0])
    assert ctl("Qv nat@test ft;1 tt handovers_a handovers_o") == "handovers_a=0 handovers_o=1"

    # RTCP goes to the learned IP at port + 1 of the learned port.
    b.send_rtcp_sr(call.b_rtcp)
    a.send_rtcp_sr(call.a_rtcp)
    assert len(b.recv(1, rtcp=True)) == 1, "RTCP to B did not follow the latched port"
    assert len(a.recv(1, rtcp=True)) == 1
    assert sdp_b.drain() == ([], [])


def test_reoffer_same_tags_keeps_ports(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "reoffer@test", a, b)
    before = parse_info(ctl("I"))

    # Re-offer from the caller (same tags, with and without the to-tag).
    for cmd in ("Uc0,101 reoffer@test 127.0.0.2 %d ft;1" % a.port,
                "Uc0,101 reoffer@test 127.0.0.2 %d ft;1 tt;1" % a.port):
        port, _, _ = parse_port_reply(ctl(cmd))
        assert port == call.b_port, "%r moved B's port %d -> %d" % (cmd, call.b_port, port)
    # The answer again.
    port, _, _ = parse_port_reply(ctl("Lc0,101 reoffer@test 127.0.0.3 %d ft;1 tt;1" % b.port))
    assert port == call.a_port

    after = parse_info(ctl("I"))
    assert after["active sessions"] == before["active sessions"] == 1, (before, after)
    assert after["sessions created"] == before["sessions created"] == 1, (before, after)
    got_b, got_a = exchange_media(a, call.a_dst, b, call.b_dst, count=20)
    assert len(got_b) == 20 and len(got_a) == 20, "after re-offer: %d/%d of 20" % (
        len(got_b), len(got_a))


def test_reinvite_from_callee_moves_destination(daemon, phones):
    """A re-INVITE from the callee (`U callid B-addr PORT2 ttag;1 ftag;1`)
    answers with the caller-facing port and moves B's leg to PORT2 - as long
    as B's media has not latched the leg yet."""
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    b2 = phones("127.0.0.3", name="B2")
    call = make_call(ctl, "reinvite@test", a, b)

    port, addr, _ = parse_port_reply(ctl("Uc0 reinvite@test 127.0.0.3 %d tt;1 ft;1" % b2.port))
    assert port == call.a_port, "callee's re-INVITE answered %d, caller-facing port is %d" % (
        port, call.a_port)
    assert addr == "127.0.0.1"
    assert parse_info(ctl("I"))["active sessions"] == 1

    a.send_rtp(call.a_dst, 20, 0.002)
    got = b2.recv(20)
    assert_delivered(got, a, call.b_dst, 20, "A->B2 after the re-INVITE")
    assert b.drain() == ([], []), "the old B port still received media"
    # B2 sends from the new port; A hears it.
    b2.send_rtp(call.b_dst, 20, 0.002)
    assert len(a.recv(20)) == 20


def test_reinvite_same_ip_after_latching_keeps_learned_port(daemon, phones):
    """Documented latch rule (latch.h, latch_on_signal): once B's media has
    latched the leg, a re-offer with B's IP and another port keeps the
    learned port (the SDP port of a NATed phone is not its mapping). The
    new port takes over as soon as B sends from it with its own stream."""
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    b2 = phones("127.0.0.3", name="B2", ssrc=b.ssrc)
    call = make_call(ctl, "relatch@test", a, b)
    got_b, got_a = exchange_media(a, call.a_dst, b, call.b_dst, count=10)
    assert len(got_b) == 10 and len(got_a) == 10

    port, _, _ = parse_port_reply(ctl("Uc0 relatch@test 127.0.0.3 %d tt;1 ft;1" % b2.port))
    assert port == call.a_port
    a.send_rtp(call.a_dst, 5, 0.002)
    assert len(b.recv(5)) == 5, "the latched port lost media before B moved"
    assert b2.drain() == ([], [])

    # B moves: the same stream continues from the new port.
    b2.seq, b2.ts = b.seq, b.ts
    first = b2.seq
    b2.send_rtp(call.b_dst, 5, 0.005)
    # The first packet is held as evidence; the second (--switch-packets 2)
    # switches the leg, and goes on right after the held one: none lost.
    got = a.recv(5)
    seqs = [parse_rtp(d)["seq"] for d, _ in got]
    assert seqs == [(first + i) & 0xffff for i in range(5)], \
        "B's continued stream from its new port: relayed %r" % seqs
    assert ctl("Qv relatch@test ft;1 tt handovers_o") == "handovers_o=1"
    a.send_rtp(call.a_dst, 20, 0.002)
    assert len(b2.recv(20)) == 20, "media did not follow B to its new port"
    assert b.drain() == ([], [])


def test_several_media_lines(daemon, phones):
    ctl = daemon.ctl
    a1, b1 = phones("127.0.0.2", name="A1"), phones("127.0.0.3", name="B1")
    a2, b2 = phones("127.0.0.2", name="A2"), phones("127.0.0.3", name="B2")
    m1 = make_call(ctl, "two-media@test", a1, b1, media=1)
    m2 = make_call(ctl, "two-media@test", a2, b2, media=2)
    ports = {m1.a_port, m1.b_port, m2.a_port, m2.b_port}
    assert len(ports) == 4, "media ;1 and ;2 share ports: %r" % ports
    info = parse_info(ctl("I"))
    assert info["active sessions"] == 1 and info["active streams"] == 8, info

    for m, a, b in ((m1, a1, b1), (m2, a2, b2)):
        got_b, got_a = exchange_media(a, m.a_dst, b, m.b_dst, count=20)
        assert_delivered(got_b, a, m.b_dst, 20, "%s->%s" % (a.name, b.name))
        assert_delivered(got_a, b, m.a_dst, 20, "%s->%s" % (b.name, a.name))
    for p in (a1, b1, a2, b2):
        assert p.drain() == ([], []), "cross-talk between media lines at %r" % p

    # Bare tags delete both media lines.
    assert ctl("D two-media@test ft tt") == "0"
    assert ctl("Q two-media@test ft;1 tt") == "E50"
    assert ctl("Q two-media@test ft;2 tt") == "E50"
    assert ctl("L two-media@test 127.0.0.3 %d ft;1 tt;1" % b1.port) == "0"
    assert ctl("D two-media@test ft tt") == "E50"
    info = parse_info(ctl("I"))
    assert info["active sessions"] == 0 and info["active streams"] == 0, info


def test_deleted_call_relays_nothing_and_ports_come_back(rtproam, phones):
    d = rtproam(nports=8)          # 4 pairs: exactly 2 calls
    ctl = d.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    c1 = make_call(ctl, "del-1@test", a, b)
    c2 = make_call(ctl, "del-2@test", a, b, ftag="ft2", ttag="tt2")
    used = sorted([c1.a_port, c1.b_port, c2.a_port, c2.b_port])
    assert used == list(range(d.port_min, d.port_max, 2)), "pairs %r in %d..%d" % (
        used, d.port_min, d.port_max)
    got_b, got_a = exchange_media(a, c1.a_dst, b, c1.b_dst, count=10)
    assert len(got_b) == 10 and len(got_a) == 10

    assert ctl("D del-1@test ft tt") == "0"
    assert ctl("D del-2@test ft2 tt2") == "0"
    # Packets to the old ports go nowhere, RTP and RTCP, and hurt nothing.
    for _ in range(10):
        a.send_rtp(c1.a_dst)
        b.send_rtp(c1.b_dst)
        a.send_rtcp_sr(c1.a_rtcp)
        b.send_rtcp_sr(c1.b_rtcp)
    leaked = a.drain() + b.drain()
    assert all(x == [] for x in leaked), "a deleted call still relays: %r" % (leaked,)
    assert ctl("V") == "20040107"
    assert ports_closed(range(d.port_min, d.port_max + 1)) == [], \
        "sockets of deleted calls still open"

    # The whole range is free again: two new calls fit and relay.
    c3 = make_call(ctl, "del-3@test", a, b)
    c4 = make_call(ctl, "del-4@test", a, b, ftag="ft4", ttag="tt4")
    again = sorted([c3.a_port, c3.b_port, c4.a_port, c4.b_port])
    assert again == used, "ports after delete %r, before %r" % (again, used)
    got_b, got_a = exchange_media(a, c4.a_dst, b, c4.b_dst, count=10)
    assert len(got_b) == 10 and len(got_a) == 10, "reused ports relay %d/%d of 10" % (
        len(got_b), len(got_a))


def refused(mport):
    m = metrics(mport)
    return {r: m['rtproam_calls_refused_total{reason="%s"}' % r]
            for r in ("no-ports", "no-sockets", "max-calls")}


def test_port_exhaustion(rtproam, phones):
    mport = free_port(socket.SOCK_STREAM)
    d = rtproam("--metrics", "127.0.0.1:%d" % mport, nports=8)  # 4 pairs = 2 calls
    ctl = d.ctl
    a1, b1 = phones("127.0.0.2", name="A1"), phones("127.0.0.3", name="B1")
    a2, b2 = phones("127.0.0.2", name="A2"), phones("127.0.0.3", name="B2")
    a3, b3 = phones("127.0.0.2", name="A3"), phones("127.0.0.3", name="B3")
    c1 = make_call(ctl, "full-1@test", a1, b1)
    c2 = make_call(ctl, "full-2@test", a2, b2)

    assert ctl("U full-3@test 127.0.0.2 %d ft;1" % a3.port) == "E7", \
        "third call in a 2-call range was not refused with E7"
    # A new media line on an existing call has no ports either.
    assert ctl("U full-1@test 127.0.0.2 %d ft;2" % a3.port) == "E7"
    assert ctl("Q full-3@test ft;1") == "E50", "the refused call left a session behind"
    info = parse_info(ctl("I"))
    assert info["active sessions"] == 2, info
    assert refused(mport) == {"no-ports": 2, "no-sockets": 0, "max-calls": 0}

    for c, a, b in ((c1, a1, b1), (c2, a2, b2)):
        got_b, got_a = exchange_media(a, c.a_dst, b, c.b_dst, count=20)
        assert len(got_b) == 20 and len(got_a) == 20, \
            "%s relays %d/%d of 20 while the range is full" % (c.callid, len(got_b), len(got_a))

    assert ctl("D full-1@test ft tt") == "0"
    # The relay thread closes the sockets a moment after D: wait for that,
    # not for a time.
    freed = [c1.a_port, c1.a_port + 1, c1.b_port, c1.b_port + 1]
    assert ports_closed(freed) == [], "ports of the deleted call still open"
    c3 = make_call(ctl, "full-3@test", a3, b3)
    got_b, got_a = exchange_media(a3, c3.a_dst, b3, c3.b_dst, count=20)
    assert len(got_b) == 20 and len(got_a) == 20
    got_b, got_a = exchange_media(a2, c2.a_dst, b2, c2.b_dst, count=20)
    assert len(got_b) == 20 and len(got_a) == 20



def test_descriptor_limit_smaller_than_the_port_range(rtproam, phones):
    """Started with fewer descriptors than its port range needs (and no right
    to raise the hard limit), the relay says so at start, refuses the calls
    it cannot open with E7 as for a full range, without sweeping the whole
    range on each refusal, and keeps relaying the calls it holds."""
    mport = free_port(socket.SOCK_STREAM)
    d = rtproam("--metrics", "127.0.0.1:%d" % mport, nports=200, nofile=120)
    want = 200 + 64
    log = d.log.read_text()
    if "file limit %d:" % want in log:
        # Root with CAP_SYS_RESOURCE: the relay raised its own hard limit.
        return
    assert "file limit 120: room for about 14 calls, though the port range has room " \
        "for 50" in log, log
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    first = make_call(d.ctl, "fd-0@test", a, b)
    held, replies = 1, []
    for i in range(1, 40):      # 40 calls of 4 sockets cannot fit in 120
        r = d.ctl("U fd-%d@test 127.0.0.2 %d ft;1" % (i, 4000 + 2 * i))
        replies.append(r)
        if r == "E7":
            break
        parse_port_reply(r)
        held += 1
    assert replies[-1] == "E7", "no E7 after %d calls with 120 descriptors" % held
    assert 10 <= held <= 28, held
    assert d.ctl("U fd-x@test 127.0.0.2 5000 ft;1") == "E7"
    assert poll_until(lambda: d.log.read_text(), lambda t: "Too many open files" in t,
                      timeout=2.0), "no log line says why calls are refused"
    assert refused(mport) == {"no-ports": 0, "no-sockets": 2, "max-calls": 0}
    got_b, got_a = exchange_media(a, first.a_dst, b, first.b_dst, count=20)
    assert len(got_b) == 20 and len(got_a) == 20, \
        "a held call relays %d/%d of 20 while descriptors are exhausted" % (
            len(got_b), len(got_a))
    # Descriptors come back with D.
    assert d.ctl("D fd-1@test ft") == "0"
    parse_port_reply(d.ctl("U fd-y@test 127.0.0.2 5002 ft;1"))

def test_callee_media_before_the_answer(daemon, phones):
    """B learns the relay port from the forwarded INVITE and may send before
    its answer reaches the relay (no L yet, so B's leg has no address). With
    the default `probation` policy a handful of packets from an unknown
    source is not enough to adopt it: they are dropped and counted. Once L
    names B, B's media flows."""
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    b_port, _, _ = parse_port_reply(ctl("Uc0 early@test 127.0.0.2 %d ft;1" % a.port))
    b.send_rtp(("127.0.0.1", b_port), 5, 0.002)
    assert collect(a.rtp, 5, 0.3) == [], "unverified early packets were relayed"
    vals = poll_until(lambda: q_fields(ctl, "Q early@test ft;1"), lambda v: v[4] == 5)
    assert vals[2] == 5 and vals[4] == 5, "Q after 5 early packets from B: %r" % vals

    a_port, _, _ = parse_port_reply(ctl("Lc0 early@test 127.0.0.3 %d ft;1 tt;1" % b.port))
    got_b, got_a = exchange_media(a, ("127.0.0.1", a_port), b, ("127.0.0.1", b_port), count=20)
    assert len(got_b) == 20 and len(got_a) == 20, "after the answer: %d/%d of 20" % (
        len(got_b), len(got_a))


def test_ports_reusable_right_after_delete(rtproam):
    """D frees the pair in the allocator at once, but the sockets are closed
    later by the relay thread: a U arriving in between cannot bind the
    ports and, in a full range, is refused although the range is free."""
    d = rtproam(nports=8)
    ctl = d.ctl
    refused = []
    for i in range(300):
        replies = [ctl("U again-%d@test 127.0.0.2 4000 ft;1" % i),
                   ctl("U again-%d@test 127.0.0.2 4000 ft;2" % i)]
        if "E7" in replies:
            refused.append((i, replies))
        assert ctl("D again-%d@test ft" % i) in ("0", "E50")
        if refused:
            break
    assert not refused, "iteration %d: U right after D of the call holding the range " \
        "answered %r" % refused[0]


def test_refused_call_is_not_counted_as_created(rtproam):
    d = rtproam(nports=4)           # one call
    ctl = d.ctl
    parse_port_reply(ctl("U only@test 127.0.0.2 4000 ft;1"))
    assert ctl("U refused@test 127.0.0.2 4000 ft;1") == "E7"
    info = parse_info(ctl("I"))
    assert info["active sessions"] == 1, info
    assert info["sessions created"] == 1, "a call refused with E7 counts as created: %r" % info
