"""Candidate pairs: rows worth comparing, from several blocking keys so that one corrupted
field never hides a pair.

Contract: ``candidate_pairs(features, max_block)`` returns ``(left, right)`` int64 arrays
of distinct row pairs, ``left < right``, sorted. Keys: the name match key (sorted words),
its phonetic key, its first two words (a word dropped later in the name keeps them), the
words' first three letters and their last three letters (a typo
anywhere, even in a first letter, spares one of the two in all but the shortest words,
and the phonetic key often covers those), each phone, e-mail address and
organisation domain, the registration id, the address and the postcode.

Pitfalls: a key held by more than ``max_block`` rows is too common to say anything (a
group switchboard, a head-office postcode) and would cost quadratic time: it is skipped,
so the number of pairs stays within ``rows * keys * max_block / 2``. Pairs are generated
per block size with ``np.triu_indices``, never in a Python loop over rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hotpass.refine.features import Features
from hotpass.refine.textcodes import THREADS, distinct


def candidate_pairs(features: Features, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    n = features.size
    rows = np.arange(n, dtype=np.int64)
    keys: list[tuple[np.ndarray, np.ndarray]] = [
        (rows, features.name), (rows, features.phonetic), (rows, features.lead),
        (rows, features.heads),
        (rows, features.tails),
        (rows, features.registration), (rows, features.address), (rows, features.postcode)]
    for slots in (features.phone, features.email, features.domain):
        keys.extend((rows, slots[:, s]) for s in range(slots.shape[1]))
    with ThreadPoolExecutor(THREADS) as pool:  # numpy's sorts release the GIL
        found = [np.empty(0, dtype=np.int64),
                 *pool.map(lambda key: _block_pairs(*key, n, max_block), keys)]
    encoded = distinct(np.concatenate(found))
    return encoded // n, encoded % n


def _block_pairs(rows: np.ndarray, codes: np.ndarray, n: int, max_block: int) -> np.ndarray:
    """Encoded pairs ``a * n + b`` (a < b) of rows sharing a code, blocks of 2..max_block."""
    keep = codes >= 0
    rows, codes = rows[keep], codes[keep]
    if rows.size < 2:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(codes, kind="stable")  # rows ascend already
    rows, codes = rows[order], codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, codes.size])
    out = []
    for size in np.flatnonzero(np.bincount(sizes[(sizes >= 2) & (sizes <= max_block)])).tolist():
        first = starts[sizes == size]
        members = rows[first[:, None] + np.arange(size)]  # (blocks, size), rows ascending
        left, right = np.triu_indices(size, k=1)
        a, b = members[:, left].ravel(), members[:, right].ravel()
        distinct = a != b  # one row can hold a value twice (two slots)
        out.append(a[distinct] * n + b[distinct])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
