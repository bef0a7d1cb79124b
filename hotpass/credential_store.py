"""The credentials store: API keys and passwords Hotpass commands may need, kept private.

Contract: one JSON file, ``<HOTPASS_STATE_DIR>/credentials.json``, mode 0600 in a 0700
folder, written atomically (a reader sees the old store or the new one). ``load()``
returns ``{NAME: value}``; ``entries()`` the names with masked values; ``write()`` replaces
the whole store. Names are environment-variable names (``AWS_SECRET_ACCESS_KEY``), so
``hotpass env --include-credentials`` can write them as they are. ``mask`` is how a value
is shown anywhere: never the value, not even part of it. ``write_private`` and
``private_mode_problem`` serve every file that holds secrets (``.env.<target>`` too).

This is a support module (it imports only other support modules), so ``artifacts`` may
read the store; changing it is ``hotpass.infra.credentials.ChangeCredentials``, the
procedure above it.

Pitfalls: a store readable by group or others is refused (``ssh`` does the same), so a
secret that was exposed is noticed; ``chmod 600`` (or ``hotpass doctor --autofix``)
repairs it. Values are never logged, printed or put in a plan.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_path

FILENAME = "credentials.json"
MASK = "***"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

def store_path(state_dir: Path) -> Path:
    """The store in ``state_dir`` (the caller's ``HOTPASS_STATE_DIR``)."""
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


def read_entries(path: Path) -> dict[str, dict[str, str]]:
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


def load(state_dir: Path) -> dict[str, str]:
    """``{NAME: value}`` of every stored credential (empty when there is no store)."""
    return {name: entry["value"] for name, entry in read_entries(store_path(state_dir)).items()}


def entries(state_dir: Path) -> list[dict[str, str]]:
    """Stored names with masked values and when each was set (safe to print)."""
    return [{"name": name, "value": mask(entry["value"]), "updated": entry.get("updated", "")}
            for name, entry in sorted(read_entries(store_path(state_dir)).items())]


def write(path: Path, stored: dict[str, dict[str, str]]) -> Path:
    """Replace the store at ``path`` with ``stored`` (``{NAME: {value, updated}}``)."""
    return write_private(path, json.dumps({"version": 1, "credentials": stored}, indent=2,
                                          sort_keys=True) + "\n")
