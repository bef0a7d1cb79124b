"""``hotpass net``: SSH tunnels to the remote Prefect and Marquez, recorded in state.

Contract: ``up`` opens a tunnel (the ``ssh.OpenTunnel`` procedure; with ``ttl_seconds``
a lease that closes itself), ``down`` / ``prune`` close tunnels by label, all, or the
dead ones (``ssh.CloseTunnels``); every one records evidence and honours ``dry_run``.
``status`` / ``live_tunnel`` read the state file and probe it (``state``).
``live_tunnel()`` is what ``hotpass env``, ``ctx init`` and ``doctor`` consult: a live
tunnel's local ports win over the stack's defaults.

Pitfalls: the tunnel state lives under ``HOTPASS_STATE_DIR``, so a test or a second user
with another state dir sees only its own tunnels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.infra.net.state import SERVICES, dead_labels, entries, live_tunnel, parse_ttl, status

__all__ = ["SERVICES", "down", "entries", "live_tunnel", "open_tunnel", "parse_ttl", "prune",
           "status", "up"]


def up(*, host: str, prefect_host: str, marquez_host: str, label: str,
       prefect_port: int = SERVICES["prefect"][0], marquez_port: int = SERVICES["marquez"][0],
       prefect_remote_port: int = SERVICES["prefect"][1],
       marquez_remote_port: int = SERVICES["marquez"][1], user: str | None = None,
       ssh_port: int | None = None, identity_file: Path | None = None,
       options: tuple[str, ...] = (), ttl_seconds: int | None = None, detach: bool = True,
       dry_run: bool = False, state_dir: Path) -> dict:
    """Open a tunnel; returns the recorded entry (``pid`` None under dry run)."""
    from hotpass.infra.net.ssh import wait_foreground
    from hotpass.procedure import run

    procedure = open_tunnel(host=host, prefect_host=prefect_host, marquez_host=marquez_host,
                            label=label, prefect_port=prefect_port, marquez_port=marquez_port,
                            prefect_remote_port=prefect_remote_port,
                            marquez_remote_port=marquez_remote_port, user=user,
                            ssh_port=ssh_port, identity_file=identity_file, options=options,
                            ttl_seconds=ttl_seconds, detach=detach, state_dir=state_dir)
    outcome = run(procedure, dry_run=dry_run)
    entry = {**outcome.result, "evidence": str(outcome.bundle) if outcome.bundle else None}
    if not dry_run and not entry["detached"]:
        wait_foreground(outcome.result, state_dir)
        entry["closed"] = True
    return entry


def open_tunnel(*, host: str, prefect_host: str, marquez_host: str, label: str,
                prefect_port: int = SERVICES["prefect"][0],
                marquez_port: int = SERVICES["marquez"][0],
                prefect_remote_port: int = SERVICES["prefect"][1],
                marquez_remote_port: int = SERVICES["marquez"][1], user: str | None = None,
                ssh_port: int | None = None, identity_file: Path | None = None,
                options: tuple[str, ...] = (), ttl_seconds: int | None = None,
                detach: bool = True, state_dir: Path) -> Any:
    """The ``ssh.OpenTunnel`` procedure ``up`` runs (``setup`` runs it as a child)."""
    from hotpass.infra.net.ssh import OpenTunnel

    targets = {"prefect": (prefect_host, prefect_remote_port, prefect_port),
               "marquez": (marquez_host, marquez_remote_port, marquez_port)}
    return OpenTunnel(label=label, host=host, targets=targets, user=user, ssh_port=ssh_port,
                      identity_file=identity_file, options=options, ttl_seconds=ttl_seconds,
                      detach=detach or bool(ttl_seconds), state_dir=state_dir)


def _close(labels: list[str], dry_run: bool, state_dir: Path) -> list[dict]:
    from hotpass.infra.net.ssh import CloseTunnels
    from hotpass.procedure import run

    return run(CloseTunnels(labels, state_dir), dry_run=dry_run).result


def down(*, label: str | None = None, all_tunnels: bool = False, dry_run: bool = False,
         state_dir: Path) -> list[dict]:
    if bool(label) == all_tunnels:
        raise HotpassError("net down: pass --label LABEL or --all")
    chosen = [e["label"] for e in entries(state_dir) if all_tunnels or e["label"] == label]
    if label and not chosen:
        raise HotpassError(f"net down: no tunnel labelled '{label}' (see `hotpass net status`)")
    return _close(chosen, dry_run, state_dir) if chosen else []


def prune(*, dry_run: bool = False, state_dir: Path) -> list[str]:
    """Forget every dead tunnel; returns their labels."""
    dead = dead_labels(state_dir)
    if dead:
        _close(dead, dry_run, state_dir)
    return dead
