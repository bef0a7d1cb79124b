"""A symbolic link in the input folder that leads out of it is not followed: its target's
rows never reach the outputs or the input bundle, and it is reported as a bad file
(an error under --strict)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CANARY = "Outside Canary Holdings"


def _refine(inputs: Path, dist: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hotpass", "refine", "--input-dir",
                           str(inputs), "--output-path", str(dist / "refined.xlsx"), "--json",
                           *extra], capture_output=True, text=True, timeout=300)


def test_a_link_out_of_the_input_folder_is_reported_not_read(tmp_path):
    inputs, outside = tmp_path / "in", tmp_path / "elsewhere"
    inputs.mkdir()
    outside.mkdir()
    (inputs / "clients.csv").write_text("Company Name,E-mail\nAcme Ltd,info@acme.co.za\n")
    (outside / "private.csv").write_text(f"Company Name,E-mail\n{CANARY},x@canary.co.za\n")
    (inputs / "private.csv").symlink_to(outside / "private.csv")
    (inputs / "inside.csv").symlink_to(inputs / "clients.csv")  # inside: still read
    dist = tmp_path / "dist"
    result = _refine(inputs, dist, "--archive")
    assert result.returncode == 0, result.stderr
    outputs = json.loads(result.stdout)["outputs"]
    assert CANARY not in Path(outputs["csv"]).read_text()
    for bundle in (outputs["archive"], outputs["input_bundle"]):
        with zipfile.ZipFile(bundle) as archive:
            names = archive.namelist()
            assert not any("private.csv" in n for n in names), names
            assert all(CANARY.encode() not in archive.read(n) for n in names)
    report = json.loads(Path(outputs["report_json"]).read_text())
    refused = [i for i in report["sample_issues"] if i["rule"] == "file.unreadable"]
    assert [i["file"] for i in refused] == ["private.csv"]
    assert "symbolic link out of the input folder" in refused[0]["message"]
    strict = _refine(inputs, tmp_path / "strict", "--strict")
    assert strict.returncode == 2 and "private.csv" in strict.stderr, strict.stderr
