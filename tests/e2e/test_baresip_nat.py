"""Real phones behind a real NAT: baresip -> Kamailio -> rtproam -> baresip.

The caller sits behind a NAT router in a network namespace (nat_lab.py has
the picture).  Five seconds into the call the router moves it to its
other uplink, with a new public address and port and no SIP message; an
attacker namespace sprays the relay's whole port range with RTP (random
SSRCs and the call's real ones) from before the move until after the
hangup.  Every figure comes from captures in the phones' and the
attacker's own namespaces (nat_pcap.py), in packets:

- the call carries on both ways after the move within FEW packets;
- the received audio after the move is still the other phone's tone;
- the attacker receives nothing and nothing it sent reaches a phone.

Needs root and `ip netns` (CI runs as root); skipped otherwise.  One call,
about 8 s of media; the whole module takes some 15 s.

Environment: RTPROAM_BUILD (the relay is $RTPROAM_BUILD/src/rtproam),
RTPROAM_E2E_RELAY_LOGLEVEL (rtproam -d, default info), RTPROAM_E2E_RELAY
(rtproam, or rtpengine to see which assertions another relay fails;
bench/nat-compare.sh tabulates both).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from e2e_helpers import SUMMARY, sanitizer_reports
from nat_lab import LabError, need_root_and_netns, run_scenario
from nat_pcap import summarise

REPO = Path(__file__).resolve().parent.parent.parent
# "Within a few packets": at 20 ms a packet, FEW packets are 100 ms.
FEW = 5
RELAY_KIND = os.environ.get("RTPROAM_E2E_RELAY", "rtproam").strip() or "rtproam"


def _relay_binary() -> str:
    if RELAY_KIND == "rtpengine":
        path = shutil.which("rtpengine")
        if not path:
            pytest.skip("RTPROAM_E2E_RELAY=rtpengine but no rtpengine")
        return path
    if RELAY_KIND != "rtproam":
        pytest.fail(f"RTPROAM_E2E_RELAY={RELAY_KIND!r}: want rtproam or "
                    "rtpengine")
    build = os.environ.get("RTPROAM_BUILD")
    path = Path(build) / "src" / "rtproam" if build \
        else REPO / "build" / "src" / "rtproam"
    if not os.access(path, os.X_OK):
        if build:
            pytest.fail(f"RTPROAM_BUILD={build} but {path} is not executable")
        pytest.skip("RTPROAM_BUILD not set and no build/src/rtproam")
    return str(path)


@pytest.fixture(scope="module")
def e2e_artifacts(tmp_path_factory):
    """Name -> log path; conftest attaches their tails to failure reports."""
    return {"_dir": tmp_path_factory.mktemp("nat")}


@pytest.fixture(scope="module")
def nat_run(e2e_artifacts) -> dict:
    why = need_root_and_netns()
    if why:
        pytest.skip(why)
    binary = _relay_binary()
    workdir: Path = e2e_artifacts.pop("_dir")
    for name in ("relay", "kamailio", "baresip-caller", "baresip-callee",
                 "attacker"):
        e2e_artifacts[f"{name} stderr"] = workdir / f"{name}.stderr"
    e2e_artifacts["baresip-caller stdout"] = workdir / "baresip-caller.stdout"
    e2e_artifacts["lab commands"] = workdir / "lab-commands.log"
    try:
        res = run_scenario(RELAY_KIND, binary, workdir,
                           os.environ.get("RTPROAM_E2E_RELAY_LOGLEVEL",
                                          "info"))
    except LabError as e:
        pytest.fail(f"NAT lab: {e}", pytrace=False)
    res["sanitizer_reports"] = sanitizer_reports(workdir / "relay.stderr")
    SUMMARY.extend(["baresip behind a NAT that changes uplink mid-call:"]
                   + summarise(res))
    return res


def test_relay_survived_clean(nat_run):
    assert nat_run["relay_alive"], "the relay died during the call"
    assert not nat_run["sanitizer_reports"], \
        "\n".join(nat_run["sanitizer_reports"][:20])


def test_call_set_up_through_the_nat(nat_run):
    assert nat_run["dial"].get("ok"), f"dial: {nat_run['dial']}"
    for name in ("uplink", "downlink"):
        d = nat_run[name]
        # PRE_MOVE is 5 s: some 250 packets at 20 ms.
        assert d["sent_before"] >= 200, f"{name}: {d}"
        assert d["delivered_before"] >= d["sent_before"] - FEW, \
            f"{name}: before the move {d['delivered_before']} of " \
            f"{d['sent_before']} delivered"


def test_router_really_moved(nat_run):
    """After the move the caller's media reaches the core only from
    uplink 2, with a new port, and the relay follows it there."""
    up1, up2 = nat_run["public"]["uplink1"], nat_run["public"]["uplink2"]
    # The move is an instant in the test's clock, the route change one in
    # the kernel's: a packet caught between the two may count as "before"
    # on uplink 2 (seen once in CI), never more.
    assert up1["to_relay_before"] >= 200 and up2["to_relay_before"] <= 1, (up1, up2)
    assert up1["to_relay_after"] == 0, up1
    assert up2["to_relay_after"] >= 100, up2
    assert up2["from_relay_after"] >= 100, up2
    # Sent to the dead mapping before the relay learnt the new one.
    assert up1["from_relay_after"] <= FEW, up1


@pytest.mark.parametrize("direction", ["uplink", "downlink"])
def test_media_resumes_within_few_packets(nat_run, direction):
    d = nat_run[direction]
    assert d["resume_pkts"] is not None, \
        f"{direction}: nothing sent after the move arrived: {d}"
    assert d["resume_pkts"] <= FEW, \
        f"{direction}: the first {d['resume_pkts']} packets after the move lost"
    assert d["lost_around_move"] <= FEW, d
    assert d["max_gap_pkts"] <= FEW, d
    # POST_MOVE is 3 s, less the hangup: some 135 packets.
    assert d["sent_after"] >= 100, d
    assert d["delivered_after"] >= d["sent_after"] - FEW, d


@pytest.mark.parametrize("direction", ["uplink", "downlink"])
def test_audio_after_move_is_the_other_phones_tone(nat_run, direction):
    d = nat_run[direction]
    # Judged against what was sent, so silence fails too.
    assert d["tone_pkts_after"] >= d["sent_after"] - FEW, \
        f"{direction}: {d['tone_hz']} Hz in {d['tone_pkts_after']} of " \
        f"{d['sent_after']} packets sent (median share " \
        f"{d['tone_median_share_after']:.2f})"


def test_attacker_gets_nothing_and_injects_nothing(nat_run):
    att = nat_run["attack"]
    assert att.get("sent", 0) >= 5000, f"the attacker hardly sent: {att}"
    assert len(att.get("guessed_ssrcs", [])) == 2, \
        f"the attacker never had the call's SSRCs: {att}"
    assert att["received"] == 0, \
        f"the attacker received {att['received']}: {att['received_from']}"
    assert nat_run["attacker_captured"] == 0
    assert nat_run["phones_got_mark"] == 0
    for name in ("uplink", "downlink"):
        d = nat_run[name]
        assert d["injected"] == 0 and d["foreign"] == 0, f"{name}: {d}"


def test_relay_counted_the_handover(nat_run):
    if nat_run["relay"] != "rtproam":
        pytest.skip(f"{nat_run['relay']} has no rtpproxy 'I' command")
    def handovers(info):
        m = re.search(r"^handovers: (\d+)$", info or "", re.M)
        assert m, f"no handovers counter in I: {info!r}"
        return int(m.group(1))

    # Counted from just before the move: whether the NAT's port confirmed
    # at call start counts as one depends on which packet came first.
    before = handovers(nat_run.get("relay_info_before_move"))
    after = handovers(nat_run.get("relay_info"))
    assert after - before >= 1, (before, nat_run.get("relay_info"))
