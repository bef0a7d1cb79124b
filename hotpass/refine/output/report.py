"""The quality report: what came in, what came out, how complete it is, what is wrong.

Contract: ``build_quality_report`` returns a JSON-able dict (plain str/int/float/list/dict)
that holds no wall-clock timestamp, so the same run gives the same report apart from
``stage_seconds``. Every issue value and message in it passes through ``mask_text``
(``masking.py``) so the report can be shared without leaking contact details.
``quality_summary_frame`` flattens it for the workbook, ``render_markdown``
(``report_markdown.py``) for people, and ``write_quality_report`` writes
``quality-report.json`` and ``quality-report.md`` atomically.

Pitfalls: a fill rate counts a cell as filled when it is not null and not blank text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from hotpass.fileio import AtomicBatch
from hotpass.profiles.model import Profile
from hotpass.refine.model import Issue, SheetReport
from hotpass.refine.output.masking import mask_text
from hotpass.refine.output.report_markdown import render_markdown

SEVERITIES = ("error", "warning", "info")
SAMPLE_ISSUES = 50
REPORT_JSON = "quality-report.json"
REPORT_MD = "quality-report.md"


def build_quality_report(
    *,
    profile: Profile,
    sheets: list[SheetReport],
    refined: pd.DataFrame,
    issues: list[Issue],
    rows_in: int,
    duplicates_merged: int,
    inputs: list[str],
    stage_seconds: dict[str, float],
    hotpass_version: str,
    dedupe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Summarise one refine run as a JSON-able dict (see the module docstring); ``dedupe``
    (the learned model and the pairs nearest the threshold) goes in with names masked."""
    by_severity = {severity: 0 for severity in SEVERITIES}
    for issue in issues:
        by_severity[issue.severity] = by_severity.get(issue.severity, 0) + 1
    statuses = [sheet.status for sheet in sheets]
    return {
        "profile": profile.name,
        "profile_description": profile.description,
        "version": hotpass_version,
        "inputs": sorted(inputs),
        "totals": {
            "files": len(inputs),
            "sheets_used": statuses.count("used"),
            "sheets_skipped": statuses.count("skipped"),
            "sheets_reference": statuses.count("reference"),
            "sheets_failed": statuses.count("failed"),
            "rows_in": int(rows_in),
            "records_out": len(refined),
            "duplicates_merged": int(duplicates_merged),
            "issues": by_severity,
        },
        "sources": [_source_entry(sheet) for sheet in sheets],
        "links": [dict(link) for sheet in sheets for link in sheet.links],
        "fill_rates": fill_rates(refined),
        "issues_by_rule": _issues_by_rule(issues),
        "sample_issues": [_masked_issue(issue) for issue in issues[:SAMPLE_ISSUES]],
        "stage_seconds": {stage: round(float(s), 3) for stage, s in stage_seconds.items()},
        **({"dedupe": _masked_dedupe(dedupe)} if dedupe else {}),
    }


def _masked_dedupe(dedupe: dict[str, Any]) -> dict[str, Any]:
    near = {side: [_masked_pair(pair) for pair in pairs]
            for side, pairs in dedupe.get("near_threshold", {}).items()}
    return dedupe | {"near_threshold": near}


def _masked_pair(pair: dict[str, Any]) -> dict[str, Any]:
    masked = dict(pair)
    if "names" in pair:
        masked["names"] = [mask_text(str(n)) if n else "" for n in pair["names"]]
    if "records" in pair:
        masked["records"] = [{f: mask_text(v) for f, v in record.items()}
                             for record in pair["records"]]
    return masked


def fill_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of filled cells per column (0..1, 4 places); 0.0 for an empty frame."""
    rates: dict[str, float] = {}
    for name in frame.columns:
        column = frame[name]
        filled = column.notna() & (column.astype("string").str.strip() != "")
        rates[str(name)] = round(float(filled.mean()), 4) if len(column) else 0.0
    return rates


def _source_entry(sheet: SheetReport) -> dict[str, Any]:
    return {
        "file": sheet.file,
        "sheet": sheet.sheet,
        "status": sheet.status,
        "reason": mask_text(sheet.reason),
        "header_row": sheet.header_row,
        "rows_in": int(sheet.rows_in),
        "rows_out": int(sheet.rows_out),
        "mapped_columns": dict(sheet.mapped_columns),
        "unmapped_columns": list(sheet.unmapped_columns),
        "template_rows": int(sheet.template_rows),
        "header_repeats": int(sheet.header_repeats),
        "columns": [dict(column) for column in sheet.columns],
        "links": [dict(link) for link in sheet.links],
    }


def _issues_by_rule(issues: list[Issue]) -> dict[str, dict[str, Any]]:
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    summary: dict[str, dict[str, Any]] = {}
    for issue in issues:
        entry = summary.setdefault(issue.rule, {"severity": issue.severity, "count": 0})
        entry["count"] += 1
        if rank.get(issue.severity, 99) < rank.get(entry["severity"], 99):
            entry["severity"] = issue.severity
    return dict(sorted(summary.items()))


def _masked_issue(issue: Issue) -> dict[str, Any]:
    entry = issue.to_dict()
    entry["message"] = mask_text(issue.message)
    entry["value"] = mask_text(str(issue.value))
    return entry


def quality_summary_frame(report: dict[str, Any]) -> pd.DataFrame:
    """The report as a ``section, metric, value`` table of strings (the workbook sheet)."""
    totals = report["totals"]
    rows: list[tuple[str, str, str]] = [
        ("Run", "profile", report["profile"]),
        ("Run", "hotpass version", report["version"]),
    ]
    rows += [("Totals", key, str(value)) for key, value in totals.items() if key != "issues"]
    rows += [("Issues by severity", key, str(value)) for key, value in totals["issues"].items()]
    rows += [("Fill rate", column, f"{rate:.1%}") for column, rate in report["fill_rates"].items()]
    rows += [
        ("Issues by rule", rule, f"{entry['count']} ({entry['severity']})")
        for rule, entry in report["issues_by_rule"].items()
    ]
    rows += [
        ("Sources", f"{source['file']} / {source['sheet']}", _source_outcome(source))
        for source in report["sources"]
    ]
    return pd.DataFrame(rows, columns=["section", "metric", "value"], dtype=object)


def _source_outcome(source: dict[str, Any]) -> str:
    if source["status"] != "used":
        return f"{source['status']}: {source['reason']}".rstrip(": ")
    dropped = source.get("template_rows", 0)
    template = f", {dropped} template rows dropped" if dropped else ""
    repeats = source.get("header_repeats", 0)
    template += f", {repeats} repeated header rows dropped" if repeats else ""
    return f"used: {source['rows_in']} rows in, {source['rows_out']} rows out{template}"



def write_quality_report(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write ``quality-report.json`` (sorted keys, indent 2) and ``.md`` as one batch."""
    paths = {"report_json": Path(out_dir) / REPORT_JSON, "report_md": Path(out_dir) / REPORT_MD}
    document = json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    with AtomicBatch() as batch:
        batch.path_for(paths["report_json"]).write_text(document, "utf-8", newline="\n")
        batch.path_for(paths["report_md"]).write_text(
            render_markdown(report), "utf-8", newline="\n"
        )
    return paths
