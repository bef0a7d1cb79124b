"""What refine writes must be true (issue 17): files shaped like the exports that showed
duplicate keys, false joins, lookup sheets as organisations and labels as people."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.workbooks import refine_cli, write_xlsx

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


def write_linked_exports(folder: Path) -> Path:
    """A contacts workbook (companies keyed by C_ID 1..N, people by C_ID), a regulator's
    list numbered by a ``#`` column (plus a row naming no organisation and a sheet of
    findings numbered 1..N) and a reach-out workbook whose contacts repeat the name."""
    folder.mkdir(parents=True, exist_ok=True)
    companies = [
        (1, "Sky Insurance Brokers (Pty) Ltd", "skyinsure.co.za", "Insurer", "Active"),
        (2, "Lanseria Flight Centre", "lanseriaflight.co.za", "Flight School", "Active"),
        (3, "Blue Crane Aviation CC", "bluecrane.aero", "Charter", "Prospect"),
        (4, "Karoo Skies Gliding Club", "karooskies.org.za", "Club", "Inactive"),
        (5, "Highveld Aero Maintenance", "hvaero.co.za", "Maintenance", "Active"),
        (6, "Umhlanga Rotor Works", "rotorworks.co.za", "Helicopter", "Active"),
    ]
    write_xlsx(folder / "contacts_workbook.xlsx", {
        "Company list": [["C_ID", "Company", "Website", "Category", "Status"],
                         *[list(c) for c in companies]],
        "Lists": [["Category", "Priority", "Status"],  # pick lists side by side
              ["Insurer", "High", "Active"], ["Flight School", "Medium", "Prospect"],
              ["Charter", "Low", "Inactive"], ["Club", None, None],
              ["Maintenance", None, None], ["Helicopter", None, None]],
    "People": [["C_ID", "Full name", "Email", "Phone"],
                   [2, "Thandi Mokoena", "thandi@lanseriaflight.co.za", "082 555 0101"],
                   [3, "Fatima Essop", "fatima@bluecrane.aero", "071 555 0303"],
                   [5, "Annelie Venter", "annelie@hvaero.co.za", "083 555 0505"],
                   [6, "Sipho Ndlovu", "ops@rotorworks.co.za", None],
                   [2, "Pieter Botha", "pieter@lanseriaflight.co.za", None],
               [2, "Thandi", "thandi@lanseriaflight.co.za", None],  # the same person again
               [3, "- -", "info@bluecrane.aero", None], [5, "Client", None, "083 555 0606"],
               [6, "TBC", None, None], [6, "Director", "dir@rotorworks.co.za", None]],
    "Bases": [["C_ID", "Base", "Town", "Phone"],  # a branch list: no names of its own
              [2, "Main Base", "Lanseria", "011 659 1000"],
              [2, "Satellite-Station", "Rand Airport", "011 827 2000"],
              [3, "Main Base", "Cape Town", "021 934 3000"],
              [5, "Main Base", "Pretoria", "012 543 4000"],
              [5, "Satellite-Station", "Wonderboom", "012 567 5000"],
              [5, "Satellite-Station", "Grand Central", "011 805 6000"]],
    })
    write_xlsx(folder / "regulator_list.xlsx", {
        "Approved AMOs": [["#", "Organisation", "Approval", "Town"],
                          [1, "Air Maintenance Services (Pty) Ltd", "AMO 1021", "Johannesburg"],
                          [2, "Jet Engine Overhaul CC", "AMO 1190", "Cape Town"],
                          [3, "Propeller Works", "AMO 1203", "Durban"],
                          [4, "Avionics Africa", "AMO 1301", "Pretoria"],
                          [5, "Rotor Care", "AMO 1402", "Durban"],
                          [6, "Wings Overhaul", "AMO 1500", "Kimberley"],
                          [7, None, "AMO 1500-S", "Upington"]],
        "Inspections": [["#", "Finding"], [1, "Hangar floor"], [2, "Tool control"],
                        [3, "Records"], [4, "Tool control"]],
    })
    write_xlsx(folder / "reach_out.xlsx", {
        "Reach-out": [["ID", "Organisation Name", "Website", "Province", "Status"],
                      [101, "Falcon Wings (Pty) Ltd", "falconwings.co.za", "Gauteng", "Prospect"],
                      [102, "Skyhawk Aero Club", "skyhawk.co.za", "Western Cape", "Active"],
                      [103, "Eagle Air Charter", "eagleair.co.za", "KZN", "Active"]],
        "Contacts list": [["ID", "Organisation Name", "Contact", "E-mail"],
                          [101, "Falcon Wings", "Jo Smith", "jo@falconwings.co.za"],
                          [101, "Falcon Wings", "Sam Lee", "sam@falconwings.co.za"],
                          [102, "Skyhawk Aero Club", "Ann Kriel", "ann@skyhawk.co.za"],
                          [103, "Eagle Air Charter", "Ben Dlamini", "ben@gmail.com"]],
    })
    return folder


@pytest.fixture(scope="module")
def linked_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("linked")
    write_linked_exports(base / "in")
    return _run(base)


def _link(report, child_sheet, parent_sheet):
    (link,) = [x for x in report["links"]
               if (x["child_sheet"], x["parent_sheet"]) == (child_sheet, parent_sheet)]
    return link


def test_a_row_counter_joined_to_company_ids_is_rejected_and_reported(linked_run):
    report, refined, _ = linked_run
    link = _link(report, "Approved AMOs", "Company list")
    assert link["status"] == "rejected" and link["share_matched"] > 0.8
    assert link["pairs_compared"] == 6 and link["pairs_agreeing"] == 0 and link["score"] == 0
    assert "disagree" in link["reason"]
    markdown = (linked_run[2].parent / "quality-report.md").read_text()
    shown = next(line for line in markdown.splitlines() if "Approved AMOs" in line
                 and "Company list" in line and "rejected" in line)
    assert "the linked rows disagree" in shown
    amo = refined.set_index("organization_name").loc["Air Maintenance Services (Pty) Ltd"]
    assert pd.isna(amo["website"]) and pd.isna(amo["category"])  # not the insurer's


def test_links_by_id_corroborated_by_the_rows_are_accepted(linked_run):
    report, refined, _ = linked_run
    people = _link(report, "People", "Company list")
    assert people["status"] == "accepted" and people["pairs_agreeing"] == people["pairs_compared"] == 8
    reach = _link(report, "Contacts list", "Reach-out")  # keyed by ID, repeating the name
    assert reach["status"] == "accepted" and reach["by"] == "record_id"
    assert reach["score"] == 1.0 and reach["pairs_compared"] == 4
    named = refined.set_index("organization_name")
    falcon = named.loc[[n for n in named.index if n.startswith("Falcon Wings")][0]]
    assert {falcon["contact_name"], falcon["secondary_contact_names"]} == {"Jo Smith", "Sam Lee"}
    assert named.loc["Lanseria Flight Centre", "category"] == "Flight School"
    assert all({"status", "score", "reason"} <= set(x) for x in report["links"])


def test_a_linked_value_never_overwrites_the_childs_own(linked_run):
    report, _, _ = linked_run
    conflicts = [i for i in report["sample_issues"] if i["rule"] == "join.conflict"]
    assert {(i["sheet"], i["row"], i["field"]) for i in conflicts} == {
        ("Contacts list", 2, "organization_name"), ("Contacts list", 3, "organization_name")}
    assert _link(report, "Contacts list", "Reach-out")["conflicts"] == 2


def test_a_row_without_a_name_of_its_own_is_reported_not_emitted(linked_run):
    report, refined, _ = linked_run
    assert refined["organization_name"].notna().all()
    missing = [(i["file"], i["sheet"], i["row"]) for i in report["sample_issues"]
               if i["rule"] == "required.missing"]
    assert ("regulator_list.xlsx", "Approved AMOs", 8) in missing


def test_a_pick_list_sheet_is_reference_never_organisations(linked_run):
    report, refined, _ = linked_run
    lists = next(s for s in report["sources"] if s["sheet"] == "Lists")
    assert lists["status"] == "reference" and "side by side" in lists["reason"]
    assert report["totals"]["sheets_reference"] == 1
    assert not refined["organization_name"].isin(["Insurer", "Charter", "Club", "High"]).any()
    assert len(refined) == 6 + 6 + 3  # companies, approved AMOs, reach-out organisations


def test_people_are_people_once_each(linked_run):
    report, refined, _ = linked_run
    named = refined.set_index("organization_name")
    people = {n: f"{r['contact_name']}; {r['secondary_contact_names'] or ''}"
              for n, r in named.iterrows()}
    assert "Thandi Mokoena" in people["Lanseria Flight Centre"]
    assert "Thandi;" not in people["Lanseria Flight Centre"].replace("Thandi Mokoena", "")
    everyone = " ".join(people.values())
    for placeholder in ("- -", "Client", "TBC", "Director", "Main Base", "Satellite"):
        assert placeholder not in everyone, placeholder
    assert report["issues_by_rule"]["contact.placeholder"]["count"] == 4
    bases = next(s for s in report["sources"] if s["sheet"] == "Bases")
    base = next(c for c in bases["columns"] if c["header"] == "Base")
    assert base["field"] != "contact_name"  # a label column, not people
    assert _link(report, "Bases", "Company list")["status"] == "accepted"
    assert "+27116591000" in str(named.loc["Lanseria Flight Centre"].to_dict())
