"""The ``enrichment`` gate (QG-3): refine, then enrich offline into a fresh run directory.

Contract: ``qg3(context)`` returns the payload ``ops/quality/run_qg3.py --json`` prints:
``run_dir``, ``input`` (the refined workbook), ``output`` (the enriched one),
``configuration`` (profile, ``allow_network`` false, the gates), ``steps`` (``refine``,
``enrich``, ``checks``: each with ``status`` ok/failed/not run, ``duration_seconds`` and
``message``), ``checks`` (name -> passed) and ``passed``. The checks: the five provenance
columns exist; every ``provenance_confidence`` is a number in [0, 1]; at least one field
was really filled (a line of kind ``filled`` in the *Enrichment* sheet whose value the
refined sheet now holds); no network was used (no socket connection was attempted while
enriching, seen by a ``sys.addaudithook`` hook, and every row's network status says
disabled). ``check(context)`` is the same as a gate result.

Pitfall: audit hooks cannot be removed; the one installed here counts only while a
``_Watch`` is active, and costs one comparison per audited event otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hotpass.qa.model import GateResult

_watch: dict[str, list[str]] = {}  # active watches: name -> addresses connected to
_hooked = False


class _Watch:
    """Record every ``socket.connect`` attempted inside the block."""

    def __enter__(self) -> list[str]:
        global _hooked
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True
        _watch["enrich"] = []
        return _watch["enrich"]

    def __exit__(self, *exc: object) -> None:
        _watch.pop("enrich", None)


def _audit(event: str, args: tuple) -> None:
    if _watch and event == "socket.connect":
        for attempts in _watch.values():
            attempts.append(str(args[1]) if len(args) > 1 else "?")


def qg3(context) -> dict[str, Any]:
    from hotpass.qa.sample import fresh_run_dir, refine_sample

    run_dir = fresh_run_dir(context, "qg3")
    payload: dict[str, Any] = {
        "gate": "QG-3", "run_dir": str(run_dir), "input": str(run_dir / "refined.xlsx"),
        "output": str(run_dir / "enriched.xlsx"),
        "configuration": {"profile": context.profile, "allow_network": False,
                          "sample_data": str(context.data)},
        "steps": [], "checks": {}, "passed": False}
    steps = payload["steps"]

    def step(name: str, body) -> Any:
        started = time.monotonic()
        try:
            value = body()
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            steps.append({"name": name, "status": "failed", "message": message.splitlines()[0],
                          "duration_seconds": round(time.monotonic() - started, 3)})
            return None
        steps.append({"name": name, "status": "ok", "message": "",
                      "duration_seconds": round(time.monotonic() - started, 3)})
        return value

    refined = step("refine", lambda: refine_sample(context, run_dir))
    enriched = step("enrich", lambda: _enrich(context, Path(refined), payload)) \
        if refined else None
    if enriched is None:
        for name in ("enrich", "checks")[1 if refined else 0:]:
            steps.append({"name": name, "status": "not run", "message": "",
                          "duration_seconds": 0.0})
        return payload
    checks = step("checks", lambda: _checks(Path(payload["output"]), enriched))
    payload["checks"] = checks or {}
    payload["passed"] = bool(checks) and all(checks.values())
    return payload


def _enrich(context, refined: Path, payload: dict[str, Any]):
    from hotpass.enrich.research import gates
    from hotpass.enrich.run import Enrich, EnrichOptions
    from hotpass.procedure import run

    options = EnrichOptions(refined, Path(payload["output"]), profile=context.profile,
                            profile_search_path=context.profile_search_path,
                            allow_network=False)
    payload["configuration"]["gates"] = [g.to_dict() for g in gates(False, context.settings)]
    with _Watch() as attempts:
        outcome = run(Enrich(options, context.settings),
                      evidence_root=Path(payload["run_dir"]) / "evidence",
                      echo=lambda line: None)
    payload["configuration"]["evidence"] = str(outcome.bundle)
    return outcome.result, list(attempts)


def _checks(output: Path, enriched_and_attempts) -> dict[str, bool]:
    import pandas as pd

    from hotpass.enrich.engine import PROVENANCE_COLUMNS
    from hotpass.enrich.run import CHANGES_SHEET, MAIN_SHEET

    _, attempts = enriched_and_attempts
    sheets = pd.read_excel(output, sheet_name=None, engine="calamine", dtype=object)
    frame, changes = sheets.get(MAIN_SHEET), sheets.get(CHANGES_SHEET)
    columns = frame is not None and all(c in frame.columns for c in PROVENANCE_COLUMNS)
    confidence = columns and bool(len(frame)) and all(
        isinstance(v, int | float) and 0.0 <= float(v) <= 1.0
        for v in frame["provenance_confidence"])
    filled = False
    if columns and changes is not None and len(changes):
        for change in changes[changes["kind"] == "filled"].to_dict("records"):
            value = frame.iat[int(change["row"]), frame.columns.get_loc(change["field"])]
            if str(value) == str(change["new_value"]) and change["old_value"] != value:
                filled = True
                break
    offline = not attempts and columns and all(
        str(v).startswith("disabled") for v in frame["provenance_network_status"])
    return {"provenance_columns": bool(columns), "confidence_in_0_1": bool(confidence),
            "field_filled": filled, "no_network": bool(offline)}


def check(context) -> GateResult:
    payload = qg3(context)
    failed = [s for s in payload["steps"] if s["status"] == "failed"]
    details = {k: payload[k] for k in ("run_dir", "input", "output", "steps", "checks")}
    if failed:
        return GateResult(False, f"{failed[0]['name']} failed: {failed[0]['message']}",
                          details)
    bad = [name for name, ok in payload["checks"].items() if not ok]
    if bad:
        return GateResult(False, f"QG-3 check(s) failed: {', '.join(bad)}", details)
    return GateResult(True, "offline enrichment filled fields with provenance, no network",
                      details)
