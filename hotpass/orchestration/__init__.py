"""Orchestration: Prefect flows, deployment manifests, ``hotpass deploy`` and workers.

Contract: ``refinement_pipeline_flow`` and ``backfill_pipeline_flow`` are importable from
here (manifests name them as ``hotpass.orchestration:<flow>``), but lazily: importing
this package, or its Prefect-free modules (``manifests``, ``steps``, ``runtime``),
never imports Prefect. Modules: ``steps`` (the run's plain steps), ``flows`` (Prefect),
``runtime`` (which mode ``orchestrate`` uses), ``manifests`` (YAML + validation),
``deploy`` (plan / offline payloads / register / verify against the server),
``deployment`` (those steps as the ``Deploy`` procedure, with evidence), ``images``
(Docker), ``workers`` (``prefect worker`` processes as start/stop procedures).

Pitfalls: ``from hotpass.orchestration import refinement_pipeline_flow`` imports Prefect
(a second or so); keep it inside function bodies on startup paths.
"""

from __future__ import annotations

from typing import Any

_FLOWS = ("refinement_pipeline_flow", "backfill_pipeline_flow")


def __getattr__(name: str) -> Any:
    if name in _FLOWS:
        from hotpass.orchestration import flows

        return getattr(flows, name)
    raise AttributeError(f"module 'hotpass.orchestration' has no attribute '{name}'")


__all__ = list(_FLOWS)
