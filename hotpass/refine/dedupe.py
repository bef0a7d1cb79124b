"""De-duplicate: decide which input rows describe the same organisation.

Contract: ``resolve(frame, profile)`` returns a ``Resolution``: one cluster label per row
(the smallest row index of its cluster), the deciding links of every merged cluster with
their evidence (fields compared, levels, weight, probability), the pairs nearest the
threshold on either side, and the learned model. Steps, one module each: ``features``
(evidence per row) -> ``candidates`` (blocking) -> ``comparisons`` (levels per field) ->
``weights`` (Fellegi-Sunter, m/u learned from the data) -> ``clustering`` (no chaining).
``name_key`` (suffix-stripped lower-case name) also gives records their stable ids.

Pitfalls: ``resolve`` adds the ``NAME_KEY`` column the merge reuses. The threshold is a
match probability (``dedupe.match_probability``) turned into a weight once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from hotpass.profiles import Profile
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.names import name_key, name_keys

NAME_KEY = "__name_key"
__all__ = ["NAME_KEY", "Resolution", "cluster_rows", "name_key", "name_keys", "resolve"]


NEAR_THRESHOLD = 20  # pairs listed on each side of the threshold for review


@dataclass
class Resolution:
    labels: np.ndarray
    evidence: dict[int, str]  # cluster label -> JSON list of its deciding links
    near_threshold: dict[str, list[dict]]  # "merged" / "not_merged" pairs nearest it
    model: dict  # learned m/u per field and level, prior, threshold, pair counts


def cluster_rows(frame, profile: Profile) -> np.ndarray:
    """Cluster label per row (``resolve(...).labels``)."""
    return resolve(frame, profile).labels


def resolve(frame, profile: Profile, seed: int = 0) -> Resolution:
    import pandas as pd

    from hotpass.refine.candidates import candidate_pairs
    from hotpass.refine.clustering import link
    from hotpass.refine.comparisons import compare
    from hotpass.refine.features import build_features
    from hotpass.refine.weights import estimate, score

    spec = profile.dedupe
    features = build_features(frame, profile)
    frame[NAME_KEY] = pd.Series(features.name_key, index=frame.index, dtype=object)
    left, right = candidate_pairs(features, spec.max_block)
    compared = compare(features, left, right, spec.levels)
    model = estimate(features, compared, spec.levels, seed)
    weight, _ = score(model, compared)
    threshold = float(np.log2(spec.match_probability / (1 - spec.match_probability)))
    labels, accepted = link(len(frame), left, right, weight, threshold, spec.cohesion)
    explain = _Explainer(frame, left, right, weight, compared.levels)
    evidence: dict[int, list[dict]] = {}
    chosen = np.flatnonzero(accepted)
    for cluster, entry in zip(labels[left[chosen]].tolist(), explain.pairs(chosen.tolist()),
                              strict=True):
        evidence.setdefault(cluster, []).append(entry)
    below = np.flatnonzero(weight < threshold)
    near = {"merged": explain.pairs(
                chosen[np.argsort(weight[chosen], kind="stable")][:NEAR_THRESHOLD].tolist(),
                names=True),
            "not_merged": explain.pairs(
                below[np.argsort(-weight[below], kind="stable")][:NEAR_THRESHOLD].tolist(),
                names=True)}
    summary = model.to_dict() | {
        "threshold_probability": spec.match_probability, "threshold_weight": round(threshold, 3),
        "pairs_above_threshold": int((weight >= threshold).sum()),
        "links_accepted": int(accepted.sum())}
    return Resolution(labels, {k: json.dumps(v, ensure_ascii=False) for k, v in evidence.items()},
                      near, summary)


class _Explainer:
    """Turns scored pairs into their evidence: rows cited, levels per field, weight."""

    def __init__(self, frame, left, right, weight, levels) -> None:
        from hotpass.refine.comparisons import FIELDS, LEVELS

        self.left, self.right, self.weight, self.levels = left, right, weight, levels
        self.fields = [(f, LEVELS[f]) for f in FIELDS]
        self.frame = frame
        self.names = frame.get("organization_name")

    def pairs(self, indices: list[int], names: bool = False) -> list[dict]:
        from hotpass.refine.weights import probability

        if not indices:
            return []
        at = np.asarray(indices, dtype=np.int64)
        a, b = self.left[at].tolist(), self.right[at].tolist()
        rows = self.frame.iloc[np.r_[self.left[at], self.right[at]]]
        cites = [f"{f}|{s}|{r}" for f, s, r in zip(
            rows[SOURCE_FILE], rows[SOURCE_SHEET], rows[SOURCE_ROW], strict=True)]
        weights = self.weight[at]
        chances = np.round(probability(weights), 6).tolist()
        out = []
        for k, (level_row, weight) in enumerate(zip(self.levels[at].tolist(),
                                                    np.round(weights, 3).tolist(),
                                                    strict=True)):
            entry = {"rows": [cites[k], cites[k + len(at)]], "probability": chances[k],
                     "weight": weight,
                     "levels": {f: labels[lvl] for (f, labels), lvl in
                                zip(self.fields, level_row, strict=True) if lvl >= 0}}
            if names and self.names is not None:
                entry["names"] = [self.names.iat[a[k]], self.names.iat[b[k]]]
            out.append(entry)
        return out
