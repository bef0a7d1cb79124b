"""Which sheets hold a child sheet's key values: one index over every candidate parent's
key values, so looking for links costs what the child's values match, not sheet pairs
times rows.

Contract: ``clean_keys(series)`` is how keys compare: spaces removed, upper case ("org-7 "
= "ORG-7"). ``KeyIndex(columns)`` indexes the distinct values of each cleaned, NA-free
column given (one per candidate parent key); ``shares(values)`` returns, for a child's
cleaned, NA-free values, the share of them found in each indexed column (floats, one per
column in the order given; all 0 for no values), exactly ``values.isin(column).mean()``.

Pitfalls: the cleaning is Python's (``re``'s ``\\s``, ``str.upper``), not Arrow's kernels,
whose whitespace class and upper-casing differ on non-ASCII text. The index is built
once, so the parents' key values must not change while it is used (linking fills other
columns than the keys).
"""

from __future__ import annotations

import numpy as np


def clean_keys(series):
    return series.astype("string").str.replace(r"\s+", "", regex=True).str.upper()


class KeyIndex:
    def __init__(self, columns: list) -> None:
        import pandas as pd

        distinct = [pd.unique(column.to_numpy(dtype=object)) for column in columns]
        values = np.concatenate(distinct) if distinct else np.empty(0, dtype=object)
        codes, vocabulary = pd.factorize(values)
        order = np.argsort(codes, kind="stable")
        self._columns = len(columns)
        self._vocabulary = pd.Index(vocabulary, dtype=object)
        # CSR: the columns holding value code c are _holder[_start[c]:_start[c + 1]]
        self._holder = np.repeat(np.arange(len(columns)), [d.size for d in distinct])[order]
        self._start = np.searchsorted(codes[order], np.arange(len(vocabulary) + 1))

    def shares(self, values) -> np.ndarray:
        if not len(values):
            return np.zeros(self._columns)
        codes = self._vocabulary.get_indexer(values.to_numpy(dtype=object))
        found, counts = np.unique(codes[codes >= 0], return_counts=True)
        starts, lengths = self._start[found], np.diff(self._start)[found]
        entries = (np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                   + np.arange(lengths.sum()))
        matched = np.bincount(self._holder[entries], weights=np.repeat(counts, lengths),
                              minlength=self._columns)
        return matched / len(values)
