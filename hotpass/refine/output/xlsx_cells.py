"""The xlsxwriter workbook writer and the cell rules both workbook writers share.

Contract: ``write_xlsx_cells(sheets, path)`` writes one worksheet per frame, cell by cell
in constant-memory mode, with a bold shaded frozen header, an autofilter and column widths
fitted from a sample. ``cell_values(column)`` is what a column's cells hold: ints and
floats as numbers, nulls as ``None``, every other value as text. ``guard(text)`` prefixes
text that a spreadsheet would run as a formula with ``'`` (the CSV's
``export.neutralise_formulas`` and ``workbook.write_workbook`` use it too, so every
output agrees).

Pitfalls: constant-memory mode writes rows strictly in order; nothing can be styled after
it is written. A plain number or phone (``+27 82 555 1234``) is not guarded, but digits
joined by operators alone (``-1-1``) are: a spreadsheet computes those.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path

import pandas as pd
import xlsxwriter

WORKBOOK_OPTIONS = {
    "strings_to_urls": False,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
_HEADER_FORMAT = {"bold": True, "bg_color": "#DCE6F1", "bottom": 1}
_WIDTH_MIN, _WIDTH_MAX, _WIDTH_SAMPLE = 8, 60, 200

# A cell starting with one of these is run as a formula by Excel/LibreOffice/Sheets...
FORMULA_CHARS = "=+-@\t\r"
# ...unless it is plainly a number or phone (no letters, so no function can be called).
# Also lists of numbers such as "+27821234567; +27115551234" (no operator between them).
PLAIN_NUMBER = r"^[+-]?\d[\d\s().-]*(?:[;,/]\s*\+?\d[\d\s().-]*)*$"
_PLAIN_NUMBER_RE = re.compile(PLAIN_NUMBER)
# ...but digits joined by operators alone (-1-1, +27-82-555) a spreadsheet computes.
ARITHMETIC = r"^[+-]?[\d.]+(?:[-+][\d.]+)+$"
_ARITHMETIC_RE = re.compile(ARITHMETIC)


def write_xlsx_cells(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """xlsxwriter, cell by cell: styled frozen header, autofilter, fitted column widths."""
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        header_format = workbook.add_format(_HEADER_FORMAT)
        for sheet_name, frame in sheets.items():
            _write_sheet(workbook.add_worksheet(sheet_name), frame, header_format)
    finally:
        workbook.close()


def _write_sheet(worksheet, frame: pd.DataFrame, header_format) -> None:
    headers = [str(name) for name in frame.columns]
    columns = [cell_values(frame.iloc[:, index]) for index in range(len(headers))]
    worksheet.freeze_panes(1, 0)
    if headers:
        worksheet.autofilter(0, 0, max(len(frame), 1), len(headers) - 1)
    for index, (header, values) in enumerate(zip(headers, columns, strict=True)):
        worksheet.set_column(index, index, _column_width(header, values))
        worksheet.write_string(0, index, header, header_format)
    # Per-cell typed writes, skipping empty cells: ~2x faster than write_row, which
    # dispatches on type for every cell and writes a blank for every None.
    write_string, write_number = worksheet.write_string, worksheet.write_number
    for row_number, row in enumerate(zip(*columns, strict=True), start=1):
        for column_number, value in enumerate(row):
            if value is None:
                continue
            if type(value) is str:
                write_string(row_number, column_number, value)
            else:
                write_number(row_number, column_number, value)


def cell_values(column: pd.Series) -> list:
    """Python values for one column: int/float as numbers, None for null, else ``str``;
    text that would run as a formula gets the ``'`` prefix (as ``neutralise_formulas``)."""
    values = column.astype(object).where(column.notna(), None).tolist()
    return [
        guard(value) if type(value) is str else
        value if value is None or type(value) in (int, float) else _as_cell(value)
        for value in values
    ]


def guard(text: str) -> str:
    if text and text[0] in FORMULA_CHARS and (
            not _PLAIN_NUMBER_RE.match(text) or _ARITHMETIC_RE.match(text)):
        return "'" + text
    return text


def _as_cell(value: object) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return guard(str(value))
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _column_width(header: str, values: list) -> int:
    step = max(len(values) // _WIDTH_SAMPLE, 1)
    sample = [len(str(value)) for value in values[::step][:_WIDTH_SAMPLE] if value is not None]
    widest = max([len(header), *sample])
    return min(max(widest + 2, _WIDTH_MIN), _WIDTH_MAX)
