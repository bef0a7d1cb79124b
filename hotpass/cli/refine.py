"""``hotpass refine``: parse the flags, run the refine pipeline, print the summary.

Contract: the flags it shares with ``orchestrate`` come from ``options.refine_options``
(defaults from ``HOTPASS_*``); heavy modules (pandas, the pipeline, observability) are
imported inside the body so ``hotpass --help`` stays fast; failures are ``HotpassError``
and end at the kit's edge as one line.
"""

from __future__ import annotations

import click

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
    from hotpass.refine.summary import summarise, summary_lines

    options = options_for(input_dir=input_dir, output_path=output_path, profile=profile,
                          profile_search_path=profile_search_path, archive=archive,
                          since=since, strict=strict, wait=wait, partial=partial,
                          settings=kit.settings())
    with terminal_progress(enabled=not as_json) as progress:
        _, result = run(options, kit.settings(), telemetry=enable_observability,
                        progress=progress)
    summary = summarise(result)
    if as_json:
        kit.echo_json(summary)
        return
    for line in summary_lines(summary):
        kit.echo(line)
