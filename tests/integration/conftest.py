"""Fixtures for the integration tier: the real rtproam daemon on loopback.

`rtproam` is a factory: each call starts one daemon with its own control
port and its own media port range, waits until it answers `V`, and returns a
Daemon. At teardown every daemon the test started is stopped by PID
(SIGTERM, bounded wait, then SIGKILL); the test then fails unless each one
exited 0 and its log and stderr hold no sanitizer report. On any failure the
tails of the daemons' logs are attached to the report.

RTPROAM_BUILD names the build directory (default /work/main/build-integ; see rtpp.BINARY).
"""

import os
import resource
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rtpp import BINARY, Phone, UdpControl, free_port  # noqa: E402

SANITIZER_MARKERS = ("runtime error", "AddressSanitizer", "LeakSanitizer")
LOG_TAIL_LINES = 40

# Media ranges live above Linux's ephemeral ports (32768-60999), so that no
# client socket of ours can sit in a range the daemon counts on. Each daemon
# gets a random range that is free when it starts, so that concurrent runs
# (ctest -j, two developers) rarely meet.
# ctest runs the tier in parts side by side (tests/CMakeLists.txt) and
# gives each part its own slice in RTPROAM_MEDIA_RANGE, so that one part's
# daemons never fragment the space another needs for a big range.
MEDIA_LO, MEDIA_HI = (int(x) for x in os.environ.get("RTPROAM_MEDIA_RANGE",
                                                     "61000-65000").split("-"))
_media_used = []


