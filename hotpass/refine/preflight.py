"""Checks a refine run makes before any work, so it fails in a second, not after the run.

Contract: ``check_output(output_path)`` raises a one-line ``HotpassError`` naming
``--output-path`` when the path is not an ``.xlsx`` file name, is a directory, sits below
a file, or its folder (or the nearest existing parent) cannot be written.
``own_outputs_excluded(inputs, output_path)`` drops from the inputs every file a run
writes (its store, the published names), so an output folder inside the input folder
never feeds a run its own previous outputs. ``check_disk(output_path, inputs, archive)``
refuses a run when the output filesystem has less free space than an estimate of the
outputs (``estimate_output_bytes``).

Pitfalls: the estimate is a floor, not a promise: compressed inputs (xlsx) can expand
several times, so a run can still meet a full disk; the publish step then fails with one
line and the previous outputs are kept.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.refine.output.staging import CHECKSUMS, store_dir

OUTPUT_STEMS = ("issues", "provenance")
_HEADROOM = 1 << 20


def check_output(output_path: Path) -> None:
    flag = f"--output-path {output_path}"
    if output_path.suffix.lower() != ".xlsx":
        raise HotpassError(f"{flag}: must end in .xlsx")
    if output_path.is_dir() and not output_path.is_symlink():
        raise HotpassError(f"{flag}: is a directory; give a file name such as "
                           f"{output_path / 'refined.xlsx'}")
    existing = next(p for p in [output_path.parent, *output_path.parent.parents]
                    if p.exists() or p.is_symlink())
    if not existing.is_dir():
        raise HotpassError(f"{flag}: {existing} is a file, not a folder")
    try:  # the nearest existing folder: the run creates the rest
        with tempfile.TemporaryFile(dir=existing, prefix=".hotpass-probe-"):
            pass
    except OSError as exc:
        raise HotpassError(f"{flag}: cannot write into {existing} "
                           f"({exc.strerror or exc})") from None


def own_outputs_excluded(inputs: list[Path], output_path: Path) -> list[Path]:
    """``inputs`` without the files refine runs write into ``output_path``'s folder."""
    output_dir = output_path.parent.resolve()
    store = store_dir(output_path).resolve()
    names = {output_path.with_suffix(s).name for s in (".xlsx", ".csv", ".parquet")}
    names |= {f"{stem}.{kind}" for stem in OUTPUT_STEMS for kind in ("csv", "parquet")}
    names.add(CHECKSUMS)
    kept = []
    for path in inputs:
        resolved = path.resolve()
        if resolved.is_relative_to(store) or (
                path.absolute().parent.resolve() == output_dir and path.name in names):
            continue
        kept.append(path)
    return kept


def estimate_output_bytes(inputs: list[Path], archive: bool) -> int:
    """Outputs are about twice the inputs (xlsx + csv + parquet), plus a copy of each in
    the bundle and the inputs themselves in the input bundle with ``--archive``, plus the
    writers' temp files (about the inputs again), which live in the run's staging folder
    on the same disk (``staging.temp_inside``)."""
    total = 0
    for path in inputs:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total * (5 if archive else 3) + _HEADROOM


def check_disk(output_path: Path, inputs: list[Path], archive: bool) -> None:
    needed = estimate_output_bytes(inputs, archive)
    folder = next(p for p in [output_path.parent, *output_path.parent.parents] if p.is_dir())
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise HotpassError(
            f"--output-path {output_path}: {_mb(free)} free in {folder}, this "
            f"run needs about {_mb(needed)}; free some space or choose another folder")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
