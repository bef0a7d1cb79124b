"""The bench's children: run one pipeline as a child process and measure it from outside.

Contract: ``run_sampling_memory(command, env=None)`` runs ``command`` and returns
``(completed, peak_pss_mb, maxrss_mb)``; ``run_pipeline(kind, input_dir, output, rows, ...)``
runs one pipeline and returns its figures (``ok``, ``seconds``, ``rows_per_second``,
``cpu_seconds``, ``peak_rss_mb``, ``maxrss_mb``, ``output``, the stage breakdown when the
child reports one, ``error`` when it failed). Kinds: ``hotpass`` (``python -m hotpass.cli refine
--json``), ``dask`` (``python -m hotpass.cli orchestrate --task-runner dask --json`` on the
Prefect server ``env`` points at) and ``naive`` (``python -m hotpass.bench.naive``).

Pitfalls: seconds are wall time of the whole child (interpreter start and imports
included); peak memory is the largest sum of PSS over the child and every process it
starts (pool and Dask workers, a Dask scheduler), sampled every 200 ms; PSS splits pages
shared by forked workers instead of counting them once per process. ``maxrss_mb`` is the
largest ``ru_maxrss`` of the child or a reaped worker (``wait4``). ``cpu_seconds`` (from
``wait4`` too: the child and every descendant it reaped) hardly moves with the machine's
load where wall seconds do, so a loaded machine's figures still compare. This module
never imports the CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def pipeline_command(kind: str, input_dir: Path, output: Path, profile: str = "generic",
                     dask_workers: int = 2) -> list[str]:
    if kind == "naive":
        return [sys.executable, "-m", "hotpass.bench.naive", str(input_dir), str(output)]
    common = ["--input-dir", str(input_dir), "--output-path", str(output),
              "--profile", profile, "--json"]
    if kind == "hotpass":
        return [sys.executable, "-m", "hotpass.cli", "refine", *common]
    if kind == "dask":
        return [sys.executable, "-m", "hotpass.cli", "orchestrate", *common,
                "--task-runner", "dask", "--dask-workers", str(dask_workers)]
    raise ValueError(f"unknown pipeline {kind!r} (hotpass, dask or naive)")


def run_pipeline(kind: str, input_dir: Path, output: Path, rows: int, *,
                 profile: str = "generic", dask_workers: int = 2,
                 env: Mapping[str, str] | None = None) -> dict[str, Any]:
    output.parent.mkdir(parents=True, exist_ok=True)
    command = pipeline_command(kind, input_dir, output, profile, dask_workers)
    started = time.perf_counter()
    done, tree_peak_mb, maxrss_mb, cpu_seconds = run_sampling_memory(command, env)
    seconds = time.perf_counter() - started
    report = child_report(kind, done.stdout, output)
    ok = done.returncode == 0 and report.get("ok") is True
    figures: dict[str, Any] = {"ok": ok, "seconds": round(seconds, 2),
                               "rows_per_second": round(rows / seconds) if seconds else None,
                               "cpu_seconds": cpu_seconds, "peak_rss_mb": tree_peak_mb,
                               "maxrss_mb": maxrss_mb, "output": str(output)}
    for key in ("stage_seconds", "stage_peak_mb"):  # refine --json's own breakdown
        if key in report:
            figures[key] = report[key]
    if not ok:
        detail = report.get("error") or (done.stderr.strip().splitlines() or ["no output"])[-1]
        figures["error"] = f"{kind} child exited {done.returncode}: {detail}"
    return figures


def child_report(kind: str, stdout: str, output: Path) -> dict[str, Any]:
    """The child's verdict: the naive child's last JSON line; for hotpass and dask, their
    ``--json`` summary and the workbook they wrote."""
    text = stdout if kind != "naive" else (stdout.strip().splitlines() or [""])[-1]
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        return {}
    if kind == "naive":
        return report
    if not output.is_file():
        return {"ok": False, "error": f"{kind} wrote no {output}"}
    return {"ok": True, "stage_seconds": report.get("stage_seconds", {}),
            "stage_peak_mb": report.get("stage_peak_mb", {})}


def run_sampling_memory(command: list[str], env: Mapping[str, str] | None = None
                        ) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """Run ``command``, sampling the PSS of it and every process it starts every 200 ms
    (RSS where PSS is unavailable); also the largest ``ru_maxrss`` in the tree and the CPU
    seconds (user + system) of the child and the descendants it waited for."""
    import tempfile

    import psutil

    peak = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True,
                                   env=None if env is None else dict(env))
        root = psutil.Process(process.pid)
        usage = None
        while usage is None:
            total = 0
            with contextlib.suppress(psutil.NoSuchProcess):  # exited: wait4 reaps it below
                for member in [root, *root.children(recursive=True)]:
                    try:
                        info = member.memory_full_info()
                        total += getattr(info, "pss", info.rss)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
            peak = max(peak, total)
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode, usage = os.waitstatus_to_exitcode(status), rusage
            else:
                time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(command, process.returncode, out.read(), err.read())
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return (done, round(peak / (1024 * 1024), 1), round(usage.ru_maxrss / scale, 1),
            round(usage.ru_utime + usage.ru_stime, 1))
