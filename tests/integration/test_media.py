"""Opt-in media processing through the daemon: the Z resizer and the J
jitter buffer. Assertions are on what the receiving phone gets (sizes,
sequence numbers, timestamps, order), never on how fast it came.
"""

import struct
import threading
import time

from rtpp import collect, parse_port_reply, poll_until, rtp_packet


def setup_call(ctl, callid, a, b, umods="c0", lmods="c0"):
    """U with A's address (its modifiers apply to what A sends), L with B's."""
    b_port = parse_port_reply(ctl("U%s %s %s %d ft;1" % (umods, callid, a.ip, a.port)))[0]
    a_port = parse_port_reply(ctl("L%s %s %s %d ft;1 tt;1" % (lmods, callid, b.ip, b.port,)))[0]
    return ("127.0.0.1", a_port), ("127.0.0.1", b_port)


def header(data):
    _, _, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    return seq, ts, ssrc


def q(ctl, callid, *names):
    vals = ctl("Qv %s ft;1 tt;1 %s" % (callid, " ".join(names))).split()
    return {k: int(v) for k, v in (x.split("=") for x in vals)}


def test_z40_merges_20ms_packets_from_the_offerer_only(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    a_dst, b_dst = setup_call(ctl, "resize@test", a, b, umods="c0Z40")
    # Both parties verified first (the relay latches on their first packet).
    b.send_rtp(b_dst, 1)
    assert len(a.recv(1)) == 1
    # A sends 20 packets of 20 ms PCMU with a counting byte pattern.
    seq0, ts0 = a.seq, a.ts
    stream = bytes(i % 251 for i in range(20 * 160))
    for i in range(20):
        a.rtp.sendto(rtp_packet((seq0 + i) & 0xFFFF, (ts0 + 160 * i) & 0xFFFFFFFF,
                                a.ssrc, stream[i * 160:(i + 1) * 160]), a_dst)
    got = collect(b.rtp, 10, timeout=3.0)
    assert len(got) == 10, "B got %d packets, want 10 of 40 ms" % len(got)
    hdrs = [header(d) for d, _ in got]
    assert [len(d) - 12 for d, _ in got] == [320] * 10
    assert [h[0] for h in hdrs] == [(seq0 + i) & 0xFFFF for i in range(10)], hdrs
    assert [h[1] for h in hdrs] == [(ts0 + 320 * i) & 0xFFFFFFFF for i in range(10)], hdrs
    assert b"".join(d[12:] for d, _ in got) == stream, "audio bytes changed"
    # The other direction is untouched: B's 20 ms packets stay 20 ms.
    b.send_rtp(b_dst, 5)
    back = a.recv(5)
    assert [len(d) - 12 for d, _ in back] == [160] * 5
    out = poll_until(lambda: q(ctl, "resize@test", "rz_out_a", "rz_out_o"),
                     lambda v: v["rz_out_a"] == 10, timeout=3.0)
    assert out == {"rz_out_a": 10, "rz_out_o": 0}, out


def test_resizer_flushes_what_it_holds_when_the_stream_pauses(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    a_dst, b_dst = setup_call(ctl, "resize-pause@test", a, b, umods="c0Z60")
    b.send_rtp(b_dst, 1)
    assert len(a.recv(1)) == 1
    a.send_rtp(a_dst, 4)          # 80 ms: one 60 ms packet, 20 ms held
    got = collect(b.rtp, 2, timeout=3.0)   # the held 20 ms comes out on the pause
    assert [len(d) - 12 for d, _ in got] == [480, 160], [len(d) for d, _ in got]


def test_jitter_buffer_puts_packets_back_in_order(rtproam, phones):
    daemon = rtproam()
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    a_dst, b_dst = setup_call(ctl, "jb@test", a, b, umods="c0J1", lmods="c0J1")
    b.send_rtp(b_dst, 1)
    assert len(a.recv(1)) >= 1
    # 30 packets of 20 ms with every pair swapped: a pair every 40 ms.
    seq0, ts0 = a.seq, a.ts
    order = []
    for i in range(0, 30, 2):
        order += [i + 1, i]
    for i in order:
        a.rtp.sendto(rtp_packet((seq0 + i) & 0xFFFF, (ts0 + 160 * i) & 0xFFFFFFFF,
                                a.ssrc, bytes([i]) * 160), a_dst)
        if i % 2 == 0:
            time.sleep(0.04)
    got = collect(b.rtp, 30, timeout=4.0)
    seqs = [header(d)[0] for d, _ in got]
    assert seqs == [(seq0 + i) & 0xFFFF for i in range(30)], "released out of order: %r" % seqs
    stats = poll_until(lambda: q(ctl, "jb@test", "jb_depth_us_a", "jb_maxdepth_us_a",
                                 "jb_reordered_a", "jb_delay_us_a"),
                       lambda v: v["jb_reordered_a"] > 0, timeout=3.0)
    assert stats["jb_reordered_a"] >= 10, stats
    assert stats["jb_depth_us_a"] == 40000 and stats["jb_maxdepth_us_a"] == 40000, stats
    assert stats["jb_delay_us_a"] > 0, stats


def test_daemon_wide_jitter_buffer_flag(rtproam, phones):
    daemon = rtproam("--jitter-buffer", "adaptive", "--jb-max-ms", "120")
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    a_dst, b_dst = setup_call(ctl, "jbflag@test", a, b)
    b.send_rtp(b_dst, 1)
    a.send_rtp(a_dst, 10, interval=0.02)
    got = collect(b.rtp, 10, timeout=3.0)
    assert len(got) == 10
    stats = poll_until(lambda: q(ctl, "jbflag@test", "jb_depth_us_a"),
                       lambda v: v["jb_depth_us_a"] > 0, timeout=3.0)
    assert 0 < stats["jb_depth_us_a"] <= 120000, stats


def test_resizer_capability_is_announced(daemon):
    assert daemon.ctl("VF 20071116") == "1"


def rfc3550_jitter(arrivals):
    """RFC 3550 A.8 over [(arrival_s, rtp_ts)] at 8 kHz, in ms."""
    j, prev = 0.0, None
    for t, ts in arrivals:
        transit = t * 8000.0 - ts
        if prev is not None:
            j += (abs(transit - prev) - j) / 16.0
        prev = transit
    return j / 8.0


def jittery_call(ctl, callid, a, b, umods):
    """A sends 60 packets, gaps alternating 0 and 40 ms (|D| = 20 ms);
    returns the jitter B measures on what the relay delivers, timed by a
    thread that does nothing but receive."""
    a_dst, b_dst = setup_call(ctl, callid, a, b, umods=umods)
    b.send_rtp(b_dst, 1)
    assert len(a.recv(1)) >= 1
    arrivals = []

    def receive():
        b.rtp.settimeout(2.0)
        for _ in range(60):
            try:
                data, _ = b.rtp.recvfrom(2048)
            except OSError:
                return
            arrivals.append((time.monotonic(), header(data)[1]))

    rx = threading.Thread(target=receive)
    rx.start()
    for i in range(60):
        a.rtp.sendto(a.next_packet(), a_dst)
        if i % 2 == 1:
            time.sleep(0.04)
    rx.join(timeout=10)
    assert len(arrivals) == 60, "B got %d of 60" % len(arrivals)
    return rfc3550_jitter(arrivals)


def test_jitter_buffer_smooths_what_the_receiver_measures(rtproam, phones):
    ctl = rtproam().ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    plain = jittery_call(ctl, "jitter-plain@test", a, b, "c0")
    a2, b2 = phones("127.0.0.4", name="A2"), phones("127.0.0.5", name="B2")
    buffered = jittery_call(ctl, "jitter-jb@test", a2, b2, "c0J1")
    print("receiver jitter: plain %.2f ms, with J1 %.2f ms" % (plain, buffered))
    # Ratios, not times: the buffer must remove most of the injected jitter.
    assert plain > 10.0, "the sender's jitter did not reach the receiver: %.2f" % plain
    assert buffered < plain / 4, "J1 left %.2f of %.2f ms" % (buffered, plain)
