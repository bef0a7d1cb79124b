"""The compact form a reader child hands a sheet over in: Arrow string columns that give
back exactly the rows of text the sheet read in place gives, on the bundled exports and
on a sheet of every spreadsheet type; ragged rows (a CSV) stay rows."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pyarrow as pa
import pytest

from hotpass.refine.ingest.cells import RawSheet
from hotpass.refine.ingest.files import read_sheets
from hotpass.refine.pipeline import read_columns

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.xlsx")))
def test_a_bundled_workbook_hands_over_the_same_texts(name):
    path = DATA / name
    expected = [(s.name, s.header_known, s.texts) for s in read_sheets(path, name)]
    handed = pickle.loads(pickle.dumps(read_columns(path, name), protocol=5))
    assert any(s._columns is not None for s in handed)  # columns, not rows, went over
    assert all(not s.rows for s in handed)
    assert [(s.name, s.header_known, s.texts) for s in handed] == expected


def test_every_cell_type_comes_back_as_the_same_text():
    rows = [["Name", "Phone", "Since", "Active", "Score", "Blank"],
            ["\u00a0Acme (Pty) Ltd ", 27821234567.0, dt.datetime(2024, 4, 3), True, 1.5, None],
            ["Bravo", "082 555 0101", dt.datetime(2024, 4, 3, 9, 30), False, float("nan"), ""],
            ["Ω Omega", 1e22, dt.date(2023, 1, 2), None, -0.0, "  "]]
    expected = RawSheet("S", [list(r) for r in rows]).texts
    sheet = RawSheet("S", [list(r) for r in rows]).columnar()
    assert isinstance(sheet._columns, pa.Table) and sheet._columns.num_rows == len(rows)
    assert pickle.loads(pickle.dumps(sheet)).texts == expected


def test_ragged_rows_stay_rows():
    rows = [["Name", "Email"], ["Acme", "a@acme.co.za", "extra"], ["Bravo"]]
    sheet = RawSheet("", [list(r) for r in rows]).columnar()
    assert sheet._columns is None
    assert sheet.texts == [["Name", "Email"], ["Acme", "a@acme.co.za", "extra"], ["Bravo"]]
