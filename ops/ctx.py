"""Context task: ``invoke ctx.init`` is ``hotpass ctx init`` (the Prefect profile
hotpass-<target> and its PREFECT_API_URL)."""

from __future__ import annotations

from invoke import Collection

from ops.adapter import hotpass, task


@task(help={
    "target": "Environment: profile hotpass-<target> (local, staging, prod).",
    "api_url": "PREFECT_API_URL to set (default: a live tunnel, else the local stack's).",
    "json": "Print the result as JSON.",
    "dry_run": "Print the plan; change no profile.",
})
def init(c, target="local", api_url="", json=False, dry_run=False):
    """Create or update the Prefect profile hotpass-<target> and make it active."""
    words = ["ctx", "init", "--target", target]
    words += ["--api-url", api_url] if api_url else []
    words += ["--json"] if json else []
    hotpass(c, words, dry_run=dry_run)


ns = Collection("ctx")
ns.add_task(init)
