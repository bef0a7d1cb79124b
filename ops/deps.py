"""Dependency tasks: sync the uv environment, or check it against ``uv.lock``."""

from __future__ import annotations

from invoke import Collection, Exit

from ops.adapter import procedure, task


@task(help={
    "extras": "Extras to add to the default `runbooks` group, space- or comma-separated "
              "(read from pyproject.toml: orchestration observability distributed dev all).",
    "check": "Only report drift between uv.lock and the environment (exit 1 on drift).",
    "dry_run": "Print what uv would install, update or remove, and change nothing.",
})
def sync(c, extras="dev", check=False, dry_run=False):
    """Sync the environment with `uv sync --locked` (plan, apply, verify with --check)."""
    from hotpass.infra import deps

    chosen = deps.split_extras(extras)
    if check:
        drift = deps.check(chosen)
        if drift:
            shown = ", ".join(f"{d.action} {d.target}" for d in drift[:8])
            more = f" and {len(drift) - 8} more" if len(drift) > 8 else ""
            raise Exit(f"deps.sync --check: the environment drifts from uv.lock: "
                       f"{len(drift)} package(s) ({shown}{more}); run `invoke deps.sync`",
                       code=1)
        print("deps.sync --check: the environment matches uv.lock")
        return
    procedure(c, deps.Sync(chosen), dry_run=dry_run)


ns = Collection("deps")
ns.add_task(sync)
