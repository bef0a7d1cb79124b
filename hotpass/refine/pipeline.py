"""The refine pipeline: the per-file unit, the consolidation, and the whole run.

Contract:
- ``prepare_source(path, input_root, profile)`` ingests, maps, joins and normalises one
  file. It never raises for a bad file: the failure becomes a ``file.unreadable`` issue,
  so one bad file among good ones is skipped (a flow maps this over files as tasks).
  It is ``read_source`` (ingest, mapping, joins) then ``normalise_frame`` per sheet then
  ``finish_source``; ``prepare_all`` runs the same steps on a process pool, normalising
  in row chunks, with the same result.
  Pick lists and code tables (``ingest.reference``) are listed as "reference" sheets and
  never become organisations.
- ``consolidate(prepared, profile)`` de-duplicates, merges and validates all of them.
- ``consolidate`` raises ``InputError`` when no usable rows remain; records naming no
  organisation are errors and left out; a repeated ``organization_id`` fails the run.
The whole run (gate, export, report, archive) is composed in ``hotpass.refine.output.publish``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from hotpass.errors import InputError
from hotpass.profiles.model import Profile
from hotpass.refine.ingest.column_types import ColumnTyper
from hotpass.refine.ingest.domains import attach_by_domain
from hotpass.refine.ingest.files import read_sheets, refuse_outside
from hotpass.refine.ingest.links import drop_link_keys, link_sheets
from hotpass.refine.ingest.mapping import frame_from_sheet
from hotpass.refine.ingest.reference import MAX_ROWS as REFERENCE_MAX_ROWS
from hotpass.refine.ingest.reference import reference_reason
from hotpass.refine.model import (
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    Consolidated,
    Issue,
    PreparedSource,
    SheetReport,
    SourceFrame,
)
from hotpass.refine.pool import WATCH_SECONDS, PoolWatch, stop_pool
from hotpass.refine.signals import child_init, held
from hotpass.refine.stages import StageClock, timed

Progress = Callable[[str, int, int], None]  # (stage, done, total)
log = logging.getLogger("hotpass.refine")


def prepare_source(path: Path, input_root: Path, profile: Profile) -> PreparedSource:
    """The whole per-file unit in this process: ``read_source`` then normalisation."""
    prepared = read_source(path, input_root, profile)
    cleaned = [normalise_chunk(source.frame, profile) for source in prepared.frames]
    return finish_source(prepared, [[part] for part in cleaned], profile)


def normalise_chunk(frame, profile: Profile) -> tuple:
    """``normalise_frame`` of one chunk, and the seconds it took (for ``ingest.normalise``)."""
    from hotpass.refine.normalise import normalise_frame

    start = time.perf_counter()
    cleaned, issues = normalise_frame(frame, profile)
    return cleaned, issues, time.perf_counter() - start


def read_source(path: Path, input_root: Path, profile: Profile) -> PreparedSource:
    """Ingest, map and join one file's sheets; frames hold raw (not yet normalised) text."""
    label = path.relative_to(input_root).as_posix() if path.is_relative_to(input_root) else str(
        path)
    typer = ColumnTyper(profile)
    prepared = PreparedSource(path=path, relative=label, frames=[], sheets=[], issues=[])
    small: list[tuple[SourceFrame, list]] = []  # reference sheet candidates and their cells
    seconds, start = prepared.stage_seconds, time.perf_counter()
    try:
        refuse_outside(path, input_root, label)
        for sheet in read_sheets(path, label):
            start = timed(seconds, "read", start)
            outcome = frame_from_sheet(sheet, label, profile, typer)
            start = timed(seconds, "typing", start)
            report = outcome.report if isinstance(outcome, SourceFrame) else outcome
            prepared.sheets.append(report)
            if isinstance(outcome, SourceFrame):
                prepared.frames.append(outcome)
                if len(outcome.frame) <= REFERENCE_MAX_ROWS:
                    small.append((outcome, sheet.texts[report.header_row - 1:]))
            elif report.status == "failed":
                prepared.issues.append(_sheet_issue(profile, "sheet.no_header", report))
            else:
                prepared.issues.append(_sheet_issue(profile, "sheet.skipped", report))
    except InputError as exc:
        log.info("skipping %s: %s", label, exc.message)
        prepared.frames.clear()
        prepared.sheets.append(SheetReport(file=label, sheet="", status="failed",
                                           reason=exc.message))
        prepared.issues.append(Issue(severity=profile.severity("file.unreadable"),
                                     rule="file.unreadable", file=label, message=exc.message))
        return prepared
    start = timed(seconds, "read", start)  # the reader's last step: finding no more sheets
    for source, texts in small:
        others = [f.frame for f in prepared.frames if f is not source]
        reason = reference_reason(texts[0], texts[1:], others)
        if reason:  # vocabulary, never organisations
            source.report.status, source.report.reason = "reference", reason
            prepared.frames.remove(source)
    prepared.issues.extend(link_sheets(prepared.frames, profile))
    timed(seconds, "link", start)
    return prepared


