"""The quality report for people: ``render_markdown`` turns the report dict into Markdown.

Contract: ``render_markdown(report)`` gives totals, sources, column mapping evidence,
linked sheets, fill rates, issues by rule, the merges nearest the threshold, review
decisions and skipped sheets, as tables. ``md_code`` and ``md_text`` make any value safe
to put in Markdown.

Pitfalls: every text from inputs (headers, file and sheet names, reasons) goes in
through ``md_text`` (or ``md_code``), so a header such as ``<img onerror=...>`` renders
as text; a cell is escaped once, in ``_table_row``, unless it is already ``_Markdown``.
"""

from __future__ import annotations

import html
import re
from typing import Any

_BAR_WIDTH = 10
_MD_SPECIAL = re.compile(r"([\\`\[\]|])")


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
