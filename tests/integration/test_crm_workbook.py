"""A hand-written CRM export (not the generator's): twelve sheets as a HubSpot-style
export comes out, built cell by cell with openpyxl, refined end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from tests.workbooks import refine_cli

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

COMPANIES = [  # record id, name, domain, phone, city, province, industry, stage
    (5501, "Lanseria Flight Centre (Pty) Ltd", "lanseriaflight.co.za", "011 659 1234",
     "Lanseria", "Gauteng", "Flight School", "customer"),
    (5502, "Blue Crane Aviation CC", "bluecrane.aero", "+27 21 934 5566", "Cape Town",
     "Western Cape", "Charter", "lead"),
    (5503, "Umhlanga Rotor Works", "rotorworks.co.za", "031 561 7788", "Umhlanga",
     "KwaZulu-Natal", "Helicopter Operator", "opportunity"),
    (5504, "Highveld Aero Maintenance (Pty) Ltd", "hvaero.co.za", "0126543210", "Pretoria",
     "GP", "Maintenance Organisation", "customer"),
    (5505, "Karoo Skies Gliding Club", "karooskies.org.za", "023 414 2020", "Worcester",
     "W Cape", "Aerial Work", "subscriber"),
    (5506, "Bushveld Air Safaris", "bushveldair.co.za", "015 793 1001", "Hoedspruit",
     "Limpopo", "Charter", "customer"),
]
CONTACTS = [  # record id, first, last, email, phone, title, company id
    (9101, "Thandi", "Mokoena", "thandi@lanseriaflight.co.za", "082 555 0101", "Head of Training",
     5501),
    (9102, "Pieter", "Botha", "pieter.botha@lanseriaflight.co.za", "", "Accountable Manager",
     5501),
    (9103, "Fatima", "Essop", "fatima@bluecrane.aero", "071 555 0303", "Director", 5502),
    (9104, "Sipho", "Ndlovu", "ops@rotorworks.co.za", "", "Chief Pilot", 5503),
    (9105, "Annelie", "Venter", "annelie@hvaero.co.za", "083 555 0505", "Quality Manager", 5504),
    (9106, "Riaan", "Smit", "riaan.smit@gmail.com", "", "Chairman", 5505),
    (9107, "Zanele", "Dube", "zanele@bushveldair.co.za", "", "Owner", 5506),
    (9108, "Jacques", "le Roux", "jacques@bushveldair.co.za", "", "Chief Pilot", 5506),
]


def _sheet(book: Workbook, title: str, rows: list[list[object]]):
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
    return sheet


def build_crm_export(path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Export summary", [["CRM export — all objects"],
                                    ["Exported by ops@ourcrm.example on 2024-07-01 09:12"]])
    _sheet(book, "Companies", [
        ["Record ID", "Company name", "Company Domain Name", "Phone Number", "City",
         "State/Region", "Industry", "Lifecycle Stage", "Create Date", "Company owner"],
        *[[i, n, d, p, c, s, ind, st, dt.datetime(2023, 3, i % 28 + 1), "Kyle Adams"]
          for i, n, d, p, c, s, ind, st in COMPANIES]])
    _sheet(book, "Contacts", [
        ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title",
         "Associated Company ID", "Marketing contact status"],
        *[[i, f, last, e, p or None, t, c, "Non-marketing"]
          for i, f, last, e, p, t, c in CONTACTS]])
    _sheet(book, "Deals", [
        ["Deal ID", "Deal Name", "Amount", "Deal Stage", "Close Date", "Associated Company ID"],
        [77001, "Hangar lease renewal", 125000, "closedwon", dt.datetime(2024, 2, 1), 5501],
        [77002, "Fleet insurance 2024", 48000, "contractsent", dt.datetime(2024, 5, 9), 5504],
        [77003, "ATPL ground school block", 310000, "appointmentscheduled",
         dt.datetime(2024, 8, 30), 5501]])
    _sheet(book, "Notes", [
        ["Associated Company ID", "Note body", "Created at"],
        [5502, "Asked for a quote on two Cessna 172 hours blocks", dt.datetime(2024, 4, 2)],
        [5506, "Wants to list game flights on the site", dt.datetime(2024, 6, 12)]])
    _sheet(book, "Addresses", [
        ["Company ID", "Street", "Suburb", "Province", "Postal code"],
        [5503, "12 Flight Path Rd", "Umhlanga Ridge", "KZN", "4319"],
        [5505, "Gliding Rd", "Worcester", "Western Cape", "6850"]])
    _sheet(book, "Owners", [
        ["Owner ID", "First name", "Last name", "Email", "Team"],
        [11, "Kyle", "Adams", "kyle@ourcrm.example", "Sales"],
        [12, "Candice", "Jacobs", "candice@ourcrm.example", "Support"]])
    _sheet(book, "Pipelines", [["Pipeline", "Stage", "Win probability"],
                               ["Sales", "appointmentscheduled", 0.2],
                               ["Sales", "closedwon", 1.0]])
    _sheet(book, "Lookups", [["Industry"], ["Flight School"], ["Charter"]])
    _sheet(book, "Empty", [])
    _sheet(book, "Pivot", [["Companies by province"], [], ["Province", "Count"],
                           ["Gauteng", 2], ["Western Cape", 2]])
    _sheet(book, "Scratch", [  # pasted from an e-mail, no header
        ["Skyhawk Aero Club", "info@skyhawk.co.za", "082 000 1111"],
        ["Falcon Wings (Pty) Ltd", "hello@falconwings.co.za", "083 000 2222"]])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def crm_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("crm")
    (base / "in").mkdir()
    build_crm_export(base / "in" / "crm_full_export.xlsx")
    out = base / "out" / "refined.xlsx"
    result = refine_cli(base / "in", out, "--profile", "aviation")
    assert result.returncode == 0, result.stderr
    report = json.loads((out.parent / "quality-report.json").read_text())
    return report, pd.read_parquet(out.with_suffix(".parquet"))


def test_every_one_of_the_twelve_sheets_is_accounted_for(crm_run):
    report, _ = crm_run
    status = {s["sheet"]: (s["status"], s["reason"]) for s in report["sources"]}
    assert len(status) == 12
    assert status["Scratch"][0] == "failed"
    assert status["Scratch"][1].startswith("no recognisable header")
    assert {k for k, (v, _) in status.items() if v == "skipped"} == {
        "Export summary", "Lookups", "Empty"}


def test_companies_are_named_and_contacts_attached_by_id(crm_run):
    report, refined = crm_run
    named = refined.dropna(subset=["organization_name"]).set_index("organization_name")
    assert len(named) == len(COMPANIES)
    for company_id, first, last, *_rest, company in [(c[0], c[1], c[2], c[6]) for c in
                                                     CONTACTS]:
        name = next(n for i, n, *_ in COMPANIES if i == company)
        row = named.loc[name]
        people = f"{row['contact_name']}; {row['secondary_contact_names'] or ''}"
        assert f"{first} {last}" in people, (company_id, people)
    link = next(x for x in report["links"] if x["child_sheet"] == "Contacts")
    # generic.yaml declares Companies -> Contacts on record_id; the contacts' own "Record ID"
    # holds contact ids, so the declared join takes the id column that matches
    assert link["how"] == "declared" and link["by"] == "Associated Company ID = record_id"
    assert link["share_matched"] == 1.0
    inferred = {x["child_sheet"] for x in report["links"] if x["how"] == "inferred"}
    assert inferred == {"Deals", "Notes", "Addresses"}
    crane = named.loc["Blue Crane Aviation CC"]
    assert crane["notes"] == "Asked for a quote on two Cessna 172 hours blocks"


def test_headers_map_by_words_and_values(crm_run):
    report, _ = crm_run
    companies = next(s for s in report["sources"] if s["sheet"] == "Companies")
    fields = {c["header"]: c["field"] for c in companies["columns"]}
    assert fields["Company Domain Name"] == "website"
    assert fields["State/Region"] == "province"
    assert fields["Phone Number"] == "contact_phone"
    assert fields["Company owner"] is None  # the sales user (forbidden in generic.yaml)


def test_rows_naming_no_organisation_are_errors_not_silent(crm_run):
    report, refined = crm_run
    assert refined["organization_name"].notna().all()  # reported, never emitted nameless
    errors = [i for i in report["sample_issues"] if i["rule"] == "required.missing"]
    assert errors and all("left out of the outputs" in i["message"] for i in errors)
    assert {i["sheet"] for i in errors} <= {"Owners", "Pipelines", "Pivot", "Deals"}
    assert all(i["severity"] == "error" and i["row"] for i in errors)
