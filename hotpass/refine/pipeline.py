"""The refine pipeline: the per-file unit, read in isolation, and the parallel ingest.

Contract:
- ``prepare_source(path, input_root, profile)`` ingests, maps, joins and normalises one
  file. It never raises for a bad file: the failure (an ``InputError``, a
  ``MemoryError``) becomes a ``file.unreadable`` issue, so one bad file among good ones
  is skipped (a flow maps this over files as tasks). It is ``read_isolated`` then
  ``normalise_frame`` per sheet then ``finish_source``; ``prepare_all`` runs the same
  steps on a process pool, normalising in row chunks, with the same result.
- ``read_isolated`` is ``read_source`` (ingest, mapping, joins) with the reading itself
  (``read_columns``) run in a forked child (``refine.isolation``) for the formats read by
  native code (``NATIVE_READERS``: calamine is Rust, Arrow C++), so an abort or the OOM
  killer's SIGKILL there is this file's error, naming how the reader died, never the
  run's. The child hands each sheet over as one Arrow string array (a few bytes a cell;
  pickled Python rows cost the child a memo entry per cell and the receiver a second
  copy while the child still held the first); the typing and mapping run here, after
  the child is gone. A CSV is read in this
  process on purpose: the stdlib reader allocates only Python objects, within the
  streaming limits of ``ingest.csvfile``; a fork would cost a copy of its rows for
  nothing.
- In the pool, a worker runs ``read_isolated`` itself in a forked child
  (``read_detached``), which hands the result over as one pickled ``bytes`` (``refine.handover``:
  text columns as Arrow, not a memo entry a cell) the worker
  passes on unopened: a worker that typed and mapped a file kept ~100 MB of freed but
  fragmented heap (Python's small-object arenas, which ``malloc_trim`` cannot return)
  through all its normalising, where the whole run's peak is.
- Pick lists and code tables (``ingest.reference``) are listed as "reference" sheets and
  never become organisations.
The consolidation is ``refine.consolidate``; the whole run (gate, export, report,
archive) is composed in ``hotpass.refine.output.publish``.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from hotpass.errors import InputError
from hotpass.profiles.model import Profile
from hotpass.refine import handover
from hotpass.refine.heap import release_free_memory
from hotpass.refine.ingest.cells import RawSheet
from hotpass.refine.ingest.column_types import ColumnTyper
from hotpass.refine.ingest.files import preload_readers, read_sheets, refuse_outside
from hotpass.refine.ingest.links import link_sheets
from hotpass.refine.ingest.mapping import frame_from_sheet
from hotpass.refine.ingest.reference import MAX_ROWS as REFERENCE_MAX_ROWS
from hotpass.refine.ingest.reference import reference_reason
from hotpass.refine.isolation import run_isolated
from hotpass.refine.model import Issue, PreparedSource, SheetReport, SourceFrame
from hotpass.refine.pool import WATCH_SECONDS, PoolWatch, stop_pool
from hotpass.refine.signals import child_init, held
from hotpass.refine.stages import timed, work_seconds

Progress = Callable[[str, int, int], None]  # (stage, done, total)
log = logging.getLogger("hotpass.refine")


def prepare_source(path: Path, input_root: Path, profile: Profile) -> PreparedSource:
    """The whole per-file unit: ``read_isolated`` then normalisation."""
    prepared = read_isolated(path, input_root, profile)
    cleaned = [normalise_chunk(source.frame, profile) for source in prepared.frames]
    return finish_source(prepared, [[part] for part in cleaned], profile)


def normalise_chunk(frame, profile: Profile) -> tuple:
    """``normalise_frame`` of one chunk, and the CPU seconds it took this process (for
    ``ingest.normalise``): the work itself, not the wait for a core beside the other
    worker and the machine's other processes, which wall seconds counted."""
    from hotpass.refine.normalise import normalise_frame

    start = time.process_time()
    cleaned, issues = normalise_frame(frame, profile)
    return cleaned, issues, time.process_time() - start


NATIVE_READERS = (".xlsx", ".xlsm", ".parquet")  # calamine (Rust), Arrow (C++)


def read_isolated(path: Path, input_root: Path, profile: Profile) -> PreparedSource:
    """``read_source``; in a forked child for ``NATIVE_READERS`` (module docstring)."""
    if path.suffix.lower() not in NATIVE_READERS:
        return read_source(path, input_root, profile)
    preload_readers()  # once per process, not once per forked reader
    prepared = read_source(path, input_root, profile, reader=_read_in_child)
    release_free_memory()  # the sheets' texts, freed: given back before the result is sent
    return prepared


