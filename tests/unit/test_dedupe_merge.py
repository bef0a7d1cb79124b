"""De-duplication keys, fuzzy blocking, merge policy and provenance."""

from __future__ import annotations

import json

import pandas as pd

from hotpass.profiles import load_profile
from hotpass.refine.merge import merge_clusters
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.dedupe import cluster_rows, name_key
from hotpass.refine.validate import validate_records

PROFILE = load_profile("generic")


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame


def _row(name, file="a.xlsx", row=2, **fields):
    return {"organization_name": name, SOURCE_FILE: file, SOURCE_SHEET: "S", SOURCE_ROW: row,
            **fields}


def test_name_key_strips_legal_suffixes_case_and_punctuation():
    suffixes = PROFILE.dedupe.legal_suffixes
    assert name_key("ACME Flight (Pty) Ltd", suffixes) == "acme flight"
    assert name_key("Acme Flight Pty. Ltd.", suffixes) == "acme flight"
    assert name_key("Smith & Sons CC", suffixes) == "smith and sons"
    assert name_key("The Ltd", suffixes) == "the"  # never strips a name to nothing


def test_exact_and_fuzzy_keys_cluster_the_same_organisation():
    frame = _frame([
        _row("Acme Flight (Pty) Ltd", row=2),
        _row("ACME FLIGHT", file="b.xlsx", row=3),           # suffix + case
        _row("Acme Fligth", file="c.csv", row=4),            # typo -> fuzzy
        _row("Zulu Air", row=5, website="https://zulu.co.za"),
        _row("Zulu Aviation Services", file="b.xlsx", row=6, website="https://zulu.co.za"),
        _row("Hangar 3 Aero Club", row=7),
        _row("Hangar 8 Aero Club", row=8),                   # digits differ: distinct
        _row("Page One", row=9, website="https://facebook.com"),
        _row("Other Org", row=10, website="https://facebook.com"),  # shared domain: no key
    ])
    labels = cluster_rows(frame, PROFILE)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert labels[5] != labels[6]
    assert labels[7] != labels[8]
    assert len(set(labels.tolist())) == 6


def test_registration_id_links_differently_named_rows():
    frame = _frame([_row("Alpha Holdings", registration_id="2001/123456/07"),
                    _row("Alfa Group", file="b.xlsx", registration_id="2001/123456/07")])
    labels = cluster_rows(frame, PROFILE)
    assert labels[0] == labels[1]


def test_merge_uses_source_priority_then_completeness_and_keeps_provenance():
    frame = _frame([
        _row("Acme Flight", file="notes.xlsx", row=2, status="Inactive",
             contact_email="old@acme.co.za", contact_name="Old Contact"),
        _row("Acme Flight (Pty) Ltd", file="crm-export.xlsx", row=9, status="Active",
             contact_email="jane@acme.co.za", contact_name="Jane Doe",
             contact_phone="+27821234567"),
        _row("Beta Air", file="notes.xlsx", row=3),
    ])
    labels = cluster_rows(frame, PROFILE)
    merged = merge_clusters(frame, labels, PROFILE)
    refined = merged.refined.set_index("organization_name")
    acme = refined.loc["Acme Flight (Pty) Ltd"]  # crm-export matches "*crm*": it wins
    assert acme["status"] == "Active"
    assert acme["contact_name"] == "Jane Doe" and acme["contact_email"] == "jane@acme.co.za"
    assert acme["secondary_contact_emails"] == "old@acme.co.za"
    assert acme["secondary_contact_names"] == "Old Contact"
    assert acme["source_count"] == 2
    record = acme["organization_id"]
    assert merged.source_of(record, "status") == ("crm-export.xlsx", "S", 9)
    assert merged.conflicts[(record, "status")] == ["Active", "Inactive"]
    provenance = merged.provenance.set_index("organization_id").loc[record]
    assert sorted(map(tuple, json.loads(provenance["source_rows"]))) == [
        ("crm-export.xlsx", "S", 9), ("notes.xlsx", "S", 2)]
    assert provenance["primary_source"] == "crm-export.xlsx|S|9"
    # field_sources lists only fields taken from another row than the primary one
    assert provenance["field_sources"] is None


def test_merge_is_deterministic_and_ids_are_stable():
    rows = [_row(f"Org {chr(65 + i)}", row=i + 2) for i in range(6)]
    first = merge_clusters(_frame(rows), cluster_rows(_frame(rows), PROFILE), PROFILE)
    reordered = _frame(list(reversed(rows)))
    second = merge_clusters(reordered, cluster_rows(reordered, PROFILE), PROFILE)
    pd.testing.assert_frame_equal(first.refined, second.refined)


def test_validation_names_the_source_row_and_uses_profile_severity():
    frame = _frame([_row(None, row=7, contact_email="x@y.co.za"),
                    _row("Gamma", row=8, status="Dormant")])
    merged = merge_clusters(frame, cluster_rows(frame, PROFILE), PROFILE)
    issues = validate_records(merged, PROFILE)
    missing = [i for i in issues if i.rule == "required.missing"]
    assert [(i.severity, i.file, i.sheet, i.row) for i in missing] == [("error", "a.xlsx", "S", 7)]
    allowed = [i for i in issues if i.rule == "allowed.value"]
    assert allowed[0].row == 8 and allowed[0].value == "Dormant"
