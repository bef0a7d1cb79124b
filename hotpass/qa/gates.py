"""The gate registry and ``run_qa``: what ``hotpass qa``, ``invoke qa`` and ``make qa`` run.

Contract: ``GATES`` maps each gate id (``cli``, ``data``, ``enrichment``, ``manifests``,
``docs``) to its name and module. ``run_qa(target, settings, profile=..., output=...,
html=..., root=..., work_dir=..., programs=...)`` (``settings``: the front door's
``HotpassSettings``; ``programs``: its click groups by program name, which the ``cli``
and ``docs`` gates check) runs one gate, ``all`` of them, or ``ta`` (all, then one line
appended to ``<work_dir>/history.ndjson``); writes the report JSON to ``output`` and the
HTML page to ``html`` when given (both atomic) and returns the report dict (shape in
``hotpass.qa.report``). Unknown targets are a ``HotpassError`` naming the choices.
``root`` defaults to the checkout (``hotpass.paths.SOURCE_ROOT``), so the gates find
docs, manifests and sample data from any working directory; ``work_dir`` (fresh run
directories and the history) defaults to ``dist/quality-gates`` under the working
directory.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

GATES = {
    "cli": ("CLI and tasks answer --help", "hotpass.qa.cli_gate"),
    "data": ("Refined data meets the profile and its truths", "hotpass.qa.data_gate"),
    "enrichment": ("QG-3 offline enrichment with provenance", "hotpass.qa.enrichment_gate"),
    "manifests": ("Deployment manifests validate and build offline",
                  "hotpass.qa.manifests_gate"),
    "docs": ("Docs cover and parse against the real CLI", "hotpass.qa.docs_gate"),
}
TARGETS = (*GATES, "all", "ta")
WORK_DIR = Path("dist/quality-gates")
HISTORY = "history.ndjson"


def run_qa(target: str, settings: Any, *, profile: str | None = None, output: Path | None = None,
           html: Path | None = None, root: Path | None = None, work_dir: Path | None = None,
           profile_search_path: tuple[Path, ...] = (), input_dir: Path | None = None,
           docs_dir: Path | None = None, manifest_dir: Path | None = None,
           programs: Mapping[str, Any] | None = None, progress=None) -> dict[str, Any]:
    from hotpass.paths import SOURCE_ROOT
    from hotpass.qa.model import Context, timed
    from hotpass.qa.report import append_history, build_report, read_history, write_json

    if target not in TARGETS:
        raise HotpassError(f"qa {target}: no such gate (choose from {', '.join(TARGETS)})")
    work = Path(work_dir or WORK_DIR)
    context = Context(profile or settings.profile, Path(root or SOURCE_ROOT), work, settings,
                      tuple(profile_search_path) + tuple(settings.profile_search_path),
                      input_dir, docs_dir, manifest_dir, dict(programs or {}))
    from hotpass.profiles import load_profile

    load_profile(context.profile, context.profile_search_path)  # a bad profile: one line
    work.mkdir(parents=True, exist_ok=True)
    ids = list(GATES) if target in ("all", "ta") else [target]
    outcomes = []
    for gate_id in ids:
        name, module = GATES[gate_id]
        if progress:
            progress(gate_id)
        check = importlib.import_module(module).check
        outcomes.append(timed(gate_id, name, check, context))
    report = build_report(context.profile, outcomes)
    if target == "ta":
        append_history(work / HISTORY, report)
    if output:
        write_json(Path(output), report)
    if html:
        from hotpass.qa.html import write_html

        write_html(Path(html), report, read_history(work / HISTORY))
    return report
