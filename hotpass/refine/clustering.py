"""Clusters from scored pairs, without chaining.

Contract: ``link(size, left, right, weight, threshold, cohesion)`` links pairs whose match
weight is at or above ``threshold`` in descending weight order (ties: row order) and
returns ``(labels, accepted)``: a cluster label per row (its smallest row index) and a mask
of the pairs that joined two clusters (the deciding links). Two clusters join only when
the matching pairs between them number at least ``cohesion`` times the pairs they could
form (``|A| * |B|``): a single weak link can add a row to a pair but never glue two
larger clusters or grow a chain one row at a time (A-B, B-C, C-D never makes one cluster
of four unless enough of the other pairs match too).

Pitfalls: the loop is Python but runs only over above-threshold pairs that touch a third
row (a pair alone is a cluster of two without it); counts of links between clusters are
merged small-into-large, so the cost stays near-linear.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def link(size: int, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
         threshold: float, cohesion: float) -> tuple[np.ndarray, np.ndarray]:
    accepted = np.zeros(left.size, dtype=bool)
    candidates = np.flatnonzero(weight >= threshold)
    # a pair whose rows are in no other matching pair is a cluster of two on its own: the
    # loop would accept it (cohesion <= 1) and nothing else can reach it
    degree = (np.bincount(left[candidates], minlength=size)
              + np.bincount(right[candidates], minlength=size))
    lone = (degree[left[candidates]] == 1) & (degree[right[candidates]] == 1)
    pairs = candidates[lone]
    accepted[pairs] = True
    candidates = candidates[~lone]
    order = candidates[np.lexsort((right[candidates], left[candidates], -weight[candidates]))]
    parent = list(range(size))
    members = [1] * size
    between: dict[int, Counter] = {}
    for a, b in zip(left[order].tolist(), right[order].tolist(), strict=True):
        between.setdefault(a, Counter())[b] += 1
        between.setdefault(b, Counter())[a] += 1

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for index, a, b in zip(order.tolist(), left[order].tolist(), right[order].tolist(),
                           strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        links = between[ra][rb]
        if links < cohesion * members[ra] * members[rb]:
            continue
        if members[ra] < members[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] += members[rb]
        accepted[index] = True
        moved = between.pop(rb)
        target = between[ra]
        del target[rb]
        for other, count in moved.items():
            if other == ra:
                continue
            target[other] += count
            neighbour = between[other]
            neighbour[ra] += neighbour.pop(rb)
    roots = np.arange(size, dtype=np.int64)
    touched = np.unique(np.r_[left[order], right[order]]).tolist()
    roots[touched] = [find(x) for x in touched]
    roots[right[pairs]] = left[pairs]
    return smallest_member(roots), accepted


def smallest_member(roots: np.ndarray) -> np.ndarray:
    """Relabel clusters by their smallest row index (stable across runs)."""
    first = np.full(roots.size, roots.size, dtype=np.int64)
    np.minimum.at(first, roots, np.arange(roots.size, dtype=np.int64))
    return first[roots]
