"""Tunnel state for ``hotpass net``: the state file, probes, status.

Contract: each tunnel is one entry of ``<HOTPASS_STATE_DIR>/tunnels.json`` (label, pid,
command, ports, remote ends, started, expires, log), rewritten atomically under a lock
(readers take none and create nothing). ``status`` probes every entry: pid alive, each
forward ``answers`` (an HTTP reply came back through it), ``listening`` or ``closed``;
``state`` is up, degraded (a forward closed) or dead. ``live_tunnel`` is the newest up
entry; ``dead_labels`` the ones ``hotpass net status --prune`` forgets. ``port_free``
is true unless something accepts on the port; ``pick_port`` keeps a preferred local port
when it is free, else returns a free one.

Pitfalls: a pid is only "alive" when its command line is still the recorded command (a
reused pid is not our ssh). "listening" alone means ssh is up but the far service did
not answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_text

STATE_FILE = "tunnels.json"
# service -> (default local port, default remote port)
SERVICES = {"prefect": (4200, 4200), "marquez": (5002, 5000)}
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TTL = re.compile(r"^(\d+)([smhd]?)$")


def parse_ttl(text: str) -> int:
    """``90s``, ``30m``, ``2h``, ``1d`` or plain seconds -> seconds."""
    match = _TTL.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise HotpassError(f"net lease: --ttl {text!r} is not a duration (e.g. 90s, 30m, 2h)")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def check_label(label: str) -> str:
    if not _LABEL.match(label or ""):
        raise HotpassError(f"net: --label {label!r} must be letters, digits, '.', '_' or '-'")
    return label


# ------------------------------------------------------------------ state file


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[Path]:
    folder = Path(state_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (folder / "tunnels.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder / STATE_FILE
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        tunnels = json.loads(path.read_text(encoding="utf-8"))["tunnels"]
        assert isinstance(tunnels, list)
        return tunnels
    except (ValueError, KeyError, TypeError, AssertionError):
        raise HotpassError(f"net: {path} is not a tunnel state file; move it away") from None


def _write(path: Path, tunnels: list[dict]) -> None:
    atomic_write_text(path, json.dumps({"tunnels": tunnels}, indent=2, sort_keys=True) + "\n")


def entries(state_dir: Path) -> list[dict]:
    """The recorded tunnels. Readers take no lock (writers replace the file atomically)
    and create nothing, so a dry run stays a dry run."""
    return _read(Path(state_dir) / STATE_FILE)


def _record(entry: dict, state_dir: Path) -> None:
    with _locked(state_dir) as path:
        tunnels = [t for t in _read(path) if t["label"] != entry["label"]]
        _write(path, [*tunnels, entry])


def _forget(labels: set[str], state_dir: Path) -> None:
    with _locked(state_dir) as path:
        _write(path, [t for t in _read(path) if t["label"] not in labels])


# ------------------------------------------------------------------ probes


def alive(entry: dict) -> bool:
    """The recorded pid runs and is still the recorded command."""
    from hotpass.procs import alive as pid_alive

    pid = entry.get("pid")
    if not pid or not pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        with contextlib.suppress(OSError):
            return cmdline.read_bytes().split(b"\0")[:-1] == [
                part.encode() for part in entry["command"]]
    return True


def probe(port: int, timeout: float = 2.0) -> str:
    """``answers`` (an HTTP reply came back), ``listening`` or ``closed``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return "answers" if sock.recv(5).startswith(b"HTTP/") else "listening"
    except ConnectionRefusedError:
        return "closed"
    except OSError:
        return "listening" if _accepts(port) else "closed"


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def port_free(port: int) -> bool:
    """Nothing accepts connections on 127.0.0.1:``port``. A socket still closing
    (TIME_WAIT after a server stopped) holds no listener: the port counts as free, as it
    is for every server that binds with SO_REUSEADDR (uvicorn, werkzeug, sshd)."""
    return not _accepts(port)


def pick_port(preferred: int) -> int:
    if preferred and port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(state_dir: Path) -> list[dict]:
    """Every recorded tunnel with ``alive``, each forward's probe and ``state``."""
    rows = []
    now = datetime.now(UTC)
    for entry in entries(state_dir):
        row = dict(entry)
        row["alive"] = alive(entry)
        row["forwards"] = {service: probe(entry[f"{service}_port"]) if row["alive"] else "closed"
                           for service in SERVICES if entry.get(f"{service}_port")}
        expires = entry.get("expires")
        row["expired"] = bool(expires and datetime.fromisoformat(expires) <= now)
        if not row["alive"]:
            row["state"] = "dead"
        elif "closed" in row["forwards"].values():
            row["state"] = "degraded"
        else:
            row["state"] = "up"
        rows.append(row)
    return rows


def live_tunnel(state_dir: Path) -> dict | None:
    """The most recently started tunnel whose ssh is alive, or None."""
    live = [row for row in status(state_dir) if row["state"] == "up"]
    return max(live, key=lambda row: row["started"]) if live else None


def dead_labels(state_dir: Path) -> list[str]:
    return sorted(row["label"] for row in status(state_dir) if row["state"] == "dead")
