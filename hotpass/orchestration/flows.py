"""The Prefect flows: refinement (per-workbook tasks) and backfill (daily replays).

Contract:
- ``refinement_pipeline_flow(options, incremental, backfill, enable_observability)`` is
  the run ``hotpass refine`` does, composed by ``hotpass.refine.run``; ``options`` is one
  ``RefineOptions`` (JSON-able: a deployment's parameters and ``orchestrate`` pass the
  same object, parsed once at the door; the flow never re-reads flags or merges search
  paths). Same ``since``, profile search path, telemetry with
  ``enable_observability``, lineage when OpenLineage is configured), with
  ``prepare_source`` mapped over the inputs to prepare as tasks (the flow's task runner
  spreads them) and consolidate-and-publish as one task; ``incremental`` re-prepares only
  inputs changed since the checkpoint and still publishes the full dataset. It publishes
  a markdown artifact ``hotpass-refinement-summary``; a bad input (``HotpassError``) ends
  the run ``Failed`` with that one line as its message. ``backfill=True``
  accepts an input bundle (``hotpass-inputs-YYYYMMDD.zip``) as ``options.input_dir``. Its
  summary adds ``ran_on`` (per input: pid, host, and the Dask worker address when a Dask
  worker ran it). ``refinement_flow(task_runner, dask_address, dask_workers)`` returns the flow
  with a ``thread`` (default) or ``dask`` task runner (``prefect-dask``, extra
  ``distributed``; a temporary local cluster of ``dask_workers`` single-threaded worker
  processes, Dask's default without it, unless ``dask_address`` names a running scheduler).
- ``backfill_pipeline_flow`` splits ``since..until`` (inclusive, daily; ``since``
  defaults to yesterday UTC, ``until`` to ``since``) into windows;
  each window with an archived bundle runs the refinement *deployment* (so any worker of
  the pool can take it) while holding one slot of the global concurrency limit
  ``concurrency_key``; a day without a bundle is reported ``skipped``. It returns
  per-window results and totals, publishes them as an artifact, and fails if any window
  failed.

Pitfalls: importing this module imports Prefect; the CLI imports it lazily (and
``prefect_dask`` only when asked for). Tasks use ``NO_CACHE`` because their inputs
(frames, profiles) are not worth hashing. On Dask, ``prepare-source`` runs in the Dask
workers, which read the input paths themselves (a remote cluster needs the same files at
the same paths) and send the prepared frames back; consolidation and every output are
written by the flow's own process. The global
limit must equal ``concurrency_limit``: the flow creates it when missing and refuses to
run when it exists with another value (the limit, not the thread pool, enforces the cap).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from hotpass.errors import HotpassError
from hotpass.orchestration import steps
from hotpass.refine.model import RefineOptions

REFINEMENT_DEPLOYMENT = "hotpass-refinement/hotpass-refinement"


def where_am_i() -> dict[str, Any]:
    """This process (and Dask worker, inside one): recorded per prepared input."""
    place: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname()}
    if "distributed" in sys.modules:  # only a Dask worker has it imported already
        from distributed import get_worker

        with contextlib.suppress(ValueError):  # ValueError: not inside a Dask worker
            place["dask_worker"] = get_worker().address
    return place


@task(name="prepare-source", cache_policy=NO_CACHE)
def prepare_source_task(path: Path, input_root: Path, profile: Any) -> tuple[Any, dict]:
    from hotpass.refine.pipeline import prepare_source

    return prepare_source(path, input_root, profile), where_am_i()


@task(name="consolidate-and-publish", cache_policy=NO_CACHE)
def finish_task(plan: Any, prepared: list, timings: dict) -> Any:
    from prefect.states import Failed

    from hotpass.refine.run import publish_run

    try:
        return publish_run(plan, prepared, timings)
    except HotpassError as exc:  # bad input: the one line as the state, no traceback
        return Failed(message=exc.message)


@flow(name="hotpass-refinement", log_prints=True)
def refinement_pipeline_flow(options: RefineOptions, incremental: bool = False,
                             backfill: bool = False,
                             enable_observability: bool = False) -> Any:
    """Refine a folder (or a backfill's input bundle) with per-workbook tasks. ``options``
    arrive whole (``hotpass orchestrate`` built them at its door; a deployment's manifest
    names them under ``parameters.options``); this entry is a front door: it loads the
    worker's ``HotpassSettings`` once (telemetry, lineage, the archive upload, evidence)."""
    from prefect.states import Failed, State

    from hotpass.front_door import install
    from hotpass.refine import run as refine_plan
    from hotpass.settings import load

    logger = get_run_logger()
    ran_on: dict[str, dict] = {}

    def prepare_many(paths: list[Path], root: Path, loaded: Any) -> list:
        futures = prepare_source_task.map(paths, unmapped(root), unmapped(loaded))
        results = [future.result() for future in futures]
        ran_on.update({prepared.relative: place for prepared, place in results})
        return [prepared for prepared, _ in results]

    def publish(plan: Any, prepared: list, timings: dict) -> Any:
        outcome = finish_task(plan, prepared, timings)
        if isinstance(outcome, State):  # the task failed on bad input, with one line
            raise HotpassError(outcome.message or "consolidate-and-publish failed")
        return outcome

    try:
        settings = load()
        install(lambda: settings)
        plan, result = refine_plan.run(
            options, settings, incremental=incremental and not backfill,
            telemetry=enable_observability or None, flow="hotpass-refinement",
            prepare_many=prepare_many, publish=publish)
    except HotpassError as exc:  # bad input: one line as the run's state, no traceback
        logger.error("%s", exc.message)
        return Failed(message=exc.message)
    if result is None:
        logger.info("no input changed since %s; nothing to refine",
                    plan.checkpoint.last_success if plan.checkpoint else "the last run")
    summary = steps.run_summary(plan, result, "prefect")
    if ran_on:
        summary["ran_on"] = ran_on
    create_markdown_artifact(markdown=steps.summary_markdown(summary),
                             key="hotpass-refinement-summary",
                             description="Hotpass refinement run summary")
    logger.info("refined %s file(s): %s", len(summary["processed"]), summary["processed"])
    return summary


def refinement_flow(task_runner: str = "thread", dask_address: str | None = None,
                    dask_workers: int | None = None) -> Any:
    """``refinement_pipeline_flow`` with the asked-for task runner for its per-file tasks;
    ``dask_workers``: worker processes of the temporary local cluster (one thread each)."""
    if task_runner == "thread":
        if dask_address:
            raise HotpassError("--dask-address: only with --task-runner dask")
        return refinement_pipeline_flow
    if task_runner != "dask":
        raise HotpassError(f"--task-runner {task_runner}: use thread or dask")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise HotpassError(f"--task-runner dask: needs the distributed extra ({exc}); "
                           "pip install -e '.[distributed]'") from None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # else ~30 INFO lines a run
    cluster = {"dashboard_address": ":0", "silence_logs": logging.WARNING}
    if dask_workers:
        cluster.update(n_workers=dask_workers, threads_per_worker=1, processes=True)
    runner = (DaskTaskRunner(address=dask_address) if dask_address
              else DaskTaskRunner(cluster_kwargs=cluster))
    return refinement_pipeline_flow.with_options(task_runner=runner)


def daily_windows(since: dt.date, until: dt.date) -> list[dt.date]:
    if until < since:
        raise ValueError(f"until {until} is before since {since}")
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def ensure_global_limit(name: str, limit: int) -> None:
    from hotpass.orchestration.api import client, read_or_create_global_limit

    with client("backfill") as prefect_client:
        existing = read_or_create_global_limit(prefect_client, name, limit)
    if existing is not None and (existing.limit != limit or not existing.active):
        raise RuntimeError(
            f"global concurrency limit '{name}' is {existing.limit} "
            f"({'active' if existing.active else 'inactive'}) but this backfill asks for "
            f"{limit}; re-run `hotpass deploy --flow backfill` or pass concurrency_limit="
            f"{existing.limit}")


@task(name="replay-window", cache_policy=NO_CACHE)
def replay_window(day: dt.date, bundle: str, output_dir: str, profile: str,
                  concurrency_key: str, deployment: str,
                  poll_seconds: float) -> dict[str, Any]:
    from prefect.concurrency.sync import concurrency
    from prefect.deployments import run_deployment

    options = RefineOptions(input_dir=Path(bundle), profile=profile,
                            output_path=Path(output_dir) / f"{day:%Y%m%d}" / "refined.xlsx")
    parameters = {"options": options.model_dump(mode="json"), "incremental": False,
                  "backfill": True}
    with concurrency(concurrency_key, occupy=1, strict=True):
        run = run_deployment(name=deployment, parameters=parameters, timeout=None,
                             poll_interval=poll_seconds, as_subflow=True,
                             flow_run_name=f"backfill-{day:%Y%m%d}")
    state = run.state
    return {"day": day.isoformat(), "status": "completed" if state.is_completed() else
            "failed", "state": state.name, "flow_run_id": str(run.id),
            "bundle": bundle}


@flow(name="hotpass-backfill", log_prints=True,
      task_runner=ThreadPoolTaskRunner(max_workers=16))
def backfill_pipeline_flow(since: dt.date | None = None, until: dt.date | None = None,
                           archive_dir: str = "dist/input-archives",
                           output_dir: str = "dist/backfill", profile: str = "generic",
                           backfill: bool = True, incremental: bool = False,
                           concurrency_key: str = "hotpass-backfill",
                           concurrency_limit: int = 2,
                           refinement_deployment: str = REFINEMENT_DEPLOYMENT,
                           poll_seconds: float = 2.0) -> dict[str, Any]:
    """Replay each day's archived inputs as a run of the refinement deployment."""
    from hotpass.refine.output.archive import input_bundle_path

    if not backfill or incremental:
        raise ValueError("a backfill replays whole days: backfill must be true and "
                         "incremental false")
    logger = get_run_logger()
    since = since or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    until = until or since
    ensure_global_limit(concurrency_key, concurrency_limit)
    results: dict[dt.date, Any] = {}
    for day in daily_windows(since, until):
        bundle = input_bundle_path(Path(archive_dir), day)
        if bundle.is_file():
            results[day] = replay_window.submit(
                day, str(bundle.resolve()), str(Path(output_dir).resolve()), profile,
                concurrency_key, refinement_deployment, poll_seconds)
        else:
            logger.info("%s: no input bundle at %s; skipped", day, bundle)
            results[day] = {"day": day.isoformat(), "status": "skipped",
                            "reason": f"no input bundle {bundle.name}"}
    windows = [r if isinstance(r, dict) else r.result() for _, r in sorted(results.items())]
    totals = {key: sum(1 for w in windows if w["status"] == key)
              for key in ("completed", "failed", "skipped")}
    totals["windows"] = len(windows)
    rows = "\n".join(f"| {w['day']} | {w['status']} | {w.get('flow_run_id', '')} |"
                     for w in windows)
    create_markdown_artifact(
        key="hotpass-backfill-summary", description="Hotpass backfill windows",
        markdown=(f"# Hotpass backfill {since}..{until}\n\n"
                  f"limit {concurrency_limit} on `{concurrency_key}`; totals: {totals}\n\n"
                  f"| day | status | flow run |\n|---|---|---|\n{rows}\n"))
    if totals["failed"]:
        failed = ", ".join(w["day"] for w in windows if w["status"] == "failed")
        raise RuntimeError(f"backfill: {totals['failed']} window(s) failed: {failed}")
    return {"windows": windows, "totals": totals}
