"""The QA report: its JSON shape, the history file and the terminal table.

Contract: ``build_report(profile, outcomes)`` returns ``{timestamp, profile, gates:
[{id, name, passed, message, duration_seconds, details}], summary: {total, passed,
failed, all_passed}}``. ``write_json(path, report)`` writes it atomically (strict JSON,
sorted keys). ``append_history(path, report)`` appends one line ``{timestamp, profile,
total, passed, failed, pass_rate, gates: {id: passed}}``; ``read_history(path)`` reads
them back (a broken line is skipped, not fatal). ``table(report)`` renders the terminal
table with ``rich`` (no colour when not a terminal).

Pitfall: the history is appended with one ``write`` of one line (``O_APPEND``), so two
runs at once do not interleave lines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


def build_report(profile: str, outcomes: list) -> dict[str, Any]:
    gates = [outcome.to_dict() for outcome in outcomes]
    passed = sum(1 for g in gates if g["passed"])
    return {"timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "profile": profile, "gates": gates,
            "summary": {"total": len(gates), "passed": passed, "failed": len(gates) - passed,
                        "all_passed": passed == len(gates)}}


def write_json(path: Path, report: dict[str, Any]) -> Path:
    from hotpass.fileio import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, json.dumps(report, indent=2, sort_keys=True,
                                              allow_nan=False, default=str) + "\n")


def append_history(path: Path, report: dict[str, Any]) -> None:
    summary = report["summary"]
    line = {"timestamp": report["timestamp"], "profile": report["profile"],
            "total": summary["total"], "passed": summary["passed"],
            "failed": summary["failed"],
            "pass_rate": round(summary["passed"] / summary["total"], 4)
            if summary["total"] else 0.0,
            "gates": {g["id"]: g["passed"] for g in report["gates"]}}
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(line, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_history(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("pass_rate"), int | float):
            entries.append(entry)
    return entries


def table(report: dict[str, Any]) -> str:
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=f"Hotpass QA — profile {report['profile']}", title_justify="left")
    for column in ("gate", "result", "seconds", "message"):
        grid.add_column(column, overflow="fold")
    for gate in report["gates"]:
        grid.add_row(gate["id"], "PASS" if gate["passed"] else "FAIL",
                     f"{gate['duration_seconds']:.1f}", gate["message"])
    summary = report["summary"]
    console = Console(width=110, no_color=True, force_terminal=False, record=True,
                      file=open(os.devnull, "w"))  # noqa: SIM115 - rich closes nothing
    console.print(grid)
    console.print(f"{summary['passed']}/{summary['total']} gates passed")
    return console.export_text()
