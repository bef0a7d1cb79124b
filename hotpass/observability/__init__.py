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

Pitfalls: the active session is a ``ContextVar``: a nested session replaces and then
restores the outer one, threads started with a copy of the context (Prefect's thread
task runner does this) see it, other threads and processes do not.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotpass.observability.telemetry import Telemetry

_ACTIVE: ContextVar[Telemetry | None] = ContextVar("hotpass_telemetry", default=None)
_NO_SPAN = nullcontext()


def active_telemetry() -> Telemetry | None:
    return _ACTIVE.get()


def set_active_telemetry(telemetry: Telemetry | None) -> Telemetry | None:
    """Make ``telemetry`` the active session; return the one it replaced."""
    previous = _ACTIVE.get()
    _ACTIVE.set(telemetry)
    return previous


def stage_span(name: str) -> AbstractContextManager[object]:
    telemetry = _ACTIVE.get()
    if telemetry is None:
        return _NO_SPAN
    return telemetry.stage(name)
