"""``hotpass site build``: the static site from what runs already wrote.

Contract: ``build(out, runs_dirs, settings)`` (``settings``: the front door's; the UI
links and the evidence folder come from it) renders, under ``out``:
``index.html`` (runs, with sparklines), ``runs/<id>/index.html`` (run report),
``runs/<id>/review.html`` (that run's merge review), ``runs/<id>/lineage.html``,
``review.html`` and ``lineage.html`` (the latest run's), ``qa.html``, ``evidence.html``;
every page has a ``.json`` twin with the facts it shows. A run's pages are rendered once:
``runs.ndjson`` (the runs log, one summary line per run) says which exist, and the index
is rebuilt from it alone. Returns a ``BuildResult`` naming the runs rendered this time.
Every file is written to a temp file and renamed (only the runs log is fsynced: a
page lost to a crash is missing, so the next build renders it again); one build at a
time holds ``out/.site.lock`` (a second waits), so indexes never race.

Pitfalls: links are relative (``root`` is ``""`` or ``"../../"``), so the site works from
``file://``, from S3 and behind nginx; nothing is fetched from elsewhere (CSS and the
review script are inline). Downloads link to the run's own folder, which the output
folder keeps while the run is current or previous.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.fileio import atomic_write_text
from hotpass.site import charts, history, lineage
from hotpass.site.runs import Run, discover, facts, read_report, summary

RUNS_LOG = "runs.ndjson"
LINEAGE_DEPTHS = (1, 2, 3)


@dataclass
class BuildResult:
    out: Path
    rendered: list[str] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0


def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("hotpass.site", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False).replace(
        "<", "\\u003c")
    return env


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".site.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def read_log(out: Path) -> list[dict]:
    path = Path(out) / RUNS_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write_page(out: Path, name: str, env, template: str, data: dict, **context) -> None:
    """``name.html`` from ``template`` and ``name.json`` holding ``data``."""
    page = out / name
    page.parent.mkdir(parents=True, exist_ok=True)
    depth = name.count("/")
    html = env.get_template(template).render(data=data, root="../" * depth,
                                             json_name=page.with_suffix(".json").name,
                                             **context)
    _replace(page.with_suffix(".json"), json.dumps(data, ensure_ascii=False, sort_keys=True))
    _replace(page.with_suffix(".html"), html)


def _replace(path: Path, text: str) -> None:
    """Temp file + rename, no fsync: a reader never sees half a page; a page lost to a
    crash is rendered again next build (the runs log, fsynced, is the truth)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def build(out: Path | str, runs_dirs: list[Path], settings: Any,
          dry_run: bool = False) -> BuildResult:
    """Render what is new; ``dry_run``: only name the runs that would be rendered."""
    started = time.perf_counter()
    out = Path(out)
    result = BuildResult(out)
    if dry_run:
        known = {e["id"] for e in read_log(out)}
        fresh = [r.id for r in discover([Path(d) for d in runs_dirs]) if r.id not in known
                 or not (out / "runs" / r.id / "index.html").is_file()]
        result.rendered, result.runs = fresh, len(known | set(fresh))
        return result
    result = _build(out, runs_dirs, result, settings)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _build(out: Path, runs_dirs: list[Path], result: BuildResult,
           settings: Any) -> BuildResult:
    env = environment()
    with _locked(out):
        logged = read_log(out)
        known = {entry["id"] for entry in logged}
        found = discover([Path(d) for d in runs_dirs])
        events: dict[Path, list] = {}
        latest: dict | None = None
        for run in found:
            if run.id in known and (out / "runs" / run.id / "index.html").is_file():
                continue
            fact = _facts(run, events, settings)
            if fact is None:
                continue
            render_run(out, env, fact)
            latest = fact if run == found[-1] else latest
            logged = [e for e in logged if e["id"] != run.id] + [summary(fact)]
            known.add(run.id)
            result.rendered.append(run.id)
        if result.rendered:  # once, after the pages: a crash before it renders them again
            atomic_write_text(out / RUNS_LOG, "".join(
                json.dumps(e, sort_keys=True) + "\n" for e in logged))
        if found and latest is None:
            latest = _facts(found[-1], events, settings)
        logged.sort(key=lambda e: (e.get("started_at") or "", e["id"]))
        result.runs = len(logged)
        render_index(out, env, logged)
        if latest is not None:
            render_review(out, env, latest, "review", latest=True)
            render_lineage(out, env, latest, "lineage")
        outputs = sorted({Path(e["output_dir"]) for e in logged if e.get("output_dir")} |
                         {Path(d).resolve() for d in runs_dirs})
        render_qa(out, env, outputs)
        render_evidence(out, env, [Path(settings.evidence_dir),
                                   *(folder / "evidence" for folder in outputs)])
    return result


