"""ng protocol, side by side: every test runs against rtproam and rtpengine.

Phones are real UDP sockets on distinct 127.x addresses (rtpp.Phone); they
send only to the addresses and ports the relay wrote into the rewritten
SDPs, and every assertion is in packets, bytes and counts.

Where rtproam deliberately differs from rtpengine 10.5 a test holds both
expectations in a dict keyed by relay. Other differences seen while writing
these tests (for the closing note):

- `delete` with only a call-id: rtpengine answers a bare {"result": "ok"},
  without the statistics it gives when a tag is named (ng-protocol.md §2.1
  says statistics).
- strict-source: rtpengine applies it only once its endpoint is confirmed
  (3 s after signalling). Before that a stranger's packets are relayed, the
  stranger becomes the party's endpoint, and no error is counted
  (test_ng_control.test_strict_source).
- Forks with via-branch: after a second branch answers, rtpengine no longer
  relays what the caller sends to the port of the first branch's answer
  ("Not switching from local socket ... (not in list)"); the caller's media
  follows the latest answer only.
- The move of a phone with the same SSRC within the first seconds of a call
  is followed at the first packet by both relays; rtpengine follows because
  it is still learning, not because it checked the SSRC (the attacker test
  shows the same mechanism handing the call to a stranger).
- A 10,000-line SDP (50 KB) is relayed whole by rtpengine (a 50 KB reply).

This file: framing basics, offer/answer/query/list/delete, media both ways,
re-INVITEs, hold, several m= lines, IPv6, rtcp-mux, forks, late offer.
test_ng_control.py: reply cache, limits, malformed input, flags, JSON,
NAT, ICE, recording, blocking. test_ng_handover.py: moves and attackers.
"""

import socket

import pytest

from ngrelay import RELAY_IP, RELAY_IP6, NgCall, quiet, relayed
from ngclient import audio_sdp, bdecode, bencode, make_sdp, parse_sdp  # noqa: I100 (after ngrelay)
from rtpp import exchange_media, is_rtcp, parse_rtp, rtcp_sr

N = 30                 # RTP packets per direction
RTP_LEN = 12 + 160     # what rtpp.Phone sends
SR_LEN = 28            # rtpp.rtcp_sr


def assert_both_ways(call, n=N, i=0, a=None, b=None):
    """n RTP each way through media section i; every packet arrives intact
    and comes from the relay port the receiver was told to send to."""
    a, b = a or call.a, b or call.b
    got_b, got_a = exchange_media(a, call.a_dst(i), b, call.b_dst(i), count=n)
    assert relayed(got_b, a) == n, "A->B: %d of %d relayed" % (relayed(got_b, a), n)
    assert relayed(got_a, b) == n, "B->A: %d of %d relayed" % (relayed(got_a, b), n)
    assert {s for _, s in got_b} == {call.b_dst(i)}, "A->B came from %r" % {s for _, s in got_b}
    assert {s for _, s in got_a} == {call.a_dst(i)}, "B->A came from %r" % {s for _, s in got_a}
    assert [parse_rtp(d)["payload"] for d, _ in got_b] == a.sent_payloads[-n:]


def assert_relay_sdp(sdp, fam="IP4"):
    addr = RELAY_IP if fam == "IP4" else RELAY_IP6
    for m in sdp.medias:
        if m.port:
            assert m.addr == addr, "media address %r, want %s:\n%s" % (m.addr, addr, sdp.text)
    assert sdp.text.endswith("\r\n") and "\n" not in sdp.text.replace("\r\n", ""), \
        "not CRLF throughout: %r" % sdp.text


# ---------------------------------------------------------------- basics


def test_ping(relay):
    raw = relay.ng.exchange_raw(b"png_1 d7:command4:pinge")
    assert raw == b"png_1 d6:result4:ponge"


