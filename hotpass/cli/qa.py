"""``hotpass qa GATE``: run quality gates, print the table, write the reports.

Contract: ``GATE`` is one of ``all``, ``cli``, ``data``, ``enrichment``, ``manifests``,
``docs``, ``ta`` (all + history). Exit 1 when any gate fails (the report is written
first); the gates find the checkout's docs, manifests and sample data from any working
directory. Heavy modules are imported in the body.
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli.kit import echo, echo_json, echo_to_stderr, programs, settings
from hotpass.cli.options import json_option, profile_option

TARGETS = ("all", "cli", "data", "enrichment", "manifests", "docs", "ta")


@click.command("qa")
@click.argument("gate", type=click.Choice(TARGETS), default="all")
@profile_option()
@click.option("--output", type=click.Path(path_type=Path),
              help="Write the JSON report here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path),
              help="Write a self-contained HTML report (gate table, fill-rate and "
                   "pass-rate charts) here.")
@json_option("Print the report JSON on stdout instead of the table.")
def qa_command(gate, profile, output, html_path, as_json) -> None:
    """Quality gates that check content; `ta` also appends to
    dist/quality-gates/history.ndjson."""
    from hotpass.errors import HotpassError
    from hotpass.qa.gates import run_qa
    from hotpass.qa.report import table

    report = run_qa(gate, settings(), profile=profile, output=output, html=html_path,
                    programs=programs(),
                    progress=None if as_json else (lambda g: echo_to_stderr(f"gate {g} ...")))
    if as_json:
        echo_json(report)
    else:
        echo(table(report).rstrip("\n"))
        for path in (output, html_path):
            if path:
                echo(f"wrote {path}")
    failed = [g["id"] for g in report["gates"] if not g["passed"]]
    if failed:
        raise HotpassError(f"qa {gate}: {len(failed)} of {len(report['gates'])} gate(s) "
                           f"failed: {', '.join(failed)}", exit_code=1)
