"""Match weights learned from the data: Fellegi-Sunter with m and u estimated from the rows.

Contract: ``estimate(features, compared, sample_levels(features, left, right,
thresholds, seed))`` returns a ``Model`` whose ``u``, ``m`` and prior all describe one
population, *random row pairs* (as Splink's). ``u`` counts all pairs at each level - the
candidate pairs (every pair sharing a blocking key) whole, the other pairs from a random
sample scaled up, exact levels of the term fields from the value counts - less the pairs
the model takes for matches (learned once with them in, then once without; never more
than ``MATCH_SHARE`` of a level holding ``FLOOR_PAIRS`` or more). ``m`` is learned as
Splink trains: one EM session per field over the candidate pairs agreeing exactly on it,
that field left out; each field's m pools the sessions *not* blocked on it, so it is
never learned from pairs chosen for agreeing on it (a field only one-field sessions see
takes EM over all candidate pairs). The prior is the share of candidate pairs that match
(EM with m and u fixed) times the candidate pairs over all pairs.
``score(model, features, left, right, compared)`` returns the match weight (log2 odds)
of every pair.

Why one population: ``u`` of a value held by two rows shrinks as 1/rows; a prior taken
over candidate pairs does not, so one shared phone (a group switchboard) would outweigh it
in a large file and not in a small one. With the prior over random pairs too, both shrink
together and a pair's probability does not depend on the file's size.

Term frequencies count *entities*, not rows: an exact level on a value more entities hold
than the field's average (a common name, a group switchboard, a shared domain) counts
``log2(average / holders)`` bits less; never more. An organisation's own duplicate rows
(five records sharing its id) must not make its value look common, so rows holding a value
count as one holder when pairs agreeing on it join them and the rest of each such pair's
evidence favours a match (its other fields' weights sum above zero: one union-find per
field over those pairs); the scored pair's own two rows count once (whether they are one
entity is what its score decides). ``average``: the sum of holders squared over their sum,
the holders of a random holder's value (as a term frequency averages), the same way.

Pitfalls: every estimate is smoothed towards ``PRIOR_M``/``PRIOR_U`` with a few pseudo
pairs, so a ten-row input still gets sensible weights instead of 0/0. A session whose
pairs have one other field only is skipped: with u fixed, one field's mixture cannot tell
m from the session's share of matches. EM runs on the
distinct comparison patterns (hundreds), not on the pairs (millions). The prior assumes
blocking keeps nearly all matches (it does: each field is a key). A node of the
union-find is a (row, slot holding the value), so a row holding two phones never joins
the holders of one to those of the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotpass.refine.resolve.clustering import root
from hotpass.refine.resolve.comparisons import (
    EXACT,
    FIELDS,
    LEVELS,
    agreed_values,
    compare,
    pattern_codes,
)
from hotpass.refine.resolve.features import SLOTS, Features
from hotpass.refine.resolve.training import candidate_share, m_by_sessions, matched_pairs

PRIOR_U = {"name": (1 - 5.012e-4, 1e-4, 4e-4, 1e-6, 1e-7, 1e-7),
           "phone": (1 - 1.2e-4, 1e-4, 1e-5, 1e-5),
           "email": (1 - 1e-5, 1e-5), "domain": (1 - 1e-5, 1e-5),
           "registration": (1 - 1.2e-4, 1e-4, 1e-5, 1e-5), "address": (0.95, 0.04, 0.007, 0.002, 0.001),
           "region": (0.8, 0.2)}
PSEUDO_U = 1000.0  # prior strength of u (millions of random pairs soon outweigh it)
# At most this share of a level's pairs are taken for matches when u is re-counted
# (tuned on FEBRL 3, where 93 % of the pairs agreeing on a whole name are one person)
MATCH_SHARE = 0.9
FLOOR_PAIRS = 100.0
RANDOM_PAIRS = 100_000
SAMPLE_CHUNK = 1 << 13  # random pairs compared at a time, beside the candidates' chunks
TERM_FIELDS = ("name", "phone", "email", "domain", "registration")
# Two levels, the exact one's u counted from the values: random pairs add nothing.
COUNTED = tuple(f for f in TERM_FIELDS if len(LEVELS[f]) == 2)


@dataclass
class Model:
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]  # over random row pairs
    prior: float  # probability that two random rows match
    candidate_prior: float  # share of candidate pairs that match (EM's)
    candidate_pairs: int
    iterations: int

    def weights(self, field: str) -> np.ndarray:
        return np.log2(self.m[field] / self.u[field])

    def to_dict(self) -> dict:
        return {"prior": float(f"{self.prior:.4g}"),
                "candidate_prior": round(self.candidate_prior, 6),
                "candidate_pairs": self.candidate_pairs, "em_iterations": self.iterations,
                "fields": {f: {lvl: {"m": round(float(self.m[f][i]), 5),
                                     "u": float(f"{self.u[f][i]:.3g}")}
                               for i, lvl in enumerate(LEVELS[f])} for f in FIELDS}}


def estimate(features: Features, compared, sample) -> Model:
    """``compared``: the candidate pairs' levels; ``sample``: ``sample_levels``' result."""
    n = features.size
    all_pairs = max(n * (n - 1) / 2, 1.0)
    patterns, counts = _patterns(compared.levels)
    pairs = _level_counts(features, patterns, counts, *sample)
    matched = {f: np.zeros(len(LEVELS[f])) for f in FIELDS}
    iterations, pooled = 0, frozenset(FIELDS)
    # u over all pairs counts the matches too; once m and the share of candidate pairs that
    # match are known, the pairs the model takes for matches come off each level and both
    # are learned again. Once only: a u taken from its own model's verdicts feeds on itself
    for _ in range(2):
        u = {f: _smoothed(_unrelated(pairs[f], matched[f], f not in pooled), PRIOR_U[f])
             for f in FIELDS}
        m, more, pooled = m_by_sessions(patterns, counts, u)
        candidate_prior, most = candidate_share(patterns, counts, m, u)
        iterations += more + most
        matched = matched_pairs(patterns, counts, candidate_prior, m, u)
    # the share of *candidate* pairs that match, over all pairs (blocking keeps them)
    prior = min(max(candidate_prior * len(compared.levels) / all_pairs, 1e-12), 0.5)
    return Model(m, u, prior, candidate_prior, len(compared.levels), iterations)


def score(model: Model, features: Features, left: np.ndarray, right: np.ndarray,
          compared) -> np.ndarray:
    """Match weight (log2 odds) per pair: the prior plus each field's weight (0 where a
    side lacks the field), less the term-frequency adjustment of the values it agrees on."""
    levels = compared.levels
    evidence = np.zeros(len(levels))
    for i, field in enumerate(FIELDS):
        evidence += np.take(np.r_[model.weights(field), 0.0], levels[:, i])  # -1: missing
    parent = np.arange(features.size * SLOTS, dtype=np.int64)  # union-find nodes
    adjusted = []
    for i, field in enumerate(FIELDS):
        exact = np.flatnonzero(levels[:, i] == EXACT[field]) if field in TERM_FIELDS else []
        if len(exact):
            # the rest of the pair's evidence favours a match: its rows are one holder
            one = evidence[exact] - model.weights(field)[EXACT[field]] > 0
            a, b = left[exact], right[exact]
            losing, bits = _term_adjustment(features, field, a, b,
                                            agreed_values(features, field, a, b), one, parent)
            adjusted.append((exact[losing], bits))
    for pairs, bits in adjusted:
        evidence[pairs] += bits
    return evidence + np.log2(model.prior / (1 - model.prior))


def _present(features: Features, field: str) -> int:
    codes = getattr(features, field)
    # slots fill from the first: a row holds a value when its first slot does
    return int(np.count_nonzero((codes[:, 0] if codes.ndim == 2 else codes) >= 0))


def _term_adjustment(features: Features, field: str, left, right, agreed, one,
                     parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pairs that lose bits, the bits) for agreeing on ``agreed``: ``log2(average /
    holders)``, never positive (module docstring); ``one``: the pairs whose rows are one
    holder. A value two rows hold has one holder for its pair's score: only values more
    rows hold take the union-find. ``parent``: ``arange`` over the nodes, left as found."""
    counts = features.counts[field]
    entities = counts.copy()
    entities[agreed[(counts[agreed] == 2) & one]] = 1
    many = np.flatnonzero(counts[agreed] > 2)
    if many.size == 0:
        return many, np.zeros(0)
    left, right, agreed, one = left[many], right[many], agreed[many], one[many]
    codes = getattr(features, field)
    a, b = left, right
    if codes.ndim == 2:  # node: (row, first slot holding the agreed value)
        slot_a, slot_b = np.zeros_like(left), np.zeros_like(right)
        for slot in range(codes.shape[1] - 1, 0, -1):
            slot_a = np.where(codes[:, slot][left] == agreed, slot, slot_a)
            slot_b = np.where(codes[:, slot][right] == agreed, slot, slot_b)
        width = codes.shape[1]  # node numbers past 2**31 with int32 rows: widen first
        a = left.astype(np.int64) * width + slot_a
        b = right.astype(np.int64) * width + slot_b
    _join(parent, a[one], b[one])
    root_a, root_b = root(parent, a), root(parent, b)
    parent[a], parent[b] = a, b
    # every node of a group but its root: one holder fewer for the group's value (each
    # node once: every occurrence writes its position, the one read back counts)
    nodes = np.r_[a[root_a != a], b[root_b != b]]
    values = np.r_[agreed[root_a != a], agreed[root_b != b]]
    parent[nodes] = np.arange(nodes.size)
    first = parent[nodes] == np.arange(nodes.size)
    parent[nodes] = nodes
    entities -= np.bincount(values[first], minlength=entities.size)
    average = float(np.dot(entities, entities) / max(entities.sum(), 1))
    holders = entities[agreed] - (root_a != root_b)
    bits = np.minimum(np.log2(average / np.arange(1, holders.max(initial=1) + 1)), 0.0)
    return many, bits[np.maximum(holders, 1) - 1]


