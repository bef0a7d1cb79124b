"""The ``hotpass`` command line: one click group with a subcommand per job.

Contract: each job's command lives in its own module of this package and is added to
``main`` here. Command bodies import their heavy modules (pandas, the refine pipeline,
Prefect) inside the body so ``hotpass --help`` stays fast. Options, output and errors go
through the CLI's adapter (``kit.py``, ``options.py``): a ``HotpassError``, an ``OSError``
or a bad flag value becomes ``hotpass: error: <one line>`` on stderr and an exit code.
"""

from __future__ import annotations

import click

from hotpass import __version__
from hotpass.cli.credentials import credentials_group
from hotpass.cli.ctx import ctx_group
from hotpass.cli.doctor import doctor_command
from hotpass.cli.enrich import enrich_command, plan_group
from hotpass.cli.env import env_command
from hotpass.cli.kit import PROGRAMS_KEY, ReportingGroup, echo
from hotpass.cli.net import net_group
from hotpass.cli.orchestration import deploy_command, orchestrate_command
from hotpass.cli.qa import qa_command
from hotpass.cli.refine import refine
from hotpass.cli.setup import setup_command
from hotpass.cli.site import site_group


@click.group(cls=ReportingGroup, error_prefix="hotpass",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hotpass")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Hotpass: messy spreadsheet collections in, one governed dataset out."""
    ctx.meta[PROGRAMS_KEY] = programs


def programs() -> dict[str, click.Group]:
    """The two programs' click groups by name: the command surface the QA gates check."""
    from hotpass.cli.enhanced import main as enhanced

    return {"hotpass": main, "hotpass-enhanced": enhanced}


@main.command()
def version() -> None:
    """Print the Hotpass version."""
    echo(__version__)


main.add_command(refine)
main.add_command(deploy_command)
main.add_command(orchestrate_command)
main.add_command(env_command)
main.add_command(credentials_group)
main.add_command(net_group)
main.add_command(ctx_group)
main.add_command(doctor_command)
main.add_command(setup_command)
main.add_command(site_group)
main.add_command(enrich_command)
main.add_command(plan_group)
main.add_command(qa_command)
