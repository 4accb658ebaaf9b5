"""ng, side by side (rtproam and rtpengine): the reply cache, limits,
malformed input, flags, JSON, NAT (SIP-source-address), ICE, asymmetric and
strict-source relaying, recording and media blocking. See test_ng.py's
docstring for the differences between the two relays."""

import json

import pytest

from ngrelay import RELAY_IP, NgCall, quiet, relayed
from ngclient import audio_sdp, bencode  # noqa: I100 (after ngrelay)
from rtpp import exchange_media, poll_until


def err(reason):
    return {"result": "error", "error-reason": reason}


def normal_call_works(relay, phones, callid="after@ng", n=10):
    """A fresh call relays n packets both ways: nothing else was disturbed."""
    a, b = phones("127.0.0.2", name="A-ok"), phones("127.0.0.3", name="B-ok")
    call = NgCall(relay, callid, a, b)
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=n)
    assert relayed(got_b, a) == n and relayed(got_a, b) == n, "a normal call no longer works"
    call.delete(delete_delay=0)


# ---------------------------------------------------------------- reply cache


def test_same_cookie_twice_executes_once(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "cache@ng", a, b)
    a.send_rtp(call.a_dst(), 4)
    assert len(b.recv(4)) == 4
    # A delete resent with the same cookie: a second execution would answer
    # with the "not found" warning and no statistics.
    dgram = b"cache_del_1 " + bencode({"call-id": "cache@ng", "from-tag": "ftag-a",
                                       "delete-delay": 0, "command": "delete"})
    first = relay.ng.exchange_raw(dgram)
    second = relay.ng.exchange_raw(dgram)
    assert first is not None and second == first, (first, second)
    assert b"warning" not in first and b"totals" in first


def test_same_cookie_other_body_gets_cached_reply(relay, phones):
    a = phones("127.0.0.2", name="A")
    first = relay.ng.exchange_raw(b"cache_2 " + bencode(
        {"sdp": audio_sdp(a.ip, a.port), "call-id": "cache-x@ng", "from-tag": "f",
         "command": "offer"}))
    assert b"6:result2:ok" in first
    other = relay.ng.exchange_raw(b"cache_2 " + bencode(
        {"sdp": audio_sdp(a.ip, a.port), "call-id": "cache-y@ng", "from-tag": "f",
         "command": "offer"}))
    assert other == first, "a reused cookie was executed again"
    assert relay.ng.cmd("query", call_id="cache-y@ng") == err("Unknown call-id")
    assert relay.ng.ok("list")["calls"] == ["cache-x@ng"]


# ---------------------------------------------------------------- limits


def test_max_calls(ng_relay, phones):
    relay = ng_relay(max_calls=1)
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "lim-1@ng", a, b)
    sdp = audio_sdp("127.0.0.4", 20000)
    rep = relay.ng.cmd("offer", call_id="lim-2@ng", from_tag="f", sdp=sdp,
                       supports=["load limit"])
    assert rep == {"result": "load limit", "message": "Parallel session limit reached"}, rep
    rep = relay.ng.cmd("offer", call_id="lim-2@ng", from_tag="f", sdp=sdp)
    assert rep == err("Parallel session limit reached"), rep
    # The call in place is not affected: re-offers pass the limit.
    relay.offer("lim-1@ng", "ftag-a", audio_sdp(a.ip, a.port, version=2), to_tag="ttag-b",
                supports=["load limit"])
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10
    # Once it is gone there is room again.
    call.delete(delete_delay=0)
    normal_call_works(relay, phones)


def test_out_of_ports(ng_relay, phones):
    relay = ng_relay(nports=4)     # one audio call: a pair on each side
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "ports-1@ng", a, b)
    for with_supports in (True, False):
        keys = {"supports": ["load limit"]} if with_supports else {}
        rep = relay.ng.cmd("offer", call_id="ports-2@ng", from_tag="f",
                           sdp=audio_sdp("127.0.0.4", 20000), **keys)
        assert rep == err("Ran out of ports"), rep
    # The half-built call was not kept, and the first one still relays.
    assert relay.ng.cmd("query", call_id="ports-2@ng") == err("Unknown call-id")
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10


