#!/usr/bin/env python3
"""bench/ha_calls.py - the calls of bench/redis-ha.sh, driven over ng
(rtpengine's control protocol, which rtproam and rtpengine both speak), so
that the two relays go through the same commands.

  setup    --ng PORT --calls N             offer+answer N calls whose phones
                                           are only addresses (no sockets)
  restored --ng PORT --calls N --ready F --t0 F
           poll ping from before the relay starts; once it answers, query
           every call until all are known; the times are counted from the
           wall-clock nanoseconds the script writes into F (--t0) just before
           it starts the relay
  gap      --ng PORT --calls N --seconds S --ready F [--move-after M]
           real phones (UDP sockets) on 127.0.0.2 and 127.0.0.3, RTP both
           ways at 20 ms ptime; F is created once media flows, so that the
           script can kill and restart the relay meanwhile; then packets lost
           and the longest silence per call and direction. With M, every
           caller moves to a new port M s after F (a handover), and the
           calls whose callee's media reached the new port are counted

Each prints one JSON object on stdout. Every wait is bounded in count and
time. The ng codec and SDP helpers are the tests' (tests/ngclient.py).
"""

import argparse
import json
import os
import select
import socket
import statistics
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ngclient import audio_sdp, bdecode, bencode, parse_sdp  # noqa: E402

RELAY_IP = "127.0.0.1"
PTIME_S = 0.020
RTP_PAYLOAD = 160               # 20 ms of G.711
DRAIN_S = 0.5
MAX_LOOPS = 10_000_000          # bounds every loop below, with its deadline


def callid(i):
    return "ha-%d@redis-ha.invalid" % i


class Pipeline:
    """Up to `window` ng commands in flight from one socket; a command
    without a reply is resent with the same cookie (as Kamailio does)."""

    def __init__(self, port, window=32, timeout=1.0, tries=5):
        self.addr = (RELAY_IP, port)
        self.window, self.timeout, self.tries = window, timeout, tries
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((RELAY_IP, 0))
        self.sock.setblocking(False)
        self.salt = os.urandom(4).hex()
        self.seq = 0

    def _send(self, raw):
        try:
            self.sock.sendto(raw, self.addr)
        except OSError:
            pass                # refused while the relay is down: a retry

    def run(self, msgs):
        """Replies (dict, or None after `tries` timeouts) in msgs' order."""
        replies = [None] * len(msgs)
        inflight = {}           # cookie -> [index, raw, deadline, tries]
        nxt = 0
        for _ in range(MAX_LOOPS):
            now = time.monotonic()
            while nxt < len(msgs) and len(inflight) < self.window:
                self.seq += 1
                cookie = ("%s_%d" % (self.salt, self.seq)).encode()
                raw = cookie + b" " + bencode(msgs[nxt])
                inflight[cookie] = [nxt, raw, now + self.timeout, 1]
                self._send(raw)
                nxt += 1
            if not inflight:
                break
            for cookie, st in list(inflight.items()):
                if st[2] <= now:
                    if st[3] >= self.tries:
                        del inflight[cookie]
                        continue
                    st[2], st[3] = now + self.timeout, st[3] + 1
                    self._send(st[1])
            if not inflight:
                continue
            wait = max(0.0, min(st[2] for st in inflight.values()) - now)
            if not select.select([self.sock], [], [], wait)[0]:
                continue
            for _ in range(4 * self.window):
                try:
                    data = self.sock.recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                cookie, _, body = data.partition(b" ")
                st = inflight.pop(cookie, None)
                if st is not None:
                    try:
                        replies[st[0]] = bdecode(body)
                    except ValueError:
                        replies[st[0]] = {"result": "error"}
        return replies

    def pong(self, wait_s):
        """One ping; True when any pong arrives within wait_s."""
        self.run_once({"command": "ping"})
        if select.select([self.sock], [], [], wait_s)[0]:
            for _ in range(64):
                try:
                    data = self.sock.recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if b"pong" in data:
                    return True
        return False

    def run_once(self, msg):
        self.seq += 1
        self._send(("%s_%d " % (self.salt, self.seq)).encode() + bencode(msg))


def ok(rep):
    return rep is not None and rep.get("result") == "ok"


