"""Open and close the ``ssh -N -L`` processes behind ``hotpass net up|lease|down``, as
procedures.

Contract: ``command(...)`` builds the argv (never a shell string). ``OpenTunnel``
prepares (label, host, options; refuses a label that is up), plans the command and the
local ports (a taken default replaced by a free one), applies by starting ssh through
``hotpass.procs`` (pidfile and log ``<state_dir>/tunnels/<label>.pid|.log``; ready when
every forward accepts connections, else stopped with the log's tail) and recording the
entry, and verifies the recorded tunnel is up. ``CloseTunnels`` plans ``stop`` (live)
or ``forget`` (dead) per label, stops each process group (SIGTERM, SIGKILL) and verifies
the pids are gone, the ports free and the entries removed. ``wait_foreground`` keeps a
non-detached tunnel in the foreground until ssh ends or Ctrl-C.

Pitfalls: ssh binds local forwards only after authentication, so "accepts connections"
proves the whole chain up to the bastion. ``BatchMode=yes`` means a missing key or an
unknown host key fails at once instead of prompting.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotpass import procs
from hotpass.errors import HotpassError
from hotpass.infra.net import state
from hotpass.procedure import Change, Evidence, Procedure

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


def _folder(state_dir: Path) -> Path:
    return Path(state_dir) / "tunnels"


class OpenTunnel(Procedure):
    name = "net.up"

    def __init__(self, *, label: str, host: str, targets: dict[str, tuple[str, int, int]],
                 user: str | None = None, ssh_port: int | None = None,
                 identity_file: Path | None = None, options: tuple[str, ...] = (),
                 ttl_seconds: int | None = None, detach: bool = True,
                 ready_timeout: float = 20.0, state_dir: Path) -> None:
        """``targets``: service -> (remote host, remote port, preferred local port)."""
        self.label, self.host, self.targets = label, host, targets
        self.ssh = dict(user=user, ssh_port=ssh_port, identity_file=identity_file,
                        options=options)
        self.ttl_seconds, self.detach = ttl_seconds, detach
        self.ready_timeout, self.state_dir = ready_timeout, state_dir
        self.entry: dict = {}

    def prepare(self, ev: Evidence) -> None:
        state.check_label(self.label)
        if not self.host:
            raise HotpassError("net up: --host (the bastion) is required, or set "
                               "HOTPASS_BASTION_HOST")
        bad = [f"--ssh-option {o}" for o in self.ssh["options"] if "=" not in o]
        if bad:
            raise HotpassError(f"net up: {', '.join(bad)} must be KEY=VALUE")
        for row in state.status(self.state_dir):
            if row["label"] == self.label and row["state"] != "dead":
                raise HotpassError(f"net: tunnel '{self.label}' is already up (pid "
                                   f"{row['pid']}); `hotpass net down --label {self.label}` "
                                   "first")

    def plan(self, ev: Evidence) -> list[Change]:
        forwards = {service: (state.pick_port(preferred), remote_host, remote_port)
                    for service, (remote_host, remote_port, preferred) in self.targets.items()}
        argv = command(self.host, forwards, **self.ssh)
        now = datetime.now(UTC)
        expires = None
        if self.ttl_seconds:
            argv = ["timeout", "--signal=TERM", str(self.ttl_seconds), *argv]
            expires = (now + timedelta(seconds=self.ttl_seconds)).isoformat(timespec="seconds")
        self.entry = {
            "label": self.label, "pid": None, "command": argv, "host": self.host,
            "started": now.isoformat(timespec="seconds"), "expires": expires,
            "log": str(_folder(self.state_dir) / f"{self.label}.log"), "detached": self.detach,
            **{f"{s}_port": local for s, (local, _, _) in forwards.items()},
            **{f"{s}_remote": f"{rh}:{rp}" for s, (_, rh, rp) in forwards.items()}}
        return [Change(self.label, "start", {k: v for k, v in self.entry.items() if k != "pid"})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        ports = [self.entry[f"{s}_port"] for s in self.targets]
        handle = procs.start(self.label, self.entry["command"], state_dir=_folder(self.state_dir),
                             ready=lambda: all(state._accepts(p) for p in ports),
                             timeout=self.ready_timeout, label=f"net: ssh to {self.host}")
        self.entry["pid"] = handle.pid
        state._record(self.entry, self.state_dir)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        rows = {row["label"]: row for row in state.status(self.state_dir)}
        row = rows.get(self.label)
        if row is None or row["state"] != "up":
            return [f"tunnel {self.label} is {row['state'] if row else 'not recorded'} "
                    f"after start (log {self.entry['log']})"]
        return []

    def result(self, ev: Evidence) -> dict:
        """The tunnel's recorded entry (``pid`` None under dry-run)."""
        return dict(self.entry)


def wait_foreground(entry: dict, state_dir: Path) -> None:
    """Block while the tunnel's ssh runs; Ctrl-C stops it. The entry is forgotten after."""
    try:
        while procs.alive(entry["pid"]):
            time.sleep(0.5)
    except KeyboardInterrupt:
        procs.stop(entry["label"], state_dir=_folder(state_dir), timeout=5.0)
    finally:
        state._forget({entry["label"]}, state_dir)


class CloseTunnels(Procedure):
    name = "net.down"

    def __init__(self, labels: list[str], state_dir: Path) -> None:
        self.labels, self.state_dir = labels, state_dir
        self.closed: list[dict] = []

    def plan(self, ev: Evidence) -> list[Change]:
        rows = {row["label"]: row for row in state.status(self.state_dir)}
        return [Change(label, "stop" if rows[label]["alive"] else "forget",
                       {"pid": rows[label]["pid"],
                        "ports": [rows[label][f"{s}_port"] for s in state.SERVICES
                                  if rows[label].get(f"{s}_port")]})
                for label in self.labels if label in rows]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        folder = _folder(self.state_dir)
        for change in changes:
            how = "already dead"
            if change.action == "stop":  # never signal a pid that is not our ssh any more
                how = procs.stop(change.target, state_dir=folder, timeout=5.0)["how"]
            (folder / f"{change.target}.pid").unlink(missing_ok=True)
            self.closed.append({"label": change.target, "pid": change.detail["pid"],
                                "stopped": how})
        state._forget({change.target for change in changes}, self.state_dir)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        left = {entry["label"] for entry in state.entries(self.state_dir)}
        problems = [f"tunnel {c.target} is still recorded" for c in changes if c.target in left]
        for change in changes:
            pid = change.detail["pid"]
            if change.action != "stop":
                continue
            if pid and procs.alive(pid):
                problems.append(f"tunnel {change.target}: pid {pid} still runs")
            held = [port for port in change.detail["ports"] if state._accepts(port)]
            if held:
                problems.append(f"tunnel {change.target}: port(s) {held} still accept")
        return problems

    def result(self, ev: Evidence) -> list[dict]:
        """One row per tunnel: stopped how (``would stop``/``would forget`` under dry-run)."""
        if ev.dry_run:
            return [{"label": c.target, "pid": c.detail["pid"], "stopped": f"would {c.action}"}
                    for c in ev.plan]
        return self.closed
