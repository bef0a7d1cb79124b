"""The cell model: one sheet as raw spreadsheet values and, once, as clean text.

Contract: ``RawSheet`` is what ingest yields (``rows`` start at spreadsheet row 1).
``RawSheet.texts`` converts every cell with ``cell_text`` exactly once and caches the
result, so header detection, column typing, template-row checks and the frame build all
read the same strings instead of converting cells again; the raw values are not kept
beside them (a sheet's worth of floats, dates and row lists, ~20 MB at 67,000 rows).
``RawSheet.columnar()`` is the compact form a reader child hands over: the same texts as
Arrow string columns (a few bytes a cell instead of a Python object and a list slot; no
per-object pickling), turned back into the same rows by ``texts`` on the other side.
``cell_text`` is the one rule for turning a spreadsheet value into text;
``column_letter`` names a column as Excel does.

Pitfalls: spreadsheet phones arrive as floats (``27821234567.0``) and must lose the
``.0`` without losing digits; a date at midnight is a date, not a timestamp. Only a
rectangle of cells (every row as wide, as calamine and Parquet give) becomes columns:
ragged rows (a CSV) keep their row lists, whose lengths the mapping reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hotpass.refine.heap import gc_paused

Texts = list[list[str | None]]
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


@dataclass
class RawSheet:
    name: str
    rows: list[list[object]]
    header_known: bool = False  # parquet: row 0 is the header for sure
    _texts: Texts | None = field(default=None, repr=False)
    _columns: Any = field(default=None, repr=False)  # a pyarrow Table of the texts

    @property
    def texts(self) -> Texts:
        """Every row as clean text (``None`` for empty cells), computed once; the raw rows
        are converted in place and then gone (``rows`` is empty afterwards)."""
        if self._texts is not None:
            return self._texts
        with gc_paused():
            if self._columns is not None:
                columns = [column.to_pylist() for column in self._columns.columns]
                self._columns = None
                self._texts = [list(row) for row in zip(*columns, strict=True)]
            else:
                rows, self.rows = self.rows, []
                for index, row in enumerate(rows):
                    rows[index] = [cell_text(v) for v in row]
                self._texts = rows
        return self._texts

    def columnar(self) -> RawSheet:
        """This sheet with its texts as Arrow string columns, when its rows form a
        rectangle (else as it is); ``texts`` gives the same rows back."""
        rows = self.rows if self._texts is None else self._texts
        width = len(rows[0]) if rows else 0
        if self._columns is not None or not width or any(len(row) != width for row in rows):
            return self
        import pyarrow as pa

        convert = cell_text if self._texts is None else _same
        try:
            table = pa.table([pa.array([convert(row[c]) for row in rows], type=pa.string())
                              for c in range(width)], names=[str(c) for c in range(width)])
        except (ValueError, UnicodeError):  # text Arrow cannot hold (a lone surrogate)
            return self
        return RawSheet(self.name, [], self.header_known, _columns=table)

    @classmethod
    def joined(cls, name: str, parts: list[RawSheet]) -> RawSheet:
        """One sheet from consecutive row chunks of it, each ``columnar()``."""
        if not parts:
            return cls(name, [])
        if all(part._columns is not None for part in parts):
            import pyarrow as pa

            table = pa.concat_tables([part._columns for part in parts])
            return cls(name, [], parts[0].header_known, _columns=table)
        return cls(name, [], parts[0].header_known,
                   _texts=[row for part in parts for row in part.texts])


def _same(text: str | None) -> str | None:
    return text


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
