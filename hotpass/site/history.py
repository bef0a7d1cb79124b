"""The site's cross-run pages' inputs: the QA gate history and the evidence bundles.

Contract:
- ``qa_history(output_dirs)``: ``(gates, runs, cells)`` from every
  ``<output>/quality-gates/history.ndjson`` (``hotpass qa ta`` appends one line per run:
  its ``timestamp`` and ``gates`` = ``{gate id: passed}``), cells ``pass``/``fail``.
  No file: empty.
- ``evidence_bundles(roots)``: every evidence bundle under the roots with its verdict
  and verify status, newest first (``hotpass.evidence`` does the reading and checking).

Pitfalls: both formats belong to other commands (``hotpass qa``, ``hotpass.evidence``); anything unreadable is reported on the
page as unreadable, never raised.
"""

from __future__ import annotations

from pathlib import Path

QA_HISTORY = Path("quality-gates") / "history.ndjson"


def qa_history(output_dirs: list[Path]):
    """``(gates, runs, cells)``: every ``hotpass qa ta`` line (``hotpass.qa.report``'s
    reader) of each output folder's history, runs by their timestamp."""
    from hotpass.qa.report import read_history

    gates: list[str] = []
    runs: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for folder in output_dirs:
        for entry in read_history(Path(folder) / QA_HISTORY):
            run = str(entry.get("timestamp") or f"run {len(runs) + 1}")
            runs.append(run)
            for gate, passed in (entry.get("gates") or {}).items():
                if gate not in gates:
                    gates.append(gate)
                cells[(gate, run)] = "pass" if passed is True else "fail"
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
