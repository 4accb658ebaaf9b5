"""Inactivity TTL (-T) and timeout notifications (-n) to a TCP or unix
stream listener run by the test."""

import time

import pytest

from rtpp import NotifyServer, make_call, parse_info, parse_port_reply, poll_until

TTL = 2
WAIT = 6.0          # TTL + the 1 s expiry tick + slack for a sanitizer build


@pytest.fixture
def notify_servers():
    made = []

    def make(**kw):
        s = NotifyServer(**kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def gone(ctl, callid, tag="ft;1"):
    return poll_until(lambda: ctl("Q %s %s" % (callid, tag)), lambda r: r == "E50",
                      timeout=WAIT, step=0.1) == "E50"


def test_ttl_expiry_notifies_tcp(rtproam, notify_servers, phones):
    srv = notify_servers()
    stranger = notify_servers()         # listening, but not permitted by -n
    d = rtproam("-T", str(TTL), "-n", srv.target)
    ctl = d.ctl
    assert ctl("VF 20081224") == "1", "notify targets configured: capability must be 1"
    a, b = phones("127.0.0.2"), phones("127.0.0.3")

    # OpenSIPS shape: 8 tokens, to-tag then socket and tag.
    parse_port_reply(ctl("Uc8 ttl-x@test 127.0.0.2 %d ft;1 tt;1 %s T4812.77" % (a.port, srv.target)))
    # A target -n does not permit: the call works, the target is never contacted.
    call_z = make_call(ctl, "ttl-z@test", a, b)
    parse_port_reply(ctl("U ttl-z@test 127.0.0.2 %d ft;1 tt;1 %s Tzzz" % (a.port, stranger.target)))
    a.send_rtp(call_z.a_dst, 5, 0.002)
    assert len(b.recv(5)) == 5, "the call with a refused notify target does not relay"

    data = srv.wait_lines(1, WAIT)
    assert data == b"T4812.77\n", "notification server received %r" % data
    assert gone(ctl, "ttl-x@test"), "ttl-x@test still answers Q after its notification"
    assert gone(ctl, "ttl-z@test"), "ttl-z@test did not expire"
    srv.poll(0.2)
    assert srv.data == b"T4812.77\n", "extra notification bytes: %r" % srv.data
    stranger.poll(0.2)
    assert stranger.accepted == 0 and stranger.data == b"", \
        "a target not permitted by -n was contacted (%d connections, %r)" % (
            stranger.accepted, stranger.data)
    info = parse_info(ctl("I"))
    assert info["sessions timed out"] == 2 and info["active sessions"] == 0, info
    assert "not permitted" in d.log.read_text(), "refused notify target not logged"


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_ttl_expiry_kamailio_quirk(transport, rtproam, notify_servers, phones, workdir):
    """Kamailio without a To-tag glues socket and tag with ';' (6 tokens);
    the tag is %-encoded."""
    srv = notify_servers(unix_path=str(workdir / "notify.sock")) if transport == "unix" \
        else notify_servers()
    d = rtproam("-T", str(TTL), "-n", srv.target)
    a = phones("127.0.0.2")
    reply = d.ctl("U ttl-k@test 127.0.0.2 %d ft;1 %s;leg%%3D17" % (a.port, srv.target))
    parse_port_reply(reply)
    data = srv.wait_lines(1, WAIT)
    assert data == b"leg=17\n", "%s notification server received %r" % (transport, data)
    assert gone(d.ctl, "ttl-k@test")
    assert srv.accepted == 1


def test_media_keeps_call_alive(rtproam, notify_servers, phones):
    srv = notify_servers()
    d = rtproam("-T", str(TTL), "-n", srv.target)
    ctl = d.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    idle = phones("127.0.0.2", name="idle")

    live = make_call(ctl, "ttl-live@test", a, b)
    parse_port_reply(ctl("U ttl-live@test 127.0.0.2 %d ft;1 tt;1 %s Tlive" % (a.port, srv.target)))
    parse_port_reply(ctl("U ttl-dead@test 127.0.0.2 %d ft;1 tt;1 %s Tdead" % (idle.port, srv.target)))

    # Both phones talk every 40 ms until the idle call has expired and the
    # live one has been through more than a TTL and an expiry tick.
    start = time.monotonic()
    sent = got_a = got_b = 0
    for i in range(int(WAIT / 0.04)):
        a.send_rtp(live.a_dst)
        b.send_rtp(live.b_dst)
        sent += 1
        got_b += len(b.recv(1, timeout=0.5, quiet=0))
        got_a += len(a.recv(1, timeout=0.5, quiet=0))
        srv.poll(max(0.0, start + (i + 1) * 0.04 - time.monotonic()))
        if srv.data and time.monotonic() - start > TTL + 1.2:
            break
    assert srv.data == b"Tdead\n", "after %.1f s the server received %r" % (
        time.monotonic() - start, srv.data)
    assert got_b == sent and got_a == sent, "live call relayed %d and %d of %d" % (
        got_b, got_a, sent)
    fields = ctl("Q ttl-live@test ft;1 tt").split()
    assert len(fields) == 5 and int(fields[0]) > 0, "live call after %.1f s: Q %r" % (
        time.monotonic() - start, fields)
    assert ctl("Q ttl-dead@test ft;1") == "E50"

    # Silence: now the live call expires too, over the kept connection.
    data = srv.wait_lines(2, WAIT)
    assert data == b"Tdead\nTlive\n", "server received %r" % data
    assert srv.accepted == 1, "notification connection not reused (%d accepts)" % srv.accepted
    assert gone(ctl, "ttl-live@test")
