"""Map columns: find the real header row of a sheet and map its columns to the profile.

Contract: ``ColumnMatcher.match(header)`` tries the profile's synonyms exactly, then a
normalised (punctuation- and space-free) comparison, then a rapidfuzz match above
``mapping.fuzzy_threshold``. ``frame_from_sheet`` turns a ``RawSheet`` into a
``SourceFrame`` with canonical columns and provenance, or returns a skip/failure report.
Unmapped columns are listed in the sheet report, never silently dropped.

Pitfalls: a header row is recognised by how many of its cells map to profile fields, not
by position (title rows, merged cells and blank rows come first in real files); two
columns mapping to one multi-valued field (two phone columns) are combined, for a
single-valued field the better match wins and the other is reported unmapped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from hotpass.profiles import Profile
from hotpass.refine.ingest import RawSheet, cell_text, column_letter
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET, SheetReport, SourceFrame

MULTI_VALUED_KINDS = ("email", "phone")
_PLACEHOLDER_HEADER = re.compile(r"^(unnamed: ?\d+|column ?\d+|field ?\d+)$", re.IGNORECASE)


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class ColumnMatch:
    field: str
    method: str  # "synonym" | "normalised" | "fuzzy"
    score: float


class ColumnMatcher:
    def __init__(self, profile: Profile) -> None:
        self.threshold = profile.mapping.fuzzy_threshold
        self.by_phrase: dict[str, str] = {}
        for name, spec in profile.fields.items():
            for phrase in [name, spec.label, *spec.synonyms]:
                self.by_phrase.setdefault(normalise_header(phrase), name)
        self.by_compact = {k.replace(" ", ""): v for k, v in self.by_phrase.items()}
        self.phrases = list(self.by_phrase)

    def match(self, header: str) -> ColumnMatch | None:
        phrase = normalise_header(header)
        if not phrase or _PLACEHOLDER_HEADER.match(header.strip()):
            return None
        if phrase in self.by_phrase:
            return ColumnMatch(self.by_phrase[phrase], "synonym", 100.0)
        compact = phrase.replace(" ", "")
        if compact in self.by_compact:
            return ColumnMatch(self.by_compact[compact], "normalised", 100.0)
        if len(phrase) < 4:
            return None  # short codes fuzz-match everything
        best = process.extractOne(
            phrase, self.phrases, scorer=fuzz.ratio, score_cutoff=self.threshold
        )
        if best is None:
            return None
        return ColumnMatch(self.by_phrase[best[0]], "fuzzy", round(float(best[1]), 1))


def find_header_row(rows: list[list[object]], matcher: ColumnMatcher, scan: int) -> int | None:
    """Index of the row whose cells map best to profile fields (at least two), else None."""
    best_index, best_score = None, 1
    for index, row in enumerate(rows[:scan]):
        texts = {t for t in (cell_text(v) for v in row) if t and not _is_number(t)}
        fields = {m.field for m in (matcher.match(t) for t in texts) if m}
        if len(fields) > best_score:
            best_index, best_score = index, len(fields)
    return best_index


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[\d.,\s/-]+", text))


def classify_empty(rows: list[list[object]]) -> str | None:
    """Why a sheet holds no table ("empty sheet", "layout-only ..."), or None if it may."""
    filled_rows = 0
    filled_columns: set[int] = set()
    for row in rows:
        cols = [i for i, v in enumerate(row) if cell_text(v) is not None]
        if cols:
            filled_rows += 1
            filled_columns.update(cols)
    if filled_rows == 0:
        return "empty sheet"
    if filled_rows < 2 or len(filled_columns) < 2:
        return "layout-only sheet (no table: text in fewer than two rows or columns)"
    return None


def frame_from_sheet(
    sheet: RawSheet, file_label: str, profile: Profile, matcher: ColumnMatcher
) -> SourceFrame | SheetReport:
    """Map one sheet; a ``SheetReport`` alone means the sheet was skipped or failed."""
    import pandas as pd

    report = SheetReport(file=file_label, sheet=sheet.name, status="used")
    empty_reason = classify_empty(sheet.rows)
    if empty_reason:
        report.status, report.reason = "skipped", empty_reason
        return report
    header_index = 0 if sheet.header_known else find_header_row(
        sheet.rows, matcher, profile.mapping.header_scan_rows
    )
    if header_index is None:
        report.status = "failed"
        report.reason = (
            f"no recognisable header in the first {profile.mapping.header_scan_rows} rows "
            "(no row has two or more columns the profile knows)"
        )
        return report
    report.header_row = header_index + 1
    header = sheet.rows[header_index]
    body = sheet.rows[header_index + 1 :]
    width = max([len(header)] + [len(r) for r in body[:1000]]) if body else len(header)

    chosen: dict[str, list[tuple[int, ColumnMatch]]] = {}
    for col in range(width):
        raw_name = cell_text(header[col]) if col < len(header) else None
        match = matcher.match(raw_name) if raw_name else None
        if match is None:
            if raw_name or any(col < len(r) and cell_text(r[col]) for r in body[:1000]):
                report.unmapped_columns.append(raw_name or f"(column {column_letter(col)})")
            continue
        chosen.setdefault(match.field, []).append((col, match))

    columns: dict[str, list[int]] = {}
    for field, candidates in chosen.items():
        if profile.fields[field].kind in MULTI_VALUED_KINDS:
            columns[field] = [col for col, _ in candidates]
        else:
            candidates.sort(key=lambda item: -item[1].score)
            columns[field] = [candidates[0][0]]
            report.unmapped_columns.extend(
                f"{cell_text(header[col])} (also matched {field})" for col, _ in candidates[1:]
            )
        for col, match in candidates:
            if col in columns[field]:
                report.mapped_columns[cell_text(header[col]) or ""] = (
                    field if match.method != "fuzzy" else f"{field} (fuzzy {match.score:g})"
                )

    data: dict[str, list[str | None]] = {}
    for field, cols in columns.items():
        if len(cols) == 1:
            data[field] = [cell_text(r[cols[0]]) if cols[0] < len(r) else None for r in body]
        else:
            data[field] = [_join_cells(r, cols) for r in body]
    frame = pd.DataFrame(data, dtype=object)
    frame[SOURCE_FILE] = file_label
    frame[SOURCE_SHEET] = sheet.name
    frame[SOURCE_ROW] = range(header_index + 2, header_index + 2 + len(body))
    mapped = list(columns)
    frame = frame[frame[mapped].notna().any(axis=1)].reset_index(drop=True)
    report.rows_in = len(frame)
    return SourceFrame(file=file_label, sheet=sheet.name, frame=frame, report=report)


def _join_cells(row: list[object], cols: list[int]) -> str | None:
    parts = [cell_text(row[c]) for c in cols if c < len(row)]
    joined = "; ".join(p for p in parts if p)
    return joined or None
