"""Header detection: which row of a sheet is its header, judged by the same header and
value evidence that types the columns.

Contract: ``find_header(texts, typer, scan)`` returns a ``HeaderChoice`` (0-based row
index and the column ``Typing`` under that header) or a one-line reason the sheet has no
header. A row is a candidate when it holds at least two text cells that are not data
(not numbers, e-mails, phones, web addresses or dates) and at least one of them names a
profile field on its own (header score >= ``HEADER_HIT``); the candidate whose columns
below type best (sum of totals, plus half a point per header hit, less a point per cell
that looks like data) wins, earliest on ties.
So a header with one known name ("Org ID", "Entity", "Web page") is found when the
columns below it are clearly typed, and a sheet whose first rows are data is refused.

Pitfalls: title rows (one merged cell), blank rows and "Exported on ..." lines come
first in real files; a data row can hold a synonym by accident ("Airline" as a category)
but then has few header hits and its own value row is missing from the sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotpass.refine.ingest.column_types import HEADER_HIT, ColumnTyper, Typing

_NUMBER = re.compile(r"^[\d.,\s/:+-]+$")
TYPING_ROWS = 400  # rows below a candidate sampled to judge it (the final typing reads more)
LOOK_PAST = 3  # rows after the best candidate still tried (a sub-header, a units row)


@dataclass
class HeaderChoice:
    index: int
    typing: Typing


def find_header(texts: list[list[str | None]], typer: ColumnTyper,
                scan: int) -> HeaderChoice | str:
    best: HeaderChoice | None = None
    best_score = 0.0
    named_only: list[str] = []
    for index, row in enumerate(texts[:scan]):
        if best is not None and index > best.index + LOOK_PAST:
            break  # data rows follow the header; a better header is never far below it
        filled = [t for t in row if t is not None]
        labels = [t for t in filled if not _looks_like_data(t, typer)]
        if len(labels) < 2:
            continue
        hits = [t for t in labels if _best_header(typer, t) >= HEADER_HIT]
        if not hits:
            continue
        typing = typer.assign(row, texts[index + 1:index + 1 + TYPING_ROWS])
        mapped = sum(len(cols) for cols in typing.columns.values())
        if mapped < 2:
            named_only.append(f"row {index + 1} names only {', '.join(repr(h) for h in hits)}")
            continue
        score = typing.score + 0.5 * typing.header_hits - (len(filled) - len(labels))
        if score > best_score:
            best, best_score = HeaderChoice(index, typing), score
    if best is not None:
        return best
    detail = (named_only[0] + " and the columns below it could not be typed" if named_only
              else "no row has a cell naming a profile field above typed columns")
    return f"no recognisable header in the first {scan} rows ({detail})"


def _best_header(typer: ColumnTyper, text: str) -> float:
    scores = typer.headers.scores(text)
    return max((s for s, _ in scores.values()), default=0.0)


def _looks_like_data(text: str, typer: ColumnTyper) -> bool:
    if _NUMBER.match(text):
        return True
    shapes = typer.reader.shapes(text)
    return bool(shapes.email or shapes.phone or shapes.website or shapes.date >= 1)
