"""Candidate pairs: rows worth comparing, from several blocking keys so that one corrupted
field never hides a pair.

Contract: ``candidate_pairs(features, max_block)`` returns ``(left, right)`` arrays of
distinct row pairs, ``left < right``, sorted: int32 (int64 past 2**31 rows), half the
memory of the pairs held through the resolution; code that multiplies a row index (pair
codes ``left * n + right``) widens it to int64 first. Keys: the name match key (sorted words),
its phonetic key, its first two words (a word dropped later in the name keeps them), the
words' first three letters and their last three letters (a typo
anywhere, even in a first letter, spares one of the two in all but the shortest words,
and the phonetic key often covers those), each phone, e-mail address and
organisation domain, the registration id, the address and the postcode.

Pitfalls: a key held by more than ``max_block`` rows is too common to say anything (a
group switchboard, a head-office postcode) and would cost quadratic time: it is skipped,
so the number of pairs stays within ``rows * keys * max_block / 2``. Pairs are generated
per block size with ``np.triu_indices``, never in a Python loop over rows. The keys' pairs
(millions, a pair found by several keys) are merged in one array sorted in place, the
keys' own arrays freed first: no third copy at the resolution's peak.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hotpass.refine.resolve.features import Features
from hotpass.refine.resolve.textcodes import THREADS

LEAD_BLOCK = 10  # rows one address's first two words may join: "40 main" is many streets


def candidate_pairs(features: Features, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    n = features.size
    name = features.name
    # (codes, name codes or None): keys that are functions of the name's words (phonetic,
    # heads, tails) skip pairs with one name: the name key's own block holds those (same
    # words, same key: its blocks are within theirs, so it is never the larger one skipped)
    keys: list[tuple[np.ndarray, np.ndarray | None]] = [
        (name, None), (features.phonetic, name), (features.lead, None),
        (features.heads, name), (features.tails, name),
        (features.registration, None), (features.address, None),
        (features.address_lead, features.address), (features.postcode, None)]
    for slots in (features.phone, features.email, features.domain):
        keys.extend((slots[:, s], None) for s in range(slots.shape[1]))
    caps = [LEAD_BLOCK if codes is features.address_lead else max_block for codes, _ in keys]
    with ThreadPoolExecutor(THREADS) as pool:  # numpy's sorts release the GIL
        found = [np.empty(0, dtype=np.int64),
                 *pool.map(lambda key, cap: np.sort(_block_pairs(*key, n, cap)), keys, caps)]
    encoded = np.concatenate(found)
    del found  # the keys' own arrays: the copy above holds their pairs
    encoded.sort(kind="stable")  # in place, merging the sorted runs end to end
    if encoded.size:
        encoded = encoded[np.r_[True, encoded[1:] != encoded[:-1]]]
    index = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    right = (encoded % n).astype(index)
    encoded //= n  # in place: the left rows, no third array the size of all the pairs
    return encoded.astype(index), right


def _block_pairs(codes: np.ndarray, name: np.ndarray | None, n: int,
                 max_block: int) -> np.ndarray:
    """Encoded pairs ``a * n + b`` (a < b) of rows sharing a code, blocks of 2..max_block;
    with ``name``, pairs of rows with one name code left out."""
    rows = np.flatnonzero(codes >= 0)
    codes = codes[rows]
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
        keep = a != b  # one row can hold a value twice (two slots)
        if name is not None:
            keep &= name[a] != name[b]  # (rows without a name hold none of these keys)
        out.append(a[keep] * n + b[keep])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
