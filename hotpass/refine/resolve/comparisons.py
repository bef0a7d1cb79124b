"""Comparison levels per field for row pairs (exact / close / far / missing, per field).

Contract: ``compare(features, left, right, thresholds)`` returns ``Compared``: a
``(pairs, fields)`` int8 matrix of level indices into ``LEVELS[field]`` (-1: a side lacks
the field, no evidence either way). ``agreed_values(features, field, left, right)`` gives,
for pairs at a field's exact level, the code of the agreed value (of several shared values
the one fewest rows hold) for the term-frequency adjustment: asked for those pairs only, so
no (pairs, fields) matrix of values is held beside the levels (28 bytes a pair).

Levels (graded as Splink's documented setups grade them; each level gets its own m and u):
- name: the words both names share are set aside; the rest decides. ``exact`` (same words),
  ``close`` (the rest differs by typos: Jaro-Winkler >= thresholds[0] / 100, or a
  Levenshtein ratio >= ``RATIO[0]``: Jaro-Winkler forgives a late typo, the ratio an early
  one, "ilms" for "films"), ``subset`` (one name's words all occur in the other: a dropped
  word), ``fair`` (Jaro-Winkler >= thresholds[1] / 100 or ratio >= ``RATIO[1]``),
  ``partial`` (a word shared, the rest different: "Naidoo Falcon Logistics" vs "Naidoo
  Falcon Holdings", a person's surname with another given name), ``far`` (nothing alike).
  Numbers in names must agree ("Hangar 3" vs "Hangar 8" is ``far``).
- phone: ``exact`` when any number is shared, else the Levenshtein edits between the
  first numbers: ``one_edit``, ``two_edits``, ``different``. registration: the same with
  Damerau-Levenshtein edits (a swap is one). email, domain: ``exact`` when any value is
  shared, else ``different``.
- address: ``exact`` (the same words, in any order), else Jaro-Winkler on the words as
  written: ``near`` (>= thresholds[0] / 100), ``close`` (>= thresholds[1] / 100), ``fair``
  (>= thresholds[2] / 100), ``far``. A typo in a postcode or a street number is a few
  characters, not a different address.
- region: ``exact`` / ``different`` (weak alone: a province holds many organisations; it
  only blocks nothing).

Pitfalls: string work runs once per distinct pair of values (within a chunk of pairs),
never per row pair. Chunks run on ``textcodes.THREADS`` threads (numpy and rapidfuzz
release the GIL), each writing only its own rows of the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hotpass.refine.resolve.features import Features
from hotpass.refine.resolve.textcodes import THREADS, joined, ranges

LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("far", "partial", "fair", "subset", "close", "exact"),
    "phone": ("different", "two_edits", "one_edit", "exact"),
    "email": ("different", "exact"),
    "domain": ("different", "exact"),
    "registration": ("different", "two_edits", "one_edit", "exact"),
    "address": ("far", "fair", "close", "near", "exact"),
    "region": ("different", "exact"),
}
FIELDS = tuple(LEVELS)
DEFAULT_THRESHOLDS: dict[str, list[float]] = {"name": [92.0, 80.0],
                                               "address": [94.0, 88.0, 80.0]}
RATIO = (75.0, 55.0)
EXACT = {f: len(levels) - 1 for f, levels in LEVELS.items()}
CHUNK = 1 << 15  # pairs compared at a time


@dataclass
class Compared:
    levels: np.ndarray  # (pairs, len(FIELDS)) int8, -1 missing


def compare(features: Features, left: np.ndarray, right: np.ndarray,
            thresholds: dict[str, list[float]], fields: tuple[str, ...] = FIELDS,
            chunk_size: int = CHUNK) -> Compared:
    """Levels of ``fields`` (the others stay -1) for the pairs ``left[i], right[i]``,
    ``chunk_size`` pairs at a time (the temporaries stay small whatever the pair count)."""
    from concurrent.futures import ThreadPoolExecutor

    limits = {**DEFAULT_THRESHOLDS, **thresholds}
    levels = np.full((left.size, len(FIELDS)), -1, dtype=np.int8)

    def chunk(start: int) -> None:
        a, b = left[start:start + chunk_size], right[start:start + chunk_size]
        level = levels[start:start + chunk_size]
        for i, name in enumerate(FIELDS):
            if name not in fields:
                continue
            if name == "name":
                level[:, i] = _name_levels(features, a, b, limits["name"])
            elif name == "registration":
                level[:, i] = _registration(features, a, b)
            elif name == "address":
                level[:, i] = _address_levels(features, a, b, limits["address"])
            elif name == "phone":
                level[:, i] = _phone_levels(features, a, b)
            elif name == "region":
                level[:, i] = _exact(features.region[a], features.region[b])
            else:  # email, domain
                level[:, i] = _shared_slots(getattr(features, name),
                                            features.counts[name], a, b)[0]

    with ThreadPoolExecutor(THREADS) as pool:  # numpy and rapidfuzz release the GIL
        list(pool.map(chunk, range(0, left.size, chunk_size)))
    return Compared(levels)


def agreed_values(features: Features, field: str, left: np.ndarray,
                  right: np.ndarray) -> np.ndarray:
    """The code of the value pairs at ``field``'s exact level agree on (``name``,
    ``registration``: the one value; ``phone``, ``email``, ``domain``: the shared slot
    value fewest rows hold). Per pair: the same whichever pairs are asked together."""
    if field in ("name", "registration"):
        return getattr(features, field)[left]
    return _shared_slots(getattr(features, field), features.counts[field], left, right)[1]


def pattern_codes(levels: np.ndarray) -> np.ndarray:
    """One int32 per row of a (pairs, fields) level matrix, equal for equal rows (base 8:
    far faster to group by than the rows, e.g. ``np.unique(axis=0)``)."""
    code = np.zeros(len(levels), dtype=np.int32)
    for i in range(levels.shape[1]):
        code += (levels[:, i] + 1).astype(np.int32) * np.int32(8 ** i)
    return code


def _exact(a: np.ndarray, b: np.ndarray):
    return np.where((a < 0) | (b < 0), -1, (a == b).astype(np.int8)).astype(np.int8)


def _registration(features: Features, left, right):
    from rapidfuzz.distance import DamerauLevenshtein

    a, b = features.registration[left], features.registration[right]
    level = _exact(a, b)
    level = np.where(level == 1, 3, level).astype(np.int8)
    _edit_levels(level, a, b, features.registration_text, features.registration_characters,
                 DamerauLevenshtein.distance)
    return level


def _edit_levels(level: np.ndarray, a: np.ndarray, b: np.ndarray, text: pa.Array,
                 characters: np.ndarray, scorer) -> None:
    """Where ``level`` is 0 (different), 2 for one edit and 1 for two between ``text[a]``
    and ``text[b]``. Two edits change the characters held by at most four: other pairs
    (most: unrelated values) need no scorer, nor a Python string."""
    differ = np.flatnonzero(level == 0)
    differ = differ[np.abs(characters[a[differ]].astype(np.int16)
                           - characters[b[differ]]).sum(axis=1) <= 4]
    if differ.size:
        edits = _distinct_scores(a[differ], b[differ], text, scorer, cutoff=2)
        level[differ] = np.maximum(3 - edits, 0)


def _distinct_scores(a: np.ndarray, b: np.ndarray, text: pa.Array, scorer,
                     cutoff: float) -> np.ndarray:
    """``scorer(text[a], text[b])`` per pair, computed once per distinct pair of codes;
    past ``cutoff`` (only which side of it matters) rapidfuzz stops early. Python strings
    are made for those codes only."""
    from rapidfuzz.process import cpdist

    width = max(len(text), 1)
    codes, inverse = np.unique(a.astype(np.int64) * width + b, return_inverse=True)
    scores = cpdist(text.take(pa.array(codes // width)).to_pylist(),
                    text.take(pa.array(codes % width)).to_pylist(), scorer=scorer, workers=1,
                    score_cutoff=cutoff)
    return scores[inverse]


def _phone_levels(features: Features, left, right):
    """``exact`` when the rows share a number; else the edits (Levenshtein) between their
    first numbers: ``one_edit``, ``two_edits`` or ``different``."""
    from rapidfuzz.distance import Levenshtein

    level = _shared_slots(features.phone, features.counts["phone"], left, right)[0]
    level = np.where(level == 1, 3, level).astype(np.int8)
    _edit_levels(level, features.phone[:, 0][left], features.phone[:, 0][right],
                 features.phone_text, features.phone_digits, Levenshtein.distance)
    return level


def _shared_slots(slots: np.ndarray, counts: np.ndarray, left, right):
    """``slots``: (rows, SLOTS), column-major (a slot's column is contiguous), filled from
    the first slot."""
    level = np.full(left.size, -1, dtype=np.int8)
    agreed = np.full(left.size, -1, dtype=np.int64)
    first_a, first_b = slots[:, 0][left], slots[:, 0][right]
    both = np.flatnonzero((first_a >= 0) & (first_b >= 0))
    side_a, side_b = [first_a[both]], [first_b[both]]
    for i in range(1, slots.shape[1]):  # the later slots some of these rows use
        column = slots[:, i]
        for side, rows in ((side_a, left), (side_b, right)):
            values = column[rows[both]]
            if values.max(initial=-1) >= 0:
                side.append(values)
    best = np.full(both.size, np.iinfo(np.int64).max, dtype=np.int64)
    value = np.full(both.size, -1, dtype=np.int64)
    for a in side_a:
        for b in side_b:
            same = np.flatnonzero((a == b) & (a >= 0))
            rarer = same[counts[a[same]] < best[same]]  # of several, the rarest value
            best[rarer], value[rarer] = counts[a[rarer]], a[rarer]
    shared = value >= 0
    level[both] = shared
    agreed[both[shared]] = value[shared]
    return level, agreed


def _name_levels(features: Features, left, right, limits: list[float]):
    from rapidfuzz import fuzz
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    a, b = features.name[left], features.name[right]
    level = np.full(left.size, -1, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    same = both & (a == b)
    level[same] = 5
    differ = np.flatnonzero(both & ~same)
    if differ.size == 0:
        return level
    width = max(len(features.name_text), 1)
    pair_codes, inverse = np.unique(a[differ].astype(np.int64) * width + b[differ],
                                    return_inverse=True)
    x, y = pair_codes // width, pair_codes % width
    shared_x, shared_y = np.zeros(x.size, np.int64), np.zeros(x.size, np.int64)
    maybe = np.flatnonzero(features.name_signature[x] & features.name_signature[y])
    (owner_x, word_x), (owner_y, word_y) = _words(features, x[maybe]), _words(features, y[maybe])
    vocabulary = max(len(features.name_vocabulary), 1)
    key_x, key_y = owner_x * vocabulary + word_x, owner_y * vocabulary + word_y
    in_y, in_x = _within(key_x, key_y), _within(key_y, key_x)
    shared_x[maybe] = np.bincount(owner_x[in_y], minlength=maybe.size)
    shared_y[maybe] = np.bincount(owner_y[in_x], minlength=maybe.size)
    some = shared_x[maybe] > 0
    whole = np.flatnonzero(shared_x == 0)  # no shared word: the names compare whole
    rest_x, rest_y = np.empty(x.size, dtype=object), np.empty(x.size, dtype=object)
    rest_x[whole], rest_y[whole] = features.name_text[x[whole]], features.name_text[y[whole]]
    if some.any():  # set the shared words aside: the words of each not in the other
        rest_x[maybe[some]] = _rest(features, owner_x, word_x, in_y, some)
        rest_y[maybe[some]] = _rest(features, owner_y, word_y, in_x, some)
    score = 100.0 * cpdist(rest_x, rest_y, scorer=JaroWinkler.similarity, workers=1,
                           score_cutoff=min(limits) / 100.0)
    ratio = cpdist(rest_x, rest_y, scorer=fuzz.ratio, workers=1, score_cutoff=min(RATIO))
    distinct = np.where((score >= limits[0]) | (ratio >= RATIO[0]), 4,
                        np.where((score >= limits[1]) | (ratio >= RATIO[1]), 2, 0))
    distinct = np.where((distinct == 0) & (shared_x > 0), 1, distinct)  # a word shared
    ptr = features.name_ptr
    subset = (shared_x == ptr[x + 1] - ptr[x]) | (shared_y == ptr[y + 1] - ptr[y])
    distinct = np.where(subset, 3, distinct)
    numbers = features.name_digits[x] != features.name_digits[y]
    level[differ] = np.where(numbers, 0, distinct).astype(np.int8)[inverse]
    return level


def _words(features: Features, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index into ``codes``, word rank) of every match word of every name code."""
    ptr = features.name_ptr
    length = ptr[codes + 1] - ptr[codes]
    owner = np.repeat(np.arange(codes.size, dtype=np.int64), length)
    return owner, features.name_word[ranges(ptr[codes], length)].astype(np.int64)


def _within(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(keys, sorted_keys)`` for an ascending ``sorted_keys``, by binary search."""
    if sorted_keys.size == 0:
        return np.zeros(keys.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


def _rest(features: Features, owner, word, shared, pairs) -> np.ndarray:
    """Per pair in ``pairs`` (a mask): its side's distinct words the other lacks, joined."""
    keep = ~shared & pairs[owner]
    keep[1:] &= (word[1:] != word[:-1]) | (owner[1:] != owner[:-1])  # each word once
    picked = np.flatnonzero(pairs)
    slot = np.full(pairs.size, -1, dtype=np.int64)
    slot[picked] = np.arange(picked.size)
    text = joined(slot[owner[keep]], features.name_vocabulary.take(pa.array(word[keep])),
                  picked.size)
    return text.to_numpy(zero_copy_only=False)


def _graded(score: np.ndarray, limits: list[float]) -> np.ndarray:
    """Level per score: 0 below every limit, ``len(limits)`` at or above the first
    (``limits`` descending)."""
    return len(limits) - np.searchsorted(-np.asarray(limits), -score, side="left")


def _address_levels(features: Features, left, right, limits: list[float]) -> np.ndarray:
    from rapidfuzz.distance import JaroWinkler

    a, b = features.address[left], features.address[right]
    level = np.full(left.size, -1, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    level[both & (a == b)] = len(limits) + 1
    differ = np.flatnonzero(both & (a != b))
    if differ.size:
        # Jaro-Winkler on the words as written (a typo early in the text costs most)
        score = 100.0 * _distinct_scores(a[differ], b[differ], features.address_words,
                                         JaroWinkler.similarity, cutoff=min(limits) / 100.0)
        level[differ] = _graded(score, limits)
    return level
