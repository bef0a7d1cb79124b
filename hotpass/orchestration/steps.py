"""What an orchestrated refinement run reports, and the run without Prefect (no Prefect
imported here).

Contract: the run itself is ``hotpass.refine.run`` (shared with ``hotpass refine``).
``run_summary(plan, result, mode)`` is the JSON-able summary every mode returns:
``processed`` (inputs prepared this run), ``reused`` (inputs an incremental run took
from the prepared cache), ``records_out`` (the full published dataset), ``since``,
``checkpoint`` (the previous incremental run's start time); ``status`` is ``refined``
or ``unchanged`` (an incremental run with nothing changed writes nothing).
``summary_markdown`` renders it as the flow's artifact. ``run_local`` is what
``hotpass orchestrate`` runs when the Prefect runtime is off.
"""

from __future__ import annotations

from typing import Any


def run_summary(plan: Any, result: Any, mode: str) -> dict[str, Any]:
    since = plan.options.since.isoformat() if plan.options.since else None
    checkpoint = (plan.checkpoint.last_success.isoformat()
                  if plan.incremental and plan.checkpoint else None)
    base = {"mode": mode, "since": since, "checkpoint": checkpoint,
            "inputs": len(plan.inputs)}
    if result is None:
        return {**base, "status": "unchanged", "processed": [], "reused": [],
                "records_out": 0, "rows_in": 0, "errors": 0, "warnings": 0, "outputs": {}}
    counts = {"error": 0, "warning": 0}
    for issue in result.issues:
        counts[issue.severity] = counts.get(issue.severity, 0) + 1
    return {
        **base, "status": "refined",
        "processed": [plan.label(p) for p in plan.fresh],
        "reused": [plan.label(p) for p in plan.inputs if p in plan.reused],
        "rows_in": result.rows_in, "records_out": len(result.refined),
        "duplicates_merged": result.duplicates_merged, "errors": counts["error"],
        "warnings": counts["warning"],
        "outputs": {**{k: str(v) for k, v in result.outputs.items()},
                    **{f"{k}_s3": uri for k, uri in result.uploads.items()}},
        "stage_seconds": result.stage_seconds,
        "stage_peak_mb": result.stage_peak_mb,
    }


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = ["# Hotpass refinement run", "",
             f"- status: **{summary['status']}** ({summary['mode']})",
             f"- since: {summary.get('since') or 'not given'}",
             f"- last incremental run: {summary.get('checkpoint') or 'none'}",
             f"- files processed: {len(summary['processed'])}",
             f"- files reused from the last run: {len(summary['reused'])}",
             f"- rows in: {summary['rows_in']}, records out: {summary['records_out']}",
             f"- errors: {summary['errors']}, warnings: {summary['warnings']}", ""]
    if summary["processed"]:
        lines += ["| file |", "|---|", *[f"| {name} |" for name in summary["processed"]], ""]
    if summary["outputs"]:
        lines += ["| output | path |", "|---|---|",
                  *[f"| {k} | {v} |" for k, v in summary["outputs"].items()]]
    return "\n".join(lines) + "\n"


def run_local(options: Any, settings: Any, *, incremental: bool = False,
              telemetry: bool | None = None) -> dict[str, Any]:
    """The refinement flow's run without Prefect (``orchestrate`` with the runtime off)."""
    from hotpass.refine.run import run

    plan, result = run(options, settings, incremental=incremental, telemetry=telemetry,
                       flow="hotpass-refinement")
    return run_summary(plan, result, "local")
