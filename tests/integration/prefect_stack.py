"""One real Prefect server and process worker for the whole test run, shared by xdist
workers: the first one to need it starts it (under a file lock), the last one to finish
stops it. Server and worker are started and stopped with hotpass.procs (pidfile, log,
ready probe, escalating stop), so the fixture also exercises the module behind
`invoke workers.start/stop` and the native stack.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from hotpass import procs

POOL = "hotpass-test-pool"
FAST = {  # short polling so the suite stays fast
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_WORKER_PREFETCH_SECONDS": "5",
    "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
    "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "true",  # rehearse.backfill screenshots the run's UI page
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    return procs.http_ready(f"{url}/health")()


def stack_env(home: Path, url: str) -> dict[str, str]:
    return {**FAST, "PREFECT_HOME": str(home), "PREFECT_API_URL": url}


def _start(root: Path) -> dict:
    from hotpass.orchestration.workers import worker_command

    home = root / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = stack_env(home, url)
    server = procs.start(
        "prefect-server", [sys.executable, "-m", "prefect", "server", "start", "--host",
                           "127.0.0.1", "--port", str(port)],
        state_dir=root, env=env, ready=procs.http_ready(f"{url}/health"), timeout=90)
    worker = procs.start(POOL, worker_command(POOL, name="hotpass-test-worker"),
                         state_dir=root / "workers", env=env, settle=1.0)
    return {"url": url, "home": str(home), "server_pid": server.pid,
            "worker_pid": worker.pid, "workers_dir": str(root / "workers"), "users": 0}


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[Path]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "prefect-stack.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield root / "prefect-stack.json"
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def acquire(root: Path) -> dict:
    with _locked(root) as state_file:
        state = json.loads(state_file.read_text()) if state_file.exists() else None
        if state is None or not healthy(state["url"]):
            state = _start(root)
        state["users"] += 1
        state_file.write_text(json.dumps(state))
        return state


def release(root: Path) -> None:
    with _locked(root) as state_file:
        state = json.loads(state_file.read_text())
        state["users"] -= 1
        if state["users"] > 0:
            state_file.write_text(json.dumps(state))
            return
        procs.stop(POOL, state_dir=Path(state["workers_dir"]), timeout=5)
        procs.stop("prefect-server", state_dir=root, timeout=5)
        state_file.unlink()
