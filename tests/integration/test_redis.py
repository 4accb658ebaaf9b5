"""Calls that survive a relay restart: call state in Redis (issue 14, phase 1).

Each test starts its own redis-server on a free loopback port (no RDB, no
AOF: a restart of it loses everything, the hard case) and stops it by PID.
The relay is started with --redis and a node id; a "crash" is SIGKILL, and
the restart runs the same command line (same control port, same media range,
same node id). Phones are 127.0.0.2-.7, the attacker 127.0.0.66. Assertions
count packets at the phones and at the attacker; none depends on speed.
"""

import re
import signal
import socket
import subprocess
import time

from ngrelay import NgCall, relayed
from redislab import (CTL, NODE, Attacker, Relay, Streamer, TwoCalls,  # noqa: F401
                      both_ways, key, pytestmark, redis, timed, wait_for)
from rtpp import NotifyServer, Phone, free_port, make_call, metrics, parse_info


def test_crash_restores_calls_on_the_same_ports(rtproam, redis, workdir):
    r = redis()
    relay = Relay(rtproam, r)
    # B moves (strong evidence) before the crash.
    two = TwoCalls(relay, r, "crash-rtpp", key("crash-rtpp"))
    a, b, b2, call, na, nb, ng = two.a, two.b, two.b2, two.call, two.na, two.nb, two.ng
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
    assert relay.ng().query("crash-rtpp-ng")["result"] == "ok"
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
       "-@all", "+hset", "+hdel", "+hgetall", "+unlink", "+pexpire", "+scan", "+get",
       "+set", "+incr", "+eval", "+evalsha", "+script|load", "+select", "+ping", "+auth",
       "+client|setname"]


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