def test_offer_answer_query_list_delete(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    sdp_a = audio_sdp(a.ip, a.port)
    call = NgCall(relay, "basic@ng", a, b, a_sdp=sdp_a)
    for sdp in (call.to_b, call.to_a):
        assert_relay_sdp(sdp)
        m = sdp.audio
        assert relay.in_range(m.port) and m.port % 2 == 0, "port %d" % m.port
        assert m.rtcp_port == m.port + 1 and not m.mux
        assert m.fmts == ["0", "8", "101"] and m.direction == "sendrecv"
    assert call.to_a.audio.port != call.to_b.audio.port
    # o= is the caller's own without replace-origin.
    assert call.to_b.origin == parse_sdp(sdp_a).origin

    assert "basic@ng" in relay.ng.ok("list")["calls"]
    q = relay.query("basic@ng")
    assert isinstance(q["created"], int) and q["created"] > 0
    assert {"ftag-a", "ttag-b"} <= set(q["tags"]), q["tags"].keys()
    for kind in ("RTP", "RTCP"):
        assert q["totals"][kind] == {"packets": 0, "bytes": 0, "errors": 0}

    d = call.delete(delete_delay=0)
    assert "totals" in d and "warning" not in d, d
    q = relay.ng.cmd("query", call_id="basic@ng")
    assert q == {"result": "error", "error-reason": "Unknown call-id"}
    assert "basic@ng" not in relay.ng.ok("list")["calls"]
    # Its ports are closed: nothing is relayed any more.
    a.send_rtp(call.a_dst(), 5)
    b.send_rtp(call.b_dst(), 5)
    assert quiet(a) == [] and quiet(b) == []


def test_rtp_and_rtcp_both_ways_and_totals(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "media@ng", a, b)
    assert_both_ways(call)
    # Two RTCP sender reports each way, to the a=rtcp ports.
    sr = []
    for _ in range(2):
        sr.append(a.send_rtcp_sr(call.a_rtcp()))
        sr.append(b.send_rtcp_sr(call.b_rtcp()))
    rb, ra = b.recv(2, rtcp=True), a.recv(2, rtcp=True)
    assert [d for d, _ in rb] == sr[0::2] and [d for d, _ in ra] == sr[1::2]
    assert {s for _, s in rb} == {call.b_rtcp()} and {s for _, s in ra} == {call.a_rtcp()}
    assert all(is_rtcp(d) for d, _ in ra + rb)
    assert a.drain() == ([], []) and b.drain() == ([], [])

    rtp, rtcp = relay.totals("media@ng")
    assert rtp == {"packets": 2 * N, "bytes": 2 * N * RTP_LEN, "errors": 0}, rtp
    assert rtcp == {"packets": 4, "bytes": 4 * SR_LEN, "errors": 0}, rtcp
    # delete reports the same totals.
    d = call.delete(delete_delay=0)
    assert d["totals"]["RTP"]["packets"] == 2 * N and d["totals"]["RTCP"]["packets"] == 4


# Attributes of the rewritten media section for an offer with a=ptime and a
# custom attribute and static PTs only. rtproam keeps every line where it
# was, adds no a=rtpmap for static PTs, and appends its generated lines at
# the end; rtpengine writes a=rtpmap for static PTs and moves a=ptime after
# its generated block.
SDP_ATTRS = {
    "rtproam": ["ptime:20", "x-custom:keep", "sendrecv", "rtcp:{rtcp}"],
    "rtpengine": ["x-custom:keep", "rtpmap:0 PCMU/8000", "rtpmap:8 PCMA/8000", "sendrecv",
                  "rtcp:{rtcp}", "ptime:20"],
}


def test_sdp_attribute_layout(relay, phones):
    a = phones("127.0.0.2", name="A")
    _, to_b = relay.offer("layout@ng", "f", audio_sdp(a.ip, a.port, fmts=[0, 8],
                                                      attrs=["ptime:20", "x-custom:keep"]))
    m = to_b.audio
    want = [x.format(rtcp=m.port + 1) for x in relay.expect(SDP_ATTRS)]
    assert m.attrs == want, to_b.text
    assert [ln[:2] for ln in to_b.lines()] == ["v=", "o=", "s=", "c=", "t=", "m="] + \
        ["a="] * len(want)


# ---------------------------------------------------------------- re-INVITEs

# Ports toward B when A re-INVITEs from a new address. rtproam keeps a leg's
# ports for the whole call; rtpengine files ports under the remote endpoint
# and allocates a new pair.
PORTS_KEPT_ON_MOVE = {"rtproam": True, "rtpengine": False}


def test_reinvite_from_caller(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "reinv-a@ng", a, b)
    assert_both_ways(call, n=10)
    port_b, port_a = call.to_b.audio.port, call.to_a.audio.port

    # Same address, now sendonly: same ports, direction passed on.
    _, to_b = relay.offer("reinv-a@ng", "ftag-a", audio_sdp(a.ip, a.port, version=2,
                                                           direction="sendonly"),
                          to_tag="ttag-b")
    assert (to_b.audio.port, to_b.audio.direction) == (port_b, "sendonly")
    _, to_a = relay.answer("reinv-a@ng", "ftag-a", "ttag-b",
                           audio_sdp(b.ip, b.port, version=2, direction="recvonly"))
    assert (to_a.audio.port, to_a.audio.direction) == (port_a, "recvonly")
    got = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)[0]
    assert relayed(got, a) == 10, "A->B while A is sendonly"

    # A moves to 127.0.0.4 and says so in a re-INVITE.
    a2 = phones("127.0.0.4", name="A2", ssrc=a.ssrc)
    _, to_b = relay.offer("reinv-a@ng", "ftag-a", audio_sdp(a2.ip, a2.port, version=3),
                          to_tag="ttag-b")
    assert (to_b.audio.port == port_b) == relay.expect(PORTS_KEPT_ON_MOVE), \
        "port toward B %d, was %d" % (to_b.audio.port, port_b)
    assert to_b.audio.direction == "sendrecv"
    _, to_a = relay.answer("reinv-a@ng", "ftag-a", "ttag-b", audio_sdp(b.ip, b.port, version=3))
    assert to_a.audio.port == port_a
    call.to_b, call.to_a = to_b, to_a
    assert_both_ways(call, n=10, a=a2)
    assert a.drain() == ([], []), "packets still went to A's old address"


