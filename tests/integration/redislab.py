"""Shared by the Redis HA tests (test_redis.py, test_redis_ha.py): a
redis-server the test starts and stops by PID, rtproam with --redis, an
attacker spraying the relay's ports, phones talking at 20 ms.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from ngrelay import NgCall, NgRelay, relayed
from rtpp import BUILD, Phone, free_port, make_call, parse_info

REDIS = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
CTL = BUILD / "tools" / "rtproam-ctl"
NODE = "itest"
ATTACKER = "127.0.0.66"

pytestmark = pytest.mark.skipif(REDIS is None or REDIS_CLI is None,
                                reason="redis-server / redis-cli not installed")


class RedisServer:
    def __init__(self, workdir, appendonly=False):
        self.dir = workdir / "redis"
        self.dir.mkdir(exist_ok=True)
        self.port = free_port(socket.SOCK_STREAM)
        self.appendonly = appendonly
        self.proc = None

    def start(self):
        argv = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes" if self.appendonly else "no",
                "--dir", str(self.dir), "--daemonize", "no", "--logfile",
                str(self.dir / "redis.log")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self.cli("PING") == "PONG":
                return self
            time.sleep(0.02)
        pytest.fail("redis-server did not answer PING")

    def cli(self, *args):
        done = subprocess.run([REDIS_CLI, "-p", str(self.port)] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=5, check=False)
        return done.stdout.decode(errors="replace").strip()

    def hgetall(self, key):
        out = self.cli("--no-raw", "HGETALL", key)
        lines = [l.split(") ", 1)[1].strip('"') if ") " in l else l
                 for l in out.splitlines() if l and l != "(empty array)"]
        return dict(zip(lines[0::2], lines[1::2]))

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def redis(workdir):
    made = []

    def start(appendonly=False):
        r = RedisServer(workdir, appendonly)
        made.append(r)
        return r.start()

    yield start
    for r in made:
        r.stop()


def key(callid):
    return "rtproam:%s:call:%s" % (NODE, callid)


class Relay:
    """rtproam with --redis, an rtpproxy control socket and an ng socket;
    restart() kills it (SIGKILL) and starts it again exactly as before."""

    def __init__(self, rtproam, redis, start=True, extra=(), user=None, node=NODE,
                 media_of=None):
        self.rtproam = rtproam
        self.ng_port = free_port()
        url = "redis://%s127.0.0.1:%d" % (user + "@" if user else "", redis.port)
        self.extra = ["--redis", url, "--node-id", node,
                      "--redis-refresh", "2"] + list(extra)
        self.d = rtproam(*self.extra, control=["--ng", "udp:127.0.0.1:%d" % self.ng_port],
                         ready=False)
        if media_of is not None:
            # A standby: the same media ports as the relay it stands in for.
            old = (str(self.d.port_min), str(self.d.port_max))
            self.d.port_min, self.d.port_max = media_of.d.port_min, media_of.d.port_max
            self.d.argv = [str(self.d.port_min) if a == old[0] else
                           str(self.d.port_max) if a == old[1] else a for a in self.d.argv]
        if start:
            self.d.start()

    @property
    def ctl(self):
        return self.d.ctl.command

    def ng(self):
        return NgRelay("rtproam", self.d, self.ng_port)

    def info(self):
        return parse_info(self.ctl("I"))

    def crash_and_restart(self):
        old = self.d
        old.signal(signal.SIGKILL)
        old.proc.wait()
        old.returncode = 0      # killed on purpose: no failure at teardown
        if old.ctl:
            old.ctl.close()
            old.ctl = None
        new = self.rtproam(ready=False)
        new.ctl_port, new.port_min, new.port_max = old.ctl_port, old.port_min, old.port_max
        new.argv = [str(new.log) if a == str(old.log) else a for a in old.argv]
        t0 = time.monotonic()
        new.start()
        self.d = new
        return time.monotonic() - t0


class Attacker(threading.Thread):
    """Sprays RTP (random SSRC and sequence) and RTCP at every port of the
    relay's range from 127.0.0.66 until stopped; counts what it receives."""

    def __init__(self, port_min, port_max):
        super().__init__(daemon=True)
        self.ports = list(range(port_min, port_max + 1))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ATTACKER, 0))
        self.sock.setblocking(False)
        self.stop_ev = threading.Event()
        self.sent = 0
        self.received = 0

    def run(self):
        while not self.stop_ev.is_set():
            for p in self.ports:
                hdr = bytes([0x80, 0]) + random.getrandbits(16).to_bytes(2, "big") + \
                    random.getrandbits(32).to_bytes(4, "big") + \
                    random.getrandbits(32).to_bytes(4, "big")
                try:
                    self.sock.sendto(hdr + b"ATTACK" * 20, ("127.0.0.1", p))
                    self.sent += 1
                except OSError:
                    pass
            while True:
                try:
                    self.sock.recvfrom(2048)
                    self.received += 1
                except (BlockingIOError, ConnectionRefusedError):
                    break
            time.sleep(0.02)

    def stop(self):
        self.stop_ev.set()
        self.join(5)
        self.sock.close()


