"""Writing a procedure's record as an evidence bundle, and where each bundle goes.

Contract: ``seal(ev, directory, details, verdict)`` writes ``summary.json``,
``record.json``, ``cli.sh``, ``cli.log`` and, last, ``manifest.json``, then verifies the
whole bundle (schemas, checksums) and appends one line to ``Next_Steps_Log.md``.
``write_record`` is what ``Evidence.write`` calls. ``as_parent(ev)`` makes ``ev`` the open
parent while a block runs: ``plan_directory`` then puts every procedure started inside
into the parent's ``children/`` (``hotpass.procedure.run`` wraps each run in it; a
``Bundle`` used as ``with bundle:`` is an open parent too).

Pitfalls: every file but the manifest passes through ``scrub`` before it is written; the
manifest is built from the files as written, so it is last.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hotpass.evidence import catalog, manifest
from hotpass.evidence.scrub import scrub
from hotpass.fileio import atomic_write_bytes
from hotpass.procedure import NOT_RUN, Evidence
from hotpass.redact import redact, redact_data

SUMMARY_SCHEMA = "hotpass/evidence-summary/1"
OPEN_PARENT: contextvars.ContextVar[Evidence | None] = contextvars.ContextVar(
    "hotpass_evidence_parent", default=None)


def stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def plan_directory(ev: Evidence) -> Path:
    """Where ``ev``'s bundle goes: ``children/`` of the open parent, else its root."""
    parent = OPEN_PARENT.get()
    name = f"{ev.procedure}-{stamp()}"
    if parent is not None and not parent.dry_run:
        return parent.directory / "children" / name
    root = ev.root
    if root is None:
        from hotpass.front_door import installed

        root = installed().evidence_dir
    return Path(root) / name


@contextlib.contextmanager
def as_parent(ev: Evidence) -> Iterator[None]:
    """While the block runs, procedures started in it write into ``ev``'s bundle's
    ``children/`` (``hotpass.procedure.run`` wraps every run in this)."""
    if ev.dry_run:
        yield
        return
    ev.directory = plan_directory(ev)
    token = OPEN_PARENT.set(ev)
    try:
        yield
    finally:
        OPEN_PARENT.reset(token)


def write_record(ev: Evidence) -> Path:
    """Write a plain ``Evidence`` (``hotpass.procedure.run``) as a bundle."""
    directory = ev.directory or plan_directory(ev)
    verdict = "pass" if ev.status == "ok" else "fail"
    details = {"status": ev.status,
               "changes": sum(1 for change in ev.plan if change.pending),
               **getattr(ev, "summary_details", {})}  # a procedure's own summary fields
    return seal(ev, directory, details, verdict, reason=ev.error, bundle_id=directory.name)


def seal(ev: Evidence, directory: Path, details: Mapping[str, Any], verdict: str, *,
         reason: str | None = None, bundle_id: str | None = None,
         note: str | None = None) -> Path:
    """Write summary, record, cli.sh, cli.log and the manifest; verify; log the line."""
    from hotpass import paths

    ev.finished_at = ev.finished_at or now()
    bundle_id = bundle_id or getattr(ev, "id", directory.name)
    owner = getattr(ev, "owner", None) or catalog.default_owner()
    directory.mkdir(parents=True, exist_ok=True)
    children = [manifest.child_link(directory, child)
                for child in [*manifest.nested_bundles(directory), *getattr(ev, "links", [])]]
    summary = {**redact_data(dict(details)), "schema": SUMMARY_SCHEMA,
               "procedure": ev.procedure, "id": bundle_id, "verdict": verdict,
               "reason": redact(reason) if reason else (None if verdict == "pass"
                                                         else "failed"),
               "owner": owner, "started_at": ev.started_at, "finished_at": ev.finished_at,
               "children": children}
    atomic_write_bytes(directory / "summary.json", scrub(json_text(summary)).encode())
    atomic_write_bytes(directory / "record.json", scrub(json_text(ev.to_dict())).encode())
    atomic_write_bytes(directory / "cli.sh", scrub(_cli_sh(ev, bundle_id)).encode())
    (directory / "cli.sh").chmod(0o755)
    atomic_write_bytes(directory / "cli.log", scrub(_cli_log(ev)).encode())
    document = manifest.build(directory, procedure=ev.procedure, bundle_id=bundle_id,
                              verdict=verdict, owner=owner, started_at=ev.started_at,
                              finished_at=ev.finished_at, children=children,
                              source_root=paths.SOURCE_ROOT)
    atomic_write_bytes(directory / "manifest.json", json_text(document).encode())
    manifest.verify(directory)
    if hasattr(ev, "sealed"):  # a Bundle: an error after this point must not finish it again
        ev.sealed = True
    catalog.append_log(ev.procedure, bundle_id, verdict, directory, owner,
                       note=scrub(reason or "failed") if verdict != "pass" else
                       (scrub(note) if note else None))
    return directory


def _cli_sh(ev: Evidence, bundle_id: str) -> str:
    lines = ["#!/usr/bin/env bash",
             f"# Evidence bundle {bundle_id} ({ev.procedure}), started {ev.started_at}.",
             "# Every command in the order it ran, each followed by its exit status.",
             "# Secrets were never recorded: export them before replaying."]
    for entry in ev.transcript:
        if not entry.command:
            continue
        step = entry.step
        if step.status == NOT_RUN:
            why = (entry.output or step.output or "dry-run").splitlines()[0]
            lines.append(f"# not run ({why}): {step.call}")
        else:
            lines += [step.call, f"# exit {step.exit_code}"]
    return "\n".join(lines) + "\n"


def _cli_log(ev: Evidence) -> str:
    blocks = []
    for entry in ev.transcript:
        step = entry.step
        prefix = "$ " if entry.command else "# "
        status = step.status if step.exit_code is None else f"exit {step.exit_code}"
        output = (entry.output or step.output).rstrip()
        blocks.append(f"[{entry.at}] {prefix}{step.call}\n"
                      + (output + "\n" if output else "")
                      + f"[{status}, {step.duration_s} s]\n")
    return "\n".join(blocks)


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
