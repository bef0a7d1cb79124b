"""The rehearsal's evidence bundle: captured files, ``cli.sh``, ``cli.log``, ``summary.json``
and ``manifest.json`` in one directory.

Contract: ``Bundle(directory, procedure)`` collects in memory; ``command(words, ev=...)``
runs one program through ``hotpass.shell`` (recorded into the procedure's evidence too),
keeps its full transcript for ``cli.log`` and its line plus ``# exit N`` for ``cli.sh``,
and returns ``(exit code, stdout)``; it never raises on a non-zero exit, so every
command's outcome lands in the bundle. ``add_json`` / ``add_bytes`` / ``add_text`` keep a
captured file. ``write(summary, schema)`` redacts every text file, validates the summary
against ``evidence/<schema>``, writes each file atomically, then ``manifest.json``
(every file's size and sha256, git commit, hotpass version, start and end) last.
``verify(directory)`` recomputes every checksum and validates the manifest and summary
against their schemas; it returns the problems, each naming the file.

Pitfalls: a file that appears after ``write`` is not in the manifest and ``verify``
names it. Binary files (the screenshot) are not redacted: never capture secrets in one.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_bytes, atomic_write_text, sha256_file
from hotpass.paths import EVIDENCE_SCHEMA_DIR, SOURCE_ROOT
from hotpass.procedure import Evidence
from hotpass.redact import redact, redact_data

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "bundle-manifest.schema.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def git_commit() -> str | None:
    from hotpass import shell

    try:
        return shell.run(["git", "-C", str(SOURCE_ROOT), "rev-parse", "HEAD"],
                         mutates=False, timeout=10).strip() or None
    except HotpassError:
        return None


class Bundle:
    def __init__(self, directory: Path, procedure: str) -> None:
        self.directory = Path(directory)
        self.procedure = procedure
        self.started_at = _now()
        self.files: dict[str, bytes] = {}
        self.script: list[str] = ["#!/bin/sh",
                                  f"# {procedure}: every command in order, each followed "
                                  "by its exit status"]
        self.log: list[str] = []

    def command(self, words: Sequence[str], *, ev: Evidence, timeout: float | None = None,
                mutates: bool = False, save_as: str | None = None) -> tuple[int, str]:
        """Run ``words``; record it; never raise on exit status. ``save_as`` keeps stdout."""
        from hotpass import shell

        line = redact(shlex.join(str(w) for w in words))
        before = len(ev.steps)
        try:
            out = shell.run(list(words), ev=ev, mutates=mutates, timeout=timeout,
                            ok_codes=tuple(range(256)))
        except HotpassError as exc:  # not on PATH (127) or timed out (124)
            out = ""
            if len(ev.steps) == before:
                raise
            ev.steps[-1].output = exc.message
        step = ev.steps[-1]
        code = step.exit_code if step.exit_code is not None else 0
        if step.status == "not run":
            return 0, ""
        if code != 0:
            step.status = "failed"
        self.script += [line if save_as is None else f"{line} > {save_as}", f"# exit {code}"]
        shown = step.output if save_as is None or code != 0 else f"(stdout saved as {save_as})"
        self.log += [f"$ {line}", shown.rstrip(), f"# exit {code} ({step.duration_s} s)", ""]
        if save_as is not None:
            self.add_text(save_as, out)
        return code, out

    def note(self, text: str) -> None:
        """A line in ``cli.log`` for something done in-process (no command to replay)."""
        self.log += [f"# {redact(text)}", ""]

    def add_text(self, name: str, text: str) -> None:
        self.files[name] = redact(text).encode()

    def add_json(self, name: str, data: Any) -> None:
        self.add_text(name, json.dumps(redact_data(data), indent=2, sort_keys=True,
                                       default=str) + "\n")

    def add_bytes(self, name: str, data: bytes) -> None:
        self.files[name] = data

    def write(self, summary: dict[str, Any], schema: str) -> Path:
        """Validate the summary, write every file, then the manifest; return the folder."""
        summary = redact_data(json.loads(json.dumps(summary, default=str)))
        validate(summary, schema, "summary.json")
        self.add_json("summary.json", summary)
        self.add_text("cli.sh", "\n".join(self.script) + "\n")
        self.add_text("cli.log", "\n".join(self.log) + "\n")
        for name, data in sorted(self.files.items()):
            atomic_write_bytes(self.directory / name, data)
        from hotpass import __version__

        entries = [{"path": path.relative_to(self.directory).as_posix(),
                    "bytes": path.stat().st_size, "sha256": sha256_file(path)}
                   for path in sorted(self.directory.rglob("*"))
                   if path.is_file() and path.name != MANIFEST]
        manifest = {"schema": "hotpass/evidence-manifest/1", "procedure": self.procedure,
                    "summary_schema": schema, "git_commit": git_commit(),
                    "hotpass_version": __version__, "started_at": self.started_at,
                    "finished_at": _now(), "files": entries}
        validate(manifest, MANIFEST_SCHEMA, MANIFEST)
        atomic_write_text(self.directory / MANIFEST,
                          json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return self.directory


def validate(data: Any, schema: str, what: str) -> None:
    import jsonschema

    try:
        document = json.loads((EVIDENCE_SCHEMA_DIR / schema).read_text(encoding="utf-8"))
        jsonschema.validate(data, document)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(top level)"
        raise HotpassError(f"{what}: does not match evidence/{schema} at {where}: "
                           f"{exc.message}") from None
    except (OSError, ValueError) as exc:
        raise HotpassError(f"evidence/{schema}: unreadable schema ({exc})") from None


def verify(directory: Path) -> list[str]:
    """Every problem with the bundle at ``directory``, each naming the file."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        validate(manifest, MANIFEST_SCHEMA, f"{directory / MANIFEST}")
    except (OSError, ValueError) as exc:
        return [f"{directory / MANIFEST}: unreadable ({exc})"]
    except HotpassError as exc:
        return [exc.message]
    problems = []
    listed = {entry["path"] for entry in manifest["files"]}
    for entry in manifest["files"]:
        path = directory / entry["path"]
        if not path.is_file():
            problems.append(f"{path}: listed in the manifest but missing")
        elif path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            problems.append(f"{path}: size or sha256 differs from the manifest")
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            problems.append(f"{path}: not in the manifest")
    if "summary.json" in listed and (directory / "summary.json").is_file():
        try:
            validate(json.loads((directory / "summary.json").read_text(encoding="utf-8")),
                     manifest["summary_schema"], f"{directory / 'summary.json'}")
        except ValueError as exc:
            problems.append(f"{directory / 'summary.json'}: not JSON ({exc})")
        except HotpassError as exc:
            problems.append(exc.message)
    return problems
