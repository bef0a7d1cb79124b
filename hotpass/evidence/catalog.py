"""Finding bundles and keeping the programme log: names, ``list_bundles``, Next_Steps_Log.

Contract: ``check_name(value, what)`` refuses anything but a plain name (letters, digits,
``.``, ``_``, ``-``; not starting with ``.`` or ``-``): a ticket or bundle id can never
climb out of its folder (``../x``, ``/etc``, empty). ``list_bundles(root)`` returns the
outermost bundles under ``root``, oldest first, from their manifests. ``append_log``
adds one row to ``Next_Steps_Log.md`` (``HOTPASS_NEXT_STEPS_LOG``): date, procedure, id,
verdict, bundle path, owner, note; the file and its table header are created on first
use.

Pitfalls: a row is one ``write`` in append mode, so concurrent procedures never mix
lines; ``|`` and newlines in a note are escaped to keep the table a table.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
LOG_HEADER = ("# Next steps log\n\nOne row per procedure run (written by Hotpass; the "
              "bundle holds the evidence).\n\n"
              "| date (UTC) | procedure | id | verdict | bundle | owner | note |\n"
              "|---|---|---|---|---|---|---|\n")


def check_name(value: str, what: str) -> str:
    if not value or not _PLAIN.match(value) or ".." in value:
        raise HotpassError(f"{what} {value!r}: not a plain name (letters, digits, '.', '_', "
                           "'-'; no '/', no '..')")
    return value


def default_owner() -> str:
    from hotpass.front_door import installed

    owner = installed().owner
    if owner:
        return owner
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


def log_path() -> Path:
    from hotpass.front_door import installed

    return installed().next_steps_log


def append_log(procedure: str, bundle_id: str, verdict: str, bundle: Path | str,
               owner: str | None, note: str | None = None) -> Path:
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    row = "| " + " | ".join(_cell(cell) for cell in (
        date, procedure, bundle_id, verdict, str(bundle), owner, note)) + " |\n"
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    descriptor = os.open(path, flags, 0o644)
    try:
        text = (LOG_HEADER if os.fstat(descriptor).st_size == 0 else "") + row
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)
    return path


def list_bundles(root: Path | str) -> list[dict[str, Any]]:
    """The outermost bundles under ``root`` (path, procedure, id, verdict, times)."""
    from hotpass.evidence.manifest import MANIFEST, nested_bundles

    root = Path(root)
    if root.exists() and not root.is_dir():
        raise HotpassError(f"{root}: not a folder of evidence bundles")
    if not root.is_dir():
        return []
    found = [root] if (root / MANIFEST).is_file() else nested_bundles(root)
    rows = []
    for directory in found:
        try:
            document = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rows.append({"path": str(directory), "procedure": "?", "id": directory.name,
                         "verdict": "unreadable", "started_at": "", "finished_at": "",
                         "children": 0})
            continue
        rows.append({"path": str(directory), "procedure": document.get("procedure", "?"),
                     "id": document.get("id", directory.name),
                     "verdict": document.get("verdict", "?"),
                     "started_at": document.get("started_at", ""),
                     "finished_at": document.get("finished_at", ""),
                     "children": len(document.get("children", []))})
    return sorted(rows, key=lambda row: (row["started_at"], row["path"]))
