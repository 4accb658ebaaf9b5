"""A NAT lab in network namespaces: two baresip phones, Kamailio, a relay,
a NAT router that changes uplink mid-call, and an attacker.

    caller ns                nat ns (router)                core ns
    baresip A  c0 ---- n0  198.18.1.1           u1 ---- k1  198.19.10.254
    198.18.1.2/24          u1 198.19.10.1 (uplink 1)        k2  198.19.20.254
                           u2 198.19.20.1 (uplink 2) - k2   lo  198.19.0.1 Kamailio
                           NAT: masquerade on u1,           lo  198.19.0.2 relay
                                SNAT to a port range on u2  k3  198.19.30.254
                                                            k4  198.19.40.254
    attacker ns  a0 198.19.30.2/24 --- k3
    callee ns    b0 198.19.40.3/24 --- k4   baresip B (auto-answer)

Only 198.18.0.0/15 addresses.  Everything is created with the test's PID in
its names and removed by Lab.close(), which never raises and also runs when
a step fails.  The move: the router's default route goes from uplink 1 to
uplink 2 and its conntrack table is flushed, so the caller's packets leave
from a new public address and port; no SIP message is sent.

Used by tests/e2e/test_baresip_nat.py and, as a command, by
bench/nat-compare.sh:

    python3 tests/e2e/nat_lab.py --relay rtproam --relay-bin build/src/rtproam
    python3 tests/e2e/nat_lab.py --relay rtpengine --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import (ONE_RELAY_TIMERS, Proc,  # noqa: E402
                         render_template, wait_until)
from nat_pcap import (analyse, read_udp, rtp_ssrcs,  # noqa: E402
                      summarise)

HERE = Path(__file__).resolve().parent
AGENT = HERE / "nat_agent.py"
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) \
    else sys.executable
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
BARESIP_MODULES = "/usr/lib/baresip/modules"

CALLER_IP, ROUTER_IN = "198.18.1.2", "198.18.1.1"
UPLINK1, UPLINK2 = "198.19.10.1", "198.19.20.1"
CORE_UP1, CORE_UP2 = "198.19.10.254", "198.19.20.254"
PROXY_IP, RELAY_IP = "198.19.0.1", "198.19.0.2"
ATTACKER_IP, CORE_ATT = "198.19.30.2", "198.19.30.254"
CALLEE_IP, CORE_CALLEE = "198.19.40.3", "198.19.40.254"
SIP_PORT = 5060
CTL_PORT = 22222
RELAY_PORT_MIN, RELAY_PORT_MAX = 30000, 30199
UPLINK2_PORTS = "40000-40999"   # SNAT on uplink 2 also changes the port
CTRL_PORT = 4444                # baresip ctrl_tcp, in each phone's ns
TONE_A, TONE_B = 700, 1300      # Hz, what each phone sends (ausine)

# Seconds: media before the move, after it; attacker start after media.
# The move comes well after rtpengine's learning window (3 s from the
# offer/answer), so that both relays are compared on a call that settled.
PRE_MOVE, POST_MOVE, ATTACK_LEAD = 5.0, 3.0, 0.5


def need_root_and_netns() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root: creates network namespaces and NAT rules"
    for tool in ("ip", "tcpdump", "nft", "conntrack"):
        if not shutil.which(tool):
            return f"{tool} is not installed (scripts/deps.sh)"
    for tool in (KAMAILIO, BARESIP):
        if not os.access(tool, os.X_OK):
            return f"{tool} is not installed (scripts/deps.sh)"
    for mod in ("ausine.so", "g711.so", "ctrl_tcp.so", "account.so"):
        if not Path(BARESIP_MODULES, mod).exists():
            return f"baresip module {mod} missing (apt-get install baresip-core)"
    probe = f"rrprobe{os.getpid()}"
    try:
        r = subprocess.run(["ip", "netns", "add", probe], capture_output=True,
                           timeout=10, check=False)
        if r.returncode != 0:
            return "ip netns unavailable: " + r.stderr.decode(errors="replace")
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True,
                       timeout=10, check=False)
    return None


class LabError(RuntimeError):
    pass


ROLES = ("caller", "nat", "core", "attacker", "callee")


def sweep_stale_labs() -> list[str]:
    """Remove the namespaces of labs whose process is gone (killed before
    its teardown ran). Only names of this lab's own form are touched."""
    try:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             timeout=10, check=False).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return []
    removed = []
    for line in out.splitlines():
        name = line.split(" ", 1)[0]
        m = re.fullmatch(r"rr(\d+)(" + "|".join(ROLES) + ")", name)
        if not m or Path(f"/proc/{m.group(1)}").exists():
            continue
        left = subprocess.run(["ip", "netns", "pids", name],
                              capture_output=True, timeout=10,
                              check=False).stdout.decode().split()
        if left:
            continue    # something still runs there: not ours to judge
        subprocess.run(["ip", "netns", "del", name], capture_output=True,
                       timeout=10, check=False)
        removed.append(name)
    return removed


