"""The CLI's adapter: the one edge every ``hotpass`` command passes through.

Contract:

- A group made with ``cls=ReportingGroup, error_prefix="hotpass"`` is the error edge.
  Whatever a subcommand raises that a user can act on ends as exactly one line on stderr,
  ``<prefix>: error: <line>``, and an exit code, never a traceback: a ``HotpassError`` (its
  own code), ``Interrupted`` (128 + signal), an ``OSError`` (``<command>: <file>: <reason>``,
  exit 1) and a bad value or unknown flag (click's usage errors, exit 2).
- ``echo``/``echo_json``/``print_outcome`` are the only ways a command prints; every line
  passes through ``hotpass.redact``. ``print_outcome`` is the one procedure printer: the
  plan (``target: action (would|done)``) and where the evidence went, as
  ``ops/adapter.procedure`` prints it for tasks.
- ``settings()`` is the command's ``HotpassSettings``, loaded once per invocation (the
  CLI's one ``settings.load()``) and handed to library calls; options whose default is a
  setting (``SettingsOption``, see ``hotpass.cli.options``) read it from here.

Pitfalls: stdout that cannot be written (``> /dev/full``, a closed pipe) is an ``OSError``
too; the edge then points stdout at ``/dev/null`` so Python's exit flush stays quiet.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from typing import Any

import click

from hotpass.errors import HotpassError, Interrupted
from hotpass.redact import install_log_redaction, redact, redact_data

SETTINGS_KEY = "hotpass.settings"
PROGRAMS_KEY = "hotpass.programs"  # the root group's ``programs`` (hotpass.cli.programs)


class OneLineError(click.ClickException):
    """What the edge raises for click to show: one redacted line, then ``exit_code``."""

    def __init__(self, prefix: str, message: str, exit_code: int) -> None:
        super().__init__(" ".join(message.split()))
        self.prefix = prefix
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(redact(f"{self.prefix}: error: {self.message}"), err=True)


class _Leave(BaseException):
    """``ctx.exit(code)`` on its way to ``ReportingGroup.main`` (click's main in its
    non-standalone mode would return the code, indistinguishable from a result)."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class ReportingGroup(click.Group):
    """A click group whose commands (and nested groups) fail through the one edge."""

    def __init__(self, *args: Any, error_prefix: str = "hotpass", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_prefix = error_prefix

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Click's main, except that a Ctrl-C anywhere in it (click's own context exit
        included, where the edge below cannot see it) is one line and 130, not
        "Aborted!" and 1; a command's return value is never taken for an exit code."""
        if not standalone_mode:  # click's contract: an exit's code is returned
            try:
                return super().main(args, prog_name, complete_var, False, **extra)
            except _Leave as leave:
                return leave.exit_code
        try:
            try:
                super().main(args, prog_name, complete_var, False, **extra)
            except (click.Abort, KeyboardInterrupt):
                raise OneLineError(self.error_prefix, "stopped by SIGINT", 130) from None
        except _Leave as leave:
            _leave(leave.exit_code)
        except click.ClickException as exc:
            exc.show()
            _leave(exc.exit_code)
        _leave(0)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.Exit as exc:  # --help, --version: through click's main
            raise _Leave(exc.exit_code) from None
        except click.UsageError as exc:
            raise self._one_line(exc) from None
        except KeyboardInterrupt:  # Ctrl-C before a command's own handling: not "Aborted!"
            raise OneLineError(self.error_prefix, "stopped by SIGINT", 130) from None

    def invoke(self, ctx: click.Context) -> Any:
        install_log_redaction()
        if ctx.parent is None:  # the root: where this invocation's evidence goes
            from hotpass.front_door import install

            install(lambda: _settings_of(ctx))
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit as exc:  # ctx.exit(code): past click's main to ours
            raise _Leave(exc.exit_code) from None
        except OneLineError:
            raise
        except (HotpassError, Interrupted) as exc:
            raise OneLineError(self.prefix(ctx), exc.message, exc.exit_code) from None
        except KeyboardInterrupt:  # Ctrl-C before a command's own handling: not "Aborted!"
            raise OneLineError(self.prefix(ctx), "stopped by SIGINT", 130) from None
        except click.UsageError as exc:
            raise self._one_line(exc) from None
        except OSError as exc:
            _quiet_broken_stdout()
            where = ": ".join(str(name) for name in (exc.filename, exc.filename2) if name)
            command = " ".join([*ctx.command_path.split()[1:], ctx.invoked_subcommand or ""])
            reason = exc.strerror or str(exc)
            raise OneLineError(self.prefix(ctx), f"{command.strip() or ctx.command_path}: "
                               f"{where + ': ' if where else ''}{reason}", 1) from None

    def prefix(self, ctx: click.Context | None) -> str:
        """The root group's prefix (``hotpass``, ``hotpass-enhanced``) for nested groups."""
        root = ctx.find_root().command if ctx else self
        return getattr(root, "error_prefix", self.error_prefix)

    def _one_line(self, exc: click.UsageError) -> OneLineError:
        path = exc.ctx.command_path if exc.ctx else ""
        command = " ".join(path.split()[1:])
        hint = f" (see {path} --help)" if path else ""
        return OneLineError(self.prefix(exc.ctx), f"{command + ': ' if command else ''}"
                            f"{exc.format_message()}{hint}", exc.exit_code)


