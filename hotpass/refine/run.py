"""One refine run, composed: discover -> prepare (per file) -> consolidate -> gate ->
export -> report -> archive -> upload (the archive, when HOTPASS_S3_ENDPOINT is set).

Contract: ``run_refine(options, progress)`` returns a ``RefineResult`` or raises a
``HotpassError``. Every failure before ``publish`` leaves the output folder untouched;
``--strict`` fails before anything is written. ``publish`` is separate so an orchestrated
flow that prepared the files as parallel tasks can finish the run the same way.

Pitfalls: the quality report is built before the export (its summary is a sheet of the
workbook), so its ``stage_seconds`` cover ingest and consolidate only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hotpass import __version__
from hotpass.errors import StrictModeError
from hotpass.observability import stage_span
from hotpass.profiles import Profile, load_profile
from hotpass.refine.ingest import discover_inputs
from hotpass.refine.model import PreparedSource, RefineOptions, RefineResult
from hotpass.refine.pipeline import Consolidated, Progress, consolidate, prepare_all

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
    timings: dict[str, float] = {}
    profile = load_profile(options.profile_name, options.profile_search_paths)
    inputs = discover_inputs(options.input_dir, options.since)
    log.info("refine: %d input file(s) under %s, profile %s", len(inputs), options.input_dir,
             profile.name)
    with stage(timings, "ingest"):
        prepared = prepare_all(inputs, options.input_dir, profile, progress)
    with stage(timings, "consolidate"):
        result = consolidate(prepared, profile)
    published = publish(options, profile, inputs, prepared, result, timings)
    if progress:
        progress("done", 1, 1)
    return published


def publish(options: RefineOptions, profile: Profile, inputs: list[Path],
            prepared: list[PreparedSource], result: Consolidated,
            timings: dict[str, float]) -> RefineResult:
    """Strict gate, then the outputs, the quality report and (``--archive``) the bundle."""
    from hotpass.refine.export import write_refined_outputs
    from hotpass.refine.report import (
        build_quality_report,
        quality_summary_frame,
        write_quality_report,
    )

    sheets = [s for p in prepared for s in p.sheets]
    errors = [i for i in result.issues if i.severity == "error"]
    if options.strict and errors:
        raise StrictModeError(
            f"--strict: {len(errors)} error(s); first: {errors[0].one_line()}")
    report = build_quality_report(
        profile=profile, sheets=sheets, refined=result.refined, issues=result.issues,
        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
        inputs=[p.relative for p in prepared], stage_seconds=timings,
        hotpass_version=__version__, dedupe=result.dedupe)
    with stage(timings, "export"):
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
        from hotpass.refine.archive import build_input_bundle

        outputs["input_bundle"] = build_input_bundle(
            bundle_dir=options.output_path.parent / "input-archives", inputs=inputs,
            input_root=options.input_dir, profile_name=profile.name,
            hotpass_version=__version__,
            merge_from=options.output_path.parent / "input-archives")  # the published day
    uploads = {}
    if options.archive:  # after the local outputs are complete: HOTPASS_S3_ENDPOINT only
        from hotpass.artifacts import upload_archive

        uploads = {"archive": uri} if (uri := upload_archive(outputs["archive"])) else {}
    return RefineResult(options=options, refined=result.refined, provenance=result.provenance,
                        issues=result.issues, sheets=sheets, inputs=inputs,
                        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
                        outputs=outputs, uploads=uploads, report=report,
                        stage_seconds=timings)
