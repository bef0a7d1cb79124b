"""Reference sheets: pick lists and code tables (categories, priorities, statuses side by
side) are vocabulary, not organisations.

Contract: ``reference_reason(header, body, others)`` says why a mapped sheet is a reference
sheet, or returns None. ``header``/``body`` are the sheet's text cells from its header row
on; ``others`` the other sheets' frames of the same file (their values, for reuse). A
reference sheet is small (at most ``MAX_ROWS`` rows), holds short labels only (no e-mail,
phone or web address, at most ``MAX_WORDS`` words), has two or more columns each of which
is a list of distinct values, and either its lists are of different lengths (independent
lists side by side) or most of its columns' values are used in other sheets' columns.

Pitfalls: a small organisation list has repeated values in some column (two "Active"
statuses) or is not ragged and not reused, so it stays data; a one-column list is already
skipped as layout-only by mapping.
"""

from __future__ import annotations

import re

MAX_ROWS = 60
MAX_WORDS = 5
MAX_CHARS = 40
REUSED_SHARE = 0.8
_CONTACT_LIKE = re.compile(r"@|https?://|www\.|\.(com|co\.za|org|net)\b|\d{6,}", re.I)


def reference_reason(header: list[str | None], body: list[list[str | None]],
                     others: list) -> str | None:
    rows = [row for row in body if any(v is not None for v in row)]
    if not rows or len(rows) > MAX_ROWS:
        return None
    width = max(len(header), *(len(r) for r in rows))
    lists = []
    for c in range(width):
        cells = [r[c] if c < len(r) else None for r in rows]
        values = [v for v in cells if v is not None]
        if values:
            filled = [i for i, v in enumerate(cells) if v is not None]
            lists.append((header[c] if c < len(header) and header[c] else f"column {c + 1}",
                          values, filled))
    if len(lists) < 2:
        return None
    for _, values, _ in lists:
        if len({v.casefold() for v in values}) < len(values):
            return None  # a repeated value: a column of records, not a list
        if any(_CONTACT_LIKE.search(v) or len(v) > MAX_CHARS or len(v.split()) > MAX_WORDS
               for v in values):
            return None
    names = ", ".join(name for name, _, _ in lists)
    lengths = {len(values) for _, values, _ in lists}
    contiguous = all(filled == list(range(len(filled))) for _, _, filled in lists)
    if contiguous and len(lengths) > 1:
        return f"reference sheet: independent lists side by side ({names})"
    reused = sum(_reused_share(values, others) >= REUSED_SHARE for _, values, _ in lists)
    if reused * 3 >= len(lists) * 2:
        return f"reference sheet: lists whose values other sheets' columns use ({names})"
    return None


def _reused_share(values: list[str], others: list) -> float:
    wanted = {v.casefold() for v in values}
    seen: set[str] = set()
    for frame in others:
        for column in frame.columns:
            if column.startswith("__"):
                continue
            found = frame[column].dropna().astype(str).str.casefold()
            seen |= wanted & set(found[found.isin(wanted)])
    return len(seen) / len(wanted)