def finish_source(prepared: PreparedSource, cleaned: list[list[tuple]],
                  profile: Profile) -> PreparedSource:
    """Put the normalised row chunks back (``cleaned[i]``: ``normalise_chunk`` results for
    ``prepared.frames[i]``, in row order) and add the per-sheet issues, in the order one
    ``normalise_frame`` over the whole sheet gives (by field, then row)."""
    import pandas as pd

    field_order = {name: position for position, name in enumerate(profile.fields)}
    for source, parts in zip(prepared.frames, cleaned, strict=True):
        prepared.stage_seconds["normalise"] = (prepared.stage_seconds.get("normalise", 0.0)
                                               + sum(seconds for _, _, seconds in parts))
        frames = [frame for frame, _, _ in parts]
        source.frame = frames[0] if len(frames) == 1 else pd.concat(frames)
        issues = [issue for _, found, _ in parts for issue in found]
        if len(parts) > 1:
            issues.sort(key=lambda issue: field_order.get(issue.field, len(field_order)))
        prepared.issues.extend(issues)
        for column in source.report.unmapped_columns:
            prepared.issues.append(Issue(
                severity=profile.severity("column.unmapped"), rule="column.unmapped",
                file=prepared.relative, sheet=source.sheet, row=source.report.header_row,
                value=column,
                message=f"column '{column}' matches no profile field; not carried over"))
    return prepared


def _sheet_issue(profile: Profile, rule: str, report: SheetReport) -> Issue:
    return Issue(severity=profile.severity(rule), rule=rule, file=report.file,
                 sheet=report.sheet, message=report.reason)


PARALLEL_MIN_BYTES = 8 * 1024 * 1024


def worker_count(inputs: list[Path]) -> int:
    """Processes for the per-file work: one per core for large multi-file inputs, else 1
    (starting a worker costs ~0.5 s of imports, more than small files take)."""
    total = sum(_size(p) for p in inputs)
    if len(inputs) < 2 or total < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(len(inputs), os.cpu_count() or 1, 4))


def prepare_all(inputs: list[Path], input_root: Path, profile: Profile,
                progress: Progress | None = None) -> list[PreparedSource]:
    """``prepare_source`` for every file, in input order, in parallel when it pays."""
    workers = worker_count(inputs)
    log.debug("ingest: %d file(s), %d worker process(es)", len(inputs), workers)
    if workers == 1:
        prepared = []
        for done, path in enumerate(inputs, start=1):
            prepared.append(prepare_source(path, input_root, profile))
            if progress:
                progress("ingest", done, len(inputs))
        return prepared
    # fork: workers inherit the loaded modules (spawn re-imports pandas and __main__).
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method),
                               initializer=child_init, initargs=(os.getpid(),))
    try:
        return _prepare_in_pool(pool, inputs, input_root, profile, progress)
    finally:  # success, failure or signal: no worker and no pool thread outlives this
        stop_pool(pool)


NORMALISE_CHUNK_ROWS = 20_000


