"""``hotpass enrich`` and ``hotpass plan research``: flags in, the library's enrich run or
research plan out.

Contract: heavy modules (pandas, the enrich sources) are imported inside the bodies so
``hotpass --help`` stays fast; failures are ``HotpassError`` (one line at the edge).
``--allow-network`` takes ``true``/``false`` (bare: true); it is only the first of the
three gates (``FEATURE_ENABLE_REMOTE_RESEARCH=1``, ``ALLOW_NETWORK_RESEARCH=1``).
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli import kit
from hotpass.cli.kit import echo, echo_json
from hotpass.cli.options import (
    dry_run_option,
    json_option,
    profile_option,
    profile_search_path_option,
)

_ALLOW_NETWORK = dict(type=click.BOOL, is_flag=False, flag_value=True, default=False,
                      metavar="true|false",
                      help="Open the first network gate; research also needs "
                           "FEATURE_ENABLE_REMOTE_RESEARCH=1 and ALLOW_NETWORK_RESEARCH=1 "
                           "(and HOTPASS_SEARX_URL). Default false.")


@click.command("enrich")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              default=Path("dist/refined.xlsx"), show_default=True,
              help="Refined workbook to enrich (its 'Refined Data' sheet, else the first).")
@click.option("--output", "output_path", type=click.Path(path_type=Path),
              default=Path("dist/enriched.xlsx"), show_default=True,
              help="Enriched workbook to write (.xlsx): every input sheet, provenance "
                   "columns and an 'Enrichment' sheet.")
@profile_option()
@profile_search_path_option()
@click.option("--allow-network", **_ALLOW_NETWORK)
@dry_run_option("Compute and print what would be filled; write nothing, ask no server.")
@json_option("Print the summary as one JSON document.")
def enrich_command(input_path, output_path, profile, profile_search_path, allow_network,
                   dry_run, as_json) -> None:
    """Fill gaps of a refined workbook offline (website from company mail, province from
    the town, reference tables, names), with per-row and per-field provenance."""
    from hotpass.enrich.run import EnrichOptions, enrich, summary_lines

    options = EnrichOptions(input_path, output_path, profile=profile,
                            profile_search_path=tuple(profile_search_path),
                            allow_network=allow_network)
    result = enrich(options, kit.settings(), dry_run=dry_run,
                    echo=kit.echo_to_stderr if as_json else kit.echo)
    if as_json:
        echo_json(result.summary())
        return
    for line in summary_lines(result):
        echo(("[dry-run] " if dry_run else "") + line)


plan_group = kit.group("plan", "Plans that show what a command would do, before it does it.")


@plan_group.command("research")
@click.option("--dataset", type=click.Path(path_type=Path), required=True,
              help="Refined (or enriched) workbook holding the row.")
@click.option("--row-id", type=click.IntRange(min=0), required=True,
              help="0-based row of the refined sheet (the Enrichment sheet's 'row').")
@profile_option()
@profile_search_path_option()
@click.option("--allow-network", **_ALLOW_NETWORK)
@json_option("Print the plan as strict JSON only.")
def research_command(dataset, row_id, profile, profile_search_path, allow_network,
                     as_json) -> None:
    """For one row: missing fields, the sources enrichment would consult in order, what
    each could fill, and which network gate is closed. Saved under
    HOTPASS_STATE_DIR/research_runs/."""
    import json

    from hotpass.enrich.plan import research_plan, save_plan

    plan = research_plan(dataset, row_id, kit.settings(), allow_network=allow_network,
                         profile=profile,
                         profile_search_path=tuple(profile_search_path))
    saved = save_plan(plan, kit.settings().state_dir)
    if as_json:
        json.dumps(plan, allow_nan=False)  # strict JSON or a ValueError, never NaN
        echo_json(plan)
        return
    echo(f"Row {row_id} of {dataset}: {plan['organization_name'] or '(no name)'} "
         f"({plan['organization_id'] or 'no id'})")
    echo(f"  missing: {', '.join(plan['missing']) or 'nothing'}")
    for number, source in enumerate(plan["sources"], start=1):
        state = "would consult" if source["would_consult"] else (
            "not needed" if source["available"] else f"unavailable: {source.get('reason')}")
        fills = ", ".join(f"{k}={v}" if v else k for k, v in source["could_fill"].items())
        echo(f"  {number}. {source['source']} ({source['kind']}): {state}"
             + (f"; could fill {fills}" if fills else ""))
    network = plan["network"]
    echo("  network: " + ("allowed" if network["allowed"] else
                          "off (closed: " + ", ".join(network["closed_gates"]) + ")"))
    echo(f"  saved: {saved}")
