"""Benchmark: ``hotpass refine`` against a naive pandas + openpyxl pipeline on messy data,
the many-files path on Prefect + Dask beside it, each stage against its own limit, and the
time per row across sizes.

Contract: ``run_benchmark(rows=..., seed=..., out_dir=...)`` takes the generated workbooks
and their truth from the input cache (``hotpass.bench.inputs``: generated once per rows,
files, seed and generator), runs each pipeline as a child process measured from outside
(``hotpass.bench.children``): the real ``hotpass refine --json``; the naive pipeline unless
``naive=False``; with ``dask_workers``, ``hotpass orchestrate --task-runner dask`` on a
throwaway Prefect server (``hotpass.bench.manyfiles``), whose CSV and Parquet must equal
the single-process run's byte for byte. It scores the de-duplication from the refined
workbook's Provenance sheet, measures each stage's limit alone (``hotpass.bench.limits``)
unless ``limits=False``, records the run's rows/s and candidate pairs per row (from the run's quality report: the
blocking's growth with size) in ``out_dir/refine-history.json`` (one entry per size, the
latest) and writes every figure to ``out_dir/refine.json``.
``format_table`` renders the result.

Pitfalls: the machine's load average is recorded beside every figure (a shared machine
makes them slower); the targets are issue 21's: 6x the naive time and < 600 MB below
1,000,000 rows, <= 90 s and <= 2 GB from 1,000,000 rows, precision and recall >= 0.98,
each stage within 1.5x its limit. Smaller runs miss the speed target because interpreter
start-up dominates them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from hotpass.bench.children import run_pipeline
from hotpass.bench.inputs import bench_inputs
from hotpass.bench.limits import limit_table, measure_limits
from hotpass.bench.scoring import score

TARGETS = {"speedup": 6.0, "peak_rss_mb": 600.0, "precision": 0.98, "recall": 0.98,
           "stage_ratio": 1.5}
LARGE_ROWS = 1_000_000
LARGE_TARGETS = {"seconds": 90.0, "peak_rss_mb": 2048.0, "precision": 0.98, "recall": 0.98,
                 "stage_ratio": 1.5}


def run_benchmark(*, rows: int = 200_000, seed: int = 7, out_dir: Path = Path("dist/bench"),
                  files: int = 3, profile: str = "generic", naive: bool = True,
                  dask_workers: int = 0, limits: bool = True) -> dict[str, Any]:
    out_dir = Path(out_dir)
    inputs = bench_inputs(out_dir / "inputs", rows=rows, seed=seed, files=files,
                          profile=profile)
    result: dict[str, Any] = {
        "rows": rows, "seed": seed, "files": files, "profile": profile,
        "organisations": inputs.organisations, "generate_seconds": inputs.generate_seconds,
        "inputs_reused": inputs.reused, "input_dir": str(inputs.input_dir),
        "cpus": os.cpu_count(), "date": dt.date.today().isoformat()}
    refined = out_dir / "hotpass" / "refined.xlsx"
    result["hotpass"] = _timed("hotpass", inputs.input_dir, refined, rows, profile=profile)
    if naive:
        result["naive"] = _timed("naive", inputs.input_dir, out_dir / "naive" / "naive.xlsx",
                                 rows)
    if dask_workers:
        result["dask"] = _many_files(inputs.input_dir, out_dir, refined, rows, profile,
                                     dask_workers, result["hotpass"]["ok"])
    if result["hotpass"]["ok"]:
        result["hotpass"]["candidate_pairs"] = _candidate_pairs(refined)
        try:
            result.update(score(refined, inputs.truth))
        except (OSError, ValueError) as exc:
            result["hotpass"].update(ok=False, error=f"cannot score the output: {exc}")
    if limits and result["hotpass"]["ok"]:
        result["limits"] = measure_limits(inputs.input_dir, refined, profile)
        result["stage_limits"] = limit_table(result["limits"],
                                             result["hotpass"].get("stage_seconds", {}))
    result["targets"] = _targets(result)
    result["all_pass"] = all(t["pass"] for t in result["targets"].values())
    result["scaling"] = _record_scaling(out_dir / "refine-history.json", result)
    (out_dir / "refine.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _candidate_pairs(refined: Path) -> int | None:
    """The de-duplication's candidate pairs, from the run's quality report."""
    try:
        report = json.loads((refined.parent / "quality-report.json").read_text(encoding="utf-8"))
        return int(report["dedupe"]["candidate_pairs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _timed(kind: str, input_dir: Path, output: Path, rows: int, **options: Any
           ) -> dict[str, Any]:
    load = os.getloadavg()[0]
    figures = run_pipeline(kind, input_dir, output, rows, **options)
    figures["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # before, after
    return figures


def _many_files(input_dir: Path, out_dir: Path, refined: Path, rows: int, profile: str,
                workers: int, compare: bool) -> dict[str, Any]:
    from hotpass.bench.manyfiles import prefect_server, same_dataset

    output = out_dir / "dask" / "refined.xlsx"
    with prefect_server(out_dir / "prefect") as env:
        figures = _timed("dask", input_dir, output, rows, profile=profile,
                         dask_workers=workers, env=env)
    figures["workers"] = workers
    if figures["ok"] and compare:
        figures["same_as_hotpass"] = same_dataset(output, refined)
        if not all(figures["same_as_hotpass"].values()):
            figures.update(ok=False, error="the Dask run's CSV/Parquet differ from the "
                                           f"single-process run's: {figures['same_as_hotpass']}")
    return figures


def _targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    hot, naive = result["hotpass"], result.get("naive")
    if naive is not None:
        speedup = (naive["seconds"] / hot["seconds"]) if hot["ok"] and naive["ok"] else None
        result["speedup"] = round(speedup, 2) if speedup is not None else None
    ratios = [row["ratio"] for row in result.get("stage_limits", []) if row["ratio"]]
    values = {"speedup": result.get("speedup"),
              "seconds": hot["seconds"] if hot["ok"] else None,
              "peak_rss_mb": hot["peak_rss_mb"] if hot["ok"] else None,
              "precision": result.get("precision"), "recall": result.get("recall"),
              "stage_ratio": max(ratios) if ratios else None}
    targets = dict(LARGE_TARGETS if result["rows"] >= LARGE_ROWS else TARGETS)
    if naive is None:
        targets.pop("speedup", None)
    if "stage_limits" not in result:
        targets.pop("stage_ratio")
    checks = {}
    for name, target in targets.items():
        value = values[name]
        at_most = name in ("peak_rss_mb", "seconds", "stage_ratio")
        passed = value is not None and (value <= target if at_most else value >= target)
        checks[name] = {"value": value, "target": target, "pass": passed}
    return checks


def _record_scaling(history: Path, result: dict[str, Any]) -> list[dict[str, Any]]:
    """This run's time per row into the history (one entry per size), all sizes back."""
    try:
        sizes = json.loads(history.read_text(encoding="utf-8")) if history.is_file() else {}
    except json.JSONDecodeError:
        sizes = {}
    hot = result["hotpass"]
    if hot["ok"]:
        sizes[str(result["rows"])] = {
            "rows": result["rows"], "files": result["files"], "seconds": hot["seconds"],
            "rows_per_second": hot["rows_per_second"], "peak_rss_mb": hot["peak_rss_mb"],
            "cpu_seconds": hot.get("cpu_seconds"),
            "pairs_per_row": (round(hot["candidate_pairs"] / result["rows"], 2)
                              if hot.get("candidate_pairs") is not None else None),
            "load": hot["load"], "date": result["date"]}
        history.parent.mkdir(parents=True, exist_ok=True)
        history.write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    return sorted(sizes.values(), key=lambda entry: entry["rows"])
