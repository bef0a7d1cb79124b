"""What a refine run tells its caller: one summary, the same for ``hotpass refine`` and
``invoke refine``.

Contract: ``summarise(result)`` turns a ``RefineResult`` into JSON-able data (version,
profile, totals by severity, outputs, uploads, stage seconds); ``summary_lines(summary)``
is the human form: one line of totals, then one line per output and per upload.

Pitfalls: the keys are the ``--json`` document's contract (docs/reference/cli.md); add,
never rename.
"""

from __future__ import annotations

from typing import Any

from hotpass import __version__


def summarise(result: Any) -> dict[str, Any]:
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


def summary_lines(summary: dict[str, Any]) -> list[str]:
    totals = summary["totals"]
    lines = [f"Refined {totals['rows_in']} rows from {totals['files']} file(s) into "
             f"{totals['records_out']} records ({totals['duplicates_merged']} duplicates "
             f"merged); {totals['errors']} errors, {totals['warnings']} warnings."]
    lines += [f"  {kind:<12} {path}" for kind, path in summary["outputs"].items()]
    lines += [f"  {kind:<12} uploaded to {uri}" for kind, uri in summary["uploads"].items()]
    return lines
