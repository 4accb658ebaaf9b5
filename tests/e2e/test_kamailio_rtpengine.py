"""Tier 4, ng: real Kamailio 5.6 (rtpengine module, stock NAT config) + real
sipp UAC/UAS + the relay speaking the ng protocol.

    sipp UAC 127.0.2.2 --SIP--> Kamailio 127.0.2.1 --SIP--> sipp UAS 127.0.2.3
    (Contact/SDP claim       | ng (bencode over UDP),
     192.168.x: "behind NAT") | through a recording tap
         +------ RTP ------> relay 127.0.2.1 <------ RTP ------+

Kamailio runs kamailio-ng.cfg.in: the stock route[NATMANAGE] with
rtpengine_manage() in the branch, reply and failure routes.  The UAC's offer
therefore goes out with SIP-source-address (its SDP address is private), the
UAS's answer without it, and on BYE the script logs $rtpstat (an ng query)
just before rtpengine_manage() deletes the call.

One run of RTPROAM_E2E_CALLS calls (default 20) is shared by the tests of
this module.  Both endpoints play the same pcap after the ACK.  sipp sends
RTP from a raw socket and does not read the ports its SDP advertises, so
the test binds those ports ("sinks") and counts what the relay delivers.

Environment:
  RTPROAM_BUILD        cmake build dir; the relay is $RTPROAM_BUILD/src/rtproam
  RTPROAM_E2E_RELAY    rtproam (default) | rtpengine (Debian rtpengine-daemon)
  RTPROAM_E2E_CALLS    number of calls (default 20)
  RTPROAM_E2E_RATE     calls per second (default 5)
  RTPROAM_E2E_PCAP     RTP pcap both ends play (default sipp's g711a.pcap)
  RTPROAM_E2E_RELAY_LOGLEVEL  rtproam -d level (default info)
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from call_driver import (SippSide, start_kamailio, start_uac, start_uas,
                         wait_sinks_settled)
from e2e_helpers import (KAMAILIO_MODULES, ONE_RELAY_TIMERS, SUMMARY,
                         ControlTap, Proc, RtpSinks, ephemeral_port_low,
                         free_udp_port, parse_info, parse_pcap,
                         pick_port_block, relay_binary, render_template,
                         rtpp_command, sanitizer_reports, sipp_messages,
                         sipp_prerequisites, wait_until, call_sdp)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from ngclient import NgClient, parse_message  # noqa: E402

RELAY_KIND = os.environ.get("RTPROAM_E2E_RELAY", "rtproam").strip() or "rtproam"
CALLS = int(os.environ.get("RTPROAM_E2E_CALLS", "20"))
RATE = float(os.environ.get("RTPROAM_E2E_RATE", "5"))
PCAP = os.environ.get("RTPROAM_E2E_PCAP", "/usr/share/sip-tester/g711a.pcap")
RELAY_LOGLEVEL = os.environ.get("RTPROAM_E2E_RELAY_LOGLEVEL", "info")

# 127.0.2.x: the integration tier, which ctest runs beside this one, puts
# its phones on 127.0.0.x, so their ports never meet.
PROXY_IP = "127.0.2.1"         # Kamailio
RELAY_IP = "127.0.2.1"         # relay: control sockets and media
UAC_IP = "127.0.2.2"           # where the UAC's packets come from
UAC_PRIVATE_IP = "192.168.77.2"  # what the UAC writes in Contact and SDP
UAS_IP = "127.0.2.3"
RELAY_PORTS = 400              # relay media port range size
TOLERANCE = 0.01               # packets/bytes: counted vs sent


_RTPSTAT_RE = re.compile(
    r"RTPSTAT (\S+) RTP: (-?\d+) bytes, (-?\d+) packets, (-?\d+) errors; "
    r"RTCP: (-?\d+) bytes, (-?\d+) packets, (-?\d+) errors")


def _relay_binary() -> str:
    return relay_binary(RELAY_KIND)


def _prerequisites() -> None:
    sipp_prerequisites(("rtpengine.so", "nathelper.so"), PCAP)


# --------------------------------------------------------------------------
# The relay


def _start_relay(kind: str, binary: str, ng_port: int, rtpp_port: int,
                 port_min: int, port_max: int, logdir: Path) -> Proc:
    if kind == "rtpengine":
        argv = [binary, "--table=-1", "--foreground", "--config-file=none",
                f"--listen-ng={RELAY_IP}:{ng_port}",
                f"--port-min={port_min}", f"--port-max={port_max}",
                f"--interface={RELAY_IP}", "--num-threads=1",
                "--log-stderr", "--log-level=6"]
    else:
        argv = [binary, "-f", "-F", "-l", RELAY_IP, "-m", str(port_min),
                "-M", str(port_max), "-s", f"udp:{RELAY_IP}:{rtpp_port}",
                "--ng", f"udp:{RELAY_IP}:{ng_port}", "-d", RELAY_LOGLEVEL]
    relay = Proc("relay", argv, logdir, cwd=logdir)
    # Ready when it answers an ng ping.
    with NgClient(RELAY_IP, ng_port, timeout=0.2, tries=1) as ng:
        reply = wait_until(
            lambda: (not relay.alive()) or ng.command("ping"),
            timeout=10, interval=0.1)
    if not relay.alive():
        raise RuntimeError(f"{kind} exited with {relay.returncode} before "
                           f"answering ping\n{relay.tail()}")
    if not isinstance(reply, dict) or reply.get("result") != "pong":
        relay.stop()
        raise RuntimeError(f"{kind} gave no pong to ping: {reply!r}\n"
                           f"{relay.tail()}")
    return relay


def _relay_counters(kind: str, ng_port: int, rtpp_port: int) -> dict:
    """What the relay says it received and relayed, in one shape:
    {'received': n or None, 'relayed': n, 'raw': ...}.  rtproam answers the
    rtpproxy `I` (which counts ng calls too); rtpengine has the ng
    `statistics` command, whose totals count relayed packets only."""
    if kind == "rtproam":
        raw = rtpp_command((RELAY_IP, rtpp_port), "I")
        info = parse_info(raw or "")
        if "packets transmitted" not in info:
            raise RuntimeError(f"no packet counters in I reply {raw!r}")
        return {"received": info.get("packets received"),
                "relayed": info["packets transmitted"],
                "sessions": info.get("active sessions"), "raw": info}
    with NgClient(RELAY_IP, ng_port) as ng:
        reply = ng.command("statistics")
    try:
        total = reply["statistics"]["totalstatistics"]
        return {"received": None, "relayed": int(total["relayedpackets"]),
                "sessions": None, "raw": total}
    except (TypeError, KeyError, ValueError):
        raise RuntimeError(f"no relayedpackets in statistics: {reply!r}")


# --------------------------------------------------------------------------
# The run


@dataclass
class Run:
    relay_kind: str
    calls: int
    pcap_packets: int
    pcap_bytes: int               # UDP payload bytes in one play of the pcap
    port_min: int
    port_max: int
    uac_rc: int | None = None
    uas_rc: int | None = None
    uac_ok: int = 0
    uac_failed: int = 0
    uas_ok: int = 0
    uas_failed: int = 0
    uas_offers: list = field(default_factory=list)    # CallSdp the UAS got
    uac_answers: list = field(default_factory=list)   # CallSdp the UAC got
    uac_media: list = field(default_factory=list)     # CallSdp the UAC sent
    uas_media: list = field(default_factory=list)     # CallSdp the UAS sent
    delivered_uac: int = 0
    delivered_uas: int = 0
    per_stream: dict = field(default_factory=dict)
    sink_sources: dict = field(default_factory=dict)
    ng: list = field(default_factory=list)   # (cookie, request, reply|None)
    rtpstat: list = field(default_factory=list)  # parsed RTPSTAT lines
    counters_before: dict | None = None
    counters_after: dict | None = None
    relay_exit: int | None = None
    relay_stop_rc: int | None = None
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
            run.uas_offers.append(call_sdp(msg))
        elif direction == "sent" and first.startswith("SIP/2.0 200") \
                and "CSeq: 1 INVITE" in msg:
            run.uas_media.append(call_sdp(msg))
    for direction, msg in sipp_messages(uac_log):
        first = msg.split("\n", 1)[0]
        if direction == "recv" and first.startswith("SIP/2.0 200") \
                and re.search(r"^CSeq: *\d+ INVITE", msg, re.M):
            run.uac_answers.append(call_sdp(msg))
        elif direction == "sent" and first.startswith("INVITE "):
            run.uac_media.append(call_sdp(msg))


def _ng_exchanges(tap: ControlTap) -> list[tuple[str, dict | None,
                                                 dict | None]]:
    """(cookie, request, first reply) per cookie, in order of the first
    request; Kamailio resends with the same cookie, so a cookie counts
    once."""
    order: list[str] = []
    reqs: dict[str, dict | None] = {}
    reps: dict[str, dict | None] = {}
    for _t, kind, data in tap.raw_records():
        cookie, doc = parse_message(data)
        if kind == "cmd":
            if cookie not in reqs:
                order.append(cookie)
                reqs[cookie] = doc
        elif cookie in reqs and cookie not in reps:
            reps[cookie] = doc
    return [(c, reqs[c], reps.get(c)) for c in order]


def _rtpstat_lines(path: Path) -> list[dict]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    out = []
    for m in _RTPSTAT_RE.finditer(text):
        v = [int(x) for x in m.groups()[1:]]
        out.append({"call_id": m.group(1), "rtp_bytes": v[0],
                    "rtp_packets": v[1], "rtp_errors": v[2],
                    "rtcp_bytes": v[3], "rtcp_packets": v[4],
                    "rtcp_errors": v[5]})
    return out


@pytest.fixture(scope="module")
def e2e_artifacts(tmp_path_factory):
    """Name -> log path; conftest attaches their tails to failure reports."""
    return {"_dir": tmp_path_factory.mktemp("e2e-ng")}


@pytest.fixture(scope="module")
def ng_run(e2e_artifacts) -> Run:
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

    # Ports.  The blocks sit below the kernel's ephemeral range so that the
    # single ports from free_udp_port() never land inside them.  sipp binds
    # -mp and -mp+2 itself; call n advertises mp + 4 + 4*(n-1), bound by
    # the sinks.
    span = 4 * CALLS + 8
    eph_low = ephemeral_port_low(20000 + 2 * span + 64)
    port_min = pick_port_block(RELAY_IP, RELAY_PORTS, 10000, 20000)
    port_max = port_min + RELAY_PORTS - 1
    uac_mp = pick_port_block(UAC_IP, span, 20000, eph_low)
    uas_mp = pick_port_block(UAS_IP, span, 20000, eph_low)
    ng_port = free_udp_port(RELAY_IP)
    rtpp_port = free_udp_port(RELAY_IP)
    tap_port = free_udp_port(RELAY_IP)
    sip_port = free_udp_port(PROXY_IP)
    uas_port = free_udp_port(UAS_IP)
    uac_port = free_udp_port(UAC_IP)
    uas_cp = free_udp_port(UAS_IP)
    uac_cp = free_udp_port(UAC_IP)

    uac = SippSide("uac", UAC_IP, uac_port, uac_mp, uac_cp, logs)
    uas = SippSide("uas", UAS_IP, uas_port, uas_mp, uas_cp, logs)

    kcfg = render_template(HERE / "kamailio-ng.cfg.in",
                           workdir / "kamailio.cfg", {
                               "SIP_IP": PROXY_IP, "SIP_PORT": sip_port,
                               "UAS_IP": UAS_IP, "UAS_PORT": uas_port,
                               "UAC_IP": UAC_IP,
                               "UAC_PRIVATE_IP": UAC_PRIVATE_IP,
                               "RELAY_SOCKS": f"udp:{RELAY_IP}:{tap_port}",
                               **ONE_RELAY_TIMERS["rtpengine"],
                               "MODULES_DIR": KAMAILIO_MODULES})
    pause_ms = int(math.ceil(pcap.duration * 1000)) + 1500
    uac_xml = render_template(HERE / "uac-ng.xml.in", workdir / "uac.xml",
                              {"PCAP": PCAP, "PAUSE_MS": pause_ms,
                               "UAC_PRIVATE_IP": UAC_PRIVATE_IP})
    uas_xml = render_template(HERE / "uas.xml.in", workdir / "uas.xml",
                              {"PCAP": PCAP})

    e2e_artifacts.update({
        "relay stderr": logs / "relay.stderr",
        "kamailio stderr": logs / "kamailio.stderr",
        "sipp uac stdout": logs / "sipp-uac.stdout",
        "sipp uac errors": uac.file("err.log"),
        "sipp uas errors": uas.file("err.log"),
        "ng transcript": workdir / "ng-transcript.log",
    })

    run = Run(relay_kind=RELAY_KIND, calls=CALLS,
              pcap_packets=pcap.udp_packets,
              pcap_bytes=sum(size * n for size, n in
                             pcap.udp_payload_sizes.items()),
              port_min=port_min, port_max=port_max)
    procs: list[Proc] = []
    tap = sinks = relay = None
    setup_error = None
    try:
        relay = _start_relay(RELAY_KIND, binary, ng_port, rtpp_port,
                             port_min, port_max, logs)
        procs.append(relay)
        run.counters_before = _relay_counters(RELAY_KIND, ng_port, rtpp_port)

        tap = ControlTap(RELAY_IP, tap_port, (RELAY_IP, ng_port))
        tap.start()
        sinks = RtpSinks(uac.streams(1, CALLS) + uas.streams(1, CALLS))
        sinks.start()

        procs.append(start_kamailio(kcfg, rundir, logs, (PROXY_IP, sip_port)))
        uac_budget = CALLS / RATE + pause_ms / 1000 + 30
        uas_proc = start_uas(uas, uas_xml, CALLS, timeout=uac_budget + 10)
        procs.append(uas_proc)
        uac_proc = start_uac(uac, uac_xml, (PROXY_IP, sip_port), CALLS, RATE,
                             timeout=uac_budget)
        procs.append(uac_proc)
        run.uac_rc = uac_proc.wait(timeout=uac_budget + 10)
        run.uas_rc = uas_proc.wait(timeout=15)
        run.relay_exit = relay.returncode
        wait_sinks_settled(sinks)

        if relay.alive():
            run.counters_after = _relay_counters(RELAY_KIND, ng_port,
                                                 rtpp_port)
    except RuntimeError as e:  # a component did not start: say why, briefly
        setup_error = str(e)
    finally:
        for proc in reversed(procs):
            proc.stop()
        if relay is not None:
            run.relay_stop_rc = relay.returncode
            run.sanitizer_reports = sanitizer_reports(relay.stderr_path)
        if tap is not None:
            tap.stop()
            tap.dump(workdir / "ng-transcript.log")
            run.ng = _ng_exchanges(tap)
        if sinks is not None:
            sinks.stop()
            run.delivered_uac = sinks.total(UAC_IP)
            run.delivered_uas = sinks.total(UAS_IP)
            run.per_stream = dict(sinks.counts)
            run.sink_sources = dict(sinks.sources)

    if setup_error:
        pytest.fail(setup_error, pytrace=False)
    run.uac_ok, run.uac_failed = uac.call_counts()
    run.uas_ok, run.uas_failed = uas.call_counts()
    _collect_sdp(run, uac.file("msgs.log"), uas.file("msgs.log"))
    run.rtpstat = _rtpstat_lines(logs / "kamailio.stderr")
    _summarize(run, workdir)
    return run


def _summarize(run: Run, workdir: Path) -> None:
    delivered = run.delivered_uac + run.delivered_uas
    lines = [f"ng relay: {run.relay_kind}  (work dir {workdir})",
             f"calls: {run.calls} attempted; UAC ok={run.uac_ok} "
             f"failed={run.uac_failed} rc={run.uac_rc}; UAS ok={run.uas_ok} "
             f"failed={run.uas_failed} rc={run.uas_rc}",
             f"packets sent: {run.sent}; delivered to endpoints: {delivered}"
             f" (UAC {run.delivered_uac}, UAS {run.delivered_uas})"]
    b, a = run.counters_before or {}, run.counters_after or {}
    if a:
        lines.append(f"relay relayed: {a['relayed'] - b.get('relayed', 0)}")
    lines.append(f"$rtpstat lines: {len(run.rtpstat)}"
                 + (f", first {run.rtpstat[0]}" if run.rtpstat else ""))
    seen: dict[str, str] = {}
    for cookie, req, rep in run.ng:
        cmd = (req or {}).get("command", "?")
        if cmd not in seen:
            keys = list(req) if req else []
            seen[cmd] = (f"{cookie} {cmd}: keys {keys} flags "
                         f"{(req or {}).get('flags')} replace "
                         f"{(req or {}).get('replace')} -> result "
                         f"{(rep or {}).get('result')}")
    lines.append(f"ng requests: {len(run.ng)}; first of each command:")
    lines.extend(f"  {v}" for v in seen.values())
    SUMMARY.extend(lines)
    (workdir / "summary.txt").write_text("\n".join(lines) + "\n")


def _by_command(r: Run) -> dict[str, list]:
    out: dict[str, list] = {}
    for cookie, req, rep in r.ng:
        out.setdefault((req or {}).get("command", "?"), []).append(
            (cookie, req, rep))
    return out


# --------------------------------------------------------------------------
# Tests


def test_relay_survived(ng_run: Run):
    assert ng_run.relay_exit is None, \
        f"relay exited with {ng_run.relay_exit} during the calls"


def test_relay_no_sanitizer_reports(ng_run: Run):
    assert not ng_run.sanitizer_reports, \
        "relay stderr has sanitizer reports:\n" + \
        "\n".join(ng_run.sanitizer_reports[:20])


def test_all_calls_complete(ng_run: Run):
    r = ng_run
    assert r.uac_rc == 0, f"sipp UAC exit code {r.uac_rc}"
    assert (r.uac_ok, r.uac_failed) == (r.calls, 0), \
        f"UAC successful/failed calls {r.uac_ok}/{r.uac_failed}"
    assert r.uas_rc == 0, f"sipp UAS exit code {r.uas_rc}"
    assert (r.uas_ok, r.uas_failed) == (r.calls, 0), \
        f"UAS successful/failed calls {r.uas_ok}/{r.uas_failed}"


def _assert_points_at_relay(r: Run, got: list, peer: list, who: str):
    """got: the SDP one side received; peer: what the other side sent."""
    assert len(got) == r.calls, f"{who}: {len(got)} SDPs for {r.calls} calls"
    peer_port = {s.call_id: s.m for s in peer}
    for s in got:
        assert s.c == RELAY_IP, f"{who} {s.call_id}: c={s.c}, want {RELAY_IP}"
        assert s.o == RELAY_IP, \
            f"{who} {s.call_id}: o= address {s.o} (replace-origin)"
        assert s.m is not None and r.port_min <= s.m <= r.port_max, \
            f"{who} {s.call_id}: m=audio {s.m} outside the relay's " \
            f"{r.port_min}-{r.port_max}"
        assert s.call_id in peer_port, f"{who}: unknown call {s.call_id}"
        assert s.m != peer_port[s.call_id], \
            f"{who} {s.call_id}: got the other sipp's own port {s.m}"
    ports = [s.m for s in got]
    assert len(set(ports)) == len(ports), f"{who}: relay ports reused {ports}"


def test_sdp_rewritten_to_relay(ng_run: Run):
    r = ng_run
    _assert_points_at_relay(r, r.uas_offers, r.uac_media,
                            "INVITE SDP at the UAS")
    _assert_points_at_relay(r, r.uac_answers, r.uas_media,
                            "200 OK SDP at the UAC")
    assert not {s.m for s in r.uas_offers} & {s.m for s in r.uac_answers}, \
        "both legs got the same relay port"
    # ...while the endpoints advertised their own (the UAC a private) one.
    assert {s.c for s in r.uac_media} == {UAC_PRIVATE_IP}
    assert {s.c for s in r.uas_media} == {UAS_IP}


def test_ng_requests_answered(ng_run: Run):
    r = ng_run
    assert r.ng, "Kamailio sent no ng request through the tap"
    bad = [(c, req, rep) for c, req, rep in r.ng if req is None]
    assert not bad, f"requests that are not bencoded dictionaries: {bad[:3]}"
    unanswered = [(c, req.get("command")) for c, req, rep in r.ng
                  if rep is None]
    assert not unanswered, f"ng requests with no reply: {unanswered[:5]}"
    for cookie, req, rep in r.ng:
        want = "pong" if req.get("command") == "ping" else "ok"
        assert rep.get("result") == want, \
            f"{cookie} {req.get('command')}: result {rep.get('result')!r} " \
            f"({rep.get('error-reason') or rep.get('message')!r}), " \
            f"want {want!r}"
    by = _by_command(r)
    assert "ping" in by, "Kamailio never pinged the relay"
    for cmd in ("offer", "answer", "query", "delete"):
        n = len(by.get(cmd, []))
        assert n == r.calls, f"{n} {cmd} requests for {r.calls} calls"


def test_ng_requests_shape(ng_run: Run):
    """What the stock NAT config makes Kamailio send: the NATed caller's
    offer with SIP-source-address, the callee's answer without it, both
    with replace origin + session-connection, and the SIP source in
    received-from."""
    r = ng_run
    by = _by_command(r)
    uac_calls = {s.call_id for s in r.uac_media}
    for cmd, ip, nat in (("offer", UAC_IP, True), ("answer", UAS_IP, False)):
        for cookie, req, rep in by.get(cmd, []):
            flags = req.get("flags") or []
            assert ("SIP-source-address" in flags) == nat, \
                f"{cookie} {cmd}: flags {flags}"
            assert req.get("replace") == ["origin", "session-connection"], \
                f"{cookie} {cmd}: replace {req.get('replace')}"
            assert req.get("received-from") == ["IP4", ip], \
                f"{cookie} {cmd}: received-from {req.get('received-from')}"
            assert req.get("call-id") in uac_calls
            assert isinstance(req.get("sdp"), str) and "m=audio" in req["sdp"]
            assert isinstance(rep.get("sdp"), str), \
                f"{cookie} {cmd}: reply without sdp"
            assert cmd == "offer" or req.get("to-tag"), \
                f"{cookie} answer without to-tag"
    deleted = {req.get("call-id") for _c, req, _r in by.get("delete", [])}
    assert deleted == uac_calls, "delete not sent for every call"


def test_rtpstat_real_figures(ng_run: Run):
    r = ng_run
    stats = r.rtpstat
    ids = [s["call_id"] for s in stats]
    assert sorted(ids) == sorted({s.call_id for s in r.uac_media}), \
        f"{len(stats)} RTPSTAT lines for {r.calls} calls: {ids[:5]}"
    # Per call the relay received the pcap once from each side.
    want_pkts = 2 * r.pcap_packets
    want_bytes = 2 * r.pcap_bytes
    for s in stats:
        assert s["rtp_packets"] > 0 and s["rtp_bytes"] > 0, s
        assert abs(s["rtp_packets"] - want_pkts) <= TOLERANCE * want_pkts, \
            f"{s['call_id']}: $rtpstat {s['rtp_packets']} RTP packets, " \
            f"the two sipp sides sent {want_pkts}"
        assert abs(s["rtp_bytes"] - want_bytes) <= TOLERANCE * want_bytes, \
            f"{s['call_id']}: $rtpstat {s['rtp_bytes']} RTP bytes, " \
            f"the two sipp sides sent {want_bytes}"
        assert s["rtp_errors"] == 0, s


def test_media_delivered_end_to_end(ng_run: Run):
    r = ng_run
    per_side = r.pcap_packets * r.calls
    silent = [ep for ep, n in r.per_stream.items() if n == 0]
    assert not silent, f"{len(silent)} streams got no RTP: {silent[:6]}"
    # The UAC's share arrived at its real address although its SDP named a
    # private one (SIP-source-address, or learning from its RTP's source).
    for side, got in (("UAC", r.delivered_uac), ("UAS", r.delivered_uas)):
        assert abs(got - per_side) <= TOLERANCE * per_side, \
            f"{side} got {got} RTP packets, sent {per_side}"
    bad = {src: n for src, n in r.sink_sources.items()
           if src[0] != RELAY_IP or not r.port_min <= src[1] <= r.port_max}
    assert not bad, f"RTP from outside the relay's ports: {bad}"


def test_relay_used_sip_source(ng_run: Run):
    """Under SIP-source-address the caller's endpoint is its SIP source
    address with the SDP port.  Media delivery alone cannot show this (the
    relay also learns the address from the caller's RTP), so read it from
    the query replies, where the relay reports the endpoint taken from
    signalling as `advertised endpoint` (ng-protocol.md section 5)."""
    r = ng_run
    by = _by_command(r)
    caller_tags = {req.get("from-tag"): req.get("call-id")
                   for _c, req, _r in by.get("offer", [])}
    sdp_port = {s.call_id: s.m for s in r.uac_media}
    checked = 0
    for cookie, _req, rep in by.get("query", []):
        for tag, leg in (rep or {}).get("tags", {}).items():
            if not isinstance(leg, dict) or tag not in caller_tags:
                continue
            for media in leg.get("medias", []):
                for stream in media.get("streams", []):
                    ep = stream.get("advertised endpoint")
                    if not isinstance(ep, dict):
                        continue
                    assert ep.get("address") == UAC_IP, \
                        f"{cookie} caller {tag}: advertised endpoint {ep}"
                    port = sdp_port.get(caller_tags[tag])
                    assert ep.get("port") in (port, port + 1), \
                        f"{cookie} caller {tag}: advertised endpoint {ep}, " \
                        f"SDP port {port}"
                    checked += 1
    if not checked:
        pytest.skip(f"{r.relay_kind}'s query replies carry no per-stream "
                    "'advertised endpoint'")
    assert checked >= r.calls, f"only {checked} caller streams reported"


def test_relay_counters(ng_run: Run):
    r = ng_run
    b, a = r.counters_before, r.counters_after
    assert b and a, f"relay counters before {b} after {a}"
    relayed = a["relayed"] - b["relayed"]
    assert abs(relayed - r.sent) <= TOLERANCE * r.sent, \
        f"relay says it relayed {relayed}, sipp sent {r.sent}"
    delivered = r.delivered_uac + r.delivered_uas
    assert abs(relayed - delivered) <= TOLERANCE * r.sent, \
        f"relay says it relayed {relayed}, endpoints got {delivered}"
    if a.get("received") is not None and b.get("received") is not None:
        received = a["received"] - b["received"]
        assert abs(received - r.sent) <= TOLERANCE * r.sent, \
            f"relay received {received}, sipp sent {r.sent}"
