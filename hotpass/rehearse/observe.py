"""What a backfill rehearsal concludes from what the Prefect server reports.

Contract (pure functions over the JSON that ``prefect ... -o json`` prints and the flow
runs the API returns as dicts):
- ``guardrails(deployment)`` reads the guardrail values a deployment advertises: its own
  concurrency limit, ``parameters.concurrency_key`` / ``concurrency_limit`` and every
  parameter; ``guardrail_differences(manifest, deployment)`` names each one that differs
  from the rendered manifest (``"<guardrail>: server X, manifest Y"``).
- ``peak_overlap(runs)`` is the most runs running at once, from their start and end
  times (an end at the very moment another starts does not overlap).
- ``windows(since, until, children)`` lists every daily window with the state of the child
  run named ``backfill-YYYYMMDD`` (``skipped`` when no run exists for that day).
- ``row_counts(markdown)`` reads ``rows in`` / ``records out`` from a refinement summary
  artifact.
- ``flow_run_id(log)`` finds the run's UUID in ``prefect deployment run`` output.

Pitfalls: timestamps come as ISO strings (``Z`` or ``+00:00``); a run still running has
no end time and counts as running until now.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

GUARDED_KEYS = ("concurrency_key", "concurrency_limit")
_UUID = re.compile(r"UUID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_ROWS = re.compile(r"rows in:\s*(\d+),\s*records out:\s*(\d+)")


def _time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def guardrails(deployment: dict[str, Any]) -> dict[str, Any]:
    """The guardrail values the server holds for a deployment."""
    own = deployment.get("global_concurrency_limit") or {}
    parameters = deployment.get("parameters") or {}
    return {"concurrency_limit": own.get("limit", deployment.get("concurrency_limit")),
            "concurrency_key": parameters.get("concurrency_key"),
            "parameters": parameters, "work_pool": deployment.get("work_pool_name")}


def guardrail_differences(manifest: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """``manifest`` is ``deploy_steps.desired_state``: concurrency limit, parameters, pool."""
    server = guardrails(deployment)
    wanted = manifest["parameters"]
    problems = []
    if server["concurrency_limit"] != manifest["concurrency_limit"]:
        problems.append(f"concurrency_limit: server {server['concurrency_limit']}, "
                        f"manifest {manifest['concurrency_limit']}")
    for key in sorted(set(wanted) | set(server["parameters"])):
        have, want = server["parameters"].get(key), wanted.get(key)
        if have != want:
            problems.append(f"parameters.{key}: server {have!r}, manifest {want!r}")
    if server["work_pool"] != manifest["work_pool"]:
        problems.append(f"work_pool: server {server['work_pool']}, manifest "
                        f"{manifest['work_pool']}")
    return problems


def peak_overlap(runs: list[dict[str, Any]], now: dt.datetime | None = None) -> int:
    """The most runs running at once, from ``start_time`` / ``end_time``."""
    now = now or dt.datetime.now(dt.UTC)
    events = []
    for run in runs:
        start = _time(run.get("start_time"))
        if start is None:
            continue
        events += [(start, 1), (_time(run.get("end_time")) or now, -1)]
    running = peak = 0
    for _, delta in sorted(events, key=lambda event: (event[0], event[1])):
        running += delta
        peak = max(peak, running)
    return peak


def daily(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def windows(since: dt.date, until: dt.date,
            children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per day: the child run of that day, its state and times, or skipped."""
    by_name = {child.get("name"): child for child in children}
    rows = []
    for day in daily(since, until):
        child = by_name.get(f"backfill-{day:%Y%m%d}")
        if child is None:
            rows.append({"day": day.isoformat(), "state": "skipped", "flow_run_id": None,
                         "start_time": None, "end_time": None})
            continue
        state = child.get("state") or {}
        rows.append({"day": day.isoformat(), "state": state.get("name") or "unknown",
                     "state_type": state.get("type"), "flow_run_id": str(child.get("id")),
                     "start_time": child.get("start_time"),
                     "end_time": child.get("end_time")})
    return rows


def row_counts(markdown: str) -> dict[str, int] | None:
    match = _ROWS.search(markdown or "")
    if match is None:
        return None
    return {"rows_in": int(match.group(1)), "records_out": int(match.group(2))}


def flow_run_id(log: str) -> str | None:
    match = _UUID.search(log or "")
    return match.group(1) if match else None
