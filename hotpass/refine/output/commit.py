"""Publishing a sealed run folder: a forward-only state machine with a journal.

States of one run folder ``dist/.refined.runs/<id>/``:

    staged -> sealed (every file + SHA256SUMS written and fsynced)
           -> journaled (``.refined.runs/PUBLISHING`` names <id>, fsynced; from here on
              the folder is never deleted while ``current`` may point at it)
           -> switched (``current`` renamed onto <id>, ``previous`` onto the old one)
           -> linked (stable names, ``dist/current``, input bundles moved) -> journal removed

Contract: ``check_names(...)`` refuses, before anything changes, a stable name held by
something a link cannot replace (a folder). ``commit(store, output_dir, run_id, names)``
walks the states under ``signals.held()`` (a SIGTERM/SIGINT arriving on any thread waits
until the set is switched and linked). ``recover(store, output_dir)`` runs at the next
start, under the lock: a journal whose folder is sealed is rolled forward (switch and
links finished); one whose folder is gone is dropped; a ``current`` pointing at nothing
is rolled back to ``previous``. So a kill at any moment leaves either the old set or the
new one published, never a dangling name.

Pitfalls: readers get one consistent set by resolving ``dist/current`` once (``cd
dist/current && sha256sum -c SHA256SUMS``); the stable names beside it can straddle a
switch. A resolved folder survives one more publish (it becomes ``previous``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
from pathlib import Path

from hotpass.errors import HotpassError

CHECKSUMS = "SHA256SUMS"
INPUT_ARCHIVES = "input-archives"
CURRENT, PREVIOUS = "current", "previous"
JOURNAL = "PUBLISHING"
READER_LINK = "current"  # dist/current -> .refined.runs/current
log = logging.getLogger("hotpass.refine")


def check_names(output_dir: Path, names: list[str]) -> None:
    """Refuse before the switch when a stable name is a folder (a link cannot replace it)."""
    for name in [*names, READER_LINK]:
        path = output_dir / name
        if path.is_dir() and not path.is_symlink():
            raise HotpassError(f"{path}: is a folder where this run links its output "
                               f"'{name}'; move it away", exit_code=1)


def commit(store: Path, output_dir: Path, run_id: str, names: list[str]) -> None:
    """Journal, switch, link, finish: see the module docstring."""
    from hotpass.refine.signals import held

    with held():
        _write_journal(store, run_id, names)
        _roll_forward(store, output_dir, run_id, names)


def recover(store: Path, output_dir: Path) -> str | None:
    """Finish or roll back a half-done publish; returns what was done (for the log)."""
    journal = store / JOURNAL
    done = None
    if journal.is_file():
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
            run_id, names = str(entry["run"]), [str(n) for n in entry["names"]]
        except (OSError, ValueError, KeyError, TypeError):
            run_id, names = "", []
        if run_id and "/" not in run_id and (store / run_id / CHECKSUMS).is_file():
            _roll_forward(store, output_dir, run_id, names)
            done = f"finished publishing run {run_id}"
        else:
            journal.unlink(missing_ok=True)
            done = "dropped an unfinished publish"
    current = store / CURRENT
    if current.is_symlink() and not current.exists():
        previous = store / PREVIOUS
        if previous.is_symlink() and previous.exists():
            _replace_symlink(current, os.readlink(previous))
            names = sorted(p.name for p in current.iterdir() if p.is_file())
            _link(store, output_dir, names)
            done = "rolled back to the previous set"
    if done:
        log.warning("hotpass: %s (an earlier run was stopped while publishing)", done)
    return done


def _write_journal(store: Path, run_id: str, names: list[str]) -> None:
    temp = store / f".{JOURNAL}.{secrets.token_hex(6)}.tmp"
    with temp.open("w", encoding="utf-8") as handle:
        json.dump({"run": run_id, "names": names}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, store / JOURNAL)
    fsync(store)


def _roll_forward(store: Path, output_dir: Path, run_id: str, names: list[str]) -> None:
    """Idempotent: every step may already have been done by a run that was killed."""
    current = store / CURRENT
    old = os.readlink(current) if current.is_symlink() else None
    if old != run_id:
        if old and (store / old).is_dir():
            _replace_symlink(store / PREVIOUS, old)
        _replace_symlink(current, run_id)
        fsync(store)
    _move_bundles(store / run_id / INPUT_ARCHIVES, output_dir / INPUT_ARCHIVES)
    _link(store, output_dir, names)
    (store / JOURNAL).unlink(missing_ok=True)
    fsync(store)


def _move_bundles(source: Path, target_dir: Path) -> None:
    """The day's input bundles join ``dist/input-archives/`` only after the switch."""
    if not source.is_dir():
        return
    target_dir.mkdir(exist_ok=True)
    for bundle in sorted(source.iterdir()):
        os.replace(bundle, target_dir / bundle.name)
    source.rmdir()
    fsync(target_dir)


def _link(store: Path, output_dir: Path, names: list[str]) -> None:
    prefix = f"{store.name}/{CURRENT}/"
    for name in names:
        path = output_dir / name
        if not (path.is_symlink() and os.readlink(path) == prefix + name):
            _replace_symlink(path, prefix + name)
    reader = output_dir / READER_LINK
    if not (reader.is_symlink() and os.readlink(reader) == f"{store.name}/{CURRENT}"):
        _replace_symlink(reader, f"{store.name}/{CURRENT}")
    for path in output_dir.iterdir():  # names the new set no longer has
        if (path.is_symlink() and path.name not in names
                and os.readlink(path).startswith(prefix)):
            path.unlink()
    fsync(output_dir)


def _replace_symlink(path: Path, target: str) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.link")
    os.symlink(target, temp)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