def test_reinvite_from_callee(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "reinv-b@ng", a, b)
    port_b, port_a = call.to_b.audio.port, call.to_a.audio.port
    # B's re-INVITE: B is now the offerer (from-tag = B's tag).
    _, to_a = relay.offer("reinv-b@ng", "ttag-b", audio_sdp(b.ip, b.port, version=2,
                                                           direction="sendonly"),
                          to_tag="ftag-a")
    assert (to_a.audio.port, to_a.audio.direction) == (port_a, "sendonly")
    _, to_b = relay.answer("reinv-b@ng", "ttag-b", "ftag-a",
                           audio_sdp(a.ip, a.port, version=2, direction="recvonly"))
    assert (to_b.audio.port, to_b.audio.direction) == (port_b, "recvonly")
    got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)[1]
    assert relayed(got_a, b) == 10, "B->A while B is sendonly"
    # And back to sendrecv: media both ways on the same ports.
    _, to_a = relay.offer("reinv-b@ng", "ttag-b", audio_sdp(b.ip, b.port, version=3),
                          to_tag="ftag-a")
    _, to_b = relay.answer("reinv-b@ng", "ttag-b", "ftag-a", audio_sdp(a.ip, a.port, version=3))
    assert (to_a.audio.port, to_b.audio.port) == (port_a, port_b)
    assert to_a.audio.direction == to_b.audio.direction == "sendrecv"
    assert_both_ways(call, n=10)


def test_hold_with_zero_address(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "hold@ng", a, b)
    assert_both_ways(call, n=10)
    # RFC 2543 hold: c=0.0.0.0, no direction attribute.
    _, to_b = relay.offer("hold@ng", "ftag-a", audio_sdp("0.0.0.0", a.port, version=2),
                          to_tag="ttag-b")
    assert to_b.audio.addr == "0.0.0.0", to_b.text
    assert to_b.audio.port == call.to_b.audio.port
    assert to_b.audio.direction == "sendonly"
    _, to_a = relay.answer("hold@ng", "ftag-a", "ttag-b",
                           audio_sdp(b.ip, b.port, version=2, direction="recvonly"))
    assert to_a.audio.port == call.to_a.audio.port
    # Nothing is sent toward a party that holds with 0.0.0.0.
    b.send_rtp(call.b_dst(), 10, 0.002)
    assert quiet(a) == [], "B's media reached A while A holds"
    # Resume: media both ways again.
    relay.offer("hold@ng", "ftag-a", audio_sdp(a.ip, a.port, version=3), to_tag="ttag-b")
    relay.answer("hold@ng", "ftag-a", "ttag-b", audio_sdp(b.ip, b.port, version=3))
    assert_both_ways(call, n=10)


