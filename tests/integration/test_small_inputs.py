"""Refine is defined for any input size and any name: one to three rows print no warning,
a punctuation-only name first does not break de-duplication, a header repeated inside a
CSV is not a record (issue 17 small inputs; issue 22 items 4 and 10)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.dedupe import resolve
from tests.workbooks import refine_cli

pytestmark = pytest.mark.filterwarnings("error")
PROFILE = load_profile("generic")


def _frame(names: list, emails: list) -> pd.DataFrame:
    frame = pd.DataFrame({"organization_name": names, "contact_email": emails,
                          SOURCE_FILE: "a.csv", SOURCE_SHEET: "", SOURCE_ROW: 0}, dtype=object)
    frame[SOURCE_ROW] = range(2, len(names) + 2)
    return frame


@pytest.mark.parametrize("first", ["---", "&&", "()", "- -"])
def test_a_name_without_words_first_does_not_break_resolution(first):
    frame = _frame([first, "Acme Ltd", "Acme Limited", "Beta CC"],
                   ["a@x.co.za", "info@acme.co.za", "info@acme.co.za", "b@beta.co.za"])
    labels = resolve(frame, PROFILE).labels
    assert labels[1] == labels[2] and len(set(labels.tolist())) == 3


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_resolution_of_one_to_three_rows_warns_nothing(rows):
    frame = _frame(["Acme Ltd", "Acme Ltd", "Beta CC"][:rows],
                   ["info@acme.co.za", "info@acme.co.za", None][:rows])
    labels = resolve(frame, PROFILE).labels  # filterwarnings=error: a warning fails here
    assert len(labels) == rows


@pytest.mark.parametrize("lines", [
    ["Organisation Name,Email", "Acme Ltd,info@acme.co.za"],
    ["Organisation Name,Email", "Acme Ltd,info@acme.co.za", "Acme Ltd,info@acme.co.za"],
    ["Organisation Name,Email", "---,a@x.co.za", "Acme Ltd,info@acme.co.za",
     'Beta CC,b@beta.co.za'],
    ["Organisation Name,Email", '"=""""",a@x.co.za', "Acme Ltd,info@acme.co.za"],
])
def test_refining_a_tiny_csv_prints_no_warning(tmp_path, lines):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tiny.csv").write_text("\n".join(lines) + "\n")
    result = refine_cli(tmp_path / "in", tmp_path / "out" / "r.xlsx")
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr
    refined = pd.read_parquet(tmp_path / "out" / "r.parquet")
    assert "Acme Ltd" in set(refined["organization_name"])
    assert not refined["organization_name"].isin(["---", '=""', "=", ""]).any()


def test_a_repeated_header_row_is_dropped_and_counted(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pasted.csv").write_text(
        "Organisation Name,Email\nAcme Ltd,info@acme.co.za\n"
        "Organisation Name,Email\nBeta CC,b@beta.co.za\n"
        "organisation name , EMAIL\nGamma Aviation,g@gamma.aero\n")
    result = refine_cli(tmp_path / "in", tmp_path / "out" / "r.xlsx")
    assert result.returncode == 0, result.stderr
    refined = pd.read_parquet(tmp_path / "out" / "r.parquet")
    assert sorted(refined["organization_name"]) == ["Acme Ltd", "Beta CC", "Gamma Aviation"]
    report = json.loads((tmp_path / "out" / "quality-report.json").read_text())
    (source,) = report["sources"]
    assert source["header_repeats"] == 2 and source["rows_in"] == 3
