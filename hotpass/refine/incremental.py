"""Incremental runs: the checkpoint and the prepared-results cache beside the output.

Contract:
- ``<output stem>.checkpoint.json`` records the last successful incremental run: its
  start time (``last_success``) and the inputs it published (``inputs``, labels relative
  to the input folder). ``read_checkpoint`` returns a ``Checkpoint`` or ``None``; an
  unreadable one is a ``HotpassError`` naming the file.
- ``<output stem>.prepared/`` caches each input's ``PreparedSource`` (ingest, mapping,
  joins, normalisation: the per-file work) under ``cache_key``: a SHA-256 over the Hotpass
  version, the profile, the input's label and its content. An incremental run re-prepares
  only changed inputs, takes the others from here and so publishes the *full* dataset.
  ``load`` treats a missing or unreadable entry as a miss; ``store`` writes atomically;
  ``prune`` drops entries the last run did not use.

Entries are data (``cache_codec``: JSON and Parquet in a zip), so a writable output
folder cannot make a run execute code; an input whose prepared result is not expressible
as data is simply not cached.

Pitfalls: store an entry right after preparing it: ``consolidate`` empties the prepared
frames it combines. Entries of older versions (``*.pickle``) are never read; ``prune``
removes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass import __version__
from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_bytes, atomic_write_text

log = logging.getLogger("hotpass.refine")


@dataclass(frozen=True)
class Checkpoint:
    last_success: dt.datetime
    inputs: tuple[str, ...]


def checkpoint_path(output_path: Path) -> Path:
    output_path = Path(output_path)
    return output_path.with_name(output_path.stem + ".checkpoint.json")


def cache_dir(output_path: Path) -> Path:
    output_path = Path(output_path)
    return output_path.with_name(output_path.stem + ".prepared")


def read_checkpoint(output_path: Path) -> Checkpoint | None:
    path = checkpoint_path(output_path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(dt.datetime.fromisoformat(data["last_success"]),
                          tuple(str(label) for label in data.get("inputs", [])))
    except (ValueError, KeyError, TypeError) as exc:
        raise HotpassError(f"{path}: unreadable checkpoint ({exc}); delete it to start over")\
            from exc


def write_checkpoint(output_path: Path, started_at: dt.datetime, inputs: list[str]) -> Path:
    payload = {"last_success": started_at.isoformat(), "inputs": sorted(inputs)}
    return atomic_write_text(checkpoint_path(output_path), json.dumps(payload, indent=2) + "\n")


def profile_fingerprint(profile: Any) -> str:
    return hashlib.sha256(profile.model_dump_json().encode("utf-8")).hexdigest()


def cache_key(path: Path, label: str, fingerprint: str) -> str:
    digest = hashlib.sha256(f"{__version__}\0{fingerprint}\0{label}\0".encode())
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


ENTRY_SUFFIX = ".entry.zip"


def load(output_path: Path, key: str) -> Any | None:
    from hotpass.refine.cache_codec import decode

    entry = cache_dir(output_path) / f"{key}{ENTRY_SUFFIX}"
    try:
        return decode(entry.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a torn or stale entry is a miss, never a failed run
        log.info("prepared cache %s unreadable (%s); preparing the input again", entry,
                 type(exc).__name__)
        return None


def store(output_path: Path, key: str, prepared: Any) -> None:
    from hotpass.refine.cache_codec import encode

    try:
        data = encode(prepared)
    except ValueError as exc:
        log.info("prepared result of %s not cached (%s)", prepared.relative, exc)
        return
    folder = cache_dir(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / f"{key}{ENTRY_SUFFIX}", data)


def prune(output_path: Path, keep: set[str]) -> None:
    folder = cache_dir(output_path)
    for entry in folder.iterdir() if folder.is_dir() else []:
        if entry.name.removesuffix(ENTRY_SUFFIX) not in keep:  # old .pickle entries too
            entry.unlink(missing_ok=True)
