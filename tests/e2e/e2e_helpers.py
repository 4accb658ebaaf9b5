"""Helpers for the rtproam end-to-end tier (Kamailio + sipp + relay).

Everything here is bounded: every wait has a deadline, every loop a count,
and every process started through Proc is stopped by its PID.  Only loopback
addresses are used.
"""

from __future__ import annotations

import os
import random
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Lines for the end-of-run report (conftest.pytest_terminal_summary).
SUMMARY: list[str] = []


# --------------------------------------------------------------------------
# Ports


def free_udp_port(ip: str) -> int:
    """A UDP port the kernel considers free on ip right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def udp_ports_free(ip: str, ports) -> bool:
    socks = []
    try:
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def first_busy_port(ip: str, ports) -> int | None:
    """The first port of `ports` that cannot be bound on ip, or None."""
    socks = []
    try:
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            try:
                s.bind((ip, port))
            except OSError:
                return port
        return None
    finally:
        for s in socks:
            s.close()


def pick_port_block(ip: str, size: int, lo: int = 20000, hi: int = 60000,
                    tries: int = 64, taken=()) -> int:
    """An even base port such that [base, base+size) is free on ip and does
    not overlap any (start, size) block in taken. Random first (so parallel
    runs spread out), then a scan that jumps past every busy port, so a
    machine full of other sockets still yields a block if one exists."""
    rng = random.Random()

    def clash(base):
        return any(base < t0 + tsz and t0 < base + size for t0, tsz in taken)

    for _ in range(tries):
        base = rng.randrange(lo, hi - size) & ~1
        if not clash(base) and udp_ports_free(ip, range(base, base + size)):
            return base
    base = lo + (lo & 1)
    while base + size <= hi:
        if clash(base):
            base += 2
            continue
        busy = first_busy_port(ip, range(base, base + size))
        if busy is None:
            return base
        base = (busy + 2) & ~1
    raise RuntimeError(f"no free block of {size} UDP ports on {ip}")


# --------------------------------------------------------------------------
# Processes


def _pids_in_process_group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Field 5 is the process group; comm (field 2) may contain spaces.
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) > 2 and int(rest[2]) == pgid and rest[0] != "Z":
            pids.append(int(entry))
    return pids


class Proc:
    """A child process with stdout/stderr in files, in its own session so that
    any helpers it forks (Kamailio's workers) can be found by process group
    and stopped by PID if the main process leaves them behind."""

    def __init__(self, name: str, argv: list[str], logdir: Path,
                 cwd: Path | None = None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.stdout_path = logdir / f"{name}.stdout"
        self.stderr_path = logdir / f"{name}.stderr"
        (logdir / f"{name}.cmdline").write_text(" ".join(self.argv) + "\n")
        with open(self.stdout_path, "wb") as out, \
                open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=str(cwd) if cwd else None, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self):
        return self.popen.poll()

    def wait(self, timeout: float):
        """Wait up to timeout seconds; returns the exit code or None."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 5.0) -> None:
        """terminate, wait, kill; then the same for anything left in the
        process group (by PID).  Never raises."""
        try:
            if self.popen.poll() is None:
                self.popen.terminate()
                if self.wait(timeout) is None:
                    self.popen.kill()
                    self.wait(timeout)
        except OSError:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = _pids_in_process_group(self.pid)
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            for _ in range(50):
                if not _pids_in_process_group(self.pid):
                    break
                time.sleep(0.05)

    def tail(self, lines: int = 80) -> str:
        out = []
        for path in (self.stderr_path, self.stdout_path):
            out.append(f"--- {path.name} (last {lines} lines) ---")
            out.append(tail_file(path, lines))
        return "\n".join(out)


def tail_file(path: Path, lines: int = 80) -> str:
    try:
        data = Path(path).read_text(errors="replace").splitlines()
    except OSError as e:
        return f"<{e}>"
    return "\n".join(data[-lines:])


def wait_until(pred, timeout: float, interval: float = 0.05):
    """Poll pred() until it returns a truthy value or timeout passes;
    returns the last value."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
    return pred()


# --------------------------------------------------------------------------
# rtpproxy control protocol (UDP)


_cookie_seq = 0
_cookie_lock = threading.Lock()


def _cookie() -> str:
    global _cookie_seq
    with _cookie_lock:
        _cookie_seq += 1
        return f"e2e{os.getpid()}_{_cookie_seq}"


def rtpp_command(addr: tuple[str, int], command: str, timeout: float = 1.0,
                 tries: int = 3) -> str | None:
    """Send '<cookie> command', return the reply without the cookie, or None
    if no matching reply came within tries * timeout seconds."""
    cookie = _cookie()
    payload = f"{cookie} {command}".encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(payload, addr)
            deadline = time.monotonic() + timeout
            for _ in range(64):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data, _src = s.recvfrom(65535)
                except socket.timeout:
                    break
                text = data.decode(errors="replace")
                head, _, body = text.partition(" ")
                if head == cookie:
                    return body
    return None


_INFO_RE = re.compile(r"^\s*([a-z][a-z ]*?)\s*:\s*(\d+)\s*$", re.M)


def parse_info(reply: str) -> dict[str, int]:
    """Counters from an rtpproxy 'I' reply (sippy format: 'sessions
    created: N', 'active sessions: N', 'active streams: N', 'packets
    received: N', 'packets transmitted: N', and whatever else the relay
    adds in the same 'name: number' shape)."""
    return {k: int(v) for k, v in _INFO_RE.findall(reply)}


class ControlTap(threading.Thread):
    """A UDP forwarder between Kamailio and the relay's control socket that
    records every command and reply (rtpproxy or ng: both put the cookie
    before the first space).  Kamailio talks to (listen_ip,
    listen_port); the tap talks to the relay from its own socket and routes
    each reply back by cookie."""

    def __init__(self, listen_ip: str, listen_port: int,
                 relay: tuple[str, int]):
        super().__init__(name="rtpp-control-tap", daemon=True)
        self.relay = relay
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((listen_ip, listen_port))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.front.setblocking(False)
        self.back.setblocking(False)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.transcript: list[tuple[float, str, str]] = []
        self.raw: list[tuple[float, str, bytes]] = []
        self._clients: dict[str, tuple[str, int]] = {}
        self.t0 = time.monotonic()

    def run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.front, selectors.EVENT_READ, "cmd")
        sel.register(self.back, selectors.EVENT_READ, "reply")
        try:
            while not self.stop_event.is_set():
                for key, _ in sel.select(timeout=0.1):
                    for _ in range(256):
                        try:
                            data, src = key.fileobj.recvfrom(65535)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break
                        self._handle(key.data, data, src)
        finally:
            sel.close()

    def _handle(self, kind: str, data: bytes, src):
        text = data.decode(errors="replace")
        cookie = text.split(" ", 1)[0]
        t = time.monotonic() - self.t0
        with self.lock:
            self.transcript.append((t, kind, text))
            self.raw.append((t, kind, bytes(data)))
        try:
            if kind == "cmd":
                self._clients[cookie] = src
                self.back.sendto(data, self.relay)
            else:
                dst = self._clients.get(cookie)
                if dst is not None:
                    self.front.sendto(data, dst)
        except OSError:
            pass

    def stop(self):
        self.stop_event.set()
        self.join(timeout=2)
        self.front.close()
        self.back.close()

    def records(self) -> list[tuple[float, str, str]]:
        with self.lock:
            return list(self.transcript)

    def raw_records(self) -> list[tuple[float, str, bytes]]:
        """As records(), with the datagrams as bytes (for bencode)."""
        with self.lock:
            return list(self.raw)

    def dump(self, path: Path) -> None:
        with open(path, "w") as f:
            for t, kind, text in self.records():
                arrow = "K->R" if kind == "cmd" else "R->K"
                f.write(f"{t:9.3f} {arrow} {text.rstrip()!r}\n")


# --------------------------------------------------------------------------
# RTP sinks: stand in for the endpoints' receive side


class RtpSinks(threading.Thread):
    """Bound UDP sockets on the ports the sipp endpoints advertise in their
    SDP (sipp sends RTP from a raw socket and does not read these ports), so
    that everything the relay delivers to an endpoint is counted."""

    def __init__(self, endpoints: list[tuple[str, int]]):
        super().__init__(name="rtp-sinks", daemon=True)
        self.socks = []
        self.counts: dict[tuple[str, int], int] = {}
        self.sizes: dict[int, int] = {}
        self.sources: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        for ep in endpoints:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(ep)
            s.setblocking(False)
            self.socks.append(s)
            self.counts[ep] = 0

    def run(self):
        sel = selectors.DefaultSelector()
        for s in self.socks:
            sel.register(s, selectors.EVENT_READ, s.getsockname())
        try:
            while not self.stop_event.is_set():
                for key, _ in sel.select(timeout=0.1):
                    for _ in range(1024):
                        try:
                            data, src = key.fileobj.recvfrom(65535)
                        except (BlockingIOError, InterruptedError, OSError):
                            break
                        with self.lock:
                            self.counts[key.data] += 1
                            self.sizes[len(data)] = \
                                self.sizes.get(len(data), 0) + 1
                            self.sources[src] = self.sources.get(src, 0) + 1
        finally:
            sel.close()

    def total(self, ip: str | None = None) -> int:
        with self.lock:
            return sum(n for (a, _p), n in self.counts.items()
                       if ip is None or a == ip)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=2)
        for s in self.socks:
            s.close()


# --------------------------------------------------------------------------
# pcap


@dataclass
class PcapInfo:
    udp_packets: int
    udp_payload_sizes: dict[int, int] = field(default_factory=dict)
    duration: float = 0.0


def parse_pcap(path: str | Path) -> PcapInfo:
    """Count the UDP packets in a classic (libpcap) capture file."""
    data = Path(path).read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a libpcap file (pcapng unsupported)")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    info = PcapInfo(udp_packets=0)
    first = last = None
    for _ in range(10_000_000):
        if off + 16 > len(data):
            break
        sec, frac, incl, _orig = struct.unpack(endian + "IIII",
                                               data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        first = ts if first is None else first
        last = ts
        ip = _l3(linktype, pkt)
        if ip is None or len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        udp_len = struct.unpack(">H", ip[ihl + 4:ihl + 6])[0]
        info.udp_packets += 1
        size = udp_len - 8
        info.udp_payload_sizes[size] = info.udp_payload_sizes.get(size, 0) + 1
    info.duration = (last - first) if first is not None else 0.0
    return info


def pcap_head(src: str | Path, dst: Path, packets: int) -> Path:
    """Write the first `packets` records of a classic pcap to dst (a
    shorter play for a test whose calls need only a few seconds of
    media)."""
    data = Path(src).read_bytes()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1",
                                 b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    for _ in range(packets):
        if off + 16 > len(data):
            break
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
    dst.write_bytes(data[:off])
    return dst


def _l3(linktype: int, pkt: bytes) -> bytes | None:
    if linktype == 1:  # Ethernet, maybe one 802.1Q tag
        ethertype = struct.unpack(">H", pkt[12:14])[0]
        if ethertype == 0x8100:
            return pkt[18:] if pkt[16:18] == b"\x08\x00" else None
        return pkt[14:] if ethertype == 0x0800 else None
    if linktype == 113:  # Linux cooked
        return pkt[16:] if pkt[14:16] == b"\x08\x00" else None
    if linktype in (101, 228):  # raw IP / raw IPv4
        return pkt
    if linktype == 0:  # BSD loopback
        return pkt[4:]
    return None


# --------------------------------------------------------------------------
# sipp output


def sipp_final_stats(csv_path: Path) -> dict[str, str]:
    """The last row of a sipp -trace_stat CSV as {column: value}."""
    lines = [l for l in Path(csv_path).read_text(errors="replace").splitlines()
             if l.strip()]
    if len(lines) < 2:
        return {}
    header = lines[0].rstrip(";").split(";")
    row = lines[-1].rstrip(";").split(";")
    return dict(zip(header, row))


_MSG_SEP = re.compile(r"^-{10,} .*$", re.M)


def sipp_messages(log_path: Path) -> list[tuple[str, str]]:
    """(direction, message) pairs from a sipp -trace_msg file; direction is
    'recv' or 'sent'."""
    try:
        text = Path(log_path).read_text(errors="replace")
    except OSError:
        return []
    out = []
    for chunk in _MSG_SEP.split(text):
        chunk = chunk.strip("\r\n")
        if not chunk:
            continue
        head, _, msg = chunk.partition("\n")
        if "message received" in head:
            out.append(("recv", msg.strip("\r\n")))
        elif "message sent" in head:
            out.append(("sent", msg.strip("\r\n")))
    return out


def sdp_media(message: str) -> tuple[str | None, int | None]:
    """(c= address, m=audio port) of a SIP message's SDP body."""
    c = re.search(r"^c=IN IP4 ([0-9.]+)\s*$", message, re.M)
    m = re.search(r"^m=audio (\d+) ", message, re.M)
    return (c.group(1) if c else None, int(m.group(1)) if m else None)


@dataclass
class CallSdp:
    call_id: str
    c: str | None
    m: int | None
    o: str | None


def call_sdp(message: str) -> CallSdp:
    """Call-ID and the c=, m=audio port and o= address of a SIP message's
    SDP body."""
    cid = re.search(r"^Call-ID:\s*(\S+)", message, re.M | re.I)
    c = re.search(r"^c=IN IP4 ([0-9.]+)\s*$", message, re.M)
    m = re.search(r"^m=audio (\d+) ", message, re.M)
    o = re.search(r"^o=\S+ \S+ \S+ IN IP4 ([0-9.]+)\s*$", message, re.M)
    return CallSdp(cid.group(1) if cid else "", c.group(1) if c else None,
                   int(m.group(1)) if m else None, o.group(1) if o else None)


# --------------------------------------------------------------------------
# Shared by the Kamailio tests


# The timer placeholders of kamailio.cfg.in / kamailio-ng.cfg.in for a test
# with one relay: a generous timeout (seconds for rtpproxy_tout in 5.6,
# milliseconds for rtpengine_tout_ms) so that a busy CI box does not mark
# the relay dead, a short disable time so that one slow answer does not
# lose the rest of the run.
ONE_RELAY_TIMERS = {
    "rtpproxy": {"TOUT": 2, "RETR": 3, "DISABLE_TOUT": 5},
    "rtpengine": {"TOUT": 2000, "RETR": 3, "DISABLE_TOUT": 5},
}


def render_template(template: Path, out: Path, values: dict) -> Path:
    """Copy template to out with every @KEY@ replaced; fails if any
    placeholder is left."""
    text = template.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, f"{template.name}: unfilled placeholders {left}"
    out.write_text(text)
    return out


def sip_ping(src_ip: str, ip: str, port: int) -> str | None:
    """One OPTIONS to a SIP server; the first line of its answer, if any."""
    branch = f"z9hG4bK-e2e-{time.monotonic_ns()}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((src_ip, 0))
        lport = s.getsockname()[1]
        msg = (f"OPTIONS sip:ping@{ip}:{port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {src_ip}:{lport};branch={branch}\r\n"
               f"From: <sip:e2e@{src_ip}>;tag=e2e\r\n"
               f"To: <sip:ping@{ip}>\r\n"
               f"Call-ID: {branch}@e2e\r\nCSeq: 1 OPTIONS\r\n"
               "Max-Forwards: 5\r\nContent-Length: 0\r\n\r\n")
        s.settimeout(0.3)
        s.sendto(msg.encode(), (ip, port))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            return None
        return data.decode(errors="replace").split("\r\n", 1)[0]


def ephemeral_port_low(floor: int) -> int:
    """The bottom of the kernel's ephemeral port range, at least floor."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range")
                  .read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(low, floor)


def sipp_call_counts(stats: dict[str, str]) -> tuple[int, int]:
    """(successful, failed) calls from sipp_final_stats()."""
    def num(key):
        try:
            return int(stats.get(key, "0") or 0)
        except ValueError:
            return 0
    return num("SuccessfulCall(C)"), num("FailedCall(C)")


def sanitizer_reports(path: Path) -> list[str]:
    """ASan/UBSan/LSan report lines in a process's stderr (an ASan build
    under ctest reports there, at exit for leaks)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return []
    return [l for l in text.splitlines()
            if re.search(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|"
                         r"runtime error:|SUMMARY: \w+Sanitizer", l)]


