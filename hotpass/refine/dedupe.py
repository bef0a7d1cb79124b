"""De-duplicate: decide which input rows describe the same organisation.

Contract: ``cluster_rows(frame, profile)`` returns one integer cluster label per row.
Rows join a cluster when they share an exact key (normalised name, website domain,
registration id) or when their names are fuzzy matches (rapidfuzz ``ratio`` at or above
``dedupe.name_threshold``) inside a block. Labels are made transitive with connected
components over the match graph.

Pitfalls: fuzzy matching runs on distinct name keys, not rows, and only inside blocks
(two keys per name: the start of the first two words, the end of the last two), so a
single typo anywhere still shares one block. Names whose digits differ never fuzzy-match
("Hangar 3" vs "Hangar 8"). Domains in ``dedupe.shared_domains`` (facebook.com) are no
evidence. Very large blocks are split by length so comparisons stay near-linear.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from hotpass.profiles import Profile

MAX_BLOCK = 1500
NAME_KEY = "__name_key"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def name_key(name: str | None, suffixes: list[str] | tuple[str, ...]) -> str:
    """Lower-case ASCII words without punctuation or trailing legal suffixes."""
    if not isinstance(name, str) or not name:
        return ""
    return _name_key(name, _suffix_words(tuple(suffixes)))


def name_keys(names, suffixes: list[str]):
    """``name_key`` for a Series, computed once per distinct name."""
    import pandas as pd

    suffix_words = _suffix_words(tuple(suffixes))
    distinct = {n: _name_key(n, suffix_words) for n in names.dropna().unique()}
    return pd.Series([distinct.get(n, "") for n in names], index=names.index, dtype=object)


@lru_cache(maxsize=64)
def _suffix_words(suffixes: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    plain = (re.sub(r"[^a-z0-9]+", " ", s.lower()).split() for s in suffixes if s.strip())
    return tuple(sorted((tuple(words) for words in plain), key=len, reverse=True))


@lru_cache(maxsize=64)
def _suffix_endings(suffix_words: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    """Last words of the suffixes: most names end otherwise and skip the suffix loop."""
    return frozenset(words[-1] for words in suffix_words if words)


def _name_key(name: str, suffix_words: tuple[tuple[str, ...], ...]) -> str:
    text = name if name.isascii() else (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    text = text.lower()
    text = text.replace("&", " and ")
    words = _NON_ALNUM.sub(" ", text).split()
    endings = _suffix_endings(suffix_words)
    stripped = True
    while stripped and len(words) > 1 and words[-1] in endings:
        stripped = False
        for suffix in suffix_words:
            if len(words) > len(suffix) and tuple(words[-len(suffix):]) == suffix:
                words = words[: -len(suffix)]
                stripped = True
                break
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    return " ".join(words)


def cluster_rows(frame, profile: Profile) -> np.ndarray:
    """Cluster label per row; adds the ``NAME_KEY`` column the merge reuses."""
    import pandas as pd

    names = frame.get("organization_name", pd.Series(None, index=frame.index, dtype=object))
    frame[NAME_KEY] = name_keys(names, profile.dedupe.legal_suffixes)
    size = len(frame)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    spec = profile.dedupe
    keys = frame[NAME_KEY]
    edges = [_exact_edges(keys.where(keys != "", None))]
    if "website" in frame:
        shared = {f"https://{d.lower()}" for d in spec.shared_domains}
        edges.append(_exact_edges(frame["website"].where(~frame["website"].isin(shared), None)))
    if "registration_id" in frame:
        reg = pd.Series([re.sub(r"[^A-Z0-9]", "", v.upper()) if v else None
                         for v in frame["registration_id"]], index=frame.index, dtype=object)
        edges.append(_exact_edges(reg.where(reg != "", None)))
    edges.append(_fuzzy_edges(keys, spec.name_threshold))
    return connected_components(size, np.concatenate(edges, axis=1))


def _exact_edges(values) -> np.ndarray:
    """Edges linking every row to the first row holding the same non-null value."""
    import pandas as pd

    codes, _ = pd.factorize(values, use_na_sentinel=True)
    rows = np.flatnonzero(codes >= 0)
    if rows.size == 0:
        return np.empty((2, 0), dtype=np.int64)
    codes = codes[rows]
    first = np.full(codes.max() + 1, -1, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    first[sorted_codes[starts]] = rows[order][starts]
    return np.vstack([rows, first[codes]])


def _fuzzy_edges(keys, threshold: float) -> np.ndarray:
    import pandas as pd

    codes, uniques = pd.factorize(keys)
    representative = np.full(len(uniques), -1, dtype=np.int64)
    positions = np.arange(len(codes))
    valid = codes >= 0
    representative[codes[valid][::-1]] = positions[valid][::-1]  # first row per key
    names = list(uniques)
    pairs = _similar_name_pairs(names, threshold)
    if not pairs:
        return np.empty((2, 0), dtype=np.int64)
    left, right = np.array(pairs, dtype=np.int64).T
    return np.vstack([representative[left], representative[right]])


def _similar_name_pairs(names: list[str], threshold: float) -> list[tuple[int, int]]:
    blocks: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        if len(name) < 4:
            continue
        for block in _block_keys(name):
            blocks.setdefault(block, []).append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        for chunk in _split_block(members, names):
            seen.update(_match_chunk(chunk, names, threshold))
    return sorted(seen)


def _block_keys(name: str) -> tuple[str, str]:
    words = name.split()
    head = words[0][:4] + "|" + (words[1][:2] if len(words) > 1 else "")
    tail = (words[-2][-2:] if len(words) > 1 else "") + "|" + words[-1][-4:]
    return "h:" + head, "t:" + tail


def _split_block(members: list[int], names: list[str]) -> list[list[int]]:
    if len(members) <= MAX_BLOCK:
        return [members]
    ordered = sorted(members, key=lambda i: (len(names[i]), names[i]))
    step = MAX_BLOCK // 2
    return [ordered[i : i + MAX_BLOCK] for i in range(0, len(ordered) - step, step)]


def _match_chunk(chunk: list[int], names: list[str], threshold: float):
    if len(chunk) <= 4:  # most blocks: a direct comparison beats cdist's setup
        for i, a in enumerate(chunk):
            for b in chunk[i + 1:]:
                if (fuzz.ratio(names[a], names[b], score_cutoff=threshold)
                        and _digits(names[a]) == _digits(names[b])):
                    yield (a, b) if a < b else (b, a)
        return
    texts = [names[i] for i in chunk]
    scores = cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8,
                   workers=1)
    rows, cols = np.nonzero(np.triu(scores, k=1))
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = chunk[r], chunk[c]
        if _digits(names[a]) == _digits(names[b]):
            yield (a, b) if a < b else (b, a)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def connected_components(size: int, edges: np.ndarray) -> np.ndarray:
    """Smallest row index of each row's component (min-label propagation)."""
    labels = np.arange(size, dtype=np.int64)
    if edges.size == 0:
        return labels
    a, b = edges
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]  # pointer jumping
        while not np.array_equal(labels, labels[labels]):
            labels = labels[labels]
        if np.array_equal(labels, before):
            return labels
