"""A bundle's manifest and its verification: every file with size and sha256, schemas.

Contract: ``build(directory, ...)`` lists every file of the bundle except ``manifest.json``
and the files of nested bundles (a sub-folder holding its own ``manifest.json`` is a child
bundle, linked in ``children`` with its manifest's sha256). ``problems(directory)``
returns every mismatch, each naming the file: a file missing, changed (size or sha256) or
not in the manifest; a child missing or changed; ``manifest.json``, ``summary.json`` and
``record.json`` not valid against ``evidence/*.schema.json`` (``summary.json`` against
``evidence/summaries/<procedure>.schema.json`` when that exists, else the common
``summary.schema.json``); children and nested bundles are checked the same way.
``verify(directory)`` raises ``HotpassError`` listing them, or returns the manifest.

Pitfalls: ``jsonschema`` is imported on first use (not at ``--help``). A child linked
from outside the bundle is verified where it is, so an exported copy checks it only when
it travels along.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hotpass import __version__, paths
from hotpass.errors import HotpassError
from hotpass.fileio import sha256_file

SCHEMA = "hotpass/evidence-manifest/1"
MANIFEST = "manifest.json"
REQUIRED = ("summary.json", "record.json", "cli.sh", "cli.log")


def nested_bundles(directory: Path) -> list[Path]:
    """Sub-folders holding their own manifest, outermost only, sorted."""
    found: list[Path] = []
    for root, folders, _files in os.walk(directory):
        folders.sort()
        for folder in list(folders):
            if (Path(root) / folder / MANIFEST).is_file():
                found.append(Path(root) / folder)
                folders.remove(folder)
    return found


def _files(directory: Path) -> Iterator[Path]:
    nested = set(nested_bundles(directory))
    for root, folders, files in os.walk(directory):
        folders[:] = sorted(f for f in folders if Path(root) / f not in nested)
        for name in sorted(files):
            path = Path(root) / name
            if path.parent != directory or name != MANIFEST:
                yield path


def child_link(directory: Path, child: Path) -> dict[str, Any]:
    child_manifest = json.loads((child / MANIFEST).read_text(encoding="utf-8"))
    return {"path": os.path.relpath(child, directory), "procedure": child_manifest["procedure"],
            "verdict": child_manifest["verdict"],
            "manifest_sha256": sha256_file(child / MANIFEST)}


def git_commit(source_root: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(source_root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None


def build(directory: Path, *, procedure: str, bundle_id: str, verdict: str,
          owner: str | None, started_at: str, finished_at: str,
          children: list[dict[str, Any]], source_root: Path) -> dict[str, Any]:
    files = [{"path": path.relative_to(directory).as_posix(), "size": path.stat().st_size,
              "sha256": sha256_file(path)} for path in _files(directory)]
    return {"schema": SCHEMA, "procedure": procedure, "id": bundle_id, "verdict": verdict,
            "owner": owner, "git_commit": git_commit(source_root),
            "hotpass_version": __version__, "started_at": started_at,
            "finished_at": finished_at, "files": files, "children": children}


@functools.cache
def _registry() -> Any:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(paths.EVIDENCE_SCHEMA_DIR.rglob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((paths.EVIDENCE_SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry())


def summary_schema_name(procedure: str) -> str:
    specific = Path("summaries") / f"{procedure}.schema.json"
    return specific.as_posix() if (paths.EVIDENCE_SCHEMA_DIR / specific).is_file() \
        else "summary.schema.json"


def schema_problems(path: Path, schema_name: str) -> list[str]:
    """``path`` checked against ``evidence/<schema_name>``: one line per error."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: not readable JSON ({exc})"]
    errors = sorted(_validator(schema_name).iter_errors(document), key=lambda e: e.path)
    return [f"{path}: {'/'.join(map(str, error.path)) or '(top)'}: {error.message} "
            f"(evidence/{schema_name})" for error in errors]


def problems(directory: Path | str, *, _seen: frozenset[Path] = frozenset()) -> list[str]:
    """Every mismatch in the bundle at ``directory`` (see the module contract)."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        return [f"{manifest_path}: missing (not an evidence bundle?)"]
    found = schema_problems(manifest_path, "manifest.schema.json")
    if found:
        return found
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    listed = {entry["path"]: entry for entry in document["files"]}
    for name, entry in listed.items():
        path = directory / name
        if not path.is_file():
            found.append(f"{path}: missing (listed in the manifest)")
        elif path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            found.append(f"{path}: differs from the manifest (size or sha256)")
    for path in _files(directory):
        if path.relative_to(directory).as_posix() not in listed:
            found.append(f"{path}: not in the manifest")
    found += [f"{directory / name}: missing (every bundle has it)"
              for name in REQUIRED if name not in listed]
    if "summary.json" in listed and (directory / "summary.json").is_file():
        found += schema_problems(directory / "summary.json",
                                 summary_schema_name(document["procedure"]))
    if "record.json" in listed and (directory / "record.json").is_file():
        found += schema_problems(directory / "record.json", "procedure-record.schema.json")
    seen = _seen | {directory.resolve()}
    linked = set()
    for child in document["children"]:
        path = (directory / child["path"]).resolve()
        linked.add(path)
        if not (path / MANIFEST).is_file():
            found.append(f"{path / MANIFEST}: missing (a child of {manifest_path})")
        elif sha256_file(path / MANIFEST) != child["manifest_sha256"]:
            found.append(f"{path / MANIFEST}: differs from the link in {manifest_path}")
        elif path not in seen:
            found += problems(path, _seen=seen)
    for nested in nested_bundles(directory):
        if nested.resolve() not in linked:
            found += problems(nested, _seen=seen)
    return found


def verify(directory: Path | str) -> dict[str, Any]:
    """The bundle's manifest, or ``HotpassError`` listing every problem (exit 1)."""
    found = problems(directory)
    if found:
        more = f" (and {len(found) - 1} more: {'; '.join(found[1:])})" if len(found) > 1 else ""
        raise HotpassError(f"evidence: {found[0]}{more}", exit_code=1)
    return json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
