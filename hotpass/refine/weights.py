"""Match weights learned from the data: Fellegi-Sunter with m and u estimated from the rows.

Contract: ``estimate(features, compared, thresholds, seed)`` returns a ``Model`` whose
``u`` come from the data's non-matches (exact levels computed from the value counts,
the other levels from random row pairs, as Splink's ``estimate_u_using_random_sampling``
does) and whose ``m`` and prior come from expectation-maximisation over the candidate
pairs' comparison patterns with ``u`` fixed. ``score(model, compared)`` returns the match
weight (log2 odds) of every pair.

Term frequencies: an exact level on a value many rows hold (a common name, a group
switchboard, a shared domain) weighs ``log2(m / tf)`` with ``tf`` that value's share of
the rows, never more than the field's average exact weight, so it only ever counts less.

Pitfalls: every estimate is smoothed towards ``PRIOR_M``/``PRIOR_U`` with a few pseudo
pairs, so a ten-row input still gets sensible weights instead of 0/0. EM runs on the
distinct comparison patterns (hundreds), not on the pairs (millions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotpass.refine.comparisons import EXACT, FIELDS, LEVELS, compare, pattern_codes
from hotpass.refine.features import Features

PRIOR_M = {"name": (0.03, 0.04, 0.08, 0.25, 0.60), "phone": (0.55, 0.45),
           "email": (0.6, 0.4), "domain": (0.2, 0.8), "registration": (0.005, 0.045, 0.95),
           "address": (0.1, 0.2, 0.7)}
PRIOR_U = {"name": (0.97, 0.02, 0.007, 0.003, 1e-4), "phone": (1 - 1e-5, 1e-5),
           "email": (1 - 1e-5, 1e-5), "domain": (1 - 1e-5, 1e-5),
           "registration": (1 - 2e-5, 1e-5, 1e-5), "address": (0.95, 0.049, 0.001)}
# One organisation does not hold two registration ids (a typo is the ``close`` level): EM
# may not learn otherwise (near-identical distinct organisations in one town would teach
# it that conflicts are common), so that m stays at its prior share.
FIXED_M = {"registration": 0}  # field -> level whose m is fixed
PSEUDO_PAIRS = 20.0  # prior strength of m
PSEUDO_U = 1000.0  # prior strength of u (millions of random pairs soon outweigh it)
RANDOM_PAIRS = 100_000
TERM_FIELDS = ("name", "phone", "email", "domain", "registration")
# Two levels, the exact one's u counted from the values: random pairs add nothing.
COUNTED = tuple(f for f in TERM_FIELDS if len(LEVELS[f]) == 2)


@dataclass
class Model:
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float  # share of candidate pairs that match
    candidate_pairs: int
    iterations: int
    present: dict[str, int]  # rows holding each field (term-frequency denominators)

    def weights(self, field: str) -> np.ndarray:
        return np.log2(self.m[field] / self.u[field])

    def to_dict(self) -> dict:
        return {"prior": round(self.prior, 6), "candidate_pairs": self.candidate_pairs,
                "em_iterations": self.iterations,
                "fields": {f: {lvl: {"m": round(float(self.m[f][i]), 5),
                                     "u": float(f"{self.u[f][i]:.3g}")}
                               for i, lvl in enumerate(LEVELS[f])} for f in FIELDS}}


def estimate(features: Features, compared, thresholds: dict[str, list[float]],
             seed: int = 0) -> Model:
    sampled, rate = _sample_levels(features, thresholds, seed)
    u = {f: _smoothed(sampled[f], PRIOR_U[f]) for f in FIELDS}
    for field in TERM_FIELDS:
        u[field] = _exact_u_without_matches(features, field, u[field],
                                            np.zeros(len(LEVELS[field])))
    present = {f: _present(features, f) for f in FIELDS}
    patterns, counts = _patterns(compared.levels)
    m, prior, iterations, resp = _em(patterns, counts, u)
    # u describes non-matches: take the matches EM found out of the random pairs' counts
    # (each random pair is a match with the EM's odds) and, for exact levels, out of the
    # agreeing pairs counted from the value counts.
    for i, field in enumerate(FIELDS):
        column = patterns[:, i] if len(patterns) else np.zeros(0, dtype=np.int8)
        matched = np.bincount(column[column >= 0], weights=(counts * resp)[column >= 0],
                              minlength=len(LEVELS[field]))
        u[field] = _smoothed(np.maximum(sampled[field] - rate * matched, 0), PRIOR_U[field])
        if field in TERM_FIELDS:
            u[field] = _exact_u_without_matches(features, field, u[field], matched)
    m, prior, more, _ = _em(patterns, counts, u)
    return Model(m, u, prior, len(compared.levels), iterations + more, present)


def score(model: Model, compared) -> np.ndarray:
    """Match weight (log2 odds) per pair: the prior plus each field's weight (0 where a
    side lacks the field)."""
    levels = compared.levels
    total = np.full(len(levels), np.log2(model.prior / (1 - model.prior)))
    for i, field in enumerate(FIELDS):
        table = np.r_[model.weights(field), 0.0]  # index -1 (missing) -> 0
        part = table[levels[:, i]]
        if field in TERM_FIELDS and model.present[field]:
            exact = levels[:, i] == EXACT[field]
            # share of the *other* rows (not this pair) holding the agreed value
            tf = np.maximum(compared.term_counts[exact, i] - 2, 0) / model.present[field]
            u_exact = model.u[field][EXACT[field]]
            part[exact] = np.log2(model.m[field][EXACT[field]] / np.maximum(tf, u_exact))
        total += part
    return total


def probability(weight: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=np.float64)))


def _present(features: Features, field: str) -> int:
    codes = getattr(features, field)
    return int(((codes >= 0).any(axis=1) if codes.ndim == 2 else codes >= 0).sum())


def _sample_levels(features: Features, thresholds, seed: int):
    """Level counts per field over random row pairs (all pairs of a small input), and the
    share of all pairs sampled."""
    n = features.size
    rng = np.random.default_rng(seed)
    total = max(n * (n - 1) // 2, 1)
    if total <= RANDOM_PAIRS:
        left, right = np.triu_indices(n, k=1)
    else:
        left = rng.integers(0, n, RANDOM_PAIRS)
        right = rng.integers(0, n - 1, RANDOM_PAIRS)
        right = right + (right >= left)  # never a row with itself
    sampled = compare(features, left.astype(np.int64), right.astype(np.int64), thresholds,
                      fields=tuple(f for f in FIELDS if f not in COUNTED))
    levels = {}
    for i, field in enumerate(FIELDS):
        column = sampled.levels[:, i]
        levels[field] = np.bincount(column[column >= 0],
                                    minlength=len(LEVELS[field])).astype(np.float64)
    return levels, len(left) / total


def _patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a (pairs, fields) level matrix and how often each occurs."""
    if not len(levels):
        return levels, np.zeros(0)
    _, first, counts = np.unique(pattern_codes(levels), return_index=True, return_counts=True)
    return levels[first], counts.astype(np.float64)


