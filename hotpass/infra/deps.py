"""Dependency sync with uv as a procedure, and the drift check against ``uv.lock``.

Contract: ``project_extras()`` is the extras list, read from ``pyproject.toml`` (the one
place it lives). ``Sync(extras)`` prepares (every extra known, ``uv`` on PATH), plans
with ``uv sync --dry-run --locked`` (one ``Change`` per package to install, update or
remove, diffed by uv against the live environment), applies ``uv sync --locked`` and
verifies with ``uv sync --check --locked``. ``check(extras)`` is that last step alone:
it returns the drift (empty when the environment matches the lock) without changing
anything. The default dependency group ``runbooks`` (``[tool.uv] default-groups``)
always comes along, so every sync keeps what the runbooks' ``uv run hotpass ...``
commands need.

Pitfalls: ``--locked`` means a stale ``uv.lock`` is an error, not silently rewritten:
run ``uv lock`` and commit it. The environment is uv's project environment (``.venv``,
or ``UV_PROJECT_ENVIRONMENT``), not necessarily the interpreter running this code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hotpass import shell
from hotpass.errors import HotpassError
from hotpass.paths import SOURCE_ROOT as ROOT
from hotpass.procedure import Change, Evidence, Procedure

_LINE = re.compile(r"^\s*([+~-])\s+([A-Za-z0-9_.\-\[\]]+)(?:==(\S+)|\s+@\s+(\S+))")


def project_extras(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The optional-dependency names declared in ``pyproject.toml``."""
    try:
        data = tomllib.loads(pyproject.read_text())
    except OSError:
        raise HotpassError(f"deps: no {pyproject}; run from a Hotpass checkout "
                           "(uv syncs the project, not an installed package)") from None
    return sorted(data["project"].get("optional-dependencies", {}))


def check_extras(extras: list[str], flag: str = "--extras") -> list[str]:
    known = project_extras()
    unknown = [extra for extra in extras if extra not in known]
    if unknown:
        raise HotpassError(f"{flag}: unknown extra {', '.join(map(repr, unknown))} "
                           f"(known: {' '.join(known)})")
    return extras


def split_extras(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text or "") if word]


def uv_sync(extras: list[str], *more: str) -> list[str]:
    command = ["uv", "sync", "--locked"]
    for extra in extras:
        command += ["--extra", extra]
    return command + list(more)


def changes_from(output: str) -> list[Change]:
    """Packages uv says it would install (+), remove (-) or reinstall (~)."""
    seen: dict[str, Change] = {}
    for line in output.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        sign, name, version = match.group(1), match.group(2), match.group(3) or match.group(4)
        before = seen.get(name)
        if before is not None and {sign, before.detail.get("sign")} == {"+", "-"}:
            old = before.detail["version"] if sign == "+" else version
            new = version if sign == "+" else before.detail["version"]
            seen[name] = Change(name, "update", {"from": old, "to": new, "sign": "~"})
            continue
        action = {"+": "install", "-": "remove", "~": "reinstall"}[sign]
        seen[name] = Change(name, action, {"version": version, "sign": sign})
    for change in seen.values():
        change.detail.pop("sign", None)
    return sorted(seen.values(), key=lambda change: change.target)


def check(extras: list[str], ev: Evidence | None = None) -> list[Change]:
    """The drift between ``uv.lock`` and the environment (empty: in sync)."""
    check_extras(extras)
    try:
        shell.run(uv_sync(extras, "--check"), ev=ev, mutates=False, cwd=ROOT)
        return []
    except HotpassError as exc:
        if exc.exit_code != 1 or "outdated" not in exc.message:
            raise
    return changes_from(shell.run(uv_sync(extras, "--dry-run"), ev=ev, mutates=False,
                                  cwd=ROOT, with_stderr=True))


class Sync(Procedure):
    name = "deps.sync"

    def __init__(self, extras: list[str]) -> None:
        self.extras = extras

    def prepare(self, ev: Evidence) -> None:
        check_extras(self.extras)
        shell.run(["uv", "--version"], ev=ev, mutates=False)

    def plan(self, ev: Evidence) -> list[Change]:
        output = shell.run(uv_sync(self.extras, "--dry-run"), ev=ev, mutates=False, cwd=ROOT,
                           with_stderr=True)
        return changes_from(output) or [Change("environment", "unchanged")]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        shell.run(uv_sync(self.extras), ev=ev, cwd=ROOT)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        drift = check(self.extras, ev)
        return [f"{change.target}: still to {change.action}" for change in drift]
