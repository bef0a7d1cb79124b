"""Task wiring: the Invoke namespace, dry runs, the Makefile and import-light startup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_TASKS = {"refine", "test", "lint", "deps.sync", "data.sample", "bench.refine",
                  "workers.start", "workers.stop", "workers.status", "stack.up", "stack.down",
                  "stack.status", "stack.logs"}


def run(*command: str, env: dict | None = None, cwd: Path = ROOT):
    return subprocess.run(list(command), capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def listed_tasks() -> set[str]:
    result = run("invoke", "--list", "--list-format=json")
    assert result.returncode == 0, result.stderr

    def names(collection: dict, prefix: str = "") -> set[str]:
        found = {prefix + task["name"] for task in collection["tasks"]}
        for child in collection["collections"]:
            found |= names(child, prefix + child["name"] + ".")
        return found

    return names(json.loads(result.stdout))


def test_invoke_lists_every_area():
    assert listed_tasks() >= EXPECTED_TASKS


def test_startup_imports_no_pandas_or_prefect():
    probe = ("import sys\n"
             "import tasks\n"
             "from hotpass.cli import main\n"
             "try:\n    main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('pandas', 'prefect', 'numpy', 'pydantic_settings', "
             "'opentelemetry', 'openlineage') "
             "if m in sys.modules]\n"
             "print('HEAVY', heavy)\n")
    result = run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "refine" in result.stdout  # the help text itself was printed


def test_refine_task_dry_run_runs_nothing(tmp_path):
    out = tmp_path / "r.xlsx"
    result = run("invoke", "refine", "--output-path", str(out), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"[dry-run] $ hotpass refine --input-dir data --output-path {out}" in result.stdout
    assert not out.exists()


def test_refine_task_runs_the_main_job(tmp_path):
    out = tmp_path / "r.xlsx"
    result = run("invoke", "refine", "--output-path", str(out), "--archive")
    assert result.returncode == 0, result.stderr + result.stdout
    assert out.exists() and out.with_name("r-bundle.zip").exists()


def test_failed_step_exits_with_its_code_and_one_message(tmp_path):
    result = run("invoke", "refine", "--input-dir", str(tmp_path / "missing"),
                 "--output-path", str(tmp_path / "r.xlsx"))
    assert result.returncode == 2
    assert "step failed (exit 2): hotpass refine" in result.stderr


def test_deps_sync_dry_run_shows_the_uv_command():
    result = run("invoke", "deps.sync", "--extras", "dev orchestration", "--dry-run")
    assert result.returncode == 0 and "bash ops/uv_sync_extras.sh" in result.stdout
    script = run("bash", "ops/uv_sync_extras.sh",
                 env={"HOTPASS_UV_EXTRAS": "dev orchestration", "HOTPASS_DRY_RUN": "1"})
    assert script.returncode == 0
    assert "+ uv sync --extra dev --extra orchestration" in script.stdout
    dask = run("bash", "ops/uv_sync_extras.sh",
               env={"HOTPASS_UV_EXTRAS": "orchestration,distributed", "HOTPASS_DRY_RUN": "1"})
    assert dask.returncode == 0
    assert "+ uv sync --extra orchestration --extra distributed" in dask.stdout
    bad = run("bash", "ops/uv_sync_extras.sh", env={"HOTPASS_UV_EXTRAS": "geospatial"})
    assert bad.returncode == 2 and "unknown extra 'geospatial'" in bad.stderr


def test_makefile_targets_call_invoke():
    for target, expected in [("sync", "invoke deps.sync"), ("qa", "invoke lint test"),
                             ("test", "invoke test"), ("refine", "invoke refine")]:
        result = run("make", "-n", target)
        assert result.returncode == 0 and expected in result.stdout, (target, result.stdout)
