"""The workbook writer: refine's sheets into one ``.xlsx`` by the fastest writer that can
express them; the choice lives here and nowhere else.

Contract: ``write_workbook(sheets, path)`` writes one worksheet per frame with a bold,
shaded, frozen header row, an autofilter and column widths fitted from a sample. Integers
and floats are numbers, nulls are empty cells, every other value is text: formula-like
text gets the ``'`` guard (``xlsx_cells.guard``) and text past Excel's 32,767-character cell
limit is cut there. ``rust_xlsxwriter`` (the ``rustpy-xlsxwriter`` package, about 4x
faster than xlsxwriter on refine's 2.8 M cells, ``invoke bench.writers``) writes when it is
installed; otherwise xlsxwriter in constant-memory mode (``xlsx_cells.write_xlsx_cells``)
does. Either way every cell value is the same (tests compare the two).

Pitfalls: an infinite float is a ``TypeError`` with either writer (Excel has no such
number). rust_xlsxwriter refuses text over the cell limit instead of cutting it, so
``cut_table``/``cell_frame`` cut first. A sheet of text and number columns only goes to
the writer as an Arrow table (``arrow_cells``: guarded column by column, no Python object
per cell; refine's own sheets are all such); any other sheet goes cell by cell through
``cell_frame``, with the same result. A write rust_xlsxwriter cannot make (a full disk
under its temporary files) panics there: ``native_panic`` makes that an ``OSError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import is_bool_dtype, is_float_dtype, is_numeric_dtype, is_string_dtype

from hotpass.refine.output.arrow_cells import arrow_table, cut_table, guard_table
from hotpass.refine.output.native_panic import panics_as_os_error
from hotpass.refine.output.xlsx_cells import cell_values, guard, write_xlsx_cells

EXCEL_CELL_CHARS = 32_767
_HEADER_COLOUR, _WIDTH_MIN, _WIDTH_MAX, _WIDTH_SAMPLE = "#DCE6F1", 8, 60, 200


def fast_writer_available() -> bool:
    try:
        import rustpy_xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path,
                   guarded: dict[str, object] | None = None) -> None:
    """Write ``sheets`` to ``path`` (see the module contract). ``guarded``: sheets already
    as guarded Arrow tables (``arrow_cells.guard_table``), by name, not converted again."""
    if not fast_writer_available():
        write_xlsx_cells(sheets, path)
        return
    from rustpy_xlsxwriter import FastExcel, Format

    header = Format().set_bold().set_background_color(_HEADER_COLOUR).set_border_bottom("thin")
    book = FastExcel(str(path)).freeze(row=1)
    for name, frame in sheets.items():
        cells = sheet_cells(frame, (guarded or {}).get(name))
        widths = [column_width(str(column), _sample(cells, index))
                  for index, column in enumerate(cells.column_names if isinstance(
                      cells, pa.Table) else cells.columns)]
        book = book.sheet(name, cells, header_format=header, column_widths=widths,
                          autofilter=bool(len(widths)))
    with panics_as_os_error("the workbook writer"):
        book.save()


def sheet_cells(frame: pd.DataFrame, guarded=None):
    """The cells of one sheet: an Arrow table of guarded text and numbers (no Python
    object per value) when the frame holds only those, else ``cell_frame``."""
    table = guarded
    if table is None and (table := arrow_table(frame)) is not None:
        table = guard_table(table)
    if table is None:
        return cell_frame(frame)
    return cut_table(table, EXCEL_CELL_CHARS)


def _sample(cells, index: int) -> list:
    """Up to ``_WIDTH_SAMPLE`` evenly spaced cells of one column, as Python values."""
    rows = cells.num_rows if isinstance(cells, pa.Table) else len(cells)
    step = max(rows // _WIDTH_SAMPLE, 1)
    positions = list(range(0, rows, step))[:_WIDTH_SAMPLE]
    if isinstance(cells, pa.Table):
        return cells.column(index).take(pa.array(positions, pa.int64())).to_pylist()
    return cells.iloc[positions, index].tolist()


def cell_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the cells the sheet holds: numbers kept, text guarded and cut to the
    cell limit, everything else as its guarded text, nulls as nulls. Column names become
    text (the header row)."""
    columns = {}
    for index in range(len(frame.columns)):
        column = frame.iloc[:, index]
        if is_numeric_dtype(column) and not is_bool_dtype(column):
            if is_float_dtype(column) and np.isinf(column.to_numpy()).any():
                raise TypeError(f"column {frame.columns[index]!r}: an infinite number; "
                                "Excel cells cannot hold one")
            columns[index] = column.reset_index(drop=True)
        elif is_string_dtype(column) and column.dtype != object:
            columns[index] = _guarded_text(column.reset_index(drop=True))
        else:
            columns[index] = _object_cells(column)
    out = pd.DataFrame(columns)
    out.columns = [str(name) for name in frame.columns]
    return out


def column_width(header: str, sample: list) -> int:
    """Width from the header and the sampled cells (as the writer shows them)."""
    lengths = [len(str(value)) for value in sample if not _is_null(value)]
    return min(max(max([len(header), *lengths]) + 2, _WIDTH_MIN), _WIDTH_MAX)


def _guarded_text(column: pd.Series) -> pd.Series:
    text = column.astype("str")
    candidates = text.str.match(r"[=+\-@\t\r]").fillna(False).to_numpy(dtype=bool)
    long = (text.str.len() > EXCEL_CELL_CHARS - 1).fillna(False).to_numpy(dtype=bool)
    if not (candidates.any() or long.any()):
        return text
    values = text.to_numpy(dtype=object, copy=True)
    for position in np.flatnonzero(candidates | long):
        value = values[position]
        if isinstance(value, str):
            values[position] = guard(value)[:EXCEL_CELL_CHARS]
    return pd.Series(values, dtype="str")


def _object_cells(column: pd.Series) -> pd.Series:
    """Mixed values (ints beside text, timestamps...) one by one, as xlsxwriter's path."""
    values = [value[:EXCEL_CELL_CHARS] if type(value) is str else value
              for value in cell_values(column)]
    return pd.Series(values, dtype=object)


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
