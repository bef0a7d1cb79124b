"""``--task-runner dask``: the refinement flow's per-workbook tasks run in the worker
processes of a real local Dask cluster (started here), reported to the real Prefect
server, and give the same outputs as the thread runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_dask_runner_spreads_workbooks_over_cluster_workers(prefect_api, tmp_path,
                                                             monkeypatch):
    pytest.importorskip("prefect_dask")
    import pandas as pd
    from distributed import Client, LocalCluster

    from hotpass.orchestration.runtime import orchestrate
    from hotpass.refine.ingest.files import discover_inputs
    from hotpass.refine.run import refine_options

    monkeypatch.setenv("HOTPASS_ENABLE_PREFECT_RUNTIME", "1")

    def options(name: str):
        return refine_options(input_dir=ROOT / "data", profile="generic",
                              output_path=tmp_path / name / "r.xlsx")

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        worker_pids = client.run(os.getpid)  # {worker address: pid}
        mode, on_dask = orchestrate(options("dask"), task_runner="dask",
                                    dask_address=cluster.scheduler_address)
    mode_thread, on_threads = orchestrate(options("thread"))

    assert (mode, mode_thread) == ("prefect", "prefect")
    assert on_dask["task_runner"] == "dask" and on_threads["task_runner"] == "thread"
    assert sorted(on_dask["ran_on"]) == sorted(on_dask["processed"])
    assert len(on_dask["processed"]) == len(discover_inputs(ROOT / "data"))
    places = list(on_dask["ran_on"].values())
    for place in places:  # each task ran in a Dask worker process, never in this one
        assert place["pid"] != os.getpid()
        assert worker_pids[place["dask_worker"]] == place["pid"]
    assert len({p["dask_worker"] for p in places}) == 2, places  # both workers took work
    assert {p["pid"] for p in on_threads["ran_on"].values()} == {os.getpid()}
    assert not any("dask_worker" in p for p in on_threads["ran_on"].values())

    for key in ("processed", "rows_in", "records_out", "duplicates_merged", "errors",
                "warnings"):
        assert on_dask[key] == on_threads[key], key
    dask_rows = pd.read_parquet(tmp_path / "dask" / "r.parquet")
    thread_rows = pd.read_parquet(tmp_path / "thread" / "r.parquet")
    assert len(dask_rows) == on_dask["records_out"] > 0
    pd.testing.assert_frame_equal(dask_rows, thread_rows)


def test_dask_runner_needs_the_prefect_runtime_and_a_dask_address_needs_dask(tmp_path):
    env = {**os.environ, "HOTPASS_ENABLE_PREFECT_RUNTIME": "0"}
    for args, message in [
        (["--task-runner", "dask"], "--task-runner dask: runs on the Prefect runtime only"),
        (["--dask-address", "tcp://127.0.0.1:9"], "--dask-address: only with --task-runner"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "hotpass.cli", "orchestrate", "--output-path",
             str(tmp_path / "r.xlsx"), *args], capture_output=True, text=True, env=env,
            cwd=ROOT, timeout=60)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert not (tmp_path / "r.xlsx").exists()
