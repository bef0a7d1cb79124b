"""The writer benchmark's fidelity check: every candidate writes the same cells, and the
check notices a cell that differs (a number written as text, a changed string)."""

from __future__ import annotations

import pandas as pd
import pytest

from hotpass.bench.writers import WRITERS, cells_differ, write_with
from hotpass.refine.output.export import neutralise_formulas


def frame() -> pd.DataFrame:
    return neutralise_formulas(pd.DataFrame({
        "organization_name": ["Naidoo Falcon Logistics", "=HYPERLINK(\"x\")", None],
        "contact_phone": ["+27821234567", "-1-1", "+27 11 555 1234"],
        "source_count": [1, 2, 3],
    }))


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_writes_the_frame_cell_for_cell(writer, tmp_path):
    data = frame()
    path = tmp_path / f"{writer}.xlsx"
    write_with(writer, data, path)
    assert cells_differ(data, path) == 0
    changed = data.copy()
    changed.loc[0, "organization_name"] = "Naidoo Falcon Logistic"
    changed["source_count"] = changed["source_count"].astype(str)  # numbers as text differ
    assert cells_differ(changed, path) == 1 + len(changed)


def test_an_unknown_writer_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown writer 'openpyxl'"):
        write_with("openpyxl", frame(), tmp_path / "x.xlsx")
