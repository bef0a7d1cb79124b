"""Clusters from scored pairs, without chaining.

Contract: ``link(size, left, right, weight, threshold, cohesion)`` links pairs whose match
weight is at or above ``threshold`` in descending weight order (ties: row order) and
returns ``(labels, accepted)``: a cluster label per row (its smallest row index) and a mask
of the pairs that joined two clusters (the deciding links). Two clusters join only when
the matching pairs between them number at least ``cohesion`` times the pairs they could
form (``|A| * |B|``): a single weak link can add a row to a pair but never glue two
larger clusters or grow a chain one row at a time (A-B, B-C, C-D never makes one cluster
of four unless enough of the other pairs match too).

Pitfalls: the loops are Python but run only over above-threshold pairs. Where every two
rows of a connected group match (most groups: the same organisation in each file) every
join passes the cohesion check, so plain union-find decides there; elsewhere the counts
of links between clusters are merged small-into-large, so the cost stays near-linear.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from hotpass.refine.textcodes import distinct


def link(size: int, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
         threshold: float, cohesion: float) -> tuple[np.ndarray, np.ndarray]:
    accepted = np.zeros(left.size, dtype=bool)
    candidates = np.flatnonzero(weight >= threshold)
    order = candidates[np.lexsort((right[candidates], left[candidates], -weight[candidates]))]
    a_rows, b_rows = left[order], right[order]
    complete = _complete(size, a_rows, b_rows)
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    joined = []
    for index, a, b in zip(order[complete].tolist(), a_rows[complete].tolist(),
                           b_rows[complete].tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
            joined.append(index)
    accepted[joined] = True
    guarded = ~complete
    _guarded(order[guarded], a_rows[guarded], b_rows[guarded], parent, find, cohesion,
             accepted)
    roots = np.arange(size, dtype=np.int64)
    touched = distinct(np.r_[a_rows, b_rows]).tolist()
    roots[touched] = [find(x) for x in touched]
    return smallest_member(roots), accepted


def _complete(size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair: is it in a component (of the matching pairs) where every two rows match?
    There every join passes the cohesion check, so plain union-find decides."""
    if a.size == 0 or (a == b).any() or distinct(
            np.minimum(a, b).astype(np.int64) * size + np.maximum(a, b)).size < a.size:
        return np.zeros(a.size, dtype=bool)  # repeated pairs: counting edges proves nothing
    label = np.arange(size)
    while True:  # label propagation: each row ends with the smallest row it reaches
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    rows = np.bincount(label, minlength=size)
    edges = np.bincount(label[a], minlength=size)
    return (edges == rows * (rows - 1) // 2)[label[a]]


def _guarded(order, a_rows, b_rows, parent, find, cohesion: float, accepted) -> None:
    """Union in weight order, joining two clusters only when enough pairs between them
    match (the links between clusters are counted, merged small-into-large)."""
    members: dict[int, int] = {}
    between: dict[int, Counter] = {}
    for a, b in zip(a_rows.tolist(), b_rows.tolist(), strict=True):
        between.setdefault(a, Counter())[b] += 1
        between.setdefault(b, Counter())[a] += 1
    for index, a, b in zip(order.tolist(), a_rows.tolist(), b_rows.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        size_a, size_b = members.get(ra, 1), members.get(rb, 1)
        if between[ra][rb] < cohesion * size_a * size_b:
            continue
        if size_a < size_b:
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] = size_a + size_b
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


def smallest_member(roots: np.ndarray) -> np.ndarray:
    """Relabel clusters by their smallest row index (stable across runs)."""
    first = np.full(roots.size, roots.size, dtype=np.int64)
    np.minimum.at(first, roots, np.arange(roots.size, dtype=np.int64))
    return first[roots]
