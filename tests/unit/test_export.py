"""Refined outputs: workbook layout, formula neutralising, determinism, atomicity."""

from __future__ import annotations

import csv
import io
import re
import time

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from hotpass.errors import HotpassError
from hotpass.refine.model import Issue
from hotpass.refine.output.export import ISSUE_COLUMNS, neutralise_formulas, write_refined_outputs

_PLAIN = re.compile(r"^[+-]?\d[\d\s().-]*$")
SHEETS = ["Refined Data", "Quality Summary", "Issues", "Provenance"]


def refined_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "organization_name": ["Acme (Pty) Ltd", "=HYPERLINK(\"http://x\")", "Beta"],
            "contact_phone": ["+27821234567", None, "-12.5"],
            "notes": ["@SUM(A1)", "plain", None],
            "source_count": [2, 1, 1],
        }
    )


def provenance_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record": [0, 1, 2],
            "source_file": ["crm.xlsx", "register.csv", "crm.xlsx"],
            "source_row": [2, 7, 3],
        }
    )


def summary_frame() -> pd.DataFrame:
    return pd.DataFrame({"section": ["Totals"], "metric": ["rows_in"], "value": ["4"]})


ISSUES = [
    Issue("warning", "email.invalid", "bad email", "crm.xlsx", "Orgs", 4, "contact_email",
          "=cmd|' /C calc'!A0"),
    Issue("info", "column.unmapped", "column 'Misc' not mapped", "register.csv"),
]


def write(tmp_path, name="out.xlsx", refined=None, provenance=None):
    return write_refined_outputs(
        tmp_path / name,
        refined_frame() if refined is None else refined,
        provenance_frame() if provenance is None else provenance,
        ISSUES,
        summary_frame(),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\rx", "'\rx"),
        ("+27821234567", "+27821234567"),
        ("+1 (555) 123-4567", "+1 (555) 123-4567"),
        ("-12.5", "-12.5"),
        ("Acme = best", "Acme = best"),
    ],
)
def test_neutralise_formulas_prefixes_only_formula_like_text(value, expected):
    frame = pd.DataFrame({"text": [value]})
    assert neutralise_formulas(frame)["text"].tolist() == [expected]


def test_neutralise_formulas_keeps_nulls_numbers_and_the_input_frame():
    frame = pd.DataFrame(
        {"mixed": pd.Series(["=1", -5, None], dtype=object), "count": [-1, 2, 3]}
    )
    out = neutralise_formulas(frame)
    assert out["mixed"].tolist() == ["'=1", -5, None]
    assert out["count"].tolist() == [-1, 2, 3]
    assert frame["mixed"].tolist() == ["=1", -5, None]


def test_workbook_has_sheets_headers_frozen_panes_and_filters(tmp_path):
    paths = write(tmp_path)
    assert paths == {
        "xlsx": tmp_path / "out.xlsx",
        "csv": tmp_path / "out.csv",
        "parquet": tmp_path / "out.parquet",
    }
    workbook = openpyxl.load_workbook(paths["xlsx"])
    assert workbook.sheetnames == SHEETS
    data = workbook["Refined Data"]
    assert [cell.value for cell in data[1]] == list(refined_frame().columns)
    assert data["A1"].font.bold and data["A1"].fill.fgColor.rgb.endswith("DCE6F1")
    for name in SHEETS:
        assert workbook[name].freeze_panes == "A2"
    assert data.auto_filter.ref == "A1:D4"
    assert workbook["Issues"].auto_filter.ref == "A1:H3"
    assert [cell.value for cell in workbook["Issues"][1]] == list(ISSUE_COLUMNS)


def test_workbook_cells_are_neutralised_typed_and_empty_for_null(tmp_path):
    workbook = openpyxl.load_workbook(write(tmp_path)["xlsx"])
    rows = list(workbook["Refined Data"].iter_rows(min_row=2, values_only=True))
    assert rows == [
        ("Acme (Pty) Ltd", "+27821234567", "'@SUM(A1)", 2),
        ("'=HYPERLINK(\"http://x\")", None, "plain", 1),
        ("Beta", "-12.5", None, 1),
    ]
    issues = list(workbook["Issues"].iter_rows(min_row=2, values_only=True))
    assert issues[0] == ("warning", "email.invalid", "bad email", "crm.xlsx", "Orgs", 4,
                         "contact_email", "'=cmd|' /C calc'!A0")
    assert issues[1][5] is None


