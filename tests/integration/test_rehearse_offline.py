"""`invoke rehearse.offline` end to end with no server: every runbook step recorded in
order with its exit status, the procedures it runs linked as child bundles, the QA step
recorded honestly, a failing step failing the rehearsal with a bundle that still
verifies, and a dry run writing nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.evidence import verify

ROOT = Path(__file__).resolve().parents[2]


def invoke(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HOTPASS_", "PREFECT_API_URL"))}
    return subprocess.run(["invoke", "-r", str(ROOT), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600,
                          env={**clean, "PYTHONPATH": str(ROOT),
                               "HOTPASS_NEXT_STEPS_LOG": str(cwd / "Next_Steps_Log.md"),
                               "HOTPASS_STATE_DIR": str(cwd / "state")})


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    work = tmp_path_factory.mktemp("offline")
    generate_workbooks(work / "inputs", rows=240, seed=3, files=2, exports=True)
    result = invoke(["rehearse.offline", "--input-dir", "inputs"], work)
    [bundle] = [p for p in (work / "dist" / "offline").iterdir() if p.name != "prefect"]
    return work, bundle, result


def test_the_rehearsal_passes_and_its_bundle_verifies(rehearsal):
    work, bundle, result = rehearsal
    assert result.returncode == 0, result.stderr
    assert "rehearse.offline: PASS" in result.stdout
    manifest = verify(bundle)
    assert sorted(c["procedure"] for c in manifest["children"]) == ["deploy", "env"]
    assert all(c["verdict"] == "pass" for c in manifest["children"])
    files = {entry["path"] for entry in manifest["files"]}
    assert {"env.local", "refined/refined.xlsx", "refined/refined-bundle.zip",
            "prefect/refinement.json", "prefect/backfill.json"} <= files
    assert any(name.startswith("refined/input-archives/") for name in files)
    row = (work / "Next_Steps_Log.md").read_text().splitlines()[-1]
    assert row.split(" | ")[1:4] == ["rehearse.offline", bundle.name, "pass"]


def test_every_step_is_in_cli_sh_in_order_with_its_exit_status(rehearsal):
    _, bundle, _ = rehearsal
    lines = (bundle / "cli.sh").read_text().splitlines()
    commands = [(line.split()[1:3], lines[i + 1]) for i, line in enumerate(lines)
                if line.startswith("hotpass ")]
    assert [words for words, _ in commands] == [
        ["env", "--target"], ["env", "--target"], ["refine", "--input-dir"],
        ["qa", "all"],
        ["deploy", "--flow"], ["deploy", "--flow"]]
    assert {status for _, status in commands} == {"# exit 0"}
    first_env = next(line for line in lines if line.startswith("hotpass env"))
    assert first_env.endswith("--dry-run")


def test_the_qa_step_is_recorded_honestly(rehearsal):
    _, bundle, _ = rehearsal
    summary = json.loads((bundle / "summary.json").read_text())
    record = json.loads((bundle / "record.json").read_text())
    [qa] = [s for s in record["steps"] if s["call"].startswith("hotpass qa all")]
    assert summary["qa"] == "ran" and qa["status"] == "ok"
    assert summary["steps"]["qa all"] == 0


def test_a_failing_step_fails_the_rehearsal_with_a_bundle_that_verifies(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "export.csv").write_text("\n\n")
    result = invoke(["rehearse.offline", "--input-dir", "broken"], tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("rehearse.offline: failed: refine --archive (bundle dist/offline/")
    [bundle] = [p for p in (tmp_path / "dist" / "offline").iterdir() if p.name != "prefect"]
    summary = verify(bundle) and json.loads((bundle / "summary.json").read_text())
    assert summary["verdict"] == "fail" and summary["steps"]["refine --archive"] == 2


def test_a_dry_run_writes_nothing(tmp_path):
    (tmp_path / "inputs").mkdir()
    result = invoke(["--dry", "rehearse.offline", "--input-dir", "inputs"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[dry-run] $ hotpass refine" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]
