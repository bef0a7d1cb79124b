"""Offline enrichment on real shapes: the generator's truth, a regulator's register, towns,
names, contradictions, provenance, surviving sheets and atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.enrich.engine import PROVENANCE_COLUMNS
from hotpass.enrich.run import EnrichOptions, enrich
from hotpass.errors import HotpassError
from hotpass.refine.run import refine_options, run
from hotpass.settings import load
from tests.workbooks import write_xlsx

QUIET = {"echo": lambda line: None}
REFINED_HEADER = ["organization_id", "organization_name", "registration_id", "website",
                  "province", "address", "contact_name", "contact_email",
                  "secondary_contact_emails", "contact_phone"]


def sheets_of(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object)


@pytest.fixture(autouse=True)
def evidence_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTPASS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("HOTPASS_NEXT_STEPS_LOG", str(tmp_path / "Next_Steps_Log.md"))
    for name in ("FEATURE_ENABLE_REMOTE_RESEARCH", "ALLOW_NETWORK_RESEARCH",
                 "HOTPASS_SEARX_URL", "OPENLINEAGE_URL", "HOTPASS_TELEMETRY_ENABLED"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample's generator (same seed and shape as data/), refined."""
    folder = tmp_path_factory.mktemp("sample")
    generated = generate_workbooks(folder / "in", rows=400, seed=7, files=4, exports=True)
    options = refine_options(input_dir=folder / "in", output_path=folder / "out" / "refined.xlsx",
                             settings=load())
    _, result = run(options, load(), telemetry=False)
    return generated, result.outputs["xlsx"]


def test_sample_websites_filled_are_the_generator_truth(sample, tmp_path):
    generated, refined = sample
    entity_of = {(f, s, r): eid for f, s, r, eid in generated.truth}
    before = sheets_of(refined)
    records = before["Refined Data"]
    provenance = before["Provenance"].set_index("organization_id")
    expected = {}
    for record in records.to_dict("records"):
        if isinstance(record["website"], str):
            continue
        rows = json.loads(provenance.loc[record["organization_id"], "source_rows"])
        entities = {entity_of[(f, s, r)] for f, s, r in rows} - {0}
        mail = " ".join(str(record[c]) for c in ("contact_email", "secondary_contact_emails"))
        if len(entities) == 1:
            domain = generated.domains[entities.pop() - 1]
            if f"@{domain}" in mail:
                expected[record["organization_id"]] = f"https://{domain}"
    out = tmp_path / "enriched.xlsx"
    result = enrich(EnrichOptions(refined, out), load(), **QUIET)
    filled = {c.organization_id: c.new_value for c in result.changes
              if c.kind == "filled" and c.field == "website"}
    assert len(expected) > 30  # the sample really has gaps a company mailbox can fill
    assert filled == expected
    after = sheets_of(out)["Refined Data"].set_index("organization_id")
    for org, website in expected.items():
        assert after.loc[org, "website"] == website
        assert after.loc[org, "provenance_source"] == "email-domain"
    assert result.coverage == pytest.approx(len(expected) / len(records), abs=1e-6)


def test_every_row_has_provenance_and_untouched_rows_say_none(sample, tmp_path):
    _, refined = sample
    out = tmp_path / "enriched.xlsx"
    enrich(EnrichOptions(refined, out), load(), **QUIET)
    sheets = sheets_of(out)
    assert list(sheets) == [*sheets_of(refined), "Enrichment"]
    for name, frame in sheets_of(refined).items():  # every input sheet survives as it was
        if name != "Refined Data":
            pd.testing.assert_frame_equal(sheets[name], frame)
    frame = sheets["Refined Data"]
    assert all(column in frame.columns for column in PROVENANCE_COLUMNS)
    confidence = frame["provenance_confidence"].astype(float)
    assert confidence.between(0, 1).all()
    none = frame[frame["provenance_strategy"] == "none"]
    assert len(none) and none["provenance_source"].isna().all()
    assert (none["provenance_confidence"].astype(float) == 0).all()
    enriched = frame[frame["provenance_strategy"] != "none"]
    assert len(enriched) and enriched["provenance_source"].notna().all()
    assert (enriched["provenance_confidence"].astype(float) > 0).all()
    assert frame["provenance_network_status"].str.startswith("disabled").all()
    changes = sheets["Enrichment"]
    assert {"field", "old_value", "new_value", "source", "confidence"} <= set(changes.columns)


def refined_workbook(path: Path, rows: list[list[object]]) -> Path:
    """A refined workbook as refine writes it, plus a Provenance sheet to survive."""
    return write_xlsx(path, {"Refined Data": [REFINED_HEADER, *rows],
                             "Provenance": [["organization_id", "primary_source"],
                                            ["org-1", "crm.xlsx|Accounts|2"]]})


