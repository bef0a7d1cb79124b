"""Write the refined dataset: one workbook for people, CSV and Parquet for machines.

Contract: ``write_refined_outputs`` writes ``<output>.xlsx`` (sheets "Refined Data",
"Quality Summary", "Issues", "Provenance") plus ``<output>.csv`` and ``<output>.parquet``
holding the refined data only, as one atomic batch: if any write fails, no output is
created or changed. A sheet past Excel's row limit holds its first rows and a note; the
full Issues/Provenance list then goes to ``issues.csv``/``.parquet`` (``provenance.*``)
beside it. The formula guard (``neutralise_formulas``) applies to the spreadsheet outputs
(xlsx, csv) only, and every CSV text field is quoted so no list separator (``,`` ``;``
tab) can start a cell with ``=``; Parquet keeps the original values. CSV and Parquet are
byte-identical for the same frame.

Pitfalls: xlsx is written in constant-memory mode, so rows go out strictly in order and
nothing can be styled after it is written. Excel truncates a cell at 32,767 characters
while CSV/Parquet keep the full text. Integers and floats are written as numbers, every
other value as text (``str``), nulls as empty cells. The refined frame is converted to
Arrow once (``arrow_cells``): that table is the Parquet, its guarded twin the CSV and the
workbook's first sheet; frames Arrow cannot hold as text and numbers take the pandas path,
which writes the same bytes. Large workbooks are written on a
thread beside the CSV and Parquet (``_workbook_written_alongside``); with the xlsxwriter
fallback (pure Python, holding the GIL) that overlap buys nothing, but costs nothing either.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import is_object_dtype, is_string_dtype

from hotpass.errors import HotpassError
from hotpass.fileio import AtomicBatch
from hotpass.refine.model import Issue
from hotpass.refine.output.arrow_cells import arrow_table, guard_table, write_csv_table
from hotpass.refine.output.xlsx_cells import guard

EXCEL_MAX_ROWS = 1_048_576
BACKGROUND_MIN_CELLS = 500_000  # below this, the overlap is not worth a thread
EXCEL_MAX_COLUMNS = 16_384
# Long lists whose full copy goes beside the workbook when they pass Excel's row limit.
OVERFLOW_FILES = {"Issues": "issues", "Provenance": "provenance"}
ISSUE_COLUMNS = ("severity", "rule", "message", "file", "sheet", "row", "field", "value")
def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells that would run as formulas are prefixed with ``'``."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (is_object_dtype(column) or is_string_dtype(column)):
            continue
        values = column.to_numpy(dtype=object, copy=True)
        changed = False
        for position, value in enumerate(values):
            if type(value) is str and (guarded := guard(value)) is not value:
                values[position] = guarded
                changed = True
        if changed:
            out[name] = pd.Series(values, index=out.index, dtype=column.dtype, name=name)
    return out


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """One row per issue, columns ``ISSUE_COLUMNS``; ``row`` is an int or empty."""
    records = [[getattr(issue, column) for column in ISSUE_COLUMNS] for issue in issues]
    return pd.DataFrame(records, columns=list(ISSUE_COLUMNS), dtype=object)


def write_refined_outputs(
    output_path: Path,
    refined: pd.DataFrame,
    provenance: pd.DataFrame,
    issues: list[Issue],
    quality_summary: pd.DataFrame,
) -> dict[str, Path]:
    """Write the xlsx, CSV and Parquet outputs atomically; return their paths by format."""
    output_path = Path(output_path)
    if output_path.suffix.lower() != ".xlsx":
        raise HotpassError(f"{output_path}: the output file must end in .xlsx")
    sheets = {
        "Refined Data": refined,
        "Quality Summary": quality_summary,
        "Issues": issues_frame(issues),
        "Provenance": provenance,
    }
    paths = {
        "xlsx": output_path,
        "csv": output_path.with_suffix(".csv"),
        "parquet": output_path.with_suffix(".parquet"),
    }
    overflow = {name: frame for name, frame in sheets.items()
                if name in OVERFLOW_FILES and len(frame) + 1 > EXCEL_MAX_ROWS}
    for name in overflow:
        for kind in ("csv", "parquet"):
            paths[f"{OVERFLOW_FILES[name]}_{kind}"] = output_path.with_name(
                f"{OVERFLOW_FILES[name]}.{kind}")
    fitted = {name: _fit_excel(output_path, name, frame, paths)
              for name, frame in sheets.items()}
    table = arrow_table(refined)  # once, for Parquet, CSV and the workbook
    guarded = None if table is None else guard_table(table)
    with AtomicBatch() as batch:
        xlsx_path = batch.path_for(paths["xlsx"])
        with _workbook_written_alongside(fitted, xlsx_path, {} if guarded is None or fitted[
                "Refined Data"] is not refined else {"Refined Data": guarded}):
            if guarded is None or not write_csv_table(guarded, batch.path_for(paths["csv"])):
                write_csv(neutralise_formulas(refined), batch.path_for(paths["csv"]))
            write_parquet(refined, batch.path_for(paths["parquet"]), table)
            del table
            for name, frame in overflow.items():
                stem = OVERFLOW_FILES[name]
                write_csv(neutralise_formulas(frame), batch.path_for(paths[f"{stem}_csv"]))
                write_parquet(frame, batch.path_for(paths[f"{stem}_parquet"]))
    return paths


@contextmanager
def _workbook_written_alongside(sheets: dict[str, pd.DataFrame], path: Path,
                                guarded: dict[str, pa.Table]) -> Iterator[None]:
    """Write the workbook on a thread while the body runs, for large outputs.

    The fast writer (rust_xlsxwriter) lets go of the GIL while it writes, so CSV and
    Parquet take the other core meanwhile. A thread shares this process's cells; a forked
    writer copied every page whose cells it touched (reference counts), ~250 MB at 200,000
    rows. Small outputs write inline, after the body. A failure in the writer becomes a
    ``HotpassError``; a failure in the body (or a signal) waits for the writer to end
    (seconds; a thread cannot be stopped) so nothing writes into staging afterwards.
    """
    cells = sum(frame.size for frame in sheets.values())
    if cells < BACKGROUND_MIN_CELLS:
        yield
        write_xlsx(sheets, path, guarded)
        return
    failures: list[BaseException] = []

    def write() -> None:
        try:
            write_xlsx(sheets, path, guarded)
        except Exception as exc:  # reported by the caller, as one line
            failures.append(exc)

    writer = threading.Thread(target=write, name="hotpass-workbook", daemon=True)
    writer.start()
    try:
        yield
    finally:
        _join_surely(writer)
    if failures:
        error = failures[0]
        raise HotpassError(f"writing the workbook failed: {type(error).__name__}: {error}",
                           exit_code=1)


def _join_surely(writer: threading.Thread) -> None:
    """Wait for ``writer`` even when a signal interrupts the wait; then re-raise it."""
    interrupted: BaseException | None = None
    while writer.is_alive():
        try:
            writer.join()
        except BaseException as exc:  # noqa: BLE001 - the stop request, raised once joined
            interrupted = interrupted or exc
    if interrupted is not None:
        raise interrupted


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8, ``\\n`` line ends, no index: the same frame always gives the same bytes.

    Every text field is quoted, so a spreadsheet whose list separator is ``;`` or a tab
    (many locales) never splits ``Acme;=cmd|...`` into a cell starting with ``=``.
    """
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8",
                 quoting=csv.QUOTE_NONNUMERIC)


