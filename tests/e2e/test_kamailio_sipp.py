"""Tier 4: real Kamailio (rtpproxy module) + real sipp UAC/UAS + the relay.

    sipp UAC 127.0.2.2 --SIP--> Kamailio 127.0.2.1 --SIP--> sipp UAS 127.0.2.3
         |                          | rtpproxy control protocol (UDP),
         |                          | through a recording tap
         +------ RTP ------> relay 127.0.2.1 <------ RTP ------+

One run of RTPROAM_E2E_CALLS calls (default 20) is shared by the tests of
this module.  Both endpoints play the same pcap after the ACK, so the relay
has to forward pcap_packets x calls x 2 packets.  sipp sends RTP from a raw
socket and does not read the ports its SDP advertises, so the test binds
those ports itself ("sinks") and counts what the relay delivers.

Environment:
  RTPROAM_BUILD        cmake build dir; the relay is $RTPROAM_BUILD/src/rtproam
  RTPROAM_E2E_RELAY    rtproam (default) | rtpengine (stand-in: no 'I' command,
                       so the relay-counter test is skipped)
  RTPROAM_E2E_CALLS    number of calls (default 20)
  RTPROAM_E2E_RATE     calls per second (default 5)
  RTPROAM_E2E_PCAP     RTP pcap both ends play (default sipp's g711a.pcap)
  RTPROAM_E2E_RELAY_LOGLEVEL  rtproam -d level (default info)
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from call_driver import (SippSide, start_kamailio, start_uac, start_uas,
                         wait_sinks_settled)
from e2e_helpers import (KAMAILIO_MODULES, ONE_RELAY_TIMERS, SUMMARY,
                         ControlTap, Proc, RtpSinks, ephemeral_port_low,
                         free_udp_port, parse_info, parse_pcap,
                         pick_port_block, relay_binary, render_template,
                         rtpp_command, sanitizer_reports, sdp_media,
                         sipp_messages, sipp_prerequisites, wait_until)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

RELAY_KIND = os.environ.get("RTPROAM_E2E_RELAY", "rtproam").strip() or "rtproam"
CALLS = int(os.environ.get("RTPROAM_E2E_CALLS", "20"))
RATE = float(os.environ.get("RTPROAM_E2E_RATE", "5"))
PCAP = os.environ.get("RTPROAM_E2E_PCAP", "/usr/share/sip-tester/g711a.pcap")
RELAY_LOGLEVEL = os.environ.get("RTPROAM_E2E_RELAY_LOGLEVEL", "info")

# 127.0.2.x: the integration tier, which ctest runs beside this one, puts
# its phones on 127.0.0.x, so their ports never meet.
PROXY_IP = "127.0.2.1"   # Kamailio
RELAY_IP = "127.0.2.1"   # relay: control socket and media
UAC_IP = "127.0.2.2"
UAS_IP = "127.0.2.3"
RELAY_PORTS = 400        # relay media port range size (-m/-M)
TOLERANCE = 0.01         # packets: relayed/delivered vs sent


_render = render_template
_sanitizer_reports = sanitizer_reports


def _ephemeral_port_low() -> int:
    return ephemeral_port_low(20000 + 4 * CALLS + 64)


def _relay_binary() -> str:
    return relay_binary(RELAY_KIND)


def _prerequisites() -> None:
    sipp_prerequisites(("rtpproxy.so",), PCAP)


def _start_relay(kind: str, binary: str, ctl_port: int, port_min: int,
                 port_max: int, logdir: Path) -> Proc:
    if kind == "rtpengine":
        argv = [binary, "--config-file=none", "--table=-1",
                f"--interface={RELAY_IP}",
                f"--listen-udp={RELAY_IP}:{ctl_port}",
                f"--port-min={port_min}", f"--port-max={port_max}",
                "--foreground", "--log-stderr", "--log-level=6",
                "--num-threads=2"]
    else:
        argv = [binary, "-f", "-F", "-s", f"udp:{RELAY_IP}:{ctl_port}",
                "-l", RELAY_IP, "-m", str(port_min), "-M", str(port_max),
                "-d", RELAY_LOGLEVEL]
    relay = Proc("relay", argv, logdir, cwd=logdir)
    # Ready when it answers the protocol version query.
    reply = wait_until(
        lambda: (not relay.alive()) or rtpp_command((RELAY_IP, ctl_port), "V",
                                                    timeout=0.2, tries=1),
        timeout=10, interval=0.1)
    if not relay.alive():
        raise RuntimeError(f"{kind} exited with {relay.returncode} before "
                           f"answering V\n{relay.tail()}")
    if not isinstance(reply, str) or not reply.strip().isdigit():
        relay.stop()
        raise RuntimeError(f"{kind} gave no usable reply to V: {reply!r}\n"
                           f"{relay.tail()}")
    return relay


@dataclass
class Run:
    relay_kind: str
    calls: int
    pcap_packets: int
    port_min: int
    port_max: int
    uac_rc: int | None = None
    uas_rc: int | None = None
    uac_ok: int = 0
    uac_failed: int = 0
    uas_ok: int = 0
    uas_failed: int = 0
    uas_offers: list = field(default_factory=list)     # (c, m) the UAS got
    uac_answers: list = field(default_factory=list)    # (c, m) the UAC got
    uac_media: list = field(default_factory=list)      # (c, m) the UAC sent
    uas_media: list = field(default_factory=list)      # (c, m) the UAS sent
    delivered_uac: int = 0
    delivered_uas: int = 0
    per_stream: dict = field(default_factory=dict)
    sink_sizes: dict = field(default_factory=dict)
    sink_sources: dict = field(default_factory=dict)
    transcript: list = field(default_factory=list)
    info_before: dict | None = None
    info_after: dict | None = None
    info_after_raw: str | None = None
    info_settled: dict | None = None
    relay_exit: int | None = None     # exit code if it died during the run
    relay_stop_rc: int | None = None  # exit code after the test's SIGTERM
    sanitizer_reports: list = field(default_factory=list)

    def __repr__(self) -> str:  # keep pytest's assertion output short
        return f"Run({self.relay_kind}, {self.calls} calls)"

    @property
    def sent(self) -> int:
        return self.pcap_packets * self.calls * 2


def _collect_sdp(run: Run, uac_log: Path, uas_log: Path) -> None:
    for direction, msg in sipp_messages(uas_log):
        first = msg.split("\n", 1)[0]
        if direction == "recv" and first.startswith("INVITE "):
            run.uas_offers.append(sdp_media(msg))
        elif direction == "sent" and first.startswith("SIP/2.0 200") \
                and "CSeq: 1 INVITE" in msg:
            run.uas_media.append(sdp_media(msg))
    for direction, msg in sipp_messages(uac_log):
        first = msg.split("\n", 1)[0]
        if direction == "recv" and first.startswith("SIP/2.0 200") \
                and re.search(r"^CSeq: *\d+ INVITE", msg, re.M):
            run.uac_answers.append(sdp_media(msg))
        elif direction == "sent" and first.startswith("INVITE "):
            run.uac_media.append(sdp_media(msg))


@pytest.fixture(scope="module")
def e2e_artifacts(tmp_path_factory):
    """Name -> log path; conftest attaches their tails to failure reports."""
    return {"_dir": tmp_path_factory.mktemp("e2e")}


@pytest.fixture(scope="module")
def e2e_run(e2e_artifacts) -> Run:
    _prerequisites()
    binary = _relay_binary()
    pcap = parse_pcap(PCAP)
    assert pcap.udp_packets > 0, f"{PCAP}: no UDP packets"

    workdir: Path = e2e_artifacts.pop("_dir")
    e2e_artifacts["_workdir"] = workdir  # not a file: skipped by the hook
    logs = workdir / "logs"
    logs.mkdir()
    rundir = workdir / "kamailio-run"
    rundir.mkdir()

    # Ports.  The fixed blocks sit below the kernel's ephemeral range, so
    # the single ports taken with free_udp_port() never land inside them.
    # Media: sipp binds -mp and -mp+2 itself; call n advertises
    # [auto_media_port+4] = mp + 4 + 4*(n-1).  Those are bound by the sinks.
    span = 4 * CALLS + 8
    eph_low = _ephemeral_port_low()
    port_min = pick_port_block(RELAY_IP, RELAY_PORTS, 10000, 20000)
    port_max = port_min + RELAY_PORTS - 1
    uac_mp = pick_port_block(UAC_IP, span, 20000, eph_low)
    uas_mp = pick_port_block(UAS_IP, span, 20000, eph_low)
    ctl_port = free_udp_port(RELAY_IP)
    tap_port = free_udp_port(RELAY_IP)
    sip_port = free_udp_port(PROXY_IP)
    uas_port = free_udp_port(UAS_IP)
    uac_port = free_udp_port(UAC_IP)
    uas_cp = free_udp_port(UAS_IP)
    uac_cp = free_udp_port(UAC_IP)

    uac = SippSide("uac", UAC_IP, uac_port, uac_mp, uac_cp, logs)
    uas = SippSide("uas", UAS_IP, uas_port, uas_mp, uas_cp, logs)

    kcfg = _render(HERE / "kamailio.cfg.in", workdir / "kamailio.cfg", {
        "SIP_IP": PROXY_IP, "SIP_PORT": sip_port,
        "UAS_IP": UAS_IP, "UAS_PORT": uas_port, "UAC_IP": UAC_IP,
        "RELAY_SOCKS": f"udp:{RELAY_IP}:{tap_port}",
        **ONE_RELAY_TIMERS["rtpproxy"],
        "MODULES_DIR": KAMAILIO_MODULES})
    pause_ms = int(math.ceil(pcap.duration * 1000)) + 1500
    uac_xml = _render(HERE / "uac.xml.in", workdir / "uac.xml",
                      {"PCAP": PCAP, "PAUSE_MS": pause_ms})
    uas_xml = _render(HERE / "uas.xml.in", workdir / "uas.xml",
                      {"PCAP": PCAP})

    e2e_artifacts.update({
        "relay stderr": logs / "relay.stderr",
        "kamailio stderr": logs / "kamailio.stderr",
        "sipp uac stdout": logs / "sipp-uac.stdout",
        "sipp uac errors": uac.file("err.log"),
        "sipp uas errors": uas.file("err.log"),
        "control transcript": workdir / "control-transcript.log",
    })

    run = Run(relay_kind=RELAY_KIND, calls=CALLS,
              pcap_packets=pcap.udp_packets, port_min=port_min,
              port_max=port_max)
    procs: list[Proc] = []
    tap = sinks = None
    relay = None
    setup_error = None
    try:
        relay = _start_relay(RELAY_KIND, binary, ctl_port, port_min, port_max,
                             logs)
        procs.append(relay)
        if RELAY_KIND == "rtproam":
            raw = rtpp_command((RELAY_IP, ctl_port), "I")
            run.info_before = parse_info(raw or "")
            if not run.info_before:
                raise RuntimeError(f"no counters in the relay's reply to I: "
                                   f"{raw!r}")

        tap = ControlTap(RELAY_IP, tap_port, (RELAY_IP, ctl_port))
        tap.start()
        sinks = RtpSinks(uac.streams(1, CALLS) + uas.streams(1, CALLS))
        sinks.start()

        procs.append(start_kamailio(kcfg, rundir, logs, (PROXY_IP, sip_port)))
        uas_proc = start_uas(uas, uas_xml, CALLS, timeout=100)
        procs.append(uas_proc)
        uac_budget = CALLS / RATE + pause_ms / 1000 + 30
        uac_proc = start_uac(uac, uac_xml, (PROXY_IP, sip_port), CALLS, RATE,
                             timeout=uac_budget)
        procs.append(uac_proc)
        run.uac_rc = uac_proc.wait(timeout=uac_budget + 10)
        run.uas_rc = uas_proc.wait(timeout=15)
        run.relay_exit = relay.returncode
        wait_sinks_settled(sinks)

        if RELAY_KIND == "rtproam" and relay.alive():
            run.info_after_raw = rtpp_command((RELAY_IP, ctl_port), "I")
            run.info_after = parse_info(run.info_after_raw or "")
            # Sessions are gone once every BYE's D has been handled; give
            # a relay that reaps asynchronously up to 3 s.
            base = (run.info_before or {}).get("active sessions", 0)
            polled = {}

            def sessions_gone():
                polled.update(parse_info(
                    rtpp_command((RELAY_IP, ctl_port), "I") or ""))
                return polled.get("active sessions", -1) <= base
            wait_until(sessions_gone, timeout=3, interval=0.2)
            run.info_settled = dict(polled)
    except RuntimeError as e:  # a component did not start: say why, briefly
        setup_error = str(e)
    finally:
        for proc in reversed(procs):
            proc.stop()
        if relay is not None:
            run.relay_stop_rc = relay.returncode
            run.sanitizer_reports = _sanitizer_reports(relay.stderr_path)
        if tap is not None:
            tap.stop()
            tap.dump(workdir / "control-transcript.log")
            run.transcript = tap.records()
        if sinks is not None:
            sinks.stop()
            run.delivered_uac = sinks.total(UAC_IP)
            run.delivered_uas = sinks.total(UAS_IP)
            run.per_stream = dict(sinks.counts)
            run.sink_sizes = dict(sinks.sizes)
            run.sink_sources = dict(sinks.sources)

    if setup_error:
        pytest.fail(setup_error, pytrace=False)
    run.uac_ok, run.uac_failed = uac.call_counts()
    run.uas_ok, run.uas_failed = uas.call_counts()
    _collect_sdp(run, uac.file("msgs.log"), uas.file("msgs.log"))
    _summarize(run, workdir)
    return run


def _commands(run: Run) -> dict[str, tuple[str, str | None]]:
    """cookie -> (command text without cookie, first reply body or None);
    Kamailio retransmits with the same cookie, so each cookie counts once."""
    cmds: dict[str, list] = {}
    for _t, kind, text in run.transcript:
        cookie, _, body = text.strip().partition(" ")
        if kind == "cmd":
            cmds.setdefault(cookie, [body, None])
        elif cookie in cmds and cmds[cookie][1] is None:
            cmds[cookie][1] = body
    return {k: (v[0], v[1]) for k, v in cmds.items()}


def _summarize(run: Run, workdir: Path) -> None:
    lines = [f"relay: {run.relay_kind}  (work dir {workdir})",
             f"calls: {run.calls} attempted; UAC ok={run.uac_ok} "
             f"failed={run.uac_failed} rc={run.uac_rc}; UAS ok={run.uas_ok} "
             f"failed={run.uas_failed} rc={run.uas_rc}",
             f"relay alive after the calls: {run.relay_exit is None}"
             + ("" if run.relay_exit is None else f" (exit {run.relay_exit})")
             + f"; exit code after SIGTERM: {run.relay_stop_rc}; "
             f"sanitizer report lines: {len(run.sanitizer_reports)}",
             f"packets sent: {run.sent} = {run.pcap_packets} per stream x "
             f"{run.calls} calls x 2 directions"]
    delivered = run.delivered_uac + run.delivered_uas
    lines.append(f"packets delivered to endpoints: {delivered} "
                 f"(UAC {run.delivered_uac}, UAS {run.delivered_uas}); "
                 f"lost {run.sent - delivered}")
    if run.info_before is not None:
        b, a = run.info_before, run.info_after or {}
        lines.append(f"relay counters before: {b}")
        lines.append(f"relay counters after:  {a}")
        if a:
            lines.append(
                "relay delta: received "
                f"{a.get('packets received', 0) - b.get('packets received', 0)}"
                ", transmitted "
                f"{a.get('packets transmitted', 0) - b.get('packets transmitted', 0)}"
                ", sessions created "
                f"{a.get('sessions created', 0) - b.get('sessions created', 0)}")
        lines.append(f"relay counters settled: {run.info_settled}")
    shapes: dict[str, str] = {}
    for body, reply in _commands(run).values():
        verb = body if body.startswith("V") else body.split(" ", 1)[0]
        shapes.setdefault(verb, f"{body!r} -> {reply!r}")
    lines.append("control commands Kamailio sent (first of each kind):")
    lines.extend(f"  {v}" for v in shapes.values())
    SUMMARY.extend(lines)
    detail = [f"  {ip}:{port} {n}" for (ip, port), n in
              sorted(run.per_stream.items())]
    (workdir / "summary.txt").write_text(
        "\n".join(lines + ["RTP packets per endpoint stream:"] + detail
                  + [f"datagram sizes: {run.sink_sizes}",
                     f"sources: {len(run.sink_sources)} relay ports"]) + "\n")


# --------------------------------------------------------------------------
# Tests


def test_relay_survived(e2e_run: Run):
    assert e2e_run.relay_exit is None, \
        f"relay exited with {e2e_run.relay_exit} during the calls"


def test_relay_no_sanitizer_reports(e2e_run: Run):
    assert not e2e_run.sanitizer_reports, \
        "relay stderr has sanitizer reports:\n" + \
        "\n".join(e2e_run.sanitizer_reports[:20])


def test_all_calls_complete(e2e_run: Run):
    r = e2e_run
    assert r.uac_rc == 0, f"sipp UAC exit code {r.uac_rc}"
    assert (r.uac_ok, r.uac_failed) == (r.calls, 0), \
        f"UAC successful/failed calls {r.uac_ok}/{r.uac_failed}"
    assert r.uas_rc == 0, f"sipp UAS exit code {r.uas_rc}"
    assert (r.uas_ok, r.uas_failed) == (r.calls, 0), \
        f"UAS successful/failed calls {r.uas_ok}/{r.uas_failed}"


def _assert_points_at_relay(r: Run, sdps, who: str):
    assert len(sdps) == r.calls, f"{who}: {len(sdps)} SDPs for {r.calls} calls"
    for c, m in sdps:
        assert c == RELAY_IP, f"{who}: c={c}, want the relay's {RELAY_IP}"
        assert m is not None and r.port_min <= m <= r.port_max, \
            f"{who}: m=audio {m} outside the relay's {r.port_min}-{r.port_max}"
    ports = [m for _c, m in sdps]
    assert len(set(ports)) == len(ports), f"{who}: relay ports reused {ports}"


def test_sdp_rewritten_to_relay(e2e_run: Run):
    r = e2e_run
    # What the UAS was offered and what the UAC was answered both point at
    # the relay, each call on its own relay port.
    _assert_points_at_relay(r, r.uas_offers, "INVITE SDP at the UAS")
    _assert_points_at_relay(r, r.uac_answers, "200 OK SDP at the UAC")
    assert not set(m for _c, m in r.uas_offers) & \
        set(m for _c, m in r.uac_answers), "both legs got the same relay port"
    # ...while the endpoints themselves advertised their own addresses.
    assert {c for c, _m in r.uac_media} == {UAC_IP}
    assert {c for c, _m in r.uas_media} == {UAS_IP}


def test_control_commands(e2e_run: Run):
    r = e2e_run
    cmds = _commands(r)
    by_verb: dict[str, list] = {}
    for body, reply in cmds.values():
        by_verb.setdefault(body[:1].upper(), []).append((body, reply))
    assert "V" in by_verb, "Kamailio never sent the V version query"
    errors = [(b, rep) for b, rep in cmds.values()
              if rep is None or rep.strip().startswith("E")]
    assert not errors, f"control commands failed or unanswered: {errors[:5]}"
    for verb in "ULD":
        assert len(by_verb.get(verb, [])) == r.calls, \
            f"{len(by_verb.get(verb, []))} {verb} commands for {r.calls} calls"
    # U carries the UAC's media address, L the UAS's; the port in each reply
    # is what Kamailio wrote into the SDP for the other side.
    offered = {m for _c, m in r.uas_offers}
    answered = {m for _c, m in r.uac_answers}
    for verb, ip, sdp_ports in (("U", UAC_IP, offered), ("L", UAS_IP, answered)):
        for body, reply in by_verb[verb]:
            fields = body.split()
            assert len(fields) >= 5 and fields[2] == ip, \
                f"{verb} command {body!r}: want media address {ip}"
            assert int(reply.split()[0]) in sdp_ports, \
                f"{verb} reply {reply!r}: port not in the rewritten SDPs"


def test_media_delivered_end_to_end(e2e_run: Run):
    r = e2e_run
    delivered = r.delivered_uac + r.delivered_uas
    per_side = r.pcap_packets * r.calls
    silent = [ep for ep, n in r.per_stream.items() if n == 0]
    assert not silent, f"{len(silent)} streams got no RTP: {silent[:6]}"
    for side, got in (("UAC", r.delivered_uac), ("UAS", r.delivered_uas)):
        assert abs(got - per_side) <= TOLERANCE * per_side, \
            f"{side} got {got} RTP packets, sent {per_side}"
    assert abs(delivered - r.sent) <= TOLERANCE * r.sent
    # Everything came from the relay's media ports.
    bad = {src: n for src, n in r.sink_sources.items()
           if src[0] != RELAY_IP or not r.port_min <= src[1] <= r.port_max}
    assert not bad, f"RTP from outside the relay's ports: {bad}"


def test_relay_counters(e2e_run: Run):
    r = e2e_run
    if r.relay_kind != "rtproam":
        pytest.skip(f"{r.relay_kind} has no rtpproxy 'I' command")
    assert r.info_after, f"no counters in I reply {r.info_after_raw!r}"
    b, a = r.info_before, r.info_after
    for key in ("sessions created", "active sessions", "active streams",
                "packets received", "packets transmitted"):
        assert key in a, f"I reply lacks {key!r}: {r.info_after_raw!r}"
    created = a["sessions created"] - b["sessions created"]
    assert created == r.calls, f"sessions created +{created}, calls {r.calls}"
    received = a["packets received"] - b["packets received"]
    relayed = a["packets transmitted"] - b["packets transmitted"]
    assert abs(received - r.sent) <= TOLERANCE * r.sent, \
        f"relay received {received}, sipp sent {r.sent}"
    assert abs(relayed - r.sent) <= TOLERANCE * r.sent, \
        f"relay transmitted {relayed}, sipp sent {r.sent}"
    if "packets dropped" in a:
        dropped = a["packets dropped"] - b.get("packets dropped", 0)
        assert dropped == 0, f"relay dropped {dropped} packets of a clean run"
    # The relay's count matches what reached the endpoints.
    delivered = r.delivered_uac + r.delivered_uas
    assert abs(relayed - delivered) <= TOLERANCE * r.sent, \
        f"relay transmitted {relayed}, endpoints got {delivered}"
    # Every BYE's D removed its session.
    s = r.info_settled or {}
    assert s.get("active sessions") == b["active sessions"], \
        f"active sessions {s.get('active sessions')} after all BYEs " \
        f"(before: {b['active sessions']})"
    assert s.get("active streams") == b["active streams"], \
        f"active streams {s.get('active streams')} after all BYEs " \
        f"(before: {b['active streams']})"