# ---------------------------------------------------------------- media lines


def test_audio_and_video_each_on_own_ports(relay, phones):
    a, av = phones("127.0.0.2", name="A"), phones("127.0.0.2", name="A-video")
    b, bv = phones("127.0.0.3", name="B"), phones("127.0.0.3", name="B-video")
    medias_a = [{"port": a.port}, {"type": "video", "port": av.port}]
    medias_b = [{"port": b.port}, {"type": "video", "port": bv.port}]
    call = NgCall(relay, "av@ng", a, b, a_sdp=make_sdp(a.ip, medias_a),
                  b_sdp=make_sdp(b.ip, medias_b))
    ports = set()
    for sdp in (call.to_a, call.to_b):
        assert [m.type for m in sdp.medias] == ["audio", "video"]
        for m in sdp.medias:
            assert relay.in_range(m.port) and m.rtcp_port == m.port + 1
            ports |= {m.port, m.rtcp_port}
    assert len(ports) == 8, "audio and video share ports: %r" % sorted(ports)
    assert_both_ways(call, n=20, i=0)
    assert_both_ways(call, n=20, i=1, a=av, b=bv)
    # Nothing crossed over between the two streams.
    assert av.drain() == ([], []) and bv.drain() == ([], [])
    assert a.drain() == ([], []) and b.drain() == ([], [])


def test_rejected_media_stays_port_zero(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    av = phones("127.0.0.2", name="A-video")
    # Offer: audio, video, and a text line already rejected by A.
    medias_a = [{"port": a.port}, {"type": "video", "port": av.port},
                {"type": "text", "port": 0, "fmts": [98]}]
    # Answer: B takes audio, rejects video.
    medias_b = [{"port": b.port}, {"type": "video", "port": 0},
                {"type": "text", "port": 0, "fmts": [98]}]
    call = NgCall(relay, "reject@ng", a, b, a_sdp=make_sdp(a.ip, medias_a),
                  b_sdp=make_sdp(b.ip, medias_b))
    assert [m.port for m in call.to_b.medias][2] == 0
    assert relay.in_range(call.to_b.medias[1].port)
    assert call.to_a.medias[1].port == 0 and call.to_a.medias[2].port == 0
    for m in (call.to_a.medias[1], call.to_a.medias[2], call.to_b.medias[2]):
        assert not m.has("rtcp"), "a=rtcp for a rejected line: %r" % m
    assert_both_ways(call, n=10)


# ---------------------------------------------------------------- IPv6


def _have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _have_ipv6(), reason="no IPv6 loopback")


@needs_ipv6
def test_ipv6_offer(relay, phones):
    a, b = phones("::1", name="A6"), phones("::1", name="B6")
    call = NgCall(relay, "v6@ng", a, b)
    assert_relay_sdp(call.to_b, "IP6")
    assert_relay_sdp(call.to_a, "IP6")
    assert " IN IP6 ::1" in call.to_b.text
    assert_both_ways(call, n=20)


@needs_ipv6
def test_ipv4_to_ipv6_bridging(relay, phones):
    a, b = phones("127.0.0.2", name="A4"), phones("::1", name="B6")
    call = NgCall(relay, "v46@ng", a, b, offer_keys={"address-family": "IP6"},
                  answer_keys={"address-family": "IP4"})
    assert_relay_sdp(call.to_b, "IP6")
    assert_relay_sdp(call.to_a, "IP4")
    assert_both_ways(call, n=20)
    a.send_rtcp_sr(call.a_rtcp())
    b.send_rtcp_sr(call.b_rtcp())
    assert len(b.recv(1, rtcp=True)) == 1 and len(a.recv(1, rtcp=True)) == 1


# ---------------------------------------------------------------- rtcp-mux


