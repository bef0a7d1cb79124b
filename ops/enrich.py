"""Enrichment as an Invoke target (``invoke enrich``): the library's ``enrich`` run."""

from __future__ import annotations

from pathlib import Path

from ops.adapter import is_dry, settings, task


@task(help={
    "input": "Refined workbook to enrich (default dist/refined.xlsx).",
    "output": "Enriched workbook to write (default dist/enriched.xlsx).",
    "profile": "Industry profile name; default HOTPASS_PROFILE or generic.",
    "allow_network": "Open the first of the three network gates (research also needs "
                     "FEATURE_ENABLE_REMOTE_RESEARCH=1 and ALLOW_NETWORK_RESEARCH=1).",
    "dry_run": "Compute and print what would be filled; write nothing, ask no server.",
})
def enrich(c, input="dist/refined.xlsx", output="dist/enriched.xlsx", profile="",  # noqa: A002
           allow_network=False, dry_run=False):
    """Fill gaps of a refined workbook offline, with provenance (`hotpass enrich`)."""
    from hotpass.enrich.run import EnrichOptions, summary_lines
    from hotpass.enrich.run import enrich as run_enrich

    options = EnrichOptions(Path(input), Path(output), profile=profile or None,
                            allow_network=allow_network)
    result = run_enrich(options, settings(), dry_run=is_dry(c, dry_run))
    for line in summary_lines(result):
        print(("[dry-run] " if result.dry_run else "") + line)
