"""Each refine stage's own limit: the library that bounds it, measured alone on the same data.

Contract: ``measure_limits(input_dir, refined, profile)`` runs, in this process and one
after another: *read* (python-calamine reading every sheet of every workbook, the stdlib
csv reader every CSV: what ``ingest.read`` does), *normalise* (each field's cleaner, as
``ingest.normalise`` picks it, once over each distinct value of the columns refine mapped
to that field, as listed in its quality report: the libraries' work on values that
phones, e-mails, websites, dates and names cannot avoid, with no frames, chunks or issue
rows around it) and *export* (the workbook writer, rustpy-xlsxwriter, writing the refined workbook's cells read
back from it, and pyarrow writing the refined rows as CSV and Parquet; refine writes the
workbook beside the other two, so the limit is the longer of the two). Returns
``{stage: {"limit_seconds", "what", ...}}``; ``limit_table(limits, stage_seconds)``
pairs them with refine's own stage seconds (``ratio`` = stage / limit).

Pitfalls: ``ingest.read`` and ``ingest.normalise`` are summed over refine's processes, so
they compare with these single-process seconds; both stages and their limits are CPU
seconds (a pool worker's wall seconds count its wait for a core beside the other worker
and the command; ``ingest.read`` adds its reader child's CPU). The limits are measured
after refine finished, never beside it; timings exclude imports and the gathering of
distinct values. The cleaners are refine's own (phones: phonenumbers' metadata, else
phonenumbers; e-mails: email-validator past a plain pattern; dates: dateutil past ISO and
serial dates; websites: urlsplit), so a slower cleaner raises the limit too: the ratio
is what refine's frames and chunks cost beyond them. Memory is not a limit here.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

# refine's stage -> the limit measured alone
STAGES = {"ingest.read": "read", "ingest.normalise": "normalise", "export": "export"}


def measure_limits(input_dir: Path, refined: Path, profile: str = "generic") -> dict[str, Any]:
    from hotpass.profiles import load_profile

    report = json.loads(refined.with_name("quality-report.json").read_text(encoding="utf-8"))
    read_seconds, values, cells = _read_all(input_dir, _mapped_columns(report))
    limits: dict[str, Any] = {
        "read": {"limit_seconds": round(read_seconds, 2), "cells": cells,
                 "what": "python-calamine / csv reading every sheet"},
        "normalise": {"limit_seconds": round(_clean_distinct(values, load_profile(profile)), 2),
                      "distinct_values": {field: len(v) for field, v in sorted(values.items())},
                      "what": "the field cleaners once per distinct value, no frames"},
    }
    workbook_seconds, table_seconds = _write_outputs(refined)
    limits["export"] = {"limit_seconds": round(max(workbook_seconds, table_seconds), 2),
                        "workbook_seconds": round(workbook_seconds, 2),
                        "csv_parquet_seconds": round(table_seconds, 2),
                        "what": "rustpy-xlsxwriter the same cells; pyarrow CSV + Parquet"}
    return limits


def limit_table(limits: dict[str, Any], stage_seconds: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for stage, name in STAGES.items():
        if name not in limits or stage not in stage_seconds:
            continue
        limit = limits[name]["limit_seconds"]
        seconds = stage_seconds[stage]
        rows.append({"stage": stage, "seconds": round(seconds, 2), "limit_seconds": limit,
                     "ratio": round(seconds / limit, 2) if limit else None,
                     "limit": limits[name]["what"]})
    return rows


Columns = dict[tuple[str, str], tuple[int, list[tuple[int, str]]]]


def _mapped_columns(report: dict[str, Any]) -> Columns:
    """(file, sheet) -> (header row, (0-based index, field) of each column mapped to one)."""
    from openpyxl.utils import column_index_from_string

    found = {}
    for source in report.get("sources", []):
        mapped = [(column_index_from_string(c["column"]) - 1, c["field"])
                  for c in source.get("columns", []) if c.get("field")]
        if mapped and source.get("header_row"):
            found[(source["file"], source["sheet"] or "")] = (source["header_row"], mapped)
    return found


def _read_all(input_dir: Path, columns: Columns) -> tuple[float, dict[str, set[str]], int]:
    """CPU seconds reading every cell, each field's distinct cell texts (as refine's
    reader makes them), and the cells read."""
    from python_calamine import CalamineWorkbook

    from hotpass.refine.ingest.cells import cell_text

    seconds, values, cells = 0.0, defaultdict(set), 0
    for path in sorted(input_dir.iterdir()):
        suffix = path.suffix.lower()
        started = time.process_time()
        if suffix in (".xlsx", ".xlsm"):
            workbook = CalamineWorkbook.from_path(str(path))
            sheets = [(name, workbook.get_sheet_by_name(name).to_python(
                skip_empty_area=False)) for name in workbook.sheet_names]
        elif suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            sheets = [("", list(csv.reader(io.StringIO(text))))]
        else:
            continue
        seconds += time.process_time() - started
        for sheet, rows in sheets:
            cells += sum(len(row) for row in rows)
            header_row, mapped = columns.get((path.name, sheet), (0, []))
            for row in rows[header_row:]:
                for index, field in mapped:
                    text = cell_text(row[index]) if index < len(row) else None
                    if text:
                        values[field].add(text)
    return seconds, dict(values), cells


def _clean_distinct(values: dict[str, set[str]], profile) -> float:
    """CPU seconds cleaning each field's distinct values once, each with its field's
    cleaner (CPU, as refine's ``ingest.normalise`` counts)."""
    from hotpass.refine.normalise import cleaner_for

    cleaners = {field: cleaner_for(profile.fields[field], profile) for field in values
                if field in profile.fields}
    started = time.process_time()
    for field, cleaner in cleaners.items():
        for value in values[field]:
            cleaner(value)
    return time.process_time() - started


def _write_outputs(refined: Path) -> tuple[float, float]:
    """(seconds writing the refined workbook's sheets again, seconds writing its rows as
    CSV and Parquet): the writers alone, on the cells refine wrote."""
    import pandas as pd
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook
    from rustpy_xlsxwriter import FastExcel

    workbook = CalamineWorkbook.from_path(str(refined))
    sheets = {}
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python()
        sheets[name] = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]], dtype=object
                                    ).replace("", None) if rows else pd.DataFrame()
    table = pq.read_table(refined.with_suffix(".parquet"))
    with tempfile.TemporaryDirectory(prefix="hotpass-limits-") as scratch:
        started = time.perf_counter()
        book = FastExcel(str(Path(scratch) / "limit.xlsx"))
        for name, frame in sheets.items():
            book = book.sheet(name, frame)
        book.save()
        workbook_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pa_csv.write_csv(table, str(Path(scratch) / "limit.csv"))
        pq.write_table(table, str(Path(scratch) / "limit.parquet"))
        table_seconds = time.perf_counter() - started
    return workbook_seconds, table_seconds