def test_rtcp_mux_demux(relay, phones):
    """A muxes RTCP on its RTP port; B uses a separate RTCP port."""
    a, b = phones("127.0.0.2", name="A-mux"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "mux@ng", a, b,
                  a_sdp=audio_sdp(a.ip, a.port, mux=True, rtcp=a.port),
                  offer_keys={"rtcp-mux": ["demux"]})
    m = call.to_b.audio
    assert not m.mux and m.rtcp_port == m.port + 1, call.to_b.text
    m = call.to_a.audio
    assert m.mux and m.rtcp_port == m.port, call.to_a.text
    assert_both_ways(call, n=20)
    # A's RTCP leaves its RTP socket for the one relay port.
    sr_a = rtcp_sr(a.ssrc, packets=20)
    a.rtp.sendto(sr_a, call.a_dst())
    got = b.recv(1, rtcp=True)
    assert [d for d, _ in got] == [sr_a], "B's RTCP socket got %r" % got
    # B's RTCP (separate port) arrives on A's RTP socket.
    sr_b = b.send_rtcp_sr(call.b_rtcp())
    got = a.recv(1)
    assert [d for d, _ in got] == [sr_b], "A's RTP socket got %r" % got
    assert a.drain() == ([], []) and b.drain() == ([], [])


# ---------------------------------------------------------------- forks


def test_forks_with_via_branch(relay, phones):
    a = phones("127.0.0.2", name="A")
    b1, b2 = phones("127.0.0.3", name="B1"), phones("127.0.0.4", name="B2")
    sdp_a = audio_sdp(a.ip, a.port, sess_id=7)
    _, to_b1 = relay.offer("fork@ng", "ftag-a", sdp_a, via_branch="z9hG4bK.0")
    _, to_b2 = relay.offer("fork@ng", "ftag-a", sdp_a, via_branch="z9hG4bK.1")
    assert to_b1.audio.port != to_b2.audio.port, "both branches were offered the same port"
    # A 183 from branch 0, then the 200 from branch 1: each answer gives A
    # its own port, and media follows each branch's ports as it arrives.
    answers = []
    for bx, tag, br, to_bx in ((b1, "tb1", "z9hG4bK.0", to_b1), (b2, "tb2", "z9hG4bK.1", to_b2)):
        _, to_ax = relay.answer("fork@ng", "ftag-a", tag, audio_sdp(bx.ip, bx.port),
                                via_branch=br)
        answers.append(to_ax.audio.port)
        got_b, got_a = exchange_media(a, (to_ax.audio.addr, to_ax.audio.port), bx,
                                      (to_bx.audio.addr, to_bx.audio.port), count=10)
        assert relayed(got_b, a) == 10, "A -> %s" % bx.name
        assert relayed(got_a, bx) == 10, "%s -> A" % bx.name
        assert {s for _, s in got_a} == {(to_ax.audio.addr, to_ax.audio.port)}
    assert answers[0] != answers[1], "both answers gave A the same port"
    assert b1.drain() == ([], []) and b2.drain() == ([], [])
    # The same branch offered again gets the same ports.
    _, again = relay.offer("fork@ng", "ftag-a", sdp_a, via_branch="z9hG4bK.1")
    assert again.audio.port == to_b2.audio.port


def test_second_to_tag_without_via_branch(relay, phones):
    a = phones("127.0.0.2", name="A")
    b1, b2 = phones("127.0.0.3", name="B1"), phones("127.0.0.4", name="B2")
    _, to_b = relay.offer("fork2@ng", "ftag-a", audio_sdp(a.ip, a.port))
    _, to_a1 = relay.answer("fork2@ng", "ftag-a", "tb1", audio_sdp(b1.ip, b1.port))
    _, to_a2 = relay.answer("fork2@ng", "ftag-a", "tb2", audio_sdp(b2.ip, b2.port))
    assert_relay_sdp(to_a2)
    # The latest answer wins: A's media reaches B2 through the ports it got.
    a.send_rtp((to_a2.audio.addr, to_a2.audio.port), 10, 0.002)
    assert relayed(b2.recv(10), a) == 10, "A -> B2 after B2's answer"
    assert relay.query("fork2@ng", from_tag="ftag-a")["result"] == "ok"


