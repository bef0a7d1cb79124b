"""The one task adapter: how every ``ops/`` task declares itself, runs shell steps and
calls the library.

Contract:

- ``@task(help={...})`` is ``invoke.task`` that insists on ``help=`` for every argument
  (no ``**kwargs``) and turns a ``HotpassError`` (or an ``OSError``) raised by the body
  into ``invoke.Exit(message, code)``: one line on stderr, no traceback. A value of the
  wrong type (``--rows abc``) is a one-line parse error too.
- ``is_dry(c, dry_run)``: the task's ``--dry-run`` or Invoke's global ``--dry``
  (``c.config.run.dry``). Pass it to every library call that could write.
- ``run(c, ["ruff", "check"], dry_run=..., env=..., ev=...)`` is the one way a task runs
  a shell step: ``hotpass.shell.run`` (the library's one runner) in its ``stream`` mode.
  It echoes ``$ command`` once (``[dry-run] $ command`` under either dry flag, and then
  does not run it), shows the program's output as it comes (redacted), records the step
  into ``ev`` (a ``hotpass.procedure.Evidence``, optional: exit code, output, duration, or
  ``not run``) and turns a non-zero exit into
  ``HotpassError("step failed (exit N): command", N)``.
- ``hotpass(c, ["deploy", "--flow", "x"], dry_run=...)`` runs one ``hotpass`` command as
  a step (the tasks that front a CLI procedure: deploy, doctor, setup, net, ctx,
  credentials); the task's ``--dry-run`` is passed on as the command's ``--dry-run``.
- ``procedure(c, proc, dry_run=...)`` runs a ``hotpass.procedure.Procedure``, prints its
  plan (``target: action (would|done)``) and where the evidence went.
- ``settings()`` is the tasks' ``HotpassSettings``, loaded once per process (the task
  front door's one ``settings.load()``); pass it to library calls. ``echo(line)`` prints
  one line through ``hotpass.redact``.

Pitfalls: a task never calls Invoke's ``c.run``: ``--dry`` reaches the runner through
``is_dry``, and a task that writes from Python must check ``is_dry`` itself
(``procedure`` does). Secrets go in ``env``, never in the command: the echo and the
evidence show the command (redacted).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

from invoke import Argument, Context, Exit, ParseError, Task
from invoke import task as invoke_task

from hotpass.errors import HotpassError
from hotpass.redact import redact


class CheckedArgument(Argument):
    """An argument whose bad value (``--rows abc``) is a one-line parse error."""

    def set_value(self, value: Any, cast: bool = True) -> None:
        try:
            super().set_value(value, cast)
        except (TypeError, ValueError):
            kind = getattr(self.kind, "__name__", str(self.kind))
            raise ParseError(f"--{self.name.replace('_', '-')}: {value!r} is not "
                             f"a valid {kind}") from None


class AdaptedTask(Task):
    """An Invoke task whose expected failures end as one line and an exit code."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = super().get_arguments(ignore_unknown_help)
        for argument in arguments:
            argument.__class__ = CheckedArgument
        return arguments

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from hotpass.front_door import install

        install(settings)  # where this task's evidence goes
        try:
            return super().__call__(*args, **kwargs)
        except HotpassError as exc:
            raise Exit(redact(exc.message), code=exc.exit_code) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise Exit(f"{self.name}: {exc.strerror or exc}{where}", code=1) from None


def task(*args: Any, **kwargs: Any) -> Any:
    """``invoke.task`` with the adapter's error handling; every argument needs help."""
    kwargs.setdefault("klass", AdaptedTask)

    def decorate(body: Any) -> Any:
        names = list(inspect.signature(body).parameters)[1:]
        missing = [n for n in names if n not in kwargs.get("help", {})]
        if missing or any(p.kind is p.VAR_KEYWORD
                          for p in inspect.signature(body).parameters.values()):
            raise TypeError(f"task {body.__name__}: needs help= for {missing} and no **kwargs")
        return invoke_task(body, **kwargs)

    if len(args) == 1 and callable(args[0]):
        return decorate(args[0])
    return decorate


@functools.cache
def settings() -> Any:
    """The ``HotpassSettings`` every task of this process passes down (loaded once)."""
    from hotpass.settings import load

    return load()


def echo(line: str) -> None:
    """Print one line with credentials redacted."""
    print(redact(line), flush=True)


def is_dry(c: Context, dry_run: bool = False) -> bool:
    """True under the task's ``--dry-run`` or Invoke's global ``--dry``."""
    return bool(dry_run or c.config.run.dry)


def run(c: Context, command: Sequence[str], *, dry_run: bool = False,
        env: dict[str, str] | None = None, ev: Any = None) -> str:
    """Echo, run (unless dry) and record one shell step; returns its stdout (``""``
    under a dry flag). See the module contract."""
    from hotpass import shell

    return shell.run(command, ev=ev, dry_run=is_dry(c, dry_run), env=env, stream=True)


def hotpass(c: Context, words: list[str], *, dry_run: bool = False,
            dry_flag: bool = True) -> Any:
    """Run one ``hotpass`` command as a shell step: the task's ``--dry-run`` becomes the
    command's own ``--dry-run`` (``dry_flag``), which shows the plan and writes nothing;
    under Invoke's global ``--dry`` the command is only echoed."""
    if dry_run and dry_flag:
        words = [*words, "--dry-run"]
    return run(c, ["hotpass", *words])


def procedure(c: Context, proc: Any, *, dry_run: bool = False) -> Any:
    """Run ``proc`` through ``hotpass.procedure.run``; print its plan and evidence."""
    from hotpass.procedure import plan_lines
    from hotpass.procedure import run as run_procedure

    dry = is_dry(c, dry_run)
    outcome = run_procedure(proc, dry_run=dry)
    for line in plan_lines(outcome.changes, dry_run=dry):
        print(("[dry-run] " if dry else "") + line)
    if outcome.bundle is not None:
        print(f"evidence: {outcome.bundle}")
    return outcome