def _read_in_child(path: Path, label: str) -> Iterator[RawSheet]:
    """``read_sheets`` run in a forked child, which hands the sheets over in Arrow;
    each is turned back into text rows here, one at a time, as it is mapped."""
    sheets, how = run_isolated(read_columns, path, label)
    if how is not None:
        raise InputError(f"{label}: the reader {how}; the file is skipped (a crafted or "
                         "damaged file?)")
    while sheets:
        sheets[0].texts  # noqa: B018 -- converted here, so the time counts as reading
        yield sheets.pop(0)  # held by the caller alone, which frees it once mapped


def read_detached(path: Path, input_root: Path, profile: Profile) -> bytes:
    """``read_isolated`` in a forked child; its ``PreparedSource``, pickled (module
    docstring). A child that dies makes the file unreadable, as a dead reader does."""
    preload_readers()  # once per worker, not once per file's child (~0.4 s each)
    payload, how = run_isolated(_read_pickled, path, input_root, profile)
    if how is None:
        return payload
    label = _label(path, input_root)
    prepared = PreparedSource(path=path, relative=label, frames=[], sheets=[], issues=[])
    return pickle.dumps(_unreadable(prepared, profile, label, f"{label}: the reader {how}; "
                                    "the file is skipped (a crafted or damaged file?)"))


def _read_pickled(path: Path, input_root: Path, profile: Profile) -> bytes:
    import gc

    gc.enable()  # the child's own garbage (typing, mapping) is collected as in a worker
    return handover.dumps(read_isolated(path, input_root, profile))  # text as Arrow


def read_columns(path: Path, label: str) -> list[RawSheet]:
    """What a reader child returns: every sheet of ``path`` in the compact columnar form
    (``RawSheet.columnar``) it is handed over in."""
    return [sheet.columnar() for sheet in read_sheets(path, label, columnar=True)]


def _label(path: Path, input_root: Path) -> str:
    return path.relative_to(input_root).as_posix() if path.is_relative_to(input_root) else str(
        path)


def _unreadable(prepared: PreparedSource, profile: Profile, label: str,
                message: str) -> PreparedSource:
    log.info("skipping %s: %s", label, message)
    prepared.frames.clear()
    prepared.sheets.append(SheetReport(file=label, sheet="", status="failed", reason=message))
    prepared.issues.append(Issue(severity=profile.severity("file.unreadable"),
                                 rule="file.unreadable", file=label, message=message))
    return prepared


def read_source(path: Path, input_root: Path, profile: Profile,
                reader: Callable[[Path, str], Iterable[RawSheet]] | None = None
                ) -> PreparedSource:
    """Ingest, map and join one file's sheets; frames hold raw (not yet normalised) text.
    ``reader`` yields the sheets (``read_sheets``, in this process, by default)."""
    label = _label(path, input_root)
    typer = ColumnTyper(profile)
    prepared = PreparedSource(path=path, relative=label, frames=[], sheets=[], issues=[])
    small: list[tuple[SourceFrame, list]] = []  # reference sheet candidates and their cells
    seconds, start = prepared.stage_seconds, work_seconds()
    try:
        refuse_outside(path, input_root, label)
        for sheet in (reader or read_sheets)(path, label):
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
            del sheet  # its texts are freed before the next sheet is read
    except InputError as exc:
        return _unreadable(prepared, profile, label, exc.message)
    except MemoryError:
        return _unreadable(prepared, profile, label, f"{label}: ran out of memory while "
                                                     "reading it; split the file")
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


def _sheet_issue(profile: Profile, rule: str, report: SheetReport) -> Issue:
    return Issue(severity=profile.severity(rule), rule=rule, file=report.file,
                 sheet=report.sheet, message=report.reason)


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


# A 20,000-row chunk took ~34 MB of a worker's memory while it was cleaned, 10,000 rows
# ~15 MB, for the same CPU per row (two workers: ~40 MB off ingest's peak at 200k rows).
NORMALISE_CHUNK_ROWS = 10_000


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
        pending = {pool.submit(_in_worker, read_detached, inputs[i], input_root, profile):
                   (i, -1, 0) for i in order}
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
                read[index] = source = pickle.loads(watch.result(future, index))
                cleaned[index] = []
                waiting[index] = 0
                for position, sheet in enumerate(source.frames):
                    starts = range(0, max(len(sheet.frame), 1), NORMALISE_CHUNK_ROWS)
                    cleaned[index].append([None] * len(starts))
                    for number, start in enumerate(starts):
                        part = sheet.frame.iloc[start:start + NORMALISE_CHUNK_ROWS]
                        with held():
                            pending[pool.submit(_in_worker, normalise_chunk, part,
                                                profile)] = (
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


def _in_worker(task: Callable, *args):
    """A pool task, after giving the previous task's freed heap back: a worker that read a
    whole sheet kept ~100 MB of fragmented pages through all its normalising."""
    from hotpass.refine.heap import release_free_memory

    release_free_memory()
    return task(*args)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # broken link: reading it reports the problem
        return 0