def _range_free(lo, hi):
    for p in range(lo, hi + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            return False
        finally:
            s.close()
    return True


def media_range(nports):
    """A distinct [min, max] media range of nports ports (min even), not
    used by an earlier daemon of this run."""
    for attempt in range(200):
        lo = MEDIA_LO + 2 * random.randrange(0, (MEDIA_HI - MEDIA_LO - nports) // 2)
        hi = lo + nports - 1
        if any(lo <= u_hi and u_lo <= hi for u_lo, u_hi in _media_used):
            # Earlier daemons are gone; their ranges were only avoided for
            # stray packets still in flight. A big range may need them.
            if len(_media_used) > 30 or attempt >= 20:
                _media_used.clear()
            continue
        if _range_free(lo, hi):
            _media_used.append((lo, hi))
            return lo, hi
    raise RuntimeError("no free media port range")


def tail(path, lines=LOG_TAIL_LINES):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError as e:
        return "(%s: %s)" % (path, e)
    return "\n".join(text[-lines:])


class Daemon:
    """One rtproam process. `ctl` is a UDP control client for it."""

    def __init__(self, workdir, extra=(), nports=40, root_check=False, control=None,
                 nofile=None):
        if not BINARY.is_file():
            pytest.fail("rtproam binary not found at %s (set RTPROAM_BUILD)" % BINARY)
        self.dir = Path(workdir)
        self.ctl_port = free_port()
        self.port_min, self.port_max = media_range(nports)
        self.log = self.dir / "rtproam.log"
        self.stdout = self.dir / "stdout.txt"
        self.stderr = self.dir / "stderr.txt"
        self.argv = [str(BINARY), "-f"]
        if not root_check:
            self.argv.append("-F")
        self.argv += ["-s", "udp:127.0.0.1:%d" % self.ctl_port]
        self.argv += list(control or ())
        self.argv += ["-l", "127.0.0.1", "-m", str(self.port_min), "-M", str(self.port_max),
                      "-d", "debug", "--log", str(self.log)]
        self.argv += list(extra)
        # RTPROAM_EXTRA_ARGS: the same suite with other flags, e.g.
        # "--fast-path ebpf" (root) to run every scenario on the kernel path.
        self.argv += os.environ.get("RTPROAM_EXTRA_ARGS", "").split()
        self.nofile = nofile      # start with this hard and soft RLIMIT_NOFILE
        self.proc = None
        self.ctl = None
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=10.0):
        env = dict(os.environ)
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        limit = None
        if self.nofile is not None:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, env=env,
                                         preexec_fn=limit)
        self.ctl = UdpControl("127.0.0.1", self.ctl_port)
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 1):
            if self.proc.poll() is not None:
                pytest.fail("rtproam exited with %s during start-up\nargv: %s\n"
                            "stderr:\n%s\nlog:\n%s" % (self.proc.returncode,
                                                       " ".join(self.argv),
                                                       tail(self.stderr), tail(self.log)))
            raw = self.ctl.exchange("ready_%d" % self.ctl.sent, "V", tries=1, timeout=0.05)
            if raw is not None:
                assert raw.endswith(b" 20040107\n"), "V answered %r" % raw
                return self
            if time.monotonic() > deadline:
                break
        pytest.fail("rtproam did not answer V within %.0f s\nlog:\n%s" % (timeout, tail(self.log)))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self, timeout=10.0):
        """SIGTERM, wait, SIGKILL if need be. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.returncode = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
                self.returncode = "killed after %.0f s without exiting on SIGTERM" % timeout
        elif self.returncode is None:
            self.returncode = self.proc.returncode
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        return self.returncode

    def logs(self):
        """Every log file of this daemon (a SIGHUP test rotates them) + stderr."""
        files = sorted(self.dir.glob("rtproam.log*"))
        return files + [self.stderr, self.stdout]

    def sanitizer_report(self):
        for f in self.logs():
            try:
                text = f.read_text(errors="replace")
            except OSError:
                continue
            for m in SANITIZER_MARKERS:
                if m in text:
                    return "%s in %s:\n%s" % (m, f, tail(f, 80))
        return None

    def describe(self):
        parts = ["argv: " + " ".join(self.argv)]
        for f in self.logs():
            if f.exists() and f.stat().st_size:
                parts.append("--- %s (last %d lines)\n%s" % (f, LOG_TAIL_LINES, tail(f)))
        return "\n".join(parts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item._rtproam_failed = True
        for i, d in enumerate(getattr(item, "_rtproam_daemons", [])):
            report.sections.append(("rtproam #%d (pid %s)" % (i, d.proc.pid if d.proc else "-"),
                                    d.describe()))


@pytest.fixture
def workdir(request):
    """A short directory under /tmp (unix socket paths must stay < 108 bytes)."""
    d = tempfile.mkdtemp(prefix="rtproam-it-", dir="/tmp")
    os.chmod(d, 0o755)
    yield Path(d)
    if not getattr(request.node, "_rtproam_failed", False):
        shutil.rmtree(d, ignore_errors=True)
    else:
        print("rtproam integration: files kept in %s" % d)


@pytest.fixture
def rtproam(request, workdir):
    """Factory: rtproam(*extra_args, nports=40, root_check=False, control=[...])."""
    daemons = []
    request.node._rtproam_daemons = daemons

    def start(*extra, nports=40, root_check=False, control=None, ready=True, nofile=None):
        sub = workdir / ("d%d" % len(daemons))
        sub.mkdir()
        os.chmod(sub, 0o755)
        d = Daemon(sub, extra, nports=nports, root_check=root_check, control=control,
                   nofile=nofile)
        daemons.append(d)
        if ready:
            d.start()
        return d

    yield start

    problems = []
    for i, d in enumerate(daemons):
        rc = d.stop()
        if d.proc is None:
            continue
        if rc != 0:
            problems.append("rtproam #%d exited %r after SIGTERM (expected 0)" % (i, rc))
        rep = d.sanitizer_report()
        if rep:
            problems.append("rtproam #%d: sanitizer report: %s" % (i, rep))
    if problems:
        # The logs' tails are attached to the report by pytest_runtest_makereport.
        request.node._rtproam_failed = True
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def daemon(rtproam):
    """One daemon with default settings."""
    return rtproam()


@pytest.fixture
def phones():
    """Factory for Phone objects; all are closed at teardown."""
    made = []

    def make(ip, port=None, **kw):
        p = Phone(ip, port, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


# The ng tests' fixtures: `ng_relay` (a factory parametrized over rtproam and
# rtpengine) and `relay` (one relay of that kind). See ngrelay.py.
from ngrelay import ng_relay, relay  # noqa: E402,F401
