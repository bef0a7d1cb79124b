"""Task wiring: the Invoke namespace, dry runs, the Makefile and import-light startup."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.errors import HotpassError
from tests.programs import require

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_TASKS = {"refine", "test", "lint", "deps.sync", "data.sample", "bench.refine",
                  "evidence.verify", "evidence.export", "evidence.list", "incident.capture",
                  "incident.replay", "incident.close", "ci", "deploy", "doctor", "setup",
                  "ctx.init", "net.up", "net.down", "net.status", "credentials.show",
                  "credentials.set", "credentials.clear", "rehearse.offline",
                  "workers.start", "workers.stop", "workers.status", "stack.up", "stack.down",
                  "stack.status", "stack.logs", "enrich", "qa"}


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
    assert f"[dry-run] refine data -> {out} (profile generic); nothing written" in result.stdout
    assert not out.exists()


def test_refine_task_runs_the_main_job_where_the_settings_say(tmp_path):
    """No flags: HOTPASS_INPUT_DIR and HOTPASS_OUTPUT_PATH decide, as for hotpass refine."""
    inputs = tmp_path / "in"
    shutil.copytree(ROOT / "data", inputs)
    out = tmp_path / "out" / "r.xlsx"
    result = run("invoke", "refine", "--archive",
                 env={"HOTPASS_INPUT_DIR": str(inputs), "HOTPASS_OUTPUT_PATH": str(out)})
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.startswith("Refined ") and f"xlsx         {out}" in result.stdout
    assert out.exists() and out.with_name("r-bundle.zip").exists()


def test_refine_task_bad_input_is_one_line(tmp_path):
    result = run("invoke", "refine", "--input-dir", str(tmp_path / "missing"),
                 "--output-path", str(tmp_path / "r.xlsx"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert str(tmp_path / "missing") in result.stderr and "Traceback" not in result.stderr


def test_failed_step_raises_its_exit_code_and_one_message():
    from invoke import Context

    from ops.adapter import run as run_step

    with pytest.raises(HotpassError) as failed:
        run_step(Context(), ["sh", "-c", "exit 3"])
    assert failed.value.exit_code == 3
    assert failed.value.message == "step failed (exit 3): sh -c 'exit 3'"


def test_a_step_is_the_shell_runner_streamed_shown_redacted_and_recorded(capfd):
    from invoke import Context

    from hotpass.procedure import Evidence
    from ops.adapter import run as run_step

    ev = Evidence("t")
    token = "ghp_" + "a1" * 18
    script = f"echo out; echo 'token={token}' >&2; read line; echo got=$line"
    stdout = run_step(Context(), ["sh", "-c", script], ev=ev)
    shown = capfd.readouterr()
    assert shown.out.splitlines()[-2:] == ["out", "got="]  # as it came; stdin read, empty
    assert "token=***" in shown.err and token not in shown.out + shown.err
    assert stdout == "out\ngot=\n"
    [step] = ev.steps
    assert step.status == "ok" and step.exit_code == 0 and step.call.startswith("sh -c")
    assert "token=***" in step.output and token not in step.output


def test_dry_echoes_the_step_once_and_never_runs_it():
    for flags in (["--dry", "lint"], ["lint", "--dry-run"]):
        result = run("invoke", *flags)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("ruff check") == 1, result.stdout
        assert result.stdout.startswith("[dry-run] $ ruff check")


def test_dry_step_is_recorded_as_not_run():
    from invoke import Config, Context

    from hotpass.procedure import Evidence
    from ops.adapter import run as run_step

    ev = Evidence("t")
    context = Context(Config(overrides={"run": {"dry": True}}))
    assert run_step(context, ["touch", "/should-not-exist"], ev=ev) == ""
    assert [(s.call, s.status, s.exit_code) for s in ev.steps] == [
        ("touch /should-not-exist", "not run", None)]
    assert not Path("/should-not-exist").exists()


def fresh_env(tmp_path) -> dict[str, str]:
    venv = tmp_path / "env"
    assert run("uv", "venv", "-q", str(venv)).returncode == 0
    return {"UV_PROJECT_ENVIRONMENT": str(venv)}


def test_lock_is_committed_and_current():
    assert (ROOT / "uv.lock").is_file()
    tracked = run("git", "ls-files", "--error-unmatch", "uv.lock")
    assert tracked.returncode == 0 or not (ROOT / ".git").exists(), tracked.stderr
    result = run("uv", "lock", "--check")
    assert result.returncode == 0, ("uv.lock is stale for pyproject.toml: run `uv lock` and "
                                    "commit it\n" + result.stderr)


def test_default_sync_covers_the_runbooks(tmp_path):
    """`uv run hotpass ...` and `make sync` (`--extra dev`) both bring Prefect, OTel,
    OpenLineage and pytest: the default group `runbooks` always comes along."""
    env = fresh_env(tmp_path)
    for extra in ([], ["--extra", "dev"]):
        result = run("uv", "sync", "--locked", "--dry-run", *extra, env=env)
        assert result.returncode == 0, result.stderr
        planned = result.stderr + result.stdout
        for package in ("prefect==", "opentelemetry-sdk==", "openlineage-python==",
                        "pytest==", "hotpass"):
            assert f" + {package}" in planned, (extra, package)
    assert not (tmp_path / "env" / "lib" / "python3.11" / "site-packages" / "prefect").exists()


def test_deps_sync_check_reports_drift_in_one_line(tmp_path):
    env = fresh_env(tmp_path)
    result = run("invoke", "deps.sync", "--check", env=env)
    assert result.returncode == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("deps.sync")]
    assert re.match(r"deps\.sync --check: the environment drifts from uv\.lock: \d+ "
                    r"package\(s\) \(install ", line), line
    assert "install prefect" in line or "more" in line


def test_deps_sync_dry_run_plans_with_uv_and_installs_nothing(tmp_path):
    env = fresh_env(tmp_path)
    result = run("invoke", "deps.sync", "--extras", "dev orchestration", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "$ uv sync --locked --extra dev --extra orchestration --dry-run" in result.stdout
    assert "[dry-run] prefect: install (would)" in result.stdout
    assert not list((tmp_path / "env").rglob("prefect"))


def test_deps_outside_a_checkout_is_one_line(tmp_path):
    from hotpass.errors import HotpassError
    from hotpass.infra.deps import project_extras

    assert "dev" in project_extras() and "gazetteer" not in project_extras()
    with pytest.raises(HotpassError, match="run from a Hotpass checkout"):
        project_extras(tmp_path / "pyproject.toml")


def test_uv_sync_extras_script_reads_extras_from_pyproject():
    script = run("bash", "ops/uv_sync_extras.sh",
                 env={"HOTPASS_UV_EXTRAS": "dev orchestration", "HOTPASS_DRY_RUN": "1"})
    assert script.returncode == 0
    assert "+ uv sync --locked --extra dev --extra orchestration" in script.stdout
    dask = run("bash", "ops/uv_sync_extras.sh",
               env={"HOTPASS_UV_EXTRAS": "orchestration,distributed", "HOTPASS_DRY_RUN": "1"})
    assert "+ uv sync --locked --extra orchestration --extra distributed" in dask.stdout
    bad = run("bash", "ops/uv_sync_extras.sh", env={"HOTPASS_UV_EXTRAS": "gazetteer"})
    assert bad.returncode == 2 and "unknown extra 'gazetteer'" in bad.stderr
    from hotpass.infra.deps import project_extras

    assert f"(known: {' '.join(project_extras())})" in bad.stderr


def test_makefile_targets_call_invoke():
    require("make")
    for target, expected in [("sync", "invoke deps.sync"), ("qa", "invoke qa"),
                             ("test", "invoke test"), ("refine", "invoke refine")]:
        result = run("make", "-n", target)
        assert result.returncode == 0 and expected in result.stdout, (target, result.stdout)


def test_workers_stop_task_plans_stops_verifies_and_records(tmp_path):
    from hotpass import procs

    script = tmp_path / "stubborn.py"  # ignores the first SIGTERM, like a draining worker
    script.write_text("import signal, time\n"
                      "signal.signal(signal.SIGTERM, lambda *a: None)\n"
                      "while True:\n    time.sleep(0.05)\n")
    state = tmp_path / "workers"
    handle = procs.start("pool-a", [sys.executable, str(script)], state_dir=state, settle=0.3)
    (state / "pool-b.pid").write_text("999999\n")  # stale: that process is long gone
    evidence = {"HOTPASS_EVIDENCE_DIR": str(tmp_path / "ev")}
    dry = run("invoke", "--dry", "workers.stop", "--state-dir", str(state), env=evidence)
    assert dry.returncode == 0, dry.stderr
    assert "[dry-run] worker pool-a: stop (would)" in dry.stdout
    assert "[dry-run] worker pool-b: remove stale pidfile (would)" in dry.stdout
    assert procs.alive(handle.pid) and not (tmp_path / "ev").exists()

    done = run("invoke", "workers.stop", "--state-dir", str(state), "--timeout", "1",
               env=evidence)
    assert done.returncode == 0, done.stderr
    assert f"worker for pool pool-a: stopped pid {handle.pid} (SIGKILL)" in done.stdout
    assert "worker for pool pool-b: not running (stale pidfile removed)" in done.stdout
    assert not procs.alive(handle.pid) and not list(state.glob("*.pid"))
    [record_file] = (tmp_path / "ev").glob("workers.stop-*/record.json")
    record = json.loads(record_file.read_text())
    assert record["status"] == "ok" and record["differences"] == []
    assert [s["call"] for s in record["steps"] if s["phase"] == "apply"][1:] == [
        "stop worker pool-a", "stop worker pool-b"]
    assert f"evidence: {record_file.parent}" in done.stdout
