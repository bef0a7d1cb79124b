"""Normalisers: each messy form real exports contain, one assertion per form."""

from __future__ import annotations

import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.refine.model import EXTRA_EMAILS, EXTRA_PHONES, SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.normalise import (
    clean_date,
    clean_emails,
    clean_phones,
    clean_region,
    clean_website,
    normalise_frame,
    tidy_name,
)

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user


@pytest.mark.parametrize(("raw", "expected"), [
    ("  INFO@Acme.co.za\u00a0", ["info@acme.co.za"]),
    ("info@acme.co.za; sales@acme.co.za", ["info@acme.co.za", "sales@acme.co.za"]),
    ("a@x.co.za, b@x.co.za / a@x.co.za", ["a@x.co.za", "b@x.co.za"]),
    ("mailto:ops@x.com", ["ops@x.com"]),
    ("n/a", []),
])
def test_emails_are_trimmed_lowered_split_and_deduplicated(raw, expected):
    assert clean_emails(raw)[0] == expected


def test_url_and_junk_in_email_cell_become_problems():
    kept, problems = clean_emails("www.acme.co.za; jane@acme.co.za; call reception")
    assert kept == ["jane@acme.co.za"]
    assert ("email.url", "www.acme.co.za") in problems
    assert ("email.invalid", "call") in problems


@pytest.mark.parametrize(("raw", "expected"), [
    ("27821234567", ["+27821234567"]),          # float cell read back without the +
    ("27821234567.0", ["+27821234567"]),
    ("082\u00a0123\u00a04567", ["+27821234567"]),
    ("+27 (0)82 123 4567", ["+27821234567"]),
    ("082 123 4567 / 011 555 1234", ["+27821234567", "+27115551234"]),
    ("021 555 0000; 021 555 0000", ["+27215550000"]),
])
def test_phones_become_e164(raw, expected):
    assert clean_phones(raw, "ZA")[0] == expected


def test_invalid_phone_is_a_problem_not_a_value():
    kept, problems = clean_phones("12", "ZA")
    assert kept == [] and problems == [("phone.invalid", "12")]


@pytest.mark.parametrize(("raw", "expected"), [
    ("www.Acme.co.za", "https://acme.co.za"),
    ("http://BlueSky.co.za/", "https://bluesky.co.za"),
    ("https://x.co.za/contact?a=1", "https://x.co.za"),
])
def test_websites_become_https_host(raw, expected):
    assert clean_website(raw)[0] == [expected]


def test_not_a_website():
    assert clean_website("not a site")[1][0][0] == "website.invalid"


def test_names_are_tidied_and_cased():
    assert tidy_name("  ACME   FLIGHT (PTY) LTD ")[0] == ["Acme Flight (Pty) Ltd"]
    assert tidy_name("jane van der merwe")[0] == ["Jane van der Merwe"]
    assert tidy_name("McGregor Aviation")[0] == ["McGregor Aviation"]  # mixed case kept


def test_regions_use_profile_aliases():
    profile = load_profile("generic")
    allowed = profile.fields["province"].allowed_values
    assert clean_region("KZN", profile.region_aliases, allowed)[0] == ["KwaZulu-Natal"]
    assert clean_region("gauteng", profile.region_aliases, allowed)[0] == ["Gauteng"]
    kept, problems = clean_region("Atlantis", profile.region_aliases, allowed)
    assert kept == ["Atlantis"] and problems[0][0] == "region.unknown"


@pytest.mark.parametrize(("raw", "day_first", "expected"), [
    ("45123", True, "2023-07-16"),               # Excel serial
    ("2024-04-03T00:00:00", True, "2024-04-03"),
    ("03/04/2024", True, "2024-04-03"),
    ("03/04/2024", False, "2024-03-04"),
    ("5 Jan 2024", True, "2024-01-05"),
])
def test_dates_become_iso(raw, day_first, expected):
    assert clean_date(raw, day_first)[0] == [expected]


def test_bad_date_is_a_problem():
    assert clean_date("sometime soon", True)[1] == [("date.invalid", "sometime soon")]


def test_normalise_frame_splits_contacts_and_names_rows_in_issues():
    profile = load_profile("generic")
    frame = pd.DataFrame({
        "organization_name": ["ACME LTD", "Beta"],
        "contact_email": ["a@acme.co.za; b@acme.co.za", "www.beta.co.za"],
        "contact_phone": ["0821234567 / 0115551234", "not a phone"],
        SOURCE_FILE: ["f.xlsx", "f.xlsx"], SOURCE_SHEET: ["S", "S"], SOURCE_ROW: [4, 5],
    }, dtype=object)
    out, issues = normalise_frame(frame, profile)
    assert out["contact_email"].tolist() == ["a@acme.co.za", None]
    assert out[EXTRA_EMAILS].tolist() == ["b@acme.co.za", None]
    assert out[EXTRA_PHONES].tolist() == ["+27115551234", None]
    assert {(i.rule, i.row, i.sheet) for i in issues} == {
        ("email.url", 5, "S"), ("phone.invalid", 5, "S")}


def test_remembered_dates_and_names_follow_the_locale_and_each_chunk_rows():
    """Dates and contact names are remembered across a worker's chunks: a later chunk gets
    its own rows in the issues, and a month-first profile its own dates."""
    day_first = load_profile("generic")
    month_first = day_first.model_copy(
        update={"locale": day_first.locale.model_copy(update={"day_first": False})})

    def chunk(first_row: int) -> pd.DataFrame:
        return pd.DataFrame({
            "last_interaction_date": ["05/01/2024", "sometime soon"],
            "contact_name": ["TBC", "JANE DOE"],
            SOURCE_FILE: ["f.xlsx"] * 2, SOURCE_SHEET: ["S"] * 2,
            SOURCE_ROW: [first_row, first_row + 1]}, dtype=object)

    first, first_issues = normalise_frame(chunk(4), day_first)
    later, later_issues = normalise_frame(chunk(9), day_first)
    other, _ = normalise_frame(chunk(4), month_first)
    assert first["last_interaction_date"].tolist() == ["2024-01-05", None]
    assert later["last_interaction_date"].tolist() == ["2024-01-05", None]
    assert other["last_interaction_date"].tolist() == ["2024-05-01", None]
    assert later["contact_name"].tolist() == [None, "Jane Doe"]
    assert {(i.rule, i.row) for i in first_issues} == {
        ("date.invalid", 5), ("contact.placeholder", 4)}
    assert {(i.rule, i.row) for i in later_issues} == {
        ("date.invalid", 10), ("contact.placeholder", 9)}
