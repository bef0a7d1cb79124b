"""``hotpass doctor``: check the installation and the environment, fix what is safe.

Contract: ``diagnose(options)`` runs every check (``local.CHECKS`` then
``remote.CHECKS``) and returns ``Check`` rows with status ``ok``, ``warn``, ``fail`` or
``skip`` and a one-line detail; a failing row may carry a ``fix`` (a safe, idempotent
repair: create a folder, write a missing default file, chmod a store to 0600, prune dead
tunnels). ``autofix`` applies the fixes of failing rows, then checks again, so the
result is what is true after the repairs. The exit code is 0 only when no row fails;
warnings never hide a failure and nothing is averaged into a score.

Pitfalls: checks never raise: an unexpected error becomes a ``fail`` row naming it.
Fixes write only what ``hotpass env`` / ``net status --prune`` / ``mkdir`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Options:
    profile: str | None = None
    search_paths: tuple[Path, ...] = ()
    target: str = "local"
    state_dir: Path | None = None


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: Callable[[], str] | None = field(default=None, repr=False)
    fix_label: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "fix": self.fix_label}


def diagnose(options: Options) -> list[Check]:
    from hotpass.doctor import local, remote
    from hotpass.redact import redact

    rows: list[Check] = []
    for check in (*local.CHECKS, *remote.CHECKS):
        try:
            found = check(options)
        except Exception as exc:  # a check must report, never crash the doctor
            found = [Check(check.__name__.removeprefix("check_").replace("_", "-"), "fail",
                           f"the check itself failed: {type(exc).__name__}: {exc}")]
        for row in found:
            row.detail = redact(row.detail)
        rows.extend(found)
    return rows


def autofix(options: Options, rows: list[Check]) -> tuple[list[dict], list[Check]]:
    """Apply every failing row's fix, then diagnose again."""
    applied = []
    for row in rows:
        if row.status == "fail" and row.fix is not None:
            try:
                applied.append({"check": row.name, "fix": row.fix_label, "result": row.fix()})
            except Exception as exc:
                applied.append({"check": row.name, "fix": row.fix_label,
                                "result": f"failed: {exc}"})
    return applied, diagnose(options)


def failed(rows: list[Check]) -> list[Check]:
    return [row for row in rows if row.status == "fail"]
