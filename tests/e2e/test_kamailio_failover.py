"""Tier 4, issue 14: Kamailio 5.6 with two rtproam relays in one set, one of
them killed; new calls must go to the other.

    sipp UAC 127.0.3.2 --SIP--> Kamailio 127.0.3.1 --SIP--> sipp UAS 127.0.3.3
                                  | set 0: tap A, tap B (recording taps)
           relay A 127.0.3.4 <----+----> relay B 127.0.3.5

Run once per Kamailio module, with the same templates as the one-relay
tests: `rtpproxy` (rtpproxy protocol, kamailio.cfg.in, uac.xml.in) and
`rtpengine` (ng, the stock NAT config kamailio-ng.cfg.in, uac-ng.xml.in).

1. Batch 1: both relays up; the modules spread calls by a hash of the
   Call-ID, so both relays get some.
2. Once every call of batch 1 has media flowing, SIGKILL relay B by PID.
   Its tap stays up: Kamailio's commands to B vanish with no ICMP error,
   as when a host dies, so Kamailio can tell only by its timeout.  The
   calls in flight on B lose their media (no HA without a shared store);
   those on A must not notice; every dialog still ends.
3. Batch 2 starts right after the kill, before Kamailio knows: every call
   completes with all its media relayed by A, and B got nothing.  A call
   whose command goes to B waits for the timeout (rtpproxy_tout x
   rtpproxy_retr, rtpengine_tout_ms x rtpengine_retr); then the module
   tries the next node of the set (Kamailio 5.6: rtpproxy's
   force_rtp_proxy loops select_rtpp_node while send_rtpp_command fails;
   rtpengine's rtpp_function_call goes back to select_node, skipping the
   node it queried, up to queried_nodes_limit), and B is skipped for
   *_disable_tout seconds, then probed again (V or ping) when a command
   needs a node.  So no new call may fail.

Environment: RTPROAM_BUILD (the relay is $RTPROAM_BUILD/src/rtproam),
RTPROAM_E2E_FAILOVER_CALLS (calls per batch, default 6),
RTPROAM_E2E_RATE (calls per second, default 5), RTPROAM_E2E_PCAP.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from call_driver import (SippSide, start_kamailio, start_uac, start_uas,
                         wait_sinks_settled)
from e2e_helpers import (KAMAILIO_MODULES, SUMMARY, ControlTap, Proc,
                         RtpSinks, call_sdp, ephemeral_port_low,
                         free_udp_port, parse_info, parse_pcap, pcap_head,
                         pick_port_block, relay_binary, render_template,
                         rtpp_command, sanitizer_reports, sipp_messages,
                         sipp_prerequisites, wait_until)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from ngclient import parse_message  # noqa: E402

CALLS = int(os.environ.get("RTPROAM_E2E_FAILOVER_CALLS", "6"))
RATE = float(os.environ.get("RTPROAM_E2E_RATE", "5"))
PCAP = os.environ.get("RTPROAM_E2E_PCAP", "/usr/share/sip-tester/g711a.pcap")
PCAP_PACKETS = 120           # about 3.6 s of G.711 per call and direction
MEDIA_BEFORE_KILL = 10       # packets every batch-1 stream has at the kill

# 127.0.3.x: the one-relay Kamailio tests use 127.0.2.x, the integration
# tier 127.0.0.x; ctest runs them side by side.
PROXY_IP = "127.0.3.1"
UAC_IP = "127.0.3.2"
UAS_IP = "127.0.3.3"
UAC_PRIVATE_IP = "192.168.77.2"   # the ng config's caller "behind NAT"
RELAY_IPS = {"A": "127.0.3.4", "B": "127.0.3.5"}
RELAY_PORTS = 200
TOLERANCE = 0.01             # packets delivered vs sent


@dataclass(frozen=True)
class Module:
    """A Kamailio module and the settings that make a dead relay cost
    little: one try = `tout` (the module's unit), `retr` tries."""
    so: tuple
    cfg: str
    uac_xml: str
    tout: int
    retr: int
    disable_tout: int        # seconds


MODULES = {
    # rtpproxy_tout is whole seconds in 5.6 (poll(tout * 1000)).
    "rtpproxy": Module(("rtpproxy.so",), "kamailio.cfg.in", "uac.xml.in",
                       tout=1, retr=2, disable_tout=5),
    "rtpengine": Module(("rtpengine.so", "nathelper.so"), "kamailio-ng.cfg.in",
                        "uac-ng.xml.in", tout=500, retr=2, disable_tout=5),
}

# Calls of batch 2 that may fail: none (see the module docstring).
FAILED_BOUND = 0


# --------------------------------------------------------------------------
# Relays


@dataclass
class Relay:
    name: str
    ip: str
    rtpp_port: int
    ng_port: int
    port_min: int
    port_max: int
    tap: ControlTap
    proc: Proc | None = None

    def info(self) -> dict[str, int]:
        """The relay's `I` counters (they count ng calls too)."""
        raw = rtpp_command((self.ip, self.rtpp_port), "I")
        info = parse_info(raw or "")
        if "sessions created" not in info:
            raise RuntimeError(f"relay {self.name}: no counters in I reply "
                               f"{raw!r}")
        return info


def _start_relay(relay: Relay, binary: str, logs: Path) -> None:
    """rtproam with both control protocols; ready when it answers V.  An
    ng delete takes effect at once (--delete-delay 0), so that `active
    sessions` counts only the calls in flight."""
    relay.proc = Proc(f"relay-{relay.name}", [
        binary, "-f", "-F", "-l", relay.ip, "-m", relay.port_min,
        "-M", relay.port_max, "-s", f"udp:{relay.ip}:{relay.rtpp_port}",
        "--ng", f"udp:{relay.ip}:{relay.ng_port}", "--delete-delay", "0",
        "-d", "info"],
        logs, cwd=logs)
    proc = relay.proc
    reply = wait_until(
        lambda: (not proc.alive()) or rtpp_command(
            (relay.ip, relay.rtpp_port), "V", timeout=0.2, tries=1),
        timeout=10, interval=0.1)
    if not proc.alive() or not isinstance(reply, str):
        raise RuntimeError(f"relay {relay.name} not answering V: {reply!r}"
                           f"\n{proc.tail()}")


def _commands_since(tap: ControlTap, since: float, ng: bool):
    """{cookie: (datagrams, call-id or None, first time)} of the commands
    Kamailio sent through tap at monotonic time `since` or later; a retry
    repeats the cookie."""
    out: dict[str, list] = {}
    for t, kind, data in tap.raw_records():
        if kind != "cmd" or tap.t0 + t < since:
            continue
        if ng:
            cookie, doc = parse_message(data)
            call_id = (doc or {}).get("call-id")
        else:
            cookie, _, body = data.decode(errors="replace").partition(" ")
            words = body.split()
            call_id = words[1] if words[:1] and words[0][:1] in "ULD" \
                and len(words) > 1 else None
        entry = out.setdefault(cookie, [0, call_id, tap.t0 + t])
        entry[0] += 1
    return {k: tuple(v) for k, v in out.items()}


# --------------------------------------------------------------------------
# The run


@dataclass
class CallOutcome:
    offer_c: str | None = None     # relay address in the INVITE at the UAS
    answer_c: str | None = None    # relay address in the 200 OK at the UAC
    to_uac: int = 0                # packets the UAC's sink got
    to_uas: int = 0                # packets the UAS's sink got

    def relay(self) -> str | None:
        """A or B if both SDPs pointed at that relay."""
        for name, ip in RELAY_IPS.items():
            if self.offer_c == ip and self.answer_c == ip:
                return name
        return None


@dataclass
class Batch:
    uac: SippSide
    uac_rc: int | None = None
    ok: int = 0
    failed: int = 0
    calls: dict = field(default_factory=dict)     # call-id -> CallOutcome


@dataclass
class Run:
    module: str
    settings: Module
    pcap_packets: int
    relays: dict
    batches: list = field(default_factory=list)
    uas_rc: int | None = None
    created_before_kill: dict = field(default_factory=dict)  # relay -> n
    created_after_kill: int | None = None     # by A, after the kill
    in_flight_at_kill: dict = field(default_factory=dict)    # relay -> n
    killed_rc: int | None = None
    sources_after_kill: dict = field(default_factory=dict)   # (ip, port) -> n
    dead_commands: dict = field(default_factory=dict)  # tap B after the kill
    held_seconds: list = field(default_factory=list)
    sanitizer: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Run({self.module}, {CALLS}+{CALLS} calls)"


def _outcomes(batch: Batch, uas: SippSide, counts: dict) -> None:
    """Per call of the batch: where its SDP pointed and what its two sinks
    got, matched by Call-ID between the UAC's and the UAS's traces."""
    for direction, msg in sipp_messages(batch.uac.file("msgs.log")):
        first = msg.split("\n", 1)[0]
        sdp = call_sdp(msg)
        call = batch.calls.setdefault(sdp.call_id, CallOutcome())
        if direction == "sent" and first.startswith("INVITE "):
            call.to_uac = counts.get((batch.uac.ip, sdp.m), 0)
        elif direction == "recv" and first.startswith("SIP/2.0 200") \
                and sdp.m is not None:
            call.answer_c = sdp.c
    for direction, msg in sipp_messages(uas.file("msgs.log")):
        first = msg.split("\n", 1)[0]
        sdp = call_sdp(msg)
        call = batch.calls.get(sdp.call_id)
        if call is None:
            continue
        if direction == "recv" and first.startswith("INVITE "):
            call.offer_c = sdp.c
        elif direction == "sent" and first.startswith("SIP/2.0 200") \
                and sdp.m is not None:
            call.to_uas = counts.get((uas.ip, sdp.m), 0)


def _held_seconds(dead: dict, tap_a: ControlTap, since: float,
                  ng: bool) -> list[float]:
    """How long each command to the dead relay held Kamailio's worker:
    from its first try to the next command Kamailio sent to A."""
    to_a = sorted(v[2] for v in _commands_since(tap_a, since, ng).values())
    held = []
    for _n, _cid, t in sorted(dead.values(), key=lambda v: v[2]):
        nxt = [ta for ta in to_a if ta > t]
        if nxt:
            held.append(round(nxt[0] - t, 2))
    return held


@pytest.fixture(scope="module", params=list(MODULES))
def e2e_artifacts(request, tmp_path_factory):
    """Name -> log path (conftest attaches their tails to failure
    reports); one work dir per module."""
    return {"_dir": tmp_path_factory.mktemp(f"e2e-failover-{request.param}"),
            "_module": request.param}


@pytest.fixture(scope="module")
def failover_run(e2e_artifacts) -> Run:
    module = e2e_artifacts["_module"]
    settings = MODULES[module]
    sipp_prerequisites(settings.so, PCAP)
    binary = relay_binary("rtproam")
    workdir: Path = e2e_artifacts.pop("_dir")
    logs = workdir / "logs"
    logs.mkdir()
    rundir = workdir / "kamailio-run"
    rundir.mkdir()
    pcap_path = pcap_head(PCAP, workdir / "media.pcap", PCAP_PACKETS)
    pcap = parse_pcap(pcap_path)
    assert pcap.udp_packets > 0, f"{pcap_path}: no UDP packets"

    # One UAS for both batches (its calls 1..2N), one UAC per batch, each
    # with its own media block below the ephemeral range.
    span = 8 * CALLS + 8
    eph_low = ephemeral_port_low(20000 + 3 * span + 64)
    uas_mp = pick_port_block(UAS_IP, span, 20000, eph_low)
    uac_mps = [pick_port_block(UAC_IP, span // 2, 20000, eph_low)]
    uac_mps.append(pick_port_block(UAC_IP, span // 2, 20000, eph_low,
                                   taken=[(uac_mps[0], span // 2)]))
    uas = SippSide("uas", UAS_IP, free_udp_port(UAS_IP), uas_mp,
                   free_udp_port(UAS_IP), logs)
    batches = [Batch(SippSide(f"uac{i + 1}", UAC_IP, free_udp_port(UAC_IP),
                              mp, free_udp_port(UAC_IP), logs))
               for i, mp in enumerate(uac_mps)]
    sip = (PROXY_IP, free_udp_port(PROXY_IP))

    relays = {}
    for name, ip in RELAY_IPS.items():
        port_min = pick_port_block(ip, RELAY_PORTS, 10000, 20000)
        relays[name] = Relay(name, ip, free_udp_port(ip), free_udp_port(ip),
                             port_min, port_min + RELAY_PORTS - 1, tap=None)
    ng = module == "rtpengine"
    for relay in relays.values():
        control = relay.ng_port if ng else relay.rtpp_port
        relay.tap = ControlTap(relay.ip, free_udp_port(relay.ip),
                               (relay.ip, control))
    socks = " ".join(f"udp:{r.ip}:{r.tap.front.getsockname()[1]}"
                     for r in relays.values())

    kcfg = render_template(HERE / settings.cfg, workdir / "kamailio.cfg", {
        "SIP_IP": PROXY_IP, "SIP_PORT": sip[1], "UAS_IP": UAS_IP,
        "UAS_PORT": uas.port, "UAC_IP": UAC_IP,
        "UAC_PRIVATE_IP": UAC_PRIVATE_IP, "RELAY_SOCKS": socks,
        "TOUT": settings.tout, "RETR": settings.retr,
        "DISABLE_TOUT": settings.disable_tout,
        "MODULES_DIR": KAMAILIO_MODULES})
    pause_ms = int(math.ceil(pcap.duration * 1000)) + 1500
    uac_xml = render_template(HERE / settings.uac_xml, workdir / "uac.xml", {
        "PCAP": pcap_path, "PAUSE_MS": pause_ms,
        "UAC_PRIVATE_IP": UAC_PRIVATE_IP})
    uas_xml = render_template(HERE / "uas.xml.in", workdir / "uas.xml",
                              {"PCAP": pcap_path})
    e2e_artifacts.update({
        "relay A stderr": logs / "relay-A.stderr",
        "relay B stderr": logs / "relay-B.stderr",
        "kamailio stderr": logs / "kamailio.stderr",
        "sipp uac2 errors": batches[1].uac.file("err.log"),
        "sipp uas errors": uas.file("err.log"),
        "tap A transcript": workdir / "control-A.log",
        "tap B transcript": workdir / "control-B.log",
    })

    run = Run(module, settings, pcap.udp_packets, relays, batches)
    procs: list[Proc] = []
    sinks = None
    setup_error = None
    first, second = batches
    try:
        for relay in relays.values():
            relay.tap.start()
        for relay in relays.values():
            _start_relay(relay, binary, logs)
            procs.append(relay.proc)
        sinks = RtpSinks(first.uac.streams(1, CALLS)
                         + second.uac.streams(1, CALLS)
                         + uas.streams(1, 2 * CALLS))
        sinks.start()
        procs.append(start_kamailio(kcfg, rundir, logs, sip))
        budget = 2 * (CALLS / RATE + pause_ms / 1000) + 30
        uas_proc = start_uas(uas, uas_xml, 2 * CALLS, timeout=budget)
        procs.append(uas_proc)
        before = {n: r.info()["sessions created"] for n, r in relays.items()}

        uac1 = start_uac(first.uac, uac_xml, sip, CALLS, RATE, budget)
        procs.append(uac1)
        # Kill B mid-call: once every call of batch 1 has media flowing
        # both ways (the UAS's first CALLS calls are batch 1's).
        flowing = first.uac.streams(1, CALLS) + uas.streams(1, CALLS)
        if not wait_until(lambda: min(sinks.counts[ep] for ep in flowing)
                          >= MEDIA_BEFORE_KILL or not uac1.alive(),
                          timeout=CALLS / RATE + 10, interval=0.05) \
                or not uac1.alive():
            raise RuntimeError("batch 1 never had media flowing on every "
                               f"call (sipp UAC rc {uac1.returncode})")
        at_kill = {n: r.info() for n, r in relays.items()}
        run.created_before_kill = {
            n: at_kill[n]["sessions created"] - before[n] for n in relays}
        run.in_flight_at_kill = {
            n: at_kill[n]["active sessions"] for n in relays}
        dead = relays["B"]
        kill_time = time.monotonic()
        os.kill(dead.proc.pid, signal.SIGKILL)
        run.killed_rc = dead.proc.wait(timeout=5)
        # What B sent before it died may still be on its way into the
        # sinks: count from when B's total stops moving.
        wait_sinks_settled(sinks, polls=3, count=lambda: sum(
            n for (ip, _p), n in dict(sinks.sources).items()
            if ip == dead.ip))
        sources_at_kill = dict(sinks.sources)

        # Batch 2 starts at once, before Kamailio can know: its first call
        # hashed to B meets the dead relay.
        uac2 = start_uac(second.uac, uac_xml, sip, CALLS, RATE, budget)
        procs.append(uac2)
        first.uac_rc = uac1.wait(timeout=budget + 10)
        second.uac_rc = uac2.wait(timeout=budget + 10)
        run.uas_rc = uas_proc.wait(timeout=15)
        wait_sinks_settled(sinks)
        run.created_after_kill = (relays["A"].info()["sessions created"]
                                  - at_kill["A"]["sessions created"])
        run.sources_after_kill = {
            src: n - sources_at_kill.get(src, 0)
            for src, n in dict(sinks.sources).items()
            if n > sources_at_kill.get(src, 0)}
        for batch in batches:
            batch.ok, batch.failed = batch.uac.call_counts()
            _outcomes(batch, uas, dict(sinks.counts))
        run.dead_commands = _commands_since(dead.tap, kill_time, ng)
        run.held_seconds = _held_seconds(run.dead_commands,
                                         relays["A"].tap, kill_time, ng)
    except RuntimeError as e:  # a component did not start: say why
        setup_error = str(e)
    finally:
        for proc in reversed(procs):
            proc.stop()
        for relay in relays.values():
            relay.tap.stop()
            relay.tap.dump(workdir / f"control-{relay.name}.log")
            if relay.proc is not None:
                run.sanitizer[relay.name] = sanitizer_reports(
                    relay.proc.stderr_path)
        if sinks is not None:
            sinks.stop()
    if setup_error:
        pytest.fail(setup_error, pytrace=False)
    _summarize(run, workdir)
    return run


def _fully_relayed(run: Run, call: CallOutcome) -> bool:
    want = run.pcap_packets * (1 - TOLERANCE)
    return (call.relay() is not None and call.to_uac >= want
            and call.to_uas >= want)


def _failed_calls(run: Run, batch: Batch) -> list[str]:
    """Call-IDs of the batch not anchored on one relay with all their media
    delivered both ways."""
    return [cid for cid, c in batch.calls.items()
            if not _fully_relayed(run, c)]


def _on(batch: Batch, relay: str) -> list[str]:
    return [cid for cid, c in batch.calls.items() if c.relay() == relay]


def _summarize(run: Run, workdir: Path) -> None:
    b1, b2 = run.batches
    s = run.settings
    lines = [
        f"failover ({run.module} module, work dir {workdir}): tout {s.tout}"
        f" x retr {s.retr}, disable_tout {s.disable_tout} s",
        f"batch 1: {b1.ok} ok, {b1.failed} failed (SIP); on A "
        f"{len(_on(b1, 'A'))}, on B {len(_on(b1, 'B'))}; sessions created "
        f"before the kill {run.created_before_kill}",
        f"relay B killed (rc {run.killed_rc}); calls in flight "
        f"{run.in_flight_at_kill}; batch 1 calls that lost media: "
        f"{len(_failed_calls(run, b1))}",
        f"batch 2: {b2.ok} ok, {b2.failed} failed (SIP); on A "
        f"{len(_on(b2, 'A'))}; not fully relayed: "
        f"{len(_failed_calls(run, b2))}; A created {run.created_after_kill}"
        " sessions after the kill",
        f"commands lost to dead B: {len(run.dead_commands)} (datagrams "
        f"each: {sorted(v[0] for v in run.dead_commands.values())}); "
        f"Kamailio held per command: {run.held_seconds} s"]
    SUMMARY.extend(lines)
    (workdir / "summary.txt").write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Tests


def test_calls_spread_over_both_relays(failover_run: Run):
    r = failover_run
    b = r.batches[0]
    assert sum(r.created_before_kill.values()) == CALLS, \
        f"sessions created before the kill {r.created_before_kill}"
    assert min(r.created_before_kill.values()) >= 1, \
        f"a relay got no call of batch 1: {r.created_before_kill}"
    assert len(b.calls) == CALLS, f"{len(b.calls)} Call-IDs in batch 1"
    assert len(_on(b, "A")) + len(_on(b, "B")) == CALLS, \
        f"batch 1 SDPs not on one relay: {b.calls}"


def test_relay_b_killed_mid_call(failover_run: Run):
    r = failover_run
    assert r.killed_rc == -signal.SIGKILL, f"relay B exit {r.killed_rc}"
    on_b = len(_on(r.batches[0], "B"))
    assert r.in_flight_at_kill["B"] == on_b, \
        f"B had {r.in_flight_at_kill['B']} calls up at the kill, " \
        f"{on_b} calls of batch 1 on it"


def test_batch1_only_calls_on_dead_relay_lost(failover_run: Run):
    """The calls in flight on B lose their media (no HA without a shared
    store); every call on A is untouched, and the dialogs all end."""
    r = failover_run
    b = r.batches[0]
    assert b.uac_rc == 0 and (b.ok, b.failed) == (CALLS, 0), \
        f"batch 1: UAC rc {b.uac_rc}, {b.ok} ok, {b.failed} failed"
    failed = _failed_calls(r, b)
    assert len(failed) <= r.in_flight_at_kill["B"], \
        f"{len(failed)} calls of batch 1 lost media, " \
        f"{r.in_flight_at_kill['B']} were in flight on B"
    assert set(failed) <= set(_on(b, "B")), \
        f"calls on A lost media: {set(failed) - set(_on(b, 'B'))}"


def test_batch2_all_on_survivor(failover_run: Run):
    r = failover_run
    b = r.batches[1]
    assert b.uac_rc == 0 and (b.ok, b.failed) == (CALLS, 0), \
        f"batch 2: UAC rc {b.uac_rc}, {b.ok} ok, {b.failed} failed"
    assert r.uas_rc == 0, f"sipp UAS exit code {r.uas_rc}"
    assert len(b.calls) == CALLS, f"{len(b.calls)} Call-IDs in batch 2"
    failed = _failed_calls(r, b)
    assert len(failed) <= FAILED_BOUND, \
        f"{len(failed)} calls of batch 2 not fully relayed: " \
        f"{[(cid, b.calls[cid]) for cid in failed]}"
    assert len(_on(b, "A")) == CALLS, f"batch 2 not all on A: {b.calls}"
    assert r.created_after_kill == CALLS, \
        f"A created {r.created_after_kill} sessions after the kill"


def test_nothing_from_dead_relay(failover_run: Run):
    r = failover_run
    relay_a = r.relays["A"]
    bad = {src: n for src, n in r.sources_after_kill.items()
           if src[0] != relay_a.ip
           or not relay_a.port_min <= src[1] <= relay_a.port_max}
    assert not bad, f"media after the kill not from relay A's ports: {bad}"
    sent = 2 * CALLS * r.pcap_packets
    got = sum(c.to_uac + c.to_uas for c in r.batches[1].calls.values())
    assert abs(got - sent) <= TOLERANCE * sent, \
        f"batch 2: endpoints got {got} packets, sipp sent {sent}"


def test_kamailio_gave_up_on_dead_relay(failover_run: Run):
    """Kamailio did send to B after the kill (a call hashed to it), and
    gave up on each command after exactly retr tries."""
    r = failover_run
    assert r.dead_commands, "Kamailio sent nothing to B after the kill"
    tries = {c: v[0] for c, v in r.dead_commands.items()}
    assert set(tries.values()) == {r.settings.retr}, \
        f"datagrams per command to dead B: {tries}, want {r.settings.retr}"
    known = set(r.batches[0].calls) | set(r.batches[1].calls)
    calls = {v[1] for v in r.dead_commands.values() if v[1]}
    assert calls <= known, f"commands to B for unknown calls {calls - known}"


def test_relays_no_sanitizer_reports(failover_run: Run):
    reports = {n: rep for n, rep in failover_run.sanitizer.items() if rep}
    assert not reports, f"sanitizer reports: {reports}"
