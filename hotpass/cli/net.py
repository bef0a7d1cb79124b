"""``hotpass net up|lease|status|down``: SSH tunnels to Prefect and Marquez (hotpass.infra.net).

Contract: ``up`` and ``lease`` share the connection flags; defaults for the hosts come
from HOTPASS_BASTION_HOST / HOTPASS_PREFECT_HOST / HOTPASS_MARQUEZ_HOST. ``--dry-run``
prints the ssh command and ports and starts nothing. ``status`` prints one line per
tunnel (``prefect_port``, ``marquez_port``, pid state, each forward's probe) or JSON.
``hotpass net`` alone prints help.
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli import kit
from hotpass.cli.options import SettingsOption, bundle, dry_run_option, json_option
from hotpass.infra.net.state import SERVICES

net_group = kit.group("net", "SSH tunnels to the remote Prefect and Marquez, recorded for "
                             "env/ctx/doctor.")

connection_options = bundle(
    click.option("--via", type=click.Choice(["ssh-bastion"]), default="ssh-bastion",
                 show_default=True, help="How to reach the services."),
    click.option("--host", cls=SettingsOption, setting="bastion_host",
                 help="Bastion host."),
    click.option("--prefect-host", cls=SettingsOption, setting="prefect_host",
                 help="Prefect host as the bastion sees it."),
    click.option("--marquez-host", cls=SettingsOption, setting="marquez_host",
                 help="Marquez host as the bastion sees it."),
    click.option("--prefect-port", type=int, default=SERVICES["prefect"][0],
                 show_default=True, help="Local port for Prefect (a free one if taken)."),
    click.option("--marquez-port", type=int, default=SERVICES["marquez"][0],
                 show_default=True, help="Local port for Marquez (a free one if taken)."),
    click.option("--prefect-remote-port", type=int, default=SERVICES["prefect"][1],
                 show_default=True, help="Prefect's port on its host."),
    click.option("--marquez-remote-port", type=int, default=SERVICES["marquez"][1],
                 show_default=True, help="Marquez API's port on its host."),
    click.option("--user", help="SSH user (default: ssh's own, e.g. ~/.ssh/config)."),
    click.option("--ssh-port", type=int, help="SSH port of the bastion (default 22)."),
    click.option("--identity-file", type=click.Path(path_type=Path, exists=True,
                                                    dir_okay=False),
                 help="Private key to authenticate with."),
    click.option("--ssh-option", "ssh_options", multiple=True, metavar="KEY=VALUE",
                 help="Extra `ssh -o` option (repeatable), e.g. UserKnownHostsFile=F."),
    click.option("--label", help="Name of the tunnel (default: the bastion host)."),
    dry_run_option("Print the ssh command; start nothing."),
    json_option("Print the tunnel as JSON."),
)


def _open(params: dict, *, detach: bool, ttl_seconds: int | None) -> None:
    from hotpass.infra import net
    from hotpass.infra.net.state import check_label

    host = params["host"]
    label = check_label(params["label"] or (host or "tunnel"))
    if not detach and not ttl_seconds and not params["dry_run"]:
        kit.echo("tunnel in the foreground; Ctrl-C closes it (--detach to background it)")
    entry = net.up(host=host or "", label=label,
                   prefect_host=params["prefect_host"], marquez_host=params["marquez_host"],
                   prefect_port=params["prefect_port"], marquez_port=params["marquez_port"],
                   prefect_remote_port=params["prefect_remote_port"],
                   marquez_remote_port=params["marquez_remote_port"], user=params["user"],
                   ssh_port=params["ssh_port"], identity_file=params["identity_file"],
                   options=tuple(params["ssh_options"]), ttl_seconds=ttl_seconds,
                   detach=detach, dry_run=params["dry_run"], state_dir=kit.settings().state_dir)
    if params["as_json"]:
        kit.echo_json(entry)
        return
    if params["dry_run"]:
        kit.echo(f"[dry-run] tunnel {label}: $ {' '.join(entry['command'])}")
    else:
        state = "closed" if entry.get("closed") else "up"
        lease = f", lease ends {entry['expires']}" if entry["expires"] else ""
        kit.echo(f"tunnel {label}: {state} (pid {entry['pid']}){lease}")
    for service in SERVICES:
        kit.echo(f"  {service}_port {entry[f'{service}_port']} -> {entry[f'{service}_remote']}")
    if entry["evidence"]:
        kit.echo(f"evidence: {entry['evidence']}")


@net_group.command("up")
@connection_options
@click.option("--detach", is_flag=True,
              help="Return once the forwards answer; the tunnel stays in the background.")
def up_command(detach: bool, **params) -> None:
    """Open an SSH tunnel: Prefect and Marquez on local ports through the bastion."""
    _open(params, detach=detach, ttl_seconds=None)


@net_group.command("lease")
@connection_options
@click.option("--ttl", default="2h", show_default=True,
              help="How long the tunnel lives: 90s, 30m, 2h, 1d. It closes itself then.")
def lease_command(ttl: str, **params) -> None:
    """Open a background tunnel that closes itself when the lease (--ttl) ends."""
    from hotpass.infra.net import parse_ttl

    _open(params, detach=True, ttl_seconds=parse_ttl(ttl))


@net_group.command("status")
@json_option("Print the tunnels as JSON.")
@click.option("--prune", is_flag=True, help="Forget tunnels whose ssh is dead.")
def status_command(as_json: bool, prune: bool) -> None:
    """List recorded tunnels: ports, whether ssh is alive and each forward answers."""
    from hotpass.infra import net

    state_dir = kit.settings().state_dir
    rows = net.status(state_dir)
    pruned = net.prune(state_dir=state_dir) if prune else []
    if as_json:
        kit.echo_json({"tunnels": rows, "pruned": pruned})
        return
    if not rows:
        kit.echo("no tunnels recorded (hotpass net up --detach ... opens one)")
    for row in rows:
        probes = ", ".join(f"{k} {v}" for k, v in row["forwards"].items())
        lease = f", lease ends {row['expires']}" if row.get("expires") else ""
        kit.echo(f"{row['label']}: {row['state'].upper()} pid {row['pid']} "
                   f"{'alive' if row['alive'] else 'dead'}; prefect_port "
                   f"{row.get('prefect_port')}, marquez_port {row.get('marquez_port')}; "
                   f"{probes}{lease}")
    for label in pruned:
        kit.echo(f"pruned {label}")


@net_group.command("down")
@click.option("--label", help="Tunnel to close.")
@click.option("--all", "all_tunnels", is_flag=True, help="Close every recorded tunnel.")
@dry_run_option("Print which tunnels would close.")
def down_command(label: str | None, all_tunnels: bool, dry_run: bool) -> None:
    """Close a tunnel (--label) or all of them; verifies the ports are released."""
    from hotpass.infra import net

    results = net.down(label=label, all_tunnels=all_tunnels, dry_run=dry_run,
                       state_dir=kit.settings().state_dir)
    if not results:
        kit.echo("no tunnels recorded; nothing to close")
    for result in results:
        verb = result["stopped"] if dry_run else f"closed ({result['stopped']})"
        kit.echo(f"tunnel {result['label']}: {verb}, pid {result['pid']}")
