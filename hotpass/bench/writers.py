"""Benchmark: the workbook writers side by side on the same refined cells.

Contract: ``run_writer_benchmark(rows=..., source=..., out_dir=...)`` tiles a refined
dataset (``source``: a ``refined.parquet`` written by ``hotpass refine``) to ``rows`` rows,
guards it once with refine's own formula guard, then writes it with each candidate writer
in its own child process (``python -m hotpass.bench.writers WRITER FRAME OUTPUT``): wall
seconds and peak memory (the child's ``ru_maxrss``) are measured per writer, and every
file is read back with ``python-calamine`` and compared cell by cell with the frame
(text stays text, numbers stay numbers, guarded formulas stay guarded). Figures go to
``out_dir/writers.json``; ``format_writer_table`` renders them.

Pitfalls: a writer that is not installed is reported as such, not skipped silently; the
comparison reads every cell back, so it costs more than the writes on big frames. The
candidates are xlsxwriter (constant-memory mode), pyexcelerate, rustpy-xlsxwriter (rust_xlsxwriter
underneath) and ``refine`` (what refine writes with: ``hotpass.refine.output.workbook``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

WRITERS = ("xlsxwriter", "pyexcelerate", "rustpy_xlsxwriter", "refine")
SHEET = "Refined Data"


def refined_source(out_dir: Path) -> Path:
    """Refine the bundled ``data/`` with the real command (a child process) into
    ``out_dir/writers-source`` and return its ``refined.parquet``."""
    from hotpass.paths import SOURCE_ROOT

    target = out_dir / "writers-source" / "refined.xlsx"
    command = [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir",
               str(SOURCE_ROOT / "data"), "--output-path", str(target)]
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode != 0:
        raise HotpassError(f"bench.writers: refining the bundled data failed: "
                           f"{(child.stderr.strip().splitlines() or ['no output'])[-1]}")
    return target.with_suffix(".parquet")


def tiled_frame(source: Path, rows: int):
    """``rows`` rows of the refined ``source`` repeated, guarded as refine guards them."""
    import pandas as pd

    from hotpass.refine.output.export import neutralise_formulas

    base = pd.read_parquet(source)
    if base.empty:
        raise ValueError(f"{source}: no rows to tile")
    repeats = -(-rows // len(base))
    frame = pd.concat([base] * repeats, ignore_index=True).iloc[:rows]
    return neutralise_formulas(frame.reset_index(drop=True))


def write_with(writer: str, frame, path: Path) -> None:
    """Write ``frame`` as one sheet with ``writer`` (nulls as empty cells)."""
    if writer == "xlsxwriter":
        from hotpass.refine.output.xlsx_cells import write_xlsx_cells

        write_xlsx_cells({SHEET: frame}, path)
    elif writer == "refine":  # what refine uses: workbook.write_workbook's choice
        from hotpass.refine.output.export import write_xlsx

        write_xlsx({SHEET: frame}, path)
    elif writer == "pyexcelerate":
        from pyexcelerate import Workbook

        values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
        workbook = Workbook()
        workbook.new_sheet(SHEET, data=[list(frame.columns), *values])
        workbook.save(str(path))
    elif writer == "rustpy_xlsxwriter":
        from rustpy_xlsxwriter import FastExcel

        FastExcel(str(path)).sheet(SHEET, frame.astype(object).where(frame.notna(), None)).save()
    else:
        raise ValueError(f"unknown writer {writer!r}; choose from {', '.join(WRITERS)}")


def cells_differ(frame, path: Path) -> int:
    """How many cells of the written sheet differ from ``frame`` (header included)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()
    expected = [list(frame.columns)] + frame.astype(object).where(frame.notna(), "").values.tolist()
    differ = abs(len(rows) - len(expected))
    for got, want in zip(rows, expected, strict=False):
        for a, b in zip(got, want, strict=False):
            if isinstance(b, int | float) and not isinstance(b, bool):
                differ += not (isinstance(a, int | float) and float(a) == float(b))
            else:
                differ += ("" if a is None else str(a)) != str(b)
    return differ


def run_writer_benchmark(*, rows: int, source: Path, out_dir: Path) -> dict[str, Any]:
    """Every writer on the same tiled frame, each in a child process; see the contract."""
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = tiled_frame(source, rows)
    frame_path = out_dir / "writers-frame.parquet"
    frame.to_parquet(frame_path)
    results: dict[str, Any] = {}
    for writer in WRITERS:
        output = out_dir / f"writers-{writer}.xlsx"
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-m", "hotpass.bench.writers", writer,
                                str(frame_path), str(output)], capture_output=True, text=True)
        if child.returncode != 0:
            results[writer] = {"error": (child.stderr.strip().splitlines() or ["failed"])[-1]}
            continue
        figures = json.loads(child.stdout)
        figures["wall_seconds"] = round(time.perf_counter() - started, 2)
        figures["bytes"] = output.stat().st_size
        figures["cells_differ"] = cells_differ(frame, output)
        results[writer] = figures
    result = {"rows": rows, "columns": len(frame.columns), "cells": rows * len(frame.columns),
              "source": str(source), "writers": results}
    (out_dir / "writers.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def format_writer_table(result: dict[str, Any]) -> str:
    base = result["writers"].get("xlsxwriter", {}).get("write_seconds")
    lines = [f"{result['cells']:,} cells ({result['rows']:,} rows x {result['columns']} columns)",
             f"{'writer':<20}{'write s':>9}{'vs xlsxwriter':>15}{'peak MB':>9}"
             f"{'MB file':>9}{'cells differ':>14}"]
    for writer, figures in result["writers"].items():
        if "error" in figures:
            lines.append(f"{writer:<20}  {figures['error']}")
            continue
        ratio = f"{base / figures['write_seconds']:.2f}x" if base else "-"
        lines.append(f"{writer:<20}{figures['write_seconds']:>9.2f}{ratio:>15}"
                     f"{figures['peak_mb']:>9.0f}{figures['bytes'] / 1e6:>9.1f}"
                     f"{figures['cells_differ']:>14}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Child entry: ``python -m hotpass.bench.writers WRITER FRAME OUTPUT``; prints JSON."""
    import pandas as pd

    writer, frame_path, output = (argv or sys.argv[1:])[:3]
    frame = pd.read_parquet(frame_path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    write_with(writer, frame, Path(output))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"write_seconds": round(seconds, 2), "peak_mb": round(peak / 1024, 1),
                      "frame_mb": round(before / 1024, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
