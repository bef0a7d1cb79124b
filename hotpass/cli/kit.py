"""Click plumbing shared by the ``hotpass`` and ``hotpass-enhanced`` command groups.

Contract: a group made with ``cls=ReportingGroup, error_prefix="hotpass"`` turns a
``HotpassError`` from any subcommand into ``<prefix>: error: <one line>`` on stderr and
the error's exit code; nothing else (no traceback) is printed for it. The line and every
log record pass through ``hotpass.redact`` so no credential in a URL reaches the terminal.
"""

from __future__ import annotations

import click

from hotpass.errors import HotpassError, Interrupted
from hotpass.redact import install_log_redaction, redact, redact_data


class ReportingGroup(click.Group):
    def __init__(self, *args, error_prefix: str = "hotpass", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.error_prefix = error_prefix

    def invoke(self, ctx: click.Context):
        install_log_redaction()
        try:
            return super().invoke(ctx)
        except (HotpassError, Interrupted) as exc:
            click.echo(f"{self.error_prefix}: error: {redact(exc.message)}", err=True)
            ctx.exit(exc.exit_code)


def echo(text: str, *, err: bool = False) -> None:
    """``click.echo`` of ``text`` with credentials redacted: every command prints with it."""
    click.echo(redact(text), err=err)


def echo_json(data: object) -> None:
    """Print JSON-able ``data`` (redacted, sorted keys, indent 2) on stdout."""
    import json

    click.echo(json.dumps(redact_data(data), indent=2, sort_keys=True, default=str))


def parse_since_option(ctx: click.Context, param: click.Parameter, value: str | None):
    """``--since`` as a date, checked before the command body (and Prefect) runs; a bad
    one is a ``HotpassError`` (one line). ``refine`` and ``orchestrate`` share it."""
    from hotpass.refine.run import parse_since

    return parse_since(value)
