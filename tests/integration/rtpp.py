"""A small client library for driving rtproam in tests.

- UdpControl: the rtpproxy control protocol over UDP, with cookies and
  retransmission (the way Kamailio and OpenSIPS talk to the relay).
- unix_command / TcpControl: the stream transports (no cookie).
- Phone: a simulated phone bound to a 127.x (or ::1) address, with an RTP
  socket on an even port and its RTCP socket on port + 1. It sends RTP with
  a running sequence number, timestamp and its own SSRC, and receives and
  counts what the relay forwards.
- NotifyServer: a stream listener that collects timeout notifications.

Every wait in here is bounded in both count and time.
"""

import os
import random
import re
import select
import socket
import struct
import time
import urllib.error
import urllib.request
from pathlib import Path

BUILD = Path(os.environ.get("RTPROAM_BUILD") or "/work/main/build-integ")
BINARY = BUILD / "src" / "rtproam"

RTP_HEADER = struct.Struct("!BBHII")
RTCP_SR = struct.Struct("!BBHIIIIII")  # header, SSRC, NTP (2), RTP ts, counts (2)


class ControlError(AssertionError):
    pass


def _family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _new_cookie():
    return "%08x_%d" % (random.getrandbits(32), next(_COOKIE_SEQ))


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_COOKIE_SEQ = _counter()


# ---------------------------------------------------------------- control


