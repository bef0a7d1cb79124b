"""The quality report: what came in, what came out, how complete it is, what is wrong.

Contract: ``build_quality_report`` returns a JSON-able dict (plain str/int/float/list/dict)
that holds no wall-clock timestamp, so the same run gives the same report apart from
``stage_seconds``. Every issue value and message in it passes through ``mask_text`` so
the report can be shared without leaking contact details. ``quality_summary_frame``
flattens it for the workbook, ``render_markdown`` for people, and
``write_quality_report`` writes ``quality-report.json`` and ``quality-report.md``
atomically.

Pitfalls: a fill rate counts a cell as filled when it is not null and not blank text.
Every text from inputs (headers, file and sheet names, reasons) goes into the Markdown
through ``md_text``, so a header such as ``<img onerror=...>`` renders as text.
Phone masking finds runs of 8+ digits (with spaces, dots, dashes, brackets), so long
numeric ids are masked too; date-shaped runs (2024-03-04, 04/03/2024) are left alone.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from hotpass.fileio import AtomicBatch
from hotpass.profiles import Profile
from hotpass.refine.model import Issue, SheetReport

SEVERITIES = ("error", "warning", "info")
SAMPLE_ISSUES = 50
REPORT_JSON = "quality-report.json"
REPORT_MD = "quality-report.md"

# Linear on any input: an e-mail match may only start where a local-part run starts and
# every run is possessive, so a 32,767-character cell is scanned once, not once per start.
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]++(?:\.[\w-]++)+")
_PHONE_RUN = re.compile(r"\+?\d[\d\s().-]*+")  # never fails once started: no backtracking
_TRAILING = re.compile(r"[^\d]+$")
_DATE_SHAPED = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_MIN_PHONE_DIGITS = 8
_BAR_WIDTH = 10
_MD_SPECIAL = re.compile(r"([\\`\[\]|])")


def mask_email(email: str) -> str:
    """``jane.doe@acme.co.za`` -> ``j***@acme.co.za``; no ``@`` -> ``***``."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """``+27821234567`` -> ``+27*******67``: keep ``+``, two leading and two last digits."""
    digits = re.sub(r"\D", "", phone)
    plus = "+" if phone.strip().startswith("+") else ""
    if len(digits) <= 4:
        return plus + "*" * len(digits)
    return f"{plus}{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


def mask_text(text: str) -> str:
    """Mask every email address and phone-like digit run inside free text."""
    masked = _EMAIL.sub(lambda match: mask_email(match.group()), text)
    return _PHONE_RUN.sub(_mask_phone_match, masked)


def _mask_phone_match(match: re.Match[str]) -> str:
    whole = match.group()
    run = _TRAILING.sub("", whole)  # the run ends at its last digit
    tail = whole[len(run):]
    if (len(run) < 8 or _DATE_SHAPED.fullmatch(run)
            or sum(c.isdigit() for c in run) < _MIN_PHONE_DIGITS):
        return whole
    return mask_phone(run) + tail


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


def render_markdown(report: dict[str, Any]) -> str:
    """A human-readable report: totals, sources, fill rates, issues, skipped sheets."""
    totals = report["totals"]
    lines = [
        f"# Hotpass quality report — profile {md_code(report['profile'])}",
        "",
        f"*{md_text(report.get('profile_description', ''))}*",
        "",
        f"Hotpass {report['version']}.",
        "",
        "## Totals",
        "",
        *_table(["Metric", "Value"], [
            *[[key.replace("_", " "), value] for key, value in totals.items() if key != "issues"],
            *[[f"{severity} issues", count] for severity, count in totals["issues"].items()],
        ]),
        "",
        "## Sources",
        "",
        *_table(
            ["File", "Sheet", "Status", "Header row", "Rows in", "Rows out", "Template rows",
             "Mapped", "Unmapped"],
            [
                [s["file"], s["sheet"], s["status"], s["header_row"] or "", s["rows_in"],
                 s["rows_out"], s.get("template_rows", 0), ", ".join(f"{k} → {v}" for k, v in s["mapped_columns"].items()),
                 ", ".join(s["unmapped_columns"])]
                for s in report["sources"]
            ],
        ),
        "",
        *_mapping_evidence(report),
        "## Fill rates",
        "",
        *_table(["Column", "Filled"], [
            [md_code(column), _bar(rate)] for column, rate in report["fill_rates"].items()
        ]),
        "",
        "## Issues by rule",
        "",
    ]
    if report["issues_by_rule"]:
        lines += _table(["Rule", "Severity", "Count"], [
            [md_code(rule), entry["severity"], entry["count"]]
            for rule, entry in report["issues_by_rule"].items()
        ])
    else:
        lines.append("No issues.")
    lines += _near_threshold(report.get("dedupe"))
    skipped = [s for s in report["sources"] if s["status"] != "used"]
    lines += ["", "## Skipped sheets", ""]
    if skipped:
        lines += [f"- {md_text(s['file'])} / {md_text(s['sheet'])} ({s['status']}): "
                  f"{md_text(s['reason'] or 'no reason given')}" for s in skipped]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _mapping_evidence(report: dict[str, Any]) -> list[str]:
    """Per column: the field chosen and why (header score, value score, sample share)."""
    lines = ["## Column mapping evidence", "",
             "Header score: how well the header names the field (1 = a profile synonym). "
             "Value score: how well a sample of the cells fits it. Share: sampled cells that "
             "clearly fit.", ""]
    rows = []
    for source in report["sources"]:
        for column in source.get("columns", []):
            value = column["value_score"]
            rows.append([source["file"], source["sheet"], column["column"], column["header"],
                         column["field"] or "—", column["decision"],
                         f"{column['header_score']:.2f} {column['header_method']}".strip(),
                         "—" if value is None else f"{value:.2f}",
                         f"{column['sample_share']:.0%} of {column['sample_size']}"])
    lines += _table(["File", "Sheet", "Col", "Header", "Field", "Decision", "Header score",
                     "Value score", "Share"], rows) if rows else ["No columns typed."]
    links = report.get("links", [])
    lines += ["", "## Linked sheets", ""]
    if links:
        lines += _table(["Child", "Parent", "By", "How", "Status", "Score", "Matched",
                         "Unmatched rows or why rejected"], [
            [f"{link['child_file']} / {link['child_sheet']}",
             f"{link['parent_file']} / {link['parent_sheet']}", link["by"], link["how"],
             link.get("status", "accepted"), f"{link.get('score', 1.0):.2f}",
             f"{link['share_matched']:.0%}",
             link.get("reason") or ", ".join(str(r) for r in link["unmatched_rows"]) or "none"]
            for link in links])
    else:
        lines.append("None.")
    return [*lines, ""]


def _near_threshold(dedupe: dict[str, Any] | None) -> list[str]:
    """Merges with the least margin, and the best pairs left apart, for a person to check."""
    if not dedupe:
        return []
    lines = ["", "## Merges nearest the threshold", "",
             f"Match probability threshold {dedupe['threshold_probability']}; "
             f"{dedupe['links_accepted']} links merged rows. Check these first:", ""]
    for title, side in (("Merged", "merged"), ("Not merged (just below)", "not_merged")):
        pairs = dedupe["near_threshold"].get(side, [])
        lines += [f"**{title}**", ""]
        if not pairs:
            lines += ["None.", ""]
            continue
        lines += _table(["Probability", "Names", "Evidence", "Rows"], [
            [f"{p['probability']:.4f}", " / ".join(p.get("names", [])),
             ", ".join(f"{f} {lvl}" for f, lvl in p["levels"].items()), " / ".join(p["rows"])]
            for p in pairs]) + [""]
    return lines + _review_decisions(dedupe.get("review_decisions") or [])


def _review_decisions(decisions: list[dict[str, Any]]) -> list[str]:
    """The reviewers' decisions this run honoured (or could not), from the review file."""
    if not decisions:
        return []
    return ["## Review decisions", "", *_table(
        ["Rows", "Decision", "Reviewer", "Decided at", "Status", "Effect"],
        [[f"{d['left']} / {d['right']}", d["decision"], d["reviewer"], d["decided_at"],
          d["status"], d["effect"]] for d in decisions]), ""]


def _bar(rate: float) -> str:
    filled = round(rate * _BAR_WIDTH)
    return f"{'█' * filled}{'░' * (_BAR_WIDTH - filled)} {rate:.0%}"


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = [_table_row(headers), "|" + "|".join("---" for _ in headers) + "|"]
    return lines + [_table_row(row) for row in rows]


def _table_row(cells: list[Any]) -> str:
    return "| " + " | ".join(cell if isinstance(cell, _Markdown) else md_text(cell)
                             for cell in cells) + " |"


class _Markdown(str):
    """Text already made safe for Markdown (``md_code``), kept as is in a table."""


def md_code(value: Any) -> _Markdown:
    """``value`` as a code span that no backtick, pipe or newline in it can break out of
    (HTML inside a code span is shown, never rendered)."""
    text = str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return _Markdown(f"{fence}{pad}{text}{pad}{fence}")


def md_text(value: Any) -> str:
    """``value`` as literal Markdown text: HTML (``<img onerror=...>``), links, code spans
    and table pipes from input cells or headers render as the characters they are."""
    text = html.escape(str(value), quote=False).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


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
