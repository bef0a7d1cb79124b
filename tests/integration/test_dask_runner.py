"""``--task-runner dask``: the refinement flow's per-workbook tasks run in the worker
processes of a real local Dask cluster (started here), reported to the real Prefect
server, and give the same outputs as the thread runner."""

from __future__ import annotations

import json
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
    from hotpass.settings import load

    monkeypatch.setenv("HOTPASS_ENABLE_PREFECT_RUNTIME", "1")
    settings = load()

    def options(name: str):
        return refine_options(input_dir=ROOT / "data", profile="generic",
                              output_path=tmp_path / name / "r.xlsx", settings=settings)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        worker_pids = client.run(os.getpid)  # {worker address: pid}
        mode, on_dask = orchestrate(options("dask"), settings, task_runner="dask",
                                    dask_address=cluster.scheduler_address)
    mode_thread, on_threads = orchestrate(options("thread"), settings)

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
        (["--dask-workers", "2"], "--dask-workers: only with --task-runner dask"),
        (["--task-runner", "dask", "--dask-address", "tcp://127.0.0.1:9", "--dask-workers",
          "2"], "--dask-workers: only for the temporary local cluster"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "hotpass.cli", "orchestrate", "--output-path",
             str(tmp_path / "r.xlsx"), *args], capture_output=True, text=True, env=env,
            cwd=ROOT, timeout=60)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert not (tmp_path / "r.xlsx").exists()


def test_the_dask_path_over_many_files_gives_the_single_process_dataset(prefect_api, tmp_path):
    """5,000 generated rows over 4 files: `hotpass refine` in one process and `hotpass
    orchestrate --task-runner dask --dask-workers 2` (a real flow run on the test server,
    a temporary local cluster) publish the same CSV and Parquet, byte for byte, and the
    same workbook cells; the four files were prepared by both Dask workers."""
    pytest.importorskip("prefect_dask")
    from python_calamine import CalamineWorkbook

    from hotpass.bench.manyfiles import same_dataset
    from hotpass.bench.samples import generate_workbooks

    generated = generate_workbooks(tmp_path / "input", rows=5000, seed=11, files=4)
    assert len(generated.files) == 4
    env = {**os.environ, "PREFECT_API_URL": prefect_api["url"],
           "PREFECT_HOME": prefect_api["home"], "HOTPASS_ENABLE_PREFECT_RUNTIME": "1"}
    common = ["--input-dir", str(tmp_path / "input"), "--profile", "generic", "--json"]
    single = tmp_path / "single" / "refined.xlsx"
    many = tmp_path / "dask" / "refined.xlsx"
    refined = subprocess.run([sys.executable, "-m", "hotpass.cli", "refine", *common,
                              "--output-path", str(single)], capture_output=True, text=True,
                             cwd=ROOT, env=env, timeout=600)
    assert refined.returncode == 0, refined.stderr
    orchestrated = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "orchestrate", *common, "--output-path",
         str(many), "--task-runner", "dask", "--dask-workers", "2"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert orchestrated.returncode == 0, orchestrated.stderr
    summary = json.loads(orchestrated.stdout)
    assert summary["mode"] == "prefect" and summary["task_runner"] == "dask"
    assert sorted(summary["ran_on"]) == sorted(p.name for p in generated.files)
    assert len({place["dask_worker"] for place in summary["ran_on"].values()}) == 2
    assert summary["records_out"] == json.loads(refined.stdout)["totals"]["records_out"] > 1000

    assert same_dataset(many, single) == {"csv": True, "parquet": True}
    for sheet in ("Refined Data", "Provenance"):
        cells = [CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
                 for path in (single, many)]
        assert cells[0] == cells[1], sheet
    other = tmp_path / "other" / "refined.xlsx"  # the comparison can fail: another input
    other.parent.mkdir()
    for kind in ("csv", "parquet"):
        data = single.with_suffix(f".{kind}").read_bytes()
        other.with_suffix(f".{kind}").write_bytes(data[:-40] + bytes(40))
    assert same_dataset(other, single) == {"csv": False, "parquet": False}
