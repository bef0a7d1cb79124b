"""Ingest and column mapping on real files: header detection, skips, joins, limits."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from hotpass.errors import InputError
from hotpass.profiles import load_profile
from hotpass.refine.ingest.cells import cell_text
from hotpass.refine.ingest.column_types import ColumnTyper
from hotpass.refine.ingest.files import discover_inputs, read_sheets
from hotpass.refine.ingest.mapping import frame_from_sheet
from hotpass.refine.model import SOURCE_ROW, SourceFrame
from hotpass.refine.pipeline import prepare_source
from tests.workbooks import encrypt_workbook, good_rows, write_xlsx

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

GENERIC = load_profile("generic")
AVIATION = load_profile("aviation")


def _frames(path: Path, profile=GENERIC):
    typer = ColumnTyper(profile)
    return [frame_from_sheet(s, path.name, profile, typer) for s in read_sheets(path, path.name)]


def test_header_below_title_and_blank_rows_is_found(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Register": good_rows()}, title="Q3 Register",
                      start_row=4)
    (frame,) = _frames(path)
    assert isinstance(frame, SourceFrame)
    assert frame.report.header_row == 5
    assert frame.frame[SOURCE_ROW].tolist() == [6, 7]  # spreadsheet rows, as a user sees them
    assert frame.frame["organization_name"].tolist() == ["Acme Flight (Pty) Ltd",
                                                         "Blue Sky Charter"]
    assert frame.frame["contact_phone"].tolist() == ["27821234567", "011 555 1234"]


def test_unmapped_and_placeholder_columns_are_reported(tmp_path):
    rows = [["Organisation", "Email", "Internal Ref", "Unnamed: 4"],
            ["Acme", "a@acme.co.za", "X1", "zzz"]]
    (frame,) = _frames(write_xlsx(tmp_path / "a.xlsx", {"S": rows}))
    assert frame.report.unmapped_columns == ["Internal Ref", "Unnamed: 4"]
    assert frame.report.mapped_columns == {"Organisation": "organization_name",
                                           "Email": "contact_email"}


def test_fuzzy_header_match_is_marked(tmp_path):
    rows = [["Organisaton Name", "Emial Address"], ["Acme", "a@acme.co.za"]]
    (frame,) = _frames(write_xlsx(tmp_path / "a.xlsx", {"S": rows}))
    assert frame.report.mapped_columns["Organisaton Name"].startswith("organization_name (")
    assert "contact_email" in frame.frame


def test_two_phone_columns_are_combined(tmp_path):
    rows = [["Company", "Phone", "Mobile"], ["Acme", "011 555 1234", "082 123 4567"]]
    (frame,) = _frames(write_xlsx(tmp_path / "a.xlsx", {"S": rows}))
    assert frame.frame["contact_phone"].tolist() == ["011 555 1234; 082 123 4567"]


def test_profile_changes_the_mapping(tmp_path):
    rows = [["Operator", "AOC Number", "Accountable Manager"], ["Acme Air", "CAA/123", "J Doe"]]
    path = write_xlsx(tmp_path / "a.xlsx", {"S": rows})
    (aviation,) = _frames(path, AVIATION)
    assert set(aviation.frame.columns) >= {"organization_name", "registration_id", "contact_name"}
    (generic,) = _frames(path, GENERIC)
    assert not isinstance(generic, SourceFrame)  # generic knows none of these headers
    assert generic.status == "failed" and "no recognisable header" in generic.reason


def test_layout_only_and_empty_sheets_are_skipped_with_a_reason(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Data": good_rows(), "Notes": [["Read me first."]],
                                            "Blank": []})
    data, notes, blank = _frames(path)
    assert isinstance(data, SourceFrame)
    assert notes.status == "skipped" and notes.reason.startswith("layout-only")
    assert blank.status == "skipped" and blank.reason == "empty sheet"


def test_contacts_sheet_joins_its_organisation_sheet(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {
        "Organisations": [["Org ID", "Organisation", "Province"], ["1", "Acme", "GP"]],
        "Contacts": [["Org ID", "Contact Person", "Email"], ["1", "Jane Doe", "jane@acme.co.za"],
                     ["7", "Ghost", "ghost@x.co.za"]],
    })
    prepared = prepare_source(path, tmp_path, GENERIC)
    contacts = prepared.frames[1].frame
    assert contacts["organization_name"].tolist() == ["Acme", None]
    assert contacts["province"].tolist() == ["Gauteng", None]
    orphan = [i for i in prepared.issues if i.rule == "join.orphan"]
    assert [(i.sheet, i.row) for i in orphan] == [("Contacts", 3)]


def test_cell_text_handles_spreadsheet_types():
    assert cell_text(27821234567.0) == "27821234567"
    assert cell_text(1.5) == "1.5"
    assert cell_text("\u00a0 x \u00a0") == "x"
    assert cell_text(dt.datetime(2024, 4, 3)) == "2024-04-03"
    assert cell_text("") is None and cell_text(None) is None


def test_discover_filters_and_since(tmp_path):
    old = write_xlsx(tmp_path / "old.xlsx", {"S": good_rows()})
    new = tmp_path / "sub" / "new.csv"
    new.parent.mkdir()
    new.write_text("Company,Email\nAcme,a@acme.co.za\n")
    (tmp_path / "~$lock.xlsx").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    os.utime(old, (dt.datetime(2020, 1, 1).timestamp(),) * 2)
    assert discover_inputs(tmp_path) == [old, new]
    assert discover_inputs(tmp_path, dt.date(2021, 1, 1)) == [new]
    with pytest.raises(InputError, match="--since 2999-01-01"):
        discover_inputs(tmp_path, dt.date(2999, 1, 1))


def test_encrypted_workbook_is_named(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", {"S": good_rows()})
    locked = encrypt_workbook(plain, tmp_path / "locked.xlsx")
    with pytest.raises(InputError, match=r"locked.xlsx: workbook is password-protected"):
        list(read_sheets(locked, "locked.xlsx"))


def test_oversized_cell_is_refused_with_row_and_column(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("Company,Notes\nAcme," + "x" * 40_000 + "\n")
    with pytest.raises(InputError, match=r"big.csv, row 2"):
        list(read_sheets(path, "big.csv"))
