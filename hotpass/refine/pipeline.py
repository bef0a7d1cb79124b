"""The refine pipeline: the per-file unit, the consolidation, and the whole run.

Contract:
- ``prepare_source(path, input_root, profile)`` ingests, maps, joins and normalises one
  file. It never raises for a bad file: the failure becomes a ``file.unreadable`` issue,
  so one bad file among good ones is skipped (a flow maps this over files as tasks).
- ``consolidate(prepared, profile)`` de-duplicates, merges and validates all of them.
- ``run_refine(options, progress)`` does the whole job and writes the outputs; it raises
  ``InputError`` when nothing usable remains and ``StrictModeError`` under ``--strict``
  before anything is written, so a failed run leaves no partial output.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from hotpass import __version__
from hotpass.errors import InputError, StrictModeError
from hotpass.profiles import Profile, load_profile
from hotpass.refine.ingest import discover_inputs, read_sheets
from hotpass.refine.mapping import ColumnMatcher, frame_from_sheet
from hotpass.refine.model import (
    SOURCE_ROW,
    Issue,
    PreparedSource,
    RefineOptions,
    RefineResult,
    SheetReport,
    SourceFrame,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def prepare_source(path: Path, input_root: Path, profile: Profile) -> PreparedSource:
    from hotpass.refine.normalise import normalise_frame

    label = path.relative_to(input_root).as_posix() if path.is_relative_to(input_root) else str(
        path)
    matcher = ColumnMatcher(profile)
    prepared = PreparedSource(path=path, relative=label, frames=[], sheets=[], issues=[])
    try:
        for sheet in read_sheets(path, label):
            outcome = frame_from_sheet(sheet, label, profile, matcher)
            report = outcome.report if isinstance(outcome, SourceFrame) else outcome
            prepared.sheets.append(report)
            if isinstance(outcome, SourceFrame):
                prepared.frames.append(outcome)
            elif report.status == "failed":
                prepared.issues.append(_sheet_issue(profile, "sheet.no_header", report))
            else:
                prepared.issues.append(_sheet_issue(profile, "sheet.skipped", report))
    except InputError as exc:
        prepared.frames.clear()
        prepared.sheets.append(SheetReport(file=label, sheet="", status="failed",
                                           reason=exc.message))
        prepared.issues.append(Issue(severity=profile.severity("file.unreadable"),
                                     rule="file.unreadable", file=label, message=exc.message))
        return prepared
    prepared.issues.extend(apply_joins(prepared.frames, profile))
    for source in prepared.frames:
        source.frame, issues = normalise_frame(source.frame, profile)
        prepared.issues.extend(issues)
        for column in source.report.unmapped_columns:
            prepared.issues.append(Issue(
                severity=profile.severity("column.unmapped"), rule="column.unmapped",
                file=label, sheet=source.sheet, row=source.report.header_row, value=column,
                message=f"column '{column}' matches no profile field; not carried over"))
    return prepared


def _sheet_issue(profile: Profile, rule: str, report: SheetReport) -> Issue:
    return Issue(severity=profile.severity(rule), rule=rule, file=report.file,
                 sheet=report.sheet, message=report.reason)


def apply_joins(frames: list[SourceFrame], profile: Profile) -> list[Issue]:
    """Fill related-sheet rows (contacts) with organisation fields of their primary row."""
    issues: list[Issue] = []
    org_fields = [f for f, s in profile.fields.items() if not s.contact]
    for join in profile.joins:
        primary = next((f for f in frames if re.search(join.primary_sheet, f.sheet)), None)
        related = [f for f in frames if f is not primary and re.search(join.related_sheet,
                                                                           f.sheet)]
        if primary is None or join.key not in primary.frame:
            continue
        lookup = primary.frame.dropna(subset=[join.key]).drop_duplicates(join.key)
        lookup = lookup.set_index(join.key)
        fill = [f for f in org_fields if f in lookup.columns]
        for target in related:
            frame = target.frame
            if join.key not in frame:
                continue
            known = frame[join.key].isin(lookup.index)
            for field in fill:
                looked_up = frame[join.key].map(lookup[field])
                frame[field] = frame[field].fillna(looked_up) if field in frame else looked_up
            for row in frame.loc[~known & frame[join.key].notna(), "__source_row"]:
                issues.append(Issue(
                    severity=profile.severity("join.orphan"), rule="join.orphan",
                    file=target.file, sheet=target.sheet, row=int(row), field=join.key,
                    message=f"{join.key} has no matching row in sheet {primary.sheet}"))
            target.report.mapped_columns.setdefault(
                f"(joined from {primary.sheet} on {join.key})", ", ".join(fill))
    return issues


PARALLEL_MIN_BYTES = 8 * 1024 * 1024


def worker_count(inputs: list[Path]) -> int:
    """Processes for the per-file work: one per core for large multi-file inputs, else 1
    (starting a worker costs ~0.5 s of imports, more than small files take)."""
    total = sum(p.stat().st_size for p in inputs if p.is_file())
    if len(inputs) < 2 or total < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(len(inputs), os.cpu_count() or 1, 4))


def prepare_all(inputs: list[Path], input_root: Path, profile: Profile,
                progress: Progress | None = None) -> list[PreparedSource]:
    """``prepare_source`` for every file, in input order, in parallel when it pays."""
    workers = worker_count(inputs)
    if workers == 1:
        prepared = []
        for done, path in enumerate(inputs, start=1):
            prepared.append(prepare_source(path, input_root, profile))
            if progress:
                progress("ingest", done, len(inputs))
        return prepared
    by_path: dict[Path, PreparedSource] = {}
    # Largest first so the long files start early and the short ones fill in.
    ordered = sorted(inputs, key=lambda p: -p.stat().st_size)
    # fork: workers inherit the loaded modules (spawn re-imports pandas and __main__).
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
        futures = {pool.submit(prepare_source, path, input_root, profile): path
                   for path in ordered}
        for done, future in enumerate(as_completed(futures), start=1):
            by_path[futures[future]] = future.result()
            if progress:
                progress("ingest", done, len(inputs))
    return [by_path[path] for path in inputs]


@dataclass
class Consolidated:
    refined: object
    provenance: object
    issues: list[Issue]
    rows_in: int
    duplicates_merged: int


def consolidate(prepared: list[PreparedSource], profile: Profile) -> Consolidated:
    import pandas as pd

    from hotpass.refine.dedupe import cluster_rows
    from hotpass.refine.merge import merge_clusters
    from hotpass.refine.validate import validate_records

    frames = [s.frame for p in prepared for s in p.frames if len(s.frame)]
    if not frames:
        failures = [i for p in prepared for i in p.issues if i.severity == "error"]
        detail = failures[0].one_line() if failures else "no sheet held any data rows"
        raise InputError(f"no usable input: {detail}")
    combined = pd.concat(frames, ignore_index=True, sort=False)
    for source in (s for p in prepared for s in p.frames):
        source.report.rows_out = int(len(source.frame))
        source.frame = source.frame.iloc[0:0]  # the combined frame holds the rows now
    del frames
    text_columns = [c for c in combined.columns if c != SOURCE_ROW]
    combined[text_columns] = combined[text_columns].astype(object)
    combined[text_columns] = combined[text_columns].where(combined[text_columns].notna(), None)
    labels = cluster_rows(combined, profile)
    merged = merge_clusters(combined, labels, profile)
    issues = [i for p in prepared for i in p.issues] + validate_records(merged, profile)
    return Consolidated(merged.refined, merged.provenance, issues, len(combined),
                        len(combined) - len(merged.refined))


@contextmanager
def _stage(timings: dict[str, float], name: str):
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)


def run_refine(options: RefineOptions, progress: Progress | None = None) -> RefineResult:
    from hotpass.refine.export import write_refined_outputs
    from hotpass.refine.report import (
        build_quality_report,
        quality_summary_frame,
        write_quality_report,
    )

    timings: dict[str, float] = {}
    profile = load_profile(options.profile_name, options.profile_search_paths)
    inputs = discover_inputs(options.input_dir, options.since)
    with _stage(timings, "ingest"):
        prepared = prepare_all(inputs, options.input_dir, profile, progress)
    with _stage(timings, "consolidate"):
        result = consolidate(prepared, profile)
    sheets = [s for p in prepared for s in p.sheets]
    errors = [i for i in result.issues if i.severity == "error"]
    if options.strict and errors:
        raise StrictModeError(
            f"--strict: {len(errors)} error(s); first: {errors[0].one_line()}")
    report = build_quality_report(
        profile=profile, sheets=sheets, refined=result.refined, issues=result.issues,
        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
        inputs=[p.relative for p in prepared], stage_seconds=timings,
        hotpass_version=__version__)
    with _stage(timings, "export"):
        outputs = write_refined_outputs(options.output_path, result.refined, result.provenance,
                                        result.issues, quality_summary_frame(report))
        outputs.update(write_quality_report(report, options.output_path.parent))
    if options.archive:
        from hotpass.refine.archive import build_archive

        outputs["archive"] = build_archive(
            archive_path=options.output_path.with_name(options.output_path.stem + "-bundle.zip"),
            outputs=dict(outputs), inputs=inputs, input_root=options.input_dir,
            profile_name=profile.name,
            row_counts={"rows_in": result.rows_in, "records_out": len(result.refined),
                        "duplicates_merged": result.duplicates_merged},
            hotpass_version=__version__)
    if progress:
        progress("done", 1, 1)
    return RefineResult(options=options, refined=result.refined, provenance=result.provenance,
                        issues=result.issues, sheets=sheets, inputs=inputs,
                        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
                        outputs=outputs, report=report, stage_seconds=timings)
