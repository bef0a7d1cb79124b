"""The real ``hotpass refine`` command, as a subprocess, on good and bad inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from tests.workbooks import encrypt_workbook, good_rows, write_xlsx

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

ROOT = Path(__file__).resolve().parents[2]


def hotpass(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "hotpass.cli", *args], capture_output=True, text=True,
        cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=300)


def refine(input_dir: Path, out: Path, *extra: str):
    return hotpass("refine", "--input-dir", str(input_dir), "--output-path", str(out), *extra)


@pytest.fixture
def good_dir(tmp_path) -> Path:
    folder = tmp_path / "in"
    write_xlsx(folder / "crm.xlsx", {"Accounts": good_rows()}, title="Register")
    (folder / "extra.csv").write_text("Business name,Contact Number\nAcme Flight,082 123 4567\n")
    return folder


def _assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hotpass: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_refine_writes_every_output(good_dir, tmp_path):
    out = tmp_path / "out" / "refined.xlsx"
    result = refine(good_dir, out, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["totals"]["rows_in"] == 3
    assert summary["totals"]["records_out"] == 2  # Acme appears in both files
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Refined Data", "Quality Summary", "Issues", "Provenance"]
    csv = pd.read_csv(out.with_suffix(".csv"), dtype=str)
    assert csv.loc[csv.organization_name.str.startswith("Acme"), "contact_phone"].item() == (
        "+27821234567")
    report = json.loads((out.parent / "quality-report.json").read_text())
    assert report["totals"]["duplicates_merged"] == 1
    assert (out.parent / "quality-report.md").exists()


def test_same_inputs_give_byte_identical_csv_and_parquet(good_dir, tmp_path):
    first, second = tmp_path / "1" / "r.xlsx", tmp_path / "2" / "r.xlsx"
    assert refine(good_dir, first).returncode == 0
    assert refine(good_dir, second).returncode == 0
    for suffix in (".csv", ".parquet"):
        assert first.with_suffix(suffix).read_bytes() == second.with_suffix(suffix).read_bytes()


def test_one_bad_file_among_good_is_skipped_unless_strict(good_dir, tmp_path):
    (good_dir / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    out = tmp_path / "out" / "refined.xlsx"
    result = refine(good_dir, out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads((out.parent / "quality-report.json").read_text())
    assert report["issues_by_rule"]["file.unreadable"]["count"] == 1
    strict_out = tmp_path / "strict" / "refined.xlsx"
    strict = refine(good_dir, strict_out, "--strict")
    _assert_one_line_error(strict, "--strict", "broken.xlsx")
    assert strict.returncode == 2
    assert not strict_out.parent.exists() or not any(strict_out.parent.iterdir())


def _corrupt(folder: Path) -> None:
    (folder / "bad.xlsx").write_bytes(b"\x00\x01garbage" * 100)


def _encrypted(folder: Path) -> None:
    plain = write_xlsx(folder.parent / "plain.xlsx", {"S": good_rows()})
    encrypt_workbook(plain, folder / "locked.xlsx")


def _broken_link(folder: Path) -> None:
    (folder / "gone.xlsx").symlink_to(folder / "missing-target.xlsx")


def _no_header(folder: Path) -> None:
    write_xlsx(folder / "noheader.xlsx", {"Data": [["alpha", "beta", "gamma"], [1, 2, 3],
                                                   [4, 5, 6]]})


def _huge_cell_csv(folder: Path) -> None:
    with (folder / "huge.csv").open("w") as handle:
        handle.write("Company,Notes\nAcme,")
        chunk = "x" * (1024 * 1024)
        for _ in range(100):
            handle.write(chunk)
        handle.write("\n")


def _huge_cell_xlsx(folder: Path) -> None:
    """Excel writers truncate at 32,767 characters, so splice the cell into the XML."""
    base = write_xlsx(folder.parent / "base.xlsx", {"Sheet": [["Company", "Notes"],
                                                             ["Acme", "HUGE_PLACEHOLDER"]]})
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(
            folder / "huge.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/sharedStrings.xml":
                data = data.replace(b"HUGE_PLACEHOLDER", b"y" * (100 * 1024 * 1024))
            target.writestr(member.filename, data)


@pytest.mark.parametrize(("make_bad", "needles"), [
    (_corrupt, ["bad.xlsx", "not a readable workbook"]),
    (_encrypted, ["locked.xlsx", "password-protected"]),
    (_broken_link, ["gone.xlsx", "cannot read file"]),
    (_no_header, ["noheader.xlsx", "sheet Data", "no recognisable header"]),
    (_huge_cell_csv, ["huge.csv", "row 2"]),
    (_huge_cell_xlsx, ["huge.xlsx", "sheet Sheet, row 2", "cell B"]),
], ids=["corrupt", "password", "unreadable", "no-header", "100MB-cell-csv", "100MB-cell-xlsx"])
def test_bad_input_alone_fails_with_one_line_and_no_output(tmp_path, make_bad, needles):
    folder = tmp_path / "in"
    folder.mkdir()
    make_bad(folder)
    out = tmp_path / "out" / "refined.xlsx"
    result = refine(folder, out)
    _assert_one_line_error(result, *needles)
    assert not out.parent.exists()


def test_empty_directory(tmp_path):
    (tmp_path / "in").mkdir()
    _assert_one_line_error(refine(tmp_path / "in", tmp_path / "o.xlsx"), "--input-dir",
                           "no .xlsx")


def test_unknown_profile(good_dir, tmp_path):
    result = refine(good_dir, tmp_path / "o.xlsx", "--profile", "nope")
    _assert_one_line_error(result, "--profile nope", "available: aviation, generic")


def test_bad_profile_names_key_path(good_dir, tmp_path):
    custom = tmp_path / "profiles"
    custom.mkdir()
    text = (ROOT / "profiles" / "generic.yaml").read_text().replace("kind: email", "kind: mail")
    (custom / "broken.yaml").write_text(text)
    result = refine(good_dir, tmp_path / "o.xlsx", "--profile", "broken",
                    "--profile-search-path", str(custom))
    _assert_one_line_error(result, "broken.yaml", "fields.contact_email.kind")


def test_existing_outputs_survive_a_failed_run(good_dir, tmp_path):
    out = tmp_path / "out" / "refined.xlsx"
    assert refine(good_dir, out).returncode == 0
    before = out.read_bytes()
    shutil.rmtree(good_dir)
    good_dir.mkdir()
    _corrupt(good_dir)
    assert refine(good_dir, out).returncode == 2
    assert out.read_bytes() == before