class UdpControl:
    """rtpproxy control over UDP: `cookie command` out, `cookie reply` back.

    Like the SIP proxies, it resends the same datagram (same cookie) when no
    matching reply arrives in `timeout`, up to `tries` times, and drains stale
    replies before each new command.
    """

    def __init__(self, host, port, timeout=0.5, tries=6):
        self.addr = (host, port)
        self.timeout = timeout
        self.tries = tries
        self.sock = socket.socket(_family_of(host), socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sent = 0  # datagrams sent, retransmissions included

    def close(self):
        self.sock.close()

    def _drain(self):
        self.sock.setblocking(False)
        try:
            for _ in range(1000):
                self.sock.recv(65536)
        except (BlockingIOError, ConnectionRefusedError):
            pass
        finally:
            self.sock.setblocking(True)

    def exchange(self, cookie, command, tries=None, timeout=None):
        """Send `cookie command`; return the raw reply datagram whose first
        token is `cookie` (bytes), or None when no reply came at all."""
        cookie_b = cookie.encode() if isinstance(cookie, str) else cookie
        cmd_b = command.encode() if isinstance(command, str) else command
        datagram = cookie_b + b" " + cmd_b
        timeout = self.timeout if timeout is None else timeout
        self._drain()
        for _ in range(self.tries if tries is None else tries):
            self.sock.sendto(datagram, self.addr)
            self.sent += 1
            deadline = time.monotonic() + timeout
            for _ in range(100):  # bounded: stale replies with other cookies
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    break
                except ConnectionRefusedError:
                    break
                if data.split(b" ", 1)[0] == cookie_b:
                    return data
        return None

    def command(self, command, cookie=None):
        """Run one command and return the reply body (no cookie, no newline).
        Asserts that the reply echoes the cookie exactly, then one space, and
        ends with a newline."""
        cookie = cookie or _new_cookie()
        raw = self.exchange(cookie, command)
        if raw is None:
            raise ControlError("no reply to %r after %d tries" % (command, self.tries))
        prefix = cookie.encode() + b" "
        if not raw.startswith(prefix):
            raise ControlError("reply %r does not start with cookie %r" % (raw, prefix))
        if not raw.endswith(b"\n"):
            raise ControlError("reply %r to %r does not end with a newline" % (raw, command))
        return raw[len(prefix):-1].decode()

    __call__ = command


def unix_command(path, command, timeout=2.0):
    """rtpproxy `unix:` transport: connect, write the command (no newline),
    read the reply until the daemon closes. Returns the reply (str)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(command.encode())
        return _read_to_eof(s, timeout).decode()
    finally:
        s.close()


def _read_to_eof(s, timeout):
    out = b""
    deadline = time.monotonic() + timeout
    for _ in range(1000):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ControlError("stream not closed by the daemon within %.1f s: %r" % (timeout, out))
        s.settimeout(left)
        chunk = s.recv(65536)
        if not chunk:
            return out
        out += chunk
    raise ControlError("stream reply too long: %r" % out[:200])


class TcpControl:
    """`tcp:` transport: one persistent connection, newline-terminated lines."""

    def __init__(self, host, port, timeout=2.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def read_line(self):
        deadline = time.monotonic() + self.timeout
        for _ in range(1000):
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                return line.decode()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ControlError("tcp control closed by the daemon; got %r" % self.buf)
            self.buf += chunk
        raise ControlError("no reply line within %.1f s; got %r" % (self.timeout, self.buf))

    def command(self, command):
        self.send_raw(command + "\n")
        return self.read_line()

    __call__ = command


def parse_info(text):
    """`I` reply -> {"sessions created": 3, ...}."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            v = v.strip()
            out[k.strip()] = int(v) if v.isdigit() else v
    return out


def parse_port_reply(reply):
    """`PORT ADDR [6]` -> (port, addr, is6). Asserts the shape."""
    parts = reply.split()
    assert parts and parts[0].isdigit(), "not a port reply: %r" % reply
    port = int(parts[0])
    addr = parts[1] if len(parts) > 1 else None
    is6 = len(parts) > 2 and parts[2] == "6"
    assert 0 < port < 65536, "port out of range in %r" % reply
    return port, addr, is6


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port the kernel considers free right now (bound, then released)."""
    s = socket.socket(_family_of(host), kind)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---------------------------------------------------------------- packets


def rtp_packet(seq, ts, ssrc, payload=b"", pt=0, marker=False, version=2):
    b0 = (version & 3) << 6
    b1 = (0x80 if marker else 0) | (pt & 0x7F)
    return RTP_HEADER.pack(b0, b1, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def rtcp_sr(ssrc, rtp_ts=0, packets=0, octets=0):
    """A bare RTCP sender report (28 bytes, no report blocks)."""
    now = time.time()
    ntp_sec = int(now) + 2208988800
    ntp_frac = int((now % 1) * (1 << 32))
    return RTCP_SR.pack(0x80, 200, 6, ssrc, ntp_sec & 0xFFFFFFFF, ntp_frac,
                        rtp_ts & 0xFFFFFFFF, packets, octets)


def parse_rtp(data):
    """-> dict(seq, ts, ssrc, pt, payload) or None if not RTP v2."""
    if len(data) < 12 or data[0] >> 6 != 2 or 192 <= data[1] <= 223:
        return None
    b0, b1, seq, ts, ssrc = RTP_HEADER.unpack_from(data)
    return {"seq": seq, "ts": ts, "ssrc": ssrc, "pt": b1 & 0x7F,
            "payload": data[12:]}


def is_rtcp(data):
    return len(data) >= 8 and data[0] >> 6 == 2 and 192 <= data[1] <= 223


# ---------------------------------------------------------------- phones


def bind_pair(ip, port=None, tries=200, lo=20000, hi=30000):
    """Two UDP sockets on ip:P and ip:P+1, P even. Random P in [lo, hi) if
    not given (below Linux's ephemeral range, away from the relay's)."""
    fam = _family_of(ip)
    for _ in range(tries if port is None else 1):
        p = port if port is not None else random.randrange(lo, hi) & ~1
        a = socket.socket(fam, socket.SOCK_DGRAM)
        b = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            a.bind((ip, p))
            b.bind((ip, p + 1))
            return a, b, p
        except OSError:
            a.close()
            b.close()
    raise OSError("no free port pair on %s" % ip)


class Phone:
    """A simulated phone: RTP on an even port, RTCP on port + 1.

    `send_rtp` numbers packets with a running sequence number and a 160-sample
    timestamp step (20 ms of 8 kHz audio) under this phone's SSRC; received
    packets are returned with the address they came from.
    """

    def __init__(self, ip, port=None, ssrc=None, pt=0, name=None):
        self.ip = ip
        self.rtp, self.rtcp, self.port = bind_pair(ip, port)
        self.ssrc = ssrc if ssrc is not None else random.getrandbits(32)
        self.pt = pt
        self.seq = random.randrange(0, 30000)
        self.ts = random.getrandbits(31)
        self.name = name or "%s:%d" % (ip, self.port)
        self.rtp_sent = 0
        self.sent_payloads = []

    def __repr__(self):
        return "<Phone %s>" % self.name

    @property
    def addr(self):
        return (self.ip, self.port)

    def close(self):
        self.rtp.close()
        self.rtcp.close()

    def next_packet(self, payload=None):
        if payload is None:
            payload = ("%s#%d|" % (self.name, self.rtp_sent)).encode().ljust(160, b"\xd5")
        pkt = rtp_packet(self.seq, self.ts, self.ssrc, payload, self.pt)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 160) & 0xFFFFFFFF
        self.rtp_sent += 1
        self.sent_payloads.append(payload)
        return pkt

    def send_rtp(self, dst, count=1, interval=0.0, sock=None):
        """Send `count` RTP packets to dst (host, port); return the payloads."""
        sock = sock or self.rtp
        payloads = []
        for i in range(count):
            pkt = self.next_packet()
            payloads.append(pkt[12:])
            sock.sendto(pkt, dst)
            if interval and i + 1 < count:
                time.sleep(interval)
        return payloads

    def send_rtcp_sr(self, dst):
        pkt = rtcp_sr(self.ssrc, self.ts, self.rtp_sent, self.rtp_sent * 160)
        self.rtcp.sendto(pkt, dst)
        return pkt

    def recv(self, expect, timeout=2.0, rtcp=False, quiet=0.05):
        """Collect datagrams until `expect` have arrived (then wait `quiet`
        more seconds for extras) or `timeout` passes. Returns [(data, src)]."""
        sock = self.rtcp if rtcp else self.rtp
        return collect(sock, expect, timeout, quiet)

    def drain(self, quiet=0.1):
        """Everything arriving on either socket until `quiet` seconds pass
        without a packet -> (rtp list, rtcp list)."""
        out = {self.rtp: [], self.rtcp: []}
        for _ in range(100000):
            r, _, _ = select.select([self.rtp, self.rtcp], [], [], quiet)
            if not r:
                break
            for s in r:
                try:
                    data, src = s.recvfrom(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    continue
                out[s].append((data, src[:2]))
        return out[self.rtp], out[self.rtcp]


def collect(sock, expect, timeout=2.0, quiet=0.05, limit=100000):
    got = []
    deadline = time.monotonic() + timeout
    extra_deadline = None
    for _ in range(limit):
        now = time.monotonic()
        end = extra_deadline if extra_deadline is not None else deadline
        left = end - now
        if left <= 0:
            break
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            break
        try:
            data, src = sock.recvfrom(65536)
        except (BlockingIOError, ConnectionRefusedError):
            continue
        got.append((data, src[:2]))
        if len(got) >= expect and extra_deadline is None:
            extra_deadline = min(deadline, time.monotonic() + quiet)
    return got


def exchange_media(a, a_dst, b, b_dst, count=50, interval=0.003, timeout=3.0):
    """A sends `count` RTP to a_dst and B to b_dst, interleaved. Returns
    (what B received, what A received) as lists of (data, src)."""
    for i in range(count):
        a.send_rtp(a_dst)
        b.send_rtp(b_dst)
        if interval:
            time.sleep(interval)
    got_b = b.recv(count, timeout)
    got_a = a.recv(count, timeout)
    return got_b, got_a


def poll_until(fn, pred, timeout=2.0, step=0.02):
    """Call fn() until pred(value) or timeout; return the last value."""
    deadline = time.monotonic() + timeout
    val = fn()
    for _ in range(int(timeout / step) + 2):
        if pred(val) or time.monotonic() >= deadline:
            return val
        time.sleep(step)
        val = fn()
    return val


# ---------------------------------------------------------------- notify


class NotifyServer:
    """A TCP or AF_UNIX stream listener that collects notification bytes
    from any number of connections."""

    def __init__(self, unix_path=None, host="127.0.0.1"):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if os.path.exists(unix_path):
                os.unlink(unix_path)
            self.sock.bind(unix_path)
            self.target = "unix:" + unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind((host, 0))
            self.target = "tcp:%s:%d" % (host, self.sock.getsockname()[1])
        self.path = unix_path
        self.sock.listen(16)
        self.conns = []
        self.accepted = 0
        self.data = b""

    def poll(self, timeout):
        """Accept and read for up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        for _ in range(10000):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.sock] + self.conns, [], [], left)
            if not r:
                return
            for s in r:
                if s is self.sock:
                    c, _ = self.sock.accept()
                    self.conns.append(c)
                    self.accepted += 1
                    continue
                chunk = s.recv(65536)
                if chunk:
                    self.data += chunk
                else:
                    self.conns.remove(s)
                    s.close()

    def wait_lines(self, n, timeout):
        """Poll until at least n newline-terminated lines arrived."""
        deadline = time.monotonic() + timeout
        for _ in range(1000):
            if self.data.count(b"\n") >= n:
                return self.data
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.poll(min(left, 0.1))
        return self.data

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)


