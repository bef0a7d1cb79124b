"""``invoke stack.up --native`` -> ``stack.status`` -> ``hotpass env --target local`` ->
``refine --archive`` into the moto bucket -> ``stack.down``, against the real processes (a Prefect server with SQLite
under the state dir, ``moto_server``), on free ports so nothing collides with the
``prefect_api`` fixture. The cycle is one test (xdist spreads separate tests over
workers), its steps the ``_step_*`` functions in order.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.s3_server import client, free_port

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "hotpass-artifacts"
pytestmark = pytest.mark.integration


def invoke(work: Path, *args: str, env: dict | None = None, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *args],
                          capture_output=True, text=True, cwd=work, timeout=timeout,
                          env={**os.environ, "HOTPASS_EVIDENCE_DIR": str(work / "evidence"),
                               **(env or {})})


@pytest.fixture
def stack(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    ports = {"prefect": free_port(), "s3": free_port(), "web": free_port()}
    state = work / "dist" / "state" / "stack"  # the default: `hotpass env` finds it there
    args = ["--native", "--prefect-port", str(ports["prefect"]), "--s3-port", str(ports["s3"]),
            "--web-port", str(ports["web"]), "--state-dir", str(state)]
    yield {"work": work, "ports": ports, "args": args, "state": state}
    invoke(work, "stack.down", "--state-dir", str(state))  # a failed step's leftovers


def test_native_stack_cycle(stack):
    _step_dry_run_plans_and_writes_nothing(stack)
    _step_up_starts_prefect_and_s3_with_pidfiles_logs_and_evidence(stack)
    _step_status_lists_every_compose_service_with_url_health_and_why(stack)
    _step_second_up_finds_everything_running_and_changes_nothing(stack)
    _step_refine_archive_lands_in_the_moto_bucket_and_sinks_get_lineage_and_telemetry(stack)
    _step_logs_prints_a_service_log_and_names_unknown_or_absent_ones(stack)
    _step_down_stops_what_up_started_and_nothing_else(stack)
    _step_up_right_after_down_starts_on_the_same_ports_with_no_wait(stack)


def _pids(state: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in state.glob("*.pid")}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _step_dry_run_plans_and_writes_nothing(stack):
    result = invoke(stack["work"], "stack.up", *stack["args"], "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "[dry-run] prefect-server: start (would)" in result.stdout
    assert "[dry-run] minio: start (would)" in result.stdout
    assert not (stack["work"] / "evidence").exists()
    assert not (stack["work"] / "dist").exists()


def _step_up_starts_prefect_and_s3_with_pidfiles_logs_and_evidence(stack):
    started = time.monotonic()
    result = invoke(stack["work"], "stack.up", *stack["args"])
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"native stack.up took {time.monotonic() - started:.1f} s")
    ports = stack["ports"]
    assert "stack: native (--native given)" in result.stdout
    assert f"export PREFECT_API_URL=http://127.0.0.1:{ports['prefect']}/api" in result.stdout
    assert f"export HOTPASS_S3_ENDPOINT=http://127.0.0.1:{ports['s3']}" in result.stdout
    pids = _pids(stack["state"])
    assert set(pids) == {"prefect-server", "moto-s3", "hotpass-web"}
    assert all(map(_alive, pids.values()))
    assert (stack["state"] / "prefect" / "prefect.db").is_file()  # SQLite under the state dir
    assert (stack["state"] / "moto-s3.log").is_file()
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['prefect']}/api/health") as answer:
        assert answer.status == 200
    assert client(f"http://127.0.0.1:{ports['s3']}").head_bucket(Bucket=BUCKET)
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['web']}/health.json") as answer:
        health = {s["service"]: s["health"] for s in json.loads(answer.read())["services"]}
    assert health["prefect-server"] == health["hotpass-web"] == "healthy"
    records = sorted((stack["work"] / "evidence").glob("stack.up-*/record.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["status"] == "ok" and record["differences"] == []
    assert {c["target"]: c["action"] for c in record["plan"]} == {
        "prefect-server": "start", "minio": "start", "hotpass-web": "start",
        f"bucket {BUCKET}": "create", "S3 credentials in the credentials store": "add"}
    assert any(s["call"].startswith("start moto-s3: ") and s["status"] == "ok"
               for s in record["steps"])


def _step_status_lists_every_compose_service_with_url_health_and_why(stack):
    result = invoke(stack["work"], "stack.status", "--json", "--state-dir", str(stack["state"]))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["service"]: row for row in report["services"]}
    import yaml

    compose = yaml.safe_load((ROOT / "deploy/docker/docker-compose.yml").read_text())
    assert list(rows) == list(compose["services"])
    ports = stack["ports"]
    assert rows["prefect-server"]["health"] == "healthy"
    assert rows["prefect-server"]["url"] == f"http://127.0.0.1:{ports['prefect']}/api"
    assert rows["minio"]["health"] == "healthy" and rows["minio-init"]["health"] == "completed"
    assert rows["localstack"]["url"] == f"http://127.0.0.1:{ports['s3']}"
    for name in ("marquez", "marquez-web", "marquez-db", "otel-collector", "searxng", "hotpass"):
        assert rows[name]["health"] == "not started", name
        assert rows[name]["why"].startswith("--native given; "), rows[name]
    assert "file sink" in rows["marquez"]["why"] and "file sink" in rows["otel-collector"]["why"]
    assert rows["ollama"]["why"] == "profile llm (pass --llm)"
    work = stack["work"].resolve()
    assert report["sinks"] == {"lineage": str(work / "dist/lineage/events.ndjson"),
                               "telemetry": str(work / "dist/telemetry/otel.ndjson")}
    assert report["env"]["HOTPASS_S3_ENDPOINT"] == f"http://127.0.0.1:{ports['s3']}"
    text = invoke(stack["work"], "stack.status", "--state-dir", str(stack["state"])).stdout
    assert re.search(r"prefect-server\s+healthy\s+http://127\.0\.0\.1:\d+/api", text)
    assert re.search(r"marquez\s+not started\s+-\s+--native given; lineage goes to", text)


def _step_second_up_finds_everything_running_and_changes_nothing(stack):
    before = _pids(stack["state"])
    result = invoke(stack["work"], "stack.up", *stack["args"])
    assert result.returncode == 0, result.stderr
    assert "prefect-server: unchanged" in result.stdout and "minio: unchanged" in result.stdout
    assert f"bucket {BUCKET}: unchanged" in result.stdout
    assert "started pid" not in result.stdout
    assert _pids(stack["state"]) == before
    latest = sorted((stack["work"] / "evidence").glob("stack.up-*/record.json"))[-1]
    apply = [s for s in json.loads(latest.read_text())["steps"] if s["phase"] == "apply"]
    assert [(s["status"], s["output"]) for s in apply] == [("not run", "nothing to change")]


def _step_refine_archive_lands_in_the_moto_bucket_and_sinks_get_lineage_and_telemetry(stack):
    """The self-hosted checklist as written: `hotpass env --target local`, load
    `.env.local`, `hotpass refine --archive`; nothing else in the environment."""
    report = json.loads(invoke(stack["work"], "stack.status", "--json", "--state-dir",
                               str(stack["state"])).stdout)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HOTPASS_", "AWS_", "OPENLINEAGE", "OTEL_", "PREFECT_"))}
    written = subprocess.run([sys.executable, "-m", "hotpass.cli", "env", "--target", "local"],
                             capture_output=True, text=True, cwd=stack["work"], env=clean,
                             timeout=120)
    assert written.returncode == 0, written.stderr
    env_file = stack["work"] / ".env.local"
    assert env_file.stat().st_mode & 0o777 == 0o600  # it holds the S3 key pair
    from dotenv import dotenv_values

    loaded = dotenv_values(env_file)
    assert loaded["HOTPASS_S3_ENDPOINT"] == report["env"]["HOTPASS_S3_ENDPOINT"]
    assert loaded["PREFECT_API_URL"] == report["env"]["PREFECT_API_URL"]
    assert loaded["AWS_ACCESS_KEY_ID"] and loaded["AWS_SECRET_ACCESS_KEY"]
    assert loaded["OPENLINEAGE_URL"] == "" and loaded["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""
    assert loaded["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"] == report["sinks"]["lineage"]
    assert loaded["HOTPASS_TELEMETRY_FILE"] == report["sinks"]["telemetry"]
    assert loaded["AWS_SECRET_ACCESS_KEY"] not in written.stdout + written.stderr
    env = {**clean, **{k: v or "" for k, v in loaded.items()}}  # set -a; . ./.env.local
    out = stack["work"] / "dist" / "refined.xlsx"
    result = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(ROOT / "data"),
         "--output-path", str(out), "--archive", "--enable-observability"],
        capture_output=True, text=True, cwd=stack["work"], env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr.lower(), result.stderr  # no endpoint nothing serves
    uri = re.search(r"uploaded to (s3://\S+)", result.stdout).group(1)
    key = uri.removeprefix(f"s3://{BUCKET}/")
    body = client(report["env"]["HOTPASS_S3_ENDPOINT"]).get_object(Bucket=BUCKET, Key=key)
    assert body["Body"].read() == (out.parent / "refined-bundle.zip").read_bytes()
    events = [json.loads(line) for line in
              Path(report["sinks"]["lineage"]).read_text().splitlines()]
    assert [e["eventType"] for e in events][-2:] == ["START", "COMPLETE"]
    spans = Path(report["sinks"]["telemetry"]).read_text()
    assert '"name": "export"' in spans and "hotpass.pipeline.duration" in spans


def _step_logs_prints_a_service_log_and_names_unknown_or_absent_ones(stack):
    state = ["--state-dir", str(stack["state"])]
    result = invoke(stack["work"], "stack.logs", "prefect-server", "--lines", "200", *state)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    unknown = invoke(stack["work"], "stack.logs", "nope", *state)
    assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
    assert "no such service (one of: prefect-server" in unknown.stderr
    absent = invoke(stack["work"], "stack.logs", "marquez", *state)
    assert absent.returncode == 0 and absent.stdout == ""
    assert absent.stderr.startswith("marquez: no log: --native given; lineage goes to")


def test_a_port_held_by_another_program_is_refused_naming_the_flag(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = invoke(tmp_path, "stack.up", "--native", "--prefect-port", str(port),
                        "--s3-port", "0", "--web-port", "0", "--state-dir", str(tmp_path / "state"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"127.0.0.1:{port} is in use by a program stack.up did not start; pass " \
           "--prefect-port N" in result.stderr
    assert not list((tmp_path / "state").glob("*.pid"))


def _step_down_stops_what_up_started_and_nothing_else(stack):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pids = _pids(stack["state"])
        dry = invoke(stack["work"], "stack.down", "--dry-run", "--state-dir", str(stack["state"]))
        assert dry.returncode == 0 and "prefect-server: stop (would)" in dry.stdout
        assert all(map(_alive, pids.values()))
        result = invoke(stack["work"], "stack.down", "--state-dir", str(stack["state"]))
        assert result.returncode == 0, result.stderr
        assert not any(map(_alive, pids.values())) and bystander.poll() is None
        assert not list(stack["state"].glob("*.pid"))
        report = json.loads(invoke(stack["work"], "stack.status", "--json", "--state-dir",
                                   str(stack["state"])).stdout)
        assert report["mode"] == "down" and report["env"] == {}
        again = invoke(stack["work"], "stack.down", "--state-dir", str(stack["state"]))
        assert again.returncode == 0 and "native stack: unchanged" in again.stdout
        after = invoke(stack["work"], "stack.logs", "minio", "--state-dir", str(stack["state"]))
        assert after.returncode == 0 and after.stdout.strip()  # the log outlives the stack
        assert after.stderr.startswith("minio: not running; the last lines of ")
    finally:
        bystander.kill()
        bystander.wait()


def _step_up_right_after_down_starts_on_the_same_ports_with_no_wait(stack):
    """The servers just stopped leave sockets closing on their ports; stack.up must not
    take those for a program holding the port."""
    result = invoke(stack["work"], "stack.up", *stack["args"])
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(invoke(stack["work"], "stack.status", "--json", "--state-dir",
                               str(stack["state"])).stdout)
    rows = {row["service"]: row for row in report["services"]}
    assert rows["prefect-server"]["health"] == "healthy"
    assert rows["prefect-server"]["url"] == f"http://127.0.0.1:{stack['ports']['prefect']}/api"
    assert rows["minio"]["health"] == "healthy"


def test_without_an_engine_up_says_so_and_plans_native(tmp_path):
    result = invoke(tmp_path, "stack.up", "--dry-run", "--prefect-port", "0", "--s3-port", "0",
                    "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 0, result.stderr
    assert "\nstack: native (no Docker engine answers (" in result.stdout
    assert "[dry-run] prefect-server: start (would)" in result.stdout
    assert not (tmp_path / "state").exists() and not (tmp_path / "evidence").exists()


def test_a_compose_stack_without_an_engine_is_reported_not_hidden(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    compose = ROOT / "deploy" / "docker" / "docker-compose.yml"
    (state / "stack.json").write_text(json.dumps(
        {"mode": "compose", "compose_file": str(compose), "profiles": []}))
    report = invoke(tmp_path, "stack.status", "--json", "--state-dir", str(state))
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)["services"]
    assert {row["health"] for row in rows} == {"not started"}
    assert all("docker" in row["why"].lower() for row in rows), rows
    down = invoke(tmp_path, "stack.down", "--state-dir", str(state))
    assert down.returncode != 0 and "Traceback" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1, down.stderr
    assert (state / "stack.json").is_file()  # nothing it could not stop is forgotten
