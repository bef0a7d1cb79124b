"""`invoke rehearse.backfill` end to end against the shared real Prefect server and process
worker: a healthy rehearsal passes and its bundle verifies; a limit changed on the server,
a pool without a worker and days without input bundles each fail with one line naming
why, and still leave a bundle that verifies.

Each test registers its own uniquely named deployments (an overlay over copies of the
repo's manifests), so they share one server across xdist workers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from hotpass.evidence import problems
from tests.integration import prefect_stack

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def stack_environ(state, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "INVOKE_"))}
    return {**env, **prefect_stack.stack_env(Path(state["home"]), state["url"]),
            "PYTHONPATH": str(ROOT), "HOTPASS_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "HOTPASS_NEXT_STEPS_LOG": str(tmp_path / "Next_Steps_Log.md")}


def register(state, tmp_path: Path, *, pool: str = prefect_stack.POOL) -> dict:
    """Backfill + refinement manifests under unique names, registered on the server."""
    token = uuid.uuid4().hex[:8]
    base, over = tmp_path / "manifests", tmp_path / "manifests" / "rehearsal"
    over.mkdir(parents=True)
    archives, outputs = tmp_path / "archives", tmp_path / "backfill"
    refinement = f"hotpass-refinement/hotpass-refinement-{token}"
    for ident in ("backfill", "refinement"):
        shutil.copy(ROOT / "prefect" / f"{ident}.yaml", base / f"{ident}.yaml")
        data = {"id": ident, "name": f"hotpass-{ident}-{token}", "work_pool": pool,
                "concurrency_key": f"{ident}-{token}"}
        if ident == "backfill":
            data["parameters"] = {"archive_dir": str(archives), "output_dir": str(outputs),
                                  "poll_seconds": 1, "refinement_deployment": refinement}
        (over / f"{ident}.yaml").write_text(yaml.safe_dump(data))
    result = subprocess.run(["hotpass", "deploy", "--manifest-dir", str(over), "--flow",
                             "refinement", "--flow", "backfill"], capture_output=True,
                            text=True, cwd=ROOT, env=stack_environ(state, tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    return {"manifests": over, "archives": archives, "outputs": outputs, "token": token,
            "deployment": f"hotpass-backfill/hotpass-backfill-{token}", "pool": pool}


def rehearse(state, setup: dict, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["invoke", "rehearse.backfill", "--manifest-dir", str(setup["manifests"]),
         "--out-dir", str(out), *args], capture_output=True, text=True, cwd=ROOT,
        env=stack_environ(state, out.parent), timeout=900)


def one_bundle(out: Path) -> tuple[Path, dict]:
    [bundle] = list(out.iterdir())
    assert problems(bundle) == []
    return bundle, json.loads((bundle / "summary.json").read_text())


def failure_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def healthy(prefect_api, tmp_path_factory):
    return register(prefect_api, tmp_path_factory.mktemp("healthy"))


def test_rehearsal_of_a_healthy_deployment_passes_and_its_bundle_verifies(
        prefect_api, healthy, tmp_path):
    out = tmp_path / "out"
    result = rehearse(prefect_api, healthy, out, "--since", "2024-01-01", "--until",
                      "2024-01-03", "--with-sample-inputs", "--timeout", "300")
    assert result.returncode == 0, result.stderr + result.stdout
    bundle, summary = one_bundle(out)
    assert f"bundle: {bundle}" in result.stdout
    assert summary["verdict"] == "pass" and summary["run_state"] == "Completed"
    assert [w["state"] for w in summary["windows"]] == ["Completed"] * 3
    assert [w["day"] for w in summary["windows"]] == ["2024-01-01", "2024-01-02",
                                                      "2024-01-03"]
    assert 1 <= summary["observed_concurrency"] <= 2  # the manifest's limit
    assert summary["guardrails"]["differences"] == []
    assert summary["guardrails"]["server"]["concurrency_limit"] == 2
    assert summary["row_counts"]["windows"] == 3 and summary["row_counts"]["rows_in"] > 0
    for day in ("20240101", "20240102", "20240103"):
        assert (healthy["archives"] / f"hotpass-inputs-{day}.zip").is_file()
        assert (healthy["outputs"] / day / "refined.xlsx").is_file()
    png = (bundle / "hotpass-e2e-staging.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    metadata = json.loads((bundle / "metadata.json").read_text())
    assert metadata["id"] == summary["flow_run_id"]
    assert metadata["state"]["type"] == "COMPLETED"
    assert json.loads((bundle / "work-pool.json").read_text())["name"] == prefect_stack.POOL
    deployment = json.loads((bundle / "deployment.json").read_text())
    assert deployment["name"] == f"hotpass-backfill-{healthy['token']}"
    script = (bundle / "cli.sh").read_text()
    assert f"prefect deployment run {healthy['deployment']}" in script
    assert script.count("# exit 0") == script.count("# exit ")
    [child] = (bundle / "children").iterdir()  # the procedure's own record, linked
    assert json.loads((child / "summary.json").read_text())["verdict"] == "pass"
    log = (tmp_path / "Next_Steps_Log.md").read_text()
    assert f"| rehearse.backfill | {bundle.name} | pass | {bundle} |" in log
    checked = subprocess.run(["invoke", "evidence.verify", str(bundle)], capture_output=True,
                             text=True, cwd=ROOT, env=stack_environ(prefect_api, tmp_path),
                             timeout=300)
    assert checked.returncode == 0, checked.stderr


def test_days_without_bundles_fail_saying_nothing_ran(prefect_api, healthy, tmp_path):
    out = tmp_path / "out"
    result = rehearse(prefect_api, healthy, out, "--since", "2023-06-01", "--until",
                      "2023-06-02", "--timeout", "300")
    line = failure_line(result)
    assert "FAIL: no window actually ran between 2023-06-01 and 2023-06-02" in line
    bundle, summary = one_bundle(out)
    assert str(bundle) in line
    assert summary["verdict"] == "fail"
    assert [w["state"] for w in summary["windows"]] == ["skipped", "skipped"]
    assert summary["run_state"] == "Completed"  # the backfill itself "succeeded"


def test_a_limit_changed_on_the_server_fails_naming_the_guardrail(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate

    setup = register(prefect_api, tmp_path)
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(setup["deployment"])
        client.update_deployment(deployment.id, DeploymentUpdate(concurrency_limit=3))
    out = tmp_path / "out"
    result = rehearse(prefect_api, setup, out, "--with-sample-inputs")
    line = failure_line(result)
    assert "guardrail differs from the manifest: concurrency_limit: server 3, manifest 2" \
        in line
    bundle, summary = one_bundle(out)
    assert str(bundle) in line
    assert summary["flow_run_id"] is None  # nothing was triggered
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[deployment.id])))
    assert runs == []
    assert not setup["archives"].exists()  # no sample bundles either


def test_a_pool_without_a_worker_fails_within_its_timeout_saying_so(prefect_api, tmp_path):
    pool = f"nobody-{uuid.uuid4().hex[:8]}"
    setup = register(prefect_api, tmp_path, pool=pool)
    out = tmp_path / "out"
    result = rehearse(prefect_api, setup, out, "--timeout", "3", "--with-sample-inputs")
    line = failure_line(result)
    assert "for --timeout 3 s: no live worker on pool " + pool in line, line
    bundle, summary = one_bundle(out)
    assert summary["workers_online"] == 0 and summary["windows"][0]["state"] == "skipped"
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(summary["flow_run_id"])
    assert run.state.type.value in {"CANCELLED", "CANCELLING"}  # it will not run later


def test_the_backfill_rehearsal_runbook_runs_as_written(prefect_api, tmp_path):
    """Every ```bash line of docs/how-to/rehearse-a-backfill.md, in order, in a scratch
    copy of the checkout, against the shared server: the staging overlay registered and a
    worker on its pool (the page's prerequisites), three of the four days archived."""
    from hotpass import __version__, procs
    from hotpass.orchestration.workers import worker_command
    from hotpass.refine.output.archive import build_input_bundle
    from tests.docs.test_docs import DOCS, bash_lines

    work = tmp_path / "hotpass"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(
        ".git", "dist", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "*.egg-info",
        "Next_Steps_Log.md", ".env.*"))
    env = {**stack_environ(prefect_api, tmp_path), "PYTHONPATH": str(work)}
    env.pop("HOTPASS_EVIDENCE_DIR")
    registered = subprocess.run(
        ["hotpass", "deploy", "--manifest-dir", "prefect/staging", "--flow", "refinement",
         "--flow", "backfill"], capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert registered.returncode == 0, registered.stderr + registered.stdout
    inputs = sorted(p for p in (work / "data").iterdir() if p.suffix == ".csv")
    for day in (1, 2, 3):
        build_input_bundle(bundle_dir=work / "dist" / "input-archives", inputs=inputs,
                           input_root=work / "data", profile="generic",
                           hotpass_version=__version__, day=dt.date(2024, 1, day))
    workers = tmp_path / "workers"
    procs.start("hotpass-staging-pool", worker_command("hotpass-staging-pool", limit=4),
                state_dir=workers, env=env, settle=1.0)
    try:
        for command in bash_lines(DOCS / "how-to" / "rehearse-a-backfill.md"):
            result = subprocess.run(["bash", "-c", f"set -o pipefail; {command.text}"],
                                    capture_output=True, text=True, cwd=work, env=env,
                                    timeout=900)
            assert result.returncode == command.expect_exit, (
                f"{command}\n{result.stdout}\n{result.stderr}")
            assert "Traceback" not in result.stderr, command
    finally:
        procs.stop("hotpass-staging-pool", state_dir=workers, timeout=5)
    [bundle] = (work / "dist" / "staging" / "backfill").glob("2*")
    assert problems(bundle) == []
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["verdict"] == "pass" and summary["states"] == {"Completed": 3, "skipped": 1}
    assert 1 <= summary["observed_concurrency"] <= 2
    manual = work / "dist" / "staging" / "backfill" / "manual"
    assert json.loads((manual / "deployment.json").read_text())["name"] == "hotpass-backfill"
    assert json.loads((manual / "concurrency-limit.json").read_text())["limit"] == 2
