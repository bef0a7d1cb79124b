"""``hotpass refine``: parse the flags, run the refine pipeline, print the summary.

Contract: heavy modules (pandas, the pipeline, observability) are imported inside the
command body so ``hotpass --help`` stays fast; failures are ``HotpassError``.
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass import __version__
from hotpass.cli.kit import echo, echo_json, parse_since_option


@click.command()
@click.option("--input-dir", type=click.Path(path_type=Path), help="Folder of workbooks "
              "(.xlsx, .xlsm, .csv, .parquet); default HOTPASS_INPUT_DIR or ./data.")
@click.option("--output-path", type=click.Path(path_type=Path), help="Refined workbook to "
              "write (.xlsx); .csv, .parquet and the quality report go beside it. "
              "Default HOTPASS_OUTPUT_PATH or dist/refined.xlsx.")
@click.option("--profile", "profile_name", help="Industry profile (generic, aviation, ...); "
              "default HOTPASS_PROFILE or generic.")
@click.option("--profile-search-path", multiple=True, type=click.Path(path_type=Path),
              help="Extra folder to look for <profile>.yaml in (repeatable).")
@click.option("--archive", is_flag=True, help="Also write a zip of the outputs with "
              "manifest.json and SHA256SUMS.")
@click.option("--since", callback=parse_since_option, help="Only read files modified on or "
              "after local midnight of this date (YYYY-MM-DD).")
@click.option("--strict", is_flag=True, help="Exit 2 on any error-severity issue; write "
              "nothing.")
@click.option("--wait", is_flag=True, help="If another refine run is writing into the "
              "output folder, wait for it to finish instead of exiting at once (exit 3).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on "
              "stdout.")
@click.option("--enable-observability", is_flag=True, help="Export OpenTelemetry metrics and "
              "spans (OTEL_EXPORTER_OTLP_*); default HOTPASS_TELEMETRY_ENABLED. OpenLineage "
              "events go out whenever OPENLINEAGE_URL (or openlineage.yml) is set.")
def refine(input_dir, output_path, profile_name, profile_search_path, archive, since, strict,
           wait, as_json, enable_observability) -> None:
    """Ingest, map, normalise, de-duplicate, validate and export a folder of workbooks."""
    from hotpass.cli.progress import terminal_progress
    from hotpass.refine.run import refine_options, run

    options = refine_options(input_dir=input_dir, output_path=output_path,
                             profile=profile_name, profile_search_path=profile_search_path,
                             archive=archive, since=since, strict=strict, wait=wait)
    with terminal_progress(enabled=not as_json) as progress:
        _, result = run(options, telemetry=enable_observability or None, progress=progress)
    summary = _summary(result)
    if as_json:
        echo_json(summary)
        return
    totals = summary["totals"]
    echo(
        f"Refined {totals['rows_in']} rows from {totals['files']} file(s) into "
        f"{totals['records_out']} records ({totals['duplicates_merged']} duplicates merged); "
        f"{totals['errors']} errors, {totals['warnings']} warnings.")
    for kind, path in summary["outputs"].items():
        echo(f"  {kind:<12} {path}")
    for kind, uri in summary["uploads"].items():
        echo(f"  {kind:<12} uploaded to {uri}")


def _summary(result) -> dict:
    by_severity = {"error": 0, "warning": 0, "info": 0}
    for issue in result.issues:
        by_severity[issue.severity] = by_severity.get(issue.severity, 0) + 1
    return {
        "version": __version__,
        "profile": result.report.get("profile", result.options.profile_name),
        "totals": {
            "files": len(result.inputs), "rows_in": result.rows_in,
            "records_out": len(result.refined), "duplicates_merged": result.duplicates_merged,
            "errors": by_severity["error"], "warnings": by_severity["warning"],
            "info": by_severity["info"],
        },
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "uploads": dict(result.uploads),
        "stage_seconds": result.stage_seconds,
    }
