"""Driving calls through Kamailio with sipp: what every Kamailio e2e test
does the same way (test_kamailio_sipp.py, test_kamailio_rtpengine.py,
test_kamailio_failover.py).

A SippSide is one sipp instance's addresses and trace files; start_uas()
and start_uac() run the shared uas.xml / uac*.xml scenarios with the same
tracing everywhere, start_kamailio() runs a rendered config and waits for
it to answer SIP.  Every wait is bounded; every process is a Proc that the
caller stops by PID.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from e2e_helpers import (KAMAILIO, SIPP, Proc, sip_ping, sipp_call_counts,
                         sipp_final_stats, udp_ports_free, wait_until)


@dataclass
class SippSide:
    """One sipp process: `name` ("uac", "uas", "uac2") prefixes its trace
    files in `logs`; `mp` is its -mp media base (call n advertises
    mp + 4 + 4*(n-1), see uac.xml.in)."""
    name: str
    ip: str
    port: int
    mp: int
    cp: int
    logs: Path

    def file(self, what: str) -> Path:
        """Trace file: msgs.log, stat.csv, err.log or logs.log."""
        return self.logs / f"{self.name}_{what}"

    def streams(self, first_call: int, calls: int) -> list[tuple[str, int]]:
        """The media endpoints calls first_call..first_call+calls-1 (from 1)
        advertise in their SDP: the ports the test's sinks bind."""
        return [(self.ip, self.mp + 4 * (first_call + i))
                for i in range(calls)]

    def call_counts(self) -> tuple[int, int]:
        """(successful, failed) calls from the final -trace_stat row."""
        return sipp_call_counts(sipp_final_stats(self.file("stat.csv")))


def _sipp_argv(side: SippSide, xml: Path, calls: int,
               timeout: float) -> list:
    return [SIPP, "-sf", xml, "-i", side.ip, "-p", side.port,
            "-mi", side.ip, "-mp", side.mp, "-ci", side.ip, "-cp", side.cp,
            "-message_file", side.file("msgs.log"),
            "-stf", side.file("stat.csv"),
            "-error_file", side.file("err.log"),
            "-log_file", side.file("logs.log"),
            "-timeout", str(int(timeout)), "-timeout_error",
            "-bind_local", "-nostdin", "-fd", "1", "-trace_stat",
            "-trace_msg", "-trace_err", "-trace_logs",
            "-recv_timeout", "30000", "-m", str(calls)]


def start_uas(side: SippSide, xml: Path, calls: int,
              timeout: float) -> Proc:
    """A sipp UAS that answers `calls` calls, then exits; returns once its
    SIP port is bound (raises RuntimeError if it is not)."""
    uas = Proc(f"sipp-{side.name}", _sipp_argv(side, xml, calls, timeout),
               side.logs, cwd=side.logs)
    if not wait_until(lambda: (not uas.alive())
                      or not udp_ports_free(side.ip, [side.port]),
                      timeout=10, interval=0.1) or not uas.alive():
        uas.stop()
        raise RuntimeError(f"sipp {side.name} did not start\n{uas.tail()}")
    return uas


def start_uac(side: SippSide, xml: Path, proxy: tuple[str, int],
              calls: int, rate: float, timeout: float) -> Proc:
    """A sipp UAC placing `calls` calls at `rate` per second through the
    proxy to its service "uas"; it exits when they are done."""
    argv = _sipp_argv(side, xml, calls, timeout)
    argv[1:1] = [f"{proxy[0]}:{proxy[1]}"]
    argv += ["-s", "uas", "-r", str(rate), "-l", str(calls)]
    return Proc(f"sipp-{side.name}", argv, side.logs, cwd=side.logs)


def start_kamailio(cfg: Path, rundir: Path, logs: Path,
                   sip: tuple[str, int]) -> Proc:
    """Kamailio in the foreground with one SIP worker (so the tests' call
    order is the order of processing); returns once it answers OPTIONS on
    `sip`, else stops it and raises RuntimeError."""
    kam = Proc("kamailio", [KAMAILIO, "-f", cfg, "-DD", "-E", "-n", "1",
                            "-m", "64", "-M", "8", "-Y", rundir,
                            "-P", rundir / "kamailio.pid", "-w", rundir],
               logs, cwd=rundir)
    first = wait_until(
        lambda: (not kam.alive()) or sip_ping(sip[0], sip[0], sip[1]),
        timeout=15, interval=0.2)
    if not kam.alive() or not isinstance(first, str):
        kam.stop()
        raise RuntimeError(f"Kamailio not answering SIP (rc="
                           f"{kam.returncode})\n{kam.tail()}")
    return kam


def wait_sinks_settled(sinks, polls: int = 5, timeout: float = 3,
                       count=None) -> int:
    """Let the last packets drain into the sinks: done once the count
    (sinks.total(), or count()) is unchanged for `polls` polls in a row
    (at most `timeout` s)."""
    count = count or sinks.total
    last = [-1, 0]

    def settled():
        now = count()
        last[1] = last[1] + 1 if now == last[0] else 0
        last[0] = now
        return last[1] >= polls
    wait_until(settled, timeout=timeout, interval=0.1)
    return count()
