"""The credentials store: API keys and passwords Hotpass commands may need, kept private.

Contract: one JSON file, ``<HOTPASS_STATE_DIR>/credentials.json``, mode 0600 in a 0700
folder, written atomically (a reader sees the old store or the new one). ``load()``
returns ``{NAME: value}``; ``ChangeCredentials`` is the procedure that sets or removes
names (plan: add/update/remove/unchanged per name, never a value; apply: write; verify:
re-read, fail on any difference or a mode that is not 0600). Names are environment-variable names (``AWS_SECRET_ACCESS_KEY``), so
``hotpass env --include-credentials`` can write them as they are. ``mask`` is how a
value is shown anywhere: never the value, not even part of it.

Pitfalls: a store readable by group or others is refused (``ssh`` does the same), so a
secret that was exposed is noticed; ``chmod 600`` (or ``hotpass doctor --autofix``)
repairs it. Values are never logged, printed or put in a plan.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_path
from hotpass.procedure import Change, Evidence, Procedure

FILENAME = "credentials.json"
MASK = "***"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# What `hotpass credentials wizard` asks for, in order (name, what it is for).
WIZARD_FIELDS: tuple[tuple[str, str], ...] = (
    ("PREFECT_API_KEY", "Prefect Cloud API key; leave blank for a self-hosted server"),
    ("AWS_ACCESS_KEY_ID", "S3/MinIO access key for the artefact bucket"),
    ("AWS_SECRET_ACCESS_KEY", "S3/MinIO secret key for the artefact bucket"),
    ("OPENLINEAGE_API_KEY", "OpenLineage/Marquez API key, if the backend wants one"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "OTLP exporter headers, e.g. Authorization=Bearer <token>"),
    ("HOTPASS_LLM_API_KEY", "API key of a hosted LLM provider (Groq, OpenRouter)"),
)


def store_path(state_dir: Path | None = None) -> Path:
    if state_dir is None:
        from hotpass.settings import load as load_settings

        state_dir = load_settings().state_dir
    return Path(state_dir) / FILENAME


def mask(value: str | None) -> str:
    return MASK if value else ""


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise HotpassError(f"credentials: {name!r} is not a valid name (letters, digits and "
                           "_, not starting with a digit; e.g. AWS_SECRET_ACCESS_KEY)")
    return name


def private_mode_problem(path: Path) -> str | None:
    """Why ``path`` is not private (group/other may read or write it), or None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} has mode {mode:04o}; it holds secrets and must be 0600 (chmod 600 {path})"
    return None


def write_private(path: Path, text: str) -> Path:
    """Atomically write ``text`` to ``path`` created with mode 0600 (parent made 0700)."""
    path = Path(path)
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with atomic_path(path) as temp:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return path


def _read(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    problem = private_mode_problem(path)
    if problem:
        raise HotpassError(f"credentials: {problem}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["credentials"]
        if not isinstance(entries, dict) or not all(
                isinstance(e, dict) and isinstance(e.get("value"), str) for e in entries.values()):
            raise ValueError("entries must be {NAME: {value, updated}}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HotpassError(f"credentials: {path} is not a credentials store ({exc}); "
                           "move it away and run `hotpass credentials wizard`") from None
    return entries


def load(state_dir: Path | None = None) -> dict[str, str]:
    """``{NAME: value}`` of every stored credential (empty when there is no store)."""
    return {name: entry["value"] for name, entry in _read(store_path(state_dir)).items()}


def entries(state_dir: Path | None = None) -> list[dict[str, str]]:
    """Stored names with masked values and when each was set (safe to print)."""
    return [{"name": name, "value": mask(entry["value"]), "updated": entry.get("updated", "")}
            for name, entry in sorted(_read(store_path(state_dir)).items())]


class ChangeCredentials(Procedure):
    """Set (value) or remove (None) credentials: plan per name, write, re-read."""

    name = "credentials"

    def __init__(self, wanted: dict[str, str | None], state_dir: Path | None = None) -> None:
        self.wanted = wanted
        self.state_dir = state_dir

    def prepare(self, ev: Evidence) -> None:
        for name in self.wanted:
            check_name(name)

    def plan(self, ev: Evidence) -> list[Change]:
        current = load(self.state_dir)
        changes = []
        for name, value in sorted(self.wanted.items()):
            if value is None:
                action = "remove" if name in current else "unchanged"
            elif name not in current:
                action = "add"
            else:
                action = "unchanged" if current[name] == value else "update"
            changes.append(Change(name, action))  # never the value
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        path = store_path(self.state_dir)
        stored = _read(path)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for change in changes:
            if change.action == "remove":
                stored.pop(change.target, None)
            else:
                stored[change.target] = {"value": self.wanted[change.target], "updated": now}
        write_private(path, json.dumps({"version": 1, "credentials": stored}, indent=2,
                                       sort_keys=True) + "\n")

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        path = store_path(self.state_dir)
        current = load(self.state_dir)
        wrong = [f"{path} does not hold what was written for {name}"
                 for name, value in sorted(self.wanted.items()) if current.get(name) != value]
        if path.exists() and private_mode_problem(path):
            wrong.append(private_mode_problem(path))
        return wrong

def ask(prompt: Callable[[str], str], state_dir: Path | None = None) -> dict[str, str]:
    """Ask for each ``WIZARD_FIELDS`` name through ``prompt`` (hidden input is the
    caller's job); a blank answer keeps the stored value. Returns what was entered."""
    stored = load(state_dir)
    wanted = {}
    for name, purpose in WIZARD_FIELDS:
        hint = "stored; Enter keeps it" if name in stored else "Enter skips"
        value = prompt(f"{name} ({purpose}) [{hint}]")
        if value:
            wanted[name] = value
    return wanted
