"""Column typing, header detection, template rows and people, on real files and cells."""

from __future__ import annotations

import time

import pytest

from hotpass.errors import ProfileError
from hotpass.profiles import load_profile
from hotpass.refine.ingest.cells import RawSheet
from hotpass.refine.ingest.column_types import SAMPLE_CELLS, ColumnTyper, column_samples
from hotpass.refine.ingest.header_words import HeaderScorer
from hotpass.refine.ingest.headers import find_header
from hotpass.refine.ingest.mapping import frame_from_sheet
from hotpass.refine.ingest.people import parse_people
from hotpass.refine.model import EXTRA_NAMES, SourceFrame
from hotpass.refine.output.masking import mask_text

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

GENERIC = load_profile("generic")
TYPER = ColumnTyper(GENERIC)


def _map(rows, profile=GENERIC, typer=None):
    sheet = RawSheet("S", [list(r) for r in rows])
    return frame_from_sheet(sheet, "f.xlsx", profile, typer or ColumnTyper(profile))


def _fields(outcome) -> dict[str, str | None]:
    return {c["header"]: c["field"] for c in outcome.report.columns}


@pytest.mark.parametrize(("header", "field"), [
    ("E-mail (primary contact)", "contact_email"),
    ("Office tel.", "contact_phone"),
    ("Web page", "website"),
    ("Mob", "contact_phone"),
    ("Co. Reg No", "registration_id"),
    ("Acc. No.", "record_id"),
    ("Account #", "record_id"),
    ("Organisaton Name", "organization_name"),  # a typo
])
def test_header_evidence_reads_abbreviations_words_and_typos(header, field):
    scores = HeaderScorer(GENERIC).scores(header)
    best = max(scores, key=lambda f: scores[f][0])
    assert best == field and scores[best][0] >= 0.6, scores


def test_placeholder_headers_score_nothing():
    assert HeaderScorer(GENERIC).scores("Unnamed: 3") == {}


def test_values_type_a_column_whatever_its_header_says():
    rows = [["Company", "Info", "Notes"]] + [
        [f"Firm {i} (Pty) Ltd", f"person{i}@firm{i}.co.za" if i % 20 else "see web", "x"]
        for i in range(40)]
    outcome = _map(rows)
    info = next(c for c in outcome.report.columns if c["header"] == "Info")
    assert info["field"] == "contact_email" and info["decision"] == "values"
    assert info["sample_share"] == pytest.approx(0.95) and info["header_score"] == 0
    assert outcome.report.mapped_columns["Info"].startswith("contact_email (by values 95%")


def test_ids_and_free_text_need_a_header():
    rows = [["Company", "Email", "Col X", "Col Y"]] + [
        [f"Firm {i} Holdings", f"a@f{i}.co.za", f"IR-{i:05d}", f"remark {i}"] for i in range(30)]
    assert _fields(_map(rows)) == {"Company": "organization_name", "Email": "contact_email",
                                   "Col X": None, "Col Y": None}


def test_single_valued_field_takes_one_column_multi_valued_several():
    rows = [["Company Name", "Trading name", "Phone", "Cell", "Email", "Alt e-mail"],
            ["Acme Holdings", "Acme", "011 555 1234", "082 123 4567", "a@acme.co.za",
             "b@acme.co.za"]] * 6
    outcome = _map(rows)
    fields = _fields(outcome)
    assert list(fields.values()).count("organization_name") == 1
    assert [f for f in fields.values() if f == "contact_phone"] == ["contact_phone"] * 2
    assert list(fields.values()).count("contact_email") == 2
    loser = next(c for c in outcome.report.columns if c["field"] is None)
    assert "fits better elsewhere" in loser["decision"]
    assert outcome.frame["contact_phone"][0] == "011 555 1234; 082 123 4567"


def test_profile_pins_and_forbids_mappings(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "name: mine\nextends: generic\ndescription: test\n"
        "mapping:\n  pin:\n    - {header: '(?i)acct owner', field: contact_name}\n"
        "    - {header: 'Info', field: ignore}\n"
        "  forbid:\n    - {header: '(?i)company', field: organization_name}\n")
    mine = load_profile("mine", [tmp_path])
    rows = [["Company", "Acct Owner", "Info", "Entity"]] + [
        [f"Firm {i} Ltd", "Zed", f"a{i}@f{i}.co.za", f"Firm {i} Ltd"] for i in range(10)]
    fields = _fields(_map(rows, mine))
    assert fields == {"Company": None, "Acct Owner": "contact_name", "Info": None,
                      "Entity": "organization_name"}


def test_profile_rules_and_inheritance_are_checked(tmp_path):
    aviation = load_profile("aviation")
    generic_words = set(GENERIC.fields["organization_name"].synonyms)
    assert generic_words < set(aviation.fields["organization_name"].synonyms)
    assert aviation.fields["organization_name"].label == "Operator"
    (tmp_path / "a.yaml").write_text("name: a\nextends: b\ndescription: x\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a\ndescription: x\n")
    with pytest.raises(ProfileError, match="extends: 'a'.*circular"):
        load_profile("a", [tmp_path])
    (tmp_path / "c.yaml").write_text(
        "name: c\nextends: generic\ndescription: x\n"
        "mapping:\n  pin:\n    - {header: x, field: nope}\n")
    with pytest.raises(ProfileError, match=r"mapping.pin.0.field: 'nope'"):
        load_profile("c", [tmp_path])


