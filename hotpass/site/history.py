"""The site's cross-run pages' inputs: the QA gate history and the evidence bundles.

Contract:
- ``qa_history(output_dirs)``: ``(gates, runs, cells)`` from every
  ``<output>/quality-gates/history.ndjson`` (``hotpass qa ta`` appends one line per run):
  a line names its run (``run_id``, ``id``, ``started_at`` or ``timestamp``) and its gates,
  either a mapping ``{gate: status}`` (or ``{gate: {"status"|"passed": ...}}``) or a list
  of ``{"id"|"name"|"gate": ..., "status"|"passed": ...}``. No file: empty.
- ``evidence_bundles(roots)``: every evidence bundle under the roots with its verdict
  and verify status, newest first (``hotpass.evidence`` does the reading and checking).

Pitfalls: both formats belong to other commands (``hotpass qa``, ``hotpass.evidence``); anything unreadable is reported on the
page as unreadable, never raised.
"""

from __future__ import annotations

import json
from pathlib import Path

QA_HISTORY = Path("quality-gates") / "history.ndjson"


def _status(value) -> str:
    if isinstance(value, dict):
        value = value.get("status", value.get("passed"))
    if isinstance(value, bool):
        return "pass" if value else "fail"
    return str(value or "")


def qa_history(output_dirs: list[Path]):
    gates: list[str] = []
    runs: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for folder in output_dirs:
        path = Path(folder) / QA_HISTORY
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            run = str(entry.get("run_id") or entry.get("id") or entry.get("started_at")
                      or entry.get("timestamp") or f"line {number}")
            results = entry.get("gates", entry.get("results", {}))
            if isinstance(results, dict):
                pairs = [(str(k), _status(v)) for k, v in results.items()]
            else:
                pairs = [(str(r.get("id") or r.get("name") or r.get("gate")), _status(r))
                         for r in results if isinstance(r, dict)]
            runs.append(run)
            for gate, status in pairs:
                if gate not in gates:
                    gates.append(gate)
                cells[(gate, run)] = status
    return gates, runs, cells


def evidence_bundles(roots: list[Path]) -> list[dict]:
    """Every bundle under ``roots`` (``hotpass.evidence.list_bundles``), newest first, each
    with its verify status (``hotpass.evidence.problems``: ``verified`` or the first
    problem and how many there are)."""
    from hotpass.evidence import list_bundles, problems

    seen, bundles = set(), []
    for root in roots:
        for row in list_bundles(root):
            if Path(row["path"]).resolve() in seen:
                continue
            seen.add(Path(row["path"]).resolve())
            found = problems(row["path"])
            row["verify"] = "verified" if not found else (
                found[0] + (f" (+{len(found) - 1} more)" if len(found) > 1 else ""))
            row["verified"] = not found
            bundles.append(row)
    return sorted(bundles, key=lambda b: (b["started_at"], b["path"]), reverse=True)
