"""--archive: a zip whose SHA256SUMS verifies with the real sha256sum tool."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile

import pytest

from hotpass.errors import HotpassError
from hotpass.refine.output.archive import build_archive
from tests.programs import require


@pytest.fixture
def run(tmp_path):
    inputs_root = tmp_path / "inputs"
    (inputs_root / "2024").mkdir(parents=True)
    inputs = [inputs_root / "2024" / "crm.xlsx", inputs_root / "register.csv"]
    inputs[0].write_bytes(b"xlsx bytes")
    inputs[1].write_text("name\nAcme\n")
    out = tmp_path / "out"
    out.mkdir()
    outputs = {
        "xlsx": out / "refined.xlsx",
        "csv": out / "refined.csv",
        "report_md": out / "quality-report.md",
    }
    for kind, path in outputs.items():
        path.write_text(f"{kind} content\n" * 50)
    return tmp_path, inputs_root, inputs, outputs


def archive(run, **overrides):
    tmp_path, inputs_root, inputs, outputs = run
    arguments = {
        "archive_path": tmp_path / "dist" / "refined.zip",
        "outputs": outputs,
        "inputs": inputs,
        "input_root": inputs_root,
        "profile": "generic",
        "row_counts": {"records_out": 1, "rows_in": 2},
        "hotpass_version": "0.1.0",
    } | overrides
    return build_archive(**arguments)


def test_archive_members_are_sorted_deflated_and_listed_in_the_manifest(run):
    path = archive(run)
    outputs = run[3]
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        assert names == sorted(
            ["SHA256SUMS", "manifest.json", "quality-report.md", "refined.csv", "refined.xlsx"]
        )
        assert {info.compress_type for info in bundle.infolist()} == {zipfile.ZIP_DEFLATED}
        manifest = json.loads(bundle.read("manifest.json"))
        assert bundle.read("refined.csv") == outputs["csv"].read_bytes()
    assert manifest["hotpass_version"] == "0.1.0"
    assert manifest["profile"] == "generic"
    assert manifest["row_counts"] == {"records_out": 1, "rows_in": 2}
    assert manifest["created_at"].endswith("Z")
    assert manifest["inputs"] == [
        {"path": "2024/crm.xlsx", "sha256": hashlib.sha256(b"xlsx bytes").hexdigest(),
         "bytes": 10},
        {"path": "register.csv", "sha256": hashlib.sha256(b"name\nAcme\n").hexdigest(),
         "bytes": 10},
    ]
    assert [entry["name"] for entry in manifest["outputs"]] == [
        "quality-report.md", "refined.csv", "refined.xlsx",
    ]
    assert not [p for p in path.parent.iterdir() if p.name != "refined.zip"]


def test_sha256sums_verifies_with_sha256sum_and_catches_tampering(run, tmp_path):
    require("sha256sum")
    with zipfile.ZipFile(archive(run)) as bundle:
        bundle.extractall(tmp_path / "unzipped")
    unzipped = tmp_path / "unzipped"
    sums = (unzipped / "SHA256SUMS").read_text()
    assert sorted(line.split("  ")[1] for line in sums.splitlines()) == [
        "manifest.json", "quality-report.md", "refined.csv", "refined.xlsx",
    ]
    check = ["sha256sum", "-c", "SHA256SUMS"]
    assert subprocess.run(check, cwd=unzipped, capture_output=True).returncode == 0
    with open(unzipped / "refined.csv", "a") as handle:
        handle.write("tampered\n")
    result = subprocess.run(check, cwd=unzipped, capture_output=True, text=True)
    assert result.returncode != 0
    assert "refined.csv: FAILED" in result.stdout


def test_duplicate_member_names_are_refused_and_nothing_written(run, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "refined.csv").write_text("another csv")
    outputs = run[3] | {"copy": other / "refined.csv"}
    with pytest.raises(HotpassError, match="'refined.csv'"):
        archive(run, outputs=outputs)
    assert not (tmp_path / "dist").exists()


def test_rebuild_replaces_an_existing_archive(run):
    path = archive(run)
    archive(run, row_counts={"records_out": 9})
    with zipfile.ZipFile(path) as bundle:
        assert json.loads(bundle.read("manifest.json"))["row_counts"] == {"records_out": 9}
    assert [p.name for p in path.parent.iterdir()] == ["refined.zip"]
