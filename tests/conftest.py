"""Suite-wide fixtures and the CI rule that a skipped test is a failure.

In CI (``CI=true``) a test that skips because a real part is missing (a binary, a
package, a server) would hide a missing install step, so skips are turned into failures.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Procedures append to Next_Steps_Log.md in the working directory; tests (and the CLI and
# task subprocesses they start, which inherit this) keep the checkout's log untouched.
os.environ.setdefault("HOTPASS_NEXT_STEPS_LOG",
                      str(Path(tempfile.mkdtemp(prefix="hotpass-tests-")) / "Next_Steps_Log.md"))

# A suite started in the background of a non-interactive shell (`bash .ci/run &`) inherits
# SIGINT ignored, and so would every command a test starts; the Ctrl-C tests need it as a
# terminal gives it (hotpass keeps an ignored SIGINT ignored, as nohup users expect).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _in_ci() and (report.skipped or hasattr(report, "wasxfail")):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped or xfail in CI (a real part is missing?): {reason}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def front_door_settings():
    """A test that runs a procedure in-process is its front door: evidence goes where the
    environment (as the test set it) says, loaded when the procedure asks."""
    from hotpass.front_door import install
    from hotpass.settings import load

    install(load)
    yield