# ---------------------------------------------------------------- malformed

NO_REPLY = [b"nocookie", b" d7:command4:pinge", b"c3\td7:command4:pinge"]

BAD = [
    # (datagram, reply after "COOKIE ")
    (b"c4 ", b"d6:result5:error12:error-reason25:Invalid data (no payload)e"),
    (b"c5  d7:command4:pinge", bencode(err("Invalid NG data format"))),
    (b"c6 i42e", bencode(err("Invalid NG data format"))),
    (b"c7 [1,2]", bencode(err("Invalid NG data format"))),
    (b'c8 {"command":', b'{"result":"error","error-reason":"Failed to parse JSON document"}'),
    (b"c9 d3:foo3:bare", bencode(err('Dictionary contains no key "command"'))),
    (b"c10 d7:commandi1ee", bencode(err('Dictionary contains no key "command"'))),
    (b"c11 d7:command4:PINGe", bencode(err("Unrecognized command"))),
    (b"c12 d7:command5:helloe", bencode(err("Unrecognized command"))),
]


def test_malformed_datagrams(relay, phones):
    for dgram in NO_REPLY:
        relay.ng.drain()
        relay.ng.send_raw(dgram)
        assert relay.ng.recv_raw(timeout=0.3) is None, "%r was answered" % dgram
    for dgram, want in BAD:
        cookie = dgram.split(b" ", 1)[0]
        raw = relay.ng.exchange_raw(dgram, cookie=cookie, tries=1)
        assert raw is not None, "no reply to %r" % dgram
        body = raw[len(cookie) + 1:]
        if want.startswith(b"{"):
            assert json.loads(body) == json.loads(want), (dgram, raw)
        else:
            assert body == want, "%r answered %r" % (dgram, raw)
    # Unknown keys are ignored.
    raw = relay.ng.exchange_raw(b"c13 d3:foo3:bar7:command4:ping5:extrali1eee")
    assert raw == b"c13 d6:result4:ponge"
    normal_call_works(relay, phones)


def test_missing_keys_and_bad_sdp(relay, phones):
    sdp = audio_sdp("127.0.0.2", 20000)
    assert relay.ng.cmd("offer", from_tag="f", sdp=sdp) == err("No call-id in message")
    assert relay.ng.cmd("offer", call_id="m@ng", sdp=sdp) == err("No from-tag in message")
    assert relay.ng.cmd("offer", call_id="m@ng", from_tag="f") == err("No SDP body in message")
    assert relay.ng.cmd("offer", call_id=123, from_tag="f", sdp=sdp) == \
        err("No call-id in message")
    # rtproam says which line failed and why; rtpengine only that it failed.
    bad = relay.ng.cmd("offer", call_id="m@ng", from_tag="f", sdp="this is not SDP\r\n")
    assert bad["result"] == "error" and set(bad) == {"result", "error-reason"}, bad
    assert bad["error-reason"] == relay.expect({
        "rtproam": "Failed to parse SDP: line 1: not of the form x=value",
        "rtpengine": "Failed to parse SDP"}), bad
    assert relay.ng.cmd("query", call_id="m@ng") == err("Unknown call-id")
    normal_call_works(relay, phones)


def test_oversized_inputs(relay, phones):
    # A 60 KB ping: padding in an unknown key.
    raw = relay.ng.exchange_raw(b"big_1 " + bencode({"pad": "x" * 60000, "command": "ping"}),
                                tries=1)
    assert raw == b"big_1 d6:result4:ponge"
    # A 10,000-line SDP: answered (any result) or refused, never a crash.
    lines = "a=x\r\n" * 10000
    sdp = audio_sdp("127.0.0.2", 20000) + lines
    assert len(sdp) < 65000
    rep = relay.ng.cmd("offer", call_id="huge@ng", from_tag="f", sdp=sdp)
    assert rep["result"] in ("ok", "error"), rep.get("result")
    assert relay.ng.ok("ping") == {"result": "pong"}
    normal_call_works(relay, phones)


# SRTP profiles: rtproam refuses them until it terminates SRTP; rtpengine
# relays them (adding its own a=crypto lines).
SAVP_RESULT = {"rtproam": "error", "rtpengine": "ok"}


