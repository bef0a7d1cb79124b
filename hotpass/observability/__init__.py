"""Observability for Hotpass runs: OpenTelemetry metrics and spans, OpenLineage events.

Contract: this package module is import-light (no OpenTelemetry, OpenLineage, pandas or
Prefect) because the refine pipeline imports it on every run. It holds the one piece of
process state the pipeline consults, the active telemetry session:

- ``stage_span(name)``: a context manager around one pipeline stage. With no active
  session it is a shared no-op (zero cost when telemetry is off); with one, it opens a
  span named after the stage and records ``hotpass.pipeline.duration`` for it.
- ``active_telemetry()``: the ``Telemetry`` started by ``telemetry.telemetry_session``,
  or ``None``.

The heavy parts live in ``telemetry`` (OpenTelemetry), ``lineage`` (OpenLineage) and
``runs`` (both around one ``hotpass refine``); import those only when they are needed.

Pitfalls: one session is active per process at a time (a refine is one run); nested
sessions replace and then restore the outer one.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotpass.observability.telemetry import Telemetry

_ACTIVE: Telemetry | None = None
_NO_SPAN = nullcontext()


def active_telemetry() -> Telemetry | None:
    return _ACTIVE


def set_active_telemetry(telemetry: Telemetry | None) -> Telemetry | None:
    """Make ``telemetry`` the active session; return the one it replaced."""
    global _ACTIVE
    previous, _ACTIVE = _ACTIVE, telemetry
    return previous


def stage_span(name: str) -> AbstractContextManager[object]:
    telemetry = _ACTIVE
    if telemetry is None:
        return _NO_SPAN
    return telemetry.stage(name)
