"""``--archive``: one zip holding a run's outputs, a manifest and checksums.

Contract: ``build_archive`` writes a deflated zip (atomically) whose members, in sorted
order, are every output file (stored under its base name), ``manifest.json`` (hotpass
version, profile, row counts, created_at, and path/sha256/bytes of every input and
output) and ``SHA256SUMS`` in ``sha256sum`` format covering every other member, so
``unzip x.zip && sha256sum -c SHA256SUMS`` verifies the bundle.

Pitfalls: outputs are stored by base name, so two outputs with the same name, or one
named like a generated member, are refused. Input paths are recorded relative to
``input_root`` (an input outside it keeps its full path). ``created_at`` makes every
archive differ; compare manifests by their other keys.

``build_input_bundle`` keeps the run's *inputs* as a dated bundle
(``<dir>/hotpass-inputs-YYYYMMDD.zip``: ``inputs/<relative path>``, ``manifest.json``,
``SHA256SUMS``) so a backfill can replay that day (``replay.extract_input_bundle``
validates and unpacks one). A
second run on the same day merges into that day's bundle: its inputs replace members of
the same path, every other input of the day is kept (a ``--since`` or incremental run
never shrinks the bundle a backfill replays).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_path, sha256_file

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
_MEMBER_MODE = 0o644 << 16


def build_archive(
    *,
    archive_path: Path,
    outputs: dict[str, Path],
    inputs: list[Path],
    input_root: Path,
    profile: str,
    row_counts: dict[str, int],
    hotpass_version: str,
) -> Path:
    """Zip the outputs with a manifest and SHA256SUMS; return ``archive_path``."""
    members = _output_members(outputs)
    manifest = {
        "hotpass_version": hotpass_version,
        "profile": profile,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "row_counts": {key: int(value) for key, value in sorted(row_counts.items())},
        "inputs": sorted(
            (_file_entry("path", _relative(path, input_root), path) for path in inputs),
            key=lambda entry: entry["path"],
        ),
        "outputs": [_file_entry("name", name, path) for name, path in members.items()],
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    sums = {entry["name"]: entry["sha256"] for entry in manifest["outputs"]}
    sums[MANIFEST] = hashlib.sha256(manifest_bytes).hexdigest()
    checksums = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    generated = {MANIFEST: manifest_bytes, CHECKSUMS: checksums.encode("utf-8")}
    stamp = datetime.now(UTC).timetuple()[:6]
    with atomic_path(archive_path) as temp, zipfile.ZipFile(
        temp, "w", compression=zipfile.ZIP_DEFLATED
    ) as archive:
        for name in sorted([*members, *generated]):
            if name in members:
                archive.write(members[name], arcname=name)
            else:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = _MEMBER_MODE
                archive.writestr(info, generated[name])
    return Path(archive_path)


INPUT_BUNDLE_PREFIX = "hotpass-inputs-"


def input_bundle_path(bundle_dir: Path, day: date) -> Path:
    return Path(bundle_dir) / f"{INPUT_BUNDLE_PREFIX}{day:%Y%m%d}.zip"


def build_input_bundle(*, bundle_dir: Path, inputs: list[Path], input_root: Path,
                       profile: str, hotpass_version: str, day: date | None = None,
                       merge_from: Path | None = None) -> Path:
    """Zip the inputs under ``inputs/`` with a manifest and SHA256SUMS; return the path.
    The day's other inputs are carried over from the bundle of that day in ``merge_from``
    (default ``bundle_dir``: pass the published folder when writing into a staging one)."""
    day = day or datetime.now(UTC).date()
    target = input_bundle_path(bundle_dir, day)
    members = {f"inputs/{_relative(path, input_root).lstrip('/')}": Path(path)
               for path in inputs}
    kept = _earlier_inputs(input_bundle_path(merge_from or bundle_dir, day), set(members))
    entries = [_file_entry("path", name, path) for name, path in members.items()]
    entries += [{"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                for name, data in kept.items()]
    manifest = {
        "hotpass_version": hotpass_version, "profile": profile, "day": day.isoformat(),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": sorted(entries, key=lambda entry: entry["path"]),
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    sums = {entry["path"]: entry["sha256"] for entry in manifest["inputs"]}
    sums[MANIFEST] = hashlib.sha256(manifest_bytes).hexdigest()
    checksums = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    with atomic_path(target) as temp, zipfile.ZipFile(
        temp, "w", compression=zipfile.ZIP_DEFLATED
    ) as bundle:
        for name in sorted([*members, *kept]):
            if name in members:
                bundle.write(members[name], arcname=name)
            else:
                bundle.writestr(name, kept[name])
        bundle.writestr(MANIFEST, manifest_bytes)
        bundle.writestr(CHECKSUMS, checksums)
    return target


def _earlier_inputs(bundle_path: Path, replaced: set[str]) -> dict[str, bytes]:
    """Inputs already in the day's bundle that this run does not replace."""
    if not bundle_path.exists():
        return {}
    try:
        with zipfile.ZipFile(bundle_path) as bundle:
            return {name: bundle.read(name) for name in bundle.namelist()
                    if name.startswith("inputs/") and not name.endswith("/")
                    and name not in replaced}
    except (zipfile.BadZipFile, OSError) as exc:
        raise HotpassError(f"{bundle_path}: the day's input bundle is unreadable ({exc}); "
                           "move it aside, then run again") from exc


def _output_members(outputs: dict[str, Path]) -> dict[str, Path]:
    members: dict[str, Path] = {}
    for path in map(Path, outputs.values()):
        name = path.name
        if name in members or name in (MANIFEST, CHECKSUMS):
            raise HotpassError(f"--archive: two members would be named '{name}' ({path})")
        if "\n" in name or "\\" in name:
            raise HotpassError(f"--archive: {path}: file name cannot be listed in {CHECKSUMS}")
        members[name] = path
    return dict(sorted(members.items()))


def _file_entry(key: str, label: str, path: Path) -> dict[str, str | int]:
    return {key: label, "sha256": sha256_file(path), "bytes": Path(path).stat().st_size}


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()
