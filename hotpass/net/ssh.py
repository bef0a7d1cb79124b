"""Open and close the ``ssh -N -L`` processes behind ``hotpass net up|lease|down``.

Contract: ``command(...)`` builds the argv (never a shell string); ``open_tunnel`` picks
local ports, starts ssh in its own session with output to
``<state_dir>/tunnels/<label>.log``, records the entry, and with ``detach`` returns once
every forward accepts connections (or raises with the log's tail, entry removed and ssh
stopped). Without ``detach`` it then waits in the foreground and forgets the entry when
ssh ends. ``close_tunnel`` stops the process group (SIGTERM, then SIGKILL after a grace
period), verifies the pid is gone and the ports closed, and drops the entry.

Pitfalls: ssh binds local forwards only after authentication, so "accepts connections"
proves the whole chain up to the bastion. ``BatchMode=yes`` means a missing key or an
unknown host key fails at once instead of prompting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.net import state

SSH_OPTIONS = ("ExitOnForwardFailure=yes", "BatchMode=yes", "ServerAliveInterval=30",
               "ServerAliveCountMax=3")


def command(host: str, forwards: dict[str, tuple[int, str, int]], *, user: str | None = None,
            ssh_port: int | None = None, identity_file: Path | None = None,
            options: tuple[str, ...] = ()) -> list[str]:
    """``forwards``: service -> (local port, remote host, remote port)."""
    argv = ["ssh", "-N"]
    for option in (*SSH_OPTIONS, *options):
        argv += ["-o", option]
    for local, remote_host, remote_port in forwards.values():
        argv += ["-L", f"127.0.0.1:{local}:{remote_host}:{remote_port}"]
    if ssh_port:
        argv += ["-p", str(ssh_port)]
    if identity_file:
        argv += ["-i", str(identity_file)]
    if user:
        argv += ["-l", user]
    return [*argv, host]


def _log_tail(log: Path) -> str:
    with contextlib.suppress(OSError):
        lines = log.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])
    return ""


def open_tunnel(*, label: str, host: str, targets: dict[str, tuple[str, int, int]],
                user: str | None = None, ssh_port: int | None = None,
                identity_file: Path | None = None, options: tuple[str, ...] = (),
                ttl_seconds: int | None = None, detach: bool = True,
                ready_timeout: float = 20.0, state_dir: Path | None = None) -> dict:
    """``targets``: service -> (remote host, remote port, preferred local port)."""
    state.check_label(label)
    for entry in state.status(state_dir):
        if entry["label"] == label and entry["state"] != "dead":
            raise HotpassError(f"net: tunnel '{label}' is already up (pid {entry['pid']}); "
                               f"`hotpass net down --label {label}` first")
    forwards = {service: (state.pick_port(preferred), remote_host, remote_port)
                for service, (remote_host, remote_port, preferred) in targets.items()}
    argv = command(host, forwards, user=user, ssh_port=ssh_port,
                   identity_file=identity_file, options=options)
    now = datetime.now(UTC)
    expires = None
    if ttl_seconds:
        argv = ["timeout", "--signal=TERM", str(ttl_seconds), *argv]
        expires = (now + timedelta(seconds=ttl_seconds)).isoformat(timespec="seconds")
    folder = state._state_dir(state_dir) / "tunnels"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{label}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    entry = {"label": label, "pid": process.pid, "command": argv, "host": host,
             "started": now.isoformat(timespec="seconds"), "expires": expires,
             "log": str(log), "detached": detach,
             **{f"{service}_port": local for service, (local, _, _) in forwards.items()},
             **{f"{service}_remote": f"{rh}:{rp}" for service, (_, rh, rp) in forwards.items()}}
    state._record(entry, state_dir)
    try:
        _wait_ready(process, entry, log, ready_timeout)
    except BaseException:
        _stop(process.pid)
        process.wait()
        state._forget({label}, state_dir)
        raise
    if detach:
        return entry
    try:
        process.wait()
    except KeyboardInterrupt:
        _stop(process.pid)
        process.wait()
    finally:
        state._forget({label}, state_dir)
    return {**entry, "exit_code": process.returncode}


def _wait_ready(process: subprocess.Popen, entry: dict, log: Path, timeout: float) -> None:
    ports = [entry[f"{service}_port"] for service in state.SERVICES
             if entry.get(f"{service}_port")]
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise HotpassError(f"net: ssh to {entry['host']} exited with "
                               f"{process.returncode}: {_log_tail(log)} (log {log})")
        if all(state._accepts(port) for port in ports):
            return
        if time.monotonic() > deadline:
            raise HotpassError(f"net: the forwards of '{entry['label']}' did not open within "
                               f"{timeout:.0f}s: {_log_tail(log)} (log {log})")
        time.sleep(0.2)


def _stop(pid: int, grace: float = 5.0) -> str:
    from hotpass.procs import alive

    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(pid):
                return sig.name
            time.sleep(0.1)
    raise HotpassError(f"net: pid {pid} survived SIGKILL")


def close_tunnel(entry: dict, state_dir: Path | None = None) -> dict:
    """Stop one recorded tunnel, verify it is gone, forget it."""
    how = _stop(entry["pid"]) if state.alive(entry) else "already dead"
    still = [port for service in state.SERVICES
             if (port := entry.get(f"{service}_port")) and state._accepts(port)
             and how != "already dead"]
    state._forget({entry["label"]}, state_dir)
    if still or state.alive(entry):
        raise HotpassError(f"net: tunnel '{entry['label']}' still holds port(s) "
                           f"{', '.join(map(str, still))} after {how}")
    return {"label": entry["label"], "pid": entry["pid"], "stopped": how}
