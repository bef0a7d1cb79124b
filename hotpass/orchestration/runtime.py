"""Which runtime ``hotpass orchestrate`` uses, and the run itself in either mode.

Contract: ``prefect_runtime_enabled()`` is true when ``HOTPASS_ENABLE_PREFECT_RUNTIME``
is ``1``/``true``/``yes``, or when it is unset and ``PREFECT_API_URL`` is set; an explicit
``0`` forces local mode. ``orchestrate(...)`` returns ``(mode, summary)``: in ``prefect``
mode it calls ``refinement_pipeline_flow`` (a real flow run, reported to the server);
in ``local`` mode it runs the same steps in-process without importing Prefect.
``enable_observability`` wraps the run in the observability package's telemetry session
when that package provides one; otherwise it is accepted and reported as not wired.
``task_runner="dask"`` (optionally with ``dask_address``) runs the per-file tasks on a
Dask cluster; it needs the Prefect runtime, and asking for it in local mode is an error.

Pitfalls: ``hotpass refine`` and unit tests never come here, so they never start or
contact a Prefect server. With the runtime on and no ``PREFECT_API_URL``, Prefect starts
a temporary in-process server for the one run (slow, but it works offline).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def prefect_runtime_enabled(flag: bool | None = None, api_url: str | None = None) -> bool:
    """``flag`` (default: ``HOTPASS_ENABLE_PREFECT_RUNTIME`` from the settings) decides;
    unset, a ``PREFECT_API_URL`` (default: the environment's) turns the runtime on."""
    if flag is None:
        from hotpass.settings import load

        flag = load().enable_prefect_runtime
    if flag is not None:
        return flag
    url = os.environ.get("PREFECT_API_URL", "") if api_url is None else api_url
    return bool(url.strip())


@contextlib.contextmanager
def observability(enabled: bool, profile: str, notes: list[str]) -> Iterator[None]:
    if not enabled:
        yield
        return
    try:
        from hotpass.observability.telemetry import telemetry_session
    except ImportError as exc:
        notes.append(f"observability requested but unavailable ({exc})")
        yield
        return
    with telemetry_session(flow="hotpass-refinement", profile=profile):
        notes.append("observability: telemetry session active")
        yield


def orchestrate(*, input_dir: Path, output_path: Path, profile: str, archive: bool = False,
                incremental: bool = True, since: str | None = None,
                enable_observability: bool = False, task_runner: str = "thread",
                dask_address: str | None = None) -> tuple[str, dict[str, Any]]:
    from hotpass.errors import HotpassError

    runtime = prefect_runtime_enabled()
    if dask_address and task_runner != "dask":
        raise HotpassError("--dask-address: only with --task-runner dask")
    if task_runner != "thread" and not runtime:
        raise HotpassError(f"--task-runner {task_runner}: runs on the Prefect runtime only; "
                           "set HOTPASS_ENABLE_PREFECT_RUNTIME=1 (or PREFECT_API_URL)")
    notes: list[str] = []
    kwargs = {"input_dir": str(input_dir), "output_path": str(output_path),
              "profile": profile, "archive": archive, "incremental": incremental,
              "since": since}
    with observability(enable_observability, profile, notes):
        if runtime:
            from hotpass.orchestration.flows import refinement_flow

            summary = refinement_flow(task_runner, dask_address)(**kwargs)
            summary["task_runner"] = task_runner
            mode = "prefect"
        else:
            from hotpass.orchestration.steps import run_local

            summary = run_local(**kwargs)
            mode = "local"
    summary = {**summary, "notes": notes}
    return mode, summary
