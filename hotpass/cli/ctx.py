"""``hotpass ctx init``: point Prefect at the stack or a live tunnel (hotpass.infra.ctx).

Contract: prints the profile, where the URL came from and the action (create, update,
activate, unchanged); ``--dry-run`` changes nothing; ``--json`` prints one document.
"""

from __future__ import annotations

import json

import click

from hotpass.infra.ctx import TARGETS


@click.group("ctx", invoke_without_command=True)
@click.pass_context
def ctx_group(ctx: click.Context) -> None:
    """Prefect context: the profile hotpass-<target> and its PREFECT_API_URL."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@ctx_group.command("init")
@click.option("--target", type=click.Choice(TARGETS), default="local", show_default=True,
              help="Environment: profile hotpass-<target>.")
@click.option("--api-url", help="PREFECT_API_URL to set (default: a live tunnel, else the "
                                "local stack's http://127.0.0.1:4200/api).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change no profile.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def init_command(target: str, api_url: str | None, dry_run: bool, as_json: bool) -> None:
    """Create or update the Prefect profile hotpass-<target> and make it active."""
    from hotpass.infra.ctx import init

    result = init(target, api_url, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True, default=str))
        return
    verb = "would" if dry_run else "done"
    click.echo(f"profile {result['profile']}: {result['action']} ({verb}); PREFECT_API_URL "
               f"{result['api_url']} ({result['source']}) in {result['profiles_path']}")