# --------------------------------------------------------------------------
# What the Kamailio + sipp tests need (test_kamailio_sipp.py,
# test_kamailio_rtpengine.py): the same relay binary, the same tools.

REPO = Path(__file__).resolve().parent.parent.parent
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"


def relay_binary(kind: str) -> str:
    """The relay under test: rtpengine from the system, or rtproam from
    $RTPROAM_BUILD (else build/); skips or fails with the reason."""
    import pytest
    if kind == "rtpengine":
        path = shutil.which("rtpengine")
        if not path:
            pytest.skip("RTPROAM_E2E_RELAY=rtpengine but rtpengine is not "
                        "installed (apt-get install rtpengine-daemon)")
        return path
    if kind != "rtproam":
        pytest.fail(f"RTPROAM_E2E_RELAY={kind!r}: want rtproam or rtpengine")
    build = os.environ.get("RTPROAM_BUILD")
    if build:
        path = Path(build) / "src" / "rtproam"
        if not os.access(path, os.X_OK):
            pytest.fail(f"RTPROAM_BUILD={build} but {path} is not executable")
        return str(path)
    path = REPO / "build" / "src" / "rtproam"
    if not os.access(path, os.X_OK):
        pytest.skip("RTPROAM_BUILD not set and no build/src/rtproam")
    return str(path)


def sipp_prerequisites(modules, pcap: str) -> None:
    """Kamailio with these modules, sipp, the pcap both sides play, and
    root (sipp's play_pcap_audio sends from a raw socket): else skip."""
    import pytest
    for tool in (KAMAILIO, SIPP):
        if not os.access(tool, os.X_OK):
            pytest.skip(f"{tool} not installed (apt-get install kamailio "
                        "sip-tester)")
    for mod in modules:
        if not Path(KAMAILIO_MODULES, mod).exists():
            pytest.skip(f"no {mod} in {KAMAILIO_MODULES}")
    if not Path(pcap).is_file():
        pytest.skip(f"pcap {pcap} missing")
    if os.geteuid() != 0:
        pytest.skip("sipp's play_pcap_audio sends from a raw socket: "
                    "needs root (CAP_NET_RAW)")