def write_parquet(frame: pd.DataFrame, path: Path, table: pa.Table | None = None) -> None:
    """No index, no timestamps in the metadata: the same frame gives the same bytes.
    ``table``: the frame already converted (``arrow_cells.arrow_table``)."""
    if table is None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path,
               guarded: dict[str, pa.Table] | None = None) -> None:
    """One worksheet per frame by the fastest writer installed (``workbook``)."""
    from hotpass.refine.output.workbook import write_workbook

    write_workbook(sheets, path, guarded)


def _fit_excel(output_path: Path, sheet_name: str, frame: pd.DataFrame,
               paths: dict[str, Path]) -> pd.DataFrame:
    """The frame as the sheet can hold it: over Excel's row limit, the first rows and a
    last row saying where the full list is; too many columns is an error."""
    columns = len(frame.columns)
    if columns > EXCEL_MAX_COLUMNS:
        raise HotpassError(
            f"{output_path}: sheet '{sheet_name}' has {columns:,} columns; "
            f"Excel allows {EXCEL_MAX_COLUMNS:,}"
        )
    if len(frame) + 1 <= EXCEL_MAX_ROWS:
        return frame
    shown = EXCEL_MAX_ROWS - 2  # header + rows + the note row
    stem = OVERFLOW_FILES.get(sheet_name)
    where = (f"{paths[stem + '_csv'].name} and {paths[stem + '_parquet'].name}" if stem
             else f"{paths['csv'].name} and {paths['parquet'].name}")
    note = (f"{len(frame) - shown:,} more rows not shown: Excel allows {EXCEL_MAX_ROWS:,} "
            f"rows per sheet; all {len(frame):,} are in {where}")
    head = frame.iloc[:shown].astype(object)
    note_row = pd.DataFrame([[note] + [None] * (columns - 1)], columns=frame.columns,
                            dtype=object)
    return pd.concat([head, note_row], ignore_index=True)
