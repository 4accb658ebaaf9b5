"""Calls that survive a relay restart: call state in Redis (issue 14, phase 1).

Each test starts its own redis-server on a free loopback port (no RDB, no
AOF: a restart of it loses everything, the hard case) and stops it by PID.
The relay is started with --redis and a node id; a "crash" is SIGKILL, and
the restart runs the same command line (same control port, same media range,
same node id). Phones are 127.0.0.2-.7, the attacker 127.0.0.66. Assertions
count packets at the phones and at the attacker; none depends on speed.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import Daemon
from ngclient import NgClient
from ngrelay import NgCall, NgRelay, relayed
from rtpp import BUILD, NotifyServer, Phone, free_port, make_call, metrics, parse_info

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

    def __init__(self, rtproam, redis, start=True, extra=(), user=None, node=NODE):
        self.rtproam = rtproam
        self.ng_port = free_port()
        url = "redis://%s127.0.0.1:%d" % (user + "@" if user else "", redis.port)
        self.extra = ["--redis", url, "--node-id", node,
                      "--redis-refresh", "2"] + list(extra)
        self.d = rtproam(*self.extra, control=["--ng", "udp:127.0.0.1:%d" % self.ng_port],
                         ready=False)
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


def test_crash_restores_calls_on_the_same_ports(rtproam, redis, workdir):
    r = redis()
    relay = Relay(rtproam, r)
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(relay.ctl, "crash-rtpp", a, b)
    na, nb = Phone("127.0.0.5"), Phone("127.0.0.6")
    ng = NgCall(relay.ng(), "crash-ng", na, nb)
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert both_ways(na, ng.a_dst(), nb, ng.b_dst())[:2] == (20, 20)

    # B moves (same SSRC, continuing sequence: strong evidence) before the crash.
    b2 = moved_phone(b, "127.0.0.4")
    b2.send_rtp(call.b_dst, 10, 0.02)
    assert relayed(a.recv(10, 2.0), b2) >= 8
    stored = wait_for(lambda: "peer=127.0.0.4:%d " % b2.port in
                      r.hgetall(key("crash-rtpp")).get("m0.a", "") +
                      r.hgetall(key("crash-rtpp")).get("m0.b", ""))
    assert stored, "the handover never reached Redis: %r" % r.hgetall(key("crash-rtpp"))
    assert "ha redis state: up" in relay.ctl("I")

    att = Attacker(relay.d.port_min, relay.d.port_max)
    att.start()
    time.sleep(0.3)
    gap = relay.crash_and_restart()
    time.sleep(0.3)
    info = relay.info()
    assert info.get("ha restored") == 2, info

    # Same ports: the old destinations work, both ways, at once.
    to_b, to_a, inj = both_ways(a, call.a_dst, b2, call.b_dst)
    assert to_b >= 19 and to_a >= 19, "rtpp call after restart: %d/%d" % (to_b, to_a)
    assert inj == 0
    assert not b.recv(1, 0.3), "the phone's old address still gets media"
    to_b, to_a, inj = both_ways(na, ng.a_dst(), nb, ng.b_dst())
    assert to_b >= 19 and to_a >= 19, "ng call after restart: %d/%d" % (to_b, to_a)
    assert inj == 0
    q = relay.ctl("Q crash-rtpp ft tt")
    assert not q.startswith("E"), q
    assert relay.ng().query("crash-ng")["result"] == "ok"
    time.sleep(0.5)
    att.stop()
    assert att.sent > 100
    assert att.received == 0, "the attacker got %d packets" % att.received
    print("restart took %.2f s (start-up and restore)" % gap)
    ha = subprocess.run([str(CTL), "-s", "udp:127.0.0.1:%d" % relay.d.ctl_port, "ha"],
                        stdout=subprocess.PIPE, timeout=10, check=True).stdout.decode()
    assert re.search(r"^redis state +up$", ha, re.M) and \
        re.search(r"^restored +2$", ha, re.M), ha

    # Deleted for good: the record goes, a later crash brings nothing back.
    assert not relay.ctl("D crash-rtpp ft tt").startswith("E")
    assert wait_for(lambda: r.cli("EXISTS", key("crash-rtpp")) == "0")
    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    assert relay.ctl("Q crash-rtpp ft tt").startswith("E")


class Streamer(threading.Thread):
    """Two phones talking at 20 ms until stopped; counts what arrives."""

    def __init__(self, a, a_dst, b, b_dst):
        super().__init__(daemon=True)
        self.a, self.a_dst, self.b, self.b_dst = a, a_dst, b, b_dst
        self.stop_ev = threading.Event()
        self.sent = 0

    def run(self):
        while not self.stop_ev.is_set():
            self.a.send_rtp(self.a_dst)
            self.b.send_rtp(self.b_dst)
            self.sent += 1
            time.sleep(0.02)

    def stop(self):
        self.stop_ev.set()
        self.join(5)
        return relayed(self.b.recv(self.sent, 2.0, quiet=0.2), self.a), \
            relayed(self.a.recv(self.sent, 2.0, quiet=0.2), self.b)


def timed(ctl, cmd):
    t0 = time.monotonic()
    rep = ctl(cmd)
    return rep, time.monotonic() - t0


def test_redis_restart_and_outage(rtproam, redis):
    r = redis()
    mport = free_port(socket.SOCK_STREAM)
    relay = Relay(rtproam, r, extra=["--metrics", "127.0.0.1:%d" % mport])
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(relay.ctl, "outage", a, b)
    k = key("outage")
    assert wait_for(lambda: r.hgetall(k).get("cid") == "outage")
    s = Streamer(a, call.a_dst, b, call.b_dst)
    s.start()

    # Redis restarted without its data: everything is written again.
    r.stop()
    r.start()
    assert wait_for(lambda: r.hgetall(k).get("cid") == "outage", 8), "not rewritten"

    # Redis hung: commands are answered at once, the state says down.
    r.signal(signal.SIGSTOP)
    worst = 0.0
    for i in range(5):
        c = Phone("127.0.0.%d" % (10 + i))
        for cmd in ("U hung%d 127.0.0.%d %d ft;1" % (i, 10 + i, c.port),
                    "L hung%d 127.0.0.7 5000 ft;1 tt;1" % i,
                    "D hung%d ft tt" % i):
            rep, took = timed(relay.ctl, cmd)
            assert not rep.startswith("E"), (cmd, rep)
            worst = max(worst, took)
        c.close()
        time.sleep(0.3)
    assert worst < 0.1, "a command took %.3f s while Redis hung" % worst
    assert wait_for(lambda: relay.info().get("ha redis state") == "down", 4)
    m = metrics(mport)
    assert m["rtproam_ha_redis_up"] == 0 and m["rtproam_ha_dirty_calls"] >= 1, m
    # ... and then dies; a new, empty one comes up.
    r.kill()
    r.start()
    assert wait_for(lambda: r.hgetall(k).get("cid") == "outage", 8), "not rewritten"
    assert all(r.cli("EXISTS", key("hung%d" % i)) == "0" for i in range(5))
    assert wait_for(lambda: relay.info().get("ha redis state") == "up", 4)
    m = metrics(mport)
    assert m["rtproam_ha_redis_up"] == 1 and m["rtproam_ha_write_errors_total"] > 0, m

    to_b, to_a = s.stop()
    assert to_b == s.sent and to_a == s.sent, \
        "lost packets during the Redis trouble: %d/%d of %d" % (to_b, to_a, s.sent)
    # One log line per transition: up, down (restart), up, down (hung), up.
    log = relay.d.log.read_text()
    assert log.count(": up; rewriting") == 3 and log.count(": down (") == 2, \
        [l for l in log.splitlines() if "redis 127" in l]
    info = relay.info()
    assert info["ha write errors"] > 0 and info["ha resyncs"] >= 3, info

    # A later crash still restores the call.
    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    to_b, to_a, _ = both_ways(a, call.a_dst, b, call.b_dst)
    assert to_b >= 19 and to_a >= 19


def leg(port, peer="127.0.0.2:4000", laddr="127.0.0.1", st="strong"):
    return ("1 laddr=%s:%d adv=127.0.0.1 pol=probation st=%s asym=0 ver=1 root=1 "
            "sig=%s peer=%s rpeer=- rconf=0 ssrc=- seq=0 seqt=0 nsw=0 swt=0 wst=0 "
            "wsw=0 mux=0 blk=0 hold=0" % (laddr, port, st, peer, peer))


def plant(r, callid, a, b, v="1"):
    r.cli("HSET", key(callid), "v", v, "cid", callid, "own", NODE,
          "created", "1764000000000", "m0", "1 num=1 t0=ft t1=tt br=- ans=1 type=- proto=-",
          "m0.a", a, "m0.b", b)


def can_bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_forged_records_are_rejected_counted_and_kept(rtproam, redis):
    r = redis()
    relay = Relay(rtproam, r, start=False)
    lo, hi = relay.d.port_min, relay.d.port_max
    bad = {
        "foreign-laddr": (leg(lo, laddr="127.0.0.9"), leg(lo + 2)),
        "out-of-range": (leg(hi + 10), leg(lo + 4)),
        "odd-port": (leg(lo + 7), leg(lo + 8)),
        "peer-is-us": (leg(lo + 10, peer="127.0.0.1:%d" % (lo + 12)), leg(lo + 12)),
        "multicast-peer": (leg(lo + 14, peer="239.1.1.1:4000"), leg(lo + 16)),
    }
    for cid, (la, lb) in bad.items():
        plant(r, cid, la, lb)
    plant(r, "bad-version", leg(lo + 18), leg(lo + 20), v="9")
    plant(r, "fine", leg(lo + 22), leg(lo + 24, peer="127.0.0.3:5000"))
    relay.d.start()
    info = relay.info()
    assert info.get("ha rejected") == len(bad) + 1, info
    assert info.get("ha restored") == 1, info
    for cid in list(bad) + ["bad-version"]:
        assert r.cli("EXISTS", key(cid)) == "1", "%s was deleted" % cid
        assert relay.ctl("Q %s ft tt" % cid).startswith("E")
    for port in (lo, lo + 2, lo + 4, lo + 8, lo + 10, lo + 12, lo + 14, lo + 16,
                 lo + 18, lo + 20):
        assert can_bind(port), "port %d was bound for a rejected record" % port
    assert not can_bind(lo + 22) and not can_bind(lo + 24)
    assert not relay.ctl("Q fine ft tt").startswith("E")


def test_ha_is_off_without_redis(daemon):
    out = subprocess.run([str(CTL), "-s", "udp:127.0.0.1:%d" % daemon.ctl_port, "ha"],
                         stdout=subprocess.PIPE, timeout=10, check=True).stdout.decode()
    assert out.split() == ["redis", "off", "(no", "--redis)"], out
    assert not any(k.startswith("ha ") for k in parse_info(daemon.ctl.command("I")))


ACL = ["ACL", "SETUSER", "rtproam", "on", ">pw-for-the-test", "~rtproam:*", "resetchannels",
       "-@all", "+hset", "+hdel", "+hgetall", "+unlink", "+pexpire", "+scan", "+multi",
       "+exec", "+select", "+ping", "+auth", "+client|setname"]


def test_acl_user_from_the_readme(rtproam, redis, workdir, monkeypatch):
    """The README's ACL is enough for everything rtproam does; a wrong
    password is one log line and a 'down' state, never a failed command."""
    r = redis()
    assert r.cli(*ACL) == "OK"
    pw = workdir / "redis.pass"
    pw.write_text("pw-for-the-test\n")
    pw.chmod(0o600)
    relay = Relay(rtproam, r, user="rtproam", extra=["--redis-password-file", str(pw)])
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(relay.ctl, "acl", a, b)
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert wait_for(lambda: r.hgetall(key("acl")).get("cid") == "acl")
    relay.crash_and_restart()
    info = relay.info()
    assert info["ha restored"] == 1 and info["ha write errors"] == 0, info
    assert not relay.ctl("D acl ft tt").startswith("E")
    assert wait_for(lambda: r.cli("EXISTS", key("acl")) == "0")
    assert relay.info()["ha write errors"] == 0

    monkeypatch.setenv("RTPROAM_REDIS_PASSWORD", "not-the-password")
    bad = Relay(rtproam, r, user="rtproam", node="other")
    call = make_call(bad.ctl, "nopass", a, b)
    assert wait_for(lambda: bad.info().get("ha redis state") == "down", 2)
    time.sleep(1.5)
    assert "WRONGPASS" in bad.ctl("I")
    assert r.cli("EXISTS", "rtproam:other:call:nopass") == "0"
    log = bad.d.log.read_text()
    assert log.count("unreachable (WRONGPASS") == 1 and ": up;" not in log, log


def test_redis_restart_with_its_data(rtproam, redis):
    """Redis with appendonly, restarted cleanly mid-call: the record is
    there at once, rewritten anyway, and a later crash restores the call."""
    r = redis(appendonly=True)
    relay = Relay(rtproam, r)
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(relay.ctl, "aof", a, b)
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert wait_for(lambda: "ssrc=-" not in r.hgetall(key("aof")).get("m0.a", "ssrc=-"))
    before = r.hgetall(key("aof"))
    r.stop()
    r.start()
    assert r.hgetall(key("aof")) == before, "appendonly lost the record"
    assert wait_for(lambda: relay.info().get("ha redis state") == "up", 4)
    relay.crash_and_restart()
    assert relay.info().get("ha restored") == 1
    to_b, to_a, _ = both_ways(a, call.a_dst, b, call.b_dst)
    assert to_b >= 19 and to_a >= 19


def test_restored_call_still_notifies_its_timeout(rtproam, redis):
    """The notify target and tag of a U survive the crash: the restored
    call, left without media, times out and the proxy hears of it."""
    r = redis()
    srv = NotifyServer()
    try:
        relay = Relay(rtproam, r, extra=["-T", "2", "-n", srv.target])
        a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
        call = make_call(relay.ctl, "nt", a, b)
        relay.ctl("U nt 127.0.0.2 %d ft;1 tt;1 %s T77.1" % (a.port, srv.target))
        assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
        assert wait_for(lambda: "to=" + srv.target in r.hgetall(key("nt")).get("nt", ""))
        relay.crash_and_restart()
        assert relay.info().get("ha restored") == 1
        assert srv.wait_lines(1, 8) == b"T77.1\n"
        assert wait_for(lambda: r.cli("EXISTS", key("nt")) == "0"), "timed out, not unlinked"
    finally:
        srv.close()
