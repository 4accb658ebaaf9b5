"""Packaging: `cmake --install` of the build under test into a DESTDIR
lays out a Debian-style daemon (binary in sbin, tools in bin, man page,
sandboxed systemd unit, example config), and what it installs works: the
binary runs, the man page renders and documents every option, the unit
passes systemd's own checks, the example config holds only real keys.

Needs the build directory in RTPROAM_BUILD, already built (ctest's case).
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from rtpp import BUILD

PREFIX = "/usr"
DAEMON_FILES = [
    "usr/sbin/rtproam",
    "usr/share/man/man8/rtproam.8",
    "usr/lib/systemd/system/rtproam.service",
    "usr/share/doc/rtproam/rtproam.conf.example",
]
TOOL_PROGRAMS = ["usr/bin/rtproam-ctl", "usr/bin/rtproam-sim", "usr/bin/voipcalc"]
TOOL_FILES = TOOL_PROGRAMS + ["usr/share/man/man1/rtproam-ctl.1",
                              "usr/share/man/man1/rtproam-sim.1",
                              "usr/share/man/man1/voipcalc.1"]
UNIT_PATH = "usr/lib/systemd/system/rtproam.service"

# The sandbox the unit must keep (key -> value; "" means set and empty).
SANDBOX = {
    "DynamicUser": "yes",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "LimitNOFILE": "1048576",
    "RuntimeDirectory": "rtproam",
    "Restart": "on-failure",
    "Type": "simple",
}


def install(destdir, component=None):
    cmd = ["cmake", "--install", str(BUILD), "--prefix", PREFIX]
    if component:
        cmd += ["--component", component]
    env = dict(os.environ, DESTDIR=str(destdir))
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)
    assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(cmd), proc.stdout.decode())


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if not p.is_dir())


@pytest.fixture(scope="module")
def destdir():
    if not (BUILD / "cmake_install.cmake").is_file():
        pytest.fail("no configured build at %s (set RTPROAM_BUILD)" % BUILD)
    d = Path(tempfile.mkdtemp(prefix="rtproam-install-", dir="/tmp"))
    install(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def unit_settings(path):
    """[Service] and [Unit] lines as {key: [values]} (keys may repeat)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def long_options(binary):
    """Every --long option the binary's --help lists."""
    proc = subprocess.run([str(binary), "--help"], stdout=subprocess.PIPE, timeout=10)
    assert proc.returncode == 0
    names = set(re.findall(r"--([a-z0-9][a-z0-9-]*)", proc.stdout.decode()))
    assert len(names) > 25, "suspiciously few options in --help: %r" % names
    return names


def test_install_lays_out_every_file(destdir):
    have = files_under(destdir)
    for f in DAEMON_FILES + TOOL_FILES:
        assert f in have, "%s not installed; installed: %s" % (f, have)
    for f in ("usr/sbin/rtproam",) + tuple(TOOL_PROGRAMS):
        assert os.access(destdir / f, os.X_OK), "%s is not executable" % f
    # Nothing lands in /etc: the operator copies the example there.
    assert not any(f.startswith("etc/") for f in have), have


def test_components_split_daemon_and_tools():
    d = Path(tempfile.mkdtemp(prefix="rtproam-install-", dir="/tmp"))
    try:
        install(d / "daemon", "daemon")
        install(d / "tools", "tools")
        assert files_under(d / "daemon") == sorted(DAEMON_FILES)
        assert files_under(d / "tools") == sorted(TOOL_FILES)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_installed_binaries_run(destdir):
    proc = subprocess.run([str(destdir / "usr/sbin/rtproam"), "--version"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(rb"rtproam \d+\.\d+\.\d+\n", proc.stdout), proc.stdout
    proc = subprocess.run([str(destdir / "usr/bin/voipcalc"), "--codec", "g711",
                           "--ptime", "20"], stdout=subprocess.PIPE, timeout=10)
    assert proc.returncode == 0 and b"87.2" in proc.stdout, proc.stdout


def test_unit_is_sandboxed(destdir):
    unit = destdir / UNIT_PATH
    s = unit_settings(unit)
    assert s.get("ExecStart") == ["/usr/sbin/rtproam -f -c /etc/rtproam/rtproam.conf"], \
        s.get("ExecStart")
    for key, want in SANDBOX.items():
        assert key in s, "%s missing from the unit" % key
        assert s[key][-1] == want, "%s=%s, want %r" % (key, s[key][-1], want)
    # No user switch (DynamicUser makes one up) and no capability granted.
    assert "User" not in s and "-u" not in s["ExecStart"][0].split()
    assert s.get("WantedBy") == ["multi-user.target"]
    # The comment says how to allow a privileged port.
    assert "CAP_NET_BIND_SERVICE" in unit.read_text()


def test_unit_passes_systemd_analyze(destdir):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    # verify checks that ExecStart exists: point it at the installed copy.
    work = Path(tempfile.mkdtemp(prefix="rtproam-unit-", dir="/tmp"))
    try:
        text = (destdir / UNIT_PATH).read_text().replace(
            "ExecStart=/usr/sbin/rtproam", "ExecStart=%s" % (destdir / "usr/sbin/rtproam"))
        unit = work / "rtproam.service"
        unit.write_text(text)
        proc = subprocess.run([analyze, "verify", "--man=no", str(unit)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = proc.stdout.decode(errors="replace")
        # Unknown keys and bad values are only warnings: none is allowed.
        assert proc.returncode == 0 and "rtproam.service" not in out, out
        proc = subprocess.run([analyze, "security", "--offline=yes", str(unit)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = proc.stdout.decode(errors="replace")
        m = re.search(r"Overall exposure level for rtproam.service: ([0-9.]+)", out)
        if proc.returncode != 0 and m is None:
            return  # an older systemd without --offline
        assert m, out
        assert float(m.group(1)) <= 2.5, "exposure %s:\n%s" % (m.group(1), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_man_page_renders_and_documents_every_option(destdir):
    page = destdir / "usr/share/man/man8/rtproam.8"
    man = shutil.which("man")
    if man is not None:
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        proc = subprocess.run([man, "--warnings", "-l", str(page)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == b"", "man warns:\n%s" % proc.stderr.decode()
        text = proc.stdout.decode(errors="replace")
        text = re.sub(r".\x08", "", text)  # overstrike bold/underline
        text = text.replace("\u2010", "-").replace("\u2212", "-")
    else:
        # No formatter: read the source, with troff's escaped dashes.
        text = page.read_text().replace("\\-", "-")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "CONFIGURATION FILE",
                    "CONTROL PROTOCOL", "SIGNALS", "FILES", "EXAMPLES", "SEE ALSO"):
        assert re.search(r"^%s$" % section, text, re.M), "no %s section" % section
    # Words may be hyphenated across lines in the rendering: join them.
    flat = re.sub(r"-\n\s*", "-", text)
    for name in sorted(long_options(destdir / "usr/sbin/rtproam")):
        assert "--" + name in flat, "man page lacks --%s" % name
    for sig in ("SIGTERM", "SIGHUP"):
        assert sig in text


def test_example_config_keys_are_options(destdir):
    example = (destdir / "usr/share/doc/rtproam/rtproam.conf.example").read_text()
    options = long_options(destdir / "usr/sbin/rtproam")
    keys = re.findall(r"^[;#]?\s*([a-z][a-z0-9-]*)\s*=", example, re.M)
    assert len(keys) > 20, keys
    unknown = sorted(set(keys) - options)
    assert not unknown, "example config names no such option: %s" % unknown
    assert re.search(r"^\[rtproam\]$", example, re.M)
