"""Map one sheet: find its header, type its columns, drop template rows, build the frame.

Contract: ``frame_from_sheet(sheet, file_label, profile, typer)`` turns a ``RawSheet``
into a ``SourceFrame`` with canonical columns and provenance, or returns a
``SheetReport`` alone when the sheet was skipped (empty, layout only) or failed (no
header, with the reason). The report carries, per column, the typing evidence (decision,
header score, value score, sample share), the mapped and unmapped columns (never silently
dropped) and how many template rows were dropped. Steps, in order: header detection
(``headers``), column typing (``typing_columns``), template rows out, first/last names
composed, multi-person cells split (``people``). An id column that lost its field to
another (a contacts sheet's own "Record ID" beside "Associated Company ID") is kept as a
``LINK_KEY`` column for sheet linking, which drops it.

A row repeating the header (two exports pasted together) is dropped and counted.

Pitfalls: a template row holds nothing but ids or sequence numbers (a pre-numbered sheet
with hundreds of empty rows at the bottom); it is dropped before anything else sees it,
but a row with an id and any other value is data. Two columns typed as one multi-valued
field (two phone columns) are joined with "; ".
"""

from __future__ import annotations

import re
from operator import itemgetter

from hotpass.profiles.model import Profile
from hotpass.refine.ingest.cells import RawSheet
from hotpass.refine.ingest.column_types import PART_LABELS, ColumnTyper, Typing
from hotpass.refine.ingest.header_words import FIRST_NAME, LAST_NAME, normalise_header
from hotpass.refine.ingest.headers import find_header
from hotpass.refine.ingest.people import compose_names, split_people
from hotpass.refine.model import (
    LINK_KEY,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    SheetReport,
    SourceFrame,
)

_SEQUENCE = re.compile(r"^\d{1,6}$")
_SEQUENCE_HEADERS = frozenset({"", "no", "number", "nr", "seq", "row", "item", "line", "ref",
                               "id", "index"})

__all__ = ["ColumnTyper", "classify_empty", "frame_from_sheet", "normalise_header"]


def classify_empty(texts: list[list[str | None]]) -> str | None:
    """Why a sheet holds no table ("empty sheet", "layout-only ..."), or None if it may."""
    filled_rows = 0
    filled_columns: set[int] = set()
    for row in texts:
        cols = [i for i, v in enumerate(row) if v is not None]
        if cols:
            filled_rows += 1
            filled_columns.update(cols)
            if filled_rows >= 2 and len(filled_columns) >= 2:
                return None  # a table may follow: the rest cannot change that
    if filled_rows == 0:
        return "empty sheet"
    if filled_rows < 2 or len(filled_columns) < 2:
        return "layout-only sheet (no table: text in fewer than two rows or columns)"
    return None


def frame_from_sheet(
    sheet: RawSheet, file_label: str, profile: Profile, typer: ColumnTyper
) -> SourceFrame | SheetReport:
    """Map one sheet; a ``SheetReport`` alone means the sheet was skipped or failed."""
    import pandas as pd

    report = SheetReport(file=file_label, sheet=sheet.name, status="used")
    texts = sheet.texts
    empty_reason = classify_empty(texts)
    if empty_reason:
        report.status, report.reason = "skipped", empty_reason
        return report
    if sheet.header_known:
        header_index = 0
    else:
        choice = find_header(texts, typer, profile.mapping.header_scan_rows)
        if isinstance(choice, str):
            report.status, report.reason = "failed", choice
            return report
        header_index = choice.index
    header = texts[header_index]
    body = texts[header_index + 1:]
    typing = typer.assign(header, body)  # the final typing samples the whole body
    _describe(report, typing)
    report.header_row = header_index + 1

    keep = _non_template_rows(body, header, typing, typer)
    report.template_rows = sum(1 for i, row in enumerate(body)
                               if not keep[i] and any(v is not None for v in row))
    repeated = _header_repeats(body, header)
    report.header_repeats = len(repeated)
    for i in repeated:
        keep[i] = False
    rows = [i for i, k in enumerate(keep) if k]
    kept = [body[i] for i in rows]
    data: dict[str, list[str | None]] = {}
    shortest = min(map(len, kept), default=0)
    for field, cols in typing.columns.items():
        if len(cols) == 1 and cols[0] < shortest:  # most fields: one column, in every row
            data[field] = list(map(itemgetter(cols[0]), kept))
        elif len(cols) == 1:
            col = cols[0]
            data[field] = [row[col] if col < len(row) else None for row in kept]
        else:
            data[field] = [_joined(row, cols) for row in kept]
    if FIRST_NAME in data or LAST_NAME in data:
        composed = compose_names(data.pop(FIRST_NAME, [None] * len(rows)),
                                 data.pop(LAST_NAME, [None] * len(rows)))
        current = data.get("contact_name", [None] * len(rows))
        data["contact_name"] = [c or n for c, n in zip(current, composed, strict=True)]
    frame = pd.DataFrame(data, dtype=object)
    mapped = list(frame.columns)
    for col, header_text in _spare_id_columns(typing, typer):
        frame[LINK_KEY + header_text] = [body[i][col] if col < len(body[i]) else None
                                         for i in rows]
    frame[SOURCE_FILE] = file_label
    frame[SOURCE_SHEET] = sheet.name
    frame[SOURCE_ROW] = [header_index + 2 + i for i in rows]
    if mapped:
        frame = frame[frame[mapped].notna().any(axis=1)].reset_index(drop=True)
    split_people(frame)
    report.rows_in = len(frame)
    return SourceFrame(file=file_label, sheet=sheet.name, frame=frame, report=report)


