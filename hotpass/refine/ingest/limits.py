"""Input limits checked before anything is allocated: a workbook sheet's memory (its cell
rectangle and the text its cells repeat), and the memory budget every limit is tied to.

Contract: ``memory_budget()`` is the bytes one input may take once read: half of the
memory available now (``psutil``), at most ``MAX_BUDGET_BYTES``. ``check_workbook(path,
label)`` streams each worksheet's XML (never more than ``CHUNK_BYTES`` at a time) and
raises ``InputError`` naming the sheet part when what the reader would build exceeds the
budget: the cell rectangle from A1 to the furthest row and column any cell or row names
at ``BYTES_PER_CELL`` (the reader fills it densely: one cell at A1 and one at XFD1048576
is 17 billion cells, 512 GiB, from a 1.5 KB file), plus ``TEXT_COPIES`` copies of the
text of every string cell: each reference to a shared string is a copy of it (one 32 KB
string referenced by a million cells is 32 GB from a small file), and inline strings
are bounded by the sheet's XML.

Pitfalls: the scan looks for positions with C-speed searches and only turns the rare
matches into numbers: three-letter columns, and rows above the highest seen so far (a
pattern built for "greater than N", seeded with each chunk's last row tag, so an
ordinary sheet has no match at all), so a cell beyond every ``<row r=>`` tag (a tag
spelt otherwise, or missing) is still seen. Each chunk is first asked once, with RE2
(``pyarrow.compute``, a DFA: half the time of ``re`` trying at every cell), whether it
holds any such match at all; only a chunk that does is searched by those patterns
(Arrow's first compute call costs ~0.25 s a process: ``preload_readers`` makes it before
readers fork). That pass finds the rectangle only; the
sheet is then judged on upper bounds of the rest (52 columns, a string cell per 5 bytes
of XML, inline text) and read again to count them exactly only when the bounds exceed
the budget, which gives the same verdict at a quarter less time. Shared-string
references are counted (one more pass) only when the cheap bound (every string cell
holding the longest string) is over the budget; that count reads every integer ``<v>``
as a reference, which can only overestimate.
"""

from __future__ import annotations

import collections
import re
import zipfile
from pathlib import Path

from hotpass.errors import InputError

BYTES_PER_CELL = 64  # the reader's dense cell plus the Python list slot and value
TEXT_COPIES = 2  # a string cell's text: the reader's copy and the Python str
STRING_CELL_BYTES = 80  # headers of both copies
MAX_BUDGET_BYTES = 16 * 2**30
CHUNK_BYTES = 8 * 2**20
_OVERLAP = 64  # longer than any position attribute, so no match is split unseen
_ROW_NUMBER = re.compile(rb'<row r="(\d{1,10})"')  # the common spelling; others cost time only
_TWO_LETTERS = re.compile(rb'r=["\'][A-Z]{2}\d')
_SHARED_REF = re.compile(rb'<(?:\w+:)?v>(\d{1,10})</')
_SHARED_END = re.compile(rb'</(?:\w+:)?si>')
_INLINE_CELL = re.compile(rb't=["\']inlineStr["\']')


def memory_budget() -> int:
    import psutil

    return min(psutil.virtual_memory().available // 2, MAX_BUDGET_BYTES)


def check_workbook(path: Path, label: str) -> None:
    """Refuse a workbook any of whose sheets would take more than the memory budget."""
    budget = memory_budget()
    try:
        with zipfile.ZipFile(path) as archive:
            strings = _shared_string_sizes(archive)
            parts = [i for i in archive.infolist()
                     if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            for info in parts:
                _check_sheet(archive, info, strings, budget, label)
    except (zipfile.BadZipFile, OSError, EOFError):
        return  # the reader reports the damage in its own words


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, strings: list[int],
                 budget: int, label: str) -> None:
    rows, wide = _extent(archive, info)
    name = info.filename.rsplit("/", 1)[-1]
    # Upper bounds first (52 columns unless one is past AZ, a string cell per 5 bytes
    # of XML, inline text): a sheet within them is within the exact figures too.
    if _need(rows * (_column_number(wide) if wide else 52), info.file_size // 5, True,
             strings, info.file_size) <= budget:
        return
    two, string_cells, inline = _cell_counts(archive, info)
    columns = _column_number(wide) if wide else 52 if two else 26
    cells = rows * columns
    if cells * BYTES_PER_CELL > budget:
        raise InputError(
            f"{label}: {name} spans {rows:,} rows x {columns:,} columns ({cells:,} cells), "
            f"more than the {budget / 2**30:.1f} GiB this machine can give one input; "
            "a crafted or damaged workbook (cells far from the data?)")
    text = _need(0, string_cells, inline, [], info.file_size)
    if strings and _need(cells, string_cells, inline, strings, info.file_size) > budget:
        text += TEXT_COPIES * _referenced_text(archive, info, strings)  # the bound fails
    if cells * BYTES_PER_CELL + text > budget:
        raise InputError(
            f"{label}: {name} repeats {text / 2**30:.1f} GiB of text in its cells, more "
            f"than the {budget / 2**30:.1f} GiB this machine can give one input; a crafted "
            "or damaged workbook (one long text in very many cells?)")


def _need(cells: int, string_cells: int, inline: bool, strings: list[int],
          xml_bytes: int) -> int:
    """Bytes the reader would build: the cell rectangle, the headers of the string cells'
    copies, inline text (bounded by the XML), and every string cell holding the longest
    shared string."""
    return (cells * BYTES_PER_CELL + string_cells * STRING_CELL_BYTES
            + (TEXT_COPIES * xml_bytes if inline else 0)
            + (string_cells * TEXT_COPIES * max(strings) if strings else 0))


def _extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, bytes]:
    """The furthest row any cell or row names, and the widest column past AZ (or b"")."""
    max_row, wide = 0, b""
    with archive.open(info) as handle:
        tail = b""
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            last = data.rfind(b'<row r="')  # rows ascend: the last is the chunk's highest,
            if last >= 0 and (number := _ROW_NUMBER.match(data, last)):  # else found below
                max_row = max(max_row, int(number.group(1)))
            above = _above(max_row)  # leading zeros are read as calamine reads them
            if _nothing_past(data, above):
                tail = data[-_OVERLAP:]
                continue
            for row in re.findall(rb'<row r="0*(%s)"' % above, data):
                max_row = max(max_row, int(row))
            rare = re.compile(rb'r=["\'](?:([A-Z]{3}|[B-Z][A-Z])(\d{1,10})|[A-Z]{1,3}0*(%s)["\'])'
                              % _above(max_row))
            for column, wide_row, row in rare.findall(data):
                if column:  # the same length sorts as columns do; three beat two
                    wide = max(wide, column, key=lambda c: (len(c), c))
                max_row = max(max_row, int(row or wide_row))
            tail = data[-_OVERLAP:]
    return max(max_row, 1), wide


