"""pytest glue for the end-to-end tier.

- On a failed test, attach the tails of the relay's, Kamailio's and sipp's
  logs and the control-protocol transcript to the report.
- At the end of the run, print the figures (calls, packets sent, relayed,
  delivered, lost) and the control commands Kamailio sent.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import SUMMARY, tail_file  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    artifacts = getattr(item, "funcargs", {}).get("e2e_artifacts")
    if not artifacts:
        return
    lines = int(os.environ.get("RTPROAM_E2E_LOG_LINES", "60"))
    for name, path in sorted(artifacts.items()):
        if not name.startswith("_") and Path(path).is_file():
            report.sections.append(
                (f"e2e {name}: {path} (last {lines} lines)",
                 tail_file(Path(path), lines)))


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.section("rtproam e2e figures")
        for line in SUMMARY:
            terminalreporter.write_line(line)
