"""Publish a refine run as one unit: one lock, one staging directory, one atomic switch.

Layout beside the output ``dist/refined.xlsx``::

    dist/                                advisory lock (flock on the folder) of every run into it
    dist/.hotpass.lock                   who holds it: pid, start time (only while held)
    dist/.refined.runs/<run-id>/         one directory per run: every output + SHA256SUMS
    dist/.refined.runs/current -> <id>   the published set, switched by one rename
    dist/.refined.runs/previous -> <id>  the set before it, kept for readers mid-read
    dist/refined.xlsx -> .refined.runs/current/refined.xlsx   (and every other output)
    dist/input-archives/hotpass-inputs-YYYYMMDD.zip           moved in just before the switch

Contract: ``open_run(output_path, wait=...)`` takes the lock (or raises ``RunLocked``
naming the holder's pid and start time; ``wait=True`` blocks instead), removes what dead
runs left (run directories other than current/previous, half-made links and temps), and
yields a ``StagedRun`` whose ``dir`` the run writes every output into. ``publish()``
writes ``SHA256SUMS`` last, fsyncs, moves the input bundles, switches ``current`` with
one ``rename`` and points the stable names at it; it returns the stable paths. Leaving
the block without ``publish()`` (error, signal) deletes the staging directory; after a
``kill -9`` the next run deletes it. The lock is released when the block ends.

Pitfalls: a reader that opens ``dist/refined.xlsx`` and ``dist/refined.csv`` one after
the other can straddle a switch; to read one consistent set, resolve
``dist/.refined.runs/current`` once and read below it (it survives one more run). Stable
names are symlinks, so the output folder needs a filesystem that has them. Two output
paths in one folder share the lock and the shared names (``quality-report.*``,
``SHA256SUMS``), which point at whichever run published last.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import sha256_file

LOCK_NAME = ".hotpass.lock"
CHECKSUMS = "SHA256SUMS"
INPUT_ARCHIVES = "input-archives"
CURRENT, PREVIOUS = "current", "previous"
_TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{12}\.(tmp|link)$")
log = logging.getLogger("hotpass.refine")


class RunLocked(HotpassError):
    """Another run holds the output folder's lock."""


def store_dir(output_path: Path) -> Path:
    output_path = Path(output_path)
    return output_path.parent / f".{output_path.stem}.runs"


def lock_path(output_path: Path) -> Path:
    return Path(output_path).parent / LOCK_NAME