def injected(got):
    return sum(1 for d, _ in got if b"ATTACK" in d)


def both_ways(a, a_dst, b, b_dst, n=20):
    """a and b each send n packets at 20 ms; returns (b got from a, a got from b, injected)."""
    for _ in range(n):
        a.send_rtp(a_dst)
        b.send_rtp(b_dst)
        time.sleep(0.02)
    got_b, got_a = b.recv(n, 2.0), a.recv(n, 2.0)
    return relayed(got_b, a), relayed(got_a, b), injected(got_b) + injected(got_a)


def wait_for(fn, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def moved_phone(old, ip):
    """The same phone (SSRC, sequence, timestamps) on a new network."""
    p = Phone(ip)
    p.ssrc, p.seq, p.ts, p.name = old.ssrc, old.seq, old.ts, old.name + "@moved"
    return p


class Streamer(threading.Thread):
    """Two phones talking at 20 ms until stopped; counts what arrives."""

    def __init__(self, a, a_dst, b, b_dst):
        super().__init__(daemon=True)
        self.a, self.a_dst, self.b, self.b_dst = a, a_dst, b, b_dst
        self.stop_ev = threading.Event()
        self.sent = 0
        self.sent_at = []       # monotonic time of each pair sent

    def run(self):
        while not self.stop_ev.is_set():
            self.a.send_rtp(self.a_dst)
            self.b.send_rtp(self.b_dst)
            self.sent_at.append(time.monotonic())
            self.sent += 1
            time.sleep(0.02)

    def sent_between(self, t0, t1):
        return sum(1 for t in self.sent_at if t0 <= t <= t1)

    def stop(self):
        self.stop_ev.set()
        self.join(5)
        return relayed(self.b.recv(self.sent, 2.0, quiet=0.2), self.a), \
            relayed(self.a.recv(self.sent, 2.0, quiet=0.2), self.b)


def timed(ctl, cmd):
    t0 = time.monotonic()
    rep = ctl(cmd)
    return rep, time.monotonic() - t0


class TwoCalls:
    """An rtpproxy call (a <-> b) and an ng call (na <-> nb) on `relay`,
    media flowing both ways, then b moved to 127.0.0.4 (same SSRC,
    continuing sequence: strong evidence) and the move stored in Redis
    under `record_key` (the rtpproxy call's key). b2 is the moved b."""

    def __init__(self, relay, r, callid, record_key):
        self.a, self.b = Phone("127.0.0.2"), Phone("127.0.0.3")
        self.call = make_call(relay.ctl, callid, self.a, self.b)
        self.na, self.nb = Phone("127.0.0.5"), Phone("127.0.0.6")
        self.ng = NgCall(relay.ng(), callid + "-ng", self.na, self.nb)
        assert both_ways(self.a, self.call.a_dst, self.b, self.call.b_dst)[:2] == (20, 20)
        assert both_ways(self.na, self.ng.a_dst(), self.nb, self.ng.b_dst())[:2] == (20, 20)
        self.b2 = moved_phone(self.b, "127.0.0.4")
        self.b2.send_rtp(self.call.b_dst, 10, 0.02)
        assert relayed(self.a.recv(10, 2.0), self.b2) >= 8
        stored = wait_for(lambda: "peer=127.0.0.4:%d " % self.b2.port in
                          "".join(r.hgetall(record_key).values()))
        assert stored, "the handover never reached Redis: %r" % r.hgetall(record_key)
