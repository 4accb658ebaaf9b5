"""rtproam-ctl, the operator's CLI, against the real daemon on each of its
control transports (udp with cookies, unix one-shot, tcp lines): info, list
and show (their JSON checked against the packets the phones sent), delete,
raw, watch, and the error paths (error replies, unknown call, no relay,
usage)."""

import json
import os
import socket
import subprocess
import threading
from types import SimpleNamespace

import pytest

from conftest import SANITIZER_MARKERS
from rtpp import BUILD, free_port, make_call, poll_until

TOOL = BUILD / "tools" / "rtproam-ctl"
PAYLOAD_UDP = 172                       # Phone's RTP datagrams
WIRE = PAYLOAD_UDP + 8 + 20 + 18        # UDP, IPv4, Ethernet II (src/media/stats.h)
# (callid, ftag, ttag, RTP packets A sends, RTP packets B sends)
CALLS = (("ctl-one@test", "ft", "tt", 30, 20), ("ctl-two@test", "f2", "t2", 12, 7))
TRANSPORTS = ("udp", "unix", "tcp")


def ctl_tool(sock, *args, timeout=20):
    """Run rtproam-ctl -s sock args... -> CompletedProcess (text)."""
    if not TOOL.is_file():
        pytest.fail("rtproam-ctl not found at %s (set RTPROAM_BUILD)" % TOOL)
    env = dict(os.environ)
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    p = subprocess.run([str(TOOL), "-s", sock] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout, env=env)
    for m in SANITIZER_MARKERS:
        assert m not in p.stderr, "rtproam-ctl %s: %s\n%s" % (" ".join(args), m, p.stderr)
    return p


def ok(sock, *args):
    p = ctl_tool(sock, *args)
    assert p.returncode == 0, "rtproam-ctl %s exited %d: %s" % (" ".join(args), p.returncode,
                                                               p.stderr)
    return p.stdout


def ok_json(sock, *args):
    out = ok(sock, "--json", *args)
    try:
        return json.loads(out)
    except ValueError as e:
        pytest.fail("rtproam-ctl --json %s printed no JSON (%s): %r" % (" ".join(args), e, out))


@pytest.fixture
def relay(rtproam, phones, workdir):
    """A daemon on udp, unix and tcp control sockets carrying two calls whose
    media has been relayed and published."""
    unix_path = workdir / "ctl.sock"
    tcp_port = free_port(socket.SOCK_STREAM)
    d = rtproam(control=["-s", "unix:%s" % unix_path, "-s", "tcp:127.0.0.1:%d" % tcp_port])
    socks = {"udp": "udp:127.0.0.1:%d" % d.ctl_port, "unix": "unix:%s" % unix_path,
             "tcp": "tcp:127.0.0.1:%d" % tcp_port}
    calls = []
    for i, (callid, ftag, ttag, n_a, n_b) in enumerate(CALLS):
        a = phones("127.0.0.%d" % (2 + 2 * i), name="A%d" % i)
        b = phones("127.0.0.%d" % (3 + 2 * i), name="B%d" % i)
        c = make_call(d.ctl, callid, a, b, ftag=ftag, ttag=ttag)
        a.send_rtp(c.a_dst, n_a, 0.001)
        b.send_rtp(c.b_dst, n_b, 0.001)
        assert len(b.recv(n_a)) == n_a and len(a.recv(n_b)) == n_b, "media not relayed"
        calls.append(SimpleNamespace(call=c, a=a, b=b, ftag=ftag, ttag=ttag, n_a=n_a, n_b=n_b))
    # Sequence figures are published once a second: wait for every call's.
    for c in calls:
        q = "Q %s %s;1 %s;1 expected_a expected_o" % (c.call.callid, c.ftag, c.ttag)
        want = "%d %d" % (c.n_a, c.n_b)
        assert poll_until(lambda: d.ctl(q), lambda r: r == want, 3.0, 0.05) == want
    return SimpleNamespace(daemon=d, socks=socks, calls=calls)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_info_list_show_json(relay, transport):
    sock = relay.socks[transport]
    total = sum(c.n_a + c.n_b for c in relay.calls)

    info = ok_json(sock, "info")
    assert info["active_sessions"] == 2 and info["sessions_created"] == 2, info
    assert info["packets_received"] == total and info["packets_transmitted"] == total, info
    assert info["packets_dropped"] == 0 and info["handovers"] == 0, info

    rows = ok_json(sock, "list")
    assert isinstance(rows, list) and len(rows) == 2, rows
    by_call = {r["call"]: r for r in rows}
    for c in relay.calls:
        r = by_call[c.call.callid]
        assert r["media"] == 1 and r["tags"] == [c.ftag, c.ttag], r
        assert r["ports"] == [c.call.a_port, c.call.b_port], r
        assert r["peers"] == ["%s:%d" % c.a.addr, "%s:%d" % c.b.addr], r
        assert r["rtcp"] == ["%s:%d" % (c.a.ip, c.a.port + 1), "%s:%d" % (c.b.ip, c.b.port + 1)], r
        assert r["pkts"] == [c.n_a, c.n_b], r
        assert (r["relayed"], r["dropped"], r["handovers"]) == (c.n_a + c.n_b, 0, [0, 0]), r
        assert 0 < r["ttl"] <= 60, r

    for c in relay.calls:
        shown = ok_json(sock, "show", c.call.callid)
        assert shown["call"] == c.call.callid and len(shown["media"]) == 1, shown
        m = shown["media"][0]
        assert m["tags"] == [c.ftag, c.ttag] and m["peers"] == by_call[c.call.callid]["peers"], m
        assert (m["nrelayed"], m["ndropped"], m["ninvalid"]) == (c.n_a + c.n_b, 0, 0), m
        for side, tag, n in (("a", c.ftag, c.n_a), ("o", c.ttag, c.n_b)):
            s = m[side]
            assert s["tag"] == tag, s
            assert (s["npkts_in"], s["expected"], s["lost"], s["loss_pct"]) == (n, n, 0, 0), s
            assert s["wire_bytes"] == n * WIRE, s
            assert s["handovers"] == 0 and s["rtt_us"] is None, s   # no RTCP: no round trip
            assert s["jitter_us"] >= 0 and s["maxjitter_us"] >= s["jitter_us"], s


