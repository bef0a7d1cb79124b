"""Charts as inline SVG text, drawn here: no script, no font or CDN request, so a page
shows them from ``file://``, S3 or nginx alike.

Contract: every function returns one ``<svg>`` element (class ``chart``) with a
``<title>`` saying what it shows, or an empty string when there is nothing to draw.
``sparkline(values)``: a trend line, the last point marked. ``bars(items, scale)``:
horizontal bars with labels (``scale=1`` for shares 0..1, else the largest value).
``heatmap(rows, columns, cells)``: gates x runs, cell colour by status.
``lineage(columns, edges)``: boxes in columns (inputs -> job -> outputs, and further jobs
by depth) joined by arrows.

Pitfalls: every label goes through ``escape``; numbers are rounded so the same facts give
byte-identical SVG (pages are compared across builds).
"""

from __future__ import annotations

from html import escape

STATUS_COLOURS = {"pass": "#2e7d32", "passed": "#2e7d32", "ok": "#2e7d32",
                  "warn": "#f9a825", "warning": "#f9a825", "fail": "#c62828",
                  "failed": "#c62828", "error": "#c62828", "skip": "#9e9e9e",
                  "skipped": "#9e9e9e"}
INK, MUTED, FILL = "#1f3b57", "#8a99a8", "#3f7cac"


def _svg(width: float, height: float, title: str, body: list[str], extra: str = "") -> str:
    return (f'<svg class="chart{extra}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{width:g}" height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
            f'role="img"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def sparkline(values: list[float], *, width: int = 120, height: int = 28,
              title: str = "trend") -> str:
    points = [float(v) for v in values if v is not None]
    if not points:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = (width - 6) / max(len(points) - 1, 1)
    xy = [(3 + i * step, height - 4 - (v - low) / span * (height - 8))
          for i, v in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    last_x, last_y = xy[-1]
    return _svg(width, height, f"{title}: {points[0]:g} to {points[-1]:g}", [
        f'<rect width="{width}" height="{height}" fill="#f4f7fa"/>',
        f'<polyline points="{line}" fill="none" stroke="{FILL}" stroke-width="1.6"/>',
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.6" fill="{INK}"/>'],
        " sparkline")


def bars(items: list[tuple[str, float]], *, scale: float | None = None, width: int = 520,
         title: str = "bars", unit: str = "") -> str:
    if not items:
        return ""
    top = scale or max((v for _, v in items), default=1) or 1
    row, label_w = 20, 190
    body = []
    for i, (label, value) in enumerate(items):
        y = i * row
        w = max(0.0, min(1.0, value / top)) * (width - label_w - 70)
        shown = f"{value:.0%}" if scale == 1 else f"{value:g}{unit}"
        body += [f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12" '
                 f'fill="{INK}">{escape(label[:28])}</text>',
                 f'<rect x="{label_w}" y="{y + 4}" width="{width - label_w - 70}" '
                 f'height="12" fill="#e8edf2"/>',
                 f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="12" '
                 f'fill="{FILL}"/>',
                 f'<text x="{width - 64}" y="{y + 14}" font-size="12" fill="{INK}">'
                 f'{escape(shown)}</text>']
    return _svg(width, row * len(items) + 4, title, body)


def heatmap(rows: list[str], columns: list[str], cells: dict[tuple[str, str], str], *,
            title: str = "gates by run") -> str:
    if not rows or not columns:
        return ""
    cell, label_w, head = 22, 170, 90
    width, height = label_w + cell * len(columns) + 4, head + cell * len(rows) + 4
    body = []
    for j, column in enumerate(columns):
        x = label_w + j * cell + cell / 2
        body.append(f'<text transform="translate({x:.0f},{head - 6}) rotate(-60)" '
                    f'font-size="10" fill="{INK}">{escape(column[-16:])}</text>')
    for i, row_name in enumerate(rows):
        y = head + i * cell
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" '
                    f'font-size="12" fill="{INK}">{escape(row_name[:24])}</text>')
        for j, column in enumerate(columns):
            status = cells.get((row_name, column), "")
            colour = STATUS_COLOURS.get(status.lower(), "#eceff1")
            body.append(f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 2}" '
                        f'height="{cell - 2}" fill="{colour}"><title>{escape(row_name)} '
                        f'{escape(column)}: {escape(status or "no result")}</title></rect>')
    return _svg(width, height, title, body)


def lineage(columns: list[list[dict]], edges: list[tuple[str, str]], *,
            title: str = "lineage") -> str:
    """``columns``: lists of nodes ``{"id", "label", "kind": "dataset"|"job"}``."""
    if not any(columns):
        return ""
    box_w, box_h, gap_x, gap_y = 210, 30, 70, 12
    where: dict[str, tuple[float, float]] = {}
    body = ['<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" '
            'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z" '
            f'fill="{MUTED}"/></marker></defs>']
    tallest = max(len(c) for c in columns)
    height = tallest * (box_h + gap_y) + gap_y
    for i, nodes in enumerate(columns):
        x = 8 + i * (box_w + gap_x)
        top = (height - len(nodes) * (box_h + gap_y)) / 2 + gap_y / 2
        for k, node in enumerate(nodes):
            y = top + k * (box_h + gap_y)
            where[node["id"]] = (x, y)
            job = node.get("kind") == "job"
            body.append(f'<rect x="{x}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="'
                        f'{4 if job else 12}" fill="{INK if job else "#e8f0f7"}" '
                        f'stroke="{INK}"/><text x="{x + box_w / 2}" y="{y + 19:.1f}" '
                        f'text-anchor="middle" font-size="11" fill="'
                        f'{"#fff" if job else INK}">{escape(node["label"][-32:])}</text>')
    for source, target in edges:
        if source in where and target in where:
            (x1, y1), (x2, y2) = where[source], where[target]
            body.append(f'<line x1="{x1 + box_w}" y1="{y1 + box_h / 2:.1f}" x2="{x2 - 2}" '
                        f'y2="{y2 + box_h / 2:.1f}" stroke="{MUTED}" stroke-width="1.3" '
                        f'marker-end="url(#arrow)"/>')
    width = 16 + len(columns) * box_w + (len(columns) - 1) * gap_x
    return _svg(width, height, title, body)
