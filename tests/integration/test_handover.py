"""Secure IP handover, measured by rtproam-sim against the real daemon.

Every case runs twice, once with the call driven over the rtpproxy protocol
(U/L/D) and once over rtpengine's ng protocol (offer/answer/delete), against
one daemon listening for both: the relay must behave the same whichever
protocol set the call up.

Each case runs one simulated call (two phones on 127.0.0.2 and 127.0.0.3
sending 20 ms RTP and 1 s RTCP), moves a phone and/or lets an attacker
loose from 127.0.0.66, and checks the simulator's JSON: whether each leg
switched, how many packets that took, how many were lost around it, and
that the attacker received nothing and injected nothing. Every assertion is
in packets; nothing depends on how fast this machine is.
"""

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

from rtpp import BUILD, free_port, parse_info, poll_until

SIM = BUILD / "tools" / "rtproam-sim"

# The targets for a same-SSRC move: the new address receives relayed
# media within 2 packets of its first packet, at most 2 lost per direction.
SWITCH_PKTS = 2
LOST_PER_DIRECTION = 2
# A new-SSRC move must complete within 500 ms of the old path going silent:
# 25 packets at 20 ms.
NEWSSRC_PKTS = 25


def run_sim(daemon, *args, duration=3):
    if not SIM.is_file():
        pytest.fail("rtproam-sim not built at %s" % SIM)
    argv = [str(SIM), "--relay", daemon.sim_relay,
            "--duration", str(duration), "--json", "-"] + list(args)
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=duration + 30, check=False)
    assert done.returncode == 0, "rtproam-sim %s failed (%d): %s" % (
        " ".join(args), done.returncode, done.stderr.decode(errors="replace"))
    res = json.loads(done.stdout)
    assert res["protocol"] == daemon.protocol, res["protocol"]
    return res


def assert_no_leak(res):
    att = res["attack"]
    assert att["sent"] > 0, "the attacker sent nothing: %r" % att
    assert att["leaked_rtp"] == 0 and att["leaked_rtcp"] == 0, \
        "attacker received %d RTP / %d RTCP packets" % (att["leaked_rtp"], att["leaked_rtcp"])
    assert att["injected_rtp"] == 0 and att["injected_rtcp"] == 0, \
        "attacker got %d RTP / %d RTCP packets into the call" % (
            att["injected_rtp"], att["injected_rtcp"])
    for name, d in res["directions"].items():
        assert d["injected"] == 0 and d["rtcp_injected"] == 0, "%s: injected %r" % (name, d)


def assert_switched(move, pkts=SWITCH_PKTS, lost=LOST_PER_DIRECTION):
    what = "move %s at %d ms (%s -> %s)" % (move["kind"], move["at_ms"], move["from"], move["to"])
    assert move["uplink_switched"], "%s: uplink never switched" % what
    assert move["downlink_switched"], "%s: downlink never switched" % what
    assert move["uplink_switch_pkts"] <= pkts, \
        "%s: uplink needed %d packets" % (what, move["uplink_switch_pkts"])
    assert move["downlink_switch_pkts"] <= pkts, \
        "%s: downlink needed %d packets" % (what, move["downlink_switch_pkts"])
    assert move["lost_up"] <= lost and move["lost_down"] <= lost, \
        "%s: lost %d up, %d down" % (what, move["lost_up"], move["lost_down"])


def assert_rtcp_followed(move):
    assert move["rtcp_to_new_ok"], "RTCP did not reach the new address: %r" % move


def assert_call_clean(res, max_lost=0):
    for name, d in res["directions"].items():
        assert d["lost"] <= max_lost, "%s lost %d of %d" % (name, d["lost"], d["sent"])
        assert d["received"] > 0, "%s: nothing arrived" % name


@pytest.fixture(params=["rtpp", "ng"])
def relay(request, rtproam):
    """rtproam with both control sockets; the sim drives the call over the
    one the parameter names."""
    ng_port = free_port()
    d = rtproam(nports=40, control=["--ng", "udp:127.0.0.1:%d" % ng_port])
    d.protocol = request.param
    if request.param == "ng":
        d.sim_relay = "ng:udp:127.0.0.1:%d" % ng_port
    else:
        d.sim_relay = "udp:127.0.0.1:%d" % d.ctl_port
    return d


# ---- phones that move ----------------------------------------------------

MOVES = {
    # name: (sim arguments, extra checks)
    "new_ip_and_port": ["--move", "1500:ipport"],
    "nat_rebinding_same_ip": ["--move", "1500:port"],
    "new_ip_same_port": ["--move", "1500:ip"],
    "callee_moves": ["--mover", "b", "--move", "1500:ipport"],
    "silent_then_moves": ["--move", "1800:ipport:silence=600"],
}


