"""What a gate returns and how a run of gates is reported.

Contract: a gate check is ``check(context) -> GateResult`` (``passed``, a one-line
``message`` and JSON-ready ``details``); ``Context`` says which profile, where the
project's files are (``root``: docs, manifests, sample data, tasks), where the run may
write (``work_dir``) and the front door's ``HotpassSettings`` (``settings``). ``timed(gate_id, name, check, context)`` runs one check, times it,
and turns an exception into a failed result naming it (one line), so one broken gate
never hides the others.

Pitfall: ``details`` must stay JSON-ready (str, int, float, bool, None, lists, dicts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError


@dataclass
class Context:
    profile: str
    root: Path  # the checkout: docs/, prefect/, data/, tasks.py
    work_dir: Path  # where gates may write (fresh run directories)
    settings: Any  # the front door's HotpassSettings
    profile_search_path: tuple[Path, ...] = ()
    input_dir: Path | None = None  # sample data to refine (default root/data)
    docs_dir: Path | None = None  # default root/docs
    manifest_dir: Path | None = None  # default root/prefect
    # the click groups by program name, handed in by the front door (hotpass.cli.programs())
    programs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.input_dir or self.root / "data"

    @property
    def docs(self) -> Path:
        return self.docs_dir or self.root / "docs"

    @property
    def manifests(self) -> Path:
        return self.manifest_dir or self.root / "prefect"


@dataclass
class GateResult:
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class GateOutcome:
    id: str
    name: str
    passed: bool
    message: str
    duration_seconds: float
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "passed": self.passed,
                "message": self.message, "duration_seconds": self.duration_seconds,
                "details": self.details}


def timed(gate_id: str, name: str, check: Callable[[Context], GateResult],
          context: Context) -> GateOutcome:
    started = time.monotonic()
    try:
        result = check(context)
    except HotpassError as exc:
        result = GateResult(False, exc.message)
    except Exception as exc:  # a gate that crashes fails, and says how, in one line
        text = str(exc).strip().splitlines()
        result = GateResult(False, f"{type(exc).__name__}: {text[0] if text else ''}")
    return GateOutcome(gate_id, name, bool(result.passed), result.message,
                       round(time.monotonic() - started, 3), result.details)