def test_srtp_profile(relay, phones):
    sdp = audio_sdp("127.0.0.2", 20000, proto="RTP/SAVP",
                    attrs=["crypto:1 AES_CM_128_HMAC_SHA1_80 "
                           "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"])
    rep = relay.ng.cmd("offer", call_id="srtp@ng", from_tag="f", sdp=sdp)
    assert rep["result"] == relay.expect(SAVP_RESULT), rep
    if rep["result"] == "error":
        assert rep["error-reason"], rep
    normal_call_works(relay, phones)


# ---------------------------------------------------------------- flags, JSON

# rtproam says which flags it ignored; rtpengine only logs them.
UNKNOWN_FLAG_WARNS = {"rtproam": True, "rtpengine": False}


def test_unknown_flags_are_accepted(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "flags@ng", a, b,
                  offer_keys={"flags": ["no-such-flag", "symmetric"], "no-such-key": "1",
                              "rtpp-flags": "x", "sip-message-type": "sip_request"})
    assert ("warning" in call.offer_rep) == relay.expect(UNKNOWN_FLAG_WARNS), call.offer_rep
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10


def test_json_request_gets_json_reply(relay, phones):
    raw = relay.ng.exchange_raw(b'j1 {"command":"ping"}')
    assert raw.startswith(b"j1 {") and json.loads(raw[3:]) == {"result": "pong"}
    a = phones("127.0.0.2", name="A")
    rep = relay.ng.request({"command": "offer", "call-id": "json@ng", "from-tag": "f",
                            "sdp": audio_sdp(a.ip, a.port)}, cookie="j2", as_json=True)
    assert rep["result"] == "ok" and relay.in_range(int(rep["sdp"].split("m=audio ")[1].split()[0]))
    raw = relay.ng.exchange_raw(b'j3 {"command":"query","call-id":"json@ng"}')
    assert json.loads(raw[3:])["totals"]["RTP"]["packets"] == 0


# ---------------------------------------------------------------- NAT, ICE


def test_sip_source_address(relay, phones):
    """A's SDP names its private address; media goes to the SIP source
    address (received-from) with the SDP's port, before A sends anything."""
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "nat@ng", a, b, a_sdp=audio_sdp("192.168.1.20", a.port),
                  offer_keys={"flags": ["SIP-source-address"],
                              "received-from": ["IP4", "127.0.0.2"],
                              "replace": ["origin", "session-connection"]})
    assert call.to_b.origin_addr == RELAY_IP and call.to_b.c == RELAY_IP
    b.send_rtp(call.b_dst(), 10, 0.002)
    got = a.recv(10)
    assert relayed(got, b) == 10, "B->A: %d of 10 reached 127.0.0.2:%d" % (len(got), a.port)
    a.send_rtcp_sr(call.a_rtcp())
    b.send_rtcp_sr(call.b_rtcp())
    assert len(a.recv(1, rtcp=True)) == 1 and len(b.recv(1, rtcp=True)) == 1


# With no ICE key, rtproam strips ICE (it speaks none); rtpengine replaces
# the client's candidates with its own.
ICE_ABSENT_ADDS_CANDIDATES = {"rtproam": False, "rtpengine": True}


@pytest.mark.parametrize("ice", ["remove", None])
def test_ice_stripped(relay, phones, ice):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    keys = {"ICE": ice} if ice else {}
    call = NgCall(relay, "ice@ng", a, b, a_sdp=audio_sdp(a.ip, a.port, ice=True),
                  b_sdp=audio_sdp(b.ip, b.port, ice=True), offer_keys=keys, answer_keys=keys)
    for sdp in (call.to_b, call.to_a):
        client = [x for x in sdp.audio.ice_lines if "127.0.0.2" in x or "127.0.0.3" in x
                  or x in ("ice-ufrag:Ab12", "ice-pwd:abcdefghijklmnopqrstuv")]
        assert client == [], "client ICE lines left in:\n%s" % sdp.text
        added = [x for x in sdp.audio.ice_lines if x.startswith("candidate")]
        expect_added = ice is None and relay.expect(ICE_ABSENT_ADDS_CANDIDATES)
        assert bool(added) == expect_added, sdp.text
        if not expect_added:
            assert sdp.audio.ice_lines == [], sdp.text
    if ice == "remove":
        got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
        assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10