@dataclass
class Lab:
    """The namespaces, links and rules; processes started in them."""
    workdir: Path
    tag: str = field(default_factory=lambda: f"rr{os.getpid()}")
    namespaces: list[str] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def ns(self, role: str) -> str:
        return f"{self.tag}{role}"

    def sh(self, argv: list[str], ns: str | None = None, check=True,
           timeout: float = 10) -> str:
        full = (["ip", "netns", "exec", ns] if ns else []) + argv
        self.log.append(" ".join(full))
        r = subprocess.run(full, capture_output=True, timeout=timeout,
                           check=False)
        if check and r.returncode != 0:
            raise LabError(f"{' '.join(full)}: exit {r.returncode}: "
                           + r.stderr.decode(errors="replace").strip())
        return r.stdout.decode(errors="replace")

    def agent(self, role: str, *args, timeout: float = 10) -> dict:
        out = self.sh([PYTHON, str(AGENT), *map(str, args)], self.ns(role),
                      timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def start(self, role: str, name: str, argv: list) -> Proc:
        proc = Proc(name, ["ip", "netns", "exec", self.ns(role), *argv],
                    self.workdir, cwd=self.workdir)
        self.procs.append(proc)
        return proc

    # --- topology ---------------------------------------------------------

    def build(self) -> None:
        for role in ROLES:
            self.sh(["ip", "netns", "add", self.ns(role)])
            self.namespaces.append(self.ns(role))
            self.sh(["ip", "link", "set", "lo", "up"], self.ns(role))
        for a_role, a_if, b_role, b_if in (
                ("caller", "c0", "nat", "n0"), ("nat", "u1", "core", "k1"),
                ("nat", "u2", "core", "k2"), ("attacker", "a0", "core", "k3"),
                ("callee", "b0", "core", "k4")):
            self.sh(["ip", "link", "add", a_if, "netns", self.ns(a_role),
                     "type", "veth", "peer", b_if, "netns", self.ns(b_role)])
        addrs = (("caller", "c0", CALLER_IP + "/24"),
                 ("nat", "n0", ROUTER_IN + "/24"),
                 ("nat", "u1", UPLINK1 + "/24"), ("nat", "u2", UPLINK2 + "/24"),
                 ("core", "k1", CORE_UP1 + "/24"),
                 ("core", "k2", CORE_UP2 + "/24"),
                 ("core", "k3", CORE_ATT + "/24"),
                 ("core", "k4", CORE_CALLEE + "/24"),
                 ("attacker", "a0", ATTACKER_IP + "/24"),
                 ("callee", "b0", CALLEE_IP + "/24"))
        for role, ifname, cidr in addrs:
            self.sh(["ip", "addr", "add", cidr, "dev", ifname], self.ns(role))
            self.sh(["ip", "link", "set", ifname, "up"], self.ns(role))
        # The services' addresses live on the core's loopback (no dummy
        # links needed: containers often lack the module).
        core = self.ns("core")
        for ip in (PROXY_IP, RELAY_IP):
            self.sh(["ip", "addr", "add", ip + "/32", "dev", "lo"], core)
        for role, gw in (("caller", ROUTER_IN), ("nat", CORE_UP1),
                         ("attacker", CORE_ATT), ("callee", CORE_CALLEE)):
            self.sh(["ip", "route", "add", "default", "via", gw],
                    self.ns(role))
        nat = self.ns("nat")
        self.sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], nat)
        rules = self.workdir / "nat.nft"
        rules.write_text(
            "table ip rtproam_e2e {\n"
            "  chain post {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            "    oifname \"u1\" masquerade\n"
            f"    oifname \"u2\" meta l4proto udp snat to {UPLINK2}:"
            f"{UPLINK2_PORTS}\n"
            "    oifname \"u2\" masquerade\n"
            "  }\n"
            "}\n")
        self.sh(["nft", "-f", str(rules)], nat)

    def move_uplink(self) -> float:
        """Uplink 1 -> uplink 2: new route, new NAT mappings. Returns the
        wall-clock time (pcap timestamps' clock) when both are in place:
        until the flush, packets may still leave with the old mapping."""
        nat = self.ns("nat")
        self.sh(["ip", "route", "replace", "default", "via", CORE_UP2,
                 "dev", "u2"], nat)
        self.sh(["conntrack", "-F"], nat)
        return time.time()

    def close(self) -> None:
        """Stop every process by PID, then remove every namespace (the veths
        and rules go with them). Never raises."""
        for proc in reversed(self.procs):
            proc.stop()
        for ns in self.namespaces:
            # Anything still running in a namespace of ours was started by
            # this lab (a child that left its process group): by PID.
            try:
                out = subprocess.run(["ip", "netns", "pids", ns],
                                     capture_output=True, timeout=10,
                                     check=False).stdout.decode()
                for pid in out.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (OSError, ValueError):
                        pass
            except (OSError, subprocess.SubprocessError):
                pass
        for ns in reversed(self.namespaces):
            try:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                               timeout=10, check=False)
            except (OSError, subprocess.SubprocessError):
                pass
        self.namespaces.clear()