def test_tables_and_watch(relay):
    sock = relay.socks["udp"]
    total = sum(c.n_a + c.n_b for c in relay.calls)
    info = ok(sock, "info").splitlines()
    assert any(l.split() == ["packets", "received", str(total)] for l in info), info
    assert any(l.split() == ["active", "sessions", "2"] for l in info), info

    lines = ok(sock, "list").splitlines()
    assert lines[0].split()[:3] == ["CALL", "MEDIA", "TAGS"], lines
    assert len(lines) == 3, lines
    for c in relay.calls:
        row = next(l.split() for l in lines if l.startswith(c.call.callid + " "))
        assert row[1:4] == ["1", "%s/%s" % (c.ftag, c.ttag),
                            "%d/%d" % (c.call.a_port, c.call.b_port)], row
        assert row[6] == "%d/%d" % (c.n_a, c.n_b), row

    c = relay.calls[0]
    table = ok(sock, "show", c.call.callid).splitlines()
    assert table[0].startswith("call %s  media 1" % c.call.callid), table
    fields = {l[:27].strip(): l[27:].split() for l in table[1:]}
    assert fields["tag"] == [c.ftag, c.ttag], fields
    assert fields["packets in"] == [str(c.n_a), str(c.n_b)], fields
    assert fields["rtp lost"] == ["0", "(0.00", "%)", "0", "(0.00", "%)"], fields
    assert fields["rtt relay<->party"] == ["-", "-"], fields
    assert fields["jitter"][1] == "ms", fields


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_raw_errors_and_delete(relay, transport):
    sock = relay.socks[transport]
    one, two = relay.calls
    assert ok(sock, "raw", "V") == "20040107\n"
    assert ok_json(sock, "raw", "VF", "20081102") == {"command": "VF 20081102", "reply": "1"}
    assert ok(sock, "raw", "Q", one.call.callid, one.ftag + ";1", one.ttag,
              "npkts_ina") == "%d\n" % one.n_a

    # Error replies: printed by raw, explained on stderr, exit 1.
    p = ctl_tool(sock, "raw", "Q", "no-such-call@test", "x", "y")
    assert p.returncode == 1 and p.stdout == "E50\n", p
    assert "no such session" in p.stderr, p
    p = ctl_tool(sock, "raw", "Q", one.call.callid, one.ftag, one.ttag, "no_such_field")
    assert p.returncode == 1 and "E62" in p.stderr and "query failed" in p.stderr, p
    p = ctl_tool(sock, "raw", "Z")
    assert p.returncode == 1 and "unknown command" in p.stderr, p
    p = ctl_tool(sock, "show", "no-such-call@test")
    assert p.returncode == 1 and "no call no-such-call@test" in p.stderr and p.stdout == "", p

    assert ok(sock, "delete", two.call.callid, two.ftag, two.ttag) == "deleted\n"
    rows = ok_json(sock, "list")
    assert [r["call"] for r in rows] == [one.call.callid], rows
    # Gone: a second delete and a show both fail, saying why.
    p = ctl_tool(sock, "delete", two.call.callid, two.ftag)
    assert p.returncode == 1 and "E50" in p.stderr and "no such session" in p.stderr, p
    p = ctl_tool(sock, "show", two.call.callid)
    assert p.returncode == 1 and "no call %s" % two.call.callid in p.stderr, p
    # A bare from-tag ends the other call too.
    assert ok_json(sock, "delete", one.call.callid, one.ftag) == {"deleted": True}
    assert ok_json(sock, "list") == []
    assert ok_json(sock, "info")["active_sessions"] == 0


