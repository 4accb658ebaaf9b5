"""ng transports beyond one UDP socket on 127.0.0.1 (rtproam only):
TCP framing, IPv6, a wildcard socket answering from the address the
request reached, and ng beside the rtpproxy protocol on one relay.
"""

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ngclient import audio_sdp, bdecode, bencode, parse_sdp  # noqa: E402
from rtpp import free_port, parse_info  # noqa: E402


def recv_exact_replies(sock, count, timeout=2.0):
    """Read from a TCP socket until `count` "cookie SP dict" replies came."""
    sock.settimeout(timeout)
    buf, replies = b"", []
    for _ in range(200):
        if len(replies) == count:
            break
        while b" " in buf:
            cookie, rest = buf.split(b" ", 1)
            # bdecode wants exactly one value: find where it ends.
            for end in range(1, len(rest) + 1):
                try:
                    doc = bdecode(rest[:end])
                    break
                except Exception:
                    continue
            else:
                break
            replies.append((cookie, doc))
            buf = rest[end:]
            if len(replies) == count:
                break
        if len(replies) == count:
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return replies


def ng_socket(port):
    """A connected UDP socket to the relay's ng port, and a function that
    sends one document under a cookie and returns the decoded reply."""
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    c.connect(("127.0.0.1", port))

    def ng(doc, cookie):
        c.send(cookie + b" " + bencode(doc))
        raw = c.recv(65536)
        assert raw.startswith(cookie + b" "), raw[:80]
        return bdecode(raw[len(cookie) + 1:])
    return c, ng


def offer_doc(callid, port=40000):
    return {"command": "offer", "call-id": callid, "from-tag": "ft",
            "sdp": audio_sdp("127.0.0.2", port), "replace": ["origin", "session-connection"]}


def test_ng_over_tcp_framing(rtproam):
    port = free_port(socket.SOCK_STREAM)
    d = rtproam(control=["--ng", "tcp:127.0.0.1:%d" % port])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        # Two messages in one segment, then one split across three.
        s.sendall(b"c1 " + bencode({"command": "ping"}) +
                  b"c2 " + bencode(offer_doc("tcp-1@ng")))
        got = recv_exact_replies(s, 2)
        assert [c for c, _ in got] == [b"c1", b"c2"], got
        assert got[0][1] == {"result": "pong"}
        assert got[1][1]["result"] == "ok"
        assert parse_sdp(got[1][1]["sdp"]).audio.addr == "127.0.0.1"
        msg = b"c3 " + bencode({"command": "query", "call-id": "tcp-1@ng"})
        for part in (msg[:2], msg[2:9], msg[9:]):
            s.sendall(part)
        got = recv_exact_replies(s, 1)
        assert got and got[0][0] == b"c3" and got[0][1]["result"] == "ok", got
        assert "totals" in got[0][1]
        # A document that cannot be decoded: answered, then the stream closes,
        # since nothing tells where the next message would start.
        s.sendall(b"c4 dXe")
        got = recv_exact_replies(s, 1)
        assert got and got[0][0] == b"c4" and got[0][1]["result"] == "error", got
        s.settimeout(2)
        assert s.recv(100) == b"", "connection left open after undecodable input"
    # The relay itself is fine, and the call is still there.
    assert "active sessions: 1" in d.ctl("I")


def test_ng_over_udp6(rtproam):
    port = free_port(host="::1")
    rtproam(control=["--ng", "udp6:[::1]:%d" % port])
    c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    c.settimeout(2)
    c.connect(("::1", port))
    c.send(b"v6 " + bencode({"command": "ping"}))
    assert c.recv(1000) == b"v6 d6:result4:ponge"
    c.close()


def test_wildcard_socket_replies_from_the_address_reached(rtproam):
    """Kamailio connect()s its socket to the relay's address: a reply from
    any other source address would never reach it."""
    port = free_port()
    rtproam(control=["--ng", "udp:0.0.0.0:%d" % port])
    for target in ("127.0.0.1", "127.0.0.7"):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(2)
        c.connect((target, port))   # a connected socket drops other sources
        c.send(b"w1 " + bencode({"command": "ping"}))
        assert c.recv(1000) == b"w1 d6:result4:ponge", target
        c.close()


