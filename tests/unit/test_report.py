"""Quality report: masking, the JSON-able summary, its table, markdown and files."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.refine.model import Issue, SheetReport
from hotpass.refine.output.masking import mask_email, mask_phone, mask_text
from hotpass.refine.output.report import (
    build_quality_report,
    quality_summary_frame,
    write_quality_report,
)
from hotpass.refine.output.report_markdown import render_markdown


@pytest.mark.parametrize(
    ("email", "masked"),
    [("jane.doe@acme.co.za", "j***@acme.co.za"), ("x@y.org", "x***@y.org"), ("nope", "***")],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+27821234567", "+27*******67"), ("082 123 4567", "08******67"), ("123", "***")],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_text_masks_emails_and_phones_but_not_dates_or_short_numbers():
    text = "call +27 82 123 4567 or mail jane.doe@acme.co.za by 2024-03-04 (row 12, ref 55/2019)"
    assert mask_text(text) == (
        "call +27*******67 or mail j***@acme.co.za by 2024-03-04 (row 12, ref 55/2019)"
    )


def build(issues=None, stage_seconds=None):
    sheets = [
        SheetReport("crm.xlsx", "Orgs", "used", header_row=3, rows_in=4, rows_out=4,
                    mapped_columns={"Company": "organization_name", "E-mail": "contact_email"},
                    unmapped_columns=["Misc | extra"]),
        SheetReport("crm.xlsx", "Notes", "skipped", reason="no header found in 30 rows"),
        SheetReport("old.xls", "Sheet1", "failed", reason="password protected"),
    ]
    refined = pd.DataFrame(
        {
            "organization_name": ["Acme", "Beta", "Gamma", "Delta"],
            "contact_email": ["a@acme.co.za", None, "  ", "d@delta.com"],
            "source_count": [2, 1, 1, 1],
        }
    )
    if issues is None:
        issues = [
            Issue("warning", "email.invalid", "not an email: jane@@acme", "crm.xlsx", "Orgs",
                  5, "contact_email", "jane.doe@acme.co.za"),
            Issue("warning", "phone.invalid", "bad phone +27821234567", "crm.xlsx", "Orgs", 6,
                  "contact_phone", "+27821234567"),
            Issue("info", "column.unmapped", "column 'Misc' not mapped", "crm.xlsx", "Orgs"),
            Issue("error", "required.missing", "no organisation name", "crm.xlsx", "Orgs", 9),
        ]
    return build_quality_report(
        profile=load_profile("generic"),
        sheets=sheets,
        refined=refined,
        issues=issues,
        rows_in=5,
        duplicates_merged=1,
        inputs=["old.xls", "crm.xlsx"],
        stage_seconds=stage_seconds or {"ingest": 0.12345, "export": 1.0},
        hotpass_version="0.1.0",
    )


def test_report_totals_sources_and_fill_rates():
    report = build()
    assert report["profile"] == "generic"
    assert report["version"] == "0.1.0"
    assert report["totals"] == {
        "files": 2, "sheets_used": 1, "sheets_skipped": 1, "sheets_reference": 0,
        "sheets_failed": 1, "rows_in": 5,
        "records_out": 4, "duplicates_merged": 1,
        "issues": {"error": 1, "warning": 2, "info": 1},
    }
    assert report["sources"][0]["mapped_columns"]["Company"] == "organization_name"
    assert report["sources"][1]["reason"] == "no header found in 30 rows"
    assert report["fill_rates"] == {
        "organization_name": 1.0, "contact_email": 0.5, "source_count": 1.0,
    }
    assert report["stage_seconds"] == {"ingest": 0.123, "export": 1.0}


def test_report_groups_issues_by_rule_and_masks_samples():
    report = build()
    assert report["issues_by_rule"] == {
        "column.unmapped": {"severity": "info", "count": 1},
        "email.invalid": {"severity": "warning", "count": 1},
        "phone.invalid": {"severity": "warning", "count": 1},
        "required.missing": {"severity": "error", "count": 1},
    }
    first, second = report["sample_issues"][:2]
    assert first["value"] == "j***@acme.co.za"
    assert second["value"] == "+27*******67"
    assert second["message"] == "bad phone +27*******67"
    assert second["row"] == 6 and second["field"] == "contact_phone"
    text = json.dumps(report)
    assert "jane.doe" not in text and "1234567" not in text


def test_report_is_json_able_without_timestamps_and_samples_at_most_50():
    issues = [Issue("warning", "phone.invalid", f"bad {i}", "f.csv", "", i) for i in range(80)]
    report = build(issues=issues)
    assert len(report["sample_issues"]) == 50
    assert report["issues_by_rule"]["phone.invalid"]["count"] == 80
    text = json.dumps(report)
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)
    assert json.loads(text) == report


def test_quality_summary_frame_is_a_table_of_strings():
    frame = quality_summary_frame(build())
    assert list(frame.columns) == ["section", "metric", "value"]
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    rows = {(s, m): v for s, m, v in frame.itertuples(index=False)}
    assert rows[("Fill rate", "contact_email")] == "50.0%"
    assert rows[("Totals", "records_out")] == "4"
    assert rows[("Issues by rule", "required.missing")] == "1 (error)"
    assert rows[("Sources", "crm.xlsx / Notes")] == "skipped: no header found in 30 rows"
    assert rows[("Sources", "crm.xlsx / Orgs")] == "used: 4 rows in, 4 rows out"


def test_markdown_has_every_section_bars_and_escaped_cells():
    markdown = render_markdown(build())
    assert markdown.startswith("# Hotpass quality report — profile `generic`\n")
    for heading in ("## Totals", "## Sources", "## Fill rates", "## Issues by rule",
                    "## Skipped sheets"):
        assert f"\n{heading}\n" in markdown
    assert "| `contact_email` | █████░░░░░ 50% |" in markdown
    assert "| `organization_name` | ██████████ 100% |" in markdown
    assert "| `required.missing` | error | 1 |" in markdown
    assert "Misc \\| extra" in markdown
    assert "Company → organization_name" in markdown
    assert "- old.xls / Sheet1 (failed): password protected" in markdown


def test_markdown_without_issues_or_skips_says_so():
    report = build(issues=[])
    report["sources"] = [s for s in report["sources"] if s["status"] == "used"]
    markdown = render_markdown(report)
    assert "## Issues by rule\n\nNo issues." in markdown
    assert "## Skipped sheets\n\nNone." in markdown


def test_write_quality_report_writes_sorted_json_and_markdown(tmp_path):
    report = build()
    paths = write_quality_report(report, tmp_path / "reports")
    assert paths == {
        "report_json": tmp_path / "reports" / "quality-report.json",
        "report_md": tmp_path / "reports" / "quality-report.md",
    }
    text = paths["report_json"].read_text(encoding="utf-8")
    assert json.loads(text) == report
    assert text == json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert paths["report_md"].read_text(encoding="utf-8") == render_markdown(report)
    assert sorted(p.name for p in paths["report_md"].parent.iterdir()) == [
        "quality-report.json", "quality-report.md",
    ]
