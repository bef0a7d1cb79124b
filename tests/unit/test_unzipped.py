"""The stored copy a workbook is read from: the same members with the same bytes, none
deflated, read by calamine as the original is, gone after use; anything ``zipfile``
cannot copy whole (a damaged member, repeated names, not a zip) leaves the original to
be read, and reported, as before."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from hotpass.errors import InputError
from hotpass.refine.ingest.files import read_sheets
from hotpass.refine.ingest.unzipped import unzipped
from tests.workbooks import good_rows, write_xlsx

DATA = Path(__file__).resolve().parents[2] / "data"


def _rows(path: Path) -> list:
    book = CalamineWorkbook.from_path(str(path))
    return [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names]


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.xlsx")))
def test_the_copy_holds_the_same_members_stored_and_reads_the_same(name):
    path = DATA / name
    with zipfile.ZipFile(path) as original:
        members = {m.filename: original.read(m) for m in original.infolist()}
        assert any(m.compress_type == zipfile.ZIP_DEFLATED for m in original.infolist())
    with unzipped(path) as copy:
        assert copy != path
        with zipfile.ZipFile(copy) as stored:
            assert {m.filename: stored.read(m) for m in stored.infolist()} == members
            assert {m.compress_type for m in stored.infolist()} == {zipfile.ZIP_STORED}
        assert _rows(copy) == _rows(path)
        fd = int(copy.name)
    with pytest.raises(OSError):
        os.fstat(fd)  # closed: the unnamed file is gone


def _damaged(tmp_path: Path) -> Path:
    """A workbook whose worksheet fails its CRC: a byte of its compressed data flipped."""
    good = write_xlsx(tmp_path / "good.xlsx", {"Data": good_rows()})
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(raw))
    return bad


def _repeated(tmp_path: Path) -> Path:
    good = write_xlsx(tmp_path / "good.xlsx", {"Data": good_rows()})
    twice = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(twice, "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr("xl/styles.xml", b"<styleSheet/>")
    return twice


@pytest.mark.parametrize("make", [_damaged, _repeated,
                                  lambda tmp: (tmp / "text.xlsx").write_bytes(b"PK\x03\x04 no")
                                  or tmp / "text.xlsx"],
                         ids=["damaged member", "repeated names", "not a zip"])
def test_what_cannot_be_copied_whole_is_read_from_the_original(tmp_path, make):
    path = make(tmp_path)
    with unzipped(path) as readable:
        assert readable == path


def test_a_damaged_member_is_still_one_clear_error_naming_the_file(tmp_path):
    with pytest.raises(InputError, match=r"^bad.xlsx"):
        list(read_sheets(_damaged(tmp_path), "bad.xlsx", columnar=True))


def test_no_temporary_folder_reads_the_original(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    path = DATA / "crm_export.xlsx"
    with unzipped(path) as readable:
        assert readable == path