def test_late_offer(relay, phones):
    """INVITE without SDP: the 200 OK carries B's offer (tags swapped), the
    ACK carries A's answer."""
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    _, to_a = relay.offer("late@ng", "ttag-b", audio_sdp(b.ip, b.port), to_tag="ftag-a")
    _, to_b = relay.answer("late@ng", "ttag-b", "ftag-a", audio_sdp(a.ip, a.port))
    assert_relay_sdp(to_a) and assert_relay_sdp(to_b)
    got_b, got_a = exchange_media(a, (RELAY_IP, to_a.audio.port), b,
                                  (RELAY_IP, to_b.audio.port), count=20)
    assert relayed(got_b, a) == 20 and relayed(got_a, b) == 20
    q = relay.query("late@ng")
    assert {"ftag-a", "ttag-b"} <= set(q["tags"])


# ---------------------------------------------------------------- delete


def _call_gone(relay, call):
    q = relay.ng.cmd("query", call_id=call.callid)
    assert q == {"result": "error", "error-reason": "Unknown call-id"}, q
    call.a.send_rtp(call.a_dst(), 5)
    call.b.send_rtp(call.b_dst(), 5)
    assert quiet(call.a) == [] and quiet(call.b) == [], "media still relayed"


@pytest.mark.parametrize("who", ["from-tag", "callee-tag", "call-id-only"])
def test_delete_now(relay, phones, who):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "del-%s@ng" % who, a, b)
    assert_both_ways(call, n=5)
    keys = {"from-tag": {"from_tag": "ftag-a"}, "callee-tag": {"from_tag": "ttag-b"},
            "call-id-only": {}}[who]
    d = relay.ng.ok("delete", call_id=call.callid, delete_delay=0, **keys)
    if keys:
        # (rtpengine answers a delete by call-id alone with no statistics)
        assert d["totals"]["RTP"]["packets"] == 10, d
    _call_gone(relay, call)


def test_delete_by_to_tag(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "del-to@ng", a, b)
    assert_both_ways(call, n=5)
    relay.ng.ok("delete", call_id=call.callid, from_tag="ftag-a", to_tag="ttag-b",
                delete_delay=0)
    # B's leg is gone: nothing reaches B any more.
    a.send_rtp(call.a_dst(), 5)
    assert quiet(b) == [], "media still reaches the deleted leg"


def test_delete_with_default_delay_keeps_relaying(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "del-delay@ng", a, b)
    d = call.delete()
    assert d["result"] == "ok" and "warning" not in d
    # Within the delay: media flows, query answers, a second delete is ok.
    assert_both_ways(call, n=10)
    assert relay.query(call.callid)["totals"]["RTP"]["packets"] == 20
    assert "warning" not in call.delete()
    # A new answer revives the call; then delete-delay 0 ends it at once.
    relay.answer(call.callid, "ftag-a", "ttag-b", audio_sdp(b.ip, b.port))
    assert_both_ways(call, n=10)
    call.delete(delete_delay=0)
    _call_gone(relay, call)


def test_delete_unknown_call(relay):
    d = relay.ng.cmd("delete", call_id="nosuch@ng", from_tag="x")
    assert d["result"] == "ok" and d["warning"] == "Call-ID not found or tags didn't match", d
    d = relay.ng.cmd("delete", call_id="nosuch@ng", from_tag="x", flags=["fatal"])
    assert d == {"result": "error", "error-reason": "Call-ID not found or tags didn't match"}
    d = relay.ng.cmd("answer", call_id="nosuch@ng", from_tag="x", to_tag="y",
                     sdp=audio_sdp("127.0.0.3", 20000))
    assert d == {"result": "error", "error-reason": "Unknown call-id"}, d


def test_bencode_roundtrip_of_a_real_reply(relay, phones):
    """The client's decoder is byte-exact on what the relay writes."""
    a = phones("127.0.0.2", name="A")
    req = {"sdp": audio_sdp(a.ip, a.port), "call-id": "bencode@ng", "from-tag": "f",
           "command": "offer"}
    raw = relay.ng.exchange_raw(b"rt_1 " + bencode(req))
    body = raw[len(b"rt_1 "):]
    assert bencode(bdecode(body)) == body
