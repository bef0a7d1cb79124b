"""``hotpass setup``: the resumable bootstrap (hotpass.infra.setup), plan printed first.

Contract: prints the plan, then one line per step (skipped, done); stops at the first
failing step with a one-line error saying to re-run. ``--dry-run`` prints the plan only.
The credentials step prompts (hidden) only on a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotpass.cli import kit
from hotpass.cli.options import SettingsOption, dry_run_option, target_option


def _ask_on_terminal() -> dict[str, str]:
    from hotpass.infra import credentials

    if not sys.stdin.isatty():
        from hotpass.errors import HotpassError

        raise HotpassError("needs a terminal; run `hotpass credentials wizard` (or "
                           "`hotpass credentials set NAME --stdin`)")
    return credentials.ask(lambda text: click.prompt(text, default="", hide_input=True,
                                                     show_default=False),
                           kit.settings().state_dir)


@click.command("setup")
@target_option("local: the stack on this machine; staging/prod: through a tunnel.")
@click.option("--extras", multiple=True, default=("orchestration",), show_default=True,
              help="Extras the deps step makes sure of (repeatable).")
@click.option("--host", cls=SettingsOption, setting="bastion_host",
              help="Bastion for the tunnel step.")
@click.option("--user", help="SSH user for the tunnel step.")
@click.option("--ssh-port", type=int, help="SSH port of the bastion.")
@click.option("--identity-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Private key for the tunnel step.")
@click.option("--ssh-option", "ssh_options", multiple=True, metavar="KEY=VALUE",
              help="Extra `ssh -o` option for the tunnel step (repeatable).")
@click.option("--force-env", is_flag=True,
              help="Let the env step overwrite a .env.<target> that differs.")
@dry_run_option()
def setup_command(target: str, extras: tuple[str, ...], host: str | None, user: str | None,
                  ssh_port: int | None, identity_file: Path | None,
                  ssh_options: tuple[str, ...], force_env: bool, dry_run: bool) -> None:
    """Bootstrap: deps -> credentials -> tunnel (staging/prod) or stack (local) -> ctx -> env."""
    from hotpass.infra.setup import Options, bootstrap

    options = Options(kit.settings(), target=target, extras=extras, host=host, user=user, ssh_port=ssh_port,
                      identity_file=identity_file, ssh_options=ssh_options,
                      force_env=force_env, ask=_ask_on_terminal)
    outcome = bootstrap(options, dry_run=dry_run, echo=kit.echo)
    if dry_run:
        kit.print_outcome(outcome, dry_run=True)  # each unsatisfied step's own plan
        return
    kit.echo(f"evidence: {outcome.bundle}")
    kit.echo(f"setup --target {target}: complete")