def offers_and_answers(pipe, n, sdp_a, sdp_b):
    """Offer and answer calls 0..n-1 (sdp_a(i), sdp_b(i): the phones' SDPs).
    Returns (offer replies, answer replies, seconds)."""
    t0 = time.monotonic()
    offers = pipe.run([{"command": "offer", "call-id": callid(i), "from-tag": "a%d" % i,
                        "sdp": sdp_a(i)} for i in range(n)])
    answers = pipe.run([{"command": "answer", "call-id": callid(i), "from-tag": "a%d" % i,
                         "to-tag": "b%d" % i, "sdp": sdp_b(i)} for i in range(n)])
    return offers, answers, time.monotonic() - t0


def cmd_setup(a):
    pipe = Pipeline(a.ng, a.window)

    def port(i):
        return 10000 + 2 * (i % 25000)
    offers, answers, secs = offers_and_answers(
        pipe, a.calls, lambda i: audio_sdp("127.0.0.2", port(i), sess_id=i + 1),
        lambda i: audio_sdp("127.0.0.3", port(i), sess_id=i + 1))
    up = sum(ok(o) and ok(r) for o, r in zip(offers, answers))
    return {"calls": a.calls, "up": up, "seconds": round(secs, 3)}


def wait_file(path, seconds):
    for _ in range(int(seconds / 0.005) + 1):
        if path.exists() and path.stat().st_size > 0:
            return True
        time.sleep(0.005)
    return False


def cmd_restored(a):
    pipe = Pipeline(a.ng, a.window, timeout=0.5, tries=3)
    Path(a.ready).write_text("polling\n")
    deadline = time.monotonic() + a.timeout
    t_ping = t_all = None
    for _ in range(MAX_LOOPS):
        if time.monotonic() > deadline:
            break
        if pipe.pong(0.002):
            t_ping = time.time_ns()
            break
    known = 0
    if t_ping is not None:
        missing = list(range(a.calls))
        for _ in range(1000):
            reps = pipe.run([{"command": "query", "call-id": callid(i)} for i in missing])
            missing = [i for i, r in zip(missing, reps) if not ok(r)]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        known = a.calls - len(missing)
        if not missing:
            t_all = time.time_ns()
    if not wait_file(Path(a.t0), 5):
        return {"calls": a.calls, "error": "no start time from the script"}
    t0 = int(Path(a.t0).read_text().split()[0])
    ms = (lambda t: None if t is None else round((t - t0) / 1e6, 1))
    return {"calls": a.calls, "known": known, "ping_ms": ms(t_ping), "all_ms": ms(t_all)}


# ------------------------------------------------------------------ gap


class Stream:
    """One direction of one call: what its receiver saw."""

    def __init__(self):
        self.sent = 0
        self.seen = bytearray()
        self.got = 0
        self.last = None
        self.max_gap = 0.0

    def arrived(self, seq, now):
        if seq >= len(self.seen):
            self.seen.extend(bytes(seq + 1 - len(self.seen)))
        if self.seen[seq]:
            return
        self.seen[seq] = 1
        self.got += 1
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now


def media_addr(sdp):
    m = parse_sdp(sdp).audio
    return (m.addr, m.port)


