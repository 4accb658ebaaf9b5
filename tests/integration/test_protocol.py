"""The rtpproxy control protocol on the wire: probes, errors, cookies,
and the unix/tcp transports next to UDP."""

import socket

from rtpp import (TcpControl, exchange_media, free_port, make_call, parse_info,
                  parse_port_reply, unix_command)


def test_version_and_capabilities(daemon):
    ctl = daemon.ctl
    assert ctl("V") == "20040107"
    assert ctl("v") == "20040107", "command letters are case-insensitive"
    assert ctl("VF 20050322") == "1", "multi-stream capability is mandatory for Kamailio"
    assert ctl("VF 20071116") == "1", "the Z resizer is built: Kamailio may send Z<ms>"
    assert ctl("VF 20081102") == "1"
    assert ctl("VF 20990101") == "0", "unknown capability dates answer 0"
    assert ctl("VF 20081224") == "0", "no -n given: no notification capability"


def test_error_replies(daemon):
    ctl = daemon.ctl
    # Unknown command letter: E0.
    assert ctl("Z") == "E0"
    assert ctl("K foo bar") == "E0"
    # U with too few arguments, L without a to-tag: wrong number of arguments.
    assert ctl("U callid 127.0.0.2") == "E1"
    assert ctl("U callid 127.0.0.2 4000") == "E1"
    assert ctl("L callid 127.0.0.3 4000 ftag;1") == "E1"
    # Unparsable remote port or address: E37.
    assert ctl("U callid 127.0.0.2 99999 ftag;1") == "E37"
    assert ctl("U callid 127.0.0.2 port ftag;1") == "E37"
    assert ctl("U callid 300.1.2.3 4000 ftag;1") == "E37"
    # Queries and deletes of unknown calls: E50. Lookup of an unknown call: 0.
    assert ctl("Q nosuchcall ftag;1 ttag") == "E50"
    assert ctl("D nosuchcall ftag ttag") == "E50"
    assert ctl("L nosuchcall 127.0.0.3 4000 ftag;1 ttag;1") == "0"
    # No call was created by any of that.
    info = parse_info(ctl("I"))
    assert info["active sessions"] == 0, info
    assert info["sessions created"] == 0, info


def test_cookie_echo(daemon):
    ctl = daemon.ctl
    for cookie, cmd, body in (
        ("1", "V", b"20040107"),
        ("88211_301", "VF 20050322", b"1"),
        ("4410_9_17", "Z", b"E0"),
        ("a.b-c:d/e+f=g", "V", b"20040107"),
        ("x" * 200, "V", b"20040107"),
        ("k" * 120 + "_42", "U c200 127.0.0.2 4000 ft;1", None),
    ):
        raw = ctl.exchange(cookie, cmd)
        assert raw is not None, "no reply to %r with a %d-byte cookie" % (cmd, len(cookie))
        head = cookie.encode() + b" "
        assert raw.startswith(head), "reply %r does not echo cookie %r" % (raw[:260], cookie)
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1, "reply not one line: %r" % raw
        if body is not None:
            assert raw == head + body + b"\n", "reply %r" % raw
        else:
            parse_port_reply(raw[len(head):-1].decode())
    # A datagram that is only a cookie has no command: E1, never silence
    # (a proxy that gets none retransmits, then marks the relay dead).
    assert ctl.exchange("lonely", "", tries=1, timeout=2.0) == b"lonely E1\n"
    assert ctl.exchange("spaces", "  \t ", tries=1, timeout=2.0) == b"spaces E1\n"
    assert ctl("V") == "20040107"


def test_retransmitted_command_is_not_executed_twice(daemon):
    ctl = daemon.ctl
    cookie = "retx_1"
    first = ctl.exchange(cookie, "U retx-call 127.0.0.2 4000 ft;1")
    again = [ctl.exchange(cookie, "U retx-call 127.0.0.2 4000 ft;1") for _ in range(3)]
    assert first is not None and first.startswith(b"retx_1 ")
    assert all(r == first for r in again), "retransmissions answered %r, first %r" % (again, first)
    info = parse_info(ctl("I"))
    assert info["sessions created"] == 1, "a retransmitted U created more: %r" % info
    assert info["active sessions"] == 1, info
    # The same command under a new cookie is a re-offer: same port, still one call.
    assert ctl("U retx-call 127.0.0.2 4000 ft;1") == first[len(b"retx_1 "):-1].decode()
    assert parse_info(ctl("I"))["active sessions"] == 1


