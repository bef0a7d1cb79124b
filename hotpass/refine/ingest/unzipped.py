"""A workbook unzipped once: a stored (not deflated) copy that the workbook check and
calamine read instead of the original.

Contract: ``unzipped(path)`` is a context manager giving the path of a copy of the zip
at ``path`` with every member stored uncompressed (same names, same bytes), or ``path``
itself when no such copy is made (not on Linux, a zip ``zipfile`` cannot read whole, a
damaged or encrypted member, repeated names, no room in the temporary folder): the
reader then meets the original and reports any damage in its own words, as it always
did. The copy is an unnamed temporary file, reopened by ``/proc/self/fd``: gone when
the context ends, and with the process if it is killed.

Pitfalls: every read of a deflated sheet inflates it again, and a sheet is read three
times: the workbook check scans it, then python-calamine's ``get_sheet_by_name`` parses
it for its cells and once more for its merged ranges. Inflating once here and storing
costs less than the two inflations it saves (CPU at 200,000 rows: 0.17 s of ~1.6 s).
The copy takes the workbook's unzipped size in the temporary folder (page cache, not
process memory; 88 MB for the 200k bench's two workbooks), at most the size
``files._check_expanded_size`` allowed: ``zipfile`` reads a member no further than its
declared size, and checks its CRC at the end, so a member that inflates past its size
or is damaged fails the copy and is the original's problem, as before.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

PROC_FD = Path("/proc/self/fd")
COPY_CHUNK = 1 << 20


@contextlib.contextmanager
def unzipped(path: Path) -> Iterator[Path]:
    if not PROC_FD.is_dir():
        yield path
        return
    with contextlib.ExitStack() as held:
        try:
            copy = held.enter_context(tempfile.TemporaryFile(prefix="hotpass-workbook-",
                                                             buffering=0))
            _store(path, copy)
        except Exception:  # any failure (no temporary folder, a full disk, a bad member)
            with contextlib.suppress(OSError):  # (unbuffered: closing writes nothing)
                held.close()  # a partial copy is not kept while the original is read
            yield path
            return
        yield PROC_FD / str(copy.fileno())


def _store(path: Path, copy) -> None:
    with zipfile.ZipFile(path) as source:
        members = source.infolist()
        if len({m.filename for m in members}) != len(members):
            raise ValueError("repeated member names")
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as target:
            for member in members:
                stored = zipfile.ZipInfo(member.filename, date_time=member.date_time)
                stored.file_size = member.file_size  # zipfile picks ZIP64 from it
                with source.open(member) as reader, target.open(stored, "w") as writer:
                    shutil.copyfileobj(reader, writer, COPY_CHUNK)
    copy.flush()
