"""Evidence of scored row pairs, for people: the two source rows, the level per field
compared, the match weight and probability.

Contract: ``Explainer(frame, left, right, weight, levels)``; ``pairs(indices, names)``
returns one dict per pair (the review lists nearest the threshold); ``by_cluster(indices,
clusters)`` returns, per cluster, the JSON list of its pairs' dicts (the Provenance
``match_evidence``), the same JSON ``json.dumps(..., ensure_ascii=False)`` gives.

Pitfalls: a merge of thousands of clusters must not cost a ``json.dumps`` per cluster:
the levels object is rendered once per distinct level pattern, files and sheets are
escaped once each, and the entries are assembled by pyarrow string kernels, whole
clusters ``CLUSTER_CHUNK`` links at a time (all at once, the Arrow texts and their lists
were the resolution's peak at 1,000,000 rows). Numbers are
Arrow's shortest round-trip text ("1e-06" may read "0.000001": the same JSON number).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.comparisons import FIELDS, LEVELS, pattern_codes

CLUSTER_CHUNK = 1 << 16  # links rendered at a time (their Arrow texts held together)


def probability(weight: np.ndarray) -> np.ndarray:
    """The match probability of a match weight (log2 of the odds)."""
    return 1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=np.float64)))


class Explainer:
    def __init__(self, frame, left, right, weight, levels) -> None:
        self.left, self.right, self.weight, self.levels = left, right, weight, levels
        self.sources = [frame[c].to_numpy(dtype=object) for c in (SOURCE_FILE, SOURCE_SHEET)]
        self._escaped: list[tuple[np.ndarray, pa.Array]] | None = None  # per source column
        self.rows = frame[SOURCE_ROW].to_numpy()
        self.names = frame.get("organization_name")

    def pairs(self, indices: list[int], names: bool = False) -> list[dict]:
        if not indices:
            return []
        at = np.asarray(indices, dtype=np.int64)
        cites_a, cites_b = self._cites(self.left[at]), self._cites(self.right[at])
        chances, weights = self._figures(at)
        out = []
        for k, level_row in enumerate(self.levels[at].tolist()):
            entry = {"rows": [cites_a[k], cites_b[k]], "probability": chances[k],
                     "weight": weights[k], "levels": _levels(level_row)}
            if names and self.names is not None:
                entry["names"] = [self.names.iat[self.left[at[k]]],
                                  self.names.iat[self.right[at[k]]]]
            out.append(entry)
        return out

    def by_cluster(self, indices: np.ndarray, clusters: np.ndarray,
                   chunk: int = CLUSTER_CHUNK) -> dict[int, str]:
        if not indices.size:
            return {}
        order = np.argsort(clusters, kind="stable")  # a cluster's links in pair order
        indices, grouped = indices[order], clusters[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        # whole clusters, about ``chunk`` links at a time: the texts of one chunk at once
        at = np.searchsorted(starts, np.arange(0, grouped.size, chunk))
        cuts = np.unique(starts[np.minimum(at, starts.size - 1)])
        evidence: dict[int, str] = {}
        for begin, end in zip(cuts.tolist(), np.r_[cuts[1:], grouped.size].tolist(),
                              strict=True):
            evidence.update(self._by_cluster(indices[begin:end], grouped[begin:end]))
        return evidence

    def _by_cluster(self, indices: np.ndarray, grouped: np.ndarray) -> dict[int, str]:
        """``by_cluster`` of links grouped by cluster already."""
        levels = self.levels[indices]
        _, first, inverse = np.unique(pattern_codes(levels), return_index=True,
                                      return_inverse=True)
        rendered = pa.array([json.dumps(_levels(row), ensure_ascii=False)
                             for row in levels[first].tolist()], type=pa.string())
        weights = self.weight[indices]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        opening, closing = np.zeros(grouped.size, np.int8), np.zeros(grouped.size, np.int8)
        opening[starts], closing[np.r_[starts[1:], grouped.size] - 1] = 1, 1
        # a cluster's first entry opens its list, its last closes it
        opens = pa.array(["", "["]).take(pa.array(opening))
        closes = pa.array(["", "]"]).take(pa.array(closing))
        entries = pc.binary_join_element_wise(
            opens, '{"rows": [', self._cite_texts(self.left[indices]), ", ",
            self._cite_texts(self.right[indices]), '], "probability": ',
            _numbers(np.round(probability(weights), 6)), ', "weight": ',
            _numbers(np.round(weights, 3)), ', "levels": ', rendered.take(pa.array(inverse)),
            "}", closes, "")
        offsets = pa.array(np.r_[starts, grouped.size].astype(np.int32))
        texts = pc.binary_join(pa.ListArray.from_arrays(offsets, entries), ", ")
        return dict(zip(grouped[starts].tolist(), texts.to_pylist(), strict=True))

    def _cite_texts(self, rows: np.ndarray) -> pa.Array:
        """JSON strings ``"file|sheet|row"`` (files and sheets escaped once each)."""
        import pandas as pd

        if self._escaped is None:
            self._escaped = []
            for values in self.sources:
                codes, distinct = pd.factorize(values)
                codes[codes < 0] = len(distinct)  # a missing file or sheet reads None
                escaped = [encode_basestring(str(v))[1:-1] for v in distinct] + ["None"]
                self._escaped.append((codes, pa.array(escaped, type=pa.string())))
        parts = [escaped.take(pa.array(codes[rows])) for codes, escaped in self._escaped]
        return pc.binary_join_element_wise('"', parts[0], "|", parts[1], "|",
                                           pc.cast(pa.array(self.rows[rows]), pa.string()),
                                           '"', "")

    def _cites(self, rows: np.ndarray) -> list[str]:
        files, sheets = (s[rows].tolist() for s in self.sources)
        return [f"{f}|{s}|{r}" for f, s, r in zip(files, sheets, self.rows[rows].tolist(),
                                                  strict=True)]

    def _figures(self, at: np.ndarray) -> tuple[list[float], list[float]]:
        weights = self.weight[at]
        return np.round(probability(weights), 6).tolist(), np.round(weights, 3).tolist()


def _numbers(values: np.ndarray) -> pa.Array:
    """JSON text of floats as Python writes them ("1.0", not Arrow's "1")."""
    text = pc.cast(pa.array(values), pa.string())
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e16)
    return pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)


def _levels(level_row: list[int]) -> dict[str, str]:
    return {f: LEVELS[f][lvl] for f, lvl in zip(FIELDS, level_row, strict=True) if lvl >= 0}
