"""The many-files path of ``bench.refine``: the same refine as a Prefect flow whose per-file
tasks run on a local Dask cluster, beside the single-process command on the same files.

Contract: ``prefect_server(state_dir)`` starts a throwaway ``prefect server start`` on a
free loopback port (SQLite under ``state_dir``) and yields the environment a child needs to
run flows on it (``PREFECT_API_URL``, ``PREFECT_HOME``, ``HOTPASS_ENABLE_PREFECT_RUNTIME``);
it stops the server on the way out. ``same_dataset(one, other)`` compares the CSV and
Parquet two runs published next to their workbooks, byte for byte, and returns
``{"csv": bool, "parquet": bool}``.

Pitfalls: the server runs before the timed child starts and is not part of its figures
(an operator's server is already up); the Dask scheduler and workers are the child's own
processes, so they are. The server's start waits up to 90 s on a loaded machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from hotpass import procs

SERVER = "bench-prefect-server"
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
         "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def prefect_server(state_dir: Path) -> Iterator[dict[str, str]]:
    state_dir = Path(state_dir).resolve()
    home = state_dir / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**QUIET, "PREFECT_HOME": str(home), "PREFECT_API_URL": url}
    procs.start(SERVER, [sys.executable, "-m", "prefect", "server", "start", "--host",
                         "127.0.0.1", "--port", str(port)],
                state_dir=state_dir, env=env, ready=procs.http_ready(f"{url}/health"),
                timeout=90, label="bench.refine's Prefect server")
    try:
        yield {**os.environ, **env, "HOTPASS_ENABLE_PREFECT_RUNTIME": "1"}
    finally:
        procs.stop(SERVER, state_dir=state_dir, timeout=10)


def same_dataset(one: Path, other: Path) -> dict[str, bool]:
    """Whether the CSV and Parquet beside the workbooks ``one`` and ``other`` are equal."""
    return {kind: one.with_suffix(f".{kind}").read_bytes() ==
            other.with_suffix(f".{kind}").read_bytes() for kind in ("csv", "parquet")}
