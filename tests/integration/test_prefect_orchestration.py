"""Orchestration against a real Prefect server and process worker (no Prefect mocks).

Each test registers its own uniquely named deployments (an overlay over copies of the
repo's manifests), so tests can share one server across xdist workers. Everything is
proven from what the server reports: deployments, flow-run states and timestamps,
artifacts. The ``prefect_api`` fixture (tests/integration/conftest.py) is the shared
server and worker.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml

from tests import observability_receivers as receivers
from tests.integration import prefect_stack
from tests.observability_receivers import validate_openlineage

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
otlp_receiver = receivers.otlp_receiver
lineage_receiver = receivers.lineage_receiver


def hotpass(state, *args, check=True):
    env = {**os.environ, **prefect_stack.stack_env(Path(state["home"]), state["url"])}
    result = subprocess.run([sys.executable, "-m", "hotpass.cli", *args], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=180)
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def overlay(tmp_path: Path, token: str, extra: dict[str, dict] | None = None) -> Path:
    """Copies of prefect/*.yaml plus an overlay giving each a unique name and test pool."""
    base = tmp_path / "manifests"
    over = base / "test"
    over.mkdir(parents=True)
    for path in (ROOT / "prefect").glob("*.yaml"):
        shutil.copy(path, base / path.name)
        ident = yaml.safe_load(path.read_text())["id"]
        data = {"id": ident, "name": f"hotpass-{ident}-{token}",
                "work_pool": prefect_stack.POOL, "concurrency_key": f"{ident}-{token}"}
        data.update((extra or {}).get(ident, {}))
        (over / path.name).write_text(yaml.safe_dump(data))
    return over


def read_deployment(name: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


def test_deploy_registers_every_manifest_idempotently(prefect_api, tmp_path):
    token = uuid.uuid4().hex[:8]
    manifests = overlay(tmp_path, token)
    flows = ["--flow", "refinement", "--flow", "backfill", "--flow", "e2e-staging"]

    dry = json.loads(hotpass(prefect_api, "deploy", *flows, "--manifest-dir", str(manifests),
                             "--dry-run", "--json").stdout)
    assert [d["action"] for d in dry["deployments"]] == ["create"] * 3
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):  # the dry run registered nothing
        read_deployment(f"hotpass-refinement/hotpass-refinement-{token}")

    first = json.loads(hotpass(prefect_api, "deploy", *flows, "--manifest-dir",
                               str(manifests), "--json").stdout)
    assert [d["action"] for d in first["deployments"]] == ["create"] * 3
    names = [d["deployment"] for d in first["deployments"]]
    before = {name: read_deployment(name).updated for name in names}

    second = json.loads(hotpass(prefect_api, "deploy", *flows, "--manifest-dir",
                                str(manifests), "--json").stdout)
    assert [d["action"] for d in second["deployments"]] == ["unchanged"] * 3
    assert {name: read_deployment(name).updated for name in names} == before

    env = {**os.environ, **prefect_stack.stack_env(Path(prefect_api["home"]),
                                                   prefect_api["url"])}
    inspected = subprocess.run(
        [sys.executable, "-m", "prefect", "deployment", "inspect",
         f"hotpass-backfill/hotpass-backfill-{token}", "-o", "json"],
        capture_output=True, text=True, env=env, timeout=120)
    assert inspected.returncode == 0, inspected.stderr
    shown = json.loads(inspected.stdout)
    manifest = yaml.safe_load((ROOT / "prefect" / "backfill.yaml").read_text())
    assert shown["schedules"][0]["schedule"]["cron"] == manifest["schedule"]["value"]
    assert shown["paused"] is (not manifest["schedule"]["active"])
    assert shown["global_concurrency_limit"]["limit"] == manifest["concurrency_limit"]
    assert shown["work_pool_name"] == prefect_stack.POOL
    for key, value in manifest["parameters"].items():
        assert shown["parameters"][key] == value
    assert shown["parameters"]["concurrency_key"] == f"backfill-{token}"
    assert shown["parameters"]["concurrency_limit"] == manifest["concurrency_limit"]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(f"backfill-{token}")
    assert limit.limit == manifest["concurrency_limit"]


def test_bad_manifest_registers_nothing(prefect_api, tmp_path):
    token = uuid.uuid4().hex[:8]
    manifests = overlay(tmp_path, token, {"backfill": {"parameters": {"nope": 1}}})
    result = hotpass(prefect_api, "deploy", "--flow", "refinement", "--flow", "backfill",
                     "--manifest-dir", str(manifests), check=False)
    assert result.returncode == 2
    assert "backfill.yaml" in result.stderr and "parameters.nope" in result.stderr
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):
        read_deployment(f"hotpass-refinement/hotpass-refinement-{token}")


def wait_for_run(name: str, parameters: dict, timeout: float = 180):
    from prefect.deployments import run_deployment

    run = run_deployment(name=name, parameters=parameters, timeout=timeout, poll_interval=1)
    assert run.state.is_completed(), f"{name}: {run.state.type} {run.state.message}"
    return run


def summary_artifact(flow_run_id, key: str = "hotpass-refinement-summary") -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return "\n".join(a.data for a in artifacts if a.key == key)


def test_incremental_run_processes_only_the_touched_input(prefect_api, tmp_path):
    token = uuid.uuid4().hex[:8]
    hotpass(prefect_api, "deploy", "--flow", "refinement", "--manifest-dir",
            str(overlay(tmp_path, token)))
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "data", inputs, ignore=shutil.ignore_patterns("*.md"))
    old = time.time() - 3600
    for path in inputs.iterdir():
        os.utime(path, (old, old))
    name = f"hotpass-refinement/hotpass-refinement-{token}"
    out = tmp_path / "out" / "r.xlsx"
    params = {"options": {"input_dir": str(inputs), "output_path": str(out),
                          "profile": "generic", "archive": True}, "incremental": True}

    files = len(list(inputs.iterdir()))
    first = wait_for_run(name, params)
    assert f"files processed: {files}" in summary_artifact(first.id)
    full_records = out.with_suffix(".csv").read_bytes()
    (inputs / "crm_export.xlsx").touch()
    second = wait_for_run(name, params)
    text = summary_artifact(second.id)
    assert "files processed: 1" in text and "| crm_export.xlsx |" in text
    assert f"files reused from the last run: {files - 1}" in text
    # the published dataset is still the whole one, and so is the day's input bundle
    assert out.with_suffix(".csv").read_bytes() == full_records
    bundle = next((out.parent / "input-archives").glob("hotpass-inputs-*.zip"))
    with zipfile.ZipFile(bundle) as archive:
        members = sorted(n for n in archive.namelist() if n.startswith("inputs/"))
    assert members == sorted(f"inputs/{p.name}" for p in inputs.iterdir())
    third = wait_for_run(name, params)
    assert "status: **unchanged**" in summary_artifact(third.id)


def test_orchestrate_on_prefect_reports_metrics_and_lineage(prefect_api, tmp_path,
                                                            otlp_receiver, lineage_receiver):
    out = tmp_path / "out" / "refined.xlsx"
    env = {**os.environ, **prefect_stack.stack_env(Path(prefect_api["home"]),
                                                   prefect_api["url"]),
           "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url,
           "OPENLINEAGE_URL": f"{lineage_receiver.url}/api/v1"}
    for key in [k for k in env if k.startswith("HOTPASS_")]:
        del env[key]
    result = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "orchestrate", "--input-dir", str(ROOT / "data"),
         "--output-path", str(out), "--enable-observability", "--json"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["mode"] == "prefect"
    report = json.loads((out.parent / "quality-report.json").read_text())

    points = otlp_receiver.metric_points()
    names = {name for name, _, _, _ in points}
    assert {"hotpass.pipeline.duration", "hotpass.pipeline.rows",
            "hotpass.validation.failures", "hotpass.enrichment.coverage"} <= names
    assert all(attrs["flow"] == "hotpass-refinement" for _, _, attrs, _ in points)
    failures = {}
    for name, _, attrs, point in points:
        if name == "hotpass.validation.failures":
            key = (attrs["rule"], attrs["severity"])
            failures[key] = failures.get(key, 0) + point.as_int
    assert failures == {(rule, info["severity"]): info["count"]
                        for rule, info in report["issues_by_rule"].items()}

    events = [event for _, event in lineage_receiver.events]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate_openlineage(event)
    parent = events[1]["run"]["facets"]["parent"]
    assert parent["job"]["name"] == "hotpass-refinement"
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(parent["run"]["runId"])
    assert flow_run.state.is_completed()
    assert {Path(d["name"]).suffix for d in events[1]["outputs"]} == {".xlsx", ".csv",
                                                                    ".parquet"}
    assert summary["records_out"] == events[1]["outputs"][0]["outputFacets"][
        "outputStatistics"]["rowCount"]


def overlap(runs) -> int:
    events = sorted([(r.start_time, 1) for r in runs] + [(r.end_time, -1) for r in runs],
                    key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def test_backfill_runs_every_window_never_more_than_the_limit_and_skips_missing_days(
        prefect_api, tmp_path):
    from hotpass import __version__
    from hotpass.refine.output.archive import build_input_bundle

    token = uuid.uuid4().hex[:8]
    archives, outputs = tmp_path / "archives", tmp_path / "backfill"
    start = dt.date(2024, 1, 1)
    days = [start + dt.timedelta(days=n) for n in range(7)]
    small = sorted(p for p in (ROOT / "data").iterdir() if p.suffix == ".csv")
    for day in days:
        build_input_bundle(bundle_dir=archives, inputs=small, input_root=ROOT / "data",
                           profile="generic", hotpass_version=__version__, day=day)
    refinement = f"hotpass-refinement/hotpass-refinement-{token}"
    manifests = overlay(tmp_path, token, {"backfill": {"parameters": {
        "archive_dir": str(archives), "output_dir": str(outputs), "poll_seconds": 1,
        "refinement_deployment": refinement}}})
    hotpass(prefect_api, "deploy", "--flow", "refinement", "--flow", "backfill",
            "--manifest-dir", str(manifests))

    began = time.monotonic()
    run = wait_for_run(f"hotpass-backfill/hotpass-backfill-{token}",
                       {"since": "2024-01-01", "until": "2024-01-08"}, timeout=240)
    elapsed = time.monotonic() - began
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    deployment = read_deployment(refinement)
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])))
        result = client.read_flow_run(run.id)
    assert len(children) == 7
    assert all(child.state.is_completed() for child in children)
    assert sorted(c.name for c in children) == [f"backfill-{d:%Y%m%d}" for d in days]
    for day in days:
        assert (outputs / f"{day:%Y%m%d}" / "refined.xlsx").is_file()
    peak = overlap(children)
    print(f"backfill: 7 windows in {elapsed:.1f}s, peak concurrency {peak} (limit 2)")
    assert 1 <= peak <= 2
    assert result.state.is_completed()
    # 2024-01-08 has no archived bundle: reported skipped, no refinement run started for it
    table = summary_artifact(run.id, "hotpass-backfill-summary")
    assert "'completed': 7, 'failed': 0, 'skipped': 1, 'windows': 8" in table, table
    assert "| 2024-01-08 | skipped |  |" in table, table
    for day in days:
        assert f"| {day} | completed | " in table, table
    assert not (outputs / "20240108").exists()


def test_bad_input_on_the_prefect_runtime_ends_in_one_line(prefect_api, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.xlsx").write_bytes(b"\x00\x01garbage" * 100)  # every input unreadable
    out = tmp_path / "out" / "refined.xlsx"
    result = hotpass(prefect_api, "orchestrate", "--input-dir", str(folder), "--output-path",
                     str(out), check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("hotpass: error: ") and "bad.xlsx" in lines[-1]
    assert not out.exists()
