"""The config file (-c) on the real daemon: it is read, flags override it,
a bad one stops the daemon with the file and line, the shipped example
works, and a daemon started as root binds first and then drops to the
file's user.

Each daemon comes from the conftest's `rtproam` factory (ready=False), so
it gets the same teardown: SIGTERM, exit 0, no sanitizer report; only its
argv is replaced by `-c FILE [flags]`.
"""

import os
import pwd
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import media_range
from rtpp import BINARY, UdpControl, free_port, parse_port_reply, unix_command

EXAMPLE = Path(__file__).resolve().parents[2] / "packaging" / "rtproam.conf.example"


def write_conf(d, extra="", control=None, ports=None):
    """A config file for daemon d: its control port, media range and log."""
    lo, hi = ports or (d.port_min, d.port_max)
    lines = [
        "; written by test_config_file.py",
        "[rtproam]",
        "listen = 127.0.0.1",
        "port-min = %d" % lo,
        "port-max = %d" % hi,
        "control = %s" % (control or "udp:127.0.0.1:%d" % d.ctl_port),
        "log = %s" % d.log,
        "log-level = debug",
        "foreground = yes",
        "no-root-check = yes",
    ]
    path = d.dir / "rtproam.conf"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def offer_port(ctl, callid):
    port, addr, _ = parse_port_reply(ctl("U %s 127.0.0.2 4000 ft;1" % callid))
    assert addr == "127.0.0.1", addr
    return port


def test_daemon_reads_the_file(rtproam):
    d = rtproam(ready=False)
    unix_path = d.dir / "ctl.sock"
    conf = write_conf(d, extra="control = unix:%s\nhandover = ssrc\n" % unix_path)
    d.argv = [str(BINARY), "-c", str(conf)]
    d.start()  # waits for V on the file's control port
    for i in range(5):
        port = offer_port(d.ctl, "file-%d@test" % i)
        assert d.port_min <= port <= d.port_max, \
            "port %d outside the file's range %d-%d" % (port, d.port_min, d.port_max)
    # The repeated control key: the unix socket answers too.
    assert unix_command(str(unix_path), "V").strip() == "20040107"
    log = d.log.read_text()
    assert "ports %d-%d, handover ssrc" % (d.port_min, d.port_max) in log, log[-2000:]


def test_flags_override_the_file(rtproam):
    d = rtproam(ready=False)
    conf = write_conf(d)
    lo, hi = media_range(40)
    other = free_port()
    d.argv = [str(BINARY), "-c", str(conf), "-m", str(lo), "-M", str(hi),
              "-s", "udp:127.0.0.1:%d" % other]
    file_port = d.ctl_port
    d.ctl_port = other  # start() waits for V here
    d.start()
    for i in range(5):
        port = offer_port(d.ctl, "flag-%d@test" % i)
        assert lo <= port <= hi, "port %d outside the flags' range %d-%d" % (port, lo, hi)
    # -s replaced the file's control list: its port is not bound.
    probe = UdpControl("127.0.0.1", file_port, timeout=0.2, tries=2)
    try:
        assert probe.exchange("gone_1", "V") is None, "the file's control socket answers"
    finally:
        probe.close()


@pytest.mark.parametrize("text,where,what", [
    ("port-min = 40000\nprot-max = 40999\n", ":2: ", "unknown key 'prot-max'"),
    ("[rtproam]\nttl = forever\n", ":2: ", "ttl: "),
    ("[relay]\nttl = 10\n", ":1: ", "unknown section [relay]"),
])
def test_bad_file_stops_the_daemon(workdir, text, where, what):
    conf = workdir / "bad.conf"
    conf.write_text(text)
    proc = subprocess.run([str(BINARY), "-f", "-F", "-c", str(conf)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    err = proc.stderr.decode()
    assert proc.returncode == 2, "exit %r, stderr %r" % (proc.returncode, err)
    assert "%s%s%s" % (conf, where, what) in err, err


def test_missing_file_stops_the_daemon(workdir):
    proc = subprocess.run([str(BINARY), "-f", "-F", "-c", str(workdir / "none.conf")],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=10)
    assert proc.returncode == 2
    assert b"none.conf: No such file or directory" in proc.stderr, proc.stderr


def test_shipped_example_runs(rtproam):
    """packaging/rtproam.conf.example as installed, with this test's ports."""
    d = rtproam(ready=False)
    d.argv = [str(BINARY), "-c", str(EXAMPLE), "-f", "-F",
              "-s", "udp:127.0.0.1:%d" % d.ctl_port,
              "-m", str(d.port_min), "-M", str(d.port_max), "--log", str(d.log)]
    d.start()
    port = offer_port(d.ctl, "example@test")
    assert d.port_min <= port <= d.port_max


def privileged_udp_port():
    """A UDP port below 1024 free on 127.0.0.1 (needs root to find)."""
    for p in range(950, 1020):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    pytest.skip("no free privileged UDP port")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_binds_privileged_port_then_drops_to_the_files_user(rtproam):
    """Root binds a port only root may bind, then runs as `user`: the
    control socket answering on it as nobody proves the order."""
    nobody = pwd.getpwnam("nobody")
    d = rtproam(ready=False)
    d.ctl_port = privileged_udp_port()
    conf = write_conf(d, extra="user = nobody\n")
    conf.write_text(conf.read_text().replace("no-root-check = yes\n", ""))
    d.argv = [str(BINARY), "-c", str(conf)]
    d.start()
    status = Path("/proc/%d/status" % d.pid).read_text().splitlines()
    uid = next(l for l in status if l.startswith("Uid:")).split()[1:]
    gid = next(l for l in status if l.startswith("Gid:")).split()[1:]
    groups = next(l for l in status if l.startswith("Groups:")).split()[1:]
    assert uid == [str(nobody.pw_uid)] * 4, "Uid %r" % uid
    assert gid == [str(nobody.pw_gid)] * 4, "Gid %r" % gid
    assert groups in ([], [str(nobody.pw_gid)]), "groups kept: %r" % groups
    caps = next(l for l in status if l.startswith("CapEff:")).split()[1]
    assert int(caps, 16) == 0, "capabilities left: %s" % caps
    # Unprivileged, it still opens media ports for new calls.
    port = offer_port(d.ctl, "dropped@test")
    assert d.port_min <= port <= d.port_max
    log = d.log.read_text()
    bound = log.find("control socket udp:127.0.0.1:%d" % d.ctl_port)
    dropped = log.find("running as nobody")
    assert 0 <= bound < dropped, "want bind, then drop, in the log:\n%s" % log[-2000:]
