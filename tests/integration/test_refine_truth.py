"""What refine writes must be true (issue 17): files shaped like the exports that showed
duplicate keys, false joins, lookup sheets as organisations and labels as people."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.workbooks import refine_cli

pytestmark = pytest.mark.filterwarnings("error")


def _run(tmp_path: Path, *extra: str):
    out = tmp_path / "out" / "refined.xlsx"
    result = refine_cli(tmp_path / "in", out, *extra)
    assert result.returncode == 0, result.stderr
    report = json.loads((out.parent / "quality-report.json").read_text())
    return report, pd.read_parquet(out.with_suffix(".parquet")), out


def test_two_organisations_of_one_name_keep_two_ids_in_every_sheet(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "register.csv").write_text(
        "Company,Website,Phone,Address,Province\n"
        "Acme Ltd,acme-air.co.za,011 555 1234,12 Main Rd Sandton,Gauteng\n"
        "Acme Ltd,acmeplumbing.co.za,021 444 9876,3 Long St Cape Town,Western Cape\n"
        "Beta CC,beta.co.za,031 222 3333,1 Beach Rd Durban,KZN\n")
    _, refined, out = _run(tmp_path)
    assert (refined["organization_name"] == "Acme Ltd").sum() == 2
    assert refined["organization_id"].is_unique
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(out))
    sheets = {name: book.get_sheet_by_name(name).to_python()
              for name in ("Refined Data", "Provenance")}
    ids = {name: [row[rows[0].index("organization_id")] for row in rows[1:]]
           for name, rows in sheets.items()}
    assert ids["Refined Data"] == ids["Provenance"] == list(refined["organization_id"])
    _, again, _ = _run(tmp_path)  # stable across runs of the same inputs
    assert list(again["organization_id"]) == list(refined["organization_id"])