# --------------------------------------------------------------------------
# Components


def _capture(lab: Lab, role: str, ifname: str, bpf: str, name: str) -> Path:
    path = lab.workdir / f"{name}.pcap"
    proc = lab.start(role, f"tcpdump-{name}",
                     ["tcpdump", "-i", ifname, "-U", "-n", "-s", "512",
                      "-w", path, bpf])
    ok = wait_until(lambda: (not proc.alive()) or "listening on" in
                    proc.stderr_path.read_text(errors="replace"),
                    timeout=10, interval=0.05)
    if not proc.alive() or not ok:
        raise LabError(f"tcpdump in {role} did not start\n{proc.tail()}")
    return path


def _start_relay(lab: Lab, kind: str, binary: str, loglevel: str) -> Proc:
    if kind == "rtpengine":
        argv = [binary, "--config-file=none", "--table=-1",
                f"--interface={RELAY_IP}",
                f"--listen-udp=127.0.0.1:{CTL_PORT}",
                f"--port-min={RELAY_PORT_MIN}", f"--port-max={RELAY_PORT_MAX}",
                "--foreground", "--log-stderr", "--log-level=6",
                "--num-threads=2"]
    else:
        argv = [binary, "-f", "-F", "-s", f"udp:127.0.0.1:{CTL_PORT}",
                "-l", RELAY_IP, "-m", str(RELAY_PORT_MIN),
                "-M", str(RELAY_PORT_MAX), "-d", loglevel]
    relay = lab.start("core", "relay", argv)

    def version():
        if not relay.alive():
            return True
        reply = lab.agent("core", "rtpp", "127.0.0.1", CTL_PORT, "V")["reply"]
        return reply if reply and reply.strip().isdigit() else None
    if not wait_until(version, timeout=10, interval=0.2) or not relay.alive():
        raise LabError(f"{kind} not answering V\n{relay.tail()}")
    return relay