def _nothing_past(data: bytes, above: bytes) -> bool:
    """Whether ``data`` holds none of what the scan in ``_extent`` looks for: a row tag
    above the row number ``above`` matches, a column past AZ, a cell in a row above. One
    pass of RE2 (Arrow's regex engine, a DFA) answers for all three at about half the
    cost of ``re`` trying its patterns at every cell; only a chunk that holds one of them
    is scanned by those patterns to find the numbers."""
    if above == rb"(?!)":  # no row number lies above: RE2 has no empty pattern for it
        return False
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = (rb'<row r="0*(?:%s)"|r=["\'](?:[A-Z]{3}|[B-Z][A-Z])\d'
               rb'|r=["\'][A-Z]{1,3}0*(?:%s)["\']' % (above, above))
    found = pc.count_substring_regex(pa.array([data], pa.binary()), pattern.decode())
    return found[0].as_py() == 0


def _cell_counts(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bool, int, bool]:
    """Whether any column is two letters long, the string cells, and whether any is
    inline: counted only when the upper bounds do not settle the sheet."""
    two, string_cells, inline = False, 0, False
    with archive.open(info) as handle:
        tail = b""
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            two = two or _TWO_LETTERS.search(data) is not None
            # the overlap is counted once: a match wholly inside it ended in the last chunk
            string_cells += _string_cells(data) - _string_cells(tail)
            inline = inline or _INLINE_CELL.search(data) is not None
            tail = data[-_OVERLAP:]
    return two, string_cells, inline


def _string_cells(data: bytes) -> int:
    return data.count(b't="s"') + data.count(b"t='s'")


def _above(number: int) -> bytes:
    """A pattern matching exactly the decimal numbers (up to 10 digits) above ``number``."""
    digits = str(number)
    longer = [rb"[1-9]\d{%d,9}" % len(digits)] if len(digits) < 10 else []
    same = [digits[:i].encode() + b"[%d-9]" % (int(d) + 1) + rb"\d" * (len(digits) - i - 1)
            for i, d in enumerate(digits) if d != "9"]
    return b"|".join(longer + same) if longer or same else rb"(?!)"


def _shared_string_sizes(archive: zipfile.ZipFile) -> list[int]:
    """The XML length of each shared string, in index order (at least its text's bytes)."""
    try:
        info = archive.getinfo("xl/sharedStrings.xml")
    except KeyError:
        return []
    sizes, position, last_end = [], 0, 0
    with archive.open(info) as handle:
        tail = b""
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            base = position - len(tail)
            for match in _SHARED_END.finditer(data):
                if match.end() > len(tail):
                    sizes.append(base + match.end() - last_end)
                    last_end = base + match.end()
            position += len(chunk)
            tail = data[-_OVERLAP:]
    return sizes


def _referenced_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                     strings: list[int]) -> int:
    counts: collections.Counter[bytes] = collections.Counter()
    with archive.open(info) as handle:
        tail = b""
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            counts.update(m.group(1) for m in _SHARED_REF.finditer(data)
                          if m.end() > len(tail))
            tail = data[-_OVERLAP:]
    return sum(strings[int(index)] * times for index, times in counts.items()
               if int(index) < len(strings))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number
