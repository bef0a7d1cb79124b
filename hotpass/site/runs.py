"""The runs a site shows: found under output folders, read from what a run already wrote.

Contract:
- ``discover(folders)``: every refine run below each folder, oldest first: the folder's
  own published set (``quality-report.json``), the run folders of its staging area
  (``.<name>.runs/<run-id>/``) and, one level down, any folder holding a
  ``quality-report.json`` (copies kept elsewhere). One ``Run`` per real folder; the id is
  the staging folder's name (``20261206T101247Z-...``) or, for a copy, its folder name.
  A folder that does not exist is one ``HotpassError`` naming ``--runs``.
- ``facts(run)``: everything the pages show about one run, JSON-able: totals, sources,
  fill rates, issues by rule, stage timings, links with unmatched rows, the review lists
  with their compared fields, the decisions this run honoured, the files it published
  (from ``SHA256SUMS``); the build adds lineage and the Prefect and Marquez links.
- ``summary(facts)``: the one line the runs log keeps per run (the index needs no more).

Pitfalls: a run folder's ``current``/``previous`` links point at run folders already
found, so folders are deduplicated by real path. A report that is not JSON is skipped
with a warning, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from hotpass.errors import HotpassError

REPORT = "quality-report.json"
_RUN_ID = re.compile(r"^(\d{8}T\d{6}Z)")
log = logging.getLogger("hotpass.site")


@dataclass(frozen=True)
class Run:
    id: str
    dir: Path  # the run's own folder (real path)
    output_dir: Path  # the output folder it was published into (given as --runs)


def discover(folders: list[Path]) -> list[Run]:
    found: dict[Path, Run] = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise HotpassError(f"--runs {folder}: no such folder")
        candidates = [folder, *sorted(folder.glob(".*.runs/*")), *sorted(folder.glob("*"))]
        for candidate in candidates:
            if candidate.name in ("current", "previous") or not (candidate / REPORT).is_file():
                continue
            real = (candidate / REPORT).resolve().parent
            if real not in found:
                found[real] = Run(real.name if _RUN_ID.match(real.name) else
                                  _copy_id(real), real, folder.resolve())
    return sorted(found.values(), key=lambda r: (
        started_at(r) or "", (r.dir / REPORT).stat().st_mtime_ns, r.id))


def _copy_id(folder: Path) -> str:
    stamp = dt.datetime.fromtimestamp((folder / REPORT).stat().st_mtime, dt.UTC)
    name = re.sub(r"[^A-Za-z0-9._-]", "-", folder.name)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{name}"


def started_at(run: Run) -> str | None:
    match = _RUN_ID.match(run.id)
    if not match:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(
        tzinfo=dt.UTC).isoformat(timespec="seconds")


def read_report(run: Run) -> dict | None:
    try:
        return json.loads((run.dir / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s: skipped, not a readable quality report (%s)", run.dir / REPORT, exc)
        return None


def facts(run: Run, report: dict) -> dict:
    totals = report.get("totals", {})
    dedupe = report.get("dedupe") or {}
    issues = totals.get("issues", {})
    stages = report.get("stage_seconds", {})
    errors = int(issues.get("error", 0))
    return {
        "id": run.id, "started_at": started_at(run), "profile": report.get("profile"),
        "version": report.get("version"), "output_dir": str(run.output_dir),
        "status": "published" if not errors else f"published, {errors} error(s)",
        "rows_in": totals.get("rows_in", 0), "records_out": totals.get("records_out", 0),
        "duplicates_merged": totals.get("duplicates_merged", 0),
        "issues": sum(int(v) for v in issues.values()), "issues_by_severity": issues,
        "duration_s": round(sum(float(v) for v in stages.values()), 3),
        "stage_seconds": stages, "totals": totals, "inputs": report.get("inputs", []),
        "sources": [_source(s) for s in report.get("sources", [])],
        "fill_rates": report.get("fill_rates", {}),
        "issues_by_rule": report.get("issues_by_rule", {}),
        "links": report.get("links", []),
        "sample_issues": report.get("sample_issues", [])[:50],
        "review": {"threshold_probability": dedupe.get("threshold_probability"),
                   "review_file": _review_file(run, dedupe.get("review_file")),
                   "near_threshold": _weighted(dedupe),
                   "decisions": dedupe.get("review_decisions", [])},
        "downloads": _downloads(run), "prefect_url": None, "marquez_url": None,
    }


def _weighted(dedupe: dict) -> dict:
    """The review lists with each compared field's weight, log2(m/u) of its level."""
    import math

    model = dedupe.get("fields", {})
    near = {}
    for side, pairs in dedupe.get("near_threshold", {}).items():
        near[side] = []
        for pair in pairs:
            weights = {}
            for name, level in pair.get("levels", {}).items():
                mu = model.get(name, {}).get(level, {})
                if mu.get("m") and mu.get("u"):
                    weights[name] = round(math.log2(mu["m"] / mu["u"]), 2)
            near[side].append(pair | {"field_weights": weights})
    return near


def summary(fact: dict) -> dict:
    keys = ("id", "started_at", "profile", "status", "rows_in", "records_out",
            "duplicates_merged", "issues", "duration_s", "prefect_url", "marquez_url",
            "output_dir")
    review_file = fact["review"]["review_file"]
    return {k: fact.get(k) for k in keys} | {
        "review_pairs": sum(len(v) for v in fact["review"]["near_threshold"].values()),
        "decisions": len(fact["review"]["decisions"]), "review_file": review_file}


def _source(entry: dict) -> dict:
    keys = ("file", "sheet", "status", "rows_in", "rows_out", "header_row", "reason",
            "unmapped_columns")
    return {k: entry.get(k) for k in keys} | {"mapped": len(entry.get("mapped_columns", {}))}


def _review_file(run: Run, named: str | None) -> str | None:
    if not named:
        return None
    path = Path(named)
    return str(path if path.is_absolute() else run.output_dir / path)


def _downloads(run: Run) -> list[dict]:
    sums = run.dir / "SHA256SUMS"
    if not sums.is_file():
        return []
    out = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        name = name.lstrip("*")
        if name and (run.dir / name).is_file():
            out.append({"name": name, "sha256": digest, "path": str(run.dir / name),
                        "bytes": (run.dir / name).stat().st_size})
    return out
