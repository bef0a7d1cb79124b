"""The incident-response and offline-fallback runbooks run as written: every ```bash line
of docs/how-to/respond-to-an-incident.md and docs/how-to/rehearse-offline.md, in order,
in a scratch copy of the checkout (no server running; the export goes to a real S3 API,
moto_server, on loopback), each exiting as documented; then what the pages promise is
checked in the bundles they leave."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.evidence import verify
from tests.docs.test_docs import DOCS, ROOT, bash_lines
from tests.s3_server import client, moto_s3, s3_env

SKIP = shutil.ignore_patterns(".git", "dist", ".venv", "__pycache__", ".pytest_cache",
                              ".ruff_cache", "*.egg-info", "Next_Steps_Log.md", ".env.*")


@pytest.fixture
def checkout(tmp_path) -> Path:
    copy = tmp_path / "hotpass"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    return copy


def run_page(page: Path, work: Path, env: dict[str, str]) -> list[str]:
    commands = bash_lines(page)
    assert len(commands) >= 5, page
    outputs = []
    for command in commands:
        result = subprocess.run(["bash", "-c", f"set -o pipefail; {command.text}"],
                                capture_output=True, text=True, cwd=work, env=env,
                                timeout=600)
        assert result.returncode == command.expect_exit, (
            f"{command}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}")
        assert "Traceback" not in result.stderr, command
        outputs.append(result.stdout)
    return outputs


def base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOTPASS_", "PREFECT_API_URL", "AWS_"))}
    env.update(PYTHONPATH=str(work), PREFECT_HOME=str(work / "prefect-home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def test_the_incident_runbook_runs_as_written(checkout, tmp_path):
    incoming = checkout / "incoming"
    generate_workbooks(incoming / "INC-42", rows=200, seed=42, files=2, exports=True)
    (incoming / "INC-42.log").write_text("02:00 refine: exit 2\n")
    with moto_s3(tmp_path) as endpoint:
        client(endpoint).create_bucket(Bucket="hotpass-evidence")
        env = {**base_env(checkout), **s3_env(endpoint, tmp_path)}
        outputs = run_page(DOCS / "how-to" / "respond-to-an-incident.md", checkout, env)
        listed = client(endpoint).list_objects_v2(Bucket="hotpass-evidence",
                                                  Prefix="incidents/INC-42/")
    bundle = checkout / "dist" / "incidents" / "INC-42"
    manifest = verify(bundle)
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["reproduce"]["exit_code"] == 0 and summary["prefect"]["reachable"] is False
    assert {"logs/INC-42.log", "net-status.json", "doctor.json"} <= {
        entry["path"] for entry in manifest["files"]}
    assert any("INC-42-close" in line and "root cause: supplier export had no header row"
               in line for line in outputs[-3].splitlines())
    uploaded = {item["Key"] for item in listed["Contents"]}
    assert "incidents/INC-42/manifest.json" in uploaded
    assert (checkout / "dist" / "incidents" / "INC-42.tar.gz").is_file()
    assert not (checkout / "data" / "incidents").exists()


def test_the_offline_rehearsal_runbook_runs_as_written(checkout):
    outputs = run_page(DOCS / "how-to" / "rehearse-offline.md", checkout, base_env(checkout))
    bundles = [p for p in (checkout / "dist" / "offline").iterdir()
               if p.is_dir() and p.name[:2] == "20"]
    assert len(bundles) == 1  # the dry run wrote nothing
    assert "rehearse.offline: PASS" in outputs[1]
    assert bundles[0].name in outputs[2] and ": ok (rehearse.offline" in outputs[3]
    assert (checkout / "dist" / "offline" / f"{bundles[0].name}.tar.gz").is_file()
    assert len(verify(bundles[0])["children"]) == 2


READ_ONLY = re.compile(r"^(?:[A-Z_]+=\S+ )*(?:hotpass|invoke) .*(?:--dry-run|\bstatus\b|"
                       r"\bshow\b|\blist\b|--help)")


PORT_TAKEN = "is in use by a program stack.up did not start; pass --"


def dry_lines() -> list:
    return [command for page in sorted((DOCS / "how-to").glob("*.md"))
            for command in bash_lines(page) if READ_ONLY.match(command.text)]


def test_the_dry_run_and_status_lines_are_found():
    found = {command.text for command in dry_lines()}
    assert "invoke stack.up --dry-run" in found and "hotpass net status --json" in found
    assert len(found) >= 15


def test_every_dry_run_and_status_line_of_the_how_tos_exits_as_documented(checkout):
    """Every how-to line that only reads or plans (`--dry-run`, status, show, list), as
    written, in a scratch checkout with nothing running: it exits as the page says."""
    env = {**base_env(checkout), "HOTPASS_STATE_DIR": str(checkout / "dist" / "state")}
    # the pages' first step: the refined set the later lines read (enrich --dry-run)
    first = subprocess.run(["hotpass", "refine", "--input-dir", "data", "--output-path",
                            "dist/refined.xlsx"], capture_output=True, text=True,
                           cwd=checkout, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    failures = []
    for command in dry_lines():
        result = subprocess.run(["bash", "-c", f"set -o pipefail; {command.text}"],
                                capture_output=True, text=True, cwd=checkout, env=env,
                                timeout=300)
        if PORT_TAKEN in result.stderr:  # the documented refusal on a shared machine
            continue
        if result.returncode != command.expect_exit or "Traceback" in result.stderr:
            failures.append(f"{command}: exit {result.returncode}: "
                            f"{(result.stderr or result.stdout).strip()[-300:]}")
    assert not failures, "\n".join(failures)