def test_towns_mailboxes_names_and_contradictions(tmp_path):
    refined = refined_workbook(tmp_path / "refined.xlsx", [
        ["org-1", "Vryheid Timber", None, None, None, "12 Voortrekker Street, Vryheid",
         "THANDI NKOSI", "thandi@vryheidtimber.co.za", None, "+27821234567"],
        ["org-2", "Mahikeng Motors", None, "https://mahikengmotors.co.za", None,
         "3 Main Road, Mahikeng", "marius van der merwe", "sales@othercompany.com",
         "m@gmail.com", "+27821234568"],
        ["org-3", "Nowhere Trading", None, None, "Gauteng", "1 Unknown Lane, Atlantis-on-Sea",
         "Jo Smith", "jo.smith@gmail.com", None, "+27821234569"],
    ])
    out = tmp_path / "enriched.xlsx"
    result = enrich(EnrichOptions(refined, out), load(), **QUIET)
    frame = sheets_of(out)["Refined Data"]
    assert frame.loc[0, "website"] == "https://vryheidtimber.co.za"
    assert frame.loc[0, "province"] == "KwaZulu-Natal"
    assert frame.loc[1, "province"] == "North West"
    assert frame.loc[0, "contact_name"] == "Thandi Nkosi"
    assert frame.loc[1, "contact_name"] == "Marius van der Merwe"
    assert (frame.loc[1, "contact_name_first"], frame.loc[1, "contact_name_last"]) == \
        ("Marius", "van der Merwe")
    assert pd.isna(frame.loc[2, "website"])  # free mail says nothing about a website
    assert frame.loc[2, "provenance_strategy"] == "none"
    flagged = [c for c in result.changes if c.kind == "flagged"]
    assert [(c.organization_id, c.new_value) for c in flagged] == \
        [("org-2", "https://othercompany.com")]
    assert frame.loc[1, "website"] == "https://mahikengmotors.co.za"  # reported, not changed


def test_reference_table_fills_by_name_key(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "register.csv").write_text(
        "ENTITY,REG. NO.,PHYSICAL ADDR.\n"
        "ACME FLIGHT (PTY) LTD,2001/123456/07,\"5 Hangar Road, Lanseria\"\n"
        "BLUE SKY CHARTER CC,1999/000001/23,\"1 Apron Way, Durban\"\n"
        "CAPE CONDOR AVIATION,2010/555555/07,\"1 Runway Road, Cape Town\"\n", encoding="utf-8")
    (profiles / "withregister.yaml").write_text(
        "name: withregister\nextends: generic\ndescription: generic plus a register\n"
        "enrichment:\n  reference_tables:\n    - path: register.csv\n      label: CIPC\n"
        "      name_column: ENTITY\n      registration_column: REG. NO.\n"
        "      fields: {registration_id: REG. NO., address: PHYSICAL ADDR.}\n",
        encoding="utf-8")
    refined = refined_workbook(tmp_path / "refined.xlsx", [
        ["org-1", "Acme Flight", None, None, "Gauteng", None, None, None, None, "+2782"],
        ["org-2", "Blue Sky Charter (Pty) Ltd", "1999/999999/23", None, "Gauteng", None,
         None, None, None, "+2783"],
        ["org-3", "Condor Air", "2010/555555/07", None, "Western Cape", "Hangar 9, Fisantekraal",
         None, None, None, "+2784"],
    ])
    out = tmp_path / "enriched.xlsx"
    enrich(EnrichOptions(refined, out, profile="withregister",
                         profile_search_path=(profiles,)), load(), **QUIET)
    frame = sheets_of(out)["Refined Data"]
    assert frame.loc[0, "registration_id"] == "2001/123456/07"
    assert frame.loc[0, "address"] == "5 Hangar Road, Lanseria"
    assert frame.loc[0, "provenance_source"] == "reference:CIPC (by name)"
    assert frame.loc[1, "registration_id"] == "1999/999999/23"  # same name, other id:
    assert pd.isna(frame.loc[1, "address"])  # another organisation, nothing taken
    assert frame.loc[2, "address"] == "Hangar 9, Fisantekraal"  # matched by id, not overwritten
    changes = sheets_of(out)["Enrichment"]
    filled = changes[changes["kind"] == "filled"]
    assert sorted(zip(filled["organization_id"], filled["field"], strict=True)) == \
        [("org-1", "address"), ("org-1", "registration_id")]


def test_bad_input_is_one_error_and_the_old_output_stays(tmp_path):
    corrupt = tmp_path / "refined.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "enriched.xlsx"
    out.write_bytes(b"previous run")
    with pytest.raises(HotpassError, match="refined.xlsx: cannot read the workbook"):
        enrich(EnrichOptions(corrupt, out), load(), **QUIET)
    assert out.read_bytes() == b"previous run"
    assert not (tmp_path / "evidence").exists()


def test_dry_run_writes_nothing(sample, tmp_path):
    _, refined = sample
    result = enrich(EnrichOptions(refined, tmp_path / "enriched.xlsx"), load(), dry_run=True, **QUIET)
    assert result.summary()["fields_filled"] > 0
    assert sorted(tmp_path.iterdir()) == []
