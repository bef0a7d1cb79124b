"""Quality gates as an Invoke target (``invoke qa``, ``make qa``): the library's QA run."""

from __future__ import annotations

from pathlib import Path

from invoke import Exit

from ops.adapter import is_dry, settings, task


@task(auto_shortflags=False, help={
    "gate": "Which gate: all (default), cli, data, enrichment, manifests, docs, or ta "
            "(all, appended to dist/quality-gates/history.ndjson).",
    "profile": "Industry profile name; default HOTPASS_PROFILE or generic.",
    "output": "Write the JSON report here.",
    "html": "Write the self-contained HTML report (gate table, charts) here.",
    "dry_run": "Print which gates would run; run and write nothing.",
})
def qa(c, gate="all", profile="", output="", html="", dry_run=False):
    """Run the quality gates (`hotpass qa`); exit 1 when any gate fails."""
    from hotpass.qa.gates import GATES, TARGETS, run_qa
    from hotpass.qa.report import table

    if gate not in TARGETS:
        raise Exit(f"qa {gate}: no such gate (choose from {', '.join(TARGETS)})", code=2)
    if is_dry(c, dry_run):
        for gate_id in (GATES if gate in ("all", "ta") else [gate]):
            print(f"[dry-run] gate {gate_id}: {GATES[gate_id][0]}")
        return
    from hotpass.cli import programs

    report = run_qa(gate, settings(), profile=profile or None, output=Path(output) if output else None,
                    html=Path(html) if html else None, programs=programs())
    print(table(report), end="")
    if not report["summary"]["all_passed"]:
        raise Exit(code=1)
