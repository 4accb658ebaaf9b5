"""The process: log reopening on SIGHUP, clean exit on SIGTERM, the root
check and dropping privileges."""

import os
import pwd
import signal
import subprocess

import pytest

from rtpp import BINARY, parse_port_reply, poll_until


def test_sighup_reopens_log_and_sigterm_exits_0(daemon):
    ctl = daemon.ctl
    parse_port_reply(ctl("U before-hup@test 127.0.0.2 4000 ft;1"))
    rotated = daemon.log.with_name("rtproam.log.1")
    os.rename(daemon.log, rotated)
    assert not daemon.log.exists()

    daemon.signal(signal.SIGHUP)
    # The next logged event goes to a new file at the configured path.
    appeared = poll_until(lambda: daemon.log.exists() and "SIGHUP" in daemon.log.read_text(),
                          bool, timeout=3.0)
    assert appeared, "no new log file after SIGHUP"
    parse_port_reply(ctl("U after-hup@test 127.0.0.2 4000 ft;1"))
    assert poll_until(lambda: "after-hup@test" in daemon.log.read_text(), bool, timeout=2.0), \
        "a command after SIGHUP was not logged to the new file"
    old = rotated.read_text()
    assert "before-hup@test" in old and "after-hup@test" not in old, \
        "the rotated file still receives log lines"
    assert daemon.alive() and ctl("V") == "20040107"

    # SIGTERM: calls are ended, the process exits 0.
    daemon.signal(signal.SIGTERM)
    rc = daemon.proc.wait(timeout=10)
    assert rc == 0, "exit code %r after SIGTERM" % rc
    log = daemon.log.read_text()
    assert "after-hup@test media 1 ended (shutdown)" in log, "calls not ended at shutdown"
    assert "rtproam stopped" in log


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@root_only
def test_refuses_root_without_user_or_force(workdir):
    argv = [str(BINARY), "-f", "-s", "udp:127.0.0.1:1", "--log", str(workdir / "root.log")]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 2, "exit code %r, stderr %r" % (proc.returncode, err)
    assert b"refusing to run as root" in err, "stderr %r" % err


@root_only
def test_drops_privileges_to_nobody(rtproam):
    nobody = pwd.getpwnam("nobody")
    d = rtproam("-u", "nobody", root_check=True)
    status = open("/proc/%d/status" % d.pid).read()
    uid = next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1:]
    gid = next(l for l in status.splitlines() if l.startswith("Gid:")).split()[1:]
    assert uid == [str(nobody.pw_uid)] * 4, "Uid line %r, want %d x4" % (uid, nobody.pw_uid)
    assert gid == [str(nobody.pw_gid)] * 4, "Gid line %r, want %d x4" % (gid, nobody.pw_gid)
    groups = next(l for l in status.splitlines() if l.startswith("Groups:")).split()[1:]
    assert groups in ([], [str(nobody.pw_gid)]), "supplementary groups kept: %r" % groups
    # Still works unprivileged: new calls bind their ports.
    parse_port_reply(d.ctl("U as-nobody@test 127.0.0.2 4000 ft;1"))
    assert "running as nobody" in d.log.read_text()


def _fd_table_slots(pid):
    """FDSize in /proc/PID/status: the slots of the process's descriptor table."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("FDSize:"):
                return int(line.split()[1])
    raise AssertionError("no FDSize in /proc/%d/status" % pid)


def test_descriptor_table_is_sized_for_the_port_range_at_start(rtproam):
    # A table that grows under load makes the control thread wait for an
    # RCU grace period (the kernel's expand_files in a threaded process):
    # sized at start-up, the port range's sockets never grow it.
    nports = 1000  # within its ctest part's media slice (3000 ports)
    d = rtproam(nports=nports)
    slots = _fd_table_slots(d.pid)
    assert slots >= nports + 64
    # Sized to the range (the kernel rounds up to a power of two), not to
    # the descriptor limit, which may be a million.
    assert slots <= 2 * (nports + 64)
