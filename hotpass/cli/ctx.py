"""``hotpass ctx init``: point Prefect at the stack or a live tunnel (hotpass.infra.ctx).

Contract: prints the profile, where the URL came from and the action (create, update,
activate, unchanged); ``--dry-run`` changes nothing; ``--json`` prints one document.
"""

from __future__ import annotations

import click

from hotpass.cli import kit
from hotpass.cli.options import dry_run_option, json_option, target_option

ctx_group = kit.group("ctx", "Prefect context: the profile hotpass-<target> and its "
                             "PREFECT_API_URL.")


@ctx_group.command("init")
@target_option("Environment: profile hotpass-<target>.")
@click.option("--api-url", help="PREFECT_API_URL to set (default: a live tunnel, else the "
                                "local stack's http://127.0.0.1:4200/api).")
@dry_run_option("Print the plan; change no profile.")
@json_option()
def init_command(target: str, api_url: str | None, dry_run: bool, as_json: bool) -> None:
    """Create or update the Prefect profile hotpass-<target> and make it active."""
    from hotpass.infra.ctx import init

    result = init(target, api_url, dry_run=dry_run, state_dir=kit.settings().state_dir)
    if as_json:
        kit.echo_json(result)
        return
    verb = "would" if dry_run else "done"
    kit.echo(f"profile {result['profile']}: {result['action']} ({verb}); PREFECT_API_URL "
             f"{result['api_url']} ({result['source']}) in {result['profiles_path']}")
    if result["action"] == "update":  # never repoint a profile silently
        kit.echo(f"profile {result['profile']}: PREFECT_API_URL was {result['was']['url']}")
