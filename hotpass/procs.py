"""Background processes: start with a pidfile and log, probe readiness, stop for sure.

Contract: a process is known by ``name`` inside a ``state_dir``: ``<name>.pid`` holds the
pid of its session leader, ``<name>.log`` its stdout+stderr (appended).

- ``start(name, command, state_dir=..., ready=probe, timeout=30)`` refuses when ``name``
  is already running, starts ``command`` in its own session, then waits until
  ``ready()`` is true (or, without a probe, ``settle`` seconds pass with the process
  alive). If the process exits or the timeout passes first it is stopped, the pidfile
  removed, and ``HotpassError`` carries the log's last lines. Returns ``Handle``.
- ``stop(name, state_dir=..., timeout=10)`` escalates on the whole process group:
  SIGTERM, SIGTERM again after ``grace`` seconds (a Prefect worker drains on the
  first), SIGKILL after ``timeout``; it returns only when the process is gone, and
  removes a stale pidfile. Returns ``{"name", "pid", "stopped", "how"}``.
- ``status(state_dir, name=None)`` lists pidfiles: name, pid, alive, log.
- ``http_ready(url)`` is a probe: true when GET ``url`` answers 2xx.

Pitfalls: children of the process share its process group and stop with it; a process
that moves to its own session escapes. A process this interpreter started is kept in
``_STARTED`` until it is seen gone, and reaped through its ``Popen`` (dropping a running
``Popen`` is a ``ResourceWarning``, and reaping its pid behind its back leaves it stale). The pid is written only after ``Popen`` returns,
so a crash between the two leaves an orphan with no pidfile (the window is tiny).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError


@dataclass
class Handle:
    name: str
    pid: int
    pidfile: Path
    log: Path
    command: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "pid": self.pid, "pidfile": str(self.pidfile),
                "log": str(self.log), "command": self.command}


def paths(name: str, state_dir: Path) -> tuple[Path, Path]:
    """The pidfile and log of ``name``."""
    return Path(state_dir) / f"{name}.pid", Path(state_dir) / f"{name}.log"


_STARTED: dict[int, subprocess.Popen] = {}


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    started = _STARTED.get(pid)
    if started is not None:
        if started.poll() is None:
            return True
        del _STARTED[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours: reap it
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().split(")")[-1].split()[0] != "Z"
        except OSError:
            return True


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid(name: str, state_dir: Path) -> int | None:
    """The pid of ``name`` when its pidfile names a live process."""
    pid = read_pid(paths(name, state_dir)[0])
    return pid if pid and alive(pid) else None


def log_tail(log: Path, lines: int = 3) -> str:
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(line for line in text.strip().splitlines()[-lines:])


def http_ready(url: str, timeout: float = 2.0) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return 200 <= response.status < 300
        except (OSError, ValueError):
            return False

    return probe


def start(name: str, command: Sequence[str], *, state_dir: Path,
          env: Mapping[str, str] | None = None, cwd: Path | None = None,
          ready: Callable[[], bool] | None = None, timeout: float = 30.0,
          settle: float = 1.0, label: str | None = None) -> Handle:
    """Start ``command`` in the background as ``name``; see the module contract."""
    label = label or name
    pidfile, log = paths(name, state_dir)
    pid = running_pid(name, state_dir)
    if pid:
        raise HotpassError(f"{label}: already running (pid {pid}, {pidfile}); stop it first")
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    words = [str(word) for word in command]
    try:
        with log.open("ab") as out:
            process = subprocess.Popen(words, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True,
                                       cwd=cwd, env={**os.environ, **(env or {})})
    except OSError as exc:
        raise HotpassError(f"{label}: cannot start {words[0]}: {exc.strerror}") from None
    _STARTED[process.pid] = process
    pidfile.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + (timeout if ready else settle)
    while True:
        if not alive(process.pid):
            pidfile.unlink(missing_ok=True)
            raise HotpassError(f"{label}: exited with {process.returncode}: "
                               f"{log_tail(log)} (log {log})")
        if ready is not None and ready():
            break
        if time.monotonic() >= deadline:
            if ready is None:
                break
            stop(name, state_dir=state_dir, timeout=5.0)
            raise HotpassError(f"{label}: not ready after {timeout:g} s: {log_tail(log)} "
                               f"(log {log})")
        time.sleep(0.2)
    return Handle(name, process.pid, pidfile, log, words)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


def stop(name: str, *, state_dir: Path, timeout: float = 10.0,
         grace: float = 1.0) -> dict[str, Any]:
    """Stop ``name`` for sure; see the module contract."""
    pidfile, _ = paths(name, state_dir)
    pid = read_pid(pidfile)
    if pid is None:
        return {"name": name, "pid": None, "stopped": False, "how": "no pidfile"}
    if not alive(pid):
        pidfile.unlink(missing_ok=True)
        return {"name": name, "pid": pid, "stopped": False, "how": "stale pidfile removed"}
    how = "SIGTERM"
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, grace):
        how = "SIGTERM x2"
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            how = "SIGKILL"
            _signal_group(pid, signal.SIGKILL)
            if not _wait_gone(pid, 5.0):
                raise HotpassError(f"{name}: pid {pid} survived SIGKILL")
    pidfile.unlink(missing_ok=True)
    return {"name": name, "pid": pid, "stopped": True, "how": how}


def status(state_dir: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Every pidfile in ``state_dir`` (or just ``name``): pid, alive, log."""
    rows = []
    for pidfile in sorted(Path(state_dir).glob("*.pid")):
        if name and pidfile.stem != name:
            continue
        pid = read_pid(pidfile)
        rows.append({"name": pidfile.stem, "pid": pid, "alive": bool(pid and alive(pid)),
                     "log": str(pidfile.with_suffix(".log"))})
    return rows
