"""``hotpass credentials wizard|set|show|clear``: the private credentials store.

Contract: ``wizard`` prompts on a terminal (input hidden; blank keeps the stored value);
``set NAME --value V | --stdin`` is for scripts; ``show`` lists names with masked
values; ``clear NAME... | --all`` removes. Every mutating command prints its plan
(add/update/remove per name, never a value) and has ``--dry-run``.
"""

from __future__ import annotations

import sys

import click

from hotpass.cli import kit
from hotpass.cli.options import dry_run_option, json_option
from hotpass.errors import HotpassError

credentials_group = kit.group("credentials", "Store API keys and passwords privately (0600 "
                                             "under HOTPASS_STATE_DIR).")


def _change(wanted: dict[str, str | None], dry_run: bool) -> None:
    from hotpass.credential_store import store_path
    from hotpass.infra.credentials import ChangeCredentials
    from hotpass.procedure import run

    state_dir = kit.settings().state_dir
    outcome = run(ChangeCredentials(wanted, state_dir), dry_run=dry_run, echo=kit.echo)
    for change in outcome.changes:  # action first: "NAME: value" reads as a secret pair
        kit.echo(f"{change.action:<9} {change.target}"
                 + (f" ({'would' if dry_run else 'done'})" if change.pending else ""))
    if outcome.pending and not dry_run:
        kit.echo(f"saved {store_path(state_dir)} (mode 0600); evidence {outcome.bundle}")


@credentials_group.command("set")
@click.argument("name")
@click.option("--value", help="The value (visible in shell history; prefer --stdin).")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the value from standard input (one trailing newline dropped).")
@dry_run_option("Print what would change; store nothing.")
def set_command(name: str, value: str | None, from_stdin: bool, dry_run: bool) -> None:
    """Store one credential NAME (an environment-variable name)."""
    if (value is None) == (not from_stdin):
        raise HotpassError("credentials set: pass exactly one of --value V or --stdin")
    if from_stdin:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
    if not value:
        raise HotpassError(f"credentials set: the value for {name} is empty; use "
                           f"`hotpass credentials clear {name}` to remove it")
    _change({name: value}, dry_run)


@credentials_group.command("show")
@json_option("Print the list as JSON.")
def show_command(as_json: bool) -> None:
    """List stored credentials with masked values."""
    from hotpass import credential_store

    state_dir = kit.settings().state_dir
    rows = credential_store.entries(state_dir)
    if as_json:
        kit.echo_json({"store": str(credential_store.store_path(state_dir)),
                       "credentials": rows})
        return
    if not rows:
        kit.echo(f"no credentials stored ({credential_store.store_path(state_dir)})")
    for row in rows:
        kit.echo(f"{row['name']:<28} {row['value']}  set {row['updated']}")


@credentials_group.command("clear")
@click.argument("names", nargs=-1)
@click.option("--all", "clear_all", is_flag=True, help="Remove every stored credential.")
@dry_run_option("Print what would be removed; change nothing.")
def clear_command(names: tuple[str, ...], clear_all: bool, dry_run: bool) -> None:
    """Remove the named credentials (or --all)."""
    from hotpass import credential_store

    if bool(names) == clear_all:
        raise HotpassError("credentials clear: name the credentials to remove, or pass --all")
    chosen = list(credential_store.load(kit.settings().state_dir)) if clear_all \
        else list(names)
    if not chosen:
        kit.echo("no credentials stored; nothing to clear")
        return
    _change(dict.fromkeys(chosen), dry_run)


@credentials_group.command("wizard")
@dry_run_option("Ask, then print what would change; store nothing.")
def wizard_command(dry_run: bool) -> None:
    """Prompt for each credential Hotpass uses (needs a terminal; blank keeps the value)."""
    from hotpass.infra import credentials

    if not sys.stdin.isatty():
        raise HotpassError("credentials wizard: needs a terminal; in scripts use "
                           "`hotpass credentials set NAME --stdin`")
    wanted: dict[str, str | None] = dict(credentials.ask(
        lambda text: click.prompt(text, default="", hide_input=True, show_default=False),
        kit.settings().state_dir))
    if not wanted:
        kit.echo("nothing entered; the store is unchanged")
        return
    _change(wanted, dry_run)