def test_header_with_one_known_name_is_found_below_a_title():
    rows = [["Reach-out tracker"], [], ["Entity", "Contact", "Web"]] + [
        [f"Firm {i} (Pty) Ltd", f"Jo Smith{chr(97 + i)}", f"www.firm{i}.co.za"]
        for i in range(12)]
    rows[2] = ["Entity", "Who", "Where online"]
    outcome = _map(rows)
    assert isinstance(outcome, SourceFrame) and outcome.report.header_row == 3
    assert _fields(outcome) == {"Entity": "organization_name", "Who": "contact_name",
                                "Where online": "website"}


def test_headerless_sheet_is_refused_with_the_reason():
    rows = [[f"Firm {i} (Pty) Ltd", f"info@firm{i}.co.za", "082 123 4567"] for i in range(12)]
    outcome = _map(rows)
    assert not isinstance(outcome, SourceFrame) and outcome.status == "failed"
    assert outcome.reason.startswith("no recognisable header in the first 30 rows")


def test_template_rows_are_dropped_and_counted():
    rows = [["Account #", "Company name", "Phone"],
            ["ACC-1", "Acme Ltd", "011 555 1234"], ["ACC-2", "Bolt CC", None]]
    rows += [[f"ACC-{n}", None, None] for n in range(3, 53)] + [["ACC-53", "Late Ltd", None]]
    outcome = _map(rows)
    assert outcome.report.template_rows == 50
    assert outcome.frame["organization_name"].tolist() == ["Acme Ltd", "Bolt CC", "Late Ltd"]
    assert outcome.frame["__source_row"].tolist() == [2, 3, 54]


def test_first_and_last_name_columns_compose_the_contact():
    rows = [["Company", "First name", "Surname", "Email"],
            ["Acme Ltd", "Jo", "Smith", "jo@acme.co.za"], ["Bolt CC", None, "Lee", None]]
    outcome = _map(rows)
    assert outcome.frame["contact_name"].tolist() == ["Jo Smith", "Lee"]


@pytest.mark.parametrize(("cell", "expected"), [
    ("Jo Smith (Director); Sam Lee (Chief Instructor)",
     [("Jo Smith", "Director"), ("Sam Lee", "Chief Instructor")]),
    ("Jo Smith — Director\nSam Lee - Owner", [("Jo Smith", "Director"), ("Sam Lee", "Owner")]),
    ("Jo Smith, Managing Director", [("Jo Smith", "Managing Director")]),
    ("Smith, Jo", [("Smith, Jo", "")]),
    ("Jo Smith, Sam Lee", [("Jo Smith", ""), ("Sam Lee", "")]),
])
def test_people_cells_split_into_names_and_roles(cell, expected):
    assert [(p.name, p.role) for p in parse_people(cell)] == expected


def test_primary_contact_is_the_first_with_an_email_or_phone():
    rows = [["Company", "Key people", "Email"],
            ["Acme Ltd", "Jo Smith (Director); Sam Lee (CFO) sam@acme.co.za", None],
            ["Bolt CC", "Ann Dube (Owner); Ben Moyo (Clerk)", "ben.moyo@bolt.co.za"],
            ["Cape CC", "Ann Dube (Owner); Ben Moyo (Clerk)", None]]
    frame = _map(rows).frame
    assert frame["contact_name"].tolist() == ["Sam Lee", "Ben Moyo", "Ann Dube"]
    assert frame["contact_role"].tolist() == ["CFO", "Clerk", "Owner"]
    assert frame["contact_email"].tolist() == ["sam@acme.co.za", "ben.moyo@bolt.co.za", None]
    assert frame[EXTRA_NAMES].tolist() == ["Jo Smith (Director)", "Ann Dube (Owner)",
                                           "Ben Moyo (Clerk)"]


def test_typing_samples_a_bounded_number_of_rows():
    body = [[f"user{i}@x{i}.co.za", None] for i in range(300_000)]
    body[1][1] = "only cell"
    samples = column_samples(body, 2)
    assert len(samples[0]) == SAMPLE_CELLS and samples[1] == []  # row 1 is not sampled
    start = time.perf_counter()
    TYPER.assign(["Info", "Other"], body)
    assert time.perf_counter() - start < 2.0


def test_one_long_cell_masks_in_milliseconds():
    cells = ["a" * 32_767, "1 " * 16_383, "x@" * 16_383, "(1" * 16_383, "a." * 16_383 + "@"]
    start = time.perf_counter()
    for cell in cells:
        mask_text(cell)
    assert time.perf_counter() - start < 0.5  # was seconds per cell (backtracking)
    assert mask_text("call 082 123 4567 or jo@acme.co.za on 2024-03-04, id 12345.") == (
        "call 08******67 or j***@acme.co.za on 2024-03-04, id 12345.")


def test_find_header_prefers_the_row_with_header_hits():
    texts = [["Company", "Email"], ["Airline", "ops@air.co.za"], ["Acme Air Ltd", "a@acme.co.za"]]
    choice = find_header(texts, TYPER, 30)
    assert not isinstance(choice, str) and choice.index == 0
