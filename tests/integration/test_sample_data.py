"""The main job on generated sample data: every refine step, checked against the truth
the generator knows (which rows are the same organisation, what mess it put where)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from hotpass.bench.samples import generate_workbooks
from hotpass.bench.scoring import pairwise_precision_recall, read_provenance
from hotpass.profiles import load_profile
from tests.workbooks import refine_cli as refine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generic_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("generic")
    generated = generate_workbooks(base / "in", rows=1500, seed=11)
    out = base / "out" / "refined.xlsx"
    result = refine(base / "in", out)
    assert result.returncode == 0, result.stderr
    return generated, out, json.loads(result.stdout)


def test_dedupe_matches_the_generators_truth(generic_run):
    generated, out, summary = generic_run
    predicted = read_provenance(out)
    truth = {(f, s, r): e for f, s, r, e in generated.truth}
    assert set(truth) <= set(predicted)  # every input row is accounted for
    precision, recall = pairwise_precision_recall(predicted, truth)
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    assert summary["totals"]["duplicates_merged"] > 0


def test_report_lists_headers_unmapped_columns_and_skipped_sheets(generic_run):
    _, out, _ = generic_run
    report = json.loads((out.parent / "quality-report.json").read_text())
    sources = report["sources"]
    assert any(s["header_row"] and s["header_row"] > 1 for s in sources)  # below a title
    assert any(s["unmapped_columns"] for s in sources if s["status"] == "used")
    assert any(s["status"] == "skipped" and "layout-only" in s["reason"] for s in sources)
    assert 0 < report["fill_rates"]["contact_phone"] <= 1


def test_refined_values_are_canonical(generic_run):
    _, out, _ = generic_run
    data = pd.read_parquet(out.with_suffix(".parquet"))
    profile = load_profile("generic")

    def all_match(column: str, pattern: str) -> None:
        values = data[column].dropna()
        assert len(values), column
        bad = values[~values.str.fullmatch(pattern)]
        assert bad.empty, (column, bad.head().tolist())

    all_match("contact_phone", r"\+\d{9,15}")
    all_match("contact_email", r"[^A-Z\s;]+@[^A-Z\s;]+\.[a-z]{2,}")
    all_match("website", r"https://[a-z0-9.-]+\.[a-z]{2,}")
    all_match("last_interaction_date", r"\d{4}-\d{2}-\d{2}")
    assert set(data["province"].dropna()) <= set(profile.fields["province"].allowed_values)
    secondary = data["secondary_contact_emails"].dropna()
    assert len(secondary) and secondary.str.contains("@").all()  # several emails per cell kept


def test_workbook_sheets_are_styled_and_safe(generic_run):
    from openpyxl import load_workbook

    _, out, _ = generic_run
    book = load_workbook(out, read_only=False)
    sheet = book["Refined Data"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet["A1"].font.bold
    issues = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Issues").to_python()
    assert issues[0][:3] == ["severity", "rule", "message"]


def test_archive_checks_with_sha256sum(generic_run, tmp_path):
    import zipfile

    generated, out, _ = generic_run
    result = refine(generated.out_dir, tmp_path / "a" / "refined.xlsx", "--archive")
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "a" / "refined-bundle.zip"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path / "x")
        manifest = json.loads(archive.read("manifest.json"))
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "x",
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert {i["path"] for i in manifest["inputs"]} == {
        p.relative_to(generated.out_dir).as_posix() for p in generated.files}


def test_aviation_profile_uses_its_own_synonyms(tmp_path):
    generated = generate_workbooks(tmp_path / "in", rows=300, seed=5, profile="aviation")
    aviation = refine(tmp_path / "in", tmp_path / "av" / "refined.xlsx", "--profile", "aviation")
    assert aviation.returncode == 0, aviation.stderr
    report = json.loads((tmp_path / "av" / "quality-report.json").read_text())
    assert report["profile"] == "aviation"
    mapped = {k.lower(): v for s in report["sources"] for k, v in s["mapped_columns"].items()}
    generic = {s for f in load_profile("generic").fields.values() for s in f.synonyms}
    own = {s for f in load_profile("aviation").fields.values() for s in f.synonyms} - generic
    aviation_only = {h for h in mapped if h in own}
    assert aviation_only, sorted(mapped)
    predicted = read_provenance(tmp_path / "av" / "refined.xlsx")
    truth = {(f, s, r): e for f, s, r, e in generated.truth}
    precision, recall = pairwise_precision_recall(predicted, truth)
    # Recall was 1.0 while same-name records kept apart shared one organization_id (the
    # measurement counted them as merged); with unique ids it is the resolver's own: 0.877
    # on this sample (same-name rows with different phones kept apart; issue 17 item 5).
    assert precision >= 0.98 and recall >= 0.85


def test_progress_bar_on_a_terminal_only(tmp_path):
    generate_workbooks(tmp_path / "in", rows=200, seed=3)
    primary, replica = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(tmp_path / "in"),
         "--output-path", str(tmp_path / "o" / "r.xlsx")],
        stdout=subprocess.DEVNULL, stderr=replica, cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(replica)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    process.wait(timeout=120)
    os.close(primary)
    assert process.returncode == 0
    assert b"ingest" in drawn  # the bar drew on the terminal
    quiet = refine(tmp_path / "in", tmp_path / "q" / "r.xlsx")
    assert quiet.stderr == ""  # and nothing when not a terminal
    assert re.search(r'"records_out": \d+', quiet.stdout)
