"""Publishing one refine run: strict gate -> every output into the run's staging folder
-> one publish -> the post-publish steps (the archive upload, with HOTPASS_S3_ENDPOINT).

Contract: ``publish(options, profile, inputs, prepared, result, timings, settings, staged)``
(``settings``: the front door's, for the archive upload) writes
xlsx, csv, parquet, the quality reports and (``--archive``) both bundles into
``staged.dir`` and publishes them as one set (``hotpass.refine.output.staging``); any failure,
signal or kill before that leaves the previous set as it was, and a write failure (a full
disk) is one ``HotpassError`` (exit 1) saying so. ``--strict`` fails before anything is
written. Without ``staged`` (a Prefect flow finishing a run whose files were prepared as
tasks) it takes the output folder's lock itself, waiting for a run that holds it.
``hotpass.refine.run`` composes the whole run (preflight, lock, ingest, publish).

Pitfalls: the quality report is built before the export (its summary is a sheet of the
workbook), so its ``stage_seconds`` cover ingest and consolidate only. Returned output
paths are the stable names (``dist/refined.xlsx``), symlinks into the published run.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

from hotpass import __version__
from hotpass.errors import HotpassError, Interrupted, StrictModeError
from hotpass.profiles.model import Profile
from hotpass.refine.model import Consolidated, PreparedSource, RefineOptions, RefineResult
from hotpass.refine.output.staging import CHECKSUMS, INPUT_ARCHIVES, StagedRun
from hotpass.refine.signals import stop_on_signals
from hotpass.refine.stages import StageClock

log = logging.getLogger("hotpass.refine")


def publish(options: RefineOptions, profile: Profile, inputs: list[Path],
            prepared: list[PreparedSource], result: Consolidated,
            timings: StageClock, settings: Any, staged: StagedRun | None = None
            ) -> RefineResult:
    """Strict gate, then every output into the staging directory, then one publish.

    Without ``staged`` (an orchestrated flow that prepared the files as tasks) this takes
    the output folder's lock itself, waiting for a run that holds it.
    """
    if staged is None:
        from hotpass.refine.output.staging import open_run

        with stop_on_signals(), open_run(options.output_path, wait=True) as own:
            return publish(options, profile, inputs, prepared, result, timings, settings, own)
    sheets = [s for p in prepared for s in p.sheets]
    errors = [i for i in result.issues if i.severity == "error"]
    if options.strict and errors:
        raise StrictModeError(
            f"--strict: {len(errors)} error(s); first: {errors[0].one_line()}")
    try:
        with timings.stage("export"):
            report, written = _write_all(options, profile, inputs, prepared, result, timings,
                                         staged)
        with timings.stage("publish"):
            published = staged.publish()
    except Interrupted as exc:
        if staged.committed:
            exc.args = (f"stopped by {signal.Signals(exc.signum).name} after this run's "
                        f"outputs were published",)
        raise
    except (OSError, HotpassError) as exc:
        reason = exc.message if isinstance(exc, HotpassError) else (exc.strerror or str(exc))
        if staged.committed:  # the new set is current; the next run finishes the links
            raise HotpassError(f"--output-path {options.output_path}: this run's outputs "
                               f"are published ({staged.output_dir / 'current'}) but "
                               f"finishing the links failed: {reason}",
                               exit_code=1) from exc
        raise HotpassError(f"--output-path {options.output_path}: {reason}; nothing was "
                           "published, the previous outputs are kept", exit_code=1) from exc
    outputs = {kind: published[path.name] for kind, path in written.items()}
    outputs["checksums"] = published[CHECKSUMS]
    # Post-publish steps go here: they run under the lock and see the published set; a
    # failure in one leaves that set published.
    uploads = {}
    if options.archive:  # HOTPASS_S3_ENDPOINT only
        from hotpass.artifacts import upload_archive

        uri = upload_archive(outputs["archive"], settings)
        uploads = {"archive": uri} if uri else {}
    return RefineResult(options=options, refined=result.refined, provenance=result.provenance,
                        issues=result.issues, sheets=sheets, inputs=inputs,
                        rows_in=result.rows_in, duplicates_merged=result.duplicates_merged,
                        outputs=outputs, uploads=uploads, report=report,
                        stage_seconds=dict(timings), stage_peak_mb=dict(timings.peak_mb))


def _write_all(options: RefineOptions, profile: Profile, inputs: list[Path],
               prepared: list[PreparedSource], result: Consolidated,
               timings: StageClock, staged: StagedRun) -> tuple[dict, dict[str, Path]]:
    """The data batch, then the quality report, then (``--archive``) both bundles."""
    from hotpass.refine.output.export import write_refined_outputs
    from hotpass.refine.output.report import (
        build_quality_report,
        quality_summary_frame,
        write_quality_report,
    )

    report = build_quality_report(
        profile=profile, sheets=[s for p in prepared for s in p.sheets],
        refined=result.refined, issues=result.issues, rows_in=result.rows_in,
        duplicates_merged=result.duplicates_merged, inputs=[p.relative for p in prepared],
        stage_seconds=timings, hotpass_version=__version__, dedupe=result.dedupe)
    target = staged.dir / options.output_path.name
    outputs = write_refined_outputs(target, result.refined, result.provenance,
                                    result.issues, quality_summary_frame(report))
    outputs.update(write_quality_report(report, staged.dir))
    if options.archive:
        from hotpass.refine.ingest.files import link_outside
        from hotpass.refine.output.archive import build_archive, build_input_bundle

        inputs = [p for p in inputs if link_outside(p, options.input_dir) is None]

        outputs["archive"] = build_archive(
            archive_path=target.with_name(target.stem + "-bundle.zip"),
            outputs=dict(outputs), inputs=inputs, input_root=options.input_dir,
            profile=profile.name,
            row_counts={"rows_in": result.rows_in, "records_out": len(result.refined),
                        "duplicates_merged": result.duplicates_merged},
            hotpass_version=__version__)
        outputs["input_bundle"] = build_input_bundle(
            bundle_dir=staged.dir / INPUT_ARCHIVES, inputs=inputs,
            input_root=options.input_dir, profile=profile.name,
            hotpass_version=__version__,
            merge_from=options.output_path.parent / INPUT_ARCHIVES)  # the published day
    return report, outputs
