"""A workbook read the fast way (``files._columns_in_chunks``: raw text in Arrow, cleaned
there, ``cell_text`` only for cells that are not text) gives exactly the texts that
calamine's ``to_python(skip_empty_area=False)`` and ``cell_text`` give, cell for cell, on
a torture workbook of every cell type from two writers and a hand-written one, and on
every workbook under data/ and tests/; the cleaning in Arrow is ``cell_text``'s over all
of Unicode's whitespace; an oversized cell is refused naming its row and column."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from hotpass.errors import InputError
from hotpass.refine.ingest import files
from hotpass.refine.ingest.cells import WHITESPACE, cell_text, clean_cells, workbook_cells
from hotpass.refine.pipeline import read_columns
from tests.workbooks import crafted_workbook

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["plain", " padded ", "\u00a0nbsp\u00a0", "inner\u00a0nbsp", "\u3000ideographic\u3000",
         "\x1funit separator\x1f", "\x85next line\x85", "\u2028line sep", "", "   ", "\u00a0",
         "Ω Omega", "emoji \U0001f600", "line\nbreak\n", "\ttab", "0821234567", "1e-05",
         "-0", "TRUE", "2023-01-02 00:00:00", "#N/A", "=not a formula", "x" * 32_767]
NUMBERS = [27821234567.0, 1.5, 1e-05, -0.0, 1e22, 0.1 + 0.2, 29.020000000000003, -3,
           123456789012345678, 1e-300, 2.0**53 + 2, 0.000123, 7, 1e16, -1.25e-7]
WHEN = [(dt.date(2023, 1, 2), "yyyy-mm-dd"), (dt.datetime(2024, 4, 3, 9, 30), "yyyy-mm-dd hh:mm"),
        (dt.datetime(2024, 4, 3, 9, 30, 15, 250_000), "yyyy-mm-dd hh:mm:ss.000"),
        (dt.datetime(2024, 4, 3), "yyyy-mm-dd hh:mm"), (dt.time(3, 4, 5), "hh:mm:ss"),
        (dt.time(23, 59, 59, 500_000), "hh:mm:ss.000"), (dt.date(1900, 1, 1), "yyyy-mm-dd"),
        (dt.date(1900, 3, 1), "yyyy-mm-dd"), (dt.datetime(1899, 12, 31, 12), "yyyy-mm-dd hh:mm"),
        (dt.timedelta(days=1, hours=6), "[h]:mm:ss"), (dt.timedelta(hours=30_000), "[h]:mm"),
        (dt.timedelta(minutes=30), "[mm]:ss"), (dt.date(9999, 12, 31), "yyyy-mm-dd")]


def _xlsxwriter_torture(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False,
                                           "strings_to_formulas": False})
    sheet = book.add_worksheet("Types")
    for col, text in enumerate(TEXTS):
        sheet.write_string(0, col, text)
    for col, number in enumerate(NUMBERS):
        sheet.write_number(1, col, number)
    sheet.write_boolean(2, 0, True)
    sheet.write_boolean(2, 1, False)
    for col, (value, shape) in enumerate(WHEN):
        sheet.write_datetime(3, col, value, book.add_format({"num_format": shape}))
    sheet.write_formula(4, 0, "=1/0", None, "#DIV/0!")
    sheet.write_formula(4, 1, "=NA()", None, "#N/A")
    sheet.write_formula(4, 2, '="ab"&"c "', None, "abc ")
    sheet.write_formula(4, 3, "=6*7", None, 42)
    sheet.write_formula(4, 4, "=1=1", None, True)
    sheet.write_formula(4, 5, "=0.1+0.2", None, 0.30000000000000004)
    bold = book.add_format({"bold": True})
    sheet.write_rich_string(5, 0, " rich ", bold, "bold\u00a0", " text ")
    sheet.merge_range(6, 0, 7, 3, " merged title ")
    sheet.write(8, 20, "far right")  # every row as wide: empty cells up to column U
    # a mixed column, as real exports have: text, numbers, dates and blanks in one column
    for row, value in enumerate(["Since", 45000.5, "n/a", dt.date(2022, 5, 6), None, " 7 "], 9):
        if isinstance(value, dt.date):
            sheet.write_datetime(row, 0, value, book.add_format({"num_format": "d mmm yyyy"}))
        elif value is not None:
            sheet.write(row, 0, value)
    offset = book.add_worksheet("Offset")  # nothing in the first rows and columns
    offset.write_row(4, 3, ["Name", 12.5, dt.datetime(2020, 2, 29, 0, 0, 1)],)
    offset.write_row(6, 5, ["  last  "])
    book.add_worksheet("Empty")
    book.add_worksheet("One").write(0, 0, 0.5)
    book.close()
    return path


def _openpyxl_torture(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Openpyxl"
    sheet.append([t for t in TEXTS if t != "x" * 32_767 and "\x1f" not in t])  # openpyxl refuses
    sheet.append(NUMBERS)
    sheet.append([True, False, None, "after a gap"])
    sheet.append([value for value, _ in WHEN])
    sheet.append(["=1+1", "=A1", 3])  # formulas without cached values
    book.save(path)
    return path


def _hand_written_torture(path: Path) -> Path:
    """What other writers put in the XML: inline (rich) strings, cached formula strings,
    error, boolean and ISO date cells, shared strings with runs."""
    cells = ('<row r="2"><c r="B2" t="inlineStr"><is><t xml:space="preserve"> inline </t>'
             '</is></c><c r="C2" t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr>'
             '<t>inline\u00a0</t></r></is></c><c r="D2" t="str"><f>A1</f><v> cached </v></c>'
             '<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F2" t="e"><v>#N/A</v></c>'
             '<c r="G2" t="b"><v>1</v></c><c r="H2" t="b"><v>0</v></c>'
             '<c r="I2" t="s"><v>0</v></c><c r="J2" t="s"><v>1</v></c></row>'
             '<row r="4"><c r="B4" t="d"><v>2023-01-02T10:00:00</v></c>'
             '<c r="C4" t="d"><v>2023-01-02</v></c><c r="D4" t="d"><v>10:20:30</v></c>'
             '<c r="E4" t="n"><v>1e-05</v></c><c r="F4"><v>-0</v></c><c r="G4"><v>12</v></c>'
             '<c r="H4"><v>4.0000000000000001E+22</v></c><c r="I4" t="inlineStr"><is><t/></is>'
             '</c><c r="J4" t="inlineStr"><is><t>_x0009_escaped_x000D_</t></is></c></row>')
    return crafted_workbook(path, cells, shared=["\u2003shared\u2003", "two\u00a0 "])


def _expected(path: Path) -> list[list[list[str | None]]]:
    book = CalamineWorkbook.from_path(str(path))
    return [[[cell_text(v) for v in row]
             for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
            for name in book.sheet_names]


def _handed(path: Path) -> list:
    return pickle.loads(pickle.dumps(read_columns(path, path.name), protocol=5))


@pytest.fixture(scope="module")
def tortures(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("torture")
    return [_xlsxwriter_torture(folder / "xlsxwriter.xlsx"),
            _openpyxl_torture(folder / "openpyxl.xlsx"),
            _hand_written_torture(folder / "hand.xlsx")]


@pytest.mark.parametrize("chunk_rows", [None, 1, 3])
def test_every_cell_type_reads_as_calamine_and_cell_text_give_it(tortures, monkeypatch,
                                                                  chunk_rows):
    if chunk_rows:
        monkeypatch.setattr(files, "CHUNK_ROWS", chunk_rows)
    for path in tortures:
        expected = _expected(path)
        handed = _handed(path)
        assert all(s._cells is not None for s in handed if s.name != "Empty"), path.name
        assert [s.texts for s in handed] == expected, path.name


def test_the_torture_workbooks_hold_what_they_should(tortures):
    """Guards the test itself: the cells that matter are really there, as the types they
    are meant to be (a writer that turned them all into text would prove nothing)."""
    types = {type(v) for path in tortures[:2] for sheet in _raw_values(path) for row in sheet
             for v in row}
    assert {str, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta} <= types
    texts = [row for sheet in _expected(tortures[0]) for row in sheet]
    assert texts[1][:4] == ["27821234567", "1.5", "1e-05", "0"]
    assert texts[3][9:11] == ["1 day, 6:00:00", "1250 days, 0:00:00"]
    assert texts[0][:6] == ["plain", "padded", "nbsp", "inner nbsp", "ideographic",
                            "unit separator"]
    hand = _expected(tortures[2])[0]
    assert hand[1][1:4] == ["inline", "richinline", "cached"] and hand[3][1] == "2023-01-02T10:00:00"


def _raw_values(path: Path) -> list:
    book = CalamineWorkbook.from_path(str(path))
    return [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names]


@pytest.mark.parametrize("path", sorted([*ROOT.glob("data/**/*.xlsx"), *ROOT.glob("tests/**/*.xlsx")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_workbook_in_the_repository_reads_the_same(path):
    assert [s.texts for s in _handed(path)] == _expected(path)


def test_the_whitespace_is_what_str_strip_strips():
    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == WHITESPACE


def test_cleaning_in_arrow_is_cell_text_for_every_character():
    """In batches: a test process that grew by a gigabyte would make the ``ru_maxrss`` of
    every child later tests fork (``test_crafted_inputs``) start that high."""
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 1 << 15):
        characters = map(chr, points[start:start + (1 << 15)])
        values = [v for c in characters for v in (c, f"{c}x{c}", f"x{c}", f"{c}{c}y")]
        values += ["", "  ", "\u00a0\u00a0", "a\u00a0\u3000b", None]
        cleaned = clean_cells(pa.array(values, pa.string())).to_pylist()
        assert cleaned == [cell_text(v) for v in values], start


def test_cells_that_are_not_text_take_cell_text_and_a_lone_surrogate_stays_python():
    rows = [["a", 1.5, dt.date(2024, 1, 2)], [True, None, dt.timedelta(hours=1)]]
    assert workbook_cells(rows).to_pylist() == ["a", "1.5", "2024-01-02", "TRUE", None, "1:00:00"]
    assert workbook_cells([["a", "b\ud800"]]) is None


def test_an_oversized_cell_is_refused_naming_its_row_and_column(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_ROWS", 2)
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>r{r}</t></is></c>'
                    f'<c r="C{r}" t="inlineStr"><is><t>{"é" * (40_000 if r == 5 else 3)}</t>'
                    "</is></c></row>" for r in range(1, 8))
    path = crafted_workbook(tmp_path / "long.xlsx", cells)
    with pytest.raises(InputError, match=r"long.xlsx, sheet Sheet1, row 5: cell C holds "
                                         r"40,000 characters \(limit 32,767\)"):
        read_columns(path, "long.xlsx")
