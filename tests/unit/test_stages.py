"""The stage clock: seconds per stage, sums from workers, and each stage's own peak memory
(an inner stage's reset of the high-water mark never hides the outer stage's peak)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hotpass.refine.stages import StageClock, timed, work_seconds

PEAKS = """
import json
import numpy as np
from hotpass.refine.stages import StageClock
clock = StageClock()
with clock.stage("outer"):
    with clock.stage("outer.big"):
        block = np.ones(200 * 1024 * 1024 // 8)  # 200 MB touched
        del block
    with clock.stage("outer.small"):
        small = np.ones(1024)
        del small
print(json.dumps({"peak_mb": clock.peak_mb, "seconds": clock}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_each_stage_has_its_own_peak_and_the_outer_one_keeps_the_inner_peaks():
    # a fresh process: a test worker's heap may already hold 200 MB of freed pages
    out = subprocess.run([sys.executable, "-c", PEAKS], capture_output=True, text=True,
                         check=True).stdout
    figures = json.loads(out)
    peak, seconds = figures["peak_mb"], figures["seconds"]
    assert peak["outer.big"] - peak["outer.small"] > 150
    assert peak["outer"] >= peak["outer.big"]
    assert set(seconds) == {"outer", "outer.big", "outer.small"}
    assert seconds["outer"] >= seconds["outer.big"] + seconds["outer.small"] - 0.002


def test_worker_seconds_add_up_and_timed_moves_the_start():
    clock = StageClock()
    clock.add("ingest.read", 1.25)
    clock.add("ingest.read", 0.5)
    assert clock == {"ingest.read": 1.75}
    seconds: dict[str, float] = {}
    start = timed(seconds, "read", 0.0)
    assert seconds["read"] == pytest.approx(start) and start > 0


def _spin(seconds: float) -> int:
    end, turns = time.process_time() + seconds, 0
    while time.process_time() < end:
        turns += 1
    return turns


def test_timed_counts_a_reaped_child_s_work_and_not_a_wait():
    """A reader child's CPU is the step's work; a wait (for a core, for the child) is not."""
    from hotpass.refine.isolation import run_isolated

    seconds: dict[str, float] = {}
    start = timed(seconds, "idle", work_seconds())
    time.sleep(0.4)
    start = timed(seconds, "idle", start)
    turns, how = run_isolated(_spin, 0.4)
    assert how is None and turns > 0
    timed(seconds, "read", start)
    assert seconds["idle"] < 0.1
    assert 0.35 <= seconds["read"] < 1.0


def test_a_failing_stage_is_still_timed():
    clock = StageClock()
    with pytest.raises(ValueError), clock.stage("boom"):
        raise ValueError("x")
    assert "boom" in clock and "boom" in clock.peak_mb
