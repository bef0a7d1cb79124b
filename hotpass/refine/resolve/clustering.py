"""Clusters from scored pairs, without chaining.

Contract: ``link(size, left, right, weight, threshold, cohesion)`` links pairs whose match
weight is at or above ``threshold`` in descending weight order (ties: row order) and
returns ``(labels, accepted)``: a cluster label per row (its smallest row index) and a mask
of the pairs that joined two clusters (the deciding links). Two clusters join only when
the matching pairs between them number at least ``cohesion`` times the pairs they could
form (``|A| * |B|``): a single weak link can add a row to a pair but never glue two
larger clusters or grow a chain one row at a time (A-B, B-C, C-D never makes one cluster
of four unless enough of the other pairs match too).

Pitfalls: where every two rows of a connected group match (most groups: the same
organisation once per file) every join passes the cohesion check, so the group is one
cluster and its deciding links are its Kruskal tree, found for all such groups at once in
numpy. Elsewhere a Python loop runs over the group's above-threshold pairs, the counts of
links between clusters merged small-into-large, so the cost stays near-linear.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from hotpass.refine.resolve.textcodes import distinct

EASY_PAIRS = 64  # larger groups take the loop: one numpy step per pair of the largest


def link(size: int, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
         threshold: float, cohesion: float) -> tuple[np.ndarray, np.ndarray]:
    accepted = np.zeros(left.size, dtype=bool)
    candidates = np.flatnonzero(weight >= threshold)
    a, b = left[candidates].astype(np.int64), right[candidates]
    if np.all(a[1:] * size + b[1:] > a[:-1] * size + b[:-1]):  # in pair order already
        order = candidates[np.argsort(-weight[candidates], kind="stable")]
    else:
        order = candidates[np.lexsort((b, a, -weight[candidates]))]
    a_rows, b_rows = left[order], right[order]
    roots = np.arange(size, dtype=np.int64)
    component, easy = _components(size, a_rows, b_rows)
    _spanning(order[easy], a_rows[easy], b_rows[easy], component[a_rows[easy]], roots,
              accepted)
    members = _rows_in(size, a_rows[easy], b_rows[easy])
    roots[members] = component[members]  # an easy group always ends as one cluster
    hard = ~easy
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    _guarded(order[hard], a_rows[hard], b_rows[hard], parent, find, cohesion, accepted)
    touched = _rows_in(size, a_rows[hard], b_rows[hard]).tolist()
    roots[touched] = [find(x) for x in touched]
    return smallest_member(roots), accepted


def _rows_in(size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rows of the pairs ``a[i], b[i]``, ascending, each once."""
    seen = np.zeros(size, dtype=bool)
    seen[a] = True
    seen[b] = True
    return np.flatnonzero(seen)


def _components(size: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(smallest row each row reaches through the pairs; per pair: is its group easy, i.e.
    every two rows of it match, so every join passes the cohesion check, and it has at
    most ``EASY_PAIRS`` pairs)."""
    label = np.arange(size)
    if a.size == 0 or (a == b).any() or distinct(
            np.minimum(a, b).astype(np.int64) * size + np.maximum(a, b)).size < a.size:
        return label, np.zeros(a.size, dtype=bool)  # repeated pairs: counts prove nothing
    while True:  # label propagation with pointer jumping
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
    easy = (edges == rows * (rows - 1) // 2) & (edges <= EASY_PAIRS)
    return label, easy[label[a]]


def _spanning(order, a, b, group, roots, accepted) -> None:
    """Kruskal in every easy group at once: step ``r`` takes each group's ``r``-th pair (in
    link order) and accepts it when its rows are not yet joined."""
    if group.size == 0:
        return
    by_group = np.argsort(group, kind="stable")
    grouped = group[by_group]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    rank = np.empty(group.size, dtype=np.int64)
    rank[by_group] = np.arange(group.size) - np.repeat(starts, np.diff(np.r_[starts,
                                                                             group.size]))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    for step in range(bounds.size - 1):
        pick = by_rank[bounds[step]:bounds[step + 1]]
        root_a, root_b = root(roots, a[pick]), root(roots, b[pick])
        join = root_a != root_b
        accepted[order[pick[join]]] = True
        roots[np.maximum(root_a, root_b)[join]] = np.minimum(root_a, root_b)[join]


def root(parent: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The root of each of ``rows`` in the forest ``parent`` (``parent[r] <= r``)."""
    while True:
        up = parent[rows]
        if np.array_equal(up, rows):
            return rows
        rows = up


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
