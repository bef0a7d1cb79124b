"""``hotpass doctor`` against a real Prefect server and worker (``prefect_api``), real
loopback endpoints, a real dead process in the tunnel state, and a real workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.observability_receivers import LineageReceiver, OtlpReceiver, closed_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    shutil.copy(next((ROOT / "data").glob("*.xlsx")), work / "data")
    shutil.copytree(ROOT / "profiles", work / "profiles")
    return work


def doctor(work: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HOTPASS_", "PREFECT_", "OPENLINEAGE", "OTEL_"))}
    clean.update({"HOTPASS_STATE_DIR": str(work / "state"),
                  "PREFECT_HOME": str(work / "prefect-home"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "hotpass.cli", "doctor", *args],
                          capture_output=True, text=True, cwd=work, env=clean, timeout=120)


def rows(result: subprocess.CompletedProcess) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(result.stdout)["checks"]}


def dead_tunnel(work: Path) -> None:
    finished = subprocess.Popen(["ssh", "-V"], stderr=subprocess.DEVNULL)
    finished.wait()
    state = work / "state"
    state.mkdir(mode=0o700)
    (state / "tunnels.json").write_text(json.dumps({"tunnels": [{
        "label": "old", "pid": finished.pid, "command": ["ssh", "-V"], "host": "bastion",
        "started": "2026-01-01T00:00:00+00:00", "expires": None, "prefect_port": closed_port(),
        "marquez_port": closed_port()}]}))


def test_autofix_repairs_what_is_safe_and_the_exit_code_reflects_the_rest(tmp_path):
    work = workspace(tmp_path)
    dead_tunnel(work)
    (work / "state" / "credentials.json").write_text('{"version": 1, "credentials": {}}')
    (work / "state" / "credentials.json").chmod(0o644)
    args = ["--profile-search-path", "profiles", "--profile", "aviation", "--json"]

    before = doctor(work, *args)
    assert before.returncode == 2
    assert before.stderr.startswith("hotpass: error: doctor: ") and "failed" in before.stderr
    found = rows(before)
    for name in ("dist folder", "env file", "credentials", "tunnel old"):
        assert found[name]["status"] == "fail", (name, found[name])
        assert found[name]["fix"], name
    assert found["profile"]["status"] == "ok" and "aviation" in found["profile"]["detail"]
    assert found["python"]["status"] == "ok"
    assert found["extra orchestration"]["status"] == "ok"
    assert not (work / "dist").exists()  # without --autofix nothing is changed

    planned = doctor(work, *args, "--autofix", "--dry-run")
    assert {f["check"]: f["result"] for f in json.loads(planned.stdout)["fixes"]} == {
        name: "would apply" for name in ("dist folder", "env file", "credentials",
                                         "tunnel old")}  # each child's plan
    assert not (work / "dist").exists()

    fixed = doctor(work, *args, "--autofix")
    after = rows(fixed)
    # the autofix record is a parent: one child bundle per fix, all verified by the task
    [parent] = (work / "dist" / "evidence").glob("doctor.autofix-*")
    verified = subprocess.run(["invoke", "-r", str(ROOT), "evidence.verify", str(parent)],
                              capture_output=True, text=True, cwd=work)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "4 children)" in verified.stdout, verified.stdout
    children = sorted(json.loads((child / "record.json").read_text())["plan"][0]["target"]
                      for child in (parent / "children").glob("doctor.fix-*"))
    assert children == ["credentials", "dist folder", "env file", "tunnel old"]
    assert {f["check"] for f in json.loads(fixed.stdout)["fixes"]} >= {
        "dist folder", "env file", "credentials", "tunnel old"}
    for name in ("dist folder", "env file", "credentials"):
        assert after[name]["status"] == "ok", (name, after[name])
    assert "tunnel old" not in after and after["tunnels"]["status"] == "ok"
    assert (work / "dist").is_dir() and (work / ".env.local").is_file()
    assert oct((work / "state" / "credentials.json").stat().st_mode & 0o777) == "0o600"
    # PREFECT_API_URL is unset here: a warning, not a failure; the fixes persist.
    assert after["prefect api"]["status"] == "warn"
    assert fixed.returncode == 0, fixed.stderr
    again = doctor(work, *args)
    assert again.returncode == 0 and not json.loads(again.stdout)["failed"]


def test_a_missing_profile_search_path_is_an_error_that_autofix_leaves(tmp_path):
    work = workspace(tmp_path)
    result = doctor(work, "--profile-search-path", "apps/profiles", "--profile", "aviation",
                    "--autofix")
    assert result.returncode == 2
    assert "fail  profile search path: --profile-search-path apps/profiles: no such folder" \
        in result.stdout
    bad = doctor(work, "--profile", "no-such-profile", "--json")
    assert rows(bad)["profile"]["status"] == "fail"
    assert "no such profile" in rows(bad)["profile"]["detail"]


def test_env_file_drift_from_the_environment_is_reported(tmp_path):
    work = workspace(tmp_path)
    (work / "dist").mkdir()
    (work / "state").mkdir(mode=0o700)
    assert doctor(work, "--json").returncode == 2  # .env.local missing
    subprocess.run([sys.executable, "-m", "hotpass.cli", "env"], cwd=work, check=True,
                   env={**os.environ, "HOTPASS_STATE_DIR": str(work / "state")})
    drift = doctor(work, "--json", env={"HOTPASS_S3_ENDPOINT": "http://minio.internal:9000"})
    detail = rows(drift)["env file"]["detail"]
    assert rows(drift)["env file"]["status"] == "fail"
    assert "HOTPASS_S3_ENDPOINT is http://minio.internal:9000 in this environment" in detail
    assert rows(doctor(work, "--json"))["env file"]["status"] == "ok"


def test_prefect_workers_by_heartbeat_and_endpoints(tmp_path, prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from tests.integration.prefect_stack import POOL

    idle = f"hotpass-idle-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=idle, type="process"))
    work = workspace(tmp_path)
    lineage, otlp = LineageReceiver(), OtlpReceiver()
    try:
        result = doctor(work, "--json", env={
            "PREFECT_API_URL": prefect_api["url"], "OPENLINEAGE_URL": lineage.url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "HOTPASS_S3_ENDPOINT": f"http://127.0.0.1:{closed_port()}"})
    finally:
        lineage.close()
        otlp.close()
    found = rows(result)
    assert found["prefect api"]["status"] == "ok", found["prefect api"]
    assert found[f"work pool {POOL}"]["status"] == "ok", found[f"work pool {POOL}"]
    assert "hotpass-test-worker last heartbeat" in found[f"work pool {POOL}"]["detail"]
    assert found[f"work pool {idle}"]["status"] == "fail"
    assert "no worker alive (no workers)" in found[f"work pool {idle}"]["detail"]
    assert found["lineage"]["status"] == "ok" and found["telemetry"]["status"] == "ok"
    assert found["s3"]["status"] == "fail" and "ConnectionRefusedError" in found["s3"]["detail"]
    assert result.returncode == 2


def test_a_prefect_url_stored_with_literal_quotes_is_named_with_its_fix(tmp_path):
    """The runbook line `prefect config set PREFECT_API_URL=\"http://...\"` stores the
    quotes; doctor names them and `hotpass ctx init` rewrites the URL without them."""
    work = workspace(tmp_path)
    home = work / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "hotpass-local"\n\n[profiles.hotpass-local]\n'
        'PREFECT_API_URL = "\\"http://127.0.0.1:4200/api\\""\n')
    result = doctor(work, "--json")
    row = rows(result)["prefect api"]
    assert row["status"] == "fail"
    assert 'PREFECT_API_URL "http://127.0.0.1:4200/api" holds literal quotes' in row["detail"]
    assert "`hotpass ctx init`" in row["detail"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "PREFECT_"))}
    fixed = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "ctx", "init", "--target", "local"],
        capture_output=True, text=True, cwd=work, timeout=120,
        env={**env, "PREFECT_HOME": str(home), "HOTPASS_STATE_DIR": str(work / "state")})
    assert fixed.returncode == 0, fixed.stderr
    assert 'PREFECT_API_URL was "http://127.0.0.1:4200/api"' in fixed.stdout  # said so
    after = rows(doctor(work, "--json"))["prefect api"]
    assert "literal quotes" not in after["detail"]
