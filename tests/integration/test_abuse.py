"""Abuse of the control plane and of the media plane.

- a flood of garbage and valid-looking commands from a second process, at
  10,000 commands a second or more, while two calls relay 20 ms RTP both
  ways: the calls lose (almost) nothing, memory and descriptors come back,
  the relay still answers;
- the limits: --max-calls and --max-cmd-rate answer E98 (Kamailio and
  OpenSIPS then try another relay), a retransmission of an answered
  command still gets its cached reply, and the rate recovers;
- malformed commands: each gets the protocol's error reply, or, for a
  datagram longer than the relay reads, nothing at all;
- media to deleted calls and closed ports, truncated and oversized
  datagrams, ICMP errors from a party that went away: dropped, counted,
  never fatal.

Run as a script, this file is the flood generator (see flood_main).
"""

import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import time
import urllib.request

if __name__ != "__main__":
    from rtpp import BUILD, Phone, collect, free_port, make_call, metrics, parse_info, \
        parse_port_reply, poll_until, ports_closed, rtp_packet

FLOOD_SECONDS = 5.0
FLOOD_RATE = 12000          # commands a second asked of the generator
FLOOD_MIN_RATE = 10000      # what it must achieve for the test to count
MAX_LOSS = 0.01             # media lost under the flood, fraction of packets
# The reply cache holds at most 65536 answers (rcache.c, ~110 bytes each
# with malloc's header: 7 MB at most) for 30 s; the flood's 48,000 cookies
# fill most of it (measured: +5.8 MB on a RelWithDebInfo build). The
# flood's calls are gone afterwards, so the cache is what may stay.
# AddressSanitizer roughly doubles small allocations (redzones, metadata)
# and keeps freed memory in a quarantine (256 MB unless told otherwise,
# which would read as growth): the daemon gets a 1 MB quarantine, and the
# bound doubles.
RSS_BOUND_KB = 8 * 1024


# ------------------------------------------------------------------ flood


