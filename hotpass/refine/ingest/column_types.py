"""Column typing: decide which profile field each column holds, from its header and a
bounded sample of its values together, and say why.

Contract: ``ColumnTyper(profile).assign(header_cells, body_texts)`` returns a ``Typing``:
``columns`` maps each chosen field to its column indexes and ``evidence`` holds one
``ColumnEvidence`` per non-empty column (decision, header score and method, value score,
sample share and size, total). Scores:

- header score ``h`` from ``HeaderScorer`` (synonym 1.0, words, fuzzy; 0 if none);
- value score ``v`` from ``value_shapes`` on at most ``SAMPLE_CELLS`` non-empty cells per
  column, read from at most ``SAMPLE_ROWS`` rows spread evenly over the body (never the
  whole column, so typing costs the same for 100 rows and 1,000,000);
- total: ``h`` when the field has no content test (free text); otherwise the best of
  ``(h + v) / 2``, ``h`` (``0.6 h`` when a sample of 3+ cells contradicts it: ``v < 0.3``;
  values outside a field's ``allowed_values`` or region list never contradict, they are
  validation warnings),
  and ``0.9 v`` when ``v >= 0.6`` for kinds whose content is unmistakable (email, phone,
  website, person, region, allowed values; an organisation name needs ``v >= 0.75``, i.e.
  mostly legal suffixes or organisation words, as any multi-word text scores 0.6), from a
  sample of at least ``MIN_SAMPLE`` cells. Identifiers, dates and free
  text need a header score of at least ``HEADER_HIT``.

The assignment maximises the sum of totals (``scipy.optimize.linear_sum_assignment``):
a single-valued field takes one column, email and phone fields may take several, and a
pair scoring below ``MIN_TOTAL`` is left unmapped. ``mapping.pin`` in the profile forces a
header (regex, case-insensitive, whole header) onto a field or ``ignore``; ``mapping.forbid``
rules a pair out.

Pitfalls: the scorer objects are cached per profile; ``assign`` is called for every header
candidate, so it reuses the per-cell shape cache and stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from hotpass.profiles.model import Profile
from hotpass.refine.ingest.cells import column_letter
from hotpass.refine.ingest.header_words import FIRST_NAME, LAST_NAME, PERSON_PARTS, HeaderScorer
from hotpass.refine.ingest.value_shapes import ShapeReader, column_sample, field_value_score

SAMPLE_CELLS = 200
SAMPLE_ROWS = 2000
MIN_TOTAL = 0.5
HEADER_HIT = 0.6
VALUE_ONLY = 0.6
MIN_SAMPLE = 3  # values alone type a column only from three or more cells
VALUE_ONLY_NAME = 0.75  # multi-word text is only 0.6 "organisation": deal names, projects
MULTI_VALUED_KINDS = ("email", "phone")
VALUE_TYPED_KINDS = ("email", "phone", "website", "person", "name", "region")
IGNORE = "ignore"
PART_LABELS = {FIRST_NAME: "contact_name (first name)", LAST_NAME: "contact_name (last name)"}


@dataclass(frozen=True)
class ColumnEvidence:
    column: int
    header: str
    field: str | None
    header_score: float
    header_method: str
    value_score: float | None
    sample_share: float
    sample_size: int
    total: float
    decision: str  # why: "header", "values", "header+values", "pinned", ... or unmapped reason

    def to_dict(self) -> dict[str, object]:
        return {"column": column_letter(self.column), "header": self.header,
                "field": PART_LABELS.get(self.field or "", self.field),
                "decision": self.decision,
                "header_score": round(self.header_score, 3), "header_method": self.header_method,
                "value_score": None if self.value_score is None else round(self.value_score, 3),
                "sample_share": round(self.sample_share, 3), "sample_size": self.sample_size,
                "total": round(self.total, 3)}


@dataclass
class Typing:
    columns: dict[str, list[int]] = field(default_factory=dict)
    evidence: list[ColumnEvidence] = field(default_factory=list)
    header_hits: int = 0  # columns whose header alone names a field

    @property
    def score(self) -> float:
        return sum(e.total for e in self.evidence if e.field)


@dataclass
class _Cell:
    h: float = 0.0
    method: str = ""
    v: float | None = None
    share: float = 0.0
    total: float = 0.0


class ColumnTyper:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.headers = HeaderScorer(profile)
        self.reader = ShapeReader(profile)
        self.fields = [*profile.fields, *PERSON_PARTS]
        self.pins = [(re.compile(p.header, re.I), p.field) for p in profile.mapping.pin]
        self.forbids = [(re.compile(p.header, re.I), p.field) for p in profile.mapping.forbid]

    def kind(self, name: str) -> str:
        return self.profile.fields[name].kind if name in self.profile.fields else "person"

    def assign(self, header: list[str | None], body: list[list[str | None]]) -> Typing:
        width = max([len(header)] + [len(r) for r in body[:50]]) if body else len(header)
        samples = column_samples(body, width)
        names = [(header[c] if c < len(header) else None) for c in range(width)]
        live = [c for c in range(width) if names[c] or samples[c]]
        grid = {c: self._score_column(names[c] or "", samples[c]) for c in live}
        pinned = {c: self._pin(names[c]) for c in live if names[c]}
        chosen = self._solve(live, grid, {c: p for c, p in pinned.items() if p})
        typing = Typing()
        for c in live:
            label = names[c] or f"(column {column_letter(c)})"
            field_name, why = chosen.get(c, (None, ""))
            cells = grid[c]
            best = max(cells, key=lambda f: cells[f].total) if cells else None
            shown = cells.get(field_name) or (cells.get(best) if best else None) or _Cell()
            if field_name is None:
                why = _unmapped_reason(pinned.get(c), best, cells, chosen)
            typing.evidence.append(ColumnEvidence(
                c, label, field_name, shown.h, shown.method, shown.v, shown.share,
                len(samples[c]), shown.total, why))
            if field_name:
                typing.columns.setdefault(field_name, []).append(c)
            if cells and max(x.h for x in cells.values()) >= HEADER_HIT:
                typing.header_hits += 1
        return typing

    def _score_column(self, name: str, sample: list[str]) -> dict[str, _Cell]:
        header = self.headers.scores(name) if name else {}
        prepared = column_sample(self.reader, sample)
        out: dict[str, _Cell] = {}
        for field_name in self.fields:
            if any(rx.fullmatch(name) and f == field_name for rx, f in self.forbids):
                continue
            h, method = header.get(field_name, (0.0, ""))
            if field_name in PERSON_PARTS:
                if h:
                    out[field_name] = _Cell(h, method, None, 0.0, h)
                continue
            spec = self.profile.fields[field_name]
            v, share = field_value_score(spec, self.profile, prepared)
            listed = spec.kind == "region" or bool(spec.allowed_values)
            total = combine(h, v, len(sample), spec.kind in VALUE_TYPED_KINDS or listed,
                            contradicts=not listed,
                            value_only=VALUE_ONLY_NAME if spec.kind == "name" else VALUE_ONLY)
            if total > 0:
                out[field_name] = _Cell(h, method, v, share, total)
        return out

    def _pin(self, name: str | None) -> str | None:
        for rx, target in self.pins:
            if name and rx.fullmatch(name):
                return target
        return None

    def _solve(self, live: list[int], grid: dict[int, dict[str, _Cell]],
               pinned: dict[int, str]) -> dict[int, tuple[str, str]]:
        from scipy.optimize import linear_sum_assignment

        chosen = {c: (f, "pinned") for c, f in pinned.items() if f != IGNORE}
        taken = {f for f, _ in chosen.values() if self.kind(f) not in MULTI_VALUED_KINDS}
        free = [c for c in live if c not in pinned]
        slots: list[str] = []
        for name in self.fields:
            if name in taken:
                continue
            multi = name in self.profile.fields and self.kind(name) in MULTI_VALUED_KINDS
            slots.extend([name] * (len(free) if multi else 1))
        if not free or not slots:
            return chosen
        matrix = np.zeros((len(free), len(slots)))
        for i, c in enumerate(free):
            for j, name in enumerate(slots):
                cell = grid[c].get(name)
                if cell is not None and cell.total >= MIN_TOTAL:
                    matrix[i, j] = cell.total
        rows, cols = linear_sum_assignment(matrix, maximize=True)
        for i, j in zip(rows, cols, strict=True):
            if matrix[i, j] >= MIN_TOTAL:
                cell = grid[free[i]][slots[j]]
                chosen[free[i]] = (slots[j], _why(cell))
        return chosen


def combine(h: float, v: float | None, n: int, value_typed: bool,
            contradicts: bool = True, value_only: float = VALUE_ONLY) -> float:
    """Total score of one column for one field (see the module docstring)."""
    if v is None:
        return h
    if not value_typed and h < HEADER_HIT:
        return 0.0
    header_side = h * 0.6 if (contradicts and n >= MIN_SAMPLE and v < 0.3) else h
    value_side = 0.9 * v if (value_typed and v >= value_only and n >= MIN_SAMPLE) else 0.0
    return max((h + v) / 2 if h else 0.0, header_side, value_side)


def _why(cell: _Cell) -> str:
    if cell.h >= HEADER_HIT and cell.v is not None and cell.v >= VALUE_ONLY:
        return "header+values"
    if cell.h >= HEADER_HIT or cell.v is None or cell.total == cell.h:
        return "header"
    return "values" if cell.h == 0 else "values (weak header)"


def _unmapped_reason(pin: str | None, best: str | None, cells: dict[str, _Cell],
                     chosen: dict[int, tuple[str, str]]) -> str:
    if pin == IGNORE:
        return "ignored (pinned)"
    if best is None or cells[best].total < MIN_TOTAL:
        return "no field fits"
    holder = next((c for c, (f, _) in chosen.items() if f == best), None)
    where = f" (column {column_letter(holder)})" if holder is not None else ""
    return f"{best} fits better elsewhere{where}"


def column_samples(body: list[list[str | None]], width: int) -> list[list[str]]:
    """Up to ``SAMPLE_CELLS`` non-empty texts per column from at most ``SAMPLE_ROWS`` rows
    spread evenly over ``body``."""
    step = max(1, len(body) // SAMPLE_ROWS)
    samples: list[list[str]] = [[] for _ in range(width)]
    for row in body[::step][:SAMPLE_ROWS]:
        for c, text in enumerate(row[:width]):
            if text is not None and len(samples[c]) < SAMPLE_CELLS:
                samples[c].append(text)
    return samples


__all__ = ["FIRST_NAME", "LAST_NAME", "ColumnEvidence", "ColumnTyper", "Typing", "combine"]
