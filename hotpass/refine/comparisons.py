"""Comparison levels per field for row pairs (exact / close / far / missing, per field).

Contract: ``compare(features, left, right, thresholds)`` returns ``Compared``: a
``(pairs, fields)`` int8 matrix of level indices into ``LEVELS[field]`` (-1: a side lacks
the field, no evidence either way) and, per field, the term count of the agreed value on
exact levels (0 elsewhere) for the term-frequency adjustment.

Levels:
- name: the words both names share are set aside; the rest decides. ``exact`` (same words),
  ``close`` (the rest differs by typos: rapidfuzz ratio >= thresholds[0]), ``subset`` (one
  name's words all occur in the other: a dropped word), ``fair`` (ratio >= thresholds[1]),
  ``far`` (different words: "Naidoo Falcon Logistics" vs "Naidoo Falcon Holdings").
  Numbers in names must agree ("Hangar 3" vs "Hangar 8" is ``far``).
- phone, email, domain: ``exact`` when any value is shared, else ``different``.
- registration: ``exact`` / ``close`` (one typo: a Damerau-Levenshtein edit) /
  ``different``. address: ``exact`` / ``close`` (token-sort ratio
  >= thresholds[0]) / ``far``; a differing postcode is ``far``.

Pitfalls: string work runs once per distinct pair of values, never per row pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotpass.refine.features import Features

LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("far", "fair", "subset", "close", "exact"),
    "phone": ("different", "exact"),
    "email": ("different", "exact"),
    "domain": ("different", "exact"),
    "registration": ("different", "close", "exact"),
    "address": ("far", "close", "exact"),
}
FIELDS = tuple(LEVELS)
DEFAULT_THRESHOLDS: dict[str, list[float]] = {"name": [75.0, 55.0], "address": [85.0]}
EXACT = {f: len(levels) - 1 for f, levels in LEVELS.items()}


@dataclass
class Compared:
    levels: np.ndarray  # (pairs, len(FIELDS)) int8, -1 missing
    term_counts: np.ndarray  # (pairs, len(FIELDS)) int64: rows holding the agreed value


def compare(features: Features, left: np.ndarray, right: np.ndarray,
            thresholds: dict[str, list[float]]) -> Compared:
    limits = {**DEFAULT_THRESHOLDS, **thresholds}
    levels = np.full((left.size, len(FIELDS)), -1, dtype=np.int8)
    counts = np.zeros((left.size, len(FIELDS)), dtype=np.int64)
    column = {f: i for i, f in enumerate(FIELDS)}
    levels[:, column["name"]], counts[:, column["name"]] = _name_levels(
        features, left, right, limits["name"])
    for kind in ("phone", "email", "domain"):
        levels[:, column[kind]], counts[:, column[kind]] = _shared_slots(
            getattr(features, kind), features.counts[kind], left, right)
    levels[:, column["registration"]], counts[:, column["registration"]] = _registration(
        features, left, right)
    levels[:, column["address"]] = _address_levels(features, left, right, limits["address"])
    return Compared(levels, counts)


def _exact(a: np.ndarray, b: np.ndarray, counts: np.ndarray):
    level = np.where((a < 0) | (b < 0), -1, (a == b).astype(np.int8)).astype(np.int8)
    agreed = np.where(level == 1, counts[np.maximum(a, 0)] if counts.size else 0, 0)
    return level, agreed


def _registration(features: Features, left, right):
    from rapidfuzz.distance import DamerauLevenshtein

    a, b = features.registration[left], features.registration[right]
    level, agreed = _exact(a, b, features.counts["registration"])
    level = np.where(level == 1, 2, level).astype(np.int8)
    differ = np.flatnonzero(level == 0)
    if differ.size:
        edits = _distinct_scores(a[differ], b[differ], features.registration_text,
                                 DamerauLevenshtein.distance)
        level[differ] = np.where(edits <= 1, 1, 0)
    return level, agreed


def _distinct_scores(a: np.ndarray, b: np.ndarray, text: list[str], scorer) -> np.ndarray:
    """``scorer(text[a], text[b])`` per pair, computed once per distinct pair of codes."""
    from rapidfuzz.process import cpdist

    width = max(len(text), 1)
    codes, inverse = np.unique(a * width + b, return_inverse=True)
    scores = cpdist([text[x] for x in (codes // width).tolist()],
                    [text[y] for y in (codes % width).tolist()], scorer=scorer, workers=1)
    return scores[inverse]


def _shared_slots(slots: np.ndarray, counts: np.ndarray, left, right):
    a, b = slots[left], slots[right]
    present = (a >= 0).any(axis=1) & (b >= 0).any(axis=1)
    best = np.full(left.size, np.iinfo(np.int64).max, dtype=np.int64)
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            same = (a[:, i] == b[:, j]) & (a[:, i] >= 0)
            if same.any():
                best = np.where(same, np.minimum(best, counts[np.maximum(a[:, i], 0)]), best)
    shared = best < np.iinfo(np.int64).max
    level = np.where(present, shared.astype(np.int8), -1).astype(np.int8)
    return level, np.where(shared, best, 0)


def _name_levels(features: Features, left, right, limits: list[float]):
    from rapidfuzz import fuzz
    from rapidfuzz.process import cpdist

    a, b = features.name[left], features.name[right]
    level = np.full(left.size, -1, dtype=np.int8)
    counts = features.counts["name"]
    both = (a >= 0) & (b >= 0)
    same = both & (a == b)
    level[same] = 4
    agreed = np.where(same, counts[np.maximum(a, 0)] if counts.size else 0, 0)
    differ = np.flatnonzero(both & ~same)
    if differ.size == 0:
        return level, agreed
    width = max(len(features.name_text), 1)
    pair_codes, inverse = np.unique(a[differ] * width + b[differ], return_inverse=True)
    x, y = pair_codes // width, pair_codes % width
    words_x, words_y = features.name_words[x], features.name_words[y]
    shared = np.zeros(x.size, dtype=np.int64)
    for i in range(words_x.shape[1]):
        shared += ((words_x[:, i:i + 1] == words_y) & (words_x[:, i:i + 1] >= 0)).any(axis=1)
    count_x, count_y = (words_x >= 0).sum(axis=1), (words_y >= 0).sum(axis=1)
    texts, tokens = features.name_text, features.name_tokens
    rest_x = [texts[i] for i in x.tolist()]  # no shared word: the whole names differ
    rest_y = [texts[i] for i in y.tolist()]
    for k in np.flatnonzero(shared > 0).tolist():  # set the shared words aside
        tx, ty = tokens[x[k]], tokens[y[k]]
        rest_x[k], rest_y[k] = " ".join(sorted(tx - ty)), " ".join(sorted(ty - tx))
    ratio = cpdist(rest_x, rest_y, scorer=fuzz.ratio, workers=1)
    distinct = np.where(ratio >= limits[0], 3, np.where(ratio >= limits[1], 1, 0))
    distinct = np.where((shared == count_x) | (shared == count_y), 2, distinct)
    numbers = features.name_digits[x] != features.name_digits[y]
    level[differ] = np.where(numbers, 0, distinct).astype(np.int8)[inverse]
    return level, agreed


def _address_levels(features: Features, left, right, limits: list[float]) -> np.ndarray:
    from rapidfuzz import fuzz

    a, b = features.address[left], features.address[right]
    level = np.full(left.size, -1, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    level[both & (a == b)] = 2
    differ = np.flatnonzero(both & (a != b))
    if differ.size:
        score = _distinct_scores(a[differ], b[differ], features.address_text,
                                 fuzz.token_sort_ratio)
        level[differ] = np.where(score >= limits[0], 1, 0)
    pa, pb = features.postcode[left], features.postcode[right]
    level[(pa >= 0) & (pb >= 0) & (pa != pb) & (level >= 0)] = 0
    return level
