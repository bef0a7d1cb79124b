"""De-duplicate: decide which input rows describe the same organisation.

Contract: ``resolve(frame, profile)`` returns a ``Resolution``: one cluster label per row
(the smallest row index of its cluster), the deciding links of every merged cluster with
their evidence (fields compared, levels, weight, probability), the pairs nearest the
threshold on either side, and the learned model. Steps, one module each: ``features``
(evidence per row) -> ``candidates`` (blocking) -> ``comparisons`` (levels per field) ->
``weights`` (Fellegi-Sunter, m/u learned from the data) -> ``clustering`` (no chaining).
``name_key`` (suffix-stripped lower-case name) also gives records their stable ids.
Reviewers' decisions (``decisions``) are honoured around clustering: decided pairs leave
the scored pairs, cannot-links split clusters, must-links join them.

Pitfalls: ``resolve`` adds the ``NAME_KEY`` column the merge reuses. The threshold is a
match probability (``dedupe.match_probability``) turned into a weight once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotpass.profiles.model import Profile
from hotpass.refine.heap import release_free_memory
from hotpass.refine.model import NAME_KEY
from hotpass.refine.resolve.names import name_key, name_keys
from hotpass.refine.resolve.textcodes import system_pool

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


def resolve(frame, profile: Profile, seed: int = 0, decisions: list | None = None
            ) -> Resolution:
    """``decisions``: reviewers' must-link / cannot-link pairs (``resolve.decisions``)."""
    from hotpass.refine.resolve.clustering import link
    from hotpass.refine.resolve.decisions import Honour, with_records
    from hotpass.refine.resolve.explain import Explainer

    spec = profile.dedupe
    left, right, weight, compared, model = scored_pairs(frame, profile, seed)
    levels = compared.levels
    del compared  # the evidence text below needs its memory
    threshold = float(np.log2(spec.match_probability / (1 - spec.match_probability)))
    honour = Honour(frame, decisions or [])
    left, right, weight, levels = honour.without_decided(left, right, weight, levels)
    labels, accepted = link(len(frame), left, right, weight, threshold, spec.cohesion)
    labels, accepted = honour.apart(labels, accepted, left, right, weight, threshold)
    release_free_memory()  # scoring's and clustering's garbage, before the evidence texts
    explain = Explainer(frame, left, right, weight, levels)
    chosen = np.flatnonzero(accepted)
    evidence = explain.by_cluster(chosen, labels[left[chosen]])
    labels, evidence = honour.finish(labels, evidence)
    near = {"merged": explain.pairs(_first(chosen, weight[chosen]), names=True),
            "not_merged": explain.pairs(_nearest_apart(labels, left, right, weight,
                                                       threshold), names=True)}
    near = with_records(frame, near)
    summary = model.to_dict() | {
        "threshold_probability": spec.match_probability, "threshold_weight": round(threshold, 3),
        "pairs_above_threshold": int((weight >= threshold).sum()),
        "links_accepted": int(accepted.sum()), "review_decisions": honour.summary()}
    return Resolution(labels, evidence, near, summary)


def scored_pairs(frame, profile: Profile, seed: int = 0):
    """``(left, right, weight, compared, model)`` of every candidate pair; adds the
    ``NAME_KEY`` column. The features are freed before returning."""
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    from hotpass.refine.resolve.candidates import candidate_pairs
    from hotpass.refine.resolve.comparisons import compare
    from hotpass.refine.resolve.features import build_features
    from hotpass.refine.resolve.weights import estimate, sample_levels, score

    spec = profile.dedupe
    with system_pool():
        features = build_features(frame, profile)
    release_free_memory()  # the features' garbage: some 150 MB at 200,000 rows
    frame[NAME_KEY] = pd.Series(features.name_key, index=frame.index, dtype=object)
    left, right = candidate_pairs(features, spec.max_block)
    release_free_memory()  # the blocking keys' pairs: some 300 MB at 1,000,000 rows
    with ThreadPoolExecutor(1) as pool:  # random pairs compare beside the candidate pairs
        sample = pool.submit(sample_levels, features, left, right, spec.levels, seed)
        compared = compare(features, left, right, spec.levels)
        release_free_memory()  # the chunks' garbage, before the model's patterns
        model = estimate(features, compared, sample.result())
    return left, right, score(model, features, left, right, compared), compared, model


def _nearest_apart(labels: np.ndarray, left: np.ndarray, right: np.ndarray,
                   weight: np.ndarray, threshold: float, chunk: int = 1 << 20) -> list[int]:
    """The pairs under the threshold whose rows ended in different records (other links
    may join a pair's rows), the highest weights first (``_first``): ``chunk`` pairs at a
    time, each chunk's own first ones kept (the first of all are among them), so no mask,
    index and key arrays the size of all the pairs are held at once."""
    kept: list[int] = []
    for start in range(0, left.size, chunk):
        part = slice(start, start + chunk)
        below = np.flatnonzero((weight[part] < threshold)
                               & (labels[left[part]] != labels[right[part]])) + start
        kept += _first(below, -weight[below])
    found = np.asarray(kept, dtype=np.int64)
    return _first(found, -weight[found])


def _first(indices: np.ndarray, keys: np.ndarray, count: int = NEAR_THRESHOLD) -> list[int]:
    """The ``count`` of ``indices`` (ascending) with the smallest ``keys``, ties in index
    order: a partition, then a sort of the few left, not of all the pairs."""
    if keys.size > count:
        keep = keys <= np.partition(keys, count - 1)[count - 1]
        indices, keys = indices[keep], keys[keep]
    return indices[np.argsort(keys, kind="stable")][:count].tolist()
