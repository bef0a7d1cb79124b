"""Rehearsal tasks: ``invoke rehearse.backfill`` (the backfill guardrail rehearsal) and
``invoke rehearse.offline`` (the offline-fallback runbook in one task).

Thin wrappers: the procedures, the bundles and every check live in
``hotpass.rehearse.backfill`` and ``hotpass.rehearse.offline``.
"""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, task


@task(help={
    "manifest_dir": "Manifest folder (an overlay such as prefect/staging) to render and "
                    "compare the deployment with (default prefect/staging).",
    "deployment": "Deployment to rehearse, FLOW/NAME (default: the backfill manifest's).",
    "since": "First day of the bounded run, YYYY-MM-DD (default 2024-01-01).",
    "until": "Last day of the bounded run, inclusive (default 2024-01-07).",
    "pool": "Work pool to inspect and whose workers to check (default: the manifest's).",
    "timeout": "Seconds to watch the run before giving up and cancelling it (default 600).",
    "with_sample_inputs": "First archive the bundled sample data as each window's daily "
                          "input bundle (days that have one are left alone).",
    "out_dir": "Where the bundle folder <UTC timestamp>/ goes (default "
               "dist/staging/backfill).",
    "dry_run": "Render, inspect and compare, print the plan; trigger and write nothing.",
})
def backfill(c, manifest_dir="", deployment="", since="2024-01-01", until="2024-01-07",
             pool="", timeout=600.0, with_sample_inputs=False, out_dir="", dry_run=False):
    """Rehearse the backfill deployment against a live server; leave a verified bundle."""
    from hotpass.procedure import plan_lines
    from hotpass.rehearse.backfill import DEFAULT_OUT, Options, rehearse

    options = Options(deployment=deployment, since=since, until=until, pool=pool,
                      timeout=float(timeout), with_sample_inputs=with_sample_inputs,
                      out_dir=Path(out_dir) if out_dir else DEFAULT_OUT)
    if manifest_dir:
        options.manifest_dir = Path(manifest_dir)
    dry = is_dry(c, dry_run)
    result = rehearse(options, dry_run=dry)
    for line in plan_lines(result["plan"], dry_run=dry):
        print(("[dry-run] " if dry else "") + line)
    summary = result["summary"]
    if dry:
        return
    print(f"rehearse.backfill: PASS: {len(summary['windows'])} window(s) "
          f"{summary['states']}, observed concurrency {summary['observed_concurrency']} "
          f"(limit {summary['guardrails']['manifest']['concurrency_limit']}), "
          f"{summary['row_counts']['records_out']} records out")
    print(f"bundle: {result['bundle']}")


@task(iterable=["flow"], help={
    "input_dir": "Folder to refine (default: the bundled sample data in data/).",
    "profile": "Profile for refine and QA (default generic).",
    "flow": "Manifest id the deploy step renders offline (repeatable; default refinement "
            "and backfill).",
    "out_dir": "Where the bundle folder <UTC timestamp>/ goes (default dist/offline).",
    "dry_run": "Run only the read-only steps (env --dry-run, deploy --dry-run); write "
               "nothing.",
})
def offline(c, input_dir="data", profile="generic", flow=None, out_dir="", dry_run=False):
    """Rehearse the offline fallback (env, refine --archive, QA, deploy --no-upload)."""
    from hotpass.errors import HotpassError
    from hotpass.rehearse.offline import DEFAULT_ROOT, Options, rehearse

    options = Options(input_dir=Path(input_dir), profile=profile,
                      root=Path(out_dir) if out_dir else DEFAULT_ROOT)
    if flow:
        options.flows = list(flow)
    result = rehearse(options, dry_run=is_dry(c, dry_run))
    if result["bundle"] is None:
        return
    for name, code in result["steps"].items():
        print(f"  {name}: {'exit ' + str(code) if isinstance(code, int) else code}")
    print(f"bundle: {result['bundle']}")
    if result["verdict"] != "pass":
        raise HotpassError(f"rehearse.offline: {result['reason']} (bundle {result['bundle']})",
                           exit_code=1)
    print("rehearse.offline: PASS")


ns = Collection("rehearse")
ns.add_task(backfill)
ns.add_task(offline)
