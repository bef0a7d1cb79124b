"""`invoke workers.start/status/stop` against the real Prefect server: start is planned,
applied and verified (idempotent on a second call), the server sees the worker, stop
escalates and verifies, and each run leaves a schema-valid evidence record."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import jsonschema

from tests.integration import prefect_stack

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "evidence" / "procedure-record.schema.json").read_text())


def invoke(prefect_api, tmp_path, *args):
    env = {**os.environ, **prefect_stack.stack_env(Path(prefect_api["home"]),
                                                   prefect_api["url"]),
           "HOTPASS_EVIDENCE_DIR": str(tmp_path / "ev"),
           "HOTPASS_WORKERS_DIR": str(tmp_path / "workers")}
    return subprocess.run(["invoke", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=180)


def test_worker_start_is_verified_idempotent_and_stops(prefect_api, tmp_path):
    pool = f"hotpass-task-pool-{os.getpid()}"
    started = invoke(prefect_api, tmp_path, "workers.start", "--pool", pool)
    assert started.returncode == 0, started.stderr
    assert f"worker {pool}: start (done)" in started.stdout
    pid = int(started.stdout.split("started: pid ")[1].split(",")[0])
    assert (tmp_path / "workers" / f"{pool}.pid").read_text().strip() == str(pid)

    again = invoke(prefect_api, tmp_path, "workers.start", "--pool", pool)
    assert again.returncode == 0, again.stderr
    assert f"worker {pool}: unchanged" in again.stdout
    assert f"already running: pid {pid}" in again.stdout
    other = invoke(prefect_api, tmp_path, "workers.start", "--pool", pool, "--limit", "3")
    assert other.returncode == 2 and "already runs with other options" in other.stderr

    deadline = time.monotonic() + 60
    while True:  # the server learns about the worker from its first heartbeat
        status = invoke(prefect_api, tmp_path, "workers.status", "--pool", pool, "--json")
        report = json.loads(status.stdout)
        if any(row["worker"] for row in report["server"] or []) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert [row["alive"] for row in report["local"]] == [True]
    assert any(row["worker"] and row["status"] == "ONLINE" for row in report["server"])

    stopped = invoke(prefect_api, tmp_path, "workers.stop", "--pool", pool, "--timeout", "5")
    assert stopped.returncode == 0, stopped.stderr
    assert f"worker for pool {pool}: stopped pid {pid}" in stopped.stdout
    assert not (tmp_path / "workers" / f"{pool}.pid").exists()

    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "ev").glob("*/record.json"))]
    assert [(r["procedure"], r["status"]) for r in records] == [
        ("workers.start", "ok"), ("workers.start", "ok"), ("workers.start", "failed"),
        ("workers.stop", "ok")]  # the refusal read the live state, so it is on record
    assert "already runs with other options" in records[2]["error"]
    for record in records:
        jsonschema.validate(record, SCHEMA)
