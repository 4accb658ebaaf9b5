"""The eBPF fast path (--fast-path ebpf, issue 13) in network namespaces.

    relay ns  r0 198.18.0.1/24 ==veth== p0  phones ns
              rtproam                       198.18.0.2 phone A
              (tc program on r0)            198.18.0.3 phone B
                                            198.18.0.4 attacker
                                            198.18.0.5 phone A after a move

The phones (fastpath_agent.py) run in their namespace; the relay is driven
over a unix control socket, which the namespaces share with the test. Every
namespace is removed and every process stopped by PID even when a test
fails (Lab.close). Root only; skipped where the program cannot be attached
(no kernel 6.6+, a build without RTPROAM_EBPF).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

from e2e_helpers import (relay_binary, sanitizer_reports,  # noqa: E402
                         tail_file, wait_until)
from nat_lab import PYTHON, Lab  # noqa: E402
from rtpp import make_call, parse_info, unix_command  # noqa: E402

AGENT = HERE / "fastpath_agent.py"
RELAY_IP, A_IP, B_IP = "198.18.0.1", "198.18.0.2", "198.18.0.3"
ATTACKER_IP, MOVED_IP = "198.18.0.4", "198.18.0.5"
A_PORT, B_PORT = 7000, 7002
SSRC_A, SSRC_B = 0x0A0A0A0A, 0x0B0B0B0B
ATTACHED = "fast path: eBPF program attached"


class FastLab(Lab):
    """Two namespaces and one veth pair; Lab's process and cleanup code."""

    def build(self) -> None:
        for role in ("relay", "phones"):
            self.sh(["ip", "netns", "add", self.ns(role)])
            self.namespaces.append(self.ns(role))
            self.sh(["ip", "link", "set", "lo", "up"], self.ns(role))
        self.sh(["ip", "link", "add", "r0", "netns", self.ns("relay"), "type",
                 "veth", "peer", "p0", "netns", self.ns("phones")])
        self.sh(["ip", "addr", "add", RELAY_IP + "/24", "dev", "r0"],
                self.ns("relay"))
        for ip in (A_IP, B_IP, ATTACKER_IP, MOVED_IP):
            self.sh(["ip", "addr", "add", ip + "/24", "dev", "p0"],
                    self.ns("phones"))
        for role, ifname in (("relay", "r0"), ("phones", "p0")):
            self.sh(["ip", "link", "set", ifname, "up"], self.ns(role))

    def relay(self, name: str, fast_path: str = "ebpf", extra=()):
        """rtproam with the fast path; waits until it answers V."""
        sock = self.workdir / f"{name}.sock"
        log = self.workdir / f"{name}.log"
        proc = self.start("relay", name, [
            relay_binary("rtproam"), "-f", "-F", "--fast-path", fast_path,
            "-l", RELAY_IP, "-s", f"unix:{sock}", "-m", "30000", "-M", "30099",
            "-d", "info", "--log", str(log), *extra])
        up = wait_until(lambda: sock.exists() and
                        ctl(sock, "V").startswith("20040107"), 10)
        assert up, f"{name} did not answer V\n" + tail_file(log)
        if fast_path == "ebpf" and ATTACHED not in log.read_text():
            self.close()
            pytest.skip("the fast path did not attach here: " + tail_file(log, 5))
        return proc, sock, log

    def phones(self, **cfg) -> dict:
        path = self.workdir / "agent.json"
        path.write_text(json.dumps(cfg))
        out = self.sh([PYTHON, str(AGENT), str(path)], self.ns("phones"),
                      timeout=60)
        return json.loads(out.strip().splitlines()[-1])


def ctl(sock: Path, command: str) -> str:
    try:
        return unix_command(str(sock), command).strip()
    except OSError:
        return ""


@pytest.fixture
def lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and a tc program")
    lab = FastLab(tmp_path, tag=f"rf{os.getpid()}")
    try:
        lab.build()
        yield lab
    finally:
        lab.close()
    # An ASan build reports at exit, so after close() stopped the relays.
    for proc in lab.procs:
        assert not sanitizer_reports(proc.stderr_path), proc.tail()


def call(sock: Path, callid: str) -> tuple[int, int]:
    """U from A, L from B (PCMU): the relay ports A and B send to."""
    c = make_call(lambda command: ctl(sock, command), callid,
                  SimpleNamespace(ip=A_IP, port=A_PORT),
                  SimpleNamespace(ip=B_IP, port=B_PORT), mods="c0",
                  relay_ip=RELAY_IP)
    return c.a_port, c.b_port


