"""The backfill rehearsal's arguments and their checks (``invoke rehearse.backfill``).

Contract: ``Options`` holds what the task passes (defaults: the ``prefect/staging``
overlay, 2024-01-01..2024-01-07, 600 s, bundle under ``dist/staging/backfill``);
``check(options)`` validates them before anything runs or is written and returns the
first and last day, or raises one ``HotpassError`` line naming the flag.

Pitfall: ``--deployment`` and ``--pool`` default to the manifest's only once the
manifests are rendered (the procedure's plan), not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.paths import MANIFEST_DIR

DEFAULT_OUT = Path("dist/staging/backfill")
MAX_WINDOWS = 62


@dataclass
class Options:
    manifest_dir: Path = MANIFEST_DIR / "staging"
    deployment: str = ""  # FLOW/NAME; default: the backfill manifest's
    since: str = "2024-01-01"
    until: str = "2024-01-07"
    pool: str = ""  # default: the manifest's work pool
    timeout: float = 600.0
    with_sample_inputs: bool = False
    out_dir: Path = DEFAULT_OUT
    manifest_id: str = "backfill"


def _date(flag: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HotpassError(f"rehearse.backfill: {flag} {text!r} is not a date like "
                           "2024-01-01") from None


def check(o: Options) -> tuple[dt.date, dt.date]:
    """The arguments, checked before anything runs; returns the window's first and last day."""
    since, until = _date("--since", o.since), _date("--until", o.until)
    if until < since:
        raise HotpassError(f"rehearse.backfill: --until {o.until} is before --since {o.since}")
    if (until - since).days >= MAX_WINDOWS:
        raise HotpassError(f"rehearse.backfill: --since..--until spans more than "
                           f"{MAX_WINDOWS} days; rehearse a bounded range")
    if not o.timeout > 0:
        raise HotpassError(f"rehearse.backfill: --timeout {o.timeout}: give seconds > 0")
    if o.deployment and o.deployment.count("/") != 1:
        raise HotpassError(f"rehearse.backfill: --deployment {o.deployment!r}: give "
                           "FLOW/NAME, e.g. hotpass-backfill/hotpass-backfill")
    if not Path(o.manifest_dir).is_dir():
        raise HotpassError(f"rehearse.backfill: --manifest-dir {o.manifest_dir}: no such "
                           "directory")
    return since, until
