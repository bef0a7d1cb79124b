"""Input limits checked before anything is allocated: a workbook sheet's cell extent, and
the memory budget every limit is tied to.

Contract: ``memory_budget()`` is the bytes one input may take once read: half of the
memory available now (``psutil``), at most ``MAX_BUDGET_BYTES``. ``check_workbook(path,
label)`` streams each worksheet's XML (never more than ``CHUNK_BYTES`` at a time) and
raises ``InputError`` naming the sheet part when its cell rectangle (from A1 to the
furthest row and column any cell or row names) would take more than the budget at
``BYTES_PER_CELL`` (the reader fills that rectangle densely: one cell at A1 and one at
XFD1048576 is 17 billion cells, 512 GiB, from a 1.5 KB file).

Pitfalls: the scan looks for positions with C-speed searches and only turns the rare
matches into numbers (three-letter columns, rows with more digits than the row tags
have), so a normal sheet costs one pass of regex scanning, not a Python loop per cell.
A cell whose row number has as many digits as the highest ``<row r=>`` tag but is larger
is not seen, so the rectangle can be underestimated up to tenfold for rows.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from hotpass.errors import InputError

BYTES_PER_CELL = 64  # the reader's dense cell plus the Python list slot and value
MAX_BUDGET_BYTES = 16 * 2**30
CHUNK_BYTES = 8 * 2**20
_OVERLAP = 64  # longer than any position attribute, so no match is split unseen
_ROW_TAG = re.compile(rb'<row r="(\d{1,10})"')  # the common spelling; others cost time only
_TWO_LETTERS = re.compile(rb'r=["\'][A-Z]{2}\d')
# Rare positions only: a column past AZ, or a row with more digits than the row tags.
_RARE = r'r=["\'](?:([A-Z]{3}|[B-Z][A-Z])\d|[A-Z]{1,3}(\d{%d,10}))'


def memory_budget() -> int:
    import psutil

    return min(psutil.virtual_memory().available // 2, MAX_BUDGET_BYTES)


def check_workbook(path: Path, label: str) -> None:
    """Refuse a workbook whose any sheet's dense rectangle exceeds the memory budget."""
    budget = memory_budget()
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [i for i in archive.infolist()
                     if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            for info in parts:
                rows, columns = _extent(archive, info)
                cells = rows * columns
                if cells * BYTES_PER_CELL > budget:
                    raise InputError(
                        f"{label}: {info.filename.rsplit('/', 1)[-1]} spans {rows:,} rows x "
                        f"{columns:,} columns ({cells:,} cells), more than the "
                        f"{budget / 2**30:.1f} GiB this machine can give one input; "
                        "a crafted or damaged workbook (cells far from the data?)")
    except (zipfile.BadZipFile, OSError, EOFError):
        return  # the reader reports the damage in its own words


def _extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    max_row, wide, two = 0, b"", False
    with archive.open(info) as handle:
        tail = b""
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            if tags := _ROW_TAG.findall(data):
                max_row = max(max_row, max(map(int, tags)))
            rare = re.compile(_RARE.encode() % (len(str(max_row)) + 1))
            for column, row in rare.findall(data):
                if column:  # the same length sorts as columns do; three beat two
                    wide = max(wide, column, key=lambda c: (len(c), c))
                else:
                    max_row = max(max_row, int(row))
            two = two or _TWO_LETTERS.search(data) is not None
            tail = data[-_OVERLAP:]
    columns = _column_number(wide) if wide else 52 if two else 26
    return max(max_row, 1), columns


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number
