"""Benchmark: ``hotpass refine`` against a naive pandas + openpyxl pipeline on messy data.

Contract: ``run_benchmark(rows=..., seed=..., out_dir=...)`` generates the sample workbooks
(``hotpass.bench.samples``) into ``out_dir/input`` with their truth, runs each pipeline in its own
child process (the real command ``python -m hotpass.cli refine ... --json``, and
``python -m hotpass.bench.refine naive INPUT OUTPUT`` for the baseline), scores the
de-duplication from the refined workbook's Provenance sheet, writes every figure to
``out_dir/refine.json`` and returns them; ``format_table`` renders the result.

Pitfalls: seconds are wall time of the whole child (interpreter start and imports
included) measured by the parent; peak memory is the largest sum of PSS over the child and
its worker processes, sampled every 200 ms (``maxrss_mb`` keeps the largest ``ru_maxrss`` of
any process in the tree, from ``wait4``). This module never imports the CLI.
Pairwise precision/recall is computed over
input rows present in both the Provenance sheet and the truth; ``coverage`` says how many
truth rows the Provenance sheet accounts for.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

# Issue 21's aims at 200,000 rows (issue 7's were 3x and 1 GB); smaller runs miss the speed
# target because interpreter start-up dominates them.
TARGETS = {"speedup": 6.0, "peak_rss_mb": 600.0, "precision": 0.98, "recall": 0.98}
RowKey = tuple[str, str, int]  # (file relative to the input dir, sheet or "", 1-based row)


def pairwise_precision_recall(predicted: Mapping[Hashable, Hashable],
                              truth: Mapping[Hashable, Hashable]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true entities.

    ``predicted`` maps an item to its output cluster, ``truth`` the item to its entity.
    Only items in both count. Pairs are counted from cluster sizes (n * (n - 1) / 2), never
    enumerated. With no predicted (true) pairs, precision (recall) is 1.0.
    """
    keys = [key for key in predicted if key in truth]
    together = Counter((predicted[key], truth[key]) for key in keys)
    true_positive = _pairs(together.values())
    predicted_pairs = _pairs(Counter(predicted[key] for key in keys).values())
    true_pairs = _pairs(Counter(truth[key] for key in keys).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    return precision, recall


def _pairs(sizes) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def read_provenance(refined_path: Path) -> dict[RowKey, Any]:
    """Map every ``[file, sheet, row]`` of the Provenance sheet to its organization_id."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(refined_path))
    if "Provenance" not in workbook.sheet_names:
        raise ValueError(f"{refined_path}: no Provenance sheet (sheets: {workbook.sheet_names})")
    rows = workbook.get_sheet_by_name("Provenance").to_python()
    header = [str(cell).strip() for cell in rows[0]] if rows else []
    missing = {"organization_id", "source_rows"} - set(header)
    if missing:
        raise ValueError(f"{refined_path}: Provenance sheet lacks column(s) {sorted(missing)}")
    org_at, rows_at = header.index("organization_id"), header.index("source_rows")
    mapping: dict[RowKey, Any] = {}
    for line in rows[1:]:
        if line[rows_at] in ("", None):
            continue
        for file, sheet, row in json.loads(line[rows_at]):
            mapping[(Path(str(file)).as_posix(), str(sheet or ""), int(row))] = line[org_at]
    return mapping


def clear_inputs(input_dir: Path) -> Path:
    """Remove generated sources an earlier run left (they would skew this run)."""
    if input_dir.is_dir():
        for old in input_dir.iterdir():
            if old.is_file() and old.suffix.lower() in (".xlsx", ".csv"):
                old.unlink()
    return input_dir


def run_benchmark(*, rows: int = 200_000, seed: int = 7, out_dir: Path = Path("dist/bench"),
                  files: int = 3, profile: str = "generic") -> dict[str, Any]:
    from hotpass.bench.samples import generate_workbooks

    out_dir = Path(out_dir)
    input_dir = clear_inputs(out_dir / "input")
    started = time.perf_counter()
    generated = generate_workbooks(input_dir, rows=rows, seed=seed, files=files, profile=profile)
    generate_seconds = time.perf_counter() - started
    generated.write_truth(out_dir / "truth.csv")
    result: dict[str, Any] = {
        "rows": rows, "seed": seed, "files": files, "profile": profile,
        "organisations": generated.entities, "generate_seconds": round(generate_seconds, 2),
        "input_dir": str(input_dir),
    }
    refined = out_dir / "hotpass" / "refined.xlsx"
    result["hotpass"] = _run_child("hotpass", input_dir, refined, rows, profile)
    result["naive"] = _run_child("naive", input_dir, out_dir / "naive" / "naive.xlsx", rows)
    if result["hotpass"]["ok"]:
        truth = {(file, sheet, row): entity for file, sheet, row, entity in generated.truth}
        try:
            predicted = read_provenance(refined)
        except (OSError, ValueError) as exc:
            result["hotpass"].update(ok=False, error=f"cannot score the output: {exc}")
        else:
            precision, recall = pairwise_precision_recall(predicted, truth)
            covered = sum(1 for key in truth if key in predicted)
            result.update(precision=round(precision, 4), recall=round(recall, 4),
                          coverage=round(covered / len(truth), 4))
    result["targets"] = _targets(result)
    result["all_pass"] = all(t["pass"] for t in result["targets"].values())
    (out_dir / "refine.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _run_child(kind: str, input_dir: Path, output: Path, rows: int,
               profile: str = "generic") -> dict[str, Any]:
    output.parent.mkdir(parents=True, exist_ok=True)
    if kind == "hotpass":
        command = [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
                   "--output-path", str(output), "--profile", profile, "--json"]
    else:
        command = [sys.executable, "-m", "hotpass.bench.refine", kind, str(input_dir),
                   str(output)]
    started = time.perf_counter()
    done, tree_peak_mb, maxrss_mb = _run_sampling_memory(command)
    seconds = time.perf_counter() - started
    report = _child_report(kind, done.stdout, output)
    ok = done.returncode == 0 and report.get("ok") is True
    figures: dict[str, Any] = {"ok": ok, "seconds": round(seconds, 2),
                               "rows_per_second": round(rows / seconds) if seconds else None,
                               "peak_rss_mb": tree_peak_mb, "maxrss_mb": maxrss_mb,
                               "output": str(output)}
    for key in ("stage_seconds", "stage_peak_mb"):  # refine --json's own breakdown
        if key in report:
            figures[key] = report[key]
    if not ok:
        detail = report.get("error") or (done.stderr.strip().splitlines() or ["no output"])[-1]
        figures["error"] = f"{kind} child exited {done.returncode}: {detail}"
    return figures


def _child_report(kind: str, stdout: str, output: Path) -> dict[str, Any]:
    """The child's verdict: the naive child's last JSON line; for hotpass, its ``--json``
    summary and the workbook it wrote."""
    text = stdout if kind == "hotpass" else (stdout.strip().splitlines() or [""])[-1]
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        return {}
    if kind == "hotpass":
        if not output.is_file():
            return {"ok": False, "error": f"hotpass refine wrote no {output}"}
        return {"ok": True, "stage_seconds": report.get("stage_seconds", {}),
                "stage_peak_mb": report.get("stage_peak_mb", {})}
    return report


def _run_sampling_memory(command: list[str]
                         ) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command``, sampling the proportional memory (PSS) of it and every process it
    starts every 200 ms; PSS splits pages shared by forked workers instead of counting them
    once per process, so the sum is the run's real footprint. Falls back to RSS. Also
    returns the largest ``ru_maxrss`` in the tree (``wait4``: the child or a reaped worker)."""
    import tempfile

    import psutil

    peak = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
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
    return done, round(peak / (1024 * 1024), 1), round(usage.ru_maxrss / scale, 1)


def _targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    hot, naive = result["hotpass"], result["naive"]
    speedup = (naive["seconds"] / hot["seconds"]) if hot["ok"] and naive["ok"] else None
    result["speedup"] = round(speedup, 2) if speedup is not None else None
    values = {"speedup": result["speedup"],
              "peak_rss_mb": hot["peak_rss_mb"] if hot["ok"] else None,
              "precision": result.get("precision"), "recall": result.get("recall")}
    checks = {}
    for name, target in TARGETS.items():
        value = values[name]
        passed = value is not None and (value < target if name == "peak_rss_mb"
                                        else value >= target)
        checks[name] = {"value": value, "target": target, "pass": passed}
    return checks


STAGE_ORDER = ("ingest", "ingest.read", "ingest.typing", "ingest.link", "ingest.normalise",
               "consolidate", "consolidate.link", "consolidate.combine", "consolidate.resolve",
               "consolidate.merge", "consolidate.validate", "export", "publish")


def stage_lines(figures: dict[str, Any]) -> list[str]:
    """hotpass's stages as ``refine --json`` timed them: wall seconds and the main process's
    peak memory; indented steps (``ingest.*`` are worker-seconds summed over processes)."""
    seconds, peaks = figures.get("stage_seconds") or {}, figures.get("stage_peak_mb") or {}
    if not seconds:
        return []
    lines = ["", f"{'hotpass stage':<26}{'seconds':>9}{'peak MB':>9}"]
    order = {name: position for position, name in enumerate(STAGE_ORDER)}
    for name in sorted(seconds, key=lambda n: (order.get(n, len(order)), n)):
        label = ("  " + name.split(".", 1)[1]) if "." in name else name
        peak = f"{peaks[name]:.0f}" if name in peaks else "-"
        lines.append(f"{label:<26}{seconds[name]:>9.2f}{peak:>9}")
    return lines


def format_table(result: dict[str, Any]) -> str:
    out = [f"hotpass bench: {result['rows']:,} rows in {result['files']} files "
           f"({result['organisations']:,} organisations, seed {result['seed']}, "
           f"generated in {result['generate_seconds']:.1f} s)", "",
           f"{'pipeline':<10}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'peak RSS MB':>13}"]
    for kind in ("hotpass", "naive"):
        fig = result[kind]
        rss = f"{fig['peak_rss_mb']:.0f}" if fig["peak_rss_mb"] is not None else "-"
        rate = f"{fig['rows_per_second']:,}" if fig["ok"] else "-"
        out.append(f"{kind:<10}{result['rows']:>10,}{fig['seconds']:>10.1f}{rate:>10}{rss:>13}")
        if not fig["ok"]:
            out.append(f"  FAILED: {fig['error']}")
    out.append("")
    labels = {"speedup": ("naive/hotpass time", ">= {:g}x", "{:.2f}x"),
              "peak_rss_mb": ("hotpass peak RSS MB", "< {:g}", "{:.0f}"),
              "precision": ("dedupe precision", ">= {:g}", "{:.4f}"),
              "recall": ("dedupe recall", ">= {:g}", "{:.4f}")}
    for name, check in result["targets"].items():
        label, rule, shown = labels[name]
        value = "-" if check["value"] is None else shown.format(check["value"])
        verdict = "PASS" if check["pass"] else "FAIL"
        out.append(f"{label:<22}{value:>10}   target {rule.format(check['target']):<9} {verdict}")
    if "coverage" in result:
        out.append(f"{'truth rows scored':<22}{result['coverage']:>10.2%}")
    out.extend(stage_lines(result["hotpass"]))
    out.append("(peak RSS = largest sum of PSS over the child and its worker processes, "
               "sampled every 200 ms)")
    return "\n".join(out)


# ---- child processes -------------------------------------------------------------------
def _naive_child(input_dir: Path, output: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {"ok": True, "rows_out": _naive_pipeline(input_dir, output)}
    report["seconds"] = round(time.perf_counter() - started, 3)
    own, workers = _peak_rss_mb()
    report.update(peak_rss_mb=round(own + workers, 1), own_rss_mb=round(own, 1),
                  workers_rss_mb=round(workers, 1))
    return report


def _naive_pipeline(input_dir: Path, output: Path) -> int:
    """What an analyst would write first: read all, concat, drop exact duplicates, save."""
    import pandas as pd

    frames = []
    for path in sorted(input_dir.iterdir()):
        if path.suffix.lower() == ".xlsx":
            frames.extend(pd.read_excel(path, sheet_name=None, engine="openpyxl").values())
        elif path.suffix.lower() == ".csv":
            frames.append(pd.read_csv(path))
    combined = pd.concat(frames, ignore_index=True).drop_duplicates()
    combined.to_excel(output, index=False, engine="openpyxl")
    return len(combined)


def _peak_rss_mb() -> tuple[float, float]:
    """(this process's peak RSS, the largest peak of its finished children) in MB."""
    import resource

    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / scale, children / scale


def main(argv: list[str] | None = None) -> int:
    """The baseline child's entry: ``python -m hotpass.bench.refine naive INPUT OUTPUT``.

    Internal (``run_benchmark`` starts it); people run ``invoke bench.refine``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] != "naive":
        print("usage: python -m hotpass.bench.refine naive INPUT OUTPUT "
              "(internal; run `invoke bench.refine`)", file=sys.stderr)
        return 2
    report = _naive_child(Path(args[1]), Path(args[2]))
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
