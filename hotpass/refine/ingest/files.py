"""Ingest: find input files and read every sheet as raw rows.

Contract: ``discover_inputs`` lists the supported files under a folder (sorted, optional
``since`` filter on modification date), skipping every ``incidents/`` folder below it
(copies kept for an incident must not be refined again with the live data; point
``--input-dir`` at such a folder itself to read it). ``read_sheets`` yields ``RawSheet`` objects whose
``rows`` start at spreadsheet row 1 (nothing above the data is trimmed, so row numbers in
issues match what a user sees in Excel); with ``columnar=True`` (what a reader child
runs) a workbook sheet is converted to Arrow text (``cells.workbook_cells``) ``CHUNK_ROWS``
rows at a time and is never held whole as Python rows. Any reason a file cannot be read becomes an
``InputError`` whose message names the file.

Pitfalls: python-calamine trims leading empty rows unless ``skip_empty_area=False``;
an encrypted .xlsx is an OLE container, not a zip, so it fails as "corrupt" unless we
look first; the stdlib csv reader's field limit is how we refuse giant cells cheaply.
Inputs that are not regular files (a FIFO would block, ``/dev/zero`` never ends, a broken
link has nothing behind it) are refused before opening, and files are read whole only
under a size cap (``MAX_FILE_BYTES``, a workbook's unzipped size, at most the memory
budget of ``ingest.limits``), and a workbook sheet's memory is checked before the
reader fills it (``limits.check_workbook``). Both read a workbook unzipped once
(``ingest.unzipped``: a stored copy, so no read inflates a sheet again). A CSV is streamed (``ingest.csvfile``):
its rows, never its bytes, are held, under a row limit and the memory budget; a Parquet
file's footer is checked against the same limits before it is read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import stat
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from hotpass.errors import InputError
from hotpass.refine.heap import release_free_memory
from hotpass.refine.ingest.cells import (
    MAX_CELL_CHARS,
    RawSheet,
    clean_cells,
    column_letter,
    workbook_cells,
)
from hotpass.refine.ingest.csvfile import CHUNK_ROWS, MAX_ROWS, read_csv
from hotpass.refine.ingest.limits import BYTES_PER_CELL, check_workbook, memory_budget
from hotpass.refine.ingest.unzipped import unzipped

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".parquet")
MAX_FILE_BYTES = 4 * 10**9  # a Parquet is read whole; this bounds its memory
MAX_WORKBOOK_EXPANDED_BYTES = 4 * 10**9  # the same for a workbook's unzipped XML
SKIPPED_FOLDER = "incidents"  # copies of inputs kept for an incident are never read again
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def discover_inputs(input_dir: Path, since: dt.date | None = None) -> list[Path]:
    if not input_dir.exists():
        raise InputError(f"--input-dir {input_dir}: no such directory")
    if not input_dir.is_dir():
        raise InputError(f"--input-dir {input_dir}: not a directory")
    found = sorted(
        path
        for path in input_dir.rglob("*")
        if path.suffix.lower() in SUPPORTED_SUFFIXES
        and not path.name.startswith(("~$", "."))
        and SKIPPED_FOLDER not in path.relative_to(input_dir).parts[:-1]
        and not path.is_dir()  # FIFOs, devices and broken links are reported when read
    )
    if not found:
        raise InputError(
            f"--input-dir {input_dir}: no .xlsx, .xlsm, .csv or .parquet files found"
        )
    if since is None:
        return found
    cutoff = dt.datetime.combine(since, dt.time.min).timestamp()
    recent = [p for p in found if _mtime(p) >= cutoff]
    if not recent:
        raise InputError(f"--since {since}: no input under {input_dir} was modified on or "
                         "after that date")
    return recent


def link_outside(path: Path, root: Path) -> Path | None:
    """The target of a symlink (of the file or a folder above it) that leads out of
    ``root``, else ``None``. Such a file is never read nor archived, only reported."""
    try:
        real, base = path.resolve(), Path(root).resolve()
    except (OSError, RuntimeError):  # a loop of links
        return path
    if not real.exists():
        return None  # a broken link: nothing to leak; reading reports it as broken
    return None if real.is_relative_to(base) else real


def refuse_outside(path: Path, root: Path, label: str) -> None:
    if (target := link_outside(path, root)) is not None:
        raise InputError(f"{label}: a symbolic link out of the input folder (to {target}); "
                         "not followed: copy the file in if it belongs to this run")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # keep it, so reading it reports the real problem


@cache
def preload_readers() -> None:
    """Import what reading and typing a file import lazily (calamine, Arrow, psutil, and
    scipy's assignment solver, ~0.4 s with what it pulls in), and make Arrow's first
    compute call (~0.25 s: its function registry, set up once per process; the workbook
    check runs RE2 through it), so the readers forked afterwards share all of it instead
    of each paying for it again. Typing a sheet makes that first call anyway. Cached: once
    per process, and a forked child inherits that it was done."""
    import psutil  # noqa: F401
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet  # noqa: F401
    import python_calamine  # noqa: F401
    import scipy.optimize  # noqa: F401

    pc.count_substring_regex(pa.array([b""], pa.binary()), "<")


def read_sheets(path: Path, label: str, columnar: bool = False) -> Iterator[RawSheet]:
    """Yield every sheet of ``path``; ``label`` is how messages name the file. With
    ``columnar``, each sheet comes as Arrow text (``RawSheet.columnar``), a
    workbook's converted ``CHUNK_ROWS`` rows at a time, never whole as Python rows."""
    suffix = path.suffix.lower()
    try:
        _check_regular(path, label)
        if suffix == ".csv":
            yield read_csv(path, label)
        elif suffix == ".parquet":
            yield _read_parquet(path, label)
        else:
            yield from _read_workbook(path, label, columnar)
    except InputError:
        raise
    except PermissionError as exc:
        raise InputError(f"{label}: cannot read file: permission denied") from exc
    except FileNotFoundError as exc:
        raise InputError(f"{label}: cannot read file: it does not exist (broken link?)") from exc
    except OSError as exc:
        raise InputError(f"{label}: cannot read file: {exc.strerror or exc}") from exc


def _check_regular(path: Path, label: str) -> None:
    """Refuse before opening: a FIFO would block, a device (``/dev/zero``) never ends."""
    mode = path.stat().st_mode  # follows links; a broken one raises FileNotFoundError
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise InputError(f"{label}: cannot read file: it is {kind}, not a regular file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{label}: {path.stat().st_size / 1e9:.1f} GB is more than the "
                         f"{MAX_FILE_BYTES / 1e9:.0f} GB an input file may hold; split it")


def _read_workbook(path: Path, label: str, columnar: bool) -> Iterator[RawSheet]:
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(OLE_MAGIC):
        if _is_encrypted(path):
            raise InputError(f"{label}: workbook is password-protected; save it unencrypted")
        raise InputError(f"{label}: legacy .xls content with an .xlsx name; save it as .xlsx")
    if not magic.startswith(ZIP_MAGIC):
        raise InputError(f"{label}: not a readable workbook (corrupt or not an Excel file)")
    _check_expanded_size(path, label)
    with unzipped(path) as readable:  # inflated once, not once per read of a sheet
        yield from _workbook_sheets(readable, label, columnar)


def _workbook_sheets(path: Path, label: str, columnar: bool) -> Iterator[RawSheet]:
    from python_calamine import CalamineWorkbook

    check_workbook(path, label)  # a sheet's cell rectangle, before the reader allocates it
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
    except Exception as exc:  # calamine raises its own error types
        raise InputError(f"{label}: not a readable workbook ({_first_line(exc)})") from exc
    for name in names:
        where = f"{label}, sheet {name}"
        try:
            sheet = workbook.get_sheet_by_name(name)
            if columnar:
                yield _columns_in_chunks(sheet, name, where)
                continue
            rows = sheet.to_python(skip_empty_area=False)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{where}: unreadable ({_first_line(exc)})") from exc
        _check_cell_sizes(rows, where)
        yield RawSheet(name=name, rows=rows)
        del rows  # not held while the next sheet is read


def _columns_in_chunks(sheet, name: str, where: str) -> RawSheet:
    """The sheet as ``to_python(skip_empty_area=False)`` gives it (from A1), in the compact
    form (``cells.workbook_cells``) built ``CHUNK_ROWS`` rows at a time: ``iter_rows``
    starts at row 1 but at the first used column, so the columns before it are added back
    as empty cells. A chunk holding a text Arrow cannot hold stays rows."""
    pad = [""] * sheet.start[1] if sheet.start else []
    rows, parts = sheet.iter_rows(), []
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        if pad:
            chunk = [pad + row for row in chunk]
        first_row, width = CHUNK_ROWS * len(parts) + 1, len(chunk[0])
        raw = workbook_cells(chunk)
        if raw is None:
            _check_cell_sizes(chunk, where, first_row)
            parts.append(RawSheet(name, chunk))
            continue
        del chunk
        _check_cell_lengths(raw, width, where, first_row)
        parts.append(RawSheet(name, [], _cells=clean_cells(raw), _width=width))
        del raw
        release_free_memory()  # the chunk's passes: freed pages given back (7-12 MB)
    return RawSheet.joined(name, parts)


def _check_expanded_size(path: Path, label: str) -> None:
    """A workbook is read whole: refuse one whose XML parts unzip to more than the cap
    (a zip bomb, or one giant cell) before reading it."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return  # calamine reports the damage in its own words
    limit = min(MAX_WORKBOOK_EXPANDED_BYTES, memory_budget())
    if expanded > limit:
        raise InputError(f"{label}: unzips to {expanded / 1e9:.1f} GB of sheet data, more "
                         f"than the {limit / 1e9:.1f} GB this machine can give one input; "
                         "split the workbook")


def _is_encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with path.open("rb") as handle:
            return bool(msoffcrypto.OfficeFile(handle).is_encrypted())
    except Exception:
        return False


def _check_cell_sizes(rows: list[list[object]], where: str, first_row: int = 1) -> None:
    for row_index, row in enumerate(rows, start=first_row):
        for col_index, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise _cell_too_long(where, row_index, col_index, len(value))


def _check_cell_lengths(raw, width: int, where: str, first_row: int) -> None:
    """``_check_cell_sizes`` over a chunk's raw texts in Arrow (row after row, ``width``
    a row): bytes first (never fewer than characters), characters only past the limit."""
    import pyarrow.compute as pc

    if not len(raw) or pc.max(pc.binary_length(raw)).as_py() <= MAX_CELL_CHARS:
        return
    lengths = pc.utf8_length(raw).to_numpy(zero_copy_only=False)
    over = (lengths > MAX_CELL_CHARS).nonzero()[0]
    if len(over):
        row_index, col_index = divmod(int(over[0]), width)
        raise _cell_too_long(where, first_row + row_index, col_index, int(lengths[over[0]]))


def _cell_too_long(where: str, row: int, column: int, length: int) -> InputError:
    return InputError(f"{where}, row {row}: cell {column_letter(column)} holds {length:,} "
                      f"characters (limit {MAX_CELL_CHARS:,})")


def _read_parquet(path: Path, label: str) -> RawSheet:
    import pyarrow.parquet as pq

    try:
        _check_parquet_size(pq.ParquetFile(path).metadata, label)
        table = pq.read_table(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{label}: not a readable Parquet file ({_first_line(exc)})") from exc
    frame = table.to_pandas().astype(object)
    rows = [list(table.column_names)] + frame.where(frame.notna(), None).values.tolist()
    _check_cell_sizes(rows, label)
    return RawSheet(name="", rows=rows, header_known=True)


def _check_parquet_size(meta, label: str) -> None:
    """From the footer, before reading: run-length and dictionary encoding let a small
    file declare millions of rows, each a Python row once read."""
    if meta.num_rows > MAX_ROWS:
        raise InputError(f"{label}: {meta.num_rows:,} rows, more than the {MAX_ROWS:,} a "
                         "sheet holds; split the file")
    cells = meta.num_rows * meta.num_columns
    data = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    budget = memory_budget()
    if cells * BYTES_PER_CELL + 2 * data > budget:
        raise InputError(f"{label}: {cells:,} cells, more than the {budget / 2**30:.1f} GiB "
                         "this machine can give one input; split the file")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
