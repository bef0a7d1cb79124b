"""Calibration check: does a pair the model gives probability p match about p of the time?

Contract: ``calibration_bands(frame, truth, profile)`` scores every candidate pair of
refine's combined records (``resolve.dedupe.scored_pairs``) and returns ``(bands,
blocking)``: one entry per band of match probability (``BANDS``): the pairs in it, their
mean predicted probability and the share that truly match (``truth``: (file, sheet, row)
-> entity); ``blocking``: the pairs completeness of the blocking alone (the share of the
true pairs that are candidate pairs at all: the recall no score can exceed).

Pitfalls: only candidate pairs are scored (the others are never compared); a band with no
pairs reports 0 for both figures. Rows missing from ``truth`` count as their own entity.
"""

from __future__ import annotations

from typing import Any

BANDS = (0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0)


def calibration_bands(frame, truth: dict, profile_name: str
                      ) -> tuple[list[dict[str, Any]], float]:
    import numpy as np

    from hotpass.profiles import load_profile
    from hotpass.refine.resolve.dedupe import scored_pairs
    from hotpass.refine.resolve.explain import probability

    keys = zip(frame["__source_file"], frame["__source_sheet"],
               frame["__source_row"].astype(int), strict=True)
    entity = np.array([truth.get(key, -1 - i) for i, key in enumerate(keys)], dtype=np.int64)
    left, right, weight, _, _ = scored_pairs(frame, load_profile(profile_name))
    predicted = probability(weight)
    matched = entity[left] == entity[right]
    bands = []
    for low, high in zip(BANDS[:-1], BANDS[1:], strict=True):
        inside = (predicted >= low) & ((predicted < high) if high < 1.0 else (predicted <= high))
        count = int(inside.sum())
        bands.append({"low": low, "high": high, "pairs": count,
                      "predicted": round(float(predicted[inside].mean()), 4) if count else 0.0,
                      "observed": round(float(matched[inside].mean()), 4) if count else 0.0})
    held = np.unique(entity, return_counts=True)[1]
    true_pairs = int((held * (held - 1) // 2).sum())
    return bands, round(float(matched.sum()) / true_pairs, 4) if true_pairs else 1.0