def _join(parent: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Union of the nodes of every pair ``a``-``b`` (``a`` ascending, as candidate pairs
    come): a forest, each root hooked under a smaller one, pairs already joined dropping
    out. Of several hooks of one root the last written wins (the others' pairs stay apart
    for the next round): written in descending ``a``, the smallest, so a group where every
    two rows are paired is one tree after the first round."""
    while a.size:
        root_a, root_b = root(parent, a), root(parent, b)
        apart = root_a != root_b
        a, b, root_a, root_b = a[apart], b[apart], root_a[apart], root_b[apart]
        parent[np.maximum(root_a, root_b)[::-1]] = np.minimum(root_a, root_b)[::-1]


def sample_levels(features: Features, left, right, thresholds, seed: int = 0):
    """Level counts per field over random row pairs that are not candidates (all such pairs
    of a small input), and the share of all pairs sampled. ``left``/``right``: the candidate
    pairs, sorted (as ``candidate_pairs`` returns them). Independent of the candidates'
    comparisons, so it may run beside them."""
    n = features.size
    rng = np.random.default_rng(seed)
    total = max(n * (n - 1) // 2, 1)
    if total <= RANDOM_PAIRS:
        a, b = np.triu_indices(n, k=1)
    else:
        a = rng.integers(0, n, RANDOM_PAIRS)
        b = rng.integers(0, n - 1, RANDOM_PAIRS)
        b = b + (b >= a)  # never a row with itself
        a, b = np.minimum(a, b), np.maximum(a, b)
    sample = np.sort(a.astype(np.int64) * n + b)  # in order: the look-ups below stay local
    a, b = sample // n, sample % n
    rate = len(a) / total if len(a) else 1.0  # one row: no pair, nothing to scale
    outside = not_candidates(sample, left, right, n)
    sampled = compare(features, a[outside], b[outside], thresholds,
                      fields=tuple(f for f in FIELDS if f not in COUNTED),
                      chunk_size=SAMPLE_CHUNK)
    levels = {}
    for i, field in enumerate(FIELDS):
        column = sampled.levels[:, i]
        levels[field] = np.bincount(column[column >= 0],
                                    minlength=len(LEVELS[field])).astype(np.float64)
    return levels, rate


def not_candidates(encoded: np.ndarray, left: np.ndarray, right: np.ndarray,
                   n: int) -> np.ndarray:
    """Which of the pairs ``encoded`` (``a * n + b``, int64) are no candidate pair
    (``left``/``right``: sorted, as ``candidate_pairs`` returns them; int32 rows are
    widened before they are multiplied, or ``left * n`` would wrap past 2**31)."""
    if not left.size:
        return np.ones(encoded.size, dtype=bool)
    pairs = left.astype(np.int64) * n + right  # ascending
    at = np.minimum(np.searchsorted(pairs, encoded), pairs.size - 1)
    return pairs[at] != encoded


def _level_counts(features: Features, patterns, counts, sampled, rate) -> dict:
    """Row pairs (both holding the field) at each level of each field, over all pairs: the
    candidate pairs (every pair sharing a blocking key, where nearly all close names and
    addresses are) counted whole, the other pairs from the random sample scaled up; exact
    levels of the term fields from the value counts, the other levels sharing the rest of
    the pairs as the sample and candidates do."""
    found = {}
    for i, field in enumerate(FIELDS):
        column = patterns[:, i] if len(patterns) else np.zeros(0, dtype=np.int8)
        size = len(LEVELS[field])
        level = np.bincount(column[column >= 0], weights=counts[column >= 0], minlength=size)
        level = level + sampled[field] / rate
        if field in TERM_FIELDS:
            values = features.counts[field].astype(np.float64)
            holders = _present(features, field)
            total = max(holders * (holders - 1) / 2, float(level.sum()))
            exact = EXACT[field]
            agreeing = float((values * (values - 1)).sum() / 2)
            others = np.delete(level, exact)
            rest = max(total - agreeing, 0.0)
            others = (others / others.sum() * rest if others.sum() else
                      np.delete(np.asarray(PRIOR_U[field]), exact) * rest)
            level = np.insert(others, exact, agreeing)
        found[field] = level
    return found


def _unrelated(pairs: np.ndarray, matches, unpooled: bool) -> np.ndarray:
    """Pairs per level less the pairs the model takes for matches. For a field whose m no
    session pooled (``unpooled``: learned by EM over all candidates, where the field's own
    agreement picks the matches), at least ``1 - MATCH_SHARE`` of a level holding
    ``FLOOR_PAIRS`` or more stays: that estimate must not empty a level of unrelated pairs
    (a u of ~0 makes one agreement outweigh every disagreement). In a small file the prior
    u (smoothing) keeps a level apart instead."""
    floor = np.where(unpooled & (pairs >= FLOOR_PAIRS), pairs * (1 - MATCH_SHARE), 0.0)
    return np.maximum(pairs - matches, floor)


def _patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a (pairs, fields) level matrix and how often each occurs."""
    if not len(levels):
        return levels, np.zeros(0)
    _, first, counts = np.unique(pattern_codes(levels), return_index=True, return_counts=True)
    return levels[first], counts.astype(np.float64)


def _smoothed(counts: np.ndarray, prior) -> np.ndarray:
    smoothed = counts + PSEUDO_U * np.asarray(prior)
    return smoothed / smoothed.sum()


