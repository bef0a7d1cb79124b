"""The cell model: one sheet as raw spreadsheet values and, once, as clean text.

Contract: ``RawSheet`` is what ingest yields (``rows`` start at spreadsheet row 1).
``RawSheet.texts`` converts every cell with ``cell_text`` exactly once and caches the
result, so header detection, column typing, template-row checks and the frame build all
read the same strings instead of converting cells again; the raw values are not kept
beside them (a sheet's worth of floats, dates and row lists, ~20 MB at 67,000 rows).
The compact form a reader child hands over is the same texts as one Arrow string array,
row after row (``cells``, ``width`` a row): a few bytes a cell instead of a Python object
and a list slot, no per-object pickling, turned back into the same rows by ``texts`` on
the other side (one list and a slice a row). ``RawSheet.columnar()`` makes it from rows;
``workbook_cells(rows)`` makes it from a workbook reader's rows with the per-cell Python
work cut to the cells that are not text: a text cell is cleaned in Arrow (``clean_cells``:
no-break spaces, ``str.strip``'s whitespace, empty to null) exactly as ``cell_text``
cleans it. ``cell_text`` is the one rule for turning a spreadsheet value into text;
``column_letter`` names a column as Excel does.

Pitfalls: spreadsheet phones arrive as floats (``27821234567.0``) and must lose the
``.0`` without losing digits; a date at midnight is a date, not a timestamp. Only a
rectangle of cells (every row as wide, as calamine and Parquet give) becomes the compact
form: ragged rows (a CSV) keep their row lists, whose lengths the mapping reads. Arrow
cannot hold a lone surrogate: such a sheet stays rows. ``workbook_cells`` cleans the text
of every cell again, so it is only for the values calamine gives (text, numbers, booleans,
dates, times, durations), whose ``cell_text`` holds no no-break space and no whitespace
at either end; ``columnar()`` takes any value. ``WHITESPACE`` is what ``str.strip()``
strips on this Python (a unit test compares it with ``str.isspace`` over all of Unicode).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from hotpass.refine.heap import gc_paused

Texts = list[list[str | None]]
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
              "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


@dataclass
class RawSheet:
    name: str
    rows: list[list[object]]
    header_known: bool = False  # parquet: row 0 is the header for sure
    _texts: Texts | None = field(default=None, repr=False)
    _cells: Any = field(default=None, repr=False)  # the texts, row after row (Arrow)
    _width: int = field(default=0, repr=False)  # cells a row in ``_cells``

    @property
    def texts(self) -> Texts:
        """Every row as clean text (``None`` for empty cells), computed once; the raw rows
        are converted in place and then gone (``rows`` is empty afterwards)."""
        if self._texts is not None:
            return self._texts
        with gc_paused():
            if self._cells is not None:
                cells, width, self._cells = self._cells.to_pylist(), self._width, None
                self._texts = [cells[i:i + width] for i in range(0, len(cells), width)]
            else:
                rows, self.rows = self.rows, []
                for index, row in enumerate(rows):
                    rows[index] = [cell_text(v) for v in row]
                self._texts = rows
        return self._texts

    def columnar(self) -> RawSheet:
        """This sheet with its texts in the compact form, when its rows form a rectangle
        (else as it is); ``texts`` gives the same rows back."""
        rows = self.rows if self._texts is None else self._texts
        width = len(rows[0]) if rows else 0
        if self._cells is not None or not width or any(len(row) != width for row in rows):
            return self
        import pyarrow as pa

        convert = cell_text if self._texts is None else _same
        try:
            cells = pa.array([convert(v) for v in itertools.chain.from_iterable(rows)],
                             type=pa.string())
        except (ValueError, UnicodeError):  # text Arrow cannot hold (a lone surrogate)
            return self
        return RawSheet(self.name, [], self.header_known, _cells=cells, _width=width)

    @classmethod
    def joined(cls, name: str, parts: list[RawSheet]) -> RawSheet:
        """One sheet from consecutive row chunks of it, each ``columnar()`` if it can be."""
        if not parts:
            return cls(name, [])
        if all(part._cells is not None and part._width == parts[0]._width for part in parts):
            import pyarrow as pa

            cells = pa.chunked_array([part._cells for part in parts], pa.string())  # no copy
            return cls(name, [], parts[0].header_known, _cells=cells, _width=parts[0]._width)
        return cls(name, [], parts[0].header_known,
                   _texts=[row for part in parts for row in part.texts])


def workbook_cells(rows: list[list[object]]) -> Any:
    """A workbook reader's rectangle of cells, row after row, as one Arrow string array of
    the raw text (``cell_text`` for the cells that are not text: the only per-cell Python
    work), or ``None`` when Arrow cannot hold a text. ``clean_cells`` finishes it."""
    import pyarrow as pa

    try:
        return pa.array([v if v.__class__ is str else cell_text(v)
                         for v in itertools.chain.from_iterable(rows)], type=pa.string())
    except (ValueError, UnicodeError):  # a lone surrogate
        return None


def clean_cells(raw: Any) -> Any:
    """``cell_text`` of text cells, over an Arrow string array: no-break spaces become
    spaces, ``str.strip()``'s whitespace goes from both ends, empty text becomes null
    (a validity bitmap over the trimmed text, not a copy of it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pc.any(pc.match_substring(raw, "\u00a0")).as_py():
        raw = pc.replace_substring(raw, "\u00a0", " ")
    text = pc.utf8_trim(raw, characters=WHITESPACE)
    filled = pc.fill_null(pc.greater(pc.binary_length(text), 0), False)
    if filled.offset or text.offset:  # a fresh kernel result starts at 0; else copy
        return pc.if_else(filled, text, pa.scalar(None, pa.string()))
    return pa.StringArray.from_buffers(len(text), text.buffers()[1], text.buffers()[2],
                                       filled.buffers()[1])


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
