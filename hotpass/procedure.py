"""Procedures: prepare -> plan -> apply -> verify, every step recorded as evidence.

Contract: subclass ``Procedure`` and give it a ``name`` and four methods, then call
``run(procedure, dry_run=...)``:

- ``prepare(ev)`` validates every input before anything else (raise ``HotpassError``);
- ``plan(ev) -> list[Change]`` reads the live state and says what would change
  (``Change(target, action, detail)``; ``action="unchanged"`` for nothing to do). Reads
  only: it runs under ``--dry-run`` too;
- ``apply(changes, ev)`` makes the changes that are not ``unchanged``;
- ``verify(changes, ev) -> list[str]`` re-reads the live state and returns every
  difference from the plan's intent; any difference fails the run;
- ``result(ev)`` (optional) is what the run produced for its caller (the entry written,
  the fixes applied, the summary): ``run`` returns it as ``Outcome.result`` (under
  dry-run after the plan), and a failure raises ``ProcedureFailed`` whose
  ``outcome.result`` holds it too (``None`` if ``result`` cannot run then). Callers read the outcome, never attributes the
  procedure kept on itself.

``run`` records each phase (and each command a procedure runs through ``hotpass.shell``
or ``ev.step``) into an ``Evidence`` record: the call, its status (``ok``, ``failed`` or
``not run``), exit code, output (redacted) and duration. With ``dry_run`` it stops after
the plan: every pending change and the verify are recorded as ``not run``, and nothing
is written, not even the record. Otherwise the record is written as an evidence bundle
(``hotpass.evidence``: ``record.json``, ``cli.sh``, ``cli.log``, ``summary.json``,
``manifest.json``, validated against ``evidence/*.schema.json``) at
``<evidence root>/<name>-<UTC timestamp>/`` (root: ``HOTPASS_EVIDENCE_DIR``, default
``dist/evidence``; inside ``children/`` of an open ``hotpass.evidence.Bundle``, which
links it), also when the run fails after ``prepare`` (bad input that ``prepare``
rejects leaves nothing behind). A failure re-raises as ``HotpassError`` naming the
bundle. ``Evidence`` is the record; ``hotpass.evidence.Bundle`` is the same record with
its directory open from the start (for captured files).

Pitfalls: output and calls pass through ``hotpass.redact`` but secrets belong in the
environment, never in a call string. ``ev.echo`` prints progress; pass ``echo=`` to send
it elsewhere (stderr under ``--json``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.redact import redact, redact_data

SCHEMA = "hotpass/procedure-record/1"
NOT_RUN = "not run"
OUTPUT_LIMIT = 4000  # characters of output kept per step (the tail)


@dataclass
class Change:
    """One thing the plan would change: ``action`` is e.g. create/update/start/stop."""

    target: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.action != "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Step:
    phase: str
    call: str
    status: str = "ok"  # ok | failed | not run
    exit_code: int | None = None
    output: str = ""
    duration_s: float = 0.0


@dataclass
class Transcript:
    """A step with its whole (redacted) output; ``command`` steps replay from ``cli.sh``."""

    step: Step
    output: str
    command: bool
    at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Evidence:
    """The record of one procedure run; ``run`` creates it, procedures add steps."""

    def __init__(self, procedure: str, *, dry_run: bool = False, root: Path | None = None,
                 echo: Callable[[str], None] | None = None) -> None:
        self.procedure = procedure
        self.dry_run = dry_run
        self.root = root
        self.echo = echo or (lambda line: print(line, flush=True))
        self.phase = "prepare"
        self.steps: list[Step] = []
        self.plan: list[Change] = []
        self.differences: list[str] = []
        self.status = "running"
        self.error: str | None = None
        self.started_at = _now()
        self.finished_at: str | None = None
        self.transcript: list[Transcript] = []  # every step's whole output, for cli.log
        self.directory: Path | None = None  # the bundle's, chosen when the run starts

    def record(self, call: str, *, status: str = "ok", exit_code: int | None = None,
               output: str = "", duration_s: float = 0.0, phase: str | None = None,
               command: bool = False) -> Step:
        """Add one step; ``command=True`` marks a shell command (it goes into ``cli.sh``)."""
        step = Step(phase or self.phase, redact(call), status, exit_code,
                    redact(output)[-OUTPUT_LIMIT:], round(duration_s, 3))
        self.steps.append(step)
        self.transcript.append(Transcript(step, redact(output), command, _now()))
        return step

    def not_run(self, call: str, phase: str | None = None) -> Step:
        return self.record(call, status=NOT_RUN, phase=phase)

    @contextlib.contextmanager
    def step(self, call: str) -> Iterator[Step]:
        """Time the block as one step: ``failed`` (with the error) if it raises."""
        step = self.record(call)
        started = time.monotonic()
        try:
            yield step
        except BaseException as exc:
            step.status = "failed"
            message = exc.message if isinstance(exc, HotpassError) else repr(exc)
            step.output = redact(step.output + ("\n" if step.output else "") + message)
            step.exit_code = step.exit_code or getattr(exc, "exit_code", None)
            raise
        finally:
            step.duration_s = round(time.monotonic() - started, 3)
            step.output = redact(step.output)[-OUTPUT_LIMIT:]

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, redacted (plan details included)."""
        return redact_data(json.loads(json.dumps(self._raw(), default=str)))

    def _raw(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "procedure": self.procedure, "dry_run": self.dry_run,
                "status": self.status, "error": self.error, "started_at": self.started_at,
                "finished_at": self.finished_at,
                "plan": [change.to_dict() for change in self.plan],
                "steps": [asdict(step) for step in self.steps],
                "differences": self.differences}

    def write(self) -> Path | None:
        """Write the evidence bundle (never under dry-run); returns its directory."""
        if self.dry_run:
            return None
        from hotpass.evidence.record import write_record

        return write_record(self)


