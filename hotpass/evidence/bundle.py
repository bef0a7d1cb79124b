"""One evidence bundle: a procedure's record written as a directory that proves what ran.

Contract: ``Bundle`` is a ``hotpass.procedure.Evidence`` (the same record: steps, plan,
status) whose directory exists from the start, so a procedure can put files in it while
it runs. ``Bundle.create(root, procedure, id)`` makes ``root/id`` (``id`` defaults to
``<procedure>-<UTC stamp>``; it must be a plain name); ``run(argv)`` runs one command and
records it (``cli.sh`` line + exit status, ``cli.log`` transcript, a step); ``capture``
copies a file or folder in; ``write_json``/``write_text`` add a file; ``link`` names a
child bundle kept elsewhere; ``finish(summary, verdict)`` seals it (``record.seal``). Used as
``with bundle:`` it is the open parent: every ``hotpass.procedure.run`` inside writes its
record into ``children/`` and is linked (a running procedure is an open parent too, so a
procedure that runs procedures links them), and an exception finishes the bundle with
verdict ``fail`` (and ``bundle.summary``, the figures gathered so far) before it
propagates, so a bundle is written in every case.

Pitfalls: every text written passes through ``scrub`` (``hotpass.redact`` and the
values of secret-named environment variables, ``scrub.py``). ``capture(...,
verbatim=True)`` copies bytes as they are (inputs a replay must read unchanged): use it
only for data, never logs. Under dry-run nothing is created: commands are ``not run``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.evidence import catalog
from hotpass.evidence.record import OPEN_PARENT, json_text, seal, stamp
from hotpass.evidence.scrub import scrub, scrub_bytes
from hotpass.fileio import atomic_write_bytes
from hotpass.procedure import NOT_RUN, Evidence
from hotpass.redact import redact


@dataclass
class Result:
    """What ``Bundle.run`` saw: ``exit_code`` is None when the command was not run."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0



