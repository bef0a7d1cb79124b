"""`invoke incident.capture|replay|close` end to end on real-export-shaped inputs: the
bundle holds every capture and verifies, a canary secret in the environment is nowhere in
it, the reproduce records the failing stage, Prefect is recorded unreachable (and
inspected when a real server answers), ticket ids that are not plain names are refused,
and close refuses until a replay is green."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.evidence import verify

ROOT = Path(__file__).resolve().parents[2]
CANARY = "canary-5e1f0c2a9d"
BROKEN_PROFILE = "name: custom\nfields: [oops\n"


def invoke(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HOTPASS_", "PREFECT_API_URL"))}
    return subprocess.run(["invoke", "-r", str(ROOT), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600,
                          env={**clean, "PYTHONPATH": str(ROOT),
                               "HOTPASS_NEXT_STEPS_LOG": str(cwd / "Next_Steps_Log.md"),
                               "HOTPASS_STATE_DIR": str(cwd / "state"), **env})


@pytest.fixture(scope="module")
def workplace(tmp_path_factory) -> Path:
    """A working folder with operator-sent inputs (export-shaped), a log and a broken
    custom profile, as an incident arrives."""
    work = tmp_path_factory.mktemp("incident")
    generate_workbooks(work / "sent", rows=240, seed=11, files=2, exports=True)
    (work / "app.log").write_text(f"12:00 refine failed\nretrying with token={CANARY}\n")
    (work / "profiles").mkdir()
    (work / "profiles" / "custom.yaml").write_text(BROKEN_PROFILE)
    return work


@pytest.fixture(scope="module")
def captured(workplace) -> tuple[Path, subprocess.CompletedProcess]:
    result = invoke(["incident.capture", "--ticket", "INC-42", "--inputs", "sent",
                     "--logs", "app.log", "--profile", "custom",
                     "--profile-search-path", "profiles"], workplace,
                    HOTPASS_LLM_API_KEY=CANARY, AWS_SECRET_ACCESS_KEY=CANARY,
                    PREFECT_API_URL=f"http://ops:{CANARY}@127.0.0.1:9/api")
    return workplace / "dist" / "incidents" / "INC-42", result


def test_capture_writes_a_bundle_that_verifies(captured, workplace):
    bundle, result = captured
    assert result.returncode == 0, result.stderr
    assert "bundle: dist/incidents/INC-42" in result.stdout
    files = {entry["path"] for entry in verify(bundle)["files"]}
    assert {"net-status.json", "doctor.json", "logs/app.log", "environment.json",
            "reproduce.json", "cli.sh", "cli.log"} <= files
    sent = sorted(p.relative_to(workplace / "sent") for p in (workplace / "sent").rglob("*")
                  if p.is_file())
    assert sorted(p.relative_to(bundle / "inputs") for p in (bundle / "inputs").rglob("*")
                  if p.is_file()) == sent
    for name in sent:
        assert (bundle / "inputs" / name).read_bytes() == (workplace / "sent" / name).read_bytes()
    assert not (workplace / "data").exists()
    commands = (bundle / "cli.sh").read_text()
    assert "hotpass net status --json\n# exit 0" in commands
    assert "hotpass doctor --json --profile custom" in commands
    assert json.loads((bundle / "net-status.json").read_text())["tunnels"] == []


def test_a_canary_secret_is_nowhere_in_the_bundle(captured):
    bundle, result = captured
    assert CANARY not in result.stdout + result.stderr
    leaks = [p for p in bundle.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]
    assert leaks == []
    environment = json.loads((bundle / "environment.json").read_text())
    assert environment["variables"]["HOTPASS_LLM_API_KEY"] == "***"
    assert "AWS_SECRET_ACCESS_KEY" in environment["variables"]


def test_the_reproduce_records_the_failing_stage_and_prefect_as_unreachable(captured):
    bundle, result = captured
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["reproduce"]["exit_code"] == 2
    assert summary["reproduce"]["failing_stage"] == "profile"
    assert "custom.yaml: cannot read profile" in summary["reproduce"]["error"]
    assert "refine failed in profile (exit 2)" in result.stdout
    assert summary["prefect"]["reachable"] is False
    assert summary["prefect"]["why"] == "http://ops:***@127.0.0.1:9/api: [Errno 111] Connection refused"
    record = json.loads((bundle / "record.json").read_text())
    inspect = [s for s in record["steps"] if s["call"].startswith("prefect deployment inspect")]
    assert inspect and inspect[0]["status"] == "not run"
    assert "unreachable" in inspect[0]["output"]


def test_close_refuses_until_a_replay_is_green(captured, workplace):
    bundle, _ = captured
    close = ["incident.close", "--ticket", "INC-42", "--owner", "dana",
             "--root-cause", "custom profile had a YAML syntax error"]
    refused = invoke(close, workplace)
    assert refused.returncode != 0 and "no replay yet" in refused.stderr
    failed = invoke(["incident.replay", "--ticket", "INC-42"], workplace)
    assert failed.returncode == 1
    assert "refine still fails in profile" in failed.stderr.strip().splitlines()[-1]
    refused = invoke(close, workplace)
    assert refused.returncode != 0 and "the latest replay is not green" in refused.stderr
    shutil.copy(ROOT / "profiles" / "generic.yaml", workplace / "profiles" / "custom.yaml")
    custom = (workplace / "profiles" / "custom.yaml").read_text().replace("name: generic",
                                                                          "name: custom")
    (workplace / "profiles" / "custom.yaml").write_text(custom)
    green = invoke(["incident.replay", "--ticket", "INC-42"], workplace)
    assert green.returncode == 0, green.stderr
    closed = invoke(close, workplace)
    assert closed.returncode == 0, closed.stderr
    log = (workplace / "Next_Steps_Log.md").read_text().splitlines()
    assert log[-1].split(" | ")[1:4] == ["incident.close", "INC-42-close", "pass"]
    assert log[-1].endswith("| dana | root cause: custom profile had a YAML syntax error |")
    verify(bundle)
    again = invoke(close, workplace)
    assert again.returncode != 0 and "already closed" in again.stderr


@pytest.mark.parametrize("ticket", ["../x", "/etc", "", "a/b"])
def test_tickets_that_are_not_plain_names_are_refused(ticket, tmp_path):
    result = invoke(["incident.capture", "--ticket", ticket], tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    assert "not a plain name" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "dist").exists() and not (tmp_path / "etc").exists()


def test_prefect_is_inspected_when_the_server_answers(prefect_api, tmp_path):
    result = invoke(["incident.capture", "--ticket", "INC-7", "--deployment",
                     "hotpass-refinement/no-such-deployment"], tmp_path,
                    PREFECT_API_URL=prefect_api["url"])
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "dist" / "incidents" / "INC-7"
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["prefect"]["reachable"] is True
    assert summary["prefect"]["exit_code"] == 1  # the server answered: no such deployment
    assert "prefect deployment inspect hotpass-refinement/no-such-deployment -o json\n# exit 1" \
        in (bundle / "cli.sh").read_text()
    assert summary["reproduce"] == {"ran": False, "why": "no --inputs given"}