@pytest.mark.parametrize("name", sorted(MOVES))
def test_same_ssrc_move(relay, name):
    res = run_sim(relay, *MOVES[name])
    (move,) = res["moves"]
    assert_switched(move)
    assert_rtcp_followed(move)


# Issue 12: the packets that prove a same-SSRC move are held and sent on
# when the move is confirmed, so the uplink loses nothing. Counted at the
# receiver by the simulator: lost_up is the mover's packets, sent within
# 1 s of the move, that never reached the other phone; switch_pkts the
# ones sent from the new address before the first that arrived.
ZERO_LOSS_MOVES = {
    "new_ip_and_port": ["--move", "1500:ipport"],
    "nat_rebinding_same_ip": ["--move", "1500:port"],
    "new_ip_same_port": ["--move", "1500:ip"],
    "callee_moves": ["--mover", "b", "--move", "1500:ipport"],
    "silent_then_moves": ["--move", "1800:ipport:silence=600"],
    "reinvite": ["--move", "1500:ipport:reinvite"],
}


@pytest.mark.parametrize("name", sorted(ZERO_LOSS_MOVES))
def test_same_ssrc_move_loses_nothing_uplink(relay, name):
    res = run_sim(relay, *ZERO_LOSS_MOVES[name])
    (move,) = res["moves"]
    assert move["uplink_switched"] and move["downlink_switched"], move
    assert move["uplink_switch_pkts"] == 0, move
    assert move["lost_up"] == 0, "%s: %d lost uplink" % (name, move["lost_up"])
    mover = "a_to_b" if "--mover" not in ZERO_LOSS_MOVES[name] else "b_to_a"
    d = res["directions"][mover]
    # The whole call, counted at the receiver: nothing lost, nothing twice.
    assert d["lost"] == 0 and d["injected"] == 0, d
    assert d.get("duplicates", 0) == 0, d


@pytest.mark.parametrize("attack", ["slow", "rtpflood", "ssrcguess", "garbage", "race"])
def test_zero_loss_move_under_attack(relay, attack):
    # Held packets are the mover's only: the attacker still gets nothing
    # through, and the mover still loses nothing.
    res = run_sim(relay, "--move", "1500:ipport", "--attack", attack)
    assert_no_leak(res)
    (move,) = res["moves"]
    assert_switched(move)
    assert move["lost_up"] == 0, move


def test_overlap_old_path_still_live(relay):
    # The old Wi-Fi path keeps delivering duplicates for 200 ms: the relay
    # must not flap, and loses nothing the phone sent on either path.
    res = run_sim(relay, "--move", "1500:ipport:overlap=200")
    (move,) = res["moves"]
    assert move["uplink_switched"] and move["downlink_switched"], move
    assert move["lost_up"] <= LOST_PER_DIRECTION, move
    assert_rtcp_followed(move)


def test_move_with_new_ssrc(relay):
    res = run_sim(relay, "--move", "1500:ipport:newssrc")
    (move,) = res["moves"]
    assert_switched(move, pkts=NEWSSRC_PKTS, lost=NEWSSRC_PKTS)
    assert_rtcp_followed(move)


def test_moves_away_and_back(relay):
    res = run_sim(relay, "--move", "1000:ipport", "--move", "2500:back", duration=4)
    assert len(res["moves"]) == 2
    for move in res["moves"]:
        assert_switched(move)
    assert res["phones"]["a"]["final_addr"] == res["phones"]["a"]["addr"]


def test_two_handovers_in_a_row(relay):
    res = run_sim(relay, "--move", "1000:ipport", "--move", "2500:ip", duration=4)
    for move in res["moves"]:
        assert_switched(move)
        assert_rtcp_followed(move)


def test_reinvite_with_new_address_is_honoured_at_once(relay):
    res = run_sim(relay, "--move", "1500:ipport:reinvite")
    (move,) = res["moves"]
    assert move["reinvite_ok"], move
    assert_switched(move, pkts=1)


# ---- attackers -----------------------------------------------------------