def _describe(report: SheetReport, typing: Typing) -> None:
    for evidence in typing.evidence:
        report.columns.append(evidence.to_dict())
        if evidence.field is None:
            report.unmapped_columns.append(evidence.header)
            continue
        shown = PART_LABELS.get(evidence.field, evidence.field)
        if evidence.decision not in ("header", "header+values", "pinned"):
            shown += f" (by values {evidence.sample_share:.0%})"
        elif evidence.header_method == "fuzzy":
            shown += f" (fuzzy {round(evidence.header_score / 0.9 * 100, 1):g})"
        elif evidence.header_method == "words":
            shown += " (header words)"
        report.mapped_columns[evidence.header] = shown


def _spare_id_columns(typing: Typing, typer: ColumnTyper) -> list[tuple[int, str]]:
    """Unmapped columns whose header names an id ("Associated Company ID" beside a
    "Record ID"): kept as link keys so sheet linking can try them."""
    ids = set(typer.profile.fields_of_kind("identifier"))
    return [(e.column, e.header) for e in typing.evidence
            if e.field is None and e.header_score >= 0.6
            and e.decision.split(" ", 1)[0] in ids]


def _non_template_rows(body: list[list[str | None]], header: list[str | None],
                       typing: Typing, typer: ColumnTyper) -> list[bool]:
    """False for rows holding nothing but ids, sequence numbers or nothing at all."""
    id_cols = {c for f, cols in typing.columns.items()
               if f in typer.profile.fields and typer.kind(f) == "identifier" for c in cols}
    id_cols |= {c for c, name in enumerate(header)
                if normalise_header(name or "") in _SEQUENCE_HEADERS}
    # column by column: most rows are settled by their first column that is not an id
    undecided = list(range(len(body)))
    for c in range(max(map(len, body), default=0)):
        if c in id_cols:
            continue
        undecided = [i for i in undecided if c >= len(body[i]) or body[i][c] is None
                     or _SEQUENCE.match(body[i][c])]
        if not undecided:
            break
    keep = [True] * len(body)
    for i in undecided:
        keep[i] = False
    return keep


def _header_repeats(body: list[list[str | None]], header: list[str | None]) -> list[int]:
    """Rows that repeat the header (files pasted together, a page header exported per
    page): the same words in the same columns, compared as ``normalise_header`` does."""
    wanted = [normalise_header(h) if h else "" for h in header]
    if sum(1 for h in wanted if h) < 2:
        return []
    # Cheap first test on one column (normalising every cell of every row is slow): equal
    # normalised headers have equal letters and digits, so only those rows are compared.
    first = next(j for j, h in enumerate(wanted) if h)
    letters = wanted[first].replace(" ", "")
    return [i for i, row in enumerate(body)
            if len(row) > first and row[first] and _letters(row[first]) == letters
            and [normalise_header(v) if v else "" for v in row[:len(wanted)]]
            + [""] * (len(wanted) - len(row)) == wanted
            and not any(v is not None for v in row[len(wanted):])]


_NOT_ALNUM = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum()))


def _letters(text: str) -> str:
    """``normalise_header(text)`` without its spaces, fast for ASCII text."""
    if not text.isascii():
        return normalise_header(text).replace(" ", "")
    return text.lower().replace("#", "number").translate(_NOT_ALNUM)


def _joined(row: list[str | None], cols: list[int]) -> str | None:
    parts = [row[c] for c in cols if c < len(row) and row[c]]
    return "; ".join(parts) or None
