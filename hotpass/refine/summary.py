"""What a refine run tells its caller: one summary, the same for ``hotpass refine`` and
``invoke refine``.

Contract: ``run_facts(result)`` is what telemetry and lineage record of a run
(``hotpass.observability.runs.RunFacts``: rows, refined columns, issues, outputs, one input
per sheet read). ``summarise(result)`` turns a ``RefineResult`` into JSON-able data (version,
profile, totals by severity, outputs, uploads, stage seconds); ``summary_lines(summary)``
is the human form: one line of totals, then one line per output and per upload.

Pitfalls: the keys are the ``--json`` document's contract (docs/reference/cli.md); add,
never rename.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotpass import __version__
from hotpass.observability.runs import InputSheet, RunFacts


def run_facts(result: Any) -> RunFacts:
    root = Path(result.options.input_dir)
    by_label = {(path.relative_to(root).as_posix() if path.is_relative_to(root)
                 else str(path)): path for path in result.inputs}
    inputs = []
    for sheet in result.sheets:
        columns = [c for c in sheet.mapped_columns if not c.startswith("(")]
        columns += [c for c in sheet.unmapped_columns if c not in columns]
        inputs.append(InputSheet(by_label.get(sheet.file, root / sheet.file), sheet.sheet,
                                 columns, sheet.rows_in))
    return RunFacts(rows_in=result.rows_in, rows_out=len(result.refined),
                    columns=[str(c) for c in result.refined.columns],
                    issues=[(issue.rule, issue.severity) for issue in result.issues],
                    outputs=dict(result.outputs), inputs=inputs)


def summarise(result: Any) -> dict[str, Any]:
    by_severity = {"error": 0, "warning": 0, "info": 0}
    for issue in result.issues:
        by_severity[issue.severity] = by_severity.get(issue.severity, 0) + 1
    return {
        "version": __version__,
        "profile": result.report.get("profile", result.options.profile),
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


def summary_lines(summary: dict[str, Any]) -> list[str]:
    totals = summary["totals"]
    lines = [f"Refined {totals['rows_in']} rows from {totals['files']} file(s) into "
             f"{totals['records_out']} records ({totals['duplicates_merged']} duplicates "
             f"merged); {totals['errors']} errors, {totals['warnings']} warnings."]
    lines += [f"  {kind:<12} {path}" for kind, path in summary["outputs"].items()]
    lines += [f"  {kind:<12} uploaded to {uri}" for kind, uri in summary["uploads"].items()]
    return lines
