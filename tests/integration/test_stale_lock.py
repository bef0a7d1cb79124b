"""A ``kill -9`` leaves no lock: the kernel drops the flock with the process, so the next
run starts at once (no "locked", no wait), and the holder record the killed run left is
reported by ``hotpass doctor`` as a leftover of a dead run, never as a held lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from hotpass.bench.samples import generate_workbooks
from tests.integration.test_run_safety import _family, _wait_for, hotpass, refine_args, verify

pytestmark = pytest.mark.integration


def _doctor_lock(output: Path, cwd: Path) -> dict:
    env = {**os.environ, "HOTPASS_OUTPUT_PATH": str(output)}
    result = subprocess.run([sys.executable, "-m", "hotpass", "doctor", "--json"], cwd=cwd,
                            capture_output=True, text=True, env=env, timeout=120)
    rows = json.loads(result.stdout)
    rows = rows["checks"] if isinstance(rows, dict) else rows
    return next(row for row in rows if row["name"] == "refine lock")


def test_kill_9_leaves_no_lock_and_the_next_run_starts_at_once(tmp_path):
    generate_workbooks(tmp_path / "in", rows=3000, files=4, seed=5)
    dist = tmp_path / "dist"
    output = dist / "refined.xlsx"
    proc = subprocess.Popen(hotpass(*refine_args(tmp_path / "in", output), forced=True),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    _wait_for(lambda: (dist / ".hotpass.lock").exists() and len(_family(parent)) >= 2,
              what="the run's lock and pool workers")
    # frozen, the run cannot finish (and release its lock) while the doctor looks at it
    parent.send_signal(signal.SIGSTOP)
    family = _family(parent)
    for process in family:
        process.send_signal(signal.SIGSTOP)
    held = _doctor_lock(output, tmp_path)
    assert "held by a running refine" in held["detail"] and f"pid {proc.pid}" in held["detail"]
    for process in [parent, *family]:
        process.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert (dist / ".hotpass.lock").exists()  # the record stays; it must not look held
    after = _doctor_lock(output, tmp_path)
    assert after["status"] == "ok", after
    assert "free" in after["detail"] and "held" not in after["detail"], after
    assert f"pid {proc.pid}, a run that was killed" in after["detail"], after
    second = subprocess.run(hotpass(*refine_args(tmp_path / "in", output)),
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "lock" not in second.stderr.lower() and "waiting" not in second.stderr, second.stderr
    verify(dist)
    assert not (dist / ".hotpass.lock").exists()
    assert "free" in _doctor_lock(output, tmp_path)["detail"]
