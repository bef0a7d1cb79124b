"""Dependency tasks: sync uv extras (``invoke deps.sync``)."""

from __future__ import annotations

from invoke import Collection, task

from ops.shell import run_step


@task(help={
    "extras": "Extras to sync, space-separated (orchestration observability enrichment dev all).",
    "dry_run": "Print the sync command without running it.",
})
def sync(c, extras="dev", dry_run=False):
    """Sync the environment with `uv sync --extra ...` via ops/uv_sync_extras.sh."""
    run_step(c, "bash ops/uv_sync_extras.sh", dry_run=dry_run,
             env={"HOTPASS_UV_EXTRAS": extras})


ns = Collection("deps")
ns.add_task(sync)