def agent_cfg(port_a: int, port_b: int, count: int, **extra) -> dict:
    cfg = dict(relay_ip=RELAY_IP, relay_a=port_a, relay_b=port_b,
               a_ip=A_IP, a_port=A_PORT, b_ip=B_IP, b_port=B_PORT,
               ssrc_a=SSRC_A, ssrc_b=SSRC_B, count=count, pps=50)
    cfg.update(extra)
    return cfg


def settled_info(sock: Path) -> dict:
    """I once the workers folded the kernel's counters (once a second)."""
    last = {}

    def same_twice():
        nonlocal last
        info = parse_info(ctl(sock, "I"))
        ok = info == last and info.get("active sessions") == 0
        last = info
        return ok
    wait_until(same_twice, 5, interval=1.2)
    return last


def test_call_goes_through_the_kernel_and_counts_stay_exact(lab):
    _, sock, _ = lab.relay("relay")
    port_a, port_b = call(sock, "fp1")
    res = lab.phones(**agent_cfg(port_a, port_b, 250))
    ctl(sock, "D fp1 ft")
    info = settled_info(sock)
    sent = res["sent"]["a"] + res["sent"]["b"]
    assert res["got"]["b"] == res["sent"]["a"], res
    assert res["got"]["a"] == res["sent"]["b"], res
    assert info["packets received"] == sent, info
    assert info["packets transmitted"] == sent, info
    assert info["packets dropped"] == 0, info
    # Nearly all: the first packet of each stream verifies it on the socket.
    assert info["fast path packets"] >= sent * 9 // 10, info
    assert info["fast path streams"] == 0, info


@pytest.mark.parametrize("fast_path", ["ebpf", "off"])
def test_move_and_attackers_while_packets_flow(lab, fast_path):
    _, sock, _ = lab.relay("relay", fast_path)
    port_a, port_b = call(sock, "fp2")
    # Blind attackers (they do not see the media, the threat the latch
    # answers): A's SSRC (from an old report, say) with sequence numbers
    # that do not continue A's, while A talks; then one with its own SSRC
    # after the move. Neither may win, with or without the fast path.
    attackers = [
        dict(ip=ATTACKER_IP, port=A_PORT, same_ssrc=True, ssrc=0,
             seq_offset=20000, **{"from": 40, "count": 40}),
        dict(ip=ATTACKER_IP, port=A_PORT + 10, same_ssrc=False,
             ssrc=0x0DEAD000, seq_offset=0, **{"from": 150, "count": 50}),
    ]
    res = lab.phones(**agent_cfg(port_a, port_b, 250, move_ip=MOVED_IP,
                                 move_at=100, attackers=attackers))
    ctl(sock, "D fp2 ft")
    info = settled_info(sock)
    got = res["got"]
    assert res["attack_at_b"] == 0, res
    assert info["handovers"] == 1, info
    # The map followed A: B's stream reaches A's new address...
    assert got["a_moved"] >= res["sent"]["b"] - 100 - 5, res
    # ...and nothing stale went to the old one after the move.
    assert got["a"] <= 100 + 5, res
    assert got["a"] + got["a_moved"] >= res["sent"]["b"] - 5, res
    # Every attacker datagram reached the latch and was dropped there.
    assert info["packets dropped"] >= res["sent"]["attack"], info
    assert info["packets received"] == res["sent"]["a"] + res["sent"]["b"] + \
        res["sent"]["attack"], info
    if fast_path == "ebpf":
        assert info["fast path packets"] > 0, info


def test_nothing_forwards_after_kill_9(lab):
    proc, sock, _ = lab.relay("relay")
    port_a, port_b = call(sock, "fp3")
    before = lab.phones(**agent_cfg(port_a, port_b, 100))
    assert before["got"]["b"] == before["sent"]["a"], before
    assert parse_info(ctl(sock, "I"))["fast path streams"] == 2
    proc.popen.kill()
    assert proc.wait(10) is not None
    after = lab.phones(**agent_cfg(port_a, port_b, 100, seq0=1100))
    assert after["got"] == {"a": 0, "b": 0}, after
    # A new instance starts clean: no entry of the old one forwards.
    lab.relay("relay2")
    again = lab.phones(**agent_cfg(port_a, port_b, 100, seq0=1200))
    assert again["got"] == {"a": 0, "b": 0}, again


