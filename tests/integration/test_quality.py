"""Call quality as the relay reports it, against what the senders know they
did (the issue's acceptance test): the Prometheus endpoint scraped over HTTP
during a call with injected loss and jitter, Q's per-side figures, the
end-of-call histograms, and RTCP round trip and far-end reports.

Loss is injected by skipping sequence numbers (with their timestamps and
send slots), so the relay must count exactly what was skipped. Jitter is
injected by sending in pairs: two packets back to back, then a 40 ms pause,
while timestamps advance 160 (20 ms at 8 kHz) per packet, so the RFC 3550
transit difference |D| is 20 ms per packet. The expected jitter is not
assumed: each sender runs the RFC 3550 A.8 estimator over the times at
which it really sent, and the relay's figure must be within 1 % of it.
"""

import select
import socket
import struct
import time

import pytest

from rtpp import free_port, make_call, metrics, poll_until, rtp_packet, scrape

CLOCK = 8000            # PT 0 (PCMU)
TS_STEP = 160           # 20 ms of audio per packet
PAYLOAD = 160           # bytes: 172-byte datagrams
SLOTS = 210             # sequence numbers used by A (and by B)
# A's lost packets: seven single ones and one run of three, all well before
# the end so that the last ~40 jitter samples are all |D| = 20 ms.
SKIPPED = frozenset({11, 30, 55, 80, 99, 100, 101, 120, 140, 160})
PAIR_GAP = 0.040        # pause after each back-to-back pair
# Bytes counted on the wire per RTP datagram (src/media/stats.h): UDP payload +
# UDP 8 + IPv4 20 + Ethernet II 18 (14 header + 4 FCS).
WIRE = PAYLOAD + 12 + 8 + 20 + 18
REL_TOL = 0.01


# ---------------------------------------------------------------- helpers


def qv(ctl, callid, names, ftag="ft", ttag="tt"):
    """Qv with named fields -> {name: int}."""
    reply = ctl("Qv %s %s;1 %s;1 %s" % (callid, ftag, ttag, " ".join(names)))
    fields = dict(f.split("=", 1) for f in reply.split())
    assert set(fields) == set(names), "Qv answered %r" % reply
    return {k: int(v) for k, v in fields.items()}


def rfc3550_jitter(sent):
    """RFC 3550 A.8 over [(send time s, rtp ts)] as a receiver with zero,
    constant transit would see it. Returns J in microseconds."""
    j = 0.0
    for (r0, t0), (r1, t1) in zip(sent, sent[1:]):
        d = (r1 - r0) * 1e6 - (t1 - t0) * 1e6 / CLOCK
        j += (abs(d) - j) / 16
    return j


