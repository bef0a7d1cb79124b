"""``hotpass doctor``: run the checks (hotpass.infra.doctor), optionally fix what is safe.

Contract: one line per check (``ok``/``warn``/``fail``/``skip``, name, detail), then
the fixes applied under ``--autofix`` and a summary; ``--json`` prints one document.
Exit 0 when no check fails, 2 otherwise (after fixes).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hotpass.infra.env import TARGETS


@click.command("doctor")
@click.option("--profile", help="Profile to validate (default HOTPASS_PROFILE or generic).")
@click.option("--profile-search-path", "search_paths", multiple=True,
              type=click.Path(path_type=Path),
              help="Folder to look for profiles in first (repeatable); a missing one fails.")
@click.option("--target", type=click.Choice(TARGETS), default="local", show_default=True,
              help="Environment whose .env.<target> is checked.")
@click.option("--autofix", is_flag=True,
              help="Apply safe fixes (create folders, write a missing .env.<target>, chmod "
                   "the credentials store, prune dead tunnels), then check again.")
@click.option("--dry-run", is_flag=True,
              help="With --autofix: print the fixes it would apply; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor_command(profile: str | None, search_paths: tuple[Path, ...], target: str,
                   autofix: bool, dry_run: bool, as_json: bool) -> None:
    """Check Python, extras, profile, folders, env file, Prefect and workers, tunnels."""
    from hotpass.errors import HotpassError
    from hotpass.infra.doctor import Options, diagnose, failed
    from hotpass.infra.doctor import autofix as apply_fixes

    options = Options(profile=profile, search_paths=search_paths, target=target)
    rows = diagnose(options)
    fixes: list[dict] = []
    note = None
    if autofix:
        fixes, rows, note = apply_fixes(options, rows, dry_run=dry_run)
    failing = failed(rows)
    if as_json:
        click.echo(json.dumps({"checks": [row.to_dict() for row in rows], "fixes": fixes,
                               "failed": len(failing), "note": note}, indent=2))
    else:
        fixed = autofix and not dry_run
        for row in rows:
            click.echo(f"{row.status:<4}  {row.name}: {row.detail}"
                       + (f"  [--autofix: {row.fix_label}]" if row.fix and not fixed else ""))
        for fix in fixes:
            click.echo(f"{'would fix' if dry_run else 'fixed'} {fix['check']}: {fix['result']}")
        if note:
            click.echo(f"note: {note}")
    if failing:
        raise HotpassError(f"doctor: {len(failing)} check(s) failed: "
                           f"{', '.join(row.name for row in failing)}")
    if not as_json:
        click.echo(f"doctor: all {len(rows)} checks passed or warned")
