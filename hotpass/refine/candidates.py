"""Candidate pairs: rows worth comparing, from several blocking keys so that one corrupted
field never hides a pair.

Contract: ``candidate_pairs(features, max_block)`` returns ``(left, right)`` int64 arrays
of distinct row pairs, ``left < right``, sorted. Keys: the name match key (sorted words),
its phonetic key, the words' first and last three letters (a typo in a long word spares
one of them), every pair of words of the name (a typo in one word, even the first
letter, leaves the pairs of the other words intact), each phone, e-mail address and
organisation domain, the registration id, the address and the postcode.

Pitfalls: a key held by more than ``max_block`` rows is too common to say anything (a
group switchboard, a head-office postcode) and would cost quadratic time: it is skipped,
so the number of pairs stays within ``rows * keys * max_block / 2``. Pairs are generated
per block size with ``np.triu_indices``, never in a Python loop over rows.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from hotpass.refine.features import Features


def candidate_pairs(features: Features, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    n = features.size
    rows = np.arange(n, dtype=np.int64)
    keys: list[tuple[np.ndarray, np.ndarray]] = [
        (rows, features.name), (rows, features.phonetic), (rows, features.heads),
        (rows, features.tails), _word_pairs(features),
        (rows, features.registration), (rows, features.address), (rows, features.postcode)]
    for slots in (features.phone, features.email, features.domain):
        keys.extend((rows, slots[:, s]) for s in range(slots.shape[1]))
    found = [np.empty(0, dtype=np.int64)]
    for key_rows, codes in keys:
        found.append(_block_pairs(key_rows, codes, n, max_block))
    encoded = np.unique(np.concatenate(found))
    return encoded // n, encoded % n


def _word_pairs(features: Features) -> tuple[np.ndarray, np.ndarray]:
    """(row, code) for every pair of words of each row's name (one-word names: the word)."""
    import pandas as pd

    owners, words = [], []
    for code, tokens in enumerate(features.name_tokens):
        ordered = sorted(tokens)
        pairs = [" ".join(p) for p in combinations(ordered, 2)] if len(ordered) > 1 else ordered
        owners.extend([code] * len(pairs))
        words.extend(pairs)
    if not words:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pair_codes, _ = pd.factorize(pd.Series(words, dtype=object))
    by_name = pd.DataFrame({"name": np.asarray(owners, dtype=np.int64), "key": pair_codes})
    named = np.flatnonzero(features.name >= 0)
    exploded = pd.DataFrame({"row": named, "name": features.name[named]}).merge(by_name,
                                                                               on="name")
    return exploded["row"].to_numpy(np.int64), exploded["key"].to_numpy(np.int64)


def _block_pairs(rows: np.ndarray, codes: np.ndarray, n: int, max_block: int) -> np.ndarray:
    """Encoded pairs ``a * n + b`` (a < b) of rows sharing a code, blocks of 2..max_block."""
    keep = codes >= 0
    rows, codes = rows[keep], codes[keep]
    if rows.size < 2:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((rows, codes))
    rows, codes = rows[order], codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, codes.size])
    out = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]).tolist():
        first = starts[sizes == size]
        members = rows[first[:, None] + np.arange(size)]  # (blocks, size), rows ascending
        left, right = np.triu_indices(size, k=1)
        a, b = members[:, left].ravel(), members[:, right].ravel()
        distinct = a != b  # one row can hold a value twice (two slots)
        out.append(a[distinct] * n + b[distinct])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
