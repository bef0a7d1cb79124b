"""The one way a task runs a shell step.

Contract: ``run_step(c, command, dry_run=..., evidence=...)`` echoes the command, skips
it under ``--dry-run`` (and under Invoke's global ``--dry``), records it into the evidence
bundle when one is given, and turns a failure into ``invoke.Exit`` with a one-line
message and the command's exit code. Secrets never go through here as literal text:
pass them in ``env`` so they stay out of the echo and the record.

Pitfalls: ``evidence`` is any object with ``record_command(command, exit_code)``; the
evidence bundle itself lives in ``hotpass`` (later procedures), so this helper takes it
as a parameter instead of importing it.
"""

from __future__ import annotations

from typing import Protocol

from invoke import Context, Exit


class CommandRecorder(Protocol):
    def record_command(self, command: str, exit_code: int | None) -> None: ...


def run_step(c: Context, command: str, *, dry_run: bool = False, env: dict | None = None,
             evidence: CommandRecorder | None = None, warn_only: bool = False):
    prefix = "[dry-run] " if dry_run else ""
    print(f"{prefix}$ {command}", flush=True)
    if dry_run:
        if evidence is not None:
            evidence.record_command(command, None)
        return None
    result = c.run(command, env=env or {}, warn=True, pty=False)
    exit_code = None if result is None else result.exited  # None under invoke --dry
    if evidence is not None:
        evidence.record_command(command, exit_code)
    if exit_code and not warn_only:
        raise Exit(f"step failed (exit {exit_code}): {command}", code=exit_code)
    return result
