"""The QA report as one self-contained HTML page: gate table and two inline SVG charts.

Contract: ``render(report, history)`` returns the page: the gate table (id, result,
seconds, message), a horizontal bar chart of fill rates per field (from the ``data``
gate's ``details.fill_rates``; the profile's thresholds are not known here, so bars are
plain shares 0-100 %) and a line chart of the pass rate over the history entries (the
current run appended when the history does not hold it yet). Everything is inline: no
script, no external stylesheet, font or CDN, so the page renders offline and from a file.
``write_html(path, report, history)`` writes it atomically. Charts carry ``id``s
(``fill-rates``, ``pass-rate``) and ``role="img"`` with a text title.

Pitfall: every text from the report is HTML-escaped (messages can hold user values).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 18, 6, 190, 420
TREND_WIDTH, TREND_HEIGHT, PAD = 620, 220, 36
PASS, FAIL, INK, GRID = "#2e7d32", "#c62828", "#1f2933", "#d0d7de"


def _fill_chart(fill_rates: dict[str, float]) -> str:
    if not fill_rates:
        return "<p>No fill rates: the data gate did not run or did not refine.</p>"
    rows = sorted(fill_rates.items())
    height = len(rows) * (BAR_HEIGHT + BAR_GAP) + 30
    width = LABEL_WIDTH + CHART_WIDTH + 60
    parts = [f'<svg id="fill-rates" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             "<title>Fill rate per field</title>"]
    for tick in (0, 25, 50, 75, 100):
        x = LABEL_WIDTH + CHART_WIDTH * tick / 100
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 22}" stroke="{GRID}"/>'
                     f'<text x="{x}" y="{height - 6}" font-size="11" text-anchor="middle" '
                     f'fill="{INK}">{tick}%</text>')
    for index, (name, share) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        share = max(0.0, min(1.0, float(share)))
        colour = PASS if share >= 0.8 else "#f9a825" if share >= 0.5 else FAIL
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 4}" font-size="12" '
            f'text-anchor="end" fill="{INK}">{escape(name)}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{CHART_WIDTH * share:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour}"><title>{escape(name)}: '
            f'{share:.1%}</title></rect>'
            f'<text x="{LABEL_WIDTH + CHART_WIDTH * share + 6:.1f}" y="{y + BAR_HEIGHT - 4}" '
            f'font-size="11" fill="{INK}">{share:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _trend_chart(points: list[dict[str, Any]]) -> str:
    width, height = TREND_WIDTH, TREND_HEIGHT
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    step = inner_w / max(len(points) - 1, 1)
    xy = [(PAD + i * step if len(points) > 1 else PAD + inner_w / 2,
           PAD + inner_h * (1 - float(p["pass_rate"]))) for i, p in enumerate(points)]
    parts = [f'<svg id="pass-rate" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             "<title>Pass rate per QA run</title>"]
    for tick in (0, 50, 100):
        y = PAD + inner_h * (1 - tick / 100)
        parts.append(f'<line x1="{PAD}" y1="{y}" x2="{width - PAD}" y2="{y}" stroke="{GRID}"/>'
                     f'<text x="{PAD - 6}" y="{y + 4}" font-size="11" text-anchor="end" '
                     f'fill="{INK}">{tick}%</text>')
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" '
                     'stroke-width="3"/>')
    for (x, y), point in zip(xy, points, strict=True):
        colour = PASS if point.get("failed") == 0 else FAIL
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"><title>'
                     f'{escape(str(point.get("timestamp")))}: {float(point["pass_rate"]):.0%}'
                     '</title></circle>')
    parts.append(f'<text x="{PAD}" y="{height - 8}" font-size="11" fill="{INK}">'
                 f'{len(points)} run(s), oldest left</text></svg>')
    return "".join(parts)


def render(report: dict[str, Any], history: list[dict[str, Any]]) -> str:
    summary = report["summary"]
    points = list(history)
    if not any(p.get("timestamp") == report["timestamp"] for p in points):
        points.append({"timestamp": report["timestamp"], "failed": summary["failed"],
                       "pass_rate": summary["passed"] / summary["total"]
                       if summary["total"] else 0.0})
    data_gate = next((g for g in report["gates"] if g["id"] == "data"), None)
    fill_rates = (data_gate or {}).get("details", {}).get("fill_rates", {})
    rows = "".join(
        f'<tr class="{"pass" if g["passed"] else "fail"}"><td>{escape(g["id"])}</td>'
        f'<td>{escape(g["name"])}</td><td>{"PASS" if g["passed"] else "FAIL"}</td>'
        f'<td>{g["duration_seconds"]:.1f}</td><td>{escape(g["message"])}</td></tr>'
        for g in report["gates"])
    verdict = "all gates passed" if summary["all_passed"] else \
        f"{summary['failed']} of {summary['total']} gates failed"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Hotpass QA report — {escape(report['profile'])}</title>
<style>
body {{ font-family: system-ui, sans-serif; color: {INK}; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid {GRID}; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
tr.pass td:nth-child(3) {{ color: {PASS}; font-weight: bold; }}
tr.fail td:nth-child(3) {{ color: {FAIL}; font-weight: bold; }}
section {{ margin-top: 2rem; }}
</style></head>
<body>
<h1>Hotpass QA report</h1>
<p>Profile <strong>{escape(report['profile'])}</strong>, {escape(report['timestamp'])}:
<strong>{verdict}</strong> ({summary['passed']}/{summary['total']} passed).</p>
<table><thead><tr><th>gate</th><th>name</th><th>result</th><th>seconds</th><th>message</th>
</tr></thead><tbody>{rows}</tbody></table>
<section><h2>Fill rate per field</h2>{_fill_chart(fill_rates)}</section>
<section><h2>Pass rate over time</h2>{_trend_chart(points)}</section>
</body></html>
"""


def write_html(path: Path, report: dict[str, Any], history: list[dict[str, Any]]) -> Path:
    from hotpass.fileio import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, render(report, history))