def test_commands_in_flight_each_get_one_reply(rtproam):
    """A proxy with many commands outstanding (Kamailio's workers share one
    relay): 150 datagrams sent before any reply is read, from two sockets,
    mixing set-ups, probes, errors and listings far bigger than the replies
    the relay sends together. Every cookie is answered exactly once, to the
    socket that asked, with what that command alone would get."""
    daemon = rtproam(nports=400)
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(("127.0.0.1", 0))
        expect = {}
        for i in range(150):
            cookie = "fl%d_%d" % (i % 2, i)
            if i % 5 == 4:
                cmd, want = "Il", None          # a listing: a long reply
            elif i % 7 == 3:
                cmd, want = "Z", b"E0"
            elif i % 2:
                cmd, want = "V", b"20040107"
            else:
                cmd, want = "U flight-%d@test 127.0.0.2 %d ft;1" % (i, 4000 + i), "port"
            expect[cookie] = (i % 2, want)
            socks[i % 2].sendto(("%s %s" % (cookie, cmd)).encode(), ("127.0.0.1", daemon.ctl_port))
        got = {}
        for idx, s in enumerate(socks):
            s.settimeout(2.0)
            for _ in range(sum(1 for c, (k, _) in expect.items() if k == idx)):
                raw = s.recv(65536)
                cookie, _, body = raw.rstrip(b"\n").partition(b" ")
                cookie = cookie.decode()
                assert cookie not in got, "cookie %s answered twice" % cookie
                assert expect[cookie][0] == idx, "reply for %s went to the other socket" % cookie
                got[cookie] = body
    finally:
        for s in socks:
            s.close()
    assert sorted(got) == sorted(expect)
    for cookie, (_, want) in expect.items():
        body = got[cookie]
        if want == "port":
            parse_port_reply(body.decode())
        elif want is None:
            assert body and not body.startswith(b"E"), "%s: %r" % (cookie, body[:80])
        else:
            assert body == want, "%s: %r" % (cookie, body)
    assert max(len(b) for c, b in got.items() if expect[c][1] is None) > 256, \
        "no listing was longer than the replies sent together"
    calls = sum(1 for _, want in expect.values() if want == "port")
    assert parse_info(daemon.ctl("I"))["active sessions"] == calls


def test_unix_and_tcp_control_next_to_udp(rtproam, workdir, phones):
    upath = str(workdir / "ctl.sock")
    tport = free_port(socket.SOCK_STREAM)
    d = rtproam(control=["-s", "unix:" + upath, "-s", "tcp:127.0.0.1:%d" % tport])

    # unix: one command per connection, no newline; the daemon closes.
    assert unix_command(upath, "V") == "20040107\n"
    assert unix_command(upath, "VF 20050322") == "1\n"
    a, b = phones("127.0.0.2"), phones("127.0.0.3")
    reply = unix_command(upath, "Uc0,101 mixed-call 127.0.0.2 %d ft;1" % a.port)
    b_port, addr, _ = parse_port_reply(reply.rstrip("\n"))
    assert addr == "127.0.0.1" and reply.endswith("\n")

    # tcp: several newline-terminated commands on one connection, in one write
    # and split across writes; replies come back in order, one line each.
    tcp = TcpControl("127.0.0.1", tport)
    try:
        tcp.send_raw("V\nVF 20050322\nLc0,101 mixed-call 127.0.0.3 %d ft;1 tt;1\n" % b.port)
        assert tcp.read_line() == "20040107"
        assert tcp.read_line() == "1"
        a_port, addr, _ = parse_port_reply(tcp.read_line())
        assert addr == "127.0.0.1"
        tcp.send_raw("Q mixed-c")
        tcp.send_raw("all ft;1 tt\n")
        q = tcp.read_line().split()
        assert len(q) == 5 and all(x.isdigit() for x in q), "Q over tcp: %r" % q
        assert tcp("V") == "20040107"
    finally:
        tcp.close()

    # The call made over unix + tcp is the one udp sees, and it relays.
    assert parse_info(d.ctl("I"))["active sessions"] == 1
    got_b, got_a = exchange_media(a, ("127.0.0.1", a_port), b, ("127.0.0.1", b_port), count=20)
    assert len(got_b) == 20, "B got %d of 20" % len(got_b)
    assert len(got_a) == 20, "A got %d of 20" % len(got_a)
    assert d.ctl("D mixed-call ft tt") == "0"
    assert unix_command(upath, "Q mixed-call ft;1 tt") == "E50\n"


def test_make_call_helper_shapes(daemon, phones):
    """Kamailio's exact offer/answer shapes: even ports inside the range,
    one for each side, RTCP on the port above."""
    a, b = phones("127.0.0.2"), phones("127.0.0.3")
    call = make_call(daemon.ctl, "shape-call", a, b)
    for p in (call.a_port, call.b_port):
        assert p % 2 == 0, "RTP port %d is odd" % p
        assert daemon.port_min <= p and p + 1 <= daemon.port_max, \
            "pair %d/%d outside -m %d -M %d" % (p, p + 1, daemon.port_min, daemon.port_max)
    assert call.a_port != call.b_port
