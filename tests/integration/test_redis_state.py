"""A restored call keeps everything a live one has (issue 14): recording,
a delayed ng delete, the ng party state an answer needs (rtcp-mux offered,
labels) and the per-call media processing modifiers (Z, J).

Like test_redis.py: one redis-server per test (stopped by PID), a "crash"
is SIGKILL and the restart runs the same command line. Assertions count
packets at the phones and in the pcap files, and what query answers.
"""

import re

from ngclient import audio_sdp
from ngrelay import NgCall, relayed
from redislab import Relay, both_ways, key, pytestmark, redis, wait_for  # noqa: F401
from rtpp import Phone, collect, make_call, rtcp_sr, rtp_packet
from test_media import q
from test_record import read_pcap


def test_recorded_call_records_on_after_a_crash(rtproam, redis, workdir):
    """R before the crash: packets relayed after the restore land in a new
    pcap file, named with the same Call-ID and tag as the first one."""
    r = redis()
    rec = workdir / "rec"
    rec.mkdir()
    relay = Relay(rtproam, r, extra=["--record-dir", str(rec)])
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(relay.ctl, "rec-crash", a, b)
    assert relay.ctl("R rec-crash ft tt") == "0"
    assert wait_for(lambda: r.hgetall(key("rec-crash")).get("rec") == "1 tag=ft"), \
        r.hgetall(key("rec-crash"))
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    before = wait_for(lambda: sorted(rec.glob("*.pcap")))
    assert len(before) == 1 and "-rec-crash-ft" in before[0].name, before

    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    new = wait_for(lambda: sorted(set(rec.glob("*.pcap")) - set(before)))
    assert len(new) == 1 and "-rec-crash-ft" in new[0].name, new
    sent_a = a.send_rtp(call.a_dst, 20, 0.02)
    sent_b = b.send_rtp(call.b_dst, 20, 0.02)
    assert relayed(b.recv(20), a) == 20 and relayed(a.recv(20), b) == 20
    assert relay.ctl("D rec-crash ft tt") == "0"
    relay.d.stop()      # the writer flushes and closes every file
    pkts = read_pcap(new[0])
    assert [p[12:] for s, d, p in pkts if s == a.port and d == call.a_port] == sent_a
    assert [p[12:] for s, d, p in pkts if s == b.port and d == call.b_port] == sent_b


def test_delayed_delete_still_happens_after_a_crash(rtproam, redis, phones):
    """ng delete with delete-delay, then a crash: the restored call goes
    when the delay ends, not when its (much longer) TTL would end it."""
    r = redis()
    relay = Relay(rtproam, r, extra=["-T", "300"])
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay.ng(), "del-crash", a, b)
    assert call.delete(delete_delay=4)["result"] == "ok"
    assert wait_for(lambda: re.search(r" del=[1-9]", r.hgetall(key("del-crash"))
                                      .get("m0", ""))), r.hgetall(key("del-crash"))
    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    # Within the delay it is there, and relays.
    assert relay.ng().query("del-crash")["result"] == "ok"
    to_b, to_a, _ = both_ways(a, call.a_dst(), b, call.b_dst(), n=5)
    assert (to_b, to_a) == (5, 5)
    assert wait_for(lambda: r.cli("EXISTS", key("del-crash")) == "0", 15), \
        "the restored call outlived its delete-delay"
    assert relay.ng().ng.cmd("query", call_id="del-crash")["result"] == "error"


def normalised(sdp):
    """The SDP's lines with ports, addresses and session ids blanked."""
    return [re.sub(r"\d+", "N", line) for line in sdp.text.splitlines()]