# ---------------------------------------------------------------- calls


class Call:
    """The relay ports of one media line: A (first tag) sends to a_dst, B
    (second tag) to b_dst."""

    def __init__(self, callid, a_port, b_port, relay_ip="127.0.0.1"):
        self.callid = callid
        self.a_port = a_port  # relay port facing A (the L reply)
        self.b_port = b_port  # relay port facing B (the U reply)
        self.a_dst = (relay_ip, a_port)
        self.b_dst = (relay_ip, b_port)
        self.a_rtcp = (relay_ip, a_port + 1)
        self.b_rtcp = (relay_ip, b_port + 1)


def make_call(ctl, callid, a, b, ftag="ft", ttag="tt", media=1, mods="c0,101",
              relay_ip="127.0.0.1"):
    """Kamailio's offer/answer: U with A's address, L with B's."""
    u = ctl("U%s %s %s %d %s;%d" % (mods, callid, a.ip, a.port, ftag, media))
    b_port, u_addr, _ = parse_port_reply(u)
    assert u_addr == relay_ip, "U reply %r does not name the relay address %s" % (u, relay_ip)
    l_reply = ctl("L%s %s %s %d %s;%d %s;%d" % (mods, callid, b.ip, b.port, ftag, media,
                                              ttag, media))
    a_port, l_addr, _ = parse_port_reply(l_reply)
    assert l_addr == relay_ip, "L reply %r does not name the relay address %s" % (l_reply, relay_ip)
    return Call(callid, a_port, b_port, relay_ip)


def ports_closed(ports, ip="127.0.0.1", timeout=2.0):
    """Wait until the daemon has closed its sockets on `ports` (each can be
    bound again). Returns the ports still held after `timeout`."""
    held = list(ports)
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.005) + 2):
        still = []
        for p in held:
            s = socket.socket(_family_of(ip), socket.SOCK_DGRAM)
            try:
                s.bind((ip, p))
            except OSError:
                still.append(p)
            finally:
                s.close()
        held = still
        if not held or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    return held


# ---------------------------------------------------------------- metrics


def scrape(port, path="/metrics", method="GET"):
    """-> (status, body) of one HTTP request to the relay's endpoint."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$')


def metrics(port):
    """The endpoint's samples -> {"name" or 'name{le="5"}': float}."""
    status, body = scrape(port)
    assert status == 200, "GET /metrics answered %d: %r" % (status, body[:200])
    out = {}
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        out[m.group(1)] = float(m.group(2))
    return out
