"""Click plumbing shared by the ``hotpass`` and ``hotpass-enhanced`` command groups.

Contract: a group made with ``cls=ReportingGroup, error_prefix="hotpass"`` turns a
``HotpassError`` from any subcommand into ``<prefix>: error: <one line>`` on stderr and
the error's exit code; nothing else (no traceback) is printed for it.
"""

from __future__ import annotations

import click

from hotpass.errors import HotpassError


class ReportingGroup(click.Group):
    def __init__(self, *args, error_prefix: str = "hotpass", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.error_prefix = error_prefix

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HotpassError as exc:
            click.echo(f"{self.error_prefix}: error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