def drain(socks, into, wait):
    """Read whatever arrives on socks for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    for _ in range(10000):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select(socks, [], [], left)
        for s in r:
            try:
                data = s.recv(2048)
            except (BlockingIOError, ConnectionRefusedError):
                continue
            into[s].append(data)


def send_paired(a, a_dst, b, b_dst):
    """Both phones send SLOTS slots in back-to-back pairs, 40 ms apart; A
    skips SKIPPED. Returns ({phone: [(send time, ts)]}, {sock: [datagrams]})
    with what arrived meanwhile (read while waiting, so that no socket
    buffer overflows)."""
    sent = {a: [], b: []}
    got = {a.rtp: [], b.rtp: []}
    base = {p: (p.seq, p.ts) for p in (a, b)}
    payload = b"\xd5" * PAYLOAD
    start = time.monotonic()
    for k in range(SLOTS):
        if k % 2 == 0 and k > 0:
            drain([a.rtp, b.rtp], got, start + PAIR_GAP * (k // 2) - time.monotonic())
        for p, dst in ((a, a_dst), (b, b_dst)):
            if p is a and k in SKIPPED:
                continue
            seq0, ts0 = base[p]
            pkt = rtp_packet(seq0 + k, ts0 + TS_STEP * k, p.ssrc, payload, 0)
            sent[p].append((time.monotonic(), (ts0 + TS_STEP * k) & 0xFFFFFFFF))
            p.rtp.sendto(pkt, dst)
    drain([a.rtp, b.rtp], got, 0.3)
    return sent, got


def wait_metrics(port, name, want, timeout=4.0):
    return poll_until(lambda: metrics(port), lambda m: m.get(name) == want, timeout, 0.1)


def within(got, want, tol=REL_TOL):
    return abs(got - want) <= tol * abs(want)


# ---------------------------------------------------------------- tests


def test_metrics_match_what_the_senders_did(rtproam, phones):
    mport = free_port(socket.SOCK_STREAM)
    d = rtproam("--metrics", "127.0.0.1:%d" % mport)
    ctl = d.ctl
    before = poll_until(lambda: metrics(mport), lambda m: "rtproam_calls_active" in m)
    assert before["rtproam_stream_jitter_ms_count"] == 0
    assert before["rtproam_rtp_expected_total"] == 0

    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "quality@test", a, b)
    sent, got = send_paired(a, call.a_dst, b, call.b_dst)
    n_a, n_b = len(sent[a]), len(sent[b])
    assert (n_a, n_b) == (SLOTS - len(SKIPPED), SLOTS)
    assert len(got[b.rtp]) == n_a, "B received %d of A's %d" % (len(got[b.rtp]), n_a)
    assert len(got[a.rtp]) == n_b, "A received %d of B's %d" % (len(got[a.rtp]), n_b)

    # The worker publishes its statistics once a second: wait for them.
    m = wait_metrics(mport, "rtproam_rtp_expected_total", 2 * SLOTS)
    assert m["rtproam_calls_active"] == 1
    assert m["rtproam_rtp_expected_total"] == 2 * SLOTS, m      # last - first + 1, each
    assert m["rtproam_rtp_lost_total"] == len(SKIPPED), m
    assert m["rtproam_packets_received_total"] == n_a + n_b, m
    assert m["rtproam_packets_relayed_total"] == n_a + n_b, m
    assert m["rtproam_bytes_relayed_total"] == (n_a + n_b) * 172, m
    assert m["rtproam_packets_dropped_total"] == 0, m
    assert m["rtproam_rtp_wire_bytes_total"] == (n_a + n_b) * WIRE, m

    # Per side, Q agrees, and the jitter is what the senders caused.
    q = qv(ctl, call.callid, ["expected_a", "expected_o", "lost_a", "lost_o",
                              "jitter_us_a", "jitter_us_o", "wire_bytes_a", "wire_bytes_o"])
    assert (q["expected_a"], q["lost_a"]) == (SLOTS, len(SKIPPED)), q
    assert (q["expected_o"], q["lost_o"]) == (SLOTS, 0), q
    assert (q["wire_bytes_a"], q["wire_bytes_o"]) == (n_a * WIRE, n_b * WIRE), q
    j_a, j_b = rfc3550_jitter(sent[a]), rfc3550_jitter(sent[b])
    print("jitter: A sent %.1f us, relay %d us (%+.3f %%); B sent %.1f us, relay %d us (%+.3f %%)"
          % (j_a, q["jitter_us_a"], 100 * (q["jitter_us_a"] / j_a - 1),
             j_b, q["jitter_us_o"], 100 * (q["jitter_us_o"] / j_b - 1)))
    # Jitter really was injected (a busy machine only adds to it).
    assert j_a > 10000 and j_b > 10000, "senders' own jitter %r %r" % (j_a, j_b)
    assert within(q["jitter_us_a"], j_a), "A: relay %d us, sender %.1f us" % (q["jitter_us_a"], j_a)
    assert within(q["jitter_us_o"], j_b), "B: relay %d us, sender %.1f us" % (q["jitter_us_o"], j_b)

    # End of call: both streams carried RTP, each is observed once.
    assert ctl("D %s ft tt" % call.callid) == "0"
    # The relay thread adds a deleted call's samples when it lets the call
    # go, a moment after D answered: wait for that, not for a time.
    after = poll_until(lambda: metrics(mport),
                       lambda m: m["rtproam_stream_jitter_ms_count"] >= 2, timeout=3.0)
    assert after["rtproam_calls_active"] == 0
    assert after["rtproam_stream_jitter_ms_count"] == 2, after
    jsum = after["rtproam_stream_jitter_ms_sum"]
    assert abs(jsum - (q["jitter_us_a"] + q["jitter_us_o"]) / 1000) < 0.002, jsum
    assert within(jsum, (j_a + j_b) / 1000), "histogram sum %.3f ms, senders %.3f ms" % (
        jsum, (j_a + j_b) / 1000)
    assert after['rtproam_stream_jitter_ms_bucket{le="10"}'] == 0, after
    assert after['rtproam_stream_jitter_ms_bucket{le="30"}'] == 2, after
    loss = 100 * len(SKIPPED) / SLOTS          # A's: 4.76 %; B's: 0
    assert after["rtproam_stream_loss_percent_count"] == 2, after
    assert abs(after["rtproam_stream_loss_percent_sum"] - loss) < 0.001, after
    assert after['rtproam_stream_loss_percent_bucket{le="0"}'] == 1, after   # B
    assert after['rtproam_stream_loss_percent_bucket{le="2"}'] == 1, after
    assert after['rtproam_stream_loss_percent_bucket{le="5"}'] == 2, after   # A
    # Ended calls stay in the counters.
    assert after["rtproam_rtp_expected_total"] == 2 * SLOTS
    assert after["rtproam_rtp_lost_total"] == len(SKIPPED)
    assert after["rtproam_packets_relayed_total"] == n_a + n_b


def rtcp_rr(ssrc, about, fraction, cum_lost, ext_seq, jitter, lsr, dlsr):
    """RTCP receiver report with one report block (32 bytes)."""
    return struct.pack("!BBHI", 0x81, 201, 7, ssrc) + struct.pack(
        "!IB3sIIII", about, fraction, (cum_lost & 0xFFFFFF).to_bytes(3, "big"),
        ext_seq, jitter, lsr, dlsr)


def test_rtcp_round_trip_and_far_reports(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "rtcp-rtt@test", a, b)
    # RTP first, so that each leg knows its party's SSRC and RTCP may pass.
    a.send_rtp(call.a_dst, 5, 0.002)
    b.send_rtp(call.b_dst, 5, 0.002)
    assert len(b.recv(5)) == 5 and len(a.recv(5)) == 5
    names = ["rtt_us_a", "rtt_us_o", "rlost_a", "rfraction_a", "rjitter_us_a"]
    # 0 is the relay's "not measured yet".
    assert qv(ctl, call.callid, names)["rtt_us_a"] == 0

    # B's sender report, with its real NTP time, reaches A through the relay.
    sr = b.send_rtcp_sr(call.b_rtcp)
    got = a.recv(1, rtcp=True, quiet=0)        # no lingering: the hold is timed
    assert [d for d, _ in got] == [sr], "A's RTCP socket got %r" % got
    got_at = time.monotonic()
    ntp_sec, ntp_frac = struct.unpack_from("!II", sr, 8)
    lsr = (ntp_sec & 0xFFFF) << 16 | ntp_frac >> 16

    # A holds it for at least 50 ms and says 50 ms, rounded down to 1/65536 s,
    # so the round trip the relay works out is its path to A and back, plus
    # the little A overslept: positive and small on loopback.
    dlsr = int(0.050 * 65536)
    time.sleep(max(0.0, got_at + 0.050 - time.monotonic()))
    fraction, cum_lost, jitter = 26, 3, 80          # 10 %, 3 packets, 10 ms
    rr = rtcp_rr(a.ssrc, b.ssrc, fraction, cum_lost, b.seq - 1, jitter, lsr, dlsr)
    a.rtcp.sendto(rr, call.a_rtcp)
    got = b.recv(1, rtcp=True)
    assert [d for d, _ in got] == [rr], "B's RTCP socket got %r" % got

    q = poll_until(lambda: qv(ctl, call.callid, names), lambda v: v["rtt_us_a"] != 0,
                   timeout=3.0, step=0.1)
    print("rtt relay<->A: %d us" % q["rtt_us_a"])
    assert 0 < q["rtt_us_a"] <= 50000, q
    assert q["rtt_us_o"] == 0, q                    # B answered no report
    assert q["rlost_a"] == cum_lost, q
    assert q["rfraction_a"] == fraction, q
    assert q["rjitter_us_a"] == jitter * 1000000 // CLOCK, q


def test_metrics_http_errors(rtproam):
    mport = free_port(socket.SOCK_STREAM)
    rtproam("--metrics", "127.0.0.1:%d" % mport)
    status, _ = poll_until(lambda: scrape(mport), lambda r: r[0] == 200)
    assert status == 200
    assert scrape(mport, "/nothing")[0] == 404
    assert scrape(mport, "/metrics", method="POST")[0] == 405
    # And it still answers afterwards.
    assert scrape(mport)[0] == 200