def _leave(code: int) -> None:
    """Exit once everything is said: a stop signal while the interpreter shuts down
    (joining threads) ends the process as the signal would, never with a traceback."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
    sys.exit(code)


def group(name: str, help: str) -> click.Group:
    """A subcommand group (``hotpass net``) failing through the edge; bare, it prints help."""

    @click.group(name, cls=ReportingGroup, invoke_without_command=True, help=help)
    @click.pass_context
    def command_group(ctx: click.Context) -> None:
        if ctx.invoked_subcommand is None:
            echo(ctx.get_help())

    return command_group


def _quiet_broken_stdout() -> None:
    """If stdout is what failed, send the rest of it to /dev/null (no exit-time noise)."""
    try:
        sys.stdout.flush()
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def settings() -> Any:
    """The invocation's ``HotpassSettings`` (loaded on first use, then shared)."""
    ctx = click.get_current_context().find_root()
    if SETTINGS_KEY not in ctx.meta:
        from hotpass.settings import load

        ctx.meta[SETTINGS_KEY] = load()
    return ctx.meta[SETTINGS_KEY]


def programs() -> dict[str, click.Group]:
    """The programs' click groups by name (the surface the QA gates check), from the root
    group of this invocation: a command module never imports the group above it."""
    return click.get_current_context().find_root().meta[PROGRAMS_KEY]()


def _settings_of(ctx: click.Context) -> Any:
    with ctx:  # the loader may run later, outside the command's context (evidence)
        return settings()


def echo(text: str = "", *, err: bool = False) -> None:
    """Print one line (credentials redacted): every command prints with this."""
    click.echo(redact(text), err=err)


def echo_to_stderr(text: str) -> None:
    """``echo`` on stderr: a procedure's progress while stdout carries ``--json``."""
    echo(text, err=True)


def echo_json(data: object) -> None:
    """Print JSON-able ``data`` (redacted, sorted keys, indent 2) on stdout."""
    click.echo(json.dumps(redact_data(data), indent=2, sort_keys=True, default=str))


def print_outcome(outcome: Any, *, dry_run: bool) -> None:
    """The one procedure printer: each planned change, then where the evidence went."""
    from hotpass.procedure import plan_lines

    for line in plan_lines(outcome.changes, dry_run=dry_run):
        echo(("[dry-run] " if dry_run else "") + line)
    if outcome.bundle is not None:
        echo(f"evidence: {outcome.bundle}")
