"""The site's cross-run pages' inputs: the QA gate history and the evidence bundles.

Contract:
- ``qa_history(output_dirs)``: ``(gates, runs, cells)`` from every
  ``<output>/quality-gates/history.ndjson`` (``hotpass qa ta`` appends one line per run):
  a line names its run (``run_id``, ``id``, ``started_at`` or ``timestamp``) and its gates,
  either a mapping ``{gate: status}`` (or ``{gate: {"status"|"passed": ...}}``) or a list
  of ``{"id"|"name"|"gate": ..., "status"|"passed": ...}``. No file: empty.
- ``evidence_bundles(output_dirs)``: one entry per folder under ``<output>/evidence/``:
  its procedure record's status (``record.json``) and, for a bundle with
  ``manifest.json``, whether every file it lists still has its SHA-256 (``verified``,
  ``N file(s) differ``), newest first.

Pitfalls: both formats belong to other commands; anything unreadable is reported on the
page as unreadable, never raised.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotpass.fileio import sha256_file

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


def evidence_bundles(output_dirs: list[Path]) -> list[dict]:
    bundles = []
    for folder in output_dirs:
        for path in sorted((Path(folder) / "evidence").glob("*")):
            if path.is_dir():
                bundles.append(_bundle(path))
    return sorted(bundles, key=lambda b: b["when"] or "", reverse=True)


def _bundle(path: Path) -> dict:
    entry = {"name": path.name, "path": str(path), "procedure": "", "status": "",
             "when": "", "verify": "no manifest", "files": 0}
    record = path / "record.json"
    if record.is_file():
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            entry.update(procedure=data.get("procedure", ""), status=data.get("status", ""),
                         when=data.get("finished_at") or data.get("started_at") or "")
        except ValueError:
            entry["status"] = "record unreadable"
    manifest = path / "manifest.json"
    if manifest.is_file():
        entry["verify"] = _verify(path, manifest)
    return entry


def _verify(root: Path, manifest: Path) -> str:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return "manifest unreadable"
    files = data.get("files", data.get("artifacts", []))
    if isinstance(files, dict):
        files = [{"path": k, "sha256": v} for k, v in files.items()]
    listed = [f for f in files if isinstance(f, dict) and f.get("sha256")]
    bad = 0
    for item in listed:
        target = root / str(item.get("path") or item.get("name") or "")
        if not target.is_file() or sha256_file(target) != item["sha256"]:
            bad += 1
    if not listed:
        return "manifest lists no checksums"
    return "verified" if bad == 0 else f"{bad} file(s) differ"