def _start_kamailio(lab: Lab) -> Proc:
    rundir = lab.workdir / "kamailio-run"
    rundir.mkdir(exist_ok=True)
    cfg = render_template(HERE / "kamailio.cfg.in", lab.workdir / "kamailio.cfg", {
        "SIP_IP": PROXY_IP, "SIP_PORT": SIP_PORT, "UAS_IP": CALLEE_IP,
        "UAS_PORT": SIP_PORT, "UAC_IP": CALLER_IP,
        "RELAY_SOCKS": f"udp:127.0.0.1:{CTL_PORT}",
        **ONE_RELAY_TIMERS["rtpproxy"], "MODULES_DIR": KAMAILIO_MODULES})
    kam = lab.start("core", "kamailio", [
        KAMAILIO, "-f", cfg, "-DD", "-E", "-n", "1", "-m", "64", "-M", "8",
        "-Y", rundir, "-P", rundir / "kamailio.pid", "-w", rundir])

    def answers():
        if not kam.alive():
            return True
        return lab.agent("core", "sipping", "127.0.0.1", PROXY_IP,
                         SIP_PORT)["reply"]
    if not wait_until(answers, timeout=15, interval=0.3) or not kam.alive():
        raise LabError(f"Kamailio not answering SIP\n{kam.tail()}")
    return kam


def _start_baresip(lab: Lab, role: str, ip: str, user: str, tone: int,
                   rtp_ports: str) -> Proc:
    confdir = lab.workdir / f"baresip-{role}"
    confdir.mkdir(exist_ok=True)
    # Headless: a sine source, no audio player (the received audio is
    # judged from the capture), PCMU only, no registration, auto-answer.
    (confdir / "config").write_text(
        "poll_method\t\tepoll\n"
        f"sip_listen\t\t{ip}:{SIP_PORT}\n"
        "call_local_timeout\t30\n"
        "call_max_calls\t\t1\n"
        f"audio_source\t\tausine,{tone}\n"
        "audio_player\t\tnone,none\n"
        "audio_alert\t\tnone,none\n"
        "ausrc_srate\t\t48000\n"
        "ausrc_channels\t\t2\n"
        f"rtp_ports\t\t{rtp_ports}\n"
        "rtcp_mux\t\tno\n"
        "jitter_buffer_delay\t0-10\n"
        f"module_path\t\t{BARESIP_MODULES}\n"
        "module\t\t\tg711.so\n"
        "module\t\t\tausine.so\n"
        "module_app\t\taccount.so\n"
        "module_app\t\tmenu.so\n"
        "module_app\t\tctrl_tcp.so\n"
        f"ctrl_tcp_listen\t\t127.0.0.1:{CTRL_PORT}\n")
    (confdir / "accounts").write_text(
        f"<sip:{user}@{PROXY_IP}>;regint=0;answermode=auto;"
        "audio_codecs=pcmu;ptime=20;mwi=no;pubint=0\n")
    (confdir / "contacts").write_text("")
    ua = lab.start(role, f"baresip-{role}", [BARESIP, "-f", confdir, "-v"])

    ready = wait_until(lambda: (not ua.alive()) or
                       _ctrl_listening(lab, role), timeout=10, interval=0.2)
    if not ready or not ua.alive():
        raise LabError(f"baresip in {role} did not start\n{ua.tail()}")
    return ua


def _ctrl_listening(lab: Lab, role: str) -> bool:
    out = lab.sh(["ss", "-Hltn", f"sport = :{CTRL_PORT}"], lab.ns(role),
                 check=False)
    return bool(out.strip())


# --------------------------------------------------------------------------
# The scenario