def test_csv_is_neutralised_and_quoted_parquet_keeps_the_original_values(tmp_path):
    paths = write(tmp_path)
    from_csv = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    from_parquet = pd.read_parquet(paths["parquet"])
    assert from_csv["organization_name"].tolist()[1] == "'=HYPERLINK(\"http://x\")"
    assert from_csv["notes"].tolist()[0] == "'@SUM(A1)"
    assert from_parquet["notes"].tolist()[0] == "@SUM(A1)"
    assert from_parquet["organization_name"].tolist()[1] == "=HYPERLINK(\"http://x\")"
    assert from_parquet["contact_phone"].tolist()[0] == "+27821234567"
    assert list(from_parquet.columns) == list(refined_frame().columns)
    assert pq.read_schema(paths["parquet"]).field("source_count").type == "int64"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_csv_field_starts_a_formula_whatever_the_list_separator(tmp_path, delimiter):
    refined = pd.DataFrame({"organization_name": ["Acme Ltd;=cmd|' /C calc'!A0",
                                                  "Beta\t+SUM(A1)", "Gamma, @x", "Delta"],
                            "contact_phone": ["+27821234567", None, "-12.5", "1"]})
    paths = write(tmp_path, refined=refined)
    text = paths["csv"].read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    fields = [field for row in rows for field in row]
    assert not [f for f in fields if f and f[0] in "=+-@" and not _PLAIN.match(f)], fields
    assert pd.read_parquet(paths["parquet"])["organization_name"].tolist()[:2] == [
        "Acme Ltd;=cmd|' /C calc'!A0", "Beta\t+SUM(A1)"]


def test_column_widths_are_clamped(tmp_path):
    refined = pd.DataFrame({"id": ["a"], "long_text": ["x" * 500]})
    sheet = openpyxl.load_workbook(write(tmp_path, refined=refined)["xlsx"])["Refined Data"]
    assert sheet.column_dimensions["A"].width == pytest.approx(8, abs=1)
    assert sheet.column_dimensions["B"].width == pytest.approx(60, abs=1)


def test_csv_and_parquet_bytes_are_identical_across_runs(tmp_path):
    first = write(tmp_path / "one")
    time.sleep(1.1)  # a timestamp in either format would now differ
    second = write(tmp_path / "two")
    for kind in ("csv", "parquet"):
        assert first[kind].read_bytes() == second[kind].read_bytes()
    assert first["csv"].read_bytes().count(b"\r") == 0


def test_sheets_over_excel_limit_hold_first_rows_and_a_note(tmp_path, monkeypatch):
    from hotpass.refine.output import export

    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 6)
    issues = [Issue("warning", "email.invalid", f"bad email {n}", "crm.xlsx", "Orgs", n + 2)
              for n in range(9)]
    provenance = pd.DataFrame({"record": list(range(5)), "source_file": ["=x.xlsx"] * 5})
    paths = write_refined_outputs(tmp_path / "out.xlsx", refined_frame(), provenance, issues,
                                  summary_frame())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "issues.csv", "issues.parquet", "out.csv", "out.parquet", "out.xlsx"]
    book = CalamineWorkbook.from_path(str(paths["xlsx"]))
    sheet = book.get_sheet_by_name("Issues").to_python()
    assert len(sheet) == 6 and [row[2] for row in sheet[1:5]] == [
        f"bad email {n}" for n in range(4)]
    assert sheet[5][0] == ("5 more rows not shown: Excel allows 6 rows per sheet; all 9 are "
                           "in issues.csv and issues.parquet")
    assert len(book.get_sheet_by_name("Provenance").to_python()) == 6  # fits: no file
    full = pd.read_parquet(paths["issues_parquet"])
    assert full["message"].tolist() == [f"bad email {n}" for n in range(9)]
    assert pd.read_csv(paths["issues_csv"])["row"].tolist() == list(range(2, 11))


def test_failed_xlsx_write_leaves_no_new_output_and_old_ones_untouched(tmp_path):
    for suffix in ("xlsx", "csv", "parquet"):
        (tmp_path / f"out.{suffix}").write_text(f"old {suffix}")
    # xlsxwriter rejects infinite numbers; CSV and Parquet (written first) accept them.
    provenance = pd.DataFrame({"score": [1.0, float("inf"), 2.0]})
    with pytest.raises(TypeError):
        write(tmp_path, provenance=provenance)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.parquet", "out.xlsx"]
    for suffix in ("xlsx", "csv", "parquet"):
        assert (tmp_path / f"out.{suffix}").read_text() == f"old {suffix}"


def test_failed_first_run_creates_nothing(tmp_path):
    with pytest.raises(TypeError):
        write(tmp_path, provenance=pd.DataFrame({"score": [float("-inf")]}))
    assert list(tmp_path.iterdir()) == []