def test_answer_after_a_crash_between_offer_and_answer(rtproam, redis, phones):
    """Offer (A muxes, labelled), crash, answer (B accepts mux): the answer
    and what follows are those of a relay that did not crash."""
    r = redis()
    relay = Relay(rtproam, r)
    labels = {"label": "caller", "set-label": "callee"}

    def offer_answer(callid, a, b, crash):
        ng = relay.ng()
        _, to_b = ng.offer(callid, "ftag-a", audio_sdp(a.ip, a.port, mux=True, rtcp=a.port),
                           **labels)
        assert to_b.audio.mux, to_b.text
        if crash:
            assert wait_for(lambda: "mo1=1 lb0=caller lb1=callee " in r.hgetall(key(callid))
                            .get("m0", "")), r.hgetall(key(callid))
            # The reference call too, or the restore would miss it.
            assert wait_for(lambda: " ans=1 " in r.hgetall(key("live")).get("m0", ""))
            relay.crash_and_restart()
            assert relay.info().get("ha restored") == 2
            ng = relay.ng()
        _, to_a = ng.answer(callid, "ftag-a", "ttag-b",
                            audio_sdp(b.ip, b.port, mux=True, rtcp=b.port))
        return to_b, to_a, ng

    a1, b1 = phones("127.0.0.2", name="A1"), phones("127.0.0.3", name="B1")
    _, ref, _ = offer_answer("live", a1, b1, crash=False)
    a2, b2 = phones("127.0.0.4", name="A2"), phones("127.0.0.5", name="B2")
    to_b, to_a, ng = offer_answer("crashed", a2, b2, crash=True)
    assert normalised(to_a) == normalised(ref), (to_a.text, ref.text)
    assert to_a.audio.mux

    # B accepted the mux it was offered before the crash: A's RTCP reaches
    # B's RTP port, B's RTCP (on its RTP port) reaches A's.
    a_dst, b_dst = (to_a.audio.addr, to_a.audio.port), (to_b.audio.addr, to_b.audio.port)
    assert both_ways(a2, a_dst, b2, b_dst, n=5)[:2] == (5, 5)
    sr_a = rtcp_sr(a2.ssrc, packets=5)
    a2.rtp.sendto(sr_a, a_dst)
    assert [d for d, _ in b2.recv(1)] == [sr_a], "A's RTCP did not reach B's RTP port"
    sr_b = rtcp_sr(b2.ssrc, packets=5)
    b2.rtp.sendto(sr_b, b_dst)
    assert [d for d, _ in a2.recv(1)] == [sr_b]
    assert b2.drain() == ([], [])
    tags = ng.query("crashed")["tags"]
    assert tags["ftag-a"].get("label") == "caller", tags
    assert tags["ttag-b"].get("label") == "callee", tags


def test_resizer_survives_a_crash(rtproam, redis, phones):
    """U with Z40 (A's 20 ms packets leave as 40 ms): after the restore, B
    still gets A's audio in 40 ms packets, and B's own stay 20 ms."""
    r = redis()
    relay = Relay(rtproam, r)
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    b_port = int(relay.ctl("Uc0Z40 z40 %s %d ft;1" % (a.ip, a.port)).split()[0])
    a_port = int(relay.ctl("Lc0 z40 %s %d ft;1 tt;1" % (b.ip, b.port)).split()[0])
    a_dst, b_dst = ("127.0.0.1", a_port), ("127.0.0.1", b_port)
    # Stored after the L (B's address known), with A's resizer.
    assert wait_for(lambda: " ans=1 " in r.hgetall(key("z40")).get("m0", "") and
                    "zp=40" in r.hgetall(key("z40")).get("m0.a", "")), r.hgetall(key("z40"))
    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    b.send_rtp(b_dst, 1)
    assert len(a.recv(1)) == 1
    stream = bytes(i % 251 for i in range(20 * 160))
    seq0, ts0 = a.seq, a.ts
    for i in range(20):
        a.rtp.sendto(rtp_packet((seq0 + i) & 0xFFFF, (ts0 + 160 * i) & 0xFFFFFFFF,
                                a.ssrc, stream[i * 160:(i + 1) * 160]), a_dst)
    got = collect(b.rtp, 10, timeout=3.0)
    assert [len(d) - 12 for d, _ in got] == [320] * 10
    assert b"".join(d[12:] for d, _ in got) == stream
    b.send_rtp(b_dst, 5)
    assert [len(d) - 12 for d, _ in a.recv(5)] == [160] * 5
    # relay.ctl after the restart: the old control connection died with it.
    out = wait_for(lambda: q(relay.ctl, "z40", "rz_out_a")["rz_out_a"] == 10, 3)
    assert out, q(relay.ctl, "z40", "rz_out_a", "rz_out_o")
