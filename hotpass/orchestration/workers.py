"""Background Prefect workers as procedures: start and stop with plan, apply, verify.

Contract: ``StartWorker(pool)`` plans ``start`` (or ``unchanged`` when that pool's
worker already runs with the same command; a different command is an error), applies
``prefect worker start --pool POOL --type process`` through ``hotpass.procs`` (pidfile
``<state_dir>/<pool>.pid``, log ``<pool>.log``; a worker that exits within ``settle``
seconds fails with the log's tail) and verifies the pidfile names a live process.
``StopWorkers(pools)`` (every pidfile when ``pools`` is empty) plans ``stop`` per live
worker, ``remove stale pidfile`` for a dead one and ``unchanged`` for none, applies
``procs.stop`` (SIGTERM, SIGTERM again while the worker drains, SIGKILL after
``timeout``) and verifies every pid is gone. Run both with ``hotpass.procedure.run``.
``worker_status()`` lists the local pidfiles and, with a reachable ``PREFECT_API_URL``,
every pool's workers with their last heartbeat.

Pitfalls: flow-run subprocesses the worker started are in its process group and stop
with it. State folder default: ``HOTPASS_WORKERS_DIR`` (``dist/workers``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from hotpass import procs
from hotpass.errors import HotpassError
from hotpass.procedure import Change, Evidence, Procedure

POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def worker_command(pool: str, limit: int | None = None, worker_type: str = "process",
                   name: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
               "--type", worker_type]
    if limit:
        command += ["--limit", str(limit)]
    if name:
        command += ["--name", name]
    return command


def _check_pool(pool: str, flag: str) -> None:
    if not pool:
        raise HotpassError(f"{flag}: --pool is required (the work pool the worker polls)")
    if not POOL_NAME.match(pool):
        raise HotpassError(f"{flag}: --pool {pool!r} is not a pool name (letters, digits, "
                           "'-', '_', '.'; no '/')")


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class StartWorker(Procedure):
    name = "workers.start"

    def __init__(self, pool: str, *, limit: int | None = None, worker_type: str = "process",
                 state_dir: Path, env: dict[str, str] | None = None,
                 settle: float = 3.0, worker_name: str | None = None) -> None:
        self.pool, self.limit, self.env, self.settle = pool, limit, env, settle
        self.state_dir = state_dir
        self.command = worker_command(pool, limit, worker_type, worker_name)
        self.handle: procs.Handle | None = None

    def prepare(self, ev: Evidence) -> None:
        _check_pool(self.pool, self.name)
        if self.limit is not None and self.limit < 0:
            raise HotpassError(f"{self.name}: --limit must be 0 or more, not {self.limit}")
        try:
            import prefect  # noqa: F401
        except ImportError:
            raise HotpassError(f"{self.name}: needs the orchestration extra: "
                               "pip install 'hotpass[orchestration]'") from None
        self.state_dir = Path(self.state_dir)

    def plan(self, ev: Evidence) -> list[Change]:
        pidfile, log = procs.paths(self.pool, self.state_dir)
        pid = procs.running_pid(self.pool, self.state_dir)
        target = f"worker {self.pool}"
        if pid is None:
            return [Change(target, "start", {"command": self.command, "pidfile": str(pidfile),
                                             "log": str(log)})]
        running = _cmdline(pid)
        if running is not None and running[1:] != self.command[1:]:
            raise HotpassError(f"{self.name}: the worker for pool '{self.pool}' already runs "
                               f"with other options (pid {pid}: {' '.join(running[1:])}); "
                               "stop it first")
        return [Change(target, "unchanged", {"pid": pid, "pidfile": str(pidfile)})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        with ev.step(" ".join(self.command)) as step:
            self.handle = procs.start(self.pool, self.command, state_dir=self.state_dir,
                                      env=self.env, settle=self.settle,
                                      label=f"{self.name}: the worker for '{self.pool}'")
            step.output = f"pid {self.handle.pid}, log {self.handle.log}"

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        pid = procs.running_pid(self.pool, self.state_dir)
        if pid is None:
            _, log = procs.paths(self.pool, self.state_dir)
            return [f"worker {self.pool}: not running ({procs.log_tail(log)})"]
        if self.handle is not None and pid != self.handle.pid:
            return [f"worker {self.pool}: pidfile names pid {pid}, started {self.handle.pid}"]
        return []

    def result(self, ev: Evidence) -> procs.Handle | None:
        """The worker started (``None`` when it already ran, or under dry-run)."""
        return self.handle


class StopWorkers(Procedure):
    name = "workers.stop"

    def __init__(self, pools: list[str] | None = None, *, state_dir: Path,
                 timeout: float = 10.0) -> None:
        self.pools, self.state_dir, self.timeout = list(pools or []), state_dir, timeout
        self.results: list[dict[str, Any]] = []

    def prepare(self, ev: Evidence) -> None:
        for pool in self.pools:
            _check_pool(pool, self.name)
        if self.timeout < 0:
            raise HotpassError(f"{self.name}: --timeout must be 0 or more, not {self.timeout}")
        self.state_dir = Path(self.state_dir)

    def plan(self, ev: Evidence) -> list[Change]:
        rows = {row["name"]: row for row in procs.status(self.state_dir)}
        changes = []
        for pool in self.pools or sorted(rows):
            row = rows.get(pool)
            if row is None:
                changes.append(Change(f"worker {pool}", "unchanged", {"how": "no pidfile"}))
            elif row["alive"]:
                changes.append(Change(f"worker {pool}", "stop", {"pid": row["pid"]}))
            else:
                changes.append(Change(f"worker {pool}", "remove stale pidfile",
                                      {"pid": row["pid"]}))
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        for change in changes:
            pool = change.target.removeprefix("worker ")
            with ev.step(f"stop worker {pool}") as step:
                result = procs.stop(pool, state_dir=self.state_dir, timeout=self.timeout)
                step.output = result["how"]
                self.results.append(result)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        problems = []
        for change in changes:
            pid = change.detail.get("pid")
            if change.action == "stop" and pid and procs.alive(pid):
                problems.append(f"{change.target}: pid {pid} still running")
            pool = change.target.removeprefix("worker ")
            if change.pending and procs.paths(pool, self.state_dir)[0].exists():
                problems.append(f"{change.target}: pidfile still there")
        return problems


    def result(self, ev: Evidence) -> list[dict[str, Any]]:
        """One row per worker stopped: ``name``, ``pid``, ``stopped``, ``how``."""
        return self.results


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


def worker_status(pool: str | None, state_dir: Path) -> dict[str, Any]:
    from hotpass.orchestration.api import api_url
    from hotpass.redact import redact_data

    if pool:
        _check_pool(pool, "workers.status")
    return redact_data(_worker_status(pool, state_dir, api_url()))


def _worker_status(pool: str | None, state_dir: Path, url: str | None) -> dict[str, Any]:
    local = [{"pool": row["name"], **row} for row in procs.status(state_dir, pool)]
    if not url:
        return {"local": local, "server": None, "note": "PREFECT_API_URL is not set"}
    try:
        return {"local": local, "server": server_workers(pool), "api_url": url}
    except Exception as exc:  # unreachable server, unknown pool: report, do not crash
        return {"local": local, "server": None,
                "note": f"cannot read workers from {url}: {str(exc).splitlines()[0][:160]}"}
