"""A standby takes over a dead relay's calls; a revived old owner stops
(issue 14, phase 2: --ha standby, the lease and its fencing).

Both relays run on this machine with the same media address and range
(127.0.0.1), so the standby can bind the ports only once the active one is
dead, as on two hosts sharing a service address. The lease is 1 s here to
keep the test short (3 s by default). Phones are 127.0.0.2-.7, the attacker
127.0.0.66; every assertion counts packets.
"""

import re
import signal
import subprocess
import time

from ngrelay import relayed
from redislab import (CTL, Attacker, Relay, Streamer, TwoCalls, both_ways,  # noqa: F401
                      moved_phone, pytestmark, redis, wait_for)
from rtpp import Phone, make_call, parse_info

GROUP = "media-1"
LEASE_MS = 1000
HA = ["--ha-group", GROUP, "--ha-lease-ms", str(LEASE_MS)]


def call_key(callid):
    return "rtproam:%s:call:%s" % (GROUP, callid)


def pair(rtproam, r):
    """Relay A (active) and relay B (standby for the same group and ports)."""
    a = Relay(rtproam, r, node="relay-a", extra=HA)
    b = Relay(rtproam, r, node="relay-b", extra=HA + ["--ha", "standby"], media_of=a)
    return a, b


def killed(relay):
    """SIGKILL, on purpose: the fixture must not count it as a failure."""
    relay.d.signal(signal.SIGKILL)
    relay.d.proc.wait()
    relay.d.returncode = 0


def test_standby_takes_over_a_killed_relay(rtproam, redis):
    r = redis()
    act, sby = pair(rtproam, r)
    info = sby.info()
    assert info["ha role"] == "standby" and info["ha lease"] == "-", info
    assert act.info()["ha role"] == "active"
    assert r.cli("GET", "rtproam:%s:lease" % GROUP).startswith("relay-a ")

    # A standby serves no calls: a clear error, over both protocols.
    assert sby.ctl("U early 127.0.0.2 4000 ft;1").startswith("E"), "standby took a call"
    rep = sby.ng().ng.cmd("offer", call_id="early", from_tag="f",
                          sdp="v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
                              "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
                              "m=audio 4000 RTP/AVP 0\r\n")
    assert rep["result"] == "error" and "standby" in rep["error-reason"], rep

    # B moves (strong evidence) before the crash: B's new address must stick.
    two = TwoCalls(act, r, "to-take", call_key("to-take"))
    a, b, b2, call, na, nb, ng = two.a, two.b, two.b2, two.call, two.na, two.nb, two.ng

    s = Streamer(a, call.a_dst, b2, call.b_dst)
    att = Attacker(act.d.port_min, act.d.port_max)
    s.start()
    att.start()
    time.sleep(0.5)
    t_kill = time.monotonic()
    killed(act)
    assert wait_for(lambda: sby.info().get("ha role") == "active", 10), sby.info()
    t_active = time.monotonic()
    time.sleep(1.0)
    to_b, to_a = s.stop()
    att.stop()

    info = sby.info()
    assert info["ha takeovers"] == 1 and info["ha restored"] == 2, info
    assert info["ha lease"].startswith("relay-b "), info
    # Lost: only what was sent while nobody relayed, plus two packets.
    gap = s.sent_between(t_kill, t_active)
    assert s.sent - to_b <= gap + 2 and s.sent - to_a <= gap + 2, \
        "lost %d/%d of %d, %d sent during the takeover" % (s.sent - to_b, s.sent - to_a,
                                                           s.sent, gap)
    print("takeover: %.2f s, %d packets per direction sent meanwhile, lost %d/%d"
          % (t_active - t_kill, gap, s.sent - to_b, s.sent - to_a))
    assert att.sent > 100 and att.received == 0, "the attacker got %d" % att.received
    assert not b.recv(1, 0.2), "the moved phone's old address gets media"

    # The standby is the relay now: both calls, both protocols.
    to_b, to_a, inj = both_ways(na, ng.a_dst(), nb, ng.b_dst())
    assert (to_b, to_a, inj) == (20, 20, 0)
    assert not sby.ctl("Q to-take ft tt").startswith("E")
    assert sby.ng().query("to-take-ng")["result"] == "ok"
    # A phone that moves again after the takeover is followed as before.
    b3 = moved_phone(b2, "127.0.0.7")
    b3.send_rtp(call.b_dst, 10, 0.02)
    assert relayed(a.recv(10, 2.0), b3) >= 8
    assert wait_for(lambda: "own" in r.hgetall(call_key("to-take")) and
                    r.hgetall(call_key("to-take"))["own"] == "relay-b")
    ha = subprocess.run([str(CTL), "-s", "udp:127.0.0.1:%d" % sby.d.ctl_port, "ha"],
                        stdout=subprocess.PIPE, timeout=10, check=True).stdout.decode()
    assert re.search(r"^role +active$", ha, re.M) and \
        re.search(r"^takeovers +1$", ha, re.M), ha


