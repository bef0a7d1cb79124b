"""Which sheets hold a child sheet's key values: one index over every candidate parent's
key values, so looking for links costs what the child's values match, not sheet pairs
times rows.

Contract: ``clean_keys(series)`` is how keys compare: spaces removed, upper case ("org-7 "
= "ORG-7"). ``KeyIndex(columns)`` indexes the distinct values of each cleaned, NA-free
column given (one per candidate parent key); ``shares(values)`` returns, for a child's
cleaned, NA-free values, the share of them found in each indexed column (floats, one per
column in the order given; all 0 for no values), exactly ``values.isin(column).mean()``.

Pitfalls: spaces are what Python's ``re`` takes for ``\\s``: Arrow's kernel removes them
from ASCII texts with the same class spelled out, Python's ``re`` from the others (RE2's
``\\s`` differs); upper case is Arrow's, as pandas' ``str.upper`` gives it. The index is built
once, so the parents' key values must not change while it is used (linking fills other
columns than the keys).
"""

from __future__ import annotations

import re

import numpy as np

# Python's ``\s`` over ASCII (RE2's ``\s`` leaves out \v and \x1c-\x1f)
ASCII_SPACE = "[\t\n\x0b\x0c\r \x1c-\x1f]+"
SPACE = re.compile(r"\s+")


def clean_keys(series):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(series.astype("string").array)
    cleaned = pc.replace_substring_regex(text, ASCII_SPACE, "")
    ascii_only = pc.fill_null(pc.string_is_ascii(text), True).to_numpy(zero_copy_only=False)
    if not ascii_only.all():  # the others as Python's re sees them
        other = np.flatnonzero(~ascii_only)
        values = cleaned.to_numpy(zero_copy_only=False).astype(object)
        values[other] = [SPACE.sub("", v) for v in text.take(other).to_pylist()]
        cleaned = pa.array(values, type=text.type)
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pc.utf8_upper(cleaned)])),
                     index=series.index, name=series.name)


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
