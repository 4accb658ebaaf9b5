"""Packets that must not be relayed, and the asymmetric (`A`) leg."""

from rtpp import collect, make_call, parse_info, parse_port_reply, parse_rtp, poll_until, rtcp_sr, \
    rtp_packet

N = 50


def q_counts(ctl, callid):
    """Q -> dict of the five default fields."""
    reply = ctl("Q %s ft;1 tt" % callid)
    f = reply.split()
    assert len(f) == 5 and all(x.isdigit() for x in f), "Q answered %r" % reply
    return dict(zip(("ttl", "in_a", "in_o", "relayed", "dropped"), map(int, f)))


def hostile_from_stranger(m, rtp_dst, rtcp_dst):
    """From 127.0.0.9: malformed datagrams, and well-formed RTP/RTCP from an
    address that is not the party's. Returns how many were sent."""
    bad = [
        (m.rtp, rtp_dst, b"\x00\x01 this is not RTP at all \xff\xfe" * 2),
        (m.rtp, rtp_dst, b"\x80\x00\x12\x34\x56"),                        # truncated, 5 bytes
        (m.rtp, rtp_dst, rtp_packet(1, 160, 0x11111111, b"\xd5" * 160, version=1)),
        (m.rtp, rtp_dst, rtp_packet(2, 320, 0x11111111, b"\xd5" * 9300)),  # over the 9216-byte MTU
        (m.rtp, rtp_dst, rtp_packet(10, 1600, 0x22222222, b"\xd5" * 160)),
        (m.rtp, rtp_dst, rtp_packet(11, 1760, 0x22222222, b"\xd5" * 160)),
        (m.rtp, rtp_dst, rtp_packet(12, 1920, 0x22222222, b"\xd5" * 160)),
        (m.rtcp, rtcp_dst, rtp_packet(3, 480, 0x11111111, b"\xd5" * 160)),  # RTP to RTCP port
        (m.rtcp, rtcp_dst, rtcp_sr(0x22222222)),                            # foreign RTCP
    ]
    return bad


def hostile_from_peer(p, rtp_dst, rtcp_dst):
    """From the party's own (latched) address: only the content is wrong."""
    return [
        (p.rtp, rtp_dst, b"\x00garbage from the right address"),
        (p.rtp, rtp_dst, b"\x80\x00\x00\x01\x00"),
        (p.rtp, rtp_dst, rtp_packet(p.seq, p.ts, p.ssrc, b"\xd5" * 160, version=1)),
        (p.rtp, rtp_dst, rtp_packet(p.seq, p.ts, p.ssrc, b"\xd5" * 9300)),  # > 9216: truncated
        (p.rtcp, rtcp_dst, rtp_packet(p.seq, p.ts, p.ssrc, b"\xd5" * 160)),
    ]


