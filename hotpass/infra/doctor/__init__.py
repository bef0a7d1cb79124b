"""``hotpass doctor``: check the installation and the environment, fix what is safe.

Contract: ``diagnose(options)`` runs every check (``local.CHECKS`` then
``remote.CHECKS``) and returns ``Check`` rows with status ``ok``, ``warn``, ``fail`` or
``skip`` and a one-line detail; a failing row may carry a ``fix`` (a safe, idempotent
repair: create a folder, write a missing default file, chmod a store to 0600, prune dead
tunnels). ``Autofix`` is the parent procedure (evidence recorded): each fix of a failing
row is its own child procedure ``Fix`` (plan: the fix; apply: it; verify: that row's
check again), so the autofix record lists one child bundle per fix and its dry-run shows
each child's plan; the parent's verify runs every check again, so the result is what is
true after the repairs. The exit code is 0 only when no row fails;
warnings never hide a failure and nothing is averaged into a score.

Pitfalls: checks never raise: an unexpected error becomes a ``fail`` row naming it.
Fixes write only what ``hotpass env`` / ``net status --prune`` / ``mkdir`` would.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.procedure import Change, Evidence, Procedure


@dataclass
class Options:
    settings: Any  # the front door's HotpassSettings
    profile: str | None = None
    search_paths: tuple[Path, ...] = ()
    target: str = "local"

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: Callable[[], str] | None = field(default=None, repr=False)
    fix_label: str | None = None
    recheck: Callable[[], list[Check]] | None = field(default=None, repr=False)  # its check

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
            row.recheck = functools.partial(check, options)
        rows.extend(found)
    return rows


class Fix(Procedure):
    """One failing row's fix: plan it, apply it, check that row again."""

    name = "doctor.fix"

    def __init__(self, row: Check) -> None:
        self.row = row
        self.output = ""

    def plan(self, ev: Evidence) -> list[Change]:
        return [Change(self.row.name, "fix", {"fix": self.row.fix_label})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        with ev.step(self.row.fix_label or self.row.name) as step:
            step.output = self.output = self.row.fix()

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        again = [r for r in (self.row.recheck() if self.row.recheck else [])
                 if r.name == self.row.name and r.status == "fail"]
        return [f"{self.row.name} still fails after the fix: {r.detail}" for r in again]

    def result(self, ev: Evidence) -> str:
        return self.output


class Autofix(Procedure):
    """plan: every fixable failing row's ``Fix`` under dry-run (its own plan); apply: each
    ``Fix`` as a child; verify: check everything again, and every fixed check that still
    fails is a difference."""

    name = "doctor.autofix"

    def __init__(self, options: Options, rows: list[Check]) -> None:
        self.options = options
        self.fixable = {row.name: row for row in rows if row.status == "fail" and row.fix}
        self.applied: list[dict] = []
        self.after: list[Check] = rows

    def plan(self, ev: Evidence) -> list[Change]:
        from hotpass.procedure import run

        return [change for row in self.fixable.values()
                for change in run(Fix(row), dry_run=True, echo=ev.echo).changes]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        from hotpass.procedure import run

        for change in changes:
            row = self.fixable[change.target]
            try:  # one failed fix must not stop the others (its bundle says why)
                result = run(Fix(row), echo=ev.echo).result
            except Exception as exc:
                result = f"failed: {getattr(exc, 'message', exc)}"
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
