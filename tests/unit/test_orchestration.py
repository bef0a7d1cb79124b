"""Orchestration pieces that need no Prefect server: manifests, overlays, runtime mode,
incremental selection, input bundles, offline payloads, the Docker error."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hotpass.errors import HotpassError
from hotpass.orchestration import manifests
from hotpass.orchestration.runtime import prefect_runtime_enabled
from hotpass.orchestration.steps import run_local
from hotpass.refine.run import plan_run, refine_options
from hotpass.settings import load

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_ENV = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens on port 9


def cli(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "hotpass.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


def test_repo_manifests_load_with_incremental_and_backfill_parameters():
    found = manifests.load_manifests()
    assert set(found) == {"refinement", "backfill", "e2e-staging"}
    assert found["refinement"].parameters["incremental"] is True
    assert "since" in found["refinement"].parameters["options"]  # one RefineOptions
    from hotpass.refine.model import RefineOptions

    options = RefineOptions.model_validate(found["refinement"].parameters["options"])
    assert options.profile == "generic" and options.archive
    backfill = found["backfill"]
    assert backfill.parameters["backfill"] is True and backfill.parameters["incremental"] is False
    assert {"since", "until"} <= set(backfill.parameters)
    assert backfill.paused and backfill.concurrency_key == "hotpass-backfill"
    for manifest in found.values():
        manifests.check_flow(manifest)


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_overlays_merge_over_the_base_with_their_own_pool(overlay):
    found = manifests.load_manifests(ROOT / "prefect" / overlay)
    assert found["refinement"].work_pool == f"hotpass-{overlay}-pool"
    assert found["refinement"].flow == "hotpass.orchestration:refinement_pipeline_flow"
    assert overlay in found["backfill"].tags
    assert found["backfill"].parameters["backfill"] is True


def test_errors_name_the_file_and_the_key(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({
        "id": "a", "name": "a", "flow": "hotpass.orchestration:refinement_pipeline_flow",
        "work_pool": "p", "schedule": {"kind": "cron", "value": "every day"}}))
    with pytest.raises(HotpassError, match=r"a\.yaml: key 'schedule.value'"):
        manifests.load_manifests(tmp_path)
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({
        "id": "a", "name": "a", "flow": "hotpass.orchestration:nope", "work_pool": "p"}))
    found = manifests.load_manifests(tmp_path)
    with pytest.raises(HotpassError, match=r"a\.yaml: key 'flow': cannot import"):
        manifests.check_flow(found["a"])
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({
        "id": "a", "name": "a", "flow": "hotpass.orchestration:refinement_pipeline_flow",
        "work_pool": "p", "parameters": {"incremental": "sometimes"}}))
    with pytest.raises(HotpassError, match=r"a\.yaml: key 'parameters'"):
        manifests.check_flow(manifests.load_manifests(tmp_path)["a"])
    (tmp_path / "a.yaml").write_text("id: a\nname: a\nflow: x:y\n")
    with pytest.raises(HotpassError, match=r"a\.yaml: key 'work_pool': Field required"):
        manifests.load_manifests(tmp_path)


def test_runtime_mode_follows_the_variable_and_the_api_url():
    assert not prefect_runtime_enabled(None, None)
    assert prefect_runtime_enabled(True, None)
    assert prefect_runtime_enabled(None, "http://x/api")
    assert not prefect_runtime_enabled(False, "http://x/api")


def test_orchestrate_runs_locally_and_says_so(tmp_path):
    env = {"HOTPASS_ENABLE_PREFECT_RUNTIME": "", "PREFECT_API_URL": ""}
    result = cli("orchestrate", "--input-dir", str(ROOT / "data"), "--output-path",
                 str(tmp_path / "r.xlsx"), "--enable-observability", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mode: local")
    assert (tmp_path / "r.xlsx").is_file()


def test_incremental_selection_uses_the_checkpoint(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(ROOT / "data", inputs, ignore=shutil.ignore_patterns("*.md"))
    old = time.time() - 3600
    for path in inputs.iterdir():
        os.utime(path, (old, old))
    settings = load()
    options = refine_options(input_dir=inputs, output_path=tmp_path / "out" / "r.xlsx",
                             profile="generic", settings=settings)
    first = run_local(options, settings, incremental=True)
    files = len(list(inputs.iterdir()))
    assert len(first["processed"]) == files
    (inputs / "association_members.csv").touch()
    assert [p.name for p in plan_run(options, settings, incremental=True).fresh] == [
        "association_members.csv"]
    second = run_local(options, settings, incremental=True)
    assert second["processed"] == ["association_members.csv"]
    assert len(second["reused"]) == files - 1
    assert second["records_out"] == first["records_out"]
    assert run_local(options, settings, incremental=True)["status"] == "unchanged"


def test_refine_archive_keeps_a_dated_input_bundle_that_replays(tmp_path):
    out = tmp_path / "dist" / "r.xlsx"
    result = cli("refine", "--input-dir", str(ROOT / "data"), "--output-path", str(out),
                 "--archive")
    assert result.returncode == 0, result.stderr
    today = dt.datetime.now(dt.UTC).date()
    bundle = tmp_path / "dist" / "input-archives" / f"hotpass-inputs-{today:%Y%m%d}.zip"
    assert bundle.is_file()
    check = subprocess.run(f"cd {tmp_path} && unzip -q {bundle} -d x && cd x && "
                           "sha256sum -c SHA256SUMS", shell=True, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    settings = load()
    replay = run_local(refine_options(input_dir=bundle, profile="generic",
                                      output_path=tmp_path / "replay" / "r.xlsx",
                                      settings=settings), settings)
    assert sorted(replay["processed"]) == sorted(
        p.name for p in (ROOT / "data").iterdir() if p.suffix != ".md")


def test_dry_run_and_no_upload_need_no_server(tmp_path):
    dry = cli("deploy", "--flow", "refinement", "--flow", "backfill", "--dry-run", "--json",
              env={"PREFECT_API_URL": ""})
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["mode"] == "dry-run" and len(plan["deployments"]) == 2
    offline = cli("deploy", "--flow", "refinement", "--flow", "backfill", "--manifest-dir",
                  str(ROOT / "prefect" / "staging"), "--no-upload", env=OFFLINE_ENV,
                  cwd=tmp_path)
    assert offline.returncode == 0, offline.stderr
    payload = json.loads((tmp_path / "dist/offline/prefect/backfill.json").read_text())
    assert payload["work_pool_name"] == "hotpass-staging-pool"
    assert payload["parameters"]["backfill"] is True
    assert payload["concurrency_limit"] == 2 and payload["paused"] is True
    assert payload["entrypoint"] == "hotpass/orchestration/flows.py:backfill_pipeline_flow"


def test_register_without_a_server_url_is_a_clear_error():
    result = cli("deploy", "--flow", "refinement", env={"PREFECT_API_URL": ""})
    assert result.returncode == 2
    assert "PREFECT_API_URL is not set" in result.stderr


def test_build_image_without_a_docker_engine_is_a_clear_error():
    env = {**OFFLINE_ENV, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = cli("deploy", "--flow", "refinement", "--build-image", env=env)
    assert result.returncode == 2
    assert "--build-image: no Docker engine reachable" in result.stderr
    assert result.stderr.count("\n") == 1


def test_enhanced_deploy_plans_a_one_off_refinement_deployment():
    result = subprocess.run(
        [sys.executable, "-m", "hotpass.cli.enhanced", "deploy", "--name",
         "hotpass-prod", "--profile", "aviation", "--schedule", "0 2 * * *",
         "--concurrency-limit", "1", "--tag", "prod", "--dry-run", "--json"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PREFECT_API_URL": ""}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deployments"][0]["deployment"] == (
        "hotpass-refinement/hotpass-prod")