def flood_main(host, port, seconds, rate, tag):
    """Send a mix of commands at `rate` a second for `seconds`, reading the
    replies as they come; then delete, at a gentle pace, every call this
    flood may have left (a D whose answer was lost). Prints one JSON object:
    what was sent, at what rate, and what came back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    dst = (host, port)
    rnd = random.Random(os.getpid())
    sent = {"garbage": 0, "bad": 0, "U": 0, "D": 0, "Q": 0, "V": 0}
    replies = {}
    pending = {}            # cookie -> ("U"|"D", callid)
    state = {}              # callid -> "sent", "up", "gone"
    garbage_pool = [os.urandom(rnd.randrange(1, 300)) for _ in range(64)]
    bad_pool = [
        b"U" + b"x" * 200, b"Q", b"D", b"U c 1.2.3.4", b"L c 999.1.1.1 4000 f;1 t;1",
        b"U c abc 70000 f;1", b"Uzzz c 127.0.0.9 4000 f;1", b"\x00\xff\xfe",
        b"U c 127.0.0.9 4000 f;0", b"I" + b" x" * 30, b"VF", b"ZZ top",
    ]
    n = 0
    ncall = 0

    def read_replies():
        for _ in range(4096):
            try:
                data = sock.recv(65536)
            except (BlockingIOError, ConnectionRefusedError):
                return
            parts = data.split(b" ", 1)
            body = parts[1].strip() if len(parts) > 1 else b""
            code = body.split(b" ", 1)[0][:4] if body[:1] == b"E" else b"ok"
            key = code.decode(errors="replace")
            replies[key] = replies.get(key, 0) + 1
            what = pending.pop(parts[0], None)
            if what is None:
                continue
            kind, callid = what
            if kind == "U" and body[:1].isdigit():
                state[callid] = "up"
            elif kind == "D":
                state[callid] = "gone"

    def send(payload):
        try:
            sock.sendto(payload, dst)
            return True
        except (BlockingIOError, ConnectionRefusedError):
            return False

    t0 = time.monotonic()
    end = t0 + seconds
    send_fail = 0
    last_call = None
    for _ in range(int(seconds * rate * 4) + 1000):     # bounded
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * rate)
        if n >= due:
            read_replies()
            time.sleep(0.0005)
            continue
        for _ in range(min(due - n, 256)):
            slot = n % 10
            cookie = b"%s_%d" % (tag.encode(), n)
            if slot in (0, 6):
                payload = garbage_pool[n % len(garbage_pool)]
                kind = "garbage"
            elif slot == 1:
                payload = cookie + b" " + bad_pool[n % len(bad_pool)]
                kind = "bad"
            elif slot in (2, 7):
                ncall += 1
                last_call = "%s-%d" % (tag, ncall)
                payload = cookie + (" U %s 127.0.0.9 %d f%d;1" % (
                    last_call, 20000 + 2 * (ncall % 5000), ncall)).encode()
                pending[cookie] = ("U", last_call)
                state[last_call] = "sent"
                kind = "U"
            elif slot in (3, 8):
                callid = last_call
                payload = cookie + (" D %s f%d" % (callid, ncall)).encode()
                pending[cookie] = ("D", callid)
                kind = "D"
            elif slot in (4, 9):
                payload = cookie + (" Q nosuch-%d-%d f t" % (os.getpid(), n)).encode()
                kind = "Q"
            else:
                payload = cookie + b" V"
                kind = "V"
            if send(payload):
                sent[kind] += 1
            else:
                send_fail += 1
            n += 1
        if n % 64 < 8:
            read_replies()
    elapsed = time.monotonic() - t0
    # Late replies.
    settle = time.monotonic() + 1.0
    for _ in range(1000):
        if time.monotonic() > settle:
            break
        read_replies()
        time.sleep(0.01)
    # Clean up: D every call that may still exist, 200 at a time.
    left = [c for c, s in state.items() if s != "gone"]
    cleanup = {"calls": len(left), "unanswered": 0}
    for i in range(0, len(left), 200):
        batch = left[i:i + 200]
        for attempt in range(5):
            todo = [c for c in batch if state[c] != "gone"]
            if not todo:
                break
            for c in todo:
                cookie = b"%s_c%d_%s" % (tag.encode(), attempt, c.encode())
                pending[cookie] = ("D", c)
                num = c.rsplit("-", 1)[1]
                send(cookie + (" D %s f%s" % (c, num)).encode())
            deadline = time.monotonic() + 0.5
            for _ in range(500):
                read_replies()
                if all(state[c] == "gone" for c in todo) or time.monotonic() > deadline:
                    break
                time.sleep(0.005)
    cleanup["unanswered"] = sum(1 for s in state.values() if s != "gone")
    total = sum(sent.values())
    print(json.dumps({"sent": sent, "total": total, "elapsed": elapsed,
                      "rate": total / elapsed if elapsed > 0 else 0,
                      "send_fail": send_fail, "replies": replies,
                      "calls": ncall, "cleanup": cleanup}))
    sock.close()


# ------------------------------------------------------------------ helpers


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def log_lines(d, level_re):
    """Log lines of daemon d whose level matches level_re (err, warn...)."""
    pat = re.compile(r"^\S+ \S+ (%s)\s" % level_re)
    out = []
    for f in d.logs():
        try:
            out += [l for l in f.read_text(errors="replace").splitlines() if pat.match(l)]
        except OSError:
            pass
    return out


class MediaPair:
    """Two calls, four phones, 20 ms RTP both ways, driven from one loop."""

    def __init__(self, ctl, phones, prefix):
        self.streams = []       # (phone, dst, peer phone)
        self.calls = []
        for i in range(2):
            a = phones("127.0.0.%d" % (20 + 2 * i), name="%sA%d" % (prefix, i))
            b = phones("127.0.0.%d" % (21 + 2 * i), name="%sB%d" % (prefix, i))
            call = make_call(ctl, "%s-%d@abuse" % (prefix, i), a, b)
            self.calls.append(call)
            self.streams.append((a, call.a_dst, b))
            self.streams.append((b, call.b_dst, a))
        self.phones = [s[0] for s in self.streams]
        self.sent = {p.name: 0 for p in self.phones}
        self.got = {p.name: 0 for p in self.phones}      # by receiver

    def _drain(self, wait):
        r, _, _ = select.select([p.rtp for p in self.phones], [], [], max(wait, 0))
        for s in r:
            for _ in range(256):
                try:
                    s.recv(65536, socket.MSG_DONTWAIT)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                for p in self.phones:
                    if p.rtp is s:
                        self.got[p.name] += 1

    def run(self, seconds):
        """Send one packet per phone every 20 ms for `seconds`."""
        t0 = time.monotonic()
        ticks = int(seconds / 0.02)
        for k in range(ticks):
            for phone, dst, _ in self.streams:
                phone.send_rtp(dst)
                self.sent[phone.name] += 1
            due = t0 + (k + 1) * 0.02
            for _ in range(100):
                left = due - time.monotonic()
                if left <= 0:
                    break
                self._drain(left)

    def settle(self, quiet=0.3):
        for _ in range(50):
            before = sum(self.got.values())
            self._drain(quiet)
            if sum(self.got.values()) == before:
                break

    def loss(self):
        """(packets lost, packets sent) over the four streams."""
        sent = lost = 0
        for phone, _, peer in self.streams:
            sent += self.sent[phone.name]
            lost += max(0, self.sent[phone.name] - self.got[peer.name])
        return lost, sent


# ------------------------------------------------------------------ (a) flood


def sanitized_build():
    try:
        return "RTPROAM_SANITIZE:BOOL=ON" in (BUILD / "CMakeCache.txt").read_text()
    except OSError:
        return False


def test_command_flood_does_not_hurt_media_or_leak(rtproam, phones, monkeypatch):
    bound = RSS_BOUND_KB
    if sanitized_build():
        opts = os.environ.get("ASAN_OPTIONS", "")
        monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") + "quarantine_size_mb=1")
        bound *= 2
    # info, not debug: a log line per rejected command is not what is tested.
    d = rtproam("-d", "info", nports=2000)
    ctl = d.ctl
    media = MediaPair(ctl, phones, "fl")
    media.run(1.0)                          # warm up: every leg verified
    media.settle()
    for k in media.sent:
        media.sent[k] = 0
        media.got[k] = 0
    rss0, fds0 = rss_kb(d.pid), nfds(d.pid)
    base = parse_info(ctl("I"))
    assert base["active sessions"] == 2

    tag = "fl%x" % random.getrandbits(24)
    flood = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "127.0.0.1", str(d.ctl_port),
         str(FLOOD_SECONDS), str(FLOOD_RATE), tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        media.run(FLOOD_SECONDS + 0.5)
        out, err = flood.communicate(timeout=120)
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait(timeout=10)
    media.settle()
    assert flood.returncode == 0, err.decode(errors="replace")[-2000:]
    stats = json.loads(out.decode().strip().splitlines()[-1])
    print("flood:", json.dumps(stats))
    lost, sent = media.loss()
    print("media under the flood: %d of %d packets lost (%.3f%%)" % (lost, sent, 100.0 * lost / sent))

    assert d.alive(), "rtproam died under the flood"
    assert stats["rate"] >= FLOOD_MIN_RATE, \
        "the generator reached only %.0f commands/s" % stats["rate"]
    assert sent >= 4 * int(FLOOD_SECONDS / 0.02)
    assert lost <= MAX_LOSS * sent, "%d of %d media packets lost under the flood" % (lost, sent)
    assert stats["replies"].get("ok", 0) > 0 and stats["replies"].get("E0", 0) > 0
    assert stats["cleanup"]["unanswered"] == 0, stats["cleanup"]

    # The relay answers, and only our two calls are left.
    assert ctl("V") == "20040107"
    info = poll_until(lambda: parse_info(ctl("I")), lambda i: i["active sessions"] == 2)
    assert info["active sessions"] == 2, info
    # Every port of the flood's calls is closed again.
    fds = poll_until(lambda: nfds(d.pid), lambda n: n <= fds0, timeout=10.0, step=0.1)
    assert fds == fds0, "open fds %d after the flood, %d before" % (fds, fds0)
    rss1 = rss_kb(d.pid)
    print("RSS %d kB before, %d kB after the flood (+%d kB); fds %d -> %d"
          % (rss0, rss1, rss1 - rss0, fds0, fds))
    assert rss1 - rss0 < bound, "RSS grew by %d kB (bound %d kB)" % (rss1 - rss0, bound)

    # The two calls still relay.
    media.run(0.5)
    media.settle()
    lost2, sent2 = media.loss()
    assert lost2 - lost <= 2, "calls lost media after the flood"
    # No line per rejected command above debug: the log stays small.
    assert len(log_lines(d, "err")) == 0, log_lines(d, "err")[:5]


# ------------------------------------------------------------------ (b) (c) limits


def test_max_calls_refuses_new_calls_with_e98(rtproam, phones):
    mport = free_port(socket.SOCK_STREAM)
    d = rtproam("--max-calls", "3", "--metrics", "127.0.0.1:%d" % mport)
    ctl = d.ctl
    calls, pairs = [], []
    for i in range(3):
        a = phones("127.0.0.%d" % (30 + 2 * i), name="A%d" % i)
        b = phones("127.0.0.%d" % (31 + 2 * i), name="B%d" % i)
        calls.append(make_call(ctl, "mc%d@abuse" % i, a, b))
        pairs.append((a, b))
    x = phones("127.0.0.40", name="X")
    assert ctl("U mc3@abuse %s %d ft;1" % (x.ip, x.port)) == "E98"
    assert ctl("L mc3@abuse %s %d ft;1 tt;1" % (x.ip, x.port)) == "0"
    assert parse_info(ctl("I"))["active sessions"] == 3
    # The calls in progress: media both ways, a re-INVITE (U again) answered.
    for call, (a, b) in zip(calls, pairs):
        a.send_rtp(call.a_dst, 10, 0.002)
        b.send_rtp(call.b_dst, 10, 0.002)
        assert len(b.recv(10)) == 10 and len(a.recv(10)) == 10
        port, _, _ = parse_port_reply(ctl("U %s %s %d ft;1" % (call.callid, a.ip, a.port)))
        assert port == call.b_port
    # A freed place is taken again.
    assert ctl("D mc0@abuse ft tt") == "0"
    parse_port_reply(ctl("U mc3@abuse %s %d ft;1" % (x.ip, x.port)))
    assert ctl("U mc4@abuse %s %d ft;1" % (x.ip, x.port)) == "E98"
    assert metrics(mport)['rtproam_calls_refused_total{reason="max-calls"}'] == 2


def _burst(sock, dst, cookies, command):
    """Send `command` under every cookie, 25 at a time (more at once would
    overflow the relay's socket buffer, and UDP would drop them before the
    limiter sees them); collect the replies."""
    got = {}

    def take(pkts):
        for data, _ in pkts:
            c, _, body = data.decode().partition(" ")
            got[c] = body.strip()

    for i in range(0, len(cookies), 25):
        for c in cookies[i:i + 25]:
            sock.sendto(("%s %s" % (c, command)).encode(), dst)
        take(collect(sock, 25, timeout=0.05, quiet=0))
    if len(got) < len(cookies):
        take(collect(sock, len(cookies) - len(got), timeout=5.0, quiet=0.2))
    return got


def _metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m, "%s not in /metrics" % name
    return int(m.group(1))


def test_max_cmd_rate_refuses_with_e98_and_recovers(rtproam, phones):
    mport = free_port(socket.SOCK_STREAM)
    d = rtproam("--max-cmd-rate", "100", "--metrics", "127.0.0.1:%d" % mport)
    a = phones("127.0.0.2", name="A")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    dst = ("127.0.0.1", d.ctl_port)
    try:
        time.sleep(1.1)                     # the start-up probes' tokens are back
        # A command that allocates: its resend must get the same ports back.
        sock.sendto(("keep1 U rl@abuse %s %d ft;1" % (a.ip, a.port)).encode(), dst)
        first = collect(sock, 1, timeout=2.0, quiet=0)[0][0]
        assert parse_port_reply(first.decode().split(" ", 1)[1].strip())

        t0 = time.monotonic()
        cookies = ["b%d" % i for i in range(500)]
        got = _burst(sock, dst, cookies, "V")
        elapsed = time.monotonic() - t0
        ok = [c for c in cookies if got.get(c) == "20040107"]
        refused = [c for c in cookies if got.get(c) == "E98"]
        print("burst of 500 in %.3f s: %d answered, %d refused" % (elapsed, len(ok), len(refused)))
        assert len(got) == 500, "%d of 500 commands answered at all" % len(got)
        assert len(ok) + len(refused) == 500, set(got.values())
        assert 95 <= len(ok) <= 100 + int(100 * elapsed) + 2

        # Over the limit, the resend of an answered command is still served
        # from the cache: the same ports, no second execution.
        sock.sendto(("keep1 U rl@abuse %s %d ft;1" % (a.ip, a.port)).encode(), dst)
        again = collect(sock, 1, timeout=2.0, quiet=0)
        assert again and again[0][0] == first
        assert _metric(mport, "rtproam_control_refused_total") == len(refused)

        # A second later the bucket is full again: a burst of 100 all pass,
        # and a refused cookie (refusals are not cached) now runs.
        time.sleep(1.1)
        got = _burst(sock, dst, ["r%d" % i for i in range(99)] + [refused[0]], "V")
        assert list(got.values()).count("20040107") == 100, got
    finally:
        sock.close()
    # The refusals are logged, but rate-limited: one line, not 400.
    lines = [l for l in log_lines(d, "warn") if "max-cmd-rate" in l]
    assert 1 <= len(lines) <= 2, lines
    time.sleep(0.1)                         # 10 tokens
    assert d.ctl("I").startswith("sessions created: 1\n")


# ------------------------------------------------------------------ (d) malformed


def test_malformed_commands_get_error_replies(daemon, phones):
    ctl = daemon.ctl
    a = phones("127.0.0.2", name="A")
    assert ctl("ZZ top") == "E0"
    assert ctl("Hello relay") == "E0"
    for port in ("65536", "-1", "99999999999999999999", "4000x"):
        assert ctl("U bad@abuse %s %s ft;1" % (a.ip, port)) == "E37", port
    for host in ("999.1.1.1", "abc", "::g", "1.2.3", "256.0.0.1"):
        assert ctl("U bad@abuse %s 4000 ft;1" % host) == "E37", host
    assert ctl("U6 bad@abuse ::g 4000 ft;1") == "E37"
    # Port 0 is not absurd in this protocol: "address not known yet", the
    # port is learned from the party's first packet (rtpproxy does the same).
    parse_port_reply(ctl("U zero@abuse %s 0 ft;1" % a.ip))
    assert ctl("D zero@abuse ft") == "0"
    assert ctl("Q bad@abuse ft tt") == "E50"
    assert parse_info(ctl("I"))["active sessions"] == 0


def test_oversized_command_gets_e25(daemon):
    """A datagram longer than CTL_MAX_CMD (8192 bytes), up to 64 KiB, is
    answered E25 and not run: a proxy that got silence would retransmit,
    then mark the relay dead. The relay reads the whole datagram, so a cut
    command is never mistaken for a complete one; nothing is allocated. A
    command that fits but is nonsense gets its error reply."""
    ctl = daemon.ctl
    for size in (8193, 9000, 60000, 65000):     # bytes of the command itself
        raw = ctl.exchange("big%d" % size, "U" + "x" * (size - 1), tries=1, timeout=2.0)
        assert raw == b"big%d E25\n" % size, "a %d-byte command got %r" % (size, raw)
    assert parse_info(ctl("I"))["active sessions"] == 0
    raw = ctl.exchange("fits", "V" + " " * (8192 - len("fits V")), tries=1, timeout=2.0)
    assert raw == b"fits 20040107\n"
    assert ctl("U" + "x" * 8000) == "E1"
    assert ctl("V") == "20040107"


def test_oversized_stream_line_gets_e25(rtproam, workdir):
    """On a stream socket the line has no cookie to protect: 8192 bytes
    without a newline get E25 and the connection is closed. (Exactly 8192:
    bytes the relay never read would turn its close into a reset, which
    may discard the E25 before the client reads it.)"""
    tport = free_port(socket.SOCK_STREAM)
    d = rtproam(control=["-s", "tcp:127.0.0.1:%d" % tport])
    s = socket.create_connection(("127.0.0.1", tport), timeout=5)
    try:
        s.sendall(b"U" + b"y" * 8191)
        data = b""
        for _ in range(100):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data == b"E25\n"
    finally:
        s.close()
    assert d.ctl("V") == "20040107"


def test_two_hundred_media_lines_all_answered(rtproam, phones):
    d = rtproam(nports=40)                  # 10 media of 4 ports each at most
    ctl = d.ctl
    a = phones("127.0.0.2", name="A")
    replies = [ctl("U many@abuse %s %d ft;%d" % (a.ip, a.port, i)) for i in range(1, 201)]
    ports = [r for r in replies if r[:1].isdigit()]
    assert all(r.isdigit() or r == "E7" or r[:1].isdigit() for r in replies), set(replies)
    assert set(r for r in replies if not r[:1].isdigit()) <= {"E7"}
    assert 1 <= len(ports) <= 10 and replies.count("E7") == 200 - len(ports)
    assert parse_info(ctl("I"))["active streams"] == 4 * len(ports)
    assert ctl("D many@abuse ft") == "0"
    info = poll_until(lambda: parse_info(ctl("I")), lambda i: i["active sessions"] == 0)
    assert info["active sessions"] == 0 and info["active streams"] == 0
    held = ports_closed(range(d.port_min, d.port_max + 1), timeout=5.0)
    assert not held, "ports still open after D: %s" % held[:10]
    # The range is whole again.
    parse_port_reply(ctl("U after@abuse %s %d ft;1" % (a.ip, a.port)))


# ------------------------------------------------------------------ (e) media plane


def _q(ctl, callid, *names):
    f = ctl("Q %s ft tt %s" % (callid, " ".join(names))).split()
    assert len(f) == len(names) and all(x.isdigit() for x in f), f
    return dict(zip(names, map(int, f)))


def test_media_to_deleted_and_closed_ports_and_bad_sizes(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "gone@abuse", a, b)
    a.send_rtp(call.a_dst, 5, 0.002)
    b.send_rtp(call.b_dst, 5, 0.002)
    assert len(b.recv(5)) == 5 and len(a.recv(5)) == 5

    # Truncated and oversized datagrams from the right address.
    base = _q(ctl, "gone@abuse", "nrelayed", "ndropped", "ninvalid")
    short = [b"", b"\x80", b"\x80\x00\x00\x01\x00", rtp_packet(1, 1, a.ssrc)[:11],
             b"\x8f" + rtp_packet(1, 1, a.ssrc)[1:12]]     # 15 CSRCs promised, none there
    big = [rtp_packet(a.seq, a.ts, a.ssrc, b"\xd5" * 9300),
           rtp_packet(a.seq, a.ts, a.ssrc, b"\xd5" * 65000)]
    for pkt in short + big:
        a.rtp.sendto(pkt, call.a_dst)
    after = poll_until(lambda: _q(ctl, "gone@abuse", "nrelayed", "ndropped", "ninvalid"),
                       lambda q: q["ndropped"] >= base["ndropped"] + len(short) + len(big))
    assert after["ndropped"] - base["ndropped"] == len(short) + len(big), (base, after)
    assert after["ninvalid"] - base["ninvalid"] == len(short), (base, after)
    assert after["nrelayed"] == base["nrelayed"]
    assert b.recv(1, timeout=0.3) == []

    # The call is deleted; its ports are closed; packets to them go nowhere.
    assert ctl("D gone@abuse ft tt") == "0"
    assert not ports_closed([call.a_port, call.a_port + 1, call.b_port, call.b_port + 1])
    info0 = parse_info(ctl("I"))
    a.send_rtp(call.a_dst, 20, 0.001)
    b.send_rtp(call.b_dst, 20, 0.001)
    # Ports of the range that were never handed out.
    used = {call.a_port, call.a_port + 1, call.b_port, call.b_port + 1}
    for p in range(daemon.port_min, daemon.port_max + 1):
        if p not in used:
            a.rtp.sendto(rtp_packet(p, p, a.ssrc, b"\xd5" * 160), ("127.0.0.1", p))
    a_rtp, _ = a.drain(0.2)
    b_rtp, _ = b.drain(0.2)
    assert a_rtp == [] and b_rtp == []
    info1 = parse_info(ctl("I"))
    assert info1["packets transmitted"] == info0["packets transmitted"]
    assert daemon.alive() and ctl("V") == "20040107"

    # A later call on the same phones works.
    call2 = make_call(ctl, "after@abuse", a, b)
    a.send_rtp(call2.a_dst, 10, 0.002)
    b.send_rtp(call2.b_dst, 10, 0.002)
    assert len(b.recv(10)) == 10 and len(a.recv(10)) == 10


def test_icmp_errors_from_a_gone_party_are_harmless(daemon, phones):
    """B's sockets close mid-call: every packet the relay sends to B draws an
    ICMP port unreachable on loopback. The relay keeps going: B comes back on
    the same address and its media reaches A again; a new call works; the
    log holds no line per packet."""
    ctl = daemon.ctl
    a = phones("127.0.0.2", name="A")
    b = Phone("127.0.0.3", name="B")
    call = make_call(ctl, "icmp@abuse", a, b)
    a.send_rtp(call.a_dst, 5, 0.002)
    b.send_rtp(call.b_dst, 5, 0.002)
    assert len(b.recv(5)) == 5 and len(a.recv(5)) == 5
    b_port = b.port
    b.close()
    noisy0 = len(log_lines(daemon, "err|warn"))

    # 100 packets toward the gone B, RTP and RTCP (ICMP for each).
    for _ in range(100):
        a.send_rtp(call.a_dst)
        a.send_rtcp_sr(call.a_rtcp)
        time.sleep(0.002)
    relayed = poll_until(lambda: _q(ctl, "icmp@abuse", "npkts_ina")["npkts_ina"],
                         lambda n: n >= 105)
    assert relayed >= 105
    assert daemon.alive() and ctl("V") == "20040107"

    # B is back on its address: both directions flow again.
    b2 = phones("127.0.0.3", b_port, name="B2")
    for _ in range(30):
        b2.send_rtp(call.b_dst)
        a.send_rtp(call.a_dst)
        time.sleep(0.004)
    got_a = a.recv(30, timeout=3.0)
    got_b = b2.recv(30, timeout=3.0)
    assert len(got_a) >= 29, "A got %d of B's 30 packets after the ICMP errors" % len(got_a)
    assert len(got_b) >= 29, "B got %d of A's 30 packets" % len(got_b)

    # A new call on other phones works.
    c, e = phones("127.0.0.4", name="C"), phones("127.0.0.5", name="E")
    call2 = make_call(ctl, "icmp2@abuse", c, e)
    c.send_rtp(call2.a_dst, 10, 0.002)
    e.send_rtp(call2.b_dst, 10, 0.002)
    assert len(e.recv(10)) == 10 and len(c.recv(10)) == 10
    noisy = log_lines(daemon, "err|warn")[noisy0:]
    assert len(noisy) <= 3, noisy


if __name__ == "__main__":
    flood_main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])


def test_delete_while_media_flows(rtproam, phones):
    """D and new calls while every call's ports take packets as fast as a
    sender can make them: a worker must never touch a call it has just
    freed, though the same wake-up may hold both the D and packets for that
    call. The sanitizer build reports any use after free at teardown."""
    import threading

    d = rtproam(nports=200)             # 50 pairs: 24 calls + headroom
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    calls = [make_call(d.ctl, "flow-%d@test" % i, a, b) for i in range(12)]
    targets = [c.a_dst for c in calls] + [c.b_dst for c in calls]
    stop = threading.Event()
    sent = [0]

    def spray():
        pkt = rtp_packet(1, 160, a.ssrc, b"\xd5" * 160)
        deadline = time.monotonic() + 20.0
        while not stop.is_set() and sent[0] < 2000000 and time.monotonic() < deadline:
            for dst in list(targets):
                try:
                    a.rtp.sendto(pkt, dst)
                except OSError:
                    pass
                sent[0] += 1

    t = threading.Thread(target=spray)
    t.start()
    try:
        for cycle in range(300):
            # Let packets pile up for the calls between two deletions.
            target = sent[0] + 100
            while sent[0] < target and t.is_alive():
                time.sleep(0.0005)
            i = cycle % len(calls)
            assert d.ctl("D %s ft tt" % calls[i].callid) == "0"
            calls[i] = make_call(d.ctl, "flow-%d-%d@test" % (i, cycle), a, b)
            targets[i], targets[len(calls) + i] = calls[i].a_dst, calls[i].b_dst
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
    assert sent[0] >= 30000, "the sender managed only %d packets" % sent[0]
    info = parse_info(d.ctl("I"))
    assert info["active sessions"] == len(calls), info
    assert d.alive()