def _m_share(field: str, sums: np.ndarray) -> np.ndarray:
    """m of a field's levels from EM's expected match counts, smoothed; a ``FIXED_M`` level
    keeps its prior share and the others share the rest."""
    prior = np.asarray(PRIOR_M[field])
    share = sums + PSEUDO_PAIRS * prior
    share = share / share.sum()
    fixed = FIXED_M.get(field)
    if fixed is None:
        return share
    rest = np.delete(share, fixed)
    return np.insert(rest / rest.sum() * (1 - prior[fixed]), fixed, prior[fixed])


def _smoothed(counts: np.ndarray, prior) -> np.ndarray:
    smoothed = counts + PSEUDO_U * np.asarray(prior)
    return smoothed / smoothed.sum()


def _exact_u_without_matches(features: Features, field: str, u: np.ndarray,
                             matched: np.ndarray) -> np.ndarray:
    """u of the exact level: agreeing pairs that are not matches over all non-match pairs
    (agreeing pairs counted from the value counts, matches from EM)."""
    counts = features.counts[field].astype(np.float64)
    holders = _present(features, field)
    exact = EXACT[field]
    agreeing = float((counts * (counts - 1)).sum() / 2)
    pairs = holders * (holders - 1) / 2
    share = ((max(agreeing - matched[exact], 0.0) + PSEUDO_U * PRIOR_U[field][exact])
             / (max(pairs - matched.sum(), 0.0) + PSEUDO_U))
    share = min(share, 0.5)
    others = np.delete(u, exact)
    return np.insert(others / others.sum() * (1 - share), exact, share)


def _em(patterns: np.ndarray, counts: np.ndarray, u: dict[str, np.ndarray],
        max_iterations: int = 60):
    """(m, prior, iterations, responsibility per pattern) with ``u`` fixed."""
    m = {f: np.asarray(PRIOR_M[f], dtype=np.float64) for f in FIELDS}
    if patterns.shape[0] == 0:
        return m, 1e-3, 0, np.zeros(0)
    log_u = sum(np.r_[np.log(u[f]), 0.0][patterns[:, i]] for i, f in enumerate(FIELDS))
    prior, iterations = 0.1, 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported
        log_m = sum(np.r_[np.log(m[f]), 0.0][patterns[:, i]] for i, f in enumerate(FIELDS))
        odds = np.log(prior / (1 - prior)) + log_m - log_u
        resp = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        weight = counts * resp
        new_m = {}
        for i, field in enumerate(FIELDS):
            column = patterns[:, i]
            sums = np.bincount(column[column >= 0], weights=weight[column >= 0],
                               minlength=len(LEVELS[field]))
            new_m[field] = _m_share(field, sums)
        new_prior = float((weight.sum() + 1.0) / (counts.sum() + 2.0))
        change = max(max(np.abs(new_m[f] - m[f]).max() for f in FIELDS),
                     abs(new_prior - prior))
        m, prior = new_m, new_prior
        if change < 1e-6:
            break
    return m, prior, iterations, resp