def test_output_path_must_be_xlsx(tmp_path):
    with pytest.raises(HotpassError, match=r"must end in \.xlsx"):
        write(tmp_path, name="out.csv")
    assert list(tmp_path.iterdir()) == []


def test_phone_lists_are_not_neutralised_but_formulas_between_them_are():
    frame = pd.DataFrame({"phones": ["+27821234567; +27115551234", "+27821234567; =cmd|' /C calc'!A0"]},
                         dtype=object)
    out = neutralise_formulas(frame)
    assert out["phones"].tolist() == ["+27821234567; +27115551234",
                                      "'+27821234567; =cmd|' /C calc'!A0"]


def test_large_outputs_write_the_workbook_on_a_thread_with_the_same_cells(tmp_path, monkeypatch):
    from hotpass.refine.output import export

    (tmp_path / "inline").mkdir()
    (tmp_path / "threaded").mkdir()
    inline = write(tmp_path / "inline")
    monkeypatch.setattr(export, "BACKGROUND_MIN_CELLS", 0)
    threaded = write(tmp_path / "threaded")
    for path in (inline["xlsx"], threaded["xlsx"]):
        assert CalamineWorkbook.from_path(str(path)).sheet_names == [
            "Refined Data", "Quality Summary", "Issues", "Provenance"]

    def cells(path):
        book = CalamineWorkbook.from_path(str(path))
        return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    assert cells(inline["xlsx"]) == cells(threaded["xlsx"])
    # A failure in the writer thread is one clear error, and nothing is left behind.
    (tmp_path / "bad").mkdir()
    with pytest.raises(HotpassError, match="writing the workbook failed: TypeError"):
        write(tmp_path / "bad", provenance=pd.DataFrame({"score": [float("inf")]}))
    assert list((tmp_path / "bad").iterdir()) == []


def test_the_fast_writer_and_xlsxwriter_write_the_same_cells(tmp_path):
    """refine's workbook writer (rust_xlsxwriter) against the xlsxwriter fallback, cell by
    cell: the guard, numbers, nulls, mixed object columns, booleans, timestamps, text past
    Excel's cell limit, and the sheet's frozen header, autofilter and widths."""
    import numpy as np
    import openpyxl
    from python_calamine import CalamineWorkbook

    from hotpass.refine.output.export import write_xlsx
    from hotpass.refine.output.workbook import fast_writer_available
    from hotpass.refine.output.xlsx_cells import write_xlsx_cells

    assert fast_writer_available()
    frame = pd.DataFrame({
        "text": pd.array(["plain", "=SUM(A1)", "-1-1", "+27821234567", None, "x" * 40_000,
                          "@x", "\tq", "-12.5"], dtype="str"),
        "ints": np.arange(9, dtype="int64"),
        "floats": [1.5, np.nan, 2.0, 1e20, -0.0, 3.25, 7.0, 8.0, 9.0],
        "mixed": pd.Series([1, "a", None, 2.5, "=x", pd.Timestamp("2024-01-02"), True, "", 3],
                           dtype=object),
        "bools": [True, False] * 4 + [True],
    })
    fast, fallback = tmp_path / "fast.xlsx", tmp_path / "fallback.xlsx"
    write_xlsx({"S": frame, "Empty": pd.DataFrame()}, fast)
    write_xlsx_cells({"S": frame, "Empty": pd.DataFrame()}, fallback)
    cells = [CalamineWorkbook.from_path(str(p)).get_sheet_by_name("S").to_python()
             for p in (fast, fallback)]
    assert cells[0] == cells[1]
    assert cells[0][2][0] == "'=SUM(A1)" and cells[0][7][0] == "'@x"
    assert len(cells[0][6][0]) == 32_767 and cells[0][2][1] == 1
    sheets = [openpyxl.load_workbook(p)["S"] for p in (fast, fallback)]
    for sheet in sheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E10"
        assert sheet["A1"].font.b
    widths = [{k: round(v.width) for k, v in s.column_dimensions.items()} for s in sheets]
    assert widths[0] == widths[1]


@pytest.mark.parametrize(("value", "written"), [
    ("-1-1", "'-1-1"), ("+1+1", "'+1+1"), ("+27-82-123-4567", "'+27-82-123-4567"),
    ("-12.5", "-12.5"), ("+27821234567", "+27821234567"),
    ("+1 (555) 123-4567", "+1 (555) 123-4567"), ("1-1", "1-1"),
])
def test_arithmetic_looking_values_are_guarded(value, written):
    """A spreadsheet computes ``-1-1`` (to -2) and ``+27-82-123-4567``; plain numbers and
    spaced phones stay as they are."""
    from hotpass.refine.output.xlsx_cells import guard

    assert guard(value) == written
