"""Whether an inferred sheet link earns its place: is its key an identifier, and do the
rows it joins describe the same organisation?

Contract:
- ``row_counter(header, values, rows)``: why a key column is a row counter ("headed like
  a row number", "numbers 1..N in sheet order"), or None. A counter is unique in every
  sheet and matches any other sheet's 1..N ids, so it never links by itself.
- ``corroboration(pairs, profile)``: ``pairs`` is a frame of the linked (child, parent)
  rows side by side (``CHILD`` and ``PARENT`` column prefixes, at most ``SAMPLE_PAIRS``
  pairs); both sides are normalised and compared with the de-duplication's own
  comparisons (``resolve.features``/``comparisons``). Returns (compared, agreed): pairs
  where both rows carry a name or an organisation domain, or share a phone or e-mail, and
  those of them that agree (name exact, close or one name's words within the other's;
  domain, e-mail or phone shared). A differing phone or e-mail says nothing (a contact's
  own line is not the switchboard), a differing name or domain says "another
  organisation".

Pitfalls: within a workbook the frames still hold raw text, across files they are already
normalised; normalising again is harmless, so both are normalised here.
"""

from __future__ import annotations

import re

import numpy as np

from hotpass.profiles.model import Profile
from hotpass.refine.ingest.header_words import normalise_header
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET

CHILD, PARENT = "child:", "parent:"
SAMPLE_PAIRS = 2000
COMPARED_FIELDS = ("organization_name", "website", "contact_email", "contact_phone")
ROW_NUMBER_HEADERS = frozenset({"number", "no", "nr", "num", "row", "row no", "row number",
                                "s n", "sn", "s no", "seq", "line", "line no", "item",
                                "index", "idx", "count"})
_INTEGER = re.compile(r"^\d{1,9}$")


def row_counter(header: str, values, rows) -> str | None:
    """``values``: the key column's non-empty cells in sheet order; ``rows``: the count of
    the sheet's data rows."""
    if normalise_header(header) in ROW_NUMBER_HEADERS:
        return f"'{header}' is headed like a row number"
    texts = [str(v).strip().removesuffix(".0") for v in values]
    if len(texts) < 2 or not all(_INTEGER.match(t) for t in texts):
        return None
    numbers = np.array([int(t) for t in texts])
    if numbers[0] <= 1 and (np.diff(numbers) > 0).all() and numbers[-1] <= rows + 1:
        return f"'{header}' numbers the rows 1..N in sheet order"
    return None


def corroboration(pairs, profile: Profile) -> tuple[int, int]:
    import pandas as pd

    from hotpass.refine.normalise import normalise_frame
    from hotpass.refine.resolve.comparisons import EXACT, FIELDS, LEVELS, compare
    from hotpass.refine.resolve.features import build_features

    if not len(pairs):
        return 0, 0
    sides = []
    for prefix in (CHILD, PARENT):
        side = pd.DataFrame({f: pairs.get(prefix + f) for f in COMPARED_FIELDS},
                            index=pairs.index, dtype=object)
        side[SOURCE_FILE], side[SOURCE_SHEET], side[SOURCE_ROW] = "", "", 0
        sides.append(normalise_frame(side, profile)[0])
    both = pd.concat(sides, ignore_index=True)
    both = both.astype(object).where(both.notna(), None)
    size = len(pairs)
    features = build_features(both, profile)
    left = np.arange(size, dtype=np.int64)
    levels = compare(features, left, left + size, profile.dedupe.levels,
                     fields=("name", "phone", "email", "domain")).levels
    at = {f: levels[:, FIELDS.index(f)] for f in ("name", "phone", "email", "domain")}
    name_agrees = at["name"] >= LEVELS["name"].index("subset")
    agrees = name_agrees | (at["domain"] == EXACT["domain"]) | (at["email"] == EXACT["email"]) \
        | (at["phone"] == EXACT["phone"])
    says = (at["name"] >= 0) | (at["domain"] >= 0) | agrees
    return int(says.sum()), int((says & agrees).sum())
