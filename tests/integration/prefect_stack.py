"""One real Prefect server and process worker for the whole test run, shared by xdist
workers: the first one to need it starts it (under a file lock), the last one to finish
stops it. The worker is started and stopped with hotpass.orchestration.workers, so the
fixture also exercises `invoke workers.start/stop`'s logic.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

POOL = "hotpass-test-pool"
FAST = {  # short polling so the suite stays fast
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_WORKER_PREFETCH_SECONDS": "5",
    "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
    "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stack_env(home: Path, url: str) -> dict[str, str]:
    return {**FAST, "PREFECT_HOME": str(home), "PREFECT_API_URL": url}


def _start(root: Path) -> dict:
    from hotpass.orchestration.workers import start_worker

    home = root / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **stack_env(home, url)}
    log = (root / "prefect-server.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True)
    deadline = time.monotonic() + 90
    while not healthy(url):
        if server.poll() is not None or time.monotonic() > deadline:
            _kill(server.pid)
            tail = (root / "prefect-server.log").read_text(errors="replace")[-800:]
            raise RuntimeError(f"prefect server did not become healthy:\n{tail}")
        time.sleep(0.3)
    worker = start_worker(POOL, state_dir=root / "workers", env=stack_env(home, url),
                          settle_seconds=1.0, name="hotpass-test-worker")
    return {"url": url, "home": str(home), "server_pid": server.pid,
            "worker_pid": worker["pid"], "workers_dir": str(root / "workers"), "users": 0}


def _kill(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            time.sleep(0.1)


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
    from hotpass.orchestration.workers import stop_worker

    with _locked(root) as state_file:
        state = json.loads(state_file.read_text())
        state["users"] -= 1
        if state["users"] > 0:
            state_file.write_text(json.dumps(state))
            return
        stop_worker(POOL, state_dir=Path(state["workers_dir"]), timeout=5)
        _kill(state["server_pid"])
        state_file.unlink()
