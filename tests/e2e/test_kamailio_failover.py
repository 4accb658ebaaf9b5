"""Tier 4, issue 14: Kamailio 5.6 with two rtproam relays in one set, one of
them killed; new calls must go to the other.

    sipp UAC 127.0.3.2 --SIP--> Kamailio 127.0.3.1 --SIP--> sipp UAS 127.0.3.3
                                  | set 0: tap A, tap B (recording taps)
           relay A 127.0.3.4 <----+----> relay B 127.0.3.5

Run once per Kamailio module, with the same templates as the one-relay
tests: `rtpproxy` (rtpproxy protocol, kamailio.cfg.in, uac.xml.in) and
`rtpengine` (ng, the stock NAT config kamailio-ng.cfg.in, uac-ng.xml.in).

1. Batch 1: both relays up; the modules spread calls by a hash of the
   Call-ID, so both relays get some.  All complete, media relayed.
2. SIGKILL relay B by PID, between the batches (no call in flight on it).
   Its tap stays up: Kamailio's commands to B vanish with no ICMP error,
   as when a host dies, so Kamailio can tell only by its timeout.
3. Batch 2: every call completes with all its media relayed by A; B got
   nothing.  The calls whose first command went to B waited for the
   timeout (rtpproxy_tout x rtpproxy_retr, rtpengine_tout_ms x
   rtpengine_retr), then the module tried the next node of the set (Kamailio
   5.6: rtpproxy's force_rtp_proxy loops select_rtpp_node while
   send_rtpp_command fails; rtpengine's rtpp_function_call goes back to
   select_node, skipping the queried node, up to queried_nodes_limit), so
   with no call in flight at the kill none may fail.  B stays disabled for
   *_disable_tout seconds, then one probe (V or ping) per expiry.

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
PCAP_PACKETS = 60            # about 1.8 s of G.711 per call and direction

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
    tout_seconds: float
    retr: int
    disable_tout: int        # seconds


MODULES = {
    # rtpproxy_tout is whole seconds in 5.6 (poll(tout * 1000)).
    "rtpproxy": Module(("rtpproxy.so",), "kamailio.cfg.in", "uac.xml.in",
                       tout=1, tout_seconds=1.0, retr=2, disable_tout=5),
    "rtpengine": Module(("rtpengine.so", "nathelper.so"), "kamailio-ng.cfg.in",
                        "uac-ng.xml.in", tout=500, tout_seconds=0.5, retr=2,
                        disable_tout=5),
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
class Batch:
    uac: SippSide
    uac_rc: int | None = None
    ok: int = 0
    failed: int = 0
    created: dict = field(default_factory=dict)   # relay -> sessions created
    calls: dict = field(default_factory=dict)     # call-id -> CallOutcome
    sources: dict = field(default_factory=dict)   # (ip, port) -> packets


@dataclass
class CallOutcome:
    offer_c: str | None = None     # relay address in the INVITE at the UAS
    answer_c: str | None = None    # relay address in the 200 OK at the UAC
    to_uac: int = 0                # packets the UAC's sink got
    to_uas: int = 0                # packets the UAS's sink got


@dataclass
class Run:
    module: str
    settings: Module
    pcap_packets: int
    relays: dict
    batches: list = field(default_factory=list)
    uas_rc: int | None = None
    in_flight_at_kill: int | None = None   # B's active sessions at the kill
    killed_rc: int | None = None
    dead_commands: dict = field(default_factory=dict)  # tap B after the kill
    detect_seconds: list = field(default_factory=list)
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


def _run_batch(batch: Batch, uas: SippSide, uac_xml: Path, sip, sinks,
               relays: dict, pause_s: float) -> None:
    before = {n: r.info()["sessions created"] for n, r in relays.items()
              if r.proc.alive()}
    sources_before = dict(sinks.sources)
    budget = CALLS / RATE + pause_s + 30
    proc = start_uac(batch.uac, uac_xml, sip, CALLS, RATE, timeout=budget)
    try:
        batch.uac_rc = proc.wait(timeout=budget + 10)
    finally:
        proc.stop()
    wait_sinks_settled(sinks)
    batch.created = {n: relays[n].info()["sessions created"] - b
                     for n, b in before.items()}
    batch.sources = {src: n - sources_before.get(src, 0)
                     for src, n in dict(sinks.sources).items()
                     if n > sources_before.get(src, 0)}
    batch.ok, batch.failed = batch.uac.call_counts()
    _outcomes(batch, uas, dict(sinks.counts))


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
    streams = (batches[0].uac.streams(1, CALLS)
               + batches[1].uac.streams(1, CALLS) + uas.streams(1, 2 * CALLS))
    try:
        for relay in relays.values():
            relay.tap.start()
            _start_relay(relay, binary, logs)
            procs.append(relay.proc)
        sinks = RtpSinks(streams)
        sinks.start()
        procs.append(start_kamailio(kcfg, rundir, logs, sip))
        budget = 2 * (CALLS / RATE + pause_ms / 1000 + 30)
        uas_proc = start_uas(uas, uas_xml, 2 * CALLS, timeout=budget)
        procs.append(uas_proc)

        _run_batch(batches[0], uas, uac_xml, sip, sinks, relays,
                   pause_ms / 1000)

        dead = relays["B"]
        # Every BYE's delete has been answered once the UAC is done; give
        # a relay that reaps asynchronously a moment to count it.
        wait_until(lambda: dead.info()["active sessions"] == 0, timeout=3,
                   interval=0.2)
        run.in_flight_at_kill = dead.info()["active sessions"]
        kill_time = time.monotonic()
        os.kill(dead.proc.pid, signal.SIGKILL)
        run.killed_rc = dead.proc.wait(timeout=5)

        _run_batch(batches[1], uas, uac_xml, sip, sinks, relays,
                   pause_ms / 1000)
        run.uas_rc = uas_proc.wait(timeout=15)
        run.dead_commands = _commands_since(dead.tap, kill_time, ng)
        # How long each command to B held the call: from its first try to
        # the next command Kamailio sent to A.
        to_a = sorted(v[2] for v in _commands_since(
            relays["A"].tap, kill_time, ng).values())
        for _n, _cid, t in sorted(run.dead_commands.values(),
                                  key=lambda v: v[2]):
            nxt = [ta for ta in to_a if ta > t]
            if nxt:
                run.detect_seconds.append(round(nxt[0] - t, 2))
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


def _fully_relayed(run: Run, call: CallOutcome, relay: str) -> bool:
    """Both SDPs pointed at `relay` and both sinks got the whole pcap."""
    want = run.pcap_packets * (1 - TOLERANCE)
    ip = RELAY_IPS[relay]
    return (call.offer_c == ip and call.answer_c == ip
            and call.to_uac >= want and call.to_uas >= want)


def _failed_calls(run: Run, batch: Batch, relays=("A",)) -> list[str]:
    """Call-IDs of the batch not fully relayed by one of `relays`."""
    return [cid for cid, c in batch.calls.items()
            if not any(_fully_relayed(run, c, n) for n in relays)]


def _summarize(run: Run, workdir: Path) -> None:
    b1, b2 = run.batches
    s = run.settings
    lines = [f"failover ({run.module} module, work dir {workdir}): "
             f"tout {s.tout} x retr {s.retr}, disable_tout {s.disable_tout} s",
             f"batch 1: {b1.ok} ok, {b1.failed} failed; sessions created "
             f"{b1.created}",
             f"relay B killed (rc {run.killed_rc}) with "
             f"{run.in_flight_at_kill} calls in flight",
             f"batch 2: {b2.ok} ok, {b2.failed} failed; sessions created "
             f"{b2.created}; calls not fully relayed by A: "
             f"{len(_failed_calls(run, b2))}",
             f"commands lost to dead B: {len(run.dead_commands)} "
             f"(datagrams each: {sorted(v[0] for v in run.dead_commands.values())}); "
             f"call held per command: {run.detect_seconds} s"]
    SUMMARY.extend(lines)
    (workdir / "summary.txt").write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Tests


def test_batch1_spread_over_both_relays(failover_run: Run):
    r = failover_run
    b = r.batches[0]
    assert b.uac_rc == 0 and (b.ok, b.failed) == (CALLS, 0), \
        f"batch 1: UAC rc {b.uac_rc}, {b.ok} ok, {b.failed} failed"
    assert sum(b.created.values()) == CALLS, f"sessions created {b.created}"
    assert all(n >= 1 for n in b.created.values()), \
        f"a relay got no call of batch 1: {b.created}"
    assert len(b.calls) == CALLS, f"{len(b.calls)} Call-IDs in batch 1"
    bad = _failed_calls(r, b, ("A", "B"))
    assert not bad, f"batch 1 calls not relayed by A or B: " \
        f"{[(cid, b.calls[cid]) for cid in bad]}"
    by_relay = {ip: sum(n for (src, _p), n in b.sources.items() if src == ip)
                for ip in RELAY_IPS.values()}
    assert sum(by_relay.values()) >= \
        2 * CALLS * r.pcap_packets * (1 - TOLERANCE), by_relay
    assert all(by_relay.values()), f"media per relay: {by_relay}"


def test_relay_b_killed_between_batches(failover_run: Run):
    r = failover_run
    assert r.killed_rc == -signal.SIGKILL, f"relay B exit {r.killed_rc}"
    assert r.in_flight_at_kill == 0, \
        f"{r.in_flight_at_kill} calls still on B at the kill"


def test_batch2_all_on_survivor(failover_run: Run):
    r = failover_run
    b = r.batches[1]
    assert b.uac_rc == 0 and (b.ok, b.failed) == (CALLS, 0), \
        f"batch 2: UAC rc {b.uac_rc}, {b.ok} ok, {b.failed} failed"
    assert r.uas_rc == 0, f"sipp UAS exit code {r.uas_rc}"
    assert len(b.calls) == CALLS, f"{len(b.calls)} Call-IDs in batch 2"
    failed = _failed_calls(r, b)
    assert len(failed) <= FAILED_BOUND, \
        f"{len(failed)} calls not fully relayed by A: " \
        f"{[(cid, b.calls[cid]) for cid in failed]}"
    assert b.created == {"A": CALLS}, f"sessions created {b.created}"


def test_batch2_nothing_from_dead_relay(failover_run: Run):
    r = failover_run
    b = r.batches[1]
    relay_a = r.relays["A"]
    sent = 2 * CALLS * r.pcap_packets
    delivered = sum(b.sources.values())
    assert abs(delivered - sent) <= TOLERANCE * sent, \
        f"batch 2: endpoints got {delivered} packets, sipp sent {sent}"
    bad = {src: n for src, n in b.sources.items()
           if src[0] != relay_a.ip
           or not relay_a.port_min <= src[1] <= relay_a.port_max}
    assert not bad, f"batch 2 media not from relay A's ports: {bad}"


def test_kamailio_gave_up_on_dead_relay(failover_run: Run):
    """Kamailio did try B (so the calls above were moved, not hashed to A
    by luck), and gave up on each command after exactly retr tries."""
    r = failover_run
    assert r.dead_commands, "Kamailio sent nothing to B after the kill"
    tries = {c: v[0] for c, v in r.dead_commands.items()}
    assert set(tries.values()) == {r.settings.retr}, \
        f"datagrams per command to dead B: {tries}, want {r.settings.retr}"
    calls = {v[1] for v in r.dead_commands.values() if v[1]}
    assert calls <= set(r.batches[1].calls), \
        f"commands to B for unknown calls {calls}"


def test_relays_no_sanitizer_reports(failover_run: Run):
    reports = {n: rep for n, rep in failover_run.sanitizer.items() if rep}
    assert not reports, f"sanitizer reports: {reports}"
