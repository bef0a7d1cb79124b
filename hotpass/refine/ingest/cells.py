"""The cell model: one sheet as raw spreadsheet values and, once, as clean text.

Contract: ``RawSheet`` is what ingest yields (``rows`` start at spreadsheet row 1).
``RawSheet.texts`` converts every cell with ``cell_text`` exactly once and caches the
result, so header detection, column typing, template-row checks and the frame build all
read the same strings instead of converting cells again; the raw values are not kept
beside them (a sheet's worth of floats, dates and row lists, ~20 MB at 67,000 rows). ``cell_text`` is the one rule
for turning a spreadsheet value into text; ``column_letter`` names a column as Excel does.

Pitfalls: spreadsheet phones arrive as floats (``27821234567.0``) and must lose the
``.0`` without losing digits; a date at midnight is a date, not a timestamp.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Texts = list[list[str | None]]
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


@dataclass
class RawSheet:
    name: str
    rows: list[list[object]]
    header_known: bool = False  # parquet: row 0 is the header for sure
    _texts: Texts | None = field(default=None, repr=False)

    @property
    def texts(self) -> Texts:
        """Every row as clean text (``None`` for empty cells), computed once; the raw rows
        are converted in place and then gone (``rows`` is empty afterwards)."""
        if self._texts is None:
            rows, self.rows = self.rows, []
            for index, row in enumerate(rows):
                rows[index] = [cell_text(v) for v in row]
            self._texts = rows
        return self._texts


def cell_text(value: object) -> str | None:
    """One cell as clean text: floats that are whole numbers lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.replace("\u00a0", " ").strip()
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time.min:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip() or None


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
