"""One fixture, two relays: the ng tests run against rtproam and rtpengine.

`ng_relay` is a factory parametrized over ["rtproam", "rtpengine"]:
ng_relay(nports=40, max_calls=None, record_dir=None) starts the relay with
its ng listener on 127.0.0.1, media on 127.0.0.1 and ::1, and returns an
NgRelay whose `.ng` is an NgClient. rtproam is started through conftest's
`rtproam` factory (so it gets the same teardown and sanitizer checks);
rtpengine 10.5 is started here, with no kernel table, and stopped by PID.
The rtpengine variant is skipped when /usr/bin/rtpengine is missing.

Also here: the call set-up helper (`NgCall`) that reads the relay ports out
of the rewritten SDPs, and packet-counting helpers.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ngclient import NgClient, audio_sdp, parse_sdp  # noqa: E402
from rtpp import collect, free_port, parse_rtp  # noqa: E402

RTPENGINE = Path(os.environ.get("RTPENGINE_BINARY", "/usr/bin/rtpengine"))
RELAYS = ["rtproam", "rtpengine"]
RELAY_IP = "127.0.0.1"
RELAY_IP6 = "::1"


def _media_range(nports):
    # conftest's allocator: distinct, currently free ranges above the
    # ephemeral ports. Imported late: conftest is loaded by pytest first.
    import conftest
    return conftest.media_range(nports)


class RtpengineDaemon:
    """rtpengine in the foreground, logging to a file, stopped by PID."""

    def __init__(self, workdir, nports, max_calls=None, record_dir=None):
        self.dir = Path(workdir)
        self.ng_port = free_port()
        self.port_min, self.port_max = _media_range(nports)
        self.stderr = self.dir / "rtpengine.log"
        self.argv = [str(RTPENGINE), "--table=-1", "--foreground", "--config-file=none",
                     "--listen-ng=127.0.0.1:%d" % self.ng_port,
                     "--port-min=%d" % self.port_min, "--port-max=%d" % self.port_max,
                     "--interface=%s" % RELAY_IP, "--interface=%s" % RELAY_IP6,
                     "--num-threads=1", "--log-stderr", "--log-level=7"]
        if max_calls is not None:
            self.argv.append("--max-sessions=%d" % max_calls)
        if record_dir is not None:
            self.argv += ["--recording-dir=%s" % record_dir, "--recording-method=pcap"]
        self.proc = None
        self.returncode = None

    def start(self, timeout=10.0):
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=subprocess.STDOUT)
        ng = NgClient(RELAY_IP, self.ng_port, timeout=0.1, tries=1)
        try:
            deadline = time.monotonic() + timeout
            for _ in range(int(timeout / 0.1) + 1):
                if self.proc.poll() is not None:
                    pytest.fail("rtpengine exited with %s at start-up:\n%s" % (
                        self.proc.returncode, self.describe()))
                try:
                    if ng.request({"command": "ping"}).get("result") == "pong":
                        return self
                except AssertionError:
                    pass
                if time.monotonic() > deadline:
                    break
        finally:
            ng.close()
        pytest.fail("rtpengine did not answer ping:\n%s" % self.describe())

    def stop(self, timeout=10.0):
        if self.proc is None or self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        self.returncode = self.proc.returncode
        return self.returncode

    def describe(self):
        try:
            text = self.stderr.read_text(errors="replace").splitlines()
        except OSError:
            text = []
        return "argv: %s\n--- rtpengine log (last 60 lines)\n%s" % (
            " ".join(self.argv), "\n".join(text[-60:]))


class NgRelay:
    """A running relay of either kind, reached over ng."""

    def __init__(self, kind, daemon, ng_port):
        self.kind = kind
        self.daemon = daemon
        self.ng_port = ng_port
        self.ng = NgClient(RELAY_IP, ng_port)
        self.port_min, self.port_max = daemon.port_min, daemon.port_max

    def __repr__(self):
        return "<NgRelay %s ng=%d>" % (self.kind, self.ng_port)

    def expect(self, table):
        """Pick this relay's value out of a {"rtproam": x, "rtpengine": y}."""
        return table[self.kind]

    def in_range(self, port):
        return self.port_min <= port <= self.port_max

    def offer(self, callid, ftag, sdp, **keys):
        rep = self.ng.ok("offer", call_id=callid, from_tag=ftag, sdp=sdp, **keys)
        return rep, parse_sdp(rep["sdp"])

    def answer(self, callid, ftag, ttag, sdp, **keys):
        rep = self.ng.ok("answer", call_id=callid, from_tag=ftag, to_tag=ttag, sdp=sdp, **keys)
        return rep, parse_sdp(rep["sdp"])

    def query(self, callid, **keys):
        return self.ng.ok("query", call_id=callid, **keys)

    def totals(self, callid):
        t = self.query(callid)["totals"]
        return t["RTP"], t["RTCP"]


