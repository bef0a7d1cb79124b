"""One refine run, composed: preflight -> lock -> discover -> prepare (per file) ->
consolidate -> gate -> write everything into staging -> publish as one unit ->
upload (the archive, when HOTPASS_S3_ENDPOINT is set).

Contract: ``run_refine(options, progress)`` returns a ``RefineResult`` or raises a
``HotpassError`` (or ``Interrupted`` on SIGTERM/SIGINT). Preflight (output folder
writable, disk space, profile, inputs) runs before any work; the output folder's lock is
held from before ingest to after publish (``options.wait`` waits for it). Every output —
xlsx, csv, parquet, reports, bundle, input bundle — is written into the run's staging
directory and published at once (``hotpass.refine.publish``), so any failure, signal or
kill before that leaves the previous set as it was. ``publish`` is separate so an
orchestrated flow that prepared the files as parallel tasks can finish the run the same
way; the one place for steps after publishing is marked in it.

Pitfalls: the quality report is built before the export (its summary is a sheet of the
workbook), so its ``stage_seconds`` cover ingest and consolidate only. Returned output
paths are the stable names (``dist/refined.xlsx``), symlinks into the published run.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hotpass import __version__
from hotpass.errors import HotpassError, InputError, Interrupted, StrictModeError
from hotpass.observability import stage_span
from hotpass.profiles import Profile, load_profile
from hotpass.refine.ingest import discover_inputs
from hotpass.refine.model import PreparedSource, RefineOptions, RefineResult
from hotpass.refine.pipeline import Consolidated, Progress, consolidate, prepare_all
from hotpass.refine.publish import CHECKSUMS, INPUT_ARCHIVES, StagedRun
from hotpass.refine.signals import stop_on_signals

log = logging.getLogger("hotpass.refine")


@contextmanager
def stage(timings: dict[str, float], name: str) -> Iterator[None]:
    """Time one stage into ``timings``; with telemetry on, also a span and a duration metric
    (``stage_span`` is a shared no-op when telemetry is off)."""
    log.debug("stage %s: start", name)
    start = time.perf_counter()
    with stage_span(name):
        yield
    timings[name] = round(time.perf_counter() - start, 3)
    log.info("stage %s: done in %.3f s", name, timings[name])


def run_refine(options: RefineOptions, progress: Progress | None = None) -> RefineResult:
    """Preflight, lock, ingest, consolidate, publish; SIGTERM/SIGINT stop it cleanly."""
    from hotpass.refine.preflight import check_disk, check_output, own_outputs_excluded
    from hotpass.refine.publish import open_run

    timings: dict[str, float] = {}
    with stop_on_signals():
        check_output(options.output_path)
        profile = load_profile(options.profile_name, options.profile_search_paths)
        found = discover_inputs(options.input_dir, options.since)
        inputs = own_outputs_excluded(found, options.output_path)
        if not inputs:
            raise InputError(f"--input-dir {options.input_dir}: holds only the outputs of "
                             f"earlier runs into {options.output_path.parent}")
        check_disk(options.output_path, inputs, options.archive)
        log.info("refine: %d input file(s) under %s, profile %s", len(inputs),
                 options.input_dir, profile.name)
        with open_run(options.output_path, wait=options.wait) as staged:
            with stage(timings, "ingest"):
                prepared = prepare_all(inputs, options.input_dir, profile, progress)
            with stage(timings, "consolidate"):
                result = consolidate(prepared, profile)
            published = publish(options, profile, inputs, prepared, result, timings, staged)
    if progress:
        progress("done", 1, 1)
    return published


def publish(options: RefineOptions, profile: Profile, inputs: list[Path],
            prepared: list[PreparedSource], result: Consolidated,
            timings: dict[str, float], staged: StagedRun | None = None) -> RefineResult:
    """Strict gate, then every output into the staging directory, then one publish.

    Without ``staged`` (an orchestrated flow that prepared the files as tasks) this takes
    the output folder's lock itself, waiting for a run that holds it.
    """
    if staged is None:
        from hotpass.refine.publish import open_run

        with stop_on_signals(), open_run(options.output_path, wait=True) as own:
            return publish(options, profile, inputs, prepared, result, timings, own)
    sheets = [s for p in prepared for s in p.sheets]
    errors = [i for i in result.issues if i.severity == "error"]
    if options.strict and errors:
        raise StrictModeError(
            f"--strict: {len(errors)} error(s); first: {errors[0].one_line()}")
    try:
        with stage(timings, "export"):
            report, written = _write_all(options, profile, inputs, prepared, result, timings,
                                         staged)
        with stage(timings, "publish"):
            published = staged.publish()
    except Interrupted as exc:
        if staged.published:
            exc.args = (f"stopped by {signal.Signals(exc.signum).name} after this run's "
                        f"outputs were published",)
        raise
    except (OSError, HotpassError) as exc:
        if staged.published:
            raise
        reason = exc.message if isinstance(exc, HotpassError) else (exc.strerror or str(exc))
        raise HotpassError(f"--output-path {options.output_path}: {reason}; nothing was "
                           "published, the previous outputs are kept", exit_code=1) from exc
    outputs = {kind: published[path.name] for kind, path in written.items()}
    outputs["checksums"] = published[CHECKSUMS]
    # Post-publish steps go here: they run under the lock and see the published set; a
    # failure in one leaves that set published.
    uploads = {}
    if options.archive:  # HOTPASS_S3_ENDPOINT only
        from hotpass.artifacts import upload_archive

        uploads = {"archive": uri} if (uri := upload_archive(outputs["archive"])) else {}
    return RefineResult(options=options, refined=result.refined, provenance=result.provenance,
                        issues=result.issues, sheets=sheets, inputs=inputs,
                        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
                        outputs=outputs, uploads=uploads, report=report,
                        stage_seconds=timings)


def _write_all(options: RefineOptions, profile: Profile, inputs: list[Path],
               prepared: list[PreparedSource], result: Consolidated,
               timings: dict[str, float], staged: StagedRun) -> tuple[dict, dict[str, Path]]:
    """The data batch, then the quality report, then (``--archive``) both bundles."""
    from hotpass.refine.export import write_refined_outputs
    from hotpass.refine.report import (
        build_quality_report,
        quality_summary_frame,
        write_quality_report,
    )

    report = build_quality_report(
        profile=profile, sheets=[s for p in prepared for s in p.sheets],
        refined=result.refined, issues=result.issues, rows_in=result.rows_in,
        duplicates_merged=result.duplicates_merged, inputs=[p.relative for p in prepared],
        stage_seconds=timings, hotpass_version=__version__)
    target = staged.dir / options.output_path.name
    outputs = write_refined_outputs(target, result.refined, result.provenance,
                                    result.issues, quality_summary_frame(report))
    outputs.update(write_quality_report(report, staged.dir))
    if options.archive:
        from hotpass.refine.archive import build_archive, build_input_bundle

        outputs["archive"] = build_archive(
            archive_path=target.with_name(target.stem + "-bundle.zip"),
            outputs=dict(outputs), inputs=inputs, input_root=options.input_dir,
            profile_name=profile.name,
            row_counts={"rows_in": result.rows_in, "records_out": len(result.refined),
                        "duplicates_merged": result.duplicates_merged},
            hotpass_version=__version__)
        outputs["input_bundle"] = build_input_bundle(
            bundle_dir=staged.dir / INPUT_ARCHIVES, inputs=inputs,
            input_root=options.input_dir, profile_name=profile.name,
            hotpass_version=__version__)
    return report, outputs
