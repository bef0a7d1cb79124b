"""`hotpass deploy` as a procedure, offline (no server): `--no-upload` plans against the
payload files already written, writes only what changed, re-reads them, and records it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "evidence" / "procedure-record.schema.json").read_text())
ENV = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens: never contacted


def deploy(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hotpass", "deploy", "--flow", "refinement",
                           "--no-upload", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **ENV}, timeout=180)


def test_no_upload_plans_against_the_files_and_records_evidence(tmp_path):
    first = deploy(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "hotpass-refinement/hotpass-refinement: create (offline)" in first.stdout
    payload = tmp_path / "dist/offline/prefect/refinement.json"
    written = payload.read_text()
    assert json.loads(written)["entrypoint"].endswith(":refinement_pipeline_flow")

    again = deploy(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "hotpass-refinement/hotpass-refinement: unchanged (offline)" in again.stdout
    assert "wrote" not in again.stdout and payload.read_text() == written

    payload.write_text(written.replace('"paused": false', '"paused": true'))
    dry = deploy(tmp_path, "--dry-run")
    assert "hotpass-refinement/hotpass-refinement: update (would)" in dry.stdout
    assert payload.read_text() != written  # the dry run fixed nothing
    fixed = deploy(tmp_path, "--json")
    assert fixed.returncode == 0, fixed.stderr
    result = json.loads(fixed.stdout)
    assert result["deployments"][0]["action"] == "update" and payload.read_text() == written

    records = [json.loads(p.read_text())
               for p in sorted((tmp_path / "dist/evidence").glob("deploy-*/record.json"))]
    assert len(records) == 3  # the dry run wrote none
    for record in records:
        jsonschema.validate(record, SCHEMA)
        assert record["status"] == "ok"
    assert Path(result["evidence"]).name == sorted(
        p.parent.name for p in (tmp_path / "dist/evidence").glob("deploy-*/record.json"))[-1]
    assert [s["call"] for s in records[-1]["steps"] if s["phase"] == "apply"][-1] == (
        "write dist/offline/prefect/refinement.json")
