"""``hotpass doctor``: run the checks (hotpass.infra.doctor), optionally fix what is safe.

Contract: one line per check (``ok``/``warn``/``fail``/``skip``, name, detail), then
the fixes applied under ``--autofix`` and a summary; ``--json`` prints one document.
Exit 0 when no check fails, 2 otherwise (after fixes).
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli import kit
from hotpass.cli.options import (
    dry_run_option,
    json_option,
    profile_option,
    profile_search_path_option,
    target_option,
)


@click.command("doctor")
@profile_option("Profile to validate.")
@profile_search_path_option()
@target_option("Environment whose .env.<target> is checked.")
@click.option("--autofix", is_flag=True,
              help="Apply safe fixes (create folders, write a missing .env.<target>, chmod "
                   "the credentials store, prune dead tunnels), then check again.")
@dry_run_option("With --autofix: print the fixes it would apply; change nothing.")
@json_option("Print the checks as JSON.")
def doctor_command(profile: str, profile_search_path: tuple[Path, ...], target: str,
                   autofix: bool, dry_run: bool, as_json: bool) -> None:
    """Check Python, extras, profile, folders, env file, Prefect and workers, tunnels."""
    from hotpass.errors import HotpassError
    from hotpass.infra.doctor import Options, diagnose, failed
    from hotpass.infra.doctor import autofix as apply_fixes

    options = Options(kit.settings(), profile=profile, search_paths=profile_search_path,
                      target=target)
    rows = diagnose(options)
    fixes: list[dict] = []
    note = None
    if autofix:
        fixes, rows, note = apply_fixes(options, rows, dry_run=dry_run)
    failing = failed(rows)
    if as_json:
        kit.echo_json({"checks": [row.to_dict() for row in rows], "fixes": fixes,
                       "failed": len(failing), "note": note})
    else:
        fixed = autofix and not dry_run
        for row in rows:
            kit.echo(f"{row.status:<4}  {row.name}: {row.detail}"
                     + (f"  [--autofix: {row.fix_label}]" if row.fix and not fixed else ""))
        for fix in fixes:
            kit.echo(f"{'would fix' if dry_run else 'fixed'} {fix['check']}: {fix['result']}")
        if note:
            kit.echo(f"note: {note}")
    if failing:
        raise HotpassError(f"doctor: {len(failing)} check(s) failed: "
                           f"{', '.join(row.name for row in failing)}")
    if not as_json:
        kit.echo(f"doctor: all {len(rows)} checks passed or warned")
