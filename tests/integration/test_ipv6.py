"""IPv6 media on ::1 (`-6 ::1`, `U6`/`L6`)."""

import socket

import pytest

from rtpp import exchange_media, parse_port_reply, parse_rtp


def _have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _have_ipv6_loopback(), reason="no IPv6 loopback")


def test_ipv6_call_on_loopback(rtproam, phones):
    d = rtproam("-6", "::1")
    ctl = d.ctl
    a, b = phones("::1", name="A6"), phones("::1", name="B6")

    u = ctl("U6c0,101 v6-call@test ::1 %d ft;1" % a.port)
    assert u.endswith(" 6"), "IPv6 reply must end with ' 6': %r" % u
    b_port, addr, is6 = parse_port_reply(u)
    assert addr == "::1" and is6, "U6 reply %r" % u
    l_reply = ctl("L6c0,101 v6-call@test ::1 %d ft;1 tt;1" % b.port)
    a_port, addr, is6 = parse_port_reply(l_reply)
    assert addr == "::1" and is6, "L6 reply %r" % l_reply
    for p in (a_port, b_port):
        assert p % 2 == 0 and d.port_min <= p < d.port_max

    got_b, got_a = exchange_media(a, ("::1", a_port), b, ("::1", b_port), count=20)
    assert len(got_b) == 20, "A->B over ::1: %d of 20" % len(got_b)
    assert len(got_a) == 20, "B->A over ::1: %d of 20" % len(got_a)
    assert {s for _, s in got_b} == {("::1", b_port)}
    assert {s for _, s in got_a} == {("::1", a_port)}
    assert [parse_rtp(x)["payload"] for x, _ in got_b] == a.sent_payloads[-20:]

    a.send_rtcp_sr(("::1", a_port + 1))
    b.send_rtcp_sr(("::1", b_port + 1))
    assert len(b.recv(1, rtcp=True)) == 1, "RTCP A->B over ::1 not relayed"
    assert len(a.recv(1, rtcp=True)) == 1, "RTCP B->A over ::1 not relayed"

    q = ctl("Q v6-call@test ft;1 tt").split()
    assert q[1:] == ["21", "21", "42", "0"], "Q %r" % q
    assert ctl("D v6-call@test ft tt") == "0"


def test_ipv6_offer_without_ipv6_address(daemon):
    """No -6: an IPv6 offer has no local address of that family (E36)."""
    assert daemon.ctl("U6 v6-none@test ::1 4000 ft;1") == "E36"
    assert daemon.ctl("Q v6-none@test ft;1") == "E50"
