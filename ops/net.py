"""Tunnel tasks: ``invoke net.up|down|status`` are ``hotpass net up|down|status`` (SSH
tunnels to Prefect and Marquez through a bastion; up and down are procedures)."""

from __future__ import annotations

from invoke import Collection

from ops.adapter import hotpass, task


@task(help={
    "host": "Bastion host (default HOTPASS_BASTION_HOST).",
    "prefect_host": "Prefect host as the bastion sees it (default HOTPASS_PREFECT_HOST).",
    "marquez_host": "Marquez host as the bastion sees it (default HOTPASS_MARQUEZ_HOST).",
    "user": "SSH user.",
    "ssh_port": "SSH port of the bastion (default 22).",
    "identity_file": "Private key to authenticate with.",
    "label": "Name of the tunnel (default: the bastion host).",
    "detach": "Return once the forwards answer; the tunnel keeps running.",
    "json": "Print the tunnel as JSON.",
    "dry_run": "Print the ssh command; start nothing.",
})
def up(c, host="", prefect_host="", marquez_host="", user="", ssh_port=0,
       identity_file="", label="", detach=False, json=False, dry_run=False):
    """Open an SSH tunnel: Prefect and Marquez on local ports through the bastion."""
    words = ["net", "up"]
    for flag, value in (("--host", host), ("--prefect-host", prefect_host),
                        ("--marquez-host", marquez_host), ("--user", user),
                        ("--identity-file", identity_file), ("--label", label)):
        words += [flag, value] if value else []
    words += ["--ssh-port", str(ssh_port)] if ssh_port else []
    words += ["--detach"] if detach else []
    words += ["--json"] if json else []
    hotpass(c, words, dry_run=dry_run)


@task(help={
    "label": "Tunnel to close.",
    "all": "Close every recorded tunnel.",
    "dry_run": "Print which tunnels would close.",
})
def down(c, label="", all=False, dry_run=False):
    """Close a tunnel (--label) or all of them; verifies the ports are free."""
    words = ["net", "down"] + (["--label", label] if label else []) + (["--all"] if all else [])
    hotpass(c, words, dry_run=dry_run)


@task(help={
    "json": "Print the tunnels as JSON.",
    "prune": "Forget tunnels whose ssh is dead.",
})
def status(c, json=False, prune=False):
    """List recorded tunnels: ports, whether ssh is alive and each forward answers."""
    hotpass(c, ["net", "status"] + (["--json"] if json else []) + (["--prune"] if prune else []))


ns = Collection("net")
ns.add_task(up)
ns.add_task(down)
ns.add_task(status)