def _facts(run: Run, events: dict[Path, list], settings: Any) -> dict | None:
    report = read_report(run)
    if report is None:
        return None
    fact = facts(run, report)
    _lineage_facts(run, fact, events, settings)
    return fact


def _lineage_facts(run: Run, fact: dict, events: dict[Path, list], settings: Any) -> None:
    """Lineage graphs and UI links; ``events``: each output folder's events, read once."""
    if run.output_dir not in events:
        events[run.output_dir] = lineage.read_events(run.output_dir)
    found = events[run.output_dir]
    event = lineage.run_event(found, run.id)
    fact["lineage"] = {
        f"depth_{d}": dict(zip(("columns", "edges"), lineage.graph(found, event, d),
                                   strict=True))
        for d in LINEAGE_DEPTHS} if event else {}
    fact["prefect_url"], fact["marquez_url"] = lineage.links(
        event, settings.prefect_ui_url, settings.marquez_web_url)


def render_run(out: Path, env, fact: dict) -> None:
    base = f"runs/{fact['id']}/"
    fills = sorted(fact["fill_rates"].items())
    charts_html = {
        "fill": charts.bars(fills, scale=1, title="fill rate per field"),
        "issues": charts.bars([(r, v["count"]) for r, v in sorted(
            fact["issues_by_rule"].items())], title="issues by rule"),
        "stages": charts.bars(list(fact["stage_seconds"].items()), title="stage timings",
                              unit=" s"),
    }
    downloads = [d | {"href": os.path.relpath(d["path"], out / base)}
                 for d in fact["downloads"]]
    write_page(out, base + "index", env, "run.html", fact, charts=charts_html,
               downloads=downloads, title=f"Run {fact['id']}")
    render_review(out, env, fact, base + "review")
    render_lineage(out, env, fact, base + "lineage")


COMPARED = {"organization_name": "name", "contact_phone": "phone", "contact_email": "email",
            "website": "domain", "registration_id": "id", "address": "address"}


def review_rows(pair: dict) -> list[tuple]:
    """(field, level, weight, left value, right value) per field of a review pair."""
    left, right = (pair.get("records") or [{}, {}])[:2]
    weights = pair.get("field_weights") or {}
    return [(field, pair["levels"].get(COMPARED.get(field, field), ""),
             weights.get(COMPARED.get(field, field), ""), left.get(field, ""),
             right.get(field, "")) for field in (list(left) or ["organization_name"])]


def render_review(out: Path, env, fact: dict, name: str, latest: bool = False) -> None:
    data = {"run": fact["id"]} | fact["review"]
    write_page(out, name, env, "review.html", data, review_rows=review_rows, run_base=(
        f"runs/{fact['id']}/" if latest else ""), title=f"Merge review, run {fact['id']}")


def render_lineage(out: Path, env, fact: dict, name: str) -> None:
    svgs = {d: charts.lineage(fact["lineage"][f"depth_{d}"]["columns"],
                              fact["lineage"][f"depth_{d}"]["edges"],
                              title=f"lineage, depth {d}")
            for d in LINEAGE_DEPTHS if fact["lineage"]}
    write_page(out, name, env, "lineage.html", {"run": fact["id"]} | fact["lineage"],
               svgs=svgs, title=f"Lineage, run {fact['id']}")


def render_index(out: Path, env, logged: list[dict]) -> None:
    trends = {key: charts.sparkline([e.get(key) or 0 for e in logged[-50:]], title=key)
              for key in ("rows_in", "records_out", "issues", "duration_s")}
    write_page(out, "index", env, "index.html", {"runs": logged}, trends=trends,
               runs=list(reversed(logged)), title="Hotpass runs")


def render_qa(out: Path, env, outputs: list[Path]) -> None:
    gates, runs, cells = history.qa_history(outputs)
    data = {"gates": gates, "runs": runs,
            "cells": [{"gate": g, "run": r, "status": s} for (g, r), s in cells.items()]}
    write_page(out, "qa", env, "qa.html", data, heatmap=charts.heatmap(gates, runs, cells),
               title="Quality gates")


def render_evidence(out: Path, env, outputs: list[Path]) -> None:
    write_page(out, "evidence", env, "evidence.html",
               {"bundles": history.evidence_bundles(outputs)}, title="Evidence")
