"""SIGINT or SIGTERM at any moment of ``hotpass``'s start-up (0 to 0.5 s after the
process starts: while the interpreter, the entry module, click and the command modules
load, and once the command runs) is one line and exit 130/143 (or, for SIGTERM once the
command runs, the default: a silent stop), or the command's own one-line refusal when it
finished first; never a traceback.

The interpreter's own start-up (stream set-up, ``site`` and the ``.pth`` hooks of this
machine's site-packages: ~30-70 ms here with an editable install's finder) runs before
any hotpass code and is Python's to report, so the child starts with both signals
blocked (as a careful launcher would): a signal sent then is delivered the moment
``hotpass.entry`` has its handlers in and unblocks them. Without the unblock, every early
signal would be lost and the test sees the command finish instead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DELAYS = [0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5]
ALLOWED_EXITS = {signal.SIGINT: (130,), signal.SIGTERM: (143,)}


def _start(tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "hotpass", "refine", "--input-dir",
                             str(tmp_path / "nowhere"), "--output-path",
                             str(tmp_path / "dist" / "refined.xlsx")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path, preexec_fn=_block_stop_signals)


def _block_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment_of_start_up_is_one_line(tmp_path, signum):
    seen = []
    for delay in DELAYS:
        child = _start(tmp_path)
        time.sleep(delay)
        child.send_signal(signum)
        _, err = child.communicate(timeout=60)
        seen.append((delay, child.returncode, err.strip().splitlines()[-1:]))
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        lines = err.strip().splitlines()
        if child.returncode == -signum:  # died by the signal itself, once the command runs
            # (its own stop line, then the default) or while leaving after its refusal
            assert not lines or (len(lines) == 1 and ("no such directory" in lines[0] or
                                 signal.Signals(signum).name in lines[0])), (delay, err)
        elif child.returncode in ALLOWED_EXITS[signum]:
            assert len(lines) == 1 and signal.Signals(signum).name in lines[0], (delay, err)
        else:  # finished before the signal: the refusal of the missing folder, one line
            assert child.returncode == 2 and len(lines) == 1, (delay, err)
    early = [rc for delay, rc, _ in seen if delay <= 0.01]
    assert set(early) == {128 + signum}, seen  # sent before entry ran: delivered there