def test_unreachable_relay_and_usage(workdir):
    dead_udp = "udp:127.0.0.1:%d" % free_port()
    dead_tcp = "tcp:127.0.0.1:%d" % free_port(socket.SOCK_STREAM)
    dead_unix = "unix:%s" % (workdir / "nobody.sock")
    for sock in (dead_udp, dead_tcp, dead_unix):
        for cmd in (["info"], ["list"], ["show", "x@test"], ["raw", "V"]):
            p = ctl_tool(sock, *cmd)
            assert p.returncode == 1, (sock, cmd, p)
            assert p.stdout == "" and sock in p.stderr and "no relay" in p.stderr, (sock, cmd, p)

    for args in ([], ["frobnicate"], ["show"], ["delete", "only-callid"], ["raw"],
                 ["watch", "--interval", "0"], ["watch", "--count", "-1"], ["info", "extra"]):
        p = ctl_tool(dead_udp, *args)
        assert p.returncode == 2 and "usage" not in p.stdout and p.stderr, (args, p)
    for bad in ("udp:nohost", "bogus:1.2.3.4:5", "udp:127.0.0.1:99999", "unix:"):
        p = ctl_tool(bad, "info")
        assert p.returncode == 2 and "socket" in p.stderr, (bad, p)
    p = ctl_tool(dead_udp, "--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: rtproam-ctl"), p
    for word in ("info", "list", "show", "delete", "watch", "raw", "--json"):
        assert word in p.stdout, word


def _have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _have_ipv6_loopback(), reason="no IPv6 loopback")
def test_udp6_control(rtproam):
    port = free_port(host="::1")
    rtproam(control=["-s", "udp6:[::1]:%d" % port])
    sock = "udp6:[::1]:%d" % port
    assert ok(sock, "raw", "V") == "20040107\n"
    info = ok_json(sock, "info")
    assert (info["active_sessions"], info["packets_received"]) == (0, 0), info
    assert ok_json(sock, "list") == []


def test_udp_retransmits_the_same_cookie(workdir):
    """A relay that misses the first datagram (and sends a stale reply with
    another cookie) gets the same cookie again; one that never answers gets
    the first send and 3 retransmits, then the tool gives up with exit 1."""
    fake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fake.bind(("127.0.0.1", 0))
    sock = "udp:127.0.0.1:%d" % fake.getsockname()[1]
    seen = []

    def serve(answer_at):
        for _ in range(answer_at + 1):
            data, src = fake.recvfrom(65536)
            seen.append(data)
            cookie = data.split(b" ", 1)[0]
            if len(seen) < answer_at:
                fake.sendto(b"stale_" + cookie + b" 1\n", src)
            else:
                fake.sendto(cookie + b" 20040107\n", src)
                return

    fake.settimeout(10)
    t = threading.Thread(target=serve, args=(2,))
    t.start()
    try:
        assert ok(sock, "raw", "V") == "20040107\n"
    finally:
        t.join(15)
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].endswith(b" V"), seen

    seen.clear()
    p = ctl_tool(sock, "info")
    fake.settimeout(0)
    for _ in range(100):
        try:
            seen.append(fake.recv(65536))
        except BlockingIOError:
            break
    fake.close()
    assert p.returncode == 1 and "no reply" in p.stderr, p
    assert len(seen) == 4 and len(set(seen)) == 1 and seen[0].endswith(b" I"), seen