# ---------------------------------------------------------------- asymmetric, strict


def test_asymmetric(relay, phones):
    """No learning: media to A keeps going to A's SDP port although A sends
    from another port."""
    a_sdp_port = phones("127.0.0.2", name="A-sdp")     # only listens
    a_send = phones("127.0.0.2", name="A-send")        # where A really sends from
    b = phones("127.0.0.3", name="B")
    call = NgCall(relay, "asym@ng", a_sdp_port, b, offer_keys={"flags": ["asymmetric"]},
                  answer_keys={"flags": ["asymmetric"]})
    a_send.send_rtp(call.a_dst(), 10, 0.002)
    assert relayed(b.recv(10), a_send) == 10, "A (from another port) -> B"
    b.send_rtp(call.b_dst(), 10, 0.002)
    assert relayed(a_sdp_port.recv(10), b) == 10, "B -> A's SDP port"
    assert a_send.drain() == ([], []), "A's sending port was learned"


# A stranger's packets right after the call was set up. rtproam never
# forwards from an unverified source and counts the drops as errors;
# rtpengine is still in its 3 s learning window, so strict-source does not
# apply yet: it relays them and moves A's endpoint to the stranger.
STRANGER_RELAYED = {"rtproam": 0, "rtpengine": 10}
STRANGER_ERRORS = {"rtproam": 10, "rtpengine": 0}


def test_strict_source(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    m = phones("127.0.0.9", name="M")
    call = NgCall(relay, "strict@ng", a, b, offer_keys={"flags": ["strict-source"]},
                  answer_keys={"flags": ["strict-source"]})
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10
    m.send_rtp(call.a_dst(), 10, 0.002)
    got = b.recv(10, timeout=0.5)
    assert relayed(got, m) == relay.expect(STRANGER_RELAYED), "stranger's packets relayed"
    want_err = relay.expect(STRANGER_ERRORS)
    rtp, _ = poll_until(lambda: relay.totals("strict@ng"), lambda t: t[0]["errors"] >= want_err)
    assert rtp["errors"] == want_err, rtp
    assert rtp["packets"] >= 20, rtp


# ---------------------------------------------------------------- recording, blocking


def test_start_stop_recording(ng_relay, phones, workdir):
    rec = workdir / "rec"
    rec.mkdir()
    relay = ng_relay(record_dir=rec)
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "rec@ng", a, b)
    relay.ng.ok("start recording", call_id="rec@ng")
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=20)
    assert relayed(got_b, a) == 20 and relayed(got_a, b) == 20
    relay.ng.ok("stop recording", call_id="rec@ng")
    call.delete(delete_delay=0)
    files = poll_until(lambda: sorted(rec.rglob("*.pcap")), lambda f: len(f) >= 1, timeout=3.0)
    assert files, "no pcap in %s: %r" % (rec, sorted(rec.rglob("*")))
    # The writer thread flushes a moment after the call ends.
    size = poll_until(lambda: files[0].stat().st_size, lambda n: n > 24 + 40 * 172, timeout=3.0)
    assert size > 24 + 40 * 172, "pcap %s holds too little: %d bytes" % (files[0], size)
    assert relay.ng.cmd("start recording", call_id="nosuch@ng") == err("Unknown call-id")


def test_block_and_unblock_media(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "block@ng", a, b)
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10
    relay.ng.ok("block media", call_id="block@ng")
    a.send_rtp(call.a_dst(), 10, 0.002)
    b.send_rtp(call.b_dst(), 10, 0.002)
    assert quiet(a) == [] and quiet(b) == [], "media passed while blocked"
    relay.ng.ok("unblock media", call_id="block@ng")
    got_b, got_a = exchange_media(a, call.a_dst(), b, call.b_dst(), count=10)
    assert relayed(got_b, a) == 10 and relayed(got_a, b) == 10
    assert relay.ng.cmd("block media", call_id="nosuch@ng")["result"] == "error"