def run_scenario(kind: str, binary: str, workdir: Path,
                 loglevel: str = "info") -> dict:
    """One call A -> B through the relay, the move, the attacker; returns
    the figures (see nat_pcap.analyse) plus the relay's own counters."""
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict = {"relay": kind, "workdir": str(workdir),
                    "stale_labs_removed": sweep_stale_labs()}
    lab = Lab(workdir)
    try:
        lab.build()
        caps = {
            "caller": _capture(lab, "caller", "c0", "udp", "caller"),
            "callee": _capture(lab, "callee", "b0", "udp", "callee"),
            "public": _capture(lab, "core", "any",
                               f"udp and (host {UPLINK1} or host {UPLINK2})",
                               "public"),
            "attacker": _capture(lab, "attacker", "a0",
                                 f"udp and dst host {ATTACKER_IP}", "attacker"),
        }
        relay = _start_relay(lab, kind, binary, loglevel)
        _start_kamailio(lab)
        _start_baresip(lab, "callee", CALLEE_IP, "b", TONE_B, "12000-12098")
        _start_baresip(lab, "caller", CALLER_IP, "a", TONE_A, "10000-10098")

        dial = lab.agent("caller", "ctrl", CTRL_PORT, "dial",
                         f"sip:b@{PROXY_IP}:{SIP_PORT}")
        result["dial"] = dial

        # The call is up when RTP from the relay reaches both phones.
        def media_both_ways():
            got = [read_udp(caps[r]) for r in ("caller", "callee")]
            return all(any(p.src_ip == RELAY_IP and p.rtp for p in pk)
                       for pk in got)
        if not wait_until(media_both_ways, timeout=15, interval=0.2):
            raise LabError("no RTP from the relay at both phones within 15 s")
        t_media = time.time()

        # The attacker knows the relay's range and, after a while, the
        # call's SSRCs (as if guessed right); it starts before the move and
        # goes on until after the hangup.
        time.sleep(ATTACK_LEAD)
        ssrc_file = workdir / "ssrcs.txt"
        ssrcs = rtp_ssrcs(read_udp(caps["callee"]), RELAY_IP) | \
            rtp_ssrcs(read_udp(caps["caller"]), RELAY_IP)
        ssrc_file.write_text(" ".join(f"0x{s:08x}" for s in sorted(ssrcs)))
        att_cfg = workdir / "attacker.json"
        att_cfg.write_text(json.dumps({
            "ip": ATTACKER_IP, "relay_ip": RELAY_IP,
            "port_min": RELAY_PORT_MIN, "port_max": RELAY_PORT_MAX,
            "duration": PRE_MOVE - ATTACK_LEAD + POST_MOVE + 1.0,
            "pps": 1000, "sources": 4, "seed": 12,
            "ssrc_file": str(ssrc_file)}))
        attacker = lab.start("attacker", "attacker",
                             [PYTHON, AGENT, "attack", att_cfg])

        time.sleep(max(0.0, t_media + PRE_MOVE - time.time()))
        if kind == "rtproam" and relay.alive():
            # What the relay counted before the move, to tell the move's own.
            result["relay_info_before_move"] = lab.agent(
                "core", "rtpp", "127.0.0.1", CTL_PORT, "I")["reply"]
        t_move = lab.move_uplink()
        time.sleep(POST_MOVE)
        result["hangup"] = lab.agent("caller", "ctrl", CTRL_PORT, "hangup")
        t_end = time.time()
        attacker.wait(timeout=10)
        try:
            result["attack"] = json.loads(
                attacker.stdout_path.read_text().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            result["attack"] = {"error": attacker.tail(20)}
        time.sleep(0.5)
        if kind == "rtproam" and relay.alive():
            result["relay_info"] = lab.agent(
                "core", "rtpp", "127.0.0.1", CTL_PORT, "I")["reply"]
        result["relay_alive"] = relay.alive()
    finally:
        lab.close()
        (workdir / "lab-commands.log").write_text("\n".join(lab.log) + "\n")
    result.update(analyse(
        caller=caps["caller"], callee=caps["callee"], public=caps["public"],
        attacker=caps["attacker"], t_media=t_media, t_move=t_move,
        t_end=t_end, ips={"caller": CALLER_IP, "callee": CALLEE_IP,
                          "relay": RELAY_IP, "uplink1": UPLINK1,
                          "uplink2": UPLINK2},
        tones={"caller": TONE_A, "callee": TONE_B}))
    return result


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--relay", choices=("rtproam", "rtpengine"),
                    default="rtproam")
    ap.add_argument("--relay-bin", help="the relay's binary")
    ap.add_argument("--workdir", help="logs and captures [a new temp dir]")
    ap.add_argument("--json", help="write the figures there ('-': stdout)")
    args = ap.parse_args(argv)
    why = need_root_and_netns()
    if why:
        print(f"nat_lab: {why}", file=sys.stderr)
        return 77
    binary = args.relay_bin or shutil.which(args.relay) or args.relay
    if args.workdir:
        workdir = Path(args.workdir)
    else:
        import tempfile
        workdir = Path(tempfile.mkdtemp(prefix=f"nat-lab-{args.relay}-"))
    try:
        res = run_scenario(args.relay, binary, workdir)
    except LabError as e:
        print(f"nat_lab: {e}", file=sys.stderr)
        return 1
    if args.json == "-":
        print(json.dumps(res, indent=1))
    elif args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    print("\n".join(summarise(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
