"""Benchmark: Hotpass's entity resolution beside Splink's, on the same generated files.

Contract: ``run_dedupe_benchmark(rows=..., hard=..., seed=..., out_dir=..., repeat=...)``
generates the sample workbooks (``hard=True``: ``hotpass.bench.samples.hard``) with their truth,
ingests and normalises them once with refine's own steps into
``out_dir/dedupe-records.parquet``, then runs each system in its own child process on that
file (``python -m hotpass.bench.dedupe hotpass|splink RECORDS LABELS``), scores both
clusterings pairwise against the truth and writes ``out_dir/dedupe.json``.
``hotpass.bench.dedupe_verdict`` holds the targets and renders the table.

Figures per system: precision, recall, F1; ``seconds`` (from the loaded records to the
cluster labels, timed in the child: for Splink that includes building its input table from
Hotpass's own features, as Hotpass's includes building them; ``core_seconds`` is Splink's
training, prediction and clustering alone) and ``wall_seconds`` (the whole child);
``peak_mb`` (the child's largest PSS, sampled every 200 ms) and ``added_mb`` (what
resolving cost: the child's peak resident memory from the loaded records to the labels,
read from the kernel's high-water mark reset just before, minus its resident memory then,
the free pages loading left in the C heap and in Arrow's pool given back first, so that
neither side resolves in its garbage; where the kernel cannot reset it, the sampled peak
minus the PSS with the records loaded). Each system runs ``repeat`` times, the two taking
turns, and every figure is the median (the added memory of one run moves by up to half
with where the C heap happens to fragment, and a neighbour's burst moves seconds). Splink
is also scored at other thresholds from its own pair predictions (``splink.best``), which
only flatters it.

The memory target compares ``added_mb``, not ``peak_mb``: both children hold the same
interpreter, pandas and loaded records (some 170 MB at 20,000 rows), so a tenth of
Splink's whole-process peak lies below what any resolver in such a process can reach,
and the comparison would measure the shared baseline, not the resolvers. The high-water
mark catches peaks a 200 ms sampler misses in a resolution that lasts a fraction of a
second; both systems are measured the same way. Peak PSS stays in the table.

Pitfalls: Splink is optional (the ``bench`` extra); without it the Splink side reports
the one-line install hint and the bench exits non-zero. Both children read the same
records, so ingest and normalisation cost neither side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from hotpass.bench.dedupe_verdict import ratios, targets

SPLINK_THRESHOLD = 0.99  # the same match probability as the generic profile's default
REPEAT = 3  # runs per system; figures are the medians


def run_dedupe_benchmark(*, rows: int = 20_000, hard: bool = False, seed: int = 7,
                         out_dir: Path = Path("dist/bench"), files: int = 3,
                         profile: str = "generic", repeat: int = REPEAT) -> dict[str, Any]:
    from hotpass.bench.inputs import clear_inputs
    from hotpass.bench.samples import generate_workbooks

    out_dir = Path(out_dir)
    input_dir = clear_inputs(out_dir / "dedupe-input")
    started = time.perf_counter()
    generated = generate_workbooks(input_dir, rows=rows, seed=seed, files=files,
                                   profile=profile, hard=hard)
    frame = _prepared_records(input_dir, profile)
    truth = {(f, s, r): e for f, s, r, e in generated.truth}
    result: dict[str, Any] = {"rows": rows, "hard": hard, "seed": seed, "profile": profile,
                              "organisations": generated.entities,
                              "prepare_seconds": round(time.perf_counter() - started, 2)}
    return compare_systems(frame, truth, out_dir, profile, result, repeat)


def run_febrl_benchmark(name: str = "febrl3", *, out_dir: Path = Path("dist/bench"),
                        profile: str = "generic", repeat: int = REPEAT) -> dict[str, Any]:
    """Both systems on the public FEBRL reference (``hotpass.bench.febrl``)."""
    from hotpass.bench.febrl import DATASETS, febrl_records

    if name not in DATASETS:
        raise ValueError(f"unknown FEBRL dataset {name!r} (known: {', '.join(DATASETS)})")
    frame, truth = febrl_records(name)
    result = {"dataset": name.upper(), "rows": len(frame), "hard": True,
              "organisations": len(set(truth.values())), "profile": profile}
    return compare_systems(frame, truth, Path(out_dir), profile, result, repeat)


def compare_systems(frame, truth: dict, out_dir: Path, profile: str,
                    result: dict[str, Any], repeat: int = REPEAT) -> dict[str, Any]:
    """Resolve ``frame`` (refine's combined records) with both systems in child processes,
    ``repeat`` times each, taking turns; score them against ``truth`` ((file, sheet, row)
    -> entity) and write ``dedupe.json``. Seconds and memory are the runs' medians."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = out_dir / "dedupe-records.parquet"
    frame.to_parquet(records, index=False)
    keys = list(zip(frame["__source_file"], frame["__source_sheet"],
                    frame["__source_row"].astype(int), strict=True))
    runs: dict[str, list[dict[str, Any]]] = {"hotpass": [], "splink": []}
    for _ in range(max(repeat, 1)):
        for kind, done in runs.items():
            if not done or done[-1]["ok"]:
                done.append(_run_child(kind, records, out_dir, profile))
    for kind, done in runs.items():
        figures = done[-1] if not done[-1]["ok"] else _median_run(done)
        if figures["ok"]:
            report = figures.pop("report")
            figures.update(_scores(dict(zip(keys, report["labels"], strict=True)), truth))
            if report.get("pairs"):
                figures["best"] = _best_threshold(keys, report["pairs"], truth)
            if report.get("notes"):
                figures["notes"] = report["notes"]
        result[kind] = figures
    result["ratios"] = ratios(result["hotpass"], result["splink"])
    result["targets"] = targets(result)
    result["all_pass"] = all(t["pass"] for t in result["targets"].values())
    (out_dir / "dedupe.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _run_child(kind: str, records: Path, out_dir: Path, profile: str) -> dict[str, Any]:
    """One child resolving ``records`` with ``kind``: its figures and report."""
    from hotpass.bench.children import run_sampling_memory

    labels = out_dir / f"dedupe-{kind}.json"
    labels.unlink(missing_ok=True)
    command = [sys.executable, "-m", "hotpass.bench.dedupe", kind, str(records), str(labels),
               profile]
    begun = time.perf_counter()
    done, peak, _, _ = run_sampling_memory(command)
    figures: dict[str, Any] = {"wall_seconds": round(time.perf_counter() - begun, 2),
                               "peak_mb": peak}
    if done.returncode != 0 or not labels.is_file():
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        return figures | {"ok": False, "error": f"{kind} child exited {done.returncode}: "
                                                f"{lines[-1]}"}
    report = json.loads(labels.read_text(encoding="utf-8"))
    added = report.get("resolve_peak_mb")
    figures.update(ok=True, seconds=report["seconds"], report=report,
                   added_mb=round(peak - report["loaded_mb"] if added is None else added, 1))
    if "core_seconds" in report:
        figures["core_seconds"] = report["core_seconds"]
    return figures


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's labels with every figure the median of the runs (each run's own
    figures kept under ``runs``): one busy moment on a shared machine moves no figure."""
    import statistics

    figures = dict(runs[0])
    for name in ("wall_seconds", "peak_mb", "seconds", "added_mb", "core_seconds"):
        if name in figures:
            figures[name] = round(statistics.median(r[name] for r in runs), 3)
    figures["runs"] = [{k: r[k] for k in ("seconds", "added_mb", "peak_mb") if k in r}
                       for r in runs]
    return figures


def _prepared_records(input_dir: Path, profile_name: str):
    """refine's ingest -> map -> join -> normalise for every file, combined as consolidate
    does it (the records both systems resolve)."""
    import pandas as pd

    from hotpass.profiles import load_profile
    from hotpass.refine.ingest.files import discover_inputs
    from hotpass.refine.pipeline import prepare_all

    profile = load_profile(profile_name)
    prepared = prepare_all(discover_inputs(input_dir, None), input_dir, profile)
    return _text_as_objects(pd.concat([s.frame for p in prepared for s in p.frames
                                       if len(s.frame)], ignore_index=True, sort=False))


def _text_as_objects(frame):
    """Every column but the source row as Python objects, missing values None: the records
    as consolidation hands them to the resolution (a Parquet round trip keeps neither)."""
    from hotpass.refine.model import SOURCE_ROW

    text = [c for c in frame.columns if c != SOURCE_ROW]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame


def _scores(predicted: dict, truth: dict) -> dict[str, float]:
    from hotpass.bench.scoring import pairwise_precision_recall

    precision, recall = pairwise_precision_recall(predicted, truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _best_threshold(keys: list, pairs: list, truth: dict) -> dict[str, Any]:
    """Splink's F1 at the match probability that suits it best (connected components of its
    predicted pairs, as its own clustering does)."""
    import numpy as np

    from hotpass.refine.resolve.clustering import link

    scored = np.asarray(pairs, dtype=np.float64).reshape(-1, 3)
    left, right = scored[:, 0].astype(np.int64), scored[:, 1].astype(np.int64)
    best: dict[str, Any] = {}
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        # a vanishing cohesion: plain connected components, as Splink clusters
        labels = link(len(keys), left, right, scored[:, 2], threshold, 1e-12)[0].tolist()
        figures = _scores(dict(zip(keys, labels, strict=True)), truth)
        if not best or figures["f1"] > best["f1"]:
            best = {"threshold": threshold, **figures}
    return best


def _child(kind: str, records: Path, labels_path: Path, profile_name: str) -> None:
    """Resolve the records with one system; write labels, seconds and memory as JSON."""
    import pandas as pd
    import psutil

    from hotpass.profiles import load_profile
    from hotpass.refine.heap import release_free_memory

    profile = load_profile(profile_name)
    frame = _text_as_objects(pd.read_parquet(records))
    report: dict[str, Any] = {}
    release_free_memory()  # neither side may reuse the heap garbage loading left
    loaded = psutil.Process().memory_full_info().pss
    before = _resident_reset()
    started = time.perf_counter()
    if kind == "splink":  # its input table (from Hotpass's features) is part of its work
        from hotpass.bench.splink import splink_clusters, splink_table

        table = splink_table(frame, profile)
        prepared = time.perf_counter()
        labels, pairs, notes = splink_clusters(table, SPLINK_THRESHOLD)
        report.update(pairs=pairs.ravel().tolist(), notes=notes,
                      core_seconds=round(time.perf_counter() - prepared, 3))
    else:
        from hotpass.refine.resolve.dedupe import resolve

        labels = resolve(frame, profile).labels
    report.update(seconds=round(time.perf_counter() - started, 3),
                  loaded_mb=round(loaded / 2**20, 1), labels=[int(x) for x in labels])
    if before is not None:
        report["resolve_peak_mb"] = round(_status_mb("VmHWM") - before, 1)
    labels_path.write_text(json.dumps(report), encoding="utf-8")


def _resident_reset() -> float | None:
    """Reset the kernel's peak-resident mark of this process (Linux ``clear_refs`` 5) and
    return the resident MB now; None where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        return _status_mb("VmRSS")
    except OSError:
        return None


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise OSError(f"/proc/self/status has no {key}")


def main(argv: list[str] | None = None) -> int:
    """``python -m hotpass.bench.dedupe hotpass|splink RECORDS LABELS PROFILE`` (a child)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4 or args[0] not in ("hotpass", "splink"):
        print(main.__doc__, file=sys.stderr)
        return 2
    try:
        _child(args[0], Path(args[1]), Path(args[2]), args[3])
    except RuntimeError as exc:  # Splink missing: the one-line install hint
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