@pytest.fixture(params=RELAYS)
def ng_relay(request, workdir):
    kind = request.param
    if kind == "rtpengine" and not RTPENGINE.is_file():
        pytest.skip("rtpengine not installed at %s" % RTPENGINE)
    made = []

    def start(nports=40, max_calls=None, record_dir=None):
        if kind == "rtproam":
            ng_port = free_port()
            extra = ["-6", RELAY_IP6]
            if max_calls is not None:
                extra += ["--max-calls", str(max_calls)]
            if record_dir is not None:
                extra += ["--record-dir", str(record_dir)]
            d = request.getfixturevalue("rtproam")(
                *extra, nports=nports, control=["--ng", "udp:127.0.0.1:%d" % ng_port])
        else:
            sub = workdir / ("e%d" % len(made))
            sub.mkdir()
            d = RtpengineDaemon(sub, nports, max_calls, record_dir)
            # conftest attaches describe() of these to a failed test's report.
            if not hasattr(request.node, "_rtproam_daemons"):
                request.node._rtproam_daemons = []
            request.node._rtproam_daemons.append(d)
            made.append(d)
            d.start()
            ng_port = d.ng_port
        r = NgRelay(kind, d, ng_port)
        made.append(r)
        return r

    yield start

    problems = []
    for x in made:
        if isinstance(x, NgRelay):
            x.ng.close()
        elif isinstance(x, RtpengineDaemon):
            rc = x.stop()
            if rc not in (0, None):
                problems.append("rtpengine exited %r after SIGTERM" % rc)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def relay(ng_relay):
    """One relay of the current kind with default settings."""
    return ng_relay()


# ---------------------------------------------------------------- calls


class NgCall:
    """One offer/answer through the relay. A is the caller (from-tag), B the
    callee (to-tag). `to_b` is the SDP the relay gave B (B sends there),
    `to_a` the SDP it gave A. Destinations are read from those SDPs only."""

    def __init__(self, relay, callid, a, b, ftag="ftag-a", ttag="ttag-b",
                 offer_keys=None, answer_keys=None, a_sdp=None, b_sdp=None):
        self.relay, self.callid, self.a, self.b = relay, callid, a, b
        self.ftag, self.ttag = ftag, ttag
        self.offer_rep, self.to_b = relay.offer(callid, ftag, a_sdp or audio_sdp(a.ip, a.port),
                                                **(offer_keys or {}))
        self.answer_rep, self.to_a = relay.answer(callid, ftag, ttag,
                                                  b_sdp or audio_sdp(b.ip, b.port),
                                                  **(answer_keys or {}))

    # Where each phone sends, for media section i.
    def a_dst(self, i=0):
        m = self.to_a.medias[i]
        return (m.addr, m.port)

    def b_dst(self, i=0):
        m = self.to_b.medias[i]
        return (m.addr, m.port)

    def a_rtcp(self, i=0):
        m = self.to_a.medias[i]
        return (m.rtcp_addr, m.rtcp_port if m.rtcp_port else m.port)

    def b_rtcp(self, i=0):
        m = self.to_b.medias[i]
        return (m.rtcp_addr, m.rtcp_port if m.rtcp_port else m.port)

    def delete(self, **keys):
        return self.relay.ng.ok("delete", call_id=self.callid, from_tag=self.ftag, **keys)


def relayed(got, sender):
    """How many packets in `got` carry one of `sender`'s payloads."""
    sent = set(sender.sent_payloads)
    return sum(1 for d, _ in got if (parse_rtp(d) or {}).get("payload") in sent)


def stream(src, dst, dst_addr, n=20, interval=0.002, timeout=2.0):
    """src sends n RTP to dst_addr; returns what dst's RTP socket got."""
    src.send_rtp(dst_addr, n, interval)
    return dst.recv(n, timeout)


def quiet(phone, timeout=0.3):
    """Datagrams reaching either socket of phone within timeout."""
    return collect(phone.rtp, 1, timeout) + collect(phone.rtcp, 1, 0.01)
