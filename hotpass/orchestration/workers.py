"""Background Prefect workers: start with a pidfile and log, stop for sure, show status.

Contract: ``start_worker(pool)`` runs ``prefect worker start --pool POOL --type process``
in its own session, output to ``<state_dir>/<pool>.log``, pid in ``<pool>.pid``; it
refuses when that pool's worker is already running and fails (with the log's tail) if the
worker exits within the first seconds. ``stop_worker(pool)`` signals the worker's
process group with SIGTERM, then again (a Prefect worker ignores the first one while it
drains), then SIGKILL after ``timeout``; it returns only when the process is gone.
``worker_status()`` lists the local pidfiles (alive or stale) and, with a reachable
``PREFECT_API_URL``, every pool's workers with their last heartbeat.

Pitfalls: the pidfile holds the session leader's pid; flow-run subprocesses the worker
started are in the same process group and stop with it. A stale pidfile (process gone)
is reported and cleaned by ``stop``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

STATE_DIR = Path("dist/workers")


def _paths(pool: str, state_dir: Path) -> tuple[Path, Path]:
    return Path(state_dir) / f"{pool}.pid", Path(state_dir) / f"{pool}.log"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        stat = Path(f"/proc/{pid}/stat")
        return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def worker_command(pool: str, limit: int | None = None, worker_type: str = "process",
                   name: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
               "--type", worker_type]
    if limit:
        command += ["--limit", str(limit)]
    if name:
        command += ["--name", name]
    return command


def start_worker(pool: str, *, limit: int | None = None, state_dir: Path = STATE_DIR,
                 worker_type: str = "process", env: dict[str, str] | None = None,
                 settle_seconds: float = 3.0, name: str | None = None) -> dict[str, Any]:
    pidfile, log = _paths(pool, state_dir)
    pid = read_pid(pidfile)
    if pid and alive(pid):
        raise HotpassError(f"workers.start: a worker for pool '{pool}' is already running "
                           f"(pid {pid}, {pidfile}); stop it first")
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    command = worker_command(pool, limit, worker_type, name)
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, **(env or {})})
    pidfile.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pidfile.unlink(missing_ok=True)
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise HotpassError(f"workers.start: the worker for '{pool}' exited with "
                               f"{process.returncode}: {' | '.join(tail)} (log {log})")
        time.sleep(0.2)
    return {"pool": pool, "pid": process.pid, "pidfile": str(pidfile), "log": str(log),
            "command": command}


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


def stop_worker(pool: str, *, state_dir: Path = STATE_DIR,
                timeout: float = 10.0) -> dict[str, Any]:
    pidfile, _ = _paths(pool, state_dir)
    pid = read_pid(pidfile)
    if pid is None:
        return {"pool": pool, "pid": None, "stopped": False, "how": "no pidfile"}
    if not alive(pid):
        pidfile.unlink(missing_ok=True)
        return {"pool": pool, "pid": pid, "stopped": False, "how": "stale pidfile removed"}
    how = "SIGTERM"
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, 1.0):
        how = "SIGTERM x2"
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            how = "SIGKILL"
            _signal_group(pid, signal.SIGKILL)
            if not _wait_gone(pid, 5.0):
                raise HotpassError(f"workers.stop: pid {pid} survived SIGKILL")
    pidfile.unlink(missing_ok=True)
    return {"pool": pool, "pid": pid, "stopped": True, "how": how}


def local_workers(state_dir: Path = STATE_DIR) -> list[dict[str, Any]]:
    rows = []
    for pidfile in sorted(Path(state_dir).glob("*.pid")):
        pid = read_pid(pidfile)
        rows.append({"pool": pidfile.stem, "pid": pid,
                     "alive": bool(pid and alive(pid)), "log": str(pidfile.with_suffix(".log"))})
    return rows


def server_workers(pool: str | None = None) -> list[dict[str, Any]]:
    """Every pool's workers with status and last heartbeat, as the server sees them."""
    from hotpass.orchestration.api import client as api_client

    rows = []
    with api_client("workers.status") as client:
        pools = [client.read_work_pool(pool)] if pool else client.read_work_pools()
        for work_pool in pools:
            workers = client.read_workers_for_work_pool(work_pool.name, limit=200, offset=0)
            if not workers:
                rows.append({"pool": work_pool.name, "worker": None, "status": "no workers",
                             "last_heartbeat": None})
            for worker in workers:
                rows.append({"pool": work_pool.name, "worker": worker.name,
                             "status": str(getattr(worker.status, "value", worker.status)),
                             "last_heartbeat": worker.last_heartbeat_time.isoformat()
                             if worker.last_heartbeat_time else None})
    return rows


def worker_status(pool: str | None = None, state_dir: Path = STATE_DIR) -> dict[str, Any]:
    from hotpass.orchestration.api import api_url
    from hotpass.redact import redact_data

    return redact_data(_worker_status(pool, state_dir, api_url()))


def _worker_status(pool: str | None, state_dir: Path, url: str | None) -> dict[str, Any]:
    local = [row for row in local_workers(state_dir) if not pool or row["pool"] == pool]
    if not url:
        return {"local": local, "server": None, "note": "PREFECT_API_URL is not set"}
    try:
        return {"local": local, "server": server_workers(pool), "api_url": url}
    except Exception as exc:  # unreachable server, unknown pool: report, do not crash
        return {"local": local, "server": None,
                "note": f"cannot read workers from {url}: {str(exc).splitlines()[0][:160]}"}
