"""One run's lineage from the OpenLineage events the run emitted (the file sink
``<output folder>/lineage/events.ndjson`` that ``stack.up`` sets natively), as a graph
with a depth control.

Contract: ``read_events(output_dir)`` -> the events (bad lines skipped);
``run_event(events, run_id)`` -> the refine run's COMPLETE event (its outputs are the
files in the run's staging folder), or ``None``; ``graph(events, event, depth)`` -> ``(columns, edges)`` for
``charts.lineage``: depth 1 is inputs -> job -> outputs, each further level adds the jobs
that read this job's outputs or wrote its inputs, with their datasets.
``flow_run_id(event)``: the Prefect flow run that was the event's parent, if any;
``links(event)``: the run's Prefect and Marquez pages when those UIs are configured.

Pitfalls: jobs' other runs are taken from their latest event in the file; datasets are
matched by namespace and name.
"""

from __future__ import annotations

import json
from pathlib import Path

EVENTS = Path("lineage") / "events.ndjson"


def read_events(output_dir: Path) -> list[dict]:
    path = Path(output_dir) / EVENTS
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "job" in event:
            events.append(event)
    return events


def run_event(events: list[dict], run_id: str) -> dict | None:
    """The COMPLETE event whose outputs are the run's own files (they live in the run's
    staging folder, ``.../<run id>/refined.csv``)."""
    marker = f"/{run_id}/"
    for event in events:
        if event.get("eventType") == "COMPLETE" and any(
                marker in str(d.get("name", "")) for d in event.get("outputs", [])):
            return event
    return None


def flow_run_id(event: dict | None) -> str | None:
    parent = ((event or {}).get("run", {}).get("facets", {}) or {}).get("parent") or {}
    return (parent.get("run") or {}).get("runId")


def links(event: dict | None, prefect_ui_url: str | None,
          marquez_web_url: str | None) -> tuple[str | None, str | None]:
    """(the Prefect UI's page of the flow run that was the event's parent, Marquez web's
    page of the job), each when its UI is configured (the caller's ``PREFECT_UI_URL``,
    ``HOTPASS_MARQUEZ_WEB_URL``) and the event names it."""
    from urllib.parse import quote

    flow_run = flow_run_id(event)
    prefect = (f"{prefect_ui_url.rstrip('/')}/runs/flow-run/{quote(flow_run)}"
               if prefect_ui_url and flow_run else None)
    job = (event or {}).get("job", {})
    marquez = (f"{marquez_web_url.rstrip('/')}/lineage/job/"
               f"{quote(job['namespace'], safe='')}/{quote(job['name'], safe='')}"
               if marquez_web_url and job.get("name") else None)
    return prefect, marquez


def _name(dataset: dict) -> str:
    return f"{dataset.get('namespace', '')}:{dataset.get('name', '')}"


def _job(event: dict) -> str:
    job = event.get("job", {})
    return f"job:{job.get('namespace', '')}/{job.get('name', '')}"


def graph(events: list[dict], event: dict, depth: int = 1):
    latest: dict[str, dict] = {}
    for other in events:
        if other.get("eventType") in ("COMPLETE", "FAIL", "RUNNING", "START"):
            latest[_job(other)] = other
    latest[_job(event)] = event
    chosen = {_job(event): event}
    frontier = [event]
    for _ in range(max(depth, 1) - 1):
        found = []
        for current in frontier:
            reads = {_name(d) for d in current.get("inputs", [])}
            writes = {_name(d) for d in current.get("outputs", [])}
            for job, other in latest.items():
                if job in chosen:
                    continue
                if writes & {_name(d) for d in other.get("inputs", [])} or \
                        reads & {_name(d) for d in other.get("outputs", [])}:
                    chosen[job] = other
                    found.append(other)
        frontier = found
    edges, layer = [], {}
    for job, other in chosen.items():
        for d in other.get("inputs", []):
            edges.append((_name(d), job))
        for d in other.get("outputs", []):
            edges.append((job, _name(d)))
    nodes = {n for edge in edges for n in edge} | set(chosen)
    for _ in range(len(nodes)):  # longest path from a source gives the column
        changed = False
        for a, b in edges:
            want = layer.get(a, 0) + 1
            if layer.get(b, 0) < want:
                layer[b], changed = want, True
        if not changed:
            break
    columns: list[list[dict]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for node in sorted(nodes):
        kind = "job" if node.startswith("job:") else "dataset"
        label = node.split("/", 1)[-1] if kind == "job" else node.rsplit("/", 1)[-1]
        columns[layer.get(node, 0)].append({"id": node, "label": label, "kind": kind})
    return columns, edges