def hold_resume_delete(lab: FastLab, fast_path: str, callid: str) -> list:
    """Phases of 50 packets each way: talking, A re-offers c=0.0.0.0 (the
    rtpproxy protocol's hold, which leaves a latched peer in place), A
    re-offers its address, the call deleted. What the phones got in each,
    and I after each."""
    proc, sock, _ = lab.relay(f"relay-{fast_path}", fast_path)
    port_a, port_b = call(sock, callid)
    steps = [None, f"Uc0 {callid} 0.0.0.0 {A_PORT} ft;1 tt;1",
             f"Uc0 {callid} {A_IP} {A_PORT} ft;1 tt;1", f"D {callid} ft"]
    out = []
    for n, step in enumerate(steps):
        if step:
            assert ctl(sock, step), step
        res = lab.phones(**agent_cfg(port_a, port_b, 50, seq0=1000 + 50 * n))
        info = settled_info(sock) if step and step.startswith("D") else \
            parse_info(ctl(sock, "I"))
        out.append((res["got"], {k: info.get(k) for k in (
            "packets received", "packets transmitted", "packets dropped")}))
    proc.stop()
    return out


def test_hold_resume_delete_same_on_both_paths(lab):
    fast = hold_resume_delete(lab, "ebpf", "fp4")
    socket_only = hold_resume_delete(lab, "off", "fp5")
    # What the phones got, phase by phase, is the same on both paths.
    assert [g for g, _ in fast] == [g for g, _ in socket_only], (fast, socket_only)
    talking, held, resumed, deleted = (g for g, _ in fast)
    assert talking == {"a": 50, "b": 50}, fast
    assert held == talking, fast           # the latch keeps its peer
    assert resumed == {"a": 50, "b": 50}, fast
    assert deleted == {"a": 0, "b": 0}, fast
    # The relay's counters at the end are the same too.
    assert fast[-1][1] == socket_only[-1][1], (fast, socket_only)


def test_timeout_while_the_kernel_carries_the_call(lab):
    """-T 2: packets carried by the kernel keep the call alive (the worker
    folds their last arrival into the TTL); when they stop, it times out
    and nothing forwards afterwards."""
    _, sock, _ = lab.relay("relay", extra=("-T", "2"))
    port_a, port_b = call(sock, "fp6")
    res = lab.phones(**agent_cfg(port_a, port_b, 200))     # 4 s > TTL
    assert res["got"] == {"a": 200, "b": 200}, res
    info = parse_info(ctl(sock, "I"))
    assert info["sessions timed out"] == 0, info
    assert info["fast path packets"] >= 360, info
    assert wait_until(lambda: parse_info(ctl(sock, "I"))["sessions timed out"]
                      == 1, 10), parse_info(ctl(sock, "I"))
    after = lab.phones(**agent_cfg(port_a, port_b, 50, seq0=1200))
    assert after["got"] == {"a": 0, "b": 0}, after
    assert parse_info(ctl(sock, "I"))["fast path streams"] == 0


def test_unprivileged_service_after_attach(lab):
    """The systemd shape: not root, CAP_BPF and CAP_NET_ADMIN as ambient
    capabilities (capsh stands in for systemd). The relay attaches, drops
    them, and the workers still write and read the map."""
    capsh = shutil.which("capsh")
    if not capsh:
        pytest.skip("capsh not installed (libcap2-bin)")
    # nobody must reach the control socket and the binary.
    run = Path(tempfile.mkdtemp(prefix="rtproam-fastpath-"))
    try:
        os.chmod(run, 0o777)
        sock = run / "ctl.sock"
        binary = relay_binary("rtproam")
        proc = lab.start("relay", "relay-nobody", [
            capsh, "--caps=cap_bpf,cap_net_admin,cap_setuid,cap_setgid,"
            "cap_setpcap+eip", "--keep=1", "--user=nobody",
            "--addamb=cap_bpf,cap_net_admin", "--", "-c",
            f"exec {binary} -f --fast-path ebpf -l {RELAY_IP} -s unix:{sock}"
            " -m 30000 -M 30099 -d info"])
        if not wait_until(lambda: sock.exists(), 10):
            pytest.skip("the relay did not start as nobody (is the build "
                        "directory readable by others?)\n" + proc.tail())
        if ATTACHED not in proc.stderr_path.read_text():
            pytest.skip("the fast path did not attach here")
        port_a, port_b = call(sock, "fp7")
        res = lab.phones(**agent_cfg(port_a, port_b, 100))
        info = parse_info(ctl(sock, "I"))
        log = proc.stderr_path.read_text()
        assert "capabilities dropped" in log, log
        assert res["got"] == {"a": 100, "b": 100}, res
        assert info["fast path streams"] == 2, info
        assert info["fast path packets"] >= 180, info
        proc.stop()
    finally:
        shutil.rmtree(run, ignore_errors=True)