class Procedure:
    """Base class: override ``prepare`` (optional), ``plan``, ``apply`` and ``verify``."""

    name = "procedure"

    def prepare(self, ev: Evidence) -> None:
        return None

    def plan(self, ev: Evidence) -> list[Change]:
        raise NotImplementedError

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        raise NotImplementedError

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        raise NotImplementedError

    def result(self, ev: Evidence) -> Any:
        """What the run hands its caller as ``Outcome.result`` (default: nothing)."""
        return None


@dataclass
class Outcome:
    changes: list[Change]
    evidence: Evidence
    bundle: Path | None
    result: Any = None  # ``procedure.result(ev)``

    @property
    def pending(self) -> list[Change]:
        return [change for change in self.changes if change.pending]


class ProcedureFailed(HotpassError):
    """A procedure run that failed; ``outcome`` is what it did before (its bundle and
    ``outcome.result``)."""

    def __init__(self, message: str, exit_code: int, outcome: Outcome) -> None:
        super().__init__(message, exit_code)
        self.outcome = outcome


def run(procedure: Procedure, *, dry_run: bool = False, evidence_root: Path | None = None,
        echo: Callable[[str], None] | None = None) -> Outcome:
    """Prepare, plan, then (unless ``dry_run``) apply and verify; always record."""
    from hotpass.evidence.record import as_parent

    name = procedure.name
    ev = Evidence(name, dry_run=dry_run, root=evidence_root, echo=echo)
    with as_parent(ev):
        return _run(procedure, ev)


def _run(procedure: Procedure, ev: Evidence) -> Outcome:
    name, dry_run = procedure.name, ev.dry_run
    try:
        with ev.step(f"{name}.prepare"):
            procedure.prepare(ev)
        ev.phase = "plan"
        with ev.step(f"{name}.plan"):
            ev.plan = list(procedure.plan(ev))
        pending = [change for change in ev.plan if change.pending]
        if dry_run:
            for change in pending:
                ev.not_run(f"{change.action} {change.target}", phase="apply")
            ev.not_run(f"{name}.verify", phase="verify")
            ev.status = "planned"
        else:
            ev.phase = "apply"
            if pending:
                with ev.step(f"{name}.apply"):
                    procedure.apply(pending, ev)
            else:
                ev.record(f"{name}.apply", status=NOT_RUN, output="nothing to change")
            ev.phase = "verify"
            with ev.step(f"{name}.verify") as step:
                ev.differences = [redact(d) for d in procedure.verify(ev.plan, ev)]
                if ev.differences:
                    step.status = "failed"
            if ev.differences:
                raise HotpassError(f"{name}: verify found the live state differs from the "
                                   f"plan: {'; '.join(ev.differences)}", exit_code=1)
            ev.status = "ok"
    except BaseException as exc:
        ev.status = "failed"
        ev.error = redact(exc.message if isinstance(exc, HotpassError) else repr(exc))
        ev.finished_at = _now()
        bundle = _write_quietly(ev) if ev.phase != "prepare" else None
        if isinstance(exc, HotpassError):
            outcome = Outcome(ev.plan, ev, bundle, _result_after_failure(procedure, ev))
            where = f" (evidence {bundle})" if bundle is not None else ""
            raise ProcedureFailed(exc.message + where, exc.exit_code, outcome) from None
        raise
    ev.finished_at = _now()
    return Outcome(ev.plan, ev, ev.write(), procedure.result(ev))


def _result_after_failure(procedure: Procedure, ev: Evidence) -> Any:
    try:
        return procedure.result(ev)
    except Exception:  # the run's own failure is the one to report
        return None


def _write_quietly(ev: Evidence) -> Path | None:
    try:
        return ev.write()
    except OSError as exc:  # the original failure matters more than the record
        print(f"note: could not write the evidence for {ev.procedure}: {exc}",
              file=sys.stderr)
        return None


def plan_lines(changes: list[Change], *, dry_run: bool) -> list[str]:
    """One line per change: ``target: action (would|done)  key=value, ...``."""
    verb = "would" if dry_run else "done"
    lines = []
    for change in changes:
        line = f"{change.target}: {change.action}" + (f" ({verb})" if change.pending else "")
        details = ", ".join(f"{key}={json.dumps(value, default=str)}"
                            for key, value in change.detail.items())
        lines.append(redact(line + (f"  {details}" if details else "")))
    return lines
