"""Atomic file writes: a reader sees the old file or the complete new one, never a torso.

Contract: writers get a temporary path beside the target (``.<name>.<random>.tmp`` in the
same directory, so the final ``os.replace`` never crosses a filesystem). On success the
temp is flushed to disk and renamed onto the target; on any exception every temp is
deleted, the exception propagates and no target is touched. ``AtomicBatch`` does the same
for several outputs at once: all are written first, and only when every write succeeded
are they renamed, one after another, onto their targets.

Pitfalls: a batch's renames are individually atomic but not one transaction; a crash
between two renames leaves a mix of old and new files (the window is microseconds, no
writing happens in it). The body must create the temp file itself: the path is only
reserved by name, so the writer opens it with the process's usual permissions.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

_CHUNK = 1 << 20


class AtomicBatch:
    """Write several files to temps, then rename them all onto their targets.

    ``with AtomicBatch() as batch: write(batch.path_for(target))`` — leaving the block
    normally commits every temp; leaving it with an exception removes them all.
    """

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}

    def __enter__(self) -> AtomicBatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def path_for(self, target: Path | str) -> Path:
        """Reserve a temp path for ``target`` (parent directories are created)."""
        target = Path(target).absolute()
        if target in self._pending:
            raise ValueError(f"{target}: already part of this batch")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        self._pending[target] = temp
        return temp

    def commit(self) -> None:
        """Flush every temp to disk, then rename each onto its target.

        Every temp is checked before the first rename, so a missing temp or a target that
        is a directory fails with no target changed.
        """
        try:
            for target, temp in self._pending.items():
                if target.is_dir():
                    raise IsADirectoryError(f"{target}: is a directory, cannot replace it")
                _fsync_file(temp)
            for target, temp in self._pending.items():
                os.replace(temp, target)
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete every temp that still exists; forget the batch."""
        for temp in self._pending.values():
            temp.unlink(missing_ok=True)
        self._pending.clear()


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temp path beside ``target``; it replaces ``target`` if the block succeeds."""
    with AtomicBatch() as batch:
        yield batch.path_for(target)


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data``; an ``OSError`` names ``path`` (the user's file), not the temp."""
    with atomic_path(path) as temp:
        try:
            temp.write_bytes(data)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    return Path(path)


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write UTF-8 text as given (no newline translation on any platform)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
