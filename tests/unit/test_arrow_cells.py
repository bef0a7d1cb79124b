"""Arrow cells: the column-wide guard, CSV and workbook cells equal the per-value path's."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from python_calamine import CalamineWorkbook

from hotpass.refine.output.arrow_cells import (
    arrow_table,
    cut_table,
    guard_array,
    guard_table,
    write_csv_table,
)
from hotpass.refine.output.export import neutralise_formulas, write_csv, write_xlsx
from hotpass.refine.output.xlsx_cells import guard, write_xlsx_cells

# Values where RE2 and Python's re read the guard's patterns differently, and usual ones.
TRICKY = ["+27821234567", "+27 82 555 1234", "-1-1", "+27-82-555", "=SUM(A1)", "@x", "\tq",
          "\rx", "-12.5", "+٣٣", "-1\u00a02", "+1\n", "+1\x0b2", "+1\x1c2", "-1\f2", "", None,
          "Acme = best", "é=1", "+27821234567; +27115551234", "+27821234567; =cmd|' /C calc'!A0"]


def refined_like(rows: int = 300) -> pd.DataFrame:
    """Shaped like refine's output: object text columns with gaps, an int count."""
    rng = random.Random(7)
    alphabet = list("=+-@\t\r\n\x0b\f 0123456789.;,/()aZ\"'") + ["٣", "\u00a0", "é"]
    text = [TRICKY[i] if i < len(TRICKY) else
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
            for i in range(rows)]
    return pd.DataFrame({
        "organization_id": [f"org-{i:04d}" for i in range(rows)],
        "notes": pd.Series(text, dtype=object),
        "empty": pd.Series([None] * rows, dtype=object),
        "long": pd.Series(["x" * 40_000 if i == 3 else "=y" * 20_000 if i == 4 else None
                           for i in range(rows)], dtype=object),
        "source_count": np.arange(rows, dtype="int64"),
    })


def test_the_column_guard_is_the_per_value_guard():
    rng = random.Random(3)
    alphabet = list("=+-@\t\r\n\x0b\x1c\f 0123456789.;,/()a") + ["٣", "\u00a0", "\u2003"]
    values = TRICKY + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
                       for _ in range(20_000)]
    got = guard_array(pa.chunked_array([pa.array(values[:500]), pa.array(values[500:])]))
    assert got.to_pylist() == [None if v is None else guard(v) for v in values]


def test_csv_bytes_equal_the_pandas_writer(tmp_path):
    frame = refined_like()
    assert write_csv_table(guard_table(arrow_table(frame)), tmp_path / "arrow.csv")
    write_csv(neutralise_formulas(frame), tmp_path / "pandas.csv")
    assert (tmp_path / "arrow.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("column", [
    pd.Series([1.5, None, 2.0]),  # pandas prints 1.5 / "" / 2.0, Arrow 1.5 / (nothing) / 2
    pd.Series([1, None, 3], dtype=object),
])
def test_a_number_column_pandas_prints_its_own_way_is_left_to_pandas(tmp_path, column):
    table = guard_table(arrow_table(pd.DataFrame({"n": column, "t": ["a", "b", "c"]})))
    assert not write_csv_table(table, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_workbook_cells_equal_the_xlsxwriter_fallback(tmp_path):
    frame = refined_like()
    frame["floats"] = [0.5 * i if i % 7 else None for i in range(len(frame))]
    fast, fallback = tmp_path / "fast.xlsx", tmp_path / "fallback.xlsx"
    write_xlsx({"S": frame}, fast)
    write_xlsx_cells({"S": frame}, fallback)
    cells = [CalamineWorkbook.from_path(str(p)).get_sheet_by_name("S").to_python()
             for p in (fast, fallback)]
    assert cells[0] == cells[1]
    assert len(cells[0][4][3]) == 32_767 and cells[0][5][3].startswith("'=y")


def test_only_text_and_numbers_take_the_arrow_path():
    assert arrow_table(pd.DataFrame({"a": ["x", None], "n": [1, 2]})) is not None
    assert arrow_table(pd.DataFrame({"a": pd.Series(["x", 1], dtype=object)})) is None
    assert arrow_table(pd.DataFrame({"b": [True, False]})) is None
    assert arrow_table(pd.DataFrame({"t": [pd.Timestamp("2024-01-02")]})) is None


def test_cut_and_infinity():
    table = arrow_table(pd.DataFrame({"a": ["é" * 10, None, "ab"]}))
    assert cut_table(table, 3).column(0).to_pylist() == ["ééé", None, "ab"]
    with pytest.raises(TypeError, match="infinite"):
        guard_table(arrow_table(pd.DataFrame({"f": [1.0, float("inf")]})))


def test_a_sheet_with_columns_and_no_rows(tmp_path):
    frame = pd.DataFrame({"a": pd.Series([], dtype=object), "n": pd.Series([], dtype="int64")})
    write_xlsx({"S": frame}, tmp_path / "out.xlsx")
    sheet = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name("S")
    assert sheet.to_python() == [["a", "n"]]