def test_hostile_packets_are_dropped_and_counted(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    m = phones("127.0.0.9", name="M")
    call = make_call(ctl, "hostile@test", a, b)

    # Both parties verified first.
    a.send_rtp(call.a_dst, 5, 0.002)
    b.send_rtp(call.b_dst, 5, 0.002)
    assert len(b.recv(5)) == 5 and len(a.recv(5)) == 5
    base = poll_until(lambda: q_counts(ctl, "hostile@test"), lambda q: q["relayed"] == 10)
    assert base["relayed"] == 10 and base["dropped"] == 0, base
    base_info = parse_info(ctl("I"))

    bad = (hostile_from_stranger(m, call.a_dst, call.a_rtcp) +
           hostile_from_stranger(m, call.b_dst, call.b_rtcp) +
           hostile_from_peer(a, call.a_dst, call.a_rtcp) +
           hostile_from_peer(b, call.b_dst, call.b_rtcp))
    n_bad_a = len(hostile_from_stranger(m, call.a_dst, call.a_rtcp)) + 5   # arriving on A's leg

    # Real media both ways, with the hostile packets sprinkled in between.
    for i in range(N):
        a.send_rtp(call.a_dst)
        b.send_rtp(call.b_dst)
        for sock, dst, data in bad[i * len(bad) // N:(i + 1) * len(bad) // N]:
            sock.sendto(data, dst)
    got_b, got_a = b.recv(N), a.recv(N)

    for got, sender, relay, who in ((got_b, a, call.b_dst, "A->B"), (got_a, b, call.a_dst, "B->A")):
        assert len(got) == N, "%s: %d of %d real packets relayed" % (who, len(got), N)
        assert {s for _, s in got} == {relay}
        assert [parse_rtp(d)["payload"] for d, _ in got] == sender.sent_payloads[-N:], \
            "%s: stream altered (a hostile packet got through?)" % who
    leaks = {p.name: p.drain() for p in (a, b, m)}
    assert all(r == ([], []) for r in leaks.values()), "leaked: %r" % {
        k: (len(v[0]), len(v[1])) for k, v in leaks.items()}

    want = len(bad)
    q = poll_until(lambda: q_counts(ctl, "hostile@test"),
                   lambda q: q["dropped"] == want and q["relayed"] == 10 + 2 * N)
    assert q["dropped"] == want, "Q ndropped %d, %d hostile packets sent" % (q["dropped"], want)
    assert q["relayed"] == 10 + 2 * N, "Q nrelayed %d, expected %d" % (q["relayed"], 10 + 2 * N)
    assert q["in_a"] == base["in_a"] + N + n_bad_a, "Q npkts_ina %r" % q
    assert q["in_o"] == base["in_o"] + N + (want - n_bad_a), "Q npkts_ino %r" % q
    info = parse_info(ctl("I"))
    assert info["packets dropped"] - base_info["packets dropped"] == want, (base_info, info)
    assert info["packets transmitted"] - base_info["packets transmitted"] == 2 * N, info
    assert ctl("V") == "20040107"


def test_asymmetric_leg(daemon, phones):
    """`UA`: A's media is accepted from A's IP on any port and never learned;
    media to A keeps going to the signalled port; other IPs are dropped."""
    ctl = daemon.ctl
    a_recv = phones("127.0.0.2", name="A-recv")    # the port in A's SDP
    a_send = phones("127.0.0.2", name="A-send")    # where A's packets come from
    b = phones("127.0.0.3", name="B")
    m = phones("127.0.0.9", name="M")
    b_port, _, _ = parse_port_reply(ctl("UAc0 asym@test 127.0.0.2 %d ft;1" % a_recv.port))
    a_port, _, _ = parse_port_reply(ctl("Lc0 asym@test 127.0.0.3 %d ft;1 tt;1" % b.port))
    a_dst, b_dst = ("127.0.0.1", a_port), ("127.0.0.1", b_port)

    for rnd in range(2):
        a_send.send_rtp(a_dst, 20, 0.002)
        got = b.recv(20)
        assert len(got) == 20, "round %d: A from another port -> B: %d of 20" % (rnd, len(got))
        b.send_rtp(b_dst, 20, 0.002)
        got = a_recv.recv(20)
        assert len(got) == 20, "round %d: B -> A's signalled port: %d of 20" % (rnd, len(got))
        assert {s for _, s in got} == {a_dst}
        assert a_send.drain() == ([], []), "round %d: A's sending port was learned" % rnd
        # A stranger is not A.
        m.send_rtp(a_dst, 10, 0.002)
        assert collect(b.rtp, 1, 0.2) == [], "round %d: packets from 127.0.0.9 relayed" % rnd

    q = poll_until(lambda: q_counts(ctl, "asym@test"), lambda q: q["dropped"] == 20)
    assert q["dropped"] == 20 and q["relayed"] == 80, "Q %r" % q

    # RTCP: from A's IP, any port, to B; B's to A's signalled port + 1.
    a_send.send_rtcp_sr(("127.0.0.1", a_port + 1))
    assert len(b.recv(1, rtcp=True)) == 1, "RTCP from A's other port not relayed"
    b.send_rtcp_sr(("127.0.0.1", b_port + 1))
    assert len(a_recv.recv(1, rtcp=True)) == 1, "RTCP to A not sent to its signalled port + 1"
    assert a_send.drain() == ([], [])
