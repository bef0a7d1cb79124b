"""Evidence of scored row pairs, for people: the two source rows, the level per field
compared, the match weight and probability.

Contract: ``Explainer(frame, left, right, weight, levels)``; ``pairs(indices, names)``
returns one dict per pair (the review lists nearest the threshold); ``by_cluster(indices,
clusters)`` returns, per cluster, the JSON list of its pairs' dicts (the Provenance
``match_evidence``), the same text ``json.dumps(..., ensure_ascii=False)`` gives.

Pitfalls: a merge of thousands of clusters must not cost a ``json.dumps`` per cluster:
the levels object is rendered once per distinct level pattern and each entry is
assembled from strings. Weights are finite (m and u are smoothed away from 0), so
``repr`` renders them as JSON does.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

import numpy as np

from hotpass.refine.comparisons import FIELDS, LEVELS, pattern_codes
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET


class Explainer:
    def __init__(self, frame, left, right, weight, levels) -> None:
        self.left, self.right, self.weight, self.levels = left, right, weight, levels
        self.sources = [frame[c].to_numpy(dtype=object) for c in (SOURCE_FILE, SOURCE_SHEET)]
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

    def by_cluster(self, indices: np.ndarray, clusters: np.ndarray) -> dict[int, str]:
        if not indices.size:
            return {}
        cites_a = [encode_basestring(c) for c in self._cites(self.left[indices])]
        cites_b = [encode_basestring(c) for c in self._cites(self.right[indices])]
        chances, weights = self._figures(indices)
        levels = self.levels[indices]
        _, first, inverse = np.unique(pattern_codes(levels), return_index=True,
                                      return_inverse=True)
        patterns = levels[first]
        rendered = [json.dumps(_levels(row), ensure_ascii=False) for row in patterns.tolist()]
        entries = [f'{{"rows": [{a}, {b}], "probability": {p!r}, "weight": {w!r}, '
                   f'"levels": {rendered[i]}}}'
                   for a, b, p, w, i in zip(cites_a, cites_b, chances, weights,
                                            inverse.tolist(), strict=True)]
        order = np.argsort(clusters, kind="stable")  # a cluster's links in pair order
        grouped = clusters[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        ends = np.r_[starts[1:], grouped.size]
        order = order.tolist()
        return {cluster: "[" + ", ".join(entries[k] for k in order[s:e]) + "]"
                for cluster, s, e in zip(grouped[starts].tolist(), starts.tolist(),
                                         ends.tolist(), strict=True)}

    def _cites(self, rows: np.ndarray) -> list[str]:
        files, sheets = (s[rows].tolist() for s in self.sources)
        return [f"{f}|{s}|{r}" for f, s, r in zip(files, sheets, self.rows[rows].tolist(),
                                                  strict=True)]

    def _figures(self, at: np.ndarray) -> tuple[list[float], list[float]]:
        from hotpass.refine.weights import probability

        weights = self.weight[at]
        return np.round(probability(weights), 6).tolist(), np.round(weights, 3).tolist()


def _levels(level_row: list[int]) -> dict[str, str]:
    return {f: LEVELS[f][lvl] for f, lvl in zip(FIELDS, level_row, strict=True) if lvl >= 0}
