"""Ingest: one CSV file as raw rows, streamed from disk in bounded chunks.

Contract: ``read_csv(path, label)`` returns a ``RawSheet`` (rows from spreadsheet row 1).
The text is UTF-8 (a BOM is dropped) or, when any byte of the file is not UTF-8,
cp1252 for the whole file; the dialect is sniffed from the first ``SNIFF_CHARS``. Rows
are parsed by the stdlib ``csv`` reader from a buffered text stream, ``CHUNK_ROWS`` at a
time, so what is held is the rows kept, never the file's bytes or text: at most
``MAX_ROWS`` rows (the most a spreadsheet sheet holds) and at most the memory budget of
``ingest.limits`` (``CELL_BYTES`` per cell plus its characters). Either limit crossed
while streaming, a cell over ``MAX_CELL_CHARS`` or a malformed line raises
``InputError`` naming the file and row.

Pitfalls: the newline mode is ``"\\n"`` (lines end at ``\\n`` only, untranslated), as the
whole-text reader before it did, so a quoted ``\\r\\n`` inside a cell survives; a
decoding error can surface many rows in, after which the file is read again as cp1252
(the rows read so far are dropped first). ``csv.field_size_limit`` is process-wide, so
it is restored however the read ends.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from pathlib import Path

from hotpass.errors import InputError
from hotpass.refine.heap import gc_paused
from hotpass.refine.ingest.cells import MAX_CELL_CHARS, RawSheet
from hotpass.refine.ingest.limits import memory_budget

MAX_ROWS = 1_048_576  # Excel's rows per sheet: no input sheet, CSV or not, holds more
CHUNK_ROWS = 8192
CELL_BYTES = 64  # a str header and its list slot; its characters are counted on top
ROW_BYTES = 56  # the row's list
SNIFF_CHARS = 65_536


def read_csv(path: Path, label: str) -> RawSheet:
    with gc_paused():  # a row list per line: no collector passes over the growing heap
        try:
            rows = _read(path, label, "utf-8-sig", "strict")
        except UnicodeDecodeError:
            rows = None  # read again below, once the failed read's rows are freed
        if rows is None:
            rows = _read(path, label, "cp1252", "replace")
    return RawSheet(name="", rows=rows)


def _read(path: Path, label: str, encoding: str, errors: str) -> list[list[object]]:
    with _text(path, encoding, errors) as head_stream:
        head = head_stream.read(SNIFF_CHARS)
    if "\x00" in head[:4096]:
        raise InputError(f"{label}: not a text CSV file (binary content)")
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t|")
    del head
    budget = memory_budget()
    rows: list[list[object]] = []
    cost = 0
    previous_limit = csv.field_size_limit(MAX_CELL_CHARS)
    try:
        with _text(path, encoding, errors) as stream:
            reader = csv.reader(stream, dialect)
            while chunk := list(itertools.islice(reader, CHUNK_ROWS)):
                rows.extend(chunk)
                cost += (ROW_BYTES * len(chunk) + CELL_BYTES * sum(map(len, chunk))
                         + sum(map(len, itertools.chain.from_iterable(chunk))))
                if len(rows) > MAX_ROWS:
                    raise InputError(f"{label}, row {MAX_ROWS + 1:,}: more than {MAX_ROWS:,} "
                                     "rows, the most a sheet holds; split the file")
                if cost > budget:
                    raise InputError(
                        f"{label}, row {len(rows):,}: its rows take more than the "
                        f"{budget / 2**30:.1f} GiB this machine can give one input; "
                        "split the file")
    except csv.Error as exc:
        raise InputError(
            f"{label}, row {reader.line_num}: {_first_line(exc)} "
            f"(cells are limited to {MAX_CELL_CHARS:,} characters)"
        ) from exc
    finally:
        csv.field_size_limit(previous_limit)
    return rows


def _text(path: Path, encoding: str, errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors=errors, newline="\n")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
