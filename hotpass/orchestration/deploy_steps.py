"""``hotpass deploy``'s steps against the Prefect server (composed into a procedure by
``hotpass.orchestration.deploy``): validate, plan, register, verify; offline payloads.

Contract: ``prepare(manifests)`` checks all asked-for manifests (flow import, parameters
against the signature) before anything else, so one bad manifest registers nothing.
``plan(prepared)`` compares each with the server (``create``/``update``/``unchanged`` and
the changed keys) and only reads; a dry run whose server does not answer plans every
deployment as ``unknown`` with the note "server unreachable: cannot compare with what is
registered" instead of failing (validation ran offline already). ``offline_text`` is the
RunnerDeployment JSON ``--no-upload`` writes to ``offline_path``
(``dist/offline/prefect/<id>.json``) without a server. ``apply`` registers what is not
unchanged with ``flow.from_source(<source root>, entrypoint).deploy(build=False,
push=False)``, creates a missing work pool, sets the deployment limit and the global
concurrency limit ``concurrency_key``; ``verify`` re-reads every deployment and lists
what differs from its manifest.
Flow parameters named ``concurrency_key``/``concurrency_limit`` default to the
manifest's values, so a backfill run holds the limit the manifest sets.

Pitfalls: without ``PREFECT_API_URL`` Prefect would start a throwaway in-process server;
we refuse instead (``plan`` marks everything ``create``, unverified). ``prefect.deploy``
of ``to_deployment(...)`` fails for local source here; ``from_source`` on the checkout
works because the worker then runs flows from this folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.orchestration.api import (
    api_url,
    client,
    read_or_create_global_limit,
    unreachable,
)
from hotpass.orchestration.manifests import Manifest, check_flow, flow_entrypoint
from hotpass.paths import SOURCE_ROOT
from hotpass.redact import redact_url

OFFLINE_DIR = Path("dist/offline/prefect")
UNREACHABLE = "server unreachable"


@dataclass
class Prepared:
    manifest: Manifest
    flow: Any
    entrypoint: str
    desired: dict[str, Any]

    @property
    def full_name(self) -> str:
        return f"{self.flow.name}/{self.manifest.name}"


@dataclass
class Step:
    id: str
    deployment: str
    action: str  # create | update | unchanged
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "deployment": self.deployment, "action": self.action,
                "changes": self.changes, "notes": self.notes}


def parameters_for(manifest: Manifest, flow: Any) -> dict[str, Any]:
    import inspect

    names = inspect.signature(flow.fn).parameters
    params = dict(manifest.parameters)
    if "concurrency_key" in names and manifest.concurrency_key:
        params.setdefault("concurrency_key", manifest.concurrency_key)
    if "concurrency_limit" in names and manifest.concurrency_limit:
        params.setdefault("concurrency_limit", manifest.concurrency_limit)
    return params


def desired_state(manifest: Manifest, flow: Any, entrypoint: str) -> dict[str, Any]:
    schedule = None
    if manifest.schedule:
        s = manifest.schedule
        value = float(s.value) if s.kind == "interval" else s.value
        schedule = {"kind": s.kind, "value": value, "timezone": s.timezone}
    gcl = ({"name": manifest.concurrency_key, "limit": manifest.concurrency_limit or 1}
           if manifest.concurrency_key else None)
    return {"description": manifest.description, "tags": sorted(manifest.tags),
            "work_pool": manifest.work_pool, "work_queue": manifest.work_queue or "default",
            "parameters": parameters_for(manifest, flow), "schedule": schedule,
            "paused": manifest.paused, "concurrency_limit": manifest.concurrency_limit,
            "global_concurrency_limit": gcl, "entrypoint": entrypoint,
            "source_dir": str(SOURCE_ROOT)}


def prepare(manifests: list[Manifest]) -> list[Prepared]:
    """Validate every manifest fully; raise on the first bad one (nothing registered)."""
    prepared = []
    for manifest in manifests:
        flow = check_flow(manifest)
        entrypoint = flow_entrypoint(flow, SOURCE_ROOT)
        prepared.append(Prepared(manifest, flow, entrypoint,
                                 desired_state(manifest, flow, entrypoint)))
    return prepared


def _schedule_of(deployment: Any) -> dict[str, Any] | None:
    if not deployment.schedules:
        return None
    schedule = deployment.schedules[0].schedule
    if getattr(schedule, "cron", None):
        return {"kind": "cron", "value": schedule.cron, "timezone": schedule.timezone}
    if getattr(schedule, "interval", None):
        return {"kind": "interval", "value": schedule.interval.total_seconds(),
                "timezone": schedule.timezone}
    return {"kind": "rrule", "value": schedule.rrule, "timezone": schedule.timezone}


def current_state(client: Any, full_name: str, gcl_name: str | None) -> dict[str, Any] | None:
    from prefect.exceptions import ObjectNotFound

    try:
        d = client.read_deployment_by_name(full_name)
    except ObjectNotFound:
        return None
    gcl = None
    if gcl_name:
        try:
            limit = client.read_global_concurrency_limit_by_name(gcl_name)
            gcl = {"name": limit.name, "limit": limit.limit}
        except ObjectNotFound:
            gcl = None
    own_limit = (d.global_concurrency_limit.limit if d.global_concurrency_limit
                 else d.concurrency_limit)
    source_dir = next((step[key].get("directory") for step in d.pull_steps or []
                       for key in step if key.endswith("set_working_directory")), None)
    return {"description": d.description or "", "tags": sorted(d.tags),
            "work_pool": d.work_pool_name, "work_queue": d.work_queue_name,
            "parameters": d.parameters, "schedule": _schedule_of(d), "paused": d.paused,
            "concurrency_limit": own_limit, "global_concurrency_limit": gcl,
            "entrypoint": d.entrypoint, "source_dir": source_dir}


def diff(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: {"server": current.get(key), "manifest": value}
            for key, value in desired.items() if current.get(key) != value}


def plan(prepared: list[Prepared], *, offline: bool = False,
         dry_run: bool = False) -> list[Step]:
    """What ``apply`` would do; reads the server only when PREFECT_API_URL is set. A dry
    run with the server down still plans (action ``unknown``) instead of failing."""
    url = None if offline else api_url()
    if url is None:
        note = "not compared: no server consulted" + ("" if offline else
                                                      " (PREFECT_API_URL is not set)")
        return [Step(p.manifest.id, p.full_name, "create", notes=[note]) for p in prepared]
    why = unreachable(url) if dry_run else None
    if why is not None:
        note = (f"{UNREACHABLE}: cannot compare with what is registered "
                f"({redact_url(url)}: {why})")
        return [Step(p.manifest.id, p.full_name, "unknown", notes=[note]) for p in prepared]
    steps = []
    with client("deploy") as prefect_client:
        for p in prepared:
            current = current_state(prefect_client, p.full_name,
                                    p.manifest.concurrency_key)
            if current is None:
                steps.append(Step(p.manifest.id, p.full_name, "create"))
                continue
            changes = diff(p.desired, current)
            steps.append(Step(p.manifest.id, p.full_name, "update" if changes else
                              "unchanged", changes))
    return steps


def _schedule_object(manifest: Manifest) -> Any:
    from prefect.schedules import Cron, Interval, RRule

    s = manifest.schedule
    if s is None:
        return None
    if s.kind == "cron":
        return Cron(str(s.value), timezone=s.timezone)
    if s.kind == "interval":
        return Interval(dt.timedelta(seconds=float(s.value)), timezone=s.timezone)
    return RRule(str(s.value), timezone=s.timezone)


def deploy_arguments(p: Prepared) -> dict[str, Any]:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig

    m = p.manifest
    schedule = _schedule_object(m)
    limit = (ConcurrencyLimitConfig(limit=m.concurrency_limit, collision_strategy="ENQUEUE")
             if m.concurrency_limit else None)
    return {"name": m.name, "work_pool_name": m.work_pool,
            "work_queue_name": m.work_queue or "default",
            "schedules": [schedule] if schedule else [], "paused": m.paused,
            "concurrency_limit": limit, "parameters": p.desired["parameters"],
            "description": m.description, "tags": list(m.tags)}


def _source_flow(p: Prepared) -> Any:
    from prefect import Flow

    return Flow.from_source(source=str(SOURCE_ROOT), entrypoint=p.entrypoint)


def offline_text(p: Prepared) -> str:
    """The RunnerDeployment payload of ``p`` as the JSON text ``--no-upload`` writes."""
    deployment = _source_flow(p).to_deployment(**deploy_arguments(p))
    payload = deployment.model_dump(mode="json", exclude_none=True, exclude={"storage"})
    if deployment.storage is not None:
        payload["pull_steps"] = [deployment.storage.to_pull_step()]
    payload["hotpass"] = {"id": p.manifest.id, "source": p.manifest.source,
                          "flow": p.manifest.flow, "full_name": p.full_name,
                          "global_concurrency_limit": p.desired["global_concurrency_limit"]}
    return json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"


def offline_path(p: Prepared, out_dir: Path = OFFLINE_DIR) -> Path:
    return Path(out_dir) / f"{p.manifest.id}.json"


def _ensure_pool(client: Any, name: str) -> str | None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        client.read_work_pool(name)
        return None
    except ObjectNotFound:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            return None
        return f"work pool '{name}' did not exist: created it (type process)"


def _ensure_global_limit(client: Any, name: str, limit: int) -> None:
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    existing = read_or_create_global_limit(client, name, limit)
    if existing is not None and (existing.limit != limit or not existing.active):
        client.update_global_concurrency_limit(
            name, GlobalConcurrencyLimitUpdate(limit=limit, active=True))


def apply(prepared: list[Prepared], steps: list[Step]) -> list[Step]:
    """Register every step that is not ``unchanged`` (``verify`` re-reads them after)."""
    if not api_url():
        raise HotpassError("deploy: PREFECT_API_URL is not set; point it at a Prefect "
                           "server (prefect server start) or use --no-upload / --dry-run")
    with client("deploy") as prefect_client:
        for p, step in zip(prepared, steps, strict=True):
            if step.action == "unchanged":
                continue
            note = _ensure_pool(prefect_client, p.manifest.work_pool)
            if note:
                step.notes.append(note)
            with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints a table
                _source_flow(p).deploy(build=False, push=False, print_next_steps=False,
                                       ignore_warnings=True, **deploy_arguments(p))
            gcl = p.desired["global_concurrency_limit"]
            if gcl:
                _ensure_global_limit(prefect_client, gcl["name"], gcl["limit"])
    return steps


def verify(prepared: list[Prepared]) -> list[str]:
    """Re-read every deployment from the server: what differs from its manifest."""
    problems = []
    with client("deploy") as prefect_client:
        for p in prepared:
            current = current_state(prefect_client, p.full_name, p.manifest.concurrency_key)
            if current is None:
                problems.append(f"{p.full_name}: not on the server after registration")
                continue
            differences = diff(p.desired, current)
            if differences:
                problems.append(f"{p.full_name} differs from {p.manifest.source} after "
                                f"registration: {', '.join(differences)}")
    return problems
