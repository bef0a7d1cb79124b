"""Which runtime ``hotpass orchestrate`` uses, and the run itself in either mode.

Contract: ``prefect_runtime_enabled(flag, api_url)`` is true when
``HOTPASS_ENABLE_PREFECT_RUNTIME`` (``flag``) is true, or when it is unset and a Prefect
API URL is configured: ``PREFECT_API_URL`` in the environment or in the active Prefect
profile (as ``hotpass deploy`` reads it); an explicit false forces local mode.
``orchestrate(options, settings, ...)`` (the front door's ``RefineOptions`` and
``HotpassSettings``) checks everything that can be checked first (flags, the
observability extra, profile, inputs, and in Prefect mode that the API answers), so bad
input is one line before Prefect starts; then it returns ``(mode, summary)``: in
``prefect`` mode it calls ``refinement_pipeline_flow`` (a real flow run, reported to the
server, with ``options`` as its one JSON parameter), in ``local`` mode it runs the same
composition in-process without Prefect.
``task_runner="dask"`` (optionally with ``dask_address``, or ``dask_workers`` for the
temporary local cluster) runs the per-file tasks on a Dask cluster; it needs the Prefect
runtime.

Pitfalls: with the flag unset and no ``PREFECT_API_URL`` in the environment, finding
the profile's URL imports Prefect's settings (about a second). With the runtime on and
no URL at all, Prefect starts a temporary in-process server for the one run (slow, but
offline). ``hotpass refine`` and unit tests never come here.
"""

from __future__ import annotations

from typing import Any

from hotpass.errors import HotpassError
from hotpass.orchestration.api import api_url


def prefect_runtime_enabled(flag: bool | None, api_url: str | None) -> bool:
    return bool(api_url) if flag is None else flag


def orchestrate(options: Any, settings: Any, *, incremental: bool = False,
                enable_observability: bool = False, task_runner: str = "thread",
                dask_address: str | None = None,
                dask_workers: int | None = None) -> tuple[str, dict[str, Any]]:
    from hotpass.refine.run import preflight

    flag = settings.enable_prefect_runtime
    url = None if flag is False else api_url()
    runtime = prefect_runtime_enabled(flag, url)
    if dask_address and task_runner != "dask":
        raise HotpassError("--dask-address: only with --task-runner dask")
    if dask_workers is not None and task_runner != "dask":
        raise HotpassError("--dask-workers: only with --task-runner dask")
    if dask_workers is not None and dask_address:
        raise HotpassError("--dask-workers: only for the temporary local cluster, not with "
                           "--dask-address (the running cluster has its own workers)")
    if task_runner != "thread" and not runtime:
        raise HotpassError(f"--task-runner {task_runner}: runs on the Prefect runtime only; "
                           "set HOTPASS_ENABLE_PREFECT_RUNTIME=1 (or PREFECT_API_URL)")
    telemetry = enable_observability or None
    preflight(options, settings, telemetry=telemetry, incremental=incremental)
    if not runtime:
        from hotpass.orchestration.steps import run_local

        return "local", run_local(options, settings, incremental=incremental,
                                  telemetry=telemetry)
    if url:
        from hotpass.orchestration.api import require_server

        require_server("orchestrate", url, "start the server, fix PREFECT_API_URL (or the "
                       "Prefect profile's), or run locally with HOTPASS_ENABLE_PREFECT_RUNTIME=0")
    from hotpass.orchestration.flows import refinement_flow

    state = refinement_flow(task_runner, dask_address, dask_workers)(
        options=options, incremental=incremental, enable_observability=enable_observability,
        return_state=True)
    if not state.is_completed():
        raise HotpassError(state.message or f"orchestrate: the flow run ended {state.name}")
    return "prefect", {**state.result(), "task_runner": task_runner}