def cmd_gap(a):
    n = a.calls
    socks = []                  # [call][side]; side 0 = A (caller), 1 = B
    for _ in range(n):
        pair = []
        for ip in ("127.0.0.2", "127.0.0.3"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((ip, 0))
            s.setblocking(False)
            pair.append(s)
        socks.append(pair)
    pipe = Pipeline(a.ng, 8)
    offers, answers, _ = offers_and_answers(
        pipe, n, lambda i: audio_sdp("127.0.0.2", socks[i][0].getsockname()[1], sess_id=i + 1),
        lambda i: audio_sdp("127.0.0.3", socks[i][1].getsockname()[1], sess_id=i + 1))
    dest = []                   # [call][side]: where that phone sends
    for o, r in zip(offers, answers):
        if not (ok(o) and ok(r)):
            return {"calls": n, "error": "call set-up failed: %r %r" % (o, r)}
        dest.append((media_addr(r["sdp"]), media_addr(o["sdp"])))
    # stream index k = 2 * call + sender side; SSRC = k + 1
    streams = [Stream() for _ in range(2 * n)]
    fd_of = {}
    poller = select.epoll()
    for i in range(n):
        for side in (0, 1):
            fd_of[socks[i][side].fileno()] = socks[i][side]
            poller.register(socks[i][side].fileno(), select.EPOLLIN)
    payload = bytes(RTP_PAYLOAD)
    nstreams = 2 * n
    t0 = time.monotonic()
    t_end = t0 + a.seconds
    t_ready = t0 + 1.0          # media has flowed for a second
    ready = False
    # --move-after: every caller (A) moves to a new port, as a phone whose
    # NAT binding changed; the relay has to follow it (a handover).
    t_move = t_ready + a.move_after if a.move_after > 0 else None
    moved = {}                  # fd of a new A socket -> call
    followed = [0] * n          # B->A packets that reached the new A socket
    k = 0
    for _ in range(MAX_LOOPS):
        now = time.monotonic()
        if now >= t_end + DRAIN_S:
            break
        while now < t_end and t0 + k * PTIME_S / nstreams <= now:
            idx, seq = k % nstreams, k // nstreams
            call, side = divmod(idx, 2)
            hdr = struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160 & 0xffffffff, idx + 1)
            try:
                socks[call][side].sendto(hdr + payload, dest[call][side])
            except OSError:
                pass
            streams[idx].sent += 1
            k += 1
        if not ready and now >= t_ready:
            Path(a.ready).write_text("media\n")
            ready = True
        if t_move is not None and now >= t_move:
            t_move = None
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.2", 0))
                s.setblocking(False)
                fd_of[s.fileno()] = s
                moved[s.fileno()] = i
                poller.register(s.fileno(), select.EPOLLIN)
                socks[i].append(socks[i][0])    # the old one, closed at the end
                socks[i][0] = s
        nxt = t0 + k * PTIME_S / nstreams if now < t_end else t_end + DRAIN_S
        for fd, _ in poller.poll(max(0.0, nxt - time.monotonic())):
            for _ in range(64):
                try:
                    data = fd_of[fd].recv(2048)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if len(data) < 12:
                    continue
                seq, ssrc = struct.unpack("!H4xI", data[2:12])
                if 1 <= ssrc <= nstreams:
                    streams[ssrc - 1].arrived(seq, time.monotonic())
                    if fd in moved and ssrc == 2 * moved[fd] + 2:
                        followed[moved[fd]] += 1
    poller.close()
    for pair in socks:
        for s in pair:
            s.close()
    out = {"calls": n, "ptime_ms": PTIME_S * 1000, "seconds": a.seconds}
    if moved:
        out["moved"] = len(moved)
        out["followed"] = sum(1 for f in followed if f > 0)
    for name, side in (("a_to_b", 0), ("b_to_a", 1)):
        mine = streams[side::2]
        lost = [s.sent - s.got for s in mine]
        gaps = [round(s.max_gap * 1000, 1) for s in mine]
        # A stream that never came back: nothing in its last second.
        dead = sum(1 for s in mine if s.last is None or s.last < t_end - 1.0)
        out[name] = {"sent": sum(s.sent for s in mine), "lost": lost, "gap_ms": gaps,
                     "not_resumed": dead,
                     "lost_min_med_max": [min(lost), statistics.median(lost), max(lost)],
                     "gap_min_med_max": [min(gaps), statistics.median(gaps), max(gaps)]}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("setup", "restored", "gap"):
        s = sub.add_parser(name)
        s.add_argument("--ng", type=int, required=True)
        s.add_argument("--calls", type=int, required=True)
        s.add_argument("--window", type=int, default=32)
        if name == "restored":
            s.add_argument("--ready", required=True)
            s.add_argument("--t0", required=True)
            s.add_argument("--timeout", type=float, default=60)
        if name == "gap":
            s.add_argument("--ready", required=True)
            s.add_argument("--seconds", type=float, default=6)
            s.add_argument("--move-after", type=float, default=0,
                           help="seconds after the ready mark when every A moves")
    a = p.parse_args()
    res = {"setup": cmd_setup, "restored": cmd_restored, "gap": cmd_gap}[a.cmd](a)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