def test_revived_old_owner_stops_instead_of_writing(rtproam, redis):
    r = redis()
    act, sby = pair(rtproam, r)
    # The active relay freezes (a VM paused, a long GC-like stall)...
    act.d.signal(signal.SIGSTOP)
    assert wait_for(lambda: sby.info().get("ha role") == "active", 10), sby.info()
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(sby.ctl, "after", a, b)
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert wait_for(lambda: r.hgetall(call_key("after")).get("own") == "relay-b")
    before = r.hgetall(call_key("after"))

    # ... and wakes up: it finds the lease taken and stops, writing nothing.
    act.d.signal(signal.SIGCONT)
    try:
        rc = act.d.proc.wait(timeout=10)
    finally:
        act.d.returncode = 0
    assert rc == 75, "the fenced relay exited %r" % rc
    log = act.d.log.read_text()
    assert "now owns group %s" % GROUP in log and "stopping" in log, log[-2000:]
    assert r.hgetall(call_key("after")) == before
    assert r.cli("GET", "rtproam:%s:lease" % GROUP).startswith("relay-b ")
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert parse_info(sby.ctl("I"))["ha role"] == "active"


def test_restarted_owner_waits_while_the_standby_serves(rtproam, redis):
    """After a takeover, the old active relay started again (same node id)
    does not take the calls back: it waits as a standby (no pre-emption)."""
    r = redis()
    act, sby = pair(rtproam, r)
    killed(act)
    assert wait_for(lambda: sby.info().get("ha role") == "active", 10)
    again = Relay(rtproam, r, node="relay-a", extra=HA, media_of=sby)
    info = again.info()
    assert info["ha role"] == "standby", info
    assert again.ctl("U x 127.0.0.2 4000 ft;1").startswith("E")
    assert "holds the lease of group %s" % GROUP in again.d.log.read_text()


def test_a_write_under_a_lost_lease_is_refused(rtproam, redis):
    """Split brain: the lease names another node (taken while this one was
    cut off). The next write of the old owner, a re-INVITE's, is refused by
    Redis itself (the guard script), and the old owner stops. The lease is
    long here, so that no renewal can notice first."""
    r = redis()
    act = Relay(rtproam, r, node="relay-a",
                extra=["--ha-group", GROUP, "--ha-lease-ms", "60000"])
    a, b = Phone("127.0.0.2"), Phone("127.0.0.3")
    call = make_call(act.ctl, "split", a, b)
    assert both_ways(a, call.a_dst, b, call.b_dst)[:2] == (20, 20)
    assert wait_for(lambda: "127.0.0.2:%d" % a.port in r.hgetall(call_key("split"))
                    .get("m0.a", ""))
    before = r.hgetall(call_key("split"))
    assert r.cli("SET", "rtproam:%s:lease" % GROUP, "relay-z 99") == "OK"
    assert not act.ctl("U split 127.0.0.2 %d ft;1 tt;1" % (a.port + 2)).startswith("E")
    try:
        rc = act.d.proc.wait(timeout=10)
    finally:
        act.d.returncode = 0
    assert rc == 75
    assert "node relay-z 99 now owns group" in act.d.log.read_text()
    assert r.hgetall(call_key("split")) == before
