"""``hotpass refine``: parse the flags, run the refine pipeline, print the summary.

Contract: the flags it shares with ``orchestrate`` come from ``options.refine_options``
(defaults from ``HOTPASS_*``); heavy modules (pandas, the pipeline, observability) are
imported inside the body so ``hotpass --help`` stays fast; failures are ``HotpassError``
and end at the kit's edge as one line.
"""

from __future__ import annotations

import click

from hotpass import __version__
from hotpass.cli import kit
from hotpass.cli.options import json_option, refine_options


@click.command()
@refine_options(archive_help="Also write a zip of the outputs with manifest.json and "
                             "SHA256SUMS.",
                observability_help="Export OpenTelemetry metrics and spans "
                                   "(OTEL_EXPORTER_OTLP_*). OpenLineage events go out "
                                   "whenever OPENLINEAGE_URL (or openlineage.yml) is set.")
@click.option("--strict", is_flag=True, help="Exit 2 on any error-severity issue; write "
              "nothing.")
@click.option("--wait", is_flag=True, help="If another refine run is writing into the "
              "output folder, wait for it to finish instead of exiting at once (exit 3).")
@click.option("--partial", is_flag=True, help="With --since: publish the outputs of only "
              "the inputs changed since then, even over a published full set.")
@json_option("Print a machine-readable summary on stdout.")
def refine(input_dir, output_path, profile, profile_search_path, archive, since,
           enable_observability, strict, wait, partial, as_json) -> None:
    """Ingest, map, normalise, de-duplicate, validate and export a folder of workbooks."""
    from hotpass.cli.progress import terminal_progress
    from hotpass.refine.run import refine_options as options_for
    from hotpass.refine.run import run

    options = options_for(input_dir=input_dir, output_path=output_path, profile=profile,
                          profile_search_path=profile_search_path, archive=archive,
                          since=since, strict=strict, wait=wait, partial=partial,
                          settings=kit.settings())
    with terminal_progress(enabled=not as_json) as progress:
        _, result = run(options, telemetry=enable_observability, progress=progress)
    summary = _summary(result)
    if as_json:
        kit.echo_json(summary)
        return
    totals = summary["totals"]
    kit.echo(
        f"Refined {totals['rows_in']} rows from {totals['files']} file(s) into "
        f"{totals['records_out']} records ({totals['duplicates_merged']} duplicates merged); "
        f"{totals['errors']} errors, {totals['warnings']} warnings.")
    for kind, path in summary["outputs"].items():
        kit.echo(f"  {kind:<12} {path}")
    for kind, uri in summary["uploads"].items():
        kit.echo(f"  {kind:<12} uploaded to {uri}")


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
        "stage_peak_mb": result.stage_peak_mb,
    }
