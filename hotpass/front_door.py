"""The front door's settings, for the one reader below every door: where evidence goes.

Contract: a front door (the CLI's root group, the task adapter, the Prefect flow's entry,
the ``run_qg3`` script) calls ``install(source)`` once with its settings loader, a
callable that loads ``HotpassSettings`` on first use (its one ``settings.load()``).
``installed()`` calls it; only ``hotpass.evidence`` does (``HOTPASS_EVIDENCE_DIR``,
``HOTPASS_NEXT_STEPS_LOG``, ``HOTPASS_OWNER``: every procedure run needs them, at any
depth). Every other setting is passed down as a parameter.

Pitfalls: this module imports nothing heavy (the CLI installs before ``--help`` is
known); a procedure run with no front door installed is one ``HotpassError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotpass.errors import HotpassError

_installed: Callable[[], Any] | None = None


def install(source: Callable[[], Any]) -> None:
    """Remember the front door's settings loader (replacing an earlier one)."""
    global _installed
    _installed = source


def installed() -> Any:
    """The installed front door's ``HotpassSettings``."""
    if _installed is None:
        raise HotpassError("no front door installed its settings (hotpass.front_door): "
                           "where the evidence goes is unknown")
    return _installed()
