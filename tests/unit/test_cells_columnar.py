"""The compact form a reader child hands a sheet over in: one Arrow string array, row after
row, that gives back exactly the rows of text the sheet read in place gives, on the
bundled exports and on a sheet of every spreadsheet type; ragged rows (a CSV) stay rows."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pyarrow as pa
import pytest

from hotpass.refine.ingest.cells import RawSheet
from hotpass.refine.ingest.files import read_sheets
from hotpass.refine.pipeline import read_columns
from tests.workbooks import crafted_workbook

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.xlsx")))
def test_a_bundled_workbook_hands_over_the_same_texts(name):
    path = DATA / name
    expected = [(s.name, s.header_known, s.texts) for s in read_sheets(path, name)]
    handed = pickle.loads(pickle.dumps(read_columns(path, name), protocol=5))
    assert any(s._cells is not None for s in handed)  # Arrow, not rows, went over
    assert all(not s.rows for s in handed)
    assert [(s.name, s.header_known, s.texts) for s in handed] == expected


def test_every_cell_type_comes_back_as_the_same_text():
    rows = [["Name", "Phone", "Since", "Active", "Score", "Blank"],
            ["\u00a0Acme (Pty) Ltd ", 27821234567.0, dt.datetime(2024, 4, 3), True, 1.5, None],
            ["Bravo", "082 555 0101", dt.datetime(2024, 4, 3, 9, 30), False, float("nan"), ""],
            ["Ω Omega", 1e22, dt.date(2023, 1, 2), None, -0.0, "  "]]
    expected = RawSheet("S", [list(r) for r in rows]).texts
    sheet = RawSheet("S", [list(r) for r in rows]).columnar()
    assert isinstance(sheet._cells, pa.StringArray) and sheet._width == 6
    assert len(sheet._cells) == 6 * len(rows)
    assert pickle.loads(pickle.dumps(sheet)).texts == expected


def test_a_sheet_starting_below_and_right_of_a1_keeps_its_place(tmp_path, monkeypatch):
    """Row numbers in issues are the spreadsheet's: the empty rows and columns before the
    first cell are kept, in chunks as in one piece."""
    from hotpass.refine.ingest import files

    data = ('<row r="3"><c r="C3" t="inlineStr"><is><t>Name</t></is></c>'
            '<c r="E3" t="inlineStr"><is><t> Email </t></is></c></row>'
            + "".join(f'<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>Org {r}</t></is></c>'
                      f'<c r="D{r}"><v>{r}.5</v></c></row>' for r in range(4, 40)))
    path = crafted_workbook(tmp_path / "offset.xlsx", data)
    expected = [s.texts for s in read_sheets(path, "offset.xlsx")]
    assert expected[0][2] == [None, None, "Name", None, "Email"] and len(expected[0]) == 39
    for chunk in (5, 38, 1000):
        monkeypatch.setattr(files, "CHUNK_ROWS", chunk)
        handed = pickle.loads(pickle.dumps(read_columns(path, "offset.xlsx")))
        assert [s.texts for s in handed] == expected, chunk


def test_ragged_rows_stay_rows():
    rows = [["Name", "Email"], ["Acme", "a@acme.co.za", "extra"], ["Bravo"]]
    sheet = RawSheet("", [list(r) for r in rows]).columnar()
    assert sheet._cells is None
    assert sheet.texts == [["Name", "Email"], ["Acme", "a@acme.co.za", "extra"], ["Bravo"]]