def test_ng_and_rtpproxy_share_one_call_model(rtproam):
    """A call set up over ng shows in the rtpproxy protocol's I and Q, and
    an rtpproxy call is listed by ng."""
    ngport = free_port()
    d = rtproam(control=["--ng", "udp:127.0.0.1:%d" % ngport])
    c, ng = ng_socket(ngport)

    assert ng(offer_doc("both@ng"), b"o1")["result"] == "ok"
    info = parse_info(d.ctl("I"))
    assert info["active sessions"] == 1 and info["sessions created"] == 1, info
    # Q with the ng tags answers as for any rtpproxy call (media 1 = first m=).
    assert not d.ctl("Q both@ng ft;1").startswith("E"), d.ctl("Q both@ng ft;1")
    assert d.ctl("U rtpp@ng 127.0.0.3 4000 rt;1").split()[0].isdigit()
    listed = ng({"command": "list"}, b"l1")
    assert sorted(listed["calls"]) == ["both@ng", "rtpp@ng"], listed
    assert ng({"command": "delete", "call-id": "rtpp@ng", "delete-delay": 0},
              b"d1")["result"] == "ok"
    assert d.ctl("Q rtpp@ng rt") == "E50"


def test_answer_cannot_revive_a_line_the_offer_rejected(rtproam):
    """RFC 3264: a line the offer rejected (port 0) stays rejected. An
    answer that puts a live port there gets port 0 back and a warning,
    while its other lines are relayed as usual; an answer that matches no
    line of the call is an unknown call."""
    from ngclient import make_sdp
    ngport = free_port()
    rtproam(control=["--ng", "udp:127.0.0.1:%d" % ngport])
    c, ng = ng_socket(ngport)

    offer = make_sdp("127.0.0.2", [{"port": 40000}, {"type": "video", "port": 0}])
    rep = ng({"command": "offer", "call-id": "rej@ng", "from-tag": "a", "sdp": offer}, b"o")
    assert rep["result"] == "ok", rep
    answer = make_sdp("127.0.0.3", [{"port": 42000}, {"type": "video", "port": 42002}])
    rep = ng({"command": "answer", "call-id": "rej@ng", "from-tag": "a", "to-tag": "b",
              "sdp": answer}, b"a")
    assert rep["result"] == "ok", rep
    medias = parse_sdp(rep["sdp"]).medias
    assert medias[0].port != 0 and medias[1].port == 0, rep["sdp"]
    assert "rejected" in rep.get("warning", ""), rep
    rep = ng({"command": "answer", "call-id": "rej@ng", "from-tag": "zz", "to-tag": "yy",
              "sdp": answer}, b"u")
    assert rep == {"result": "error", "error-reason": "Unknown call-id"}, rep


def test_direction_bridges_two_interfaces(rtproam):
    """direction [internal, external] with -l A/B: the offerer's leg on A,
    the answerer's on B, as rtpproxy's I/E modifiers do; media flows
    across."""
    from rtpp import Phone, exchange_media
    ngport = free_port()
    rtproam("-l", "127.0.0.1/127.0.0.9", control=["--ng", "udp:127.0.0.1:%d" % ngport])
    c, ng = ng_socket(ngport)
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    try:
        rep = ng({"command": "offer", "call-id": "dir@ng", "from-tag": "a",
                  "direction": ["internal", "external"],
                  "sdp": audio_sdp(a.ip, a.port)}, b"o")
        to_b = parse_sdp(rep["sdp"]).audio
        assert to_b.addr == "127.0.0.9", rep["sdp"]      # faces the answerer: external
        rep = ng({"command": "answer", "call-id": "dir@ng", "from-tag": "a", "to-tag": "b",
                  "sdp": audio_sdp(b.ip, b.port)}, b"a")
        to_a = parse_sdp(rep["sdp"]).audio
        assert to_a.addr == "127.0.0.1", rep["sdp"]      # faces the offerer: internal
        got_b, got_a = exchange_media(a, (to_a.addr, to_a.port), b, (to_b.addr, to_b.port),
                                      count=10)
        assert len(got_b) == 10 and len(got_a) == 10
        # An unknown interface name: the default, and a warning that says so.
        rep = ng({"command": "offer", "call-id": "dir2@ng", "from-tag": "a",
                  "direction": ["nosuch", "external"], "sdp": audio_sdp(a.ip, a.port)}, b"o2")
        assert rep["result"] == "ok" and "nosuch" in rep.get("warning", ""), rep
    finally:
        a.close()
        b.close()
        c.close()
