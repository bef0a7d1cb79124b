"""Stage clock: the seconds and peak memory of every stage of one refine run.

Contract: ``StageClock`` is a ``dict`` of stage name -> seconds (what ``stage_seconds`` in
``refine --json`` and the quality report always held) that also keeps ``peak_mb``: the
process's peak resident memory while each stage ran. ``with clock.stage("resolve"):``
times a stage (and, with telemetry on, makes its span and duration metric). Stages nest;
names of inner stages are dotted (``consolidate.resolve``). ``clock.add(name, seconds)``
sums seconds measured elsewhere: ingest's reading, typing, linking and normalising run in
pool workers, so ``ingest.read`` and its siblings are CPU seconds (``timed``: the
worker's and its reader child's, summed over processes), while ``ingest`` itself is wall
time.

Pitfalls: the peak comes from Linux's ``VmHWM``, reset through ``/proc/self/clear_refs``
when a stage starts; an outer stage's peak is the largest its inner stages saw, so resets
never hide one. Elsewhere (no ``/proc``) the peak is the process's peak so far
(``ru_maxrss``). Worker processes' memory is not in ``peak_mb``; the bench measures the
whole tree (PSS). ``work_seconds`` counts a child once it is reaped, so a step that forks
must wait for its child before it is timed (``refine.isolation`` does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("hotpass.refine")
_STATUS, _CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


class StageClock(dict):
    """Stage name -> seconds, plus ``peak_mb`` (stage name -> MB); see the module contract."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb: dict[str, float] = {}
        self._open: list[list] = []  # [name, largest peak seen] of every running stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        from hotpass.observability import stage_span

        log.debug("stage %s: start", name)
        self._note_peak()
        _reset_peak()
        self._open.append([name, 0.0])
        start = time.perf_counter()
        try:
            with stage_span(name):
                yield
        finally:
            self._note_peak()
            _, peak = self._open.pop()
            self[name] = round(time.perf_counter() - start, 3)
            self.peak_mb[name] = round(peak, 1)
        log.info("stage %s: done in %.3f s, peak %.0f MB", name, self[name], peak)

    def add(self, name: str, seconds: float) -> None:
        self[name] = round(self.get(name, 0.0) + seconds, 3)

    def _note_peak(self) -> None:
        peak = _peak_mb()
        for entry in self._open:
            entry[1] = max(entry[1], peak)


def work_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for: the work of a
    step that forks a reader, without the wait for a core that wall seconds count."""
    spent = os.times()
    return spent.user + spent.system + spent.children_user + spent.children_system


def timed(seconds: dict[str, float], name: str, start: float) -> float:
    """Add the work (``work_seconds``) since ``start`` to ``seconds[name]``; return the
    clock now (for the next step)."""
    now = work_seconds()
    seconds[name] = seconds.get(name, 0.0) + now - start
    return now


def _peak_mb() -> float:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    with contextlib.suppress(OSError):  # not Linux, or not allowed: the peak so far stands
        _CLEAR_REFS.write_text("5")
