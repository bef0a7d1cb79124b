"""Deploy task: ``invoke deploy --flow ID`` is ``hotpass deploy`` (the Deploy procedure:
validate manifests, plan against the server, register or write offline, verify)."""

from __future__ import annotations

from ops.adapter import hotpass, task


@task(iterable=["flow"], help={
    "flow": "Manifest id to deploy (repeatable): refinement, backfill, e2e-staging.",
    "manifest_dir": "Manifest folder (default prefect/; an overlay such as prefect/staging).",
    "no_upload": "Write RunnerDeployment JSON under dist/offline/prefect/; no server needed.",
    "json": "Print the plan/result as JSON.",
    "dry_run": "Validate and print the plan (create/update/unchanged); change nothing.",
})
def deploy(c, flow=None, manifest_dir="", no_upload=False, json=False, dry_run=False):
    """Register (or write offline) the Prefect deployments of the named manifests."""
    words = ["deploy"] + [w for f in flow or [] for w in ("--flow", f)]
    words += ["--manifest-dir", manifest_dir] if manifest_dir else []
    words += ["--no-upload"] if no_upload else []
    words += ["--json"] if json else []
    hotpass(c, words, dry_run=dry_run)