ATTACKS = ["garbage", "rtpflood", "slow", "race", "rtcpreplay", "ssrcguess"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_on_established_call(relay, attack):
    res = run_sim(relay, "--attack", attack)
    assert_no_leak(res)
    assert_call_clean(res)


@pytest.mark.parametrize("attack", ["slow", "rtpflood", "ssrcguess"])
def test_attack_during_a_move(relay, attack):
    # The phone moves while the attacker sprays: the phone still wins, and
    # the attacker still gets nothing.
    res = run_sim(relay, "--move", "1500:ipport", "--attack", attack)
    assert_no_leak(res)
    (move,) = res["moves"]
    assert_switched(move)


@pytest.mark.parametrize("attack", ["slow", "rtpflood"])
def test_attack_right_after_reinvite(relay, attack):
    # A re-INVITE opens no window: the attacker starts with the move.
    res = run_sim(relay, "--move", "1500:ipport:reinvite",
                  "--attack", "%s:start=1400" % attack)
    assert_no_leak(res)
    (move,) = res["moves"]
    assert_switched(move, pkts=1)


def test_start_race_attacker_first_gets_nothing(relay):
    # The attacker sprays both legs from 500 ms before the phones start;
    # the phones come from their signalled IPs and keep the call.
    res = run_sim(relay, "--attack", "race:rate=200")
    assert_no_leak(res)
    assert_call_clean(res)


def test_handovers_are_counted_in_query(relay):
    res = run_sim(relay, "--move", "1000:ipport", "--move", "2500:ipport", duration=4)
    for move in res["moves"]:
        assert_switched(move)
    # The call is deleted at the end of the run; its summary is in the log.
    text = relay.log.read_text(errors="replace")
    assert text.count("handover: call %s" % res["callid"]) == 2, text[-2000:]
    assert "handovers 2" in text


# ---- the picture ---------------------------------------------------------

def test_svg_draws_what_the_json_counts(relay, tmp_path):
    # A move under attack, drawn: the picture parses, its uplink bars add
    # up to the packets the JSON says arrived, the attacker's bars to what
    # it sent, nothing leaked or injected shows, and the move's line
    # stands at 1500 ms in the whole-run view and in the closer one.
    svg = tmp_path / "run.svg"
    res = run_sim(relay, "--move", "1500:ipport", "--attack", "slow",
                  "--svg", str(svg), "--svg-label", "test")
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(svg).getroot()
    views = {g.get("id"): g for g in root.findall("s:g", ns)}
    assert "main" in views and "zoom-1" in views, sorted(views)

    # 3 s of media and 400 ms of linger: 170 bins of 20 ms, one a column.
    ncols, plot_x, plot_w = 170, 150.0, 830.0
    cw = plot_w / ncols

    def lane(view, cls):
        (g,) = [g for g in views[view].findall("s:g", ns) if g.get("class") == cls]
        return g.findall("s:rect", ns)

    def total(rects, prefix):
        return sum(int(r.get("data-n")) * round(float(r.get("width")) / cw)
                   for r in rects if r.get("class").startswith(prefix))

    up = lane("main", "lane-up")
    assert total(up, "rx") == res["directions"]["a_to_b"]["received"]
    assert total(up, "injected") == 0
    assert total(lane("main", "lane-down"), "injected") == 0
    atk = lane("main", "lane-atk")
    assert total(atk, "atk-sent") == res["attack"]["sent"]
    assert total(atk, "atk-leaked") == 0
    # Sources: the old address before the move, the new one after it.
    assert {r.get("class") for r in up if r.get("class").startswith("rx")} == {"rx0", "rx1"}

    for view, x in (("main", plot_x + plot_w * 1500 / 3400),
                    ("zoom-1", plot_x + plot_w * 300 / 800)):
        (line,) = [l for l in views[view].iter("{%s}line" % ns["s"])
                   if l.get("class") == "mark-move"]
        assert abs(float(line.get("x1")) - x) < 0.06, (view, line.get("x1"), x)


# ---- the simulator itself ------------------------------------------------

def test_interrupted_sim_still_deletes_its_call(relay):
    """SIGINT ends the media early, but the call must not stay on the relay
    until its TTL: the simulator still sends the delete, then reports."""
    import signal

    argv = [str(SIM), "--relay", relay.sim_relay, "--duration", "30", "--json", "-"]
    sim = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Interrupt once the relay has relayed some of the call's media.
        info = poll_until(lambda: parse_info(relay.ctl("I")),
                          lambda i: i.get("active sessions", 0) >= 1
                          and i.get("packets transmitted", 0) >= 20, timeout=10)
        assert info.get("active sessions", 0) >= 1, info
        sim.send_signal(signal.SIGINT)
        out, err = sim.communicate(timeout=15)
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait(timeout=5)
    assert sim.returncode == 0, err.decode(errors="replace")
    res = json.loads(out)
    assert res["teardown_ok"], res
    text = relay.log.read_text(errors="replace")
    ended = [l for l in text.splitlines() if "call %s media" % res["callid"] in l and "ended (" in l]
    assert ended, text[-2000:]
    assert all("ended (timeout)" not in l for l in ended), ended