class Bundle(Evidence):
    """A procedure's record with its directory; see the module contract."""

    def __init__(self, directory: Path, procedure: str, bundle_id: str, *,
                 owner: str | None = None, dry_run: bool = False, echo: Any = None) -> None:
        super().__init__(procedure, dry_run=dry_run, root=directory.parent, echo=echo)
        self.directory = directory
        self.id = bundle_id
        self.owner = owner
        self.phase = "apply"
        self.links: list[Path] = []
        self.summary: dict[str, Any] = {}  # what a run cut short by an error still records
        self._token: Any = None
        self.sealed = False

    @classmethod
    def create(cls, root: Path | str, procedure: str, bundle_id: str | None = None, *,
               owner: str | None = None, dry_run: bool = False, echo: Any = None) -> Bundle:
        bundle_id = bundle_id or f"{procedure}-{stamp()}"
        catalog.check_name(bundle_id, "bundle id")
        directory = Path(root) / bundle_id
        if not dry_run:
            if directory.exists() and any(directory.iterdir()):
                raise HotpassError(f"{directory}: a bundle is already there; move it away or "
                                   "choose another id")
            directory.mkdir(parents=True, exist_ok=True)
        return cls(directory, procedure, bundle_id, owner=owner, dry_run=dry_run, echo=echo)

    def __enter__(self) -> Bundle:
        self._token = OPEN_PARENT.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        if self._token is not None:
            OPEN_PARENT.reset(self._token)
            self._token = None
        if exc is not None and not self.sealed and not self.dry_run:
            reason = exc.message if isinstance(exc, HotpassError) else repr(exc)
            self.status, self.error = "failed", redact(reason)
            try:
                self.finish(self.summary, "fail", reason=reason)
            except (HotpassError, OSError) as problem:  # the original error matters more
                message = problem.message if isinstance(problem, HotpassError) else problem
                print(f"note: the bundle {self.directory} is incomplete: {message}",
                      file=sys.stderr)

    def path(self, name: str) -> Path:
        """``name`` inside the bundle (a relative path that stays inside)."""
        target = (self.directory / name).resolve()
        if not target.is_relative_to(self.directory.resolve()) or target == self.directory:
            raise HotpassError(f"{name}: not a path inside the bundle {self.directory}")
        return target

    def run(self, command: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: Path | str | None = None, timeout: float | None = None,
            stdout_to: str | None = None, mutates: bool = True) -> Result:
        """Run ``command`` and record it; never raises for its exit status.

        ``env`` is added to the current environment (never written anywhere); ``stdout_to``
        saves stdout (redacted) as that file of the bundle; ``mutates=False`` runs it under
        dry-run too (a read).
        """
        words = [str(word) for word in command]
        line = shlex.join(words)
        if cwd is not None:
            line = f"(cd {shlex.quote(str(cwd))} && {line})"
        if self.dry_run and mutates:
            self.echo(f"[dry-run] $ {redact(line)}")
            self.record(line, status=NOT_RUN, command=True)
            return Result(None)
        self.echo(f"$ {redact(line)}")
        started = time.monotonic()
        try:
            done = subprocess.run(words, env={**os.environ, **(env or {})}, cwd=cwd,
                                  capture_output=True, text=True, errors="replace",
                                  timeout=timeout, stdin=subprocess.DEVNULL)
            result = Result(done.returncode, done.stdout, done.stderr)
        except FileNotFoundError:
            result = Result(127, "", f"{words[0]}: not found on PATH")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
            result = Result(124, out, f"timed out after {timeout} s")
        self.record(line, status="ok" if result.ok else "failed", exit_code=result.exit_code,
                    output="\n".join(p.rstrip("\n") for p in (result.stdout, result.stderr)
                                      if p),
                    duration_s=time.monotonic() - started, command=True)
        if stdout_to and not self.dry_run:
            self.write_text(stdout_to, result.stdout)
        return result

    def capture(self, source: Path | str, name: str | None = None, *,
                verbatim: bool = False) -> Path | None:
        """Copy a file or folder into the bundle (as ``name``, default its file name).

        A folder's hidden entries (``.refined.runs``) are left out; a symlink is copied as
        the file it points to."""
        source = Path(source)
        target_name = name or source.name
        if self.dry_run:
            self.record(f"capture {source} -> {target_name}", status=NOT_RUN)
            return None
        if not source.exists():
            raise HotpassError(f"{source}: no such file or folder to capture")
        with self.step(f"capture {source} -> {target_name}") as step:
            target = self.path(target_name)
            files = sorted(p for p in source.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(source).parts)) \
                if source.is_dir() else [source]
            for file in files:
                destination = target / file.relative_to(source) if source.is_dir() else target
                destination.parent.mkdir(parents=True, exist_ok=True)
                if verbatim:
                    shutil.copyfile(file, destination)
                else:
                    atomic_write_bytes(destination, scrub_bytes(file.read_bytes()))
            step.output = f"{len(files)} file(s)"
        return target

    def write_text(self, name: str, text: str) -> Path | None:
        if self.dry_run:
            return None
        target = self.path(name)
        atomic_write_bytes(target, scrub(text).encode("utf-8"))
        return target

    def write_json(self, name: str, data: Any) -> Path | None:
        return self.write_text(name, json_text(data))

    def link(self, child: Path | str) -> None:
        """Name a child bundle kept outside this one; nested ones are found on finish."""
        self.links.append(Path(child))

    def finish(self, summary: Mapping[str, Any], verdict: str, *, reason: str | None = None,
               note: str | None = None) -> Path | None:
        """Seal the bundle with ``summary`` (procedure-specific fields) and ``verdict``;
        ``note`` goes into the log row (a failure's row carries its ``reason``)."""
        if self.dry_run:
            return None
        if self.status == "running":
            self.status = "ok" if verdict == "pass" else "failed"
            if verdict != "pass":
                self.error = redact(reason or "failed")
        return seal(self, self.directory, summary, verdict, reason=reason, note=note)
