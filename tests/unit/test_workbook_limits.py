"""The workbook check counts what the reader would really build, before it builds it:
a cell beyond every ``<row r=>`` tag it can read (the old scan missed rows with as many
digits as the highest tag: a tenfold underestimate), and the text of shared strings
repeated by reference (one long string in very many cells). Sizes are picked from this
machine's budget so each file is over it by several times while the old estimate was
under it. Only the check runs: the reader is never given these files."""

from __future__ import annotations

import pytest

from hotpass.errors import InputError
from hotpass.refine.ingest.cells import column_letter
from hotpass.refine.ingest.limits import BYTES_PER_CELL, check_workbook, memory_budget
from tests.workbooks import crafted_workbook, good_rows, write_xlsx


def _columns_for(rows: int, times_budget: float) -> int:
    return int(memory_budget() * times_budget / (rows * BYTES_PER_CELL)) + 1


@pytest.mark.parametrize("row_tag", ['<row spans="1:2" r="{row}">', "<row>",
                                     "<x:row r='{row}'>"])
def test_a_cell_beyond_every_readable_row_tag_is_seen(tmp_path, row_tag):
    columns = _columns_for(999_999, 3.0)  # 3x over the budget at the true extent ...
    assert 100_000 * columns * BYTES_PER_CELL < memory_budget()  # ... 0.3x at the tags'
    far = f"{column_letter(columns - 1)}999999"
    assert len(far) - 6 >= 2  # a two- or three-letter column
    data = ('<row r="100000"><c r="A100000" t="inlineStr"><is><t>x</t></is></c></row>'
            + row_tag.format(row=999999) + f'<c r="{far}"><v>1</v></c></row>')
    crafted = crafted_workbook(tmp_path / "rows.xlsx", data)
    with pytest.raises(InputError, match=r"rows.xlsx: sheet1.xml spans 999,999 rows"):
        check_workbook(crafted, "rows.xlsx")


def test_one_long_shared_string_in_many_cells_is_refused(tmp_path):
    text = "x" * 32_000
    cells = int(memory_budget() / len(text)) + 1  # each copy costs at least its text twice
    assert cells * BYTES_PER_CELL < memory_budget() / 10  # the rectangle alone passes
    data = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>'
                   for r in range(1, cells + 1))
    crafted = crafted_workbook(tmp_path / "repeats.xlsx", data, shared=[text])
    assert crafted.stat().st_size < 2_000_000
    with pytest.raises(InputError, match=r"repeats.xlsx: sheet1.xml repeats .* GiB of text"):
        check_workbook(crafted, "repeats.xlsx")


def test_real_workbooks_pass(tmp_path):
    write_xlsx(tmp_path / "good.xlsx", {"Clients": good_rows()})
    check_workbook(tmp_path / "good.xlsx", "good.xlsx")
    notes = [["Name", "Notes"]] + [[f"Org {i}", "a long note " * 300] for i in range(2000)]
    write_xlsx(tmp_path / "notes.xlsx", {"Notes": notes})
    check_workbook(tmp_path / "notes.xlsx", "notes.xlsx")  # long texts, each once
    shared = ["Name", "y" * 2000]
    data = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            + "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>1</v></c></row>'
                      for r in range(2, 3000)))
    check_workbook(crafted_workbook(tmp_path / "same.xlsx", data, shared), "same.xlsx")


@pytest.mark.parametrize("far", ['<row r="0000999999"><c><v>1</v></c></row><row r="3"></row>',
                                 '<row r="2"><c r="B0000999999"><v>1</v></c></row>'])
def test_a_row_number_with_leading_zeros_is_read_as_its_number(tmp_path, monkeypatch, far):
    """calamine reads ``r="0000999999"`` as row 999,999 (a row tag, or a cell's own)."""
    from hotpass.refine.ingest import limits

    monkeypatch.setattr(limits, "memory_budget", lambda: 999_999 * 26 * BYTES_PER_CELL // 2)
    data = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' + far
    crafted = crafted_workbook(tmp_path / "zeros.xlsx", data)
    with pytest.raises(InputError, match=r"zeros.xlsx: sheet1.xml spans 999,999 rows x 26"):
        check_workbook(crafted, "zeros.xlsx")


def test_the_exact_figures_decide_where_the_upper_bounds_are_over_the_budget(
        tmp_path, monkeypatch):
    """The check first judges a sheet on upper bounds (52 columns, a string cell per 5
    bytes, inline text); a sheet over them is counted exactly, so the verdict is the one
    the exact figures give on either side of the budget."""
    from hotpass.refine.ingest import limits

    rows = 5000  # numbers in A..C: no string cell, no inline text, one-letter columns
    data = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="C{r}"><v>1</v></c></row>'
                   for r in range(1, rows + 1))
    sheet = crafted_workbook(tmp_path / "numbers.xlsx", data)
    exact = rows * 26 * BYTES_PER_CELL  # what the reader builds: 26 columns of cells
    monkeypatch.setattr(limits, "memory_budget", lambda: int(exact * 1.2))
    check_workbook(sheet, "numbers.xlsx")  # within the budget, though the bounds are not
    monkeypatch.setattr(limits, "memory_budget", lambda: int(exact * 0.9))
    with pytest.raises(InputError, match=r"numbers.xlsx: sheet1.xml spans 5,000 rows x 26"):
        check_workbook(sheet, "numbers.xlsx")


@pytest.mark.parametrize("cells, past", [
    ('<row r="5"><c r="AZ5"><v>1</v></c></row>', False),  # AZ: within the 52-column bound
    ('<row r="5"><c r="BA5"><v>1</v></c></row>', True),  # past AZ
    ("<row r='5'><c r='ABC5'><v>1</v></c></row>", True),  # three letters, single quotes
    ('<row r="5"><c r="A6"><v>1</v></c></row>', True),  # a cell below its row tag
    ('<row r="5"><c r="A0005"><v>1</v></c></row>', False),  # leading zeros: row 5
    ('<row r="5"></row><row r="06"></row>', True),  # a row tag past the highest seen
])
def test_the_one_pass_pre_check_finds_what_the_patterns_find(cells, past):
    from hotpass.refine.ingest.limits import _above, _nothing_past

    data = b'<sheetData><row r="4"><c r="A4"><v>1</v></c></row>' + cells.encode()
    assert _nothing_past(data, _above(5)) is not past
