"""The default refine input selection skips `incidents/` folders: inputs copied for an
incident under data/ are never read again by the nightly refine."""

from __future__ import annotations

import pytest

from hotpass.errors import InputError
from hotpass.refine.ingest.files import discover_inputs


def test_incident_copies_are_skipped_but_readable_on_their_own(tmp_path):
    (tmp_path / "crm.csv").write_text("Company,Email\nAcme,info@acme.co.za\n")
    (tmp_path / "region" / "incidents").mkdir(parents=True)
    (tmp_path / "region" / "list.csv").write_text("Company\nBeta\n")
    copy = tmp_path / "incidents" / "INC-1" / "inputs"
    copy.mkdir(parents=True)
    (copy / "crm.csv").write_text("Company,Email\nAcme,info@acme.co.za\n")
    (tmp_path / "region" / "incidents" / "old.csv").write_text("Company\nGamma\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discover_inputs(tmp_path)]
    assert found == ["crm.csv", "region/list.csv"]
    assert discover_inputs(copy) == [copy / "crm.csv"]


def test_a_folder_holding_only_incidents_has_no_inputs(tmp_path):
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "a.csv").write_text("Company\nAcme\n")
    with pytest.raises(InputError, match="no .xlsx, .xlsm, .csv or .parquet files found"):
        discover_inputs(tmp_path)
