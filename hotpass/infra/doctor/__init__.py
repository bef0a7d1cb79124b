"""``hotpass doctor``: check the installation and the environment, fix what is safe.

Contract: ``diagnose(options)`` runs every check (``local.CHECKS`` then
``remote.CHECKS``) and returns ``Check`` rows with status ``ok``, ``warn``, ``fail`` or
``skip`` and a one-line detail; a failing row may carry a ``fix`` (a safe, idempotent
repair: create a folder, write a missing default file, chmod a store to 0600, prune dead
tunnels). ``Autofix`` is the procedure (evidence recorded) that applies the fixes of
failing rows and checks again, so the result is what is true after the repairs. The exit code is 0 only when no row fails;
warnings never hide a failure and nothing is averaged into a score.

Pitfalls: checks never raise: an unexpected error becomes a ``fail`` row naming it.
Fixes write only what ``hotpass env`` / ``net status --prune`` / ``mkdir`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotpass.procedure import Change, Evidence, Procedure


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
    from hotpass.infra.doctor import local, remote
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


class Autofix(Procedure):
    """plan: the fix of every failing row that has one; apply: each fix; verify: check
    again, and every fixed check that still fails is a difference."""

    name = "doctor.autofix"

    def __init__(self, options: Options, rows: list[Check]) -> None:
        self.options = options
        self.fixable = {row.name: row for row in rows if row.status == "fail" and row.fix}
        self.applied: list[dict] = []
        self.after: list[Check] = rows

    def plan(self, ev: Evidence) -> list[Change]:
        return [Change(name, "fix", {"fix": row.fix_label}) for name, row in self.fixable.items()]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        for change in changes:
            row = self.fixable[change.target]
            try:
                with ev.step(row.fix_label or row.name) as step:
                    step.output = row.fix()
                result = step.output
            except Exception as exc:  # one failed fix must not stop the others
                result = f"failed: {exc}"
            self.applied.append({"check": row.name, "fix": row.fix_label, "result": result})

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        self.after = diagnose(self.options)
        still = {row.name: row for row in failed(self.after)}
        return [f"{c.target} still fails after the fix: {still[c.target].detail}"
                for c in changes if c.target in still]

    def result(self, ev: Evidence) -> tuple[list[dict], list[Check]]:
        """The fixes applied (planned, under dry-run) and the rows after them."""
        if ev.dry_run:
            return ([{"check": c.target, "fix": c.detail["fix"], "result": "would apply"}
                     for c in ev.plan], self.after)
        return self.applied, self.after


def autofix(options: Options, rows: list[Check], *,
            dry_run: bool = False) -> tuple[list[dict], list[Check], str | None]:
    """Run ``Autofix``; returns the fixes applied (or planned), the rows after, and why
    the procedure failed (a fix that did not take), if it did."""
    from hotpass.procedure import ProcedureFailed, run

    try:
        applied, after = run(Autofix(options, rows), dry_run=dry_run).result
    except ProcedureFailed as failure:
        applied, after = failure.outcome.result
        return applied, after, failure.message
    return applied, after, None


def failed(rows: list[Check]) -> list[Check]:
    return [row for row in rows if row.status == "fail"]