class StagedRun:
    """One run's staging directory inside the store; see the module docstring."""

    def __init__(self, output_path: Path) -> None:
        self.output_dir = Path(output_path).parent
        self.store = store_dir(output_path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.run_id = f"{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
        self.dir = self.store / self.run_id
        self.published = False

    def publish(self) -> dict[str, Path]:
        """Checksums, fsync, input bundles, switch, links; return ``name -> stable path``."""
        names = sorted(p.name for p in self.dir.iterdir()
                       if p.is_file() and p.name != CHECKSUMS)
        sums = "".join(f"{sha256_file(self.dir / n)}  {n}\n" for n in names)
        (self.dir / CHECKSUMS).write_text(sums, encoding="utf-8")
        for name in [*names, CHECKSUMS]:
            _fsync(self.dir / name)
        _fsync(self.dir)
        published = {name: self.output_dir / name for name in [*names, CHECKSUMS]}
        bundles = self.dir / INPUT_ARCHIVES
        with _signals_blocked():
            if bundles.is_dir():
                target_dir = self.output_dir / INPUT_ARCHIVES
                target_dir.mkdir(exist_ok=True)
                for bundle in sorted(bundles.iterdir()):
                    os.replace(bundle, target_dir / bundle.name)
                    published[bundle.name] = target_dir / bundle.name
                bundles.rmdir()
                _fsync(target_dir)
            self._switch()
            self._link(published)
            self.published = True
        self._prune()
        return published

    def _switch(self) -> None:
        current = self.store / CURRENT
        old = os.readlink(current) if current.is_symlink() else None
        if old and old != self.run_id:
            _replace_symlink(self.store / PREVIOUS, old)
        _replace_symlink(current, self.run_id)
        _fsync(self.store)

    def _link(self, published: dict[str, Path]) -> None:
        prefix = f"{self.store.name}/{CURRENT}/"
        for name, path in published.items():
            if path.parent != self.output_dir:
                continue
            if path.is_symlink() and os.readlink(path) == prefix + name:
                continue
            _replace_symlink(path, prefix + name)
        for path in self.output_dir.iterdir():  # names the new set no longer has
            if (path.is_symlink() and path.name not in published
                    and os.readlink(path).startswith(prefix)):
                path.unlink()
        _fsync(self.output_dir)

    def _prune(self) -> None:
        remove_debris(self.store, self.output_dir)


def remove_debris(store: Path, output_dir: Path) -> list[Path]:
    """Delete run directories other than current/previous and stray temps (under lock)."""
    keep = {CURRENT, PREVIOUS}
    for name in (CURRENT, PREVIOUS):
        link = store / name
        if link.is_symlink():
            keep.add(os.readlink(link))
    removed: list[Path] = []
    if store.is_dir():
        for entry in store.iterdir():
            if entry.name not in keep:
                _remove(entry)
                removed.append(entry)
    for folder in (output_dir, output_dir / INPUT_ARCHIVES):
        if folder.is_dir():
            for entry in folder.iterdir():
                if _TEMP_RE.match(entry.name) and not entry.is_dir():
                    entry.unlink(missing_ok=True)
                    removed.append(entry)
    if removed:
        log.info("removed %d leftover(s) of earlier runs: %s", len(removed),
                 ", ".join(p.name for p in removed[:5]))
    return removed


@contextlib.contextmanager
def open_run(output_path: Path, *, wait: bool = False) -> Iterator[StagedRun]:
    """Lock the output folder, clean up, stage a run; see the module docstring."""
    output_path = Path(output_path)
    created = [p for p in [output_path.parent, *output_path.parent.parents] if not p.exists()]
    run = StagedRun(output_path)
    try:
        with run_lock(output_path, wait=wait):
            remove_debris(run.store, run.output_dir)
            run.store.mkdir(exist_ok=True)
            run.dir.mkdir()
            try:
                yield run
            finally:
                if not run.published:
                    _remove(run.dir)
                    with contextlib.suppress(OSError):  # a first run that failed: no trace
                        run.store.rmdir()
    finally:
        if not run.published:
            for folder in created:  # deepest first; only while still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()


@contextlib.contextmanager
def run_lock(output_path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the advisory lock on the output folder itself; ``.hotpass.lock`` names the
    holder while it is held (so no lock file is ever left behind or unlinked under a
    waiter)."""
    folder = Path(output_path).parent
    folder.mkdir(parents=True, exist_ok=True)
    record_path = lock_path(output_path)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(record_path)
            if not wait:
                raise RunLocked(f"--output-path {output_path}: another refine run ({holder}) "
                                f"is writing into {folder}; retry later or pass --wait",
                                exit_code=3) from None
            log.warning("hotpass: waiting for the refine run (%s) writing into %s",
                        holder, folder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        record = {"pid": os.getpid(), "started": datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "output": str(output_path)}
        temp = record_path.with_name(f".hotpass-lock.{secrets.token_hex(6)}.tmp")
        temp.write_text(json.dumps(record) + "\n", encoding="utf-8")
        os.replace(temp, record_path)
        try:
            yield
        finally:
            record_path.unlink(missing_ok=True)
    finally:
        os.close(fd)  # releases the lock


def _holder(record_path: Path) -> str:
    for _ in range(20):  # the holder writes its record right after locking
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict):
            return f"pid {record.get('pid')}, started {record.get('started')}"
        time.sleep(0.05)
    return "pid unknown"


def _replace_symlink(path: Path, target: str) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.link")
    os.symlink(target, temp)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGTERM/SIGINT while the set is switched, so it is all-or-nothing."""
    mask = {signal.SIGTERM, signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, mask)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
