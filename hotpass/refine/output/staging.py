"""Publish a refine run as one unit: one lock, one staging directory, one atomic switch.

Layout beside the output ``dist/refined.xlsx``::

    dist/                                advisory lock (flock on the folder) of every run into it
    dist/.hotpass.lock                   who holds it: pid, start time (removed on release;
                                         after a kill -9 it stays, but names no holder:
                                         only the flock says held, see ``lock_state``)
    dist/.refined.runs/<run-id>/         one directory per run: every output + SHA256SUMS
    dist/.refined.runs/current -> <id>   the published set, switched by one rename
    dist/.refined.runs/previous -> <id>  the set before it, kept for readers mid-read
    dist/.refined.runs/PUBLISHING        journal of a publish in progress (commit.py)
    dist/current -> .refined.runs/current                     the readers' consistent path
    dist/refined.xlsx -> .refined.runs/current/refined.xlsx   (and every other output)
    dist/input-archives/hotpass-inputs-YYYYMMDD.zip           moved in just after the switch

Contract: ``open_run(output_path, wait=...)`` takes the lock (or raises ``RunLocked``
naming the holder's pid and start time; ``wait=True`` blocks instead), finishes or rolls
back a publish an earlier run was killed in (``commit.recover``), removes what dead runs
left (run directories other than current/previous, half-made links and temps), and
yields a ``StagedRun`` whose ``dir`` the run writes every output into; for the block,
``tempfile`` and ``TMPDIR`` point at ``dir/.tmp``, so no temp file (a writer's, holding
personal data) outlives the run or a kill of it. ``publish()``
writes ``SHA256SUMS`` last, fsyncs, refuses a stable name held by a folder, then commits
(journal, switch, links, bundles; ``commit.py``); it returns the stable paths. Leaving
``lock_state(output_path)`` says whether the lock is held and by whom (a record a
killed run left is reported as such, never as held). Leaving
the block before the commit starts (error, signal) deletes the staging directory; once
it has started the directory is kept whatever happens, and the next run finishes the
commit. After a ``kill -9`` the next run deletes an uncommitted directory. The lock is
released when the block ends.

Pitfalls: a reader that opens ``dist/refined.xlsx`` and ``dist/refined.csv`` one after
the other can straddle a switch; to read one consistent set, resolve ``dist/current``
once and read below it (``cd dist/current``; it survives one more run). Stable names are
symlinks, so the output folder needs a filesystem that has them. Two output paths in one
folder share the lock and the shared names (``quality-report.*``, ``SHA256SUMS``,
``current``), which point at whichever run published last.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import sha256_file
from hotpass.refine.output.commit import (
    CHECKSUMS,
    CURRENT,
    INPUT_ARCHIVES,
    JOURNAL,
    PREVIOUS,
    check_names,
    commit,
    fsync,
    recover,
    remove,
)
from hotpass.refine.signals import raise_if_stopped

LOCK_NAME = ".hotpass.lock"
TEMP_DIR = ".tmp"  # every temp file of the run (writers, libraries) lives in here
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
        self.state = "staged"

    @property
    def committed(self) -> bool:
        """True once ``current`` may point at this run: its folder is never deleted then."""
        return self.state in ("journaled", "published")

    @property
    def published(self) -> bool:
        return self.state == "published"

    def publish(self) -> dict[str, Path]:
        """Seal (checksums, fsync), check names, commit; return ``name -> stable path``."""
        remove(self.dir / TEMP_DIR)
        names = sorted(p.name for p in self.dir.iterdir()
                       if p.is_file() and p.name != CHECKSUMS)
        sums = "".join(f"{sha256_file(self.dir / n)}  {n}\n" for n in names)
        (self.dir / CHECKSUMS).write_text(sums, encoding="utf-8")
        for name in [*names, CHECKSUMS]:
            fsync(self.dir / name)
        bundles = self.dir / INPUT_ARCHIVES
        bundle_names = sorted(p.name for p in bundles.iterdir()) if bundles.is_dir() else []
        for name in bundle_names:
            fsync(bundles / name)
        fsync(self.dir)
        check_names(self.output_dir, [*names, CHECKSUMS])
        published = {name: self.output_dir / name for name in [*names, CHECKSUMS]}
        published.update({name: self.output_dir / INPUT_ARCHIVES / name
                          for name in bundle_names})
        raise_if_stopped()  # a stop whose raise was swallowed publishes nothing
        self.state = "journaled"
        commit(self.store, self.output_dir, self.run_id, [*names, CHECKSUMS])
        self.state = "published"
        remove_debris(self.store, self.output_dir)
        return published


def remove_debris(store: Path, output_dir: Path) -> list[Path]:
    """Delete run directories other than current/previous and stray temps (under lock)."""
    keep = {CURRENT, PREVIOUS, JOURNAL}
    for name in (CURRENT, PREVIOUS):
        link = store / name
        if link.is_symlink():
            keep.add(os.readlink(link))
    removed: list[Path] = []
    if store.is_dir():
        for entry in store.iterdir():
            if entry.name not in keep:
                remove(entry)
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
            recover(run.store, run.output_dir)
            remove_debris(run.store, run.output_dir)
            run.store.mkdir(exist_ok=True)
            run.dir.mkdir()
            try:
                with temp_inside(run.dir / TEMP_DIR):
                    yield run
            finally:
                if not run.committed:  # never once `current` may point at it
                    remove(run.dir)
                    with contextlib.suppress(OSError):  # a first run that failed: no trace
                        run.store.rmdir()
    finally:
        if not run.committed:
            for folder in created:  # deepest first; only while still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()


@contextlib.contextmanager
def temp_inside(folder: Path) -> Iterator[None]:
    """Point ``tempfile`` and ``TMPDIR`` (children, native writers) at ``folder`` for the
    block, so a signal handler or the next run's cleanup removes every temp file."""
    import tempfile

    folder.mkdir()
    saved_env, saved_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(folder), str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env


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


def lock_state(output_path: Path) -> dict:
    """``{"held": bool, "holder": str | None, "left_by": pid | None}``: the kernel's flock
    decides ``held``; a record beside a free lock was left by a run that was killed (the
    kernel dropped its lock with it) and is only reported as ``left_by``."""
    folder = Path(output_path).parent
    if not folder.is_dir():
        return {"held": False, "holder": None, "left_by": None}
    record_path = lock_path(output_path)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return {"held": True, "holder": _holder(record_path), "left_by": None}
    finally:
        os.close(fd)  # a shared lock taken for the test is dropped at once
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    left_by = record.get("pid") if isinstance(record, dict) else None
    return {"held": False, "holder": None, "left_by": left_by}


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