def _prepare_in_pool(pool: ProcessPoolExecutor, inputs: list[Path], input_root: Path,
                     profile: Profile, progress: Progress | None) -> list[PreparedSource]:
    """Two kinds of task on one pool: reading a file (ingest, mapping, joins), then
    normalising its sheets in row chunks of ``NORMALISE_CHUNK_ROWS``. Files differ in size
    by several times, so whole-file tasks leave a core idle at the end; chunks keep both
    busy. Results are put back in input order whatever order they finish in."""
    # Largest first so the long files start early and the short ones fill in. Workers
    # fork on submit: a signal raised inside the fork callbacks would only be printed.
    order = sorted(range(len(inputs)), key=lambda i: -_size(inputs[i]))
    with held():
        pending = {pool.submit(read_source, inputs[i], input_root, profile): (i, -1, 0)
                   for i in order}
    watch = PoolWatch(pool, inputs)
    read: dict[int, PreparedSource] = {}
    cleaned: dict[int, list[list]] = {}
    waiting: dict[int, int] = {}
    results: list[PreparedSource | None] = [None] * len(inputs)
    finished = 0
    while pending:
        done, _ = wait(pending, timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED)
        watch.check(done, {index for index, _, _ in pending.values()})
        for future in done:
            index, frame_index, chunk = pending.pop(future)
            if frame_index < 0:
                read[index] = source = watch.result(future, index)
                cleaned[index] = []
                waiting[index] = 0
                for position, sheet in enumerate(source.frames):
                    starts = range(0, max(len(sheet.frame), 1), NORMALISE_CHUNK_ROWS)
                    cleaned[index].append([None] * len(starts))
                    for number, start in enumerate(starts):
                        part = sheet.frame.iloc[start:start + NORMALISE_CHUNK_ROWS]
                        with held():
                            pending[pool.submit(normalise_chunk, part, profile)] = (
                                index, position, number)
                        waiting[index] += 1
                    sheet.frame = sheet.frame.iloc[0:0]  # the chunks carry the rows now
            else:
                cleaned[index][frame_index][chunk] = watch.result(future, index)
                waiting[index] -= 1
            if waiting[index] == 0:
                results[index] = finish_source(read.pop(index), cleaned.pop(index), profile)
                finished += 1
                if progress:
                    progress("ingest", finished, len(inputs))
    return [r for r in results if r is not None]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # broken link: reading it reports the problem
        return 0


def consolidate(prepared: list[PreparedSource], profile: Profile,
                decisions: list | None = None, clock: StageClock | None = None) -> Consolidated:
    """``decisions``: the reviewers' (``hotpass.refine.resolve.review_file``), honoured;
    ``clock`` times the steps as ``consolidate.link|combine|resolve|merge|validate``."""
    import pandas as pd

    from hotpass.refine.heap import release_free_memory
    from hotpass.refine.merge import merge_clusters
    from hotpass.refine.resolve.dedupe import resolve
    from hotpass.refine.validate import check_keys, leave_out_unnamed, validate_records

    clock = StageClock() if clock is None else clock
    with clock.stage("consolidate.link"):
        sources = [s for p in prepared for s in p.frames]
        cross_file = link_sheets(sources, profile, across_files=True)
        drop_link_keys(sources)
    frames = [s.frame for p in prepared for s in p.frames if len(s.frame)]
    if not frames:
        failures = [i for p in prepared for i in p.issues if i.severity == "error"]
        first = failures[0] if failures else None
        detail = ("no sheet held any data rows" if first is None
                  else first.message if first.message.startswith(first.file) else first.one_line())
        raise InputError(f"no usable input: {detail}")
    with clock.stage("consolidate.combine"):
        combined = pd.concat(frames, ignore_index=True, sort=False)
        del frames
        for source in (s for p in prepared for s in p.frames):
            source.frame = source.frame.iloc[0:0]  # the combined frame holds the rows now
        text_columns = [c for c in combined.columns if c != SOURCE_ROW]
        combined[text_columns] = combined[text_columns].astype(object)
        combined[text_columns] = combined[text_columns].where(combined[text_columns].notna(),
                                                              None)
        attach_by_domain(combined, profile)
    with clock.stage("consolidate.resolve"):
        resolution = resolve(combined, profile, decisions=decisions)
    labels = resolution.labels
    records_per_sheet = (
        pd.DataFrame({"file": combined[SOURCE_FILE], "sheet": combined[SOURCE_SHEET],
                      "record": labels}).drop_duplicates().groupby(["file", "sheet"]).size())
    for source in (s for p in prepared for s in p.frames):
        source.report.rows_out = int(records_per_sheet.get((source.file, source.sheet), 0))
    rows_in = len(combined)
    with clock.stage("consolidate.merge"):
        release_free_memory()  # the resolution's garbage: some 170 MB at 200,000 rows
        merged = merge_clusters(combined, labels, profile, resolution.evidence)
        del combined
        release_free_memory()
    with clock.stage("consolidate.validate"):
        issues = ([i for p in prepared for i in p.issues] + cross_file
                  + validate_records(merged, profile))
        records = len(merged.refined)
        leave_out_unnamed(merged)
        check_keys(merged)
    return Consolidated(merged.refined, merged.provenance, issues, rows_in, rows_in - records,
                        resolution.model | {"near_threshold": resolution.near_threshold})
