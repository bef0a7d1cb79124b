"""``hotpass net``: SSH tunnels to the remote Prefect and Marquez, recorded in state.

Contract: ``up`` / ``lease`` open a tunnel (``ssh.open_tunnel``), ``status`` / ``prune`` /
``live_tunnel`` read the state file and probe it (``state``), ``down`` closes by label
or all. ``live_tunnel()`` is what ``hotpass env``, ``ctx init`` and ``doctor`` consult:
a live tunnel's local ports win over the stack's defaults.

Pitfalls: the tunnel state lives under ``HOTPASS_STATE_DIR``, so a test or a second user
with another state dir sees only its own tunnels.
"""

from __future__ import annotations

from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.net.state import SERVICES, entries, live_tunnel, parse_ttl, prune, status

__all__ = ["SERVICES", "down", "entries", "live_tunnel", "parse_ttl", "prune", "status",
           "up"]


def up(*, host: str, prefect_host: str, marquez_host: str, label: str,
       prefect_port: int = SERVICES["prefect"][0], marquez_port: int = SERVICES["marquez"][0],
       prefect_remote_port: int = SERVICES["prefect"][1],
       marquez_remote_port: int = SERVICES["marquez"][1], user: str | None = None,
       ssh_port: int | None = None, identity_file: Path | None = None,
       options: tuple[str, ...] = (), ttl_seconds: int | None = None, detach: bool = True,
       state_dir: Path | None = None) -> dict:
    from hotpass.net.ssh import open_tunnel

    if not host:
        raise HotpassError("net up: --host (the bastion) is required, or set "
                           "HOTPASS_BASTION_HOST")
    bad = [f"-o {o}" for o in options if "=" not in o]
    if bad:
        raise HotpassError(f"net up: {', '.join(bad)} must be KEY=VALUE")
    targets = {"prefect": (prefect_host, prefect_remote_port, prefect_port),
               "marquez": (marquez_host, marquez_remote_port, marquez_port)}
    return open_tunnel(label=label, host=host, targets=targets, user=user, ssh_port=ssh_port,
                       identity_file=identity_file, options=options, ttl_seconds=ttl_seconds,
                       detach=detach or bool(ttl_seconds), state_dir=state_dir)


def down(*, label: str | None = None, all_tunnels: bool = False,
         state_dir: Path | None = None) -> list[dict]:
    from hotpass.net.ssh import close_tunnel

    if bool(label) == all_tunnels:
        raise HotpassError("net down: pass --label LABEL or --all")
    chosen = [e for e in entries(state_dir) if all_tunnels or e["label"] == label]
    if label and not chosen:
        raise HotpassError(f"net down: no tunnel labelled '{label}' (see `hotpass net status`)")
    return [close_tunnel(entry, state_dir) for entry in chosen]
