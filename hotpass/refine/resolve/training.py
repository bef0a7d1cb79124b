"""Training the match model's m: EM sessions as Splink trains, and the share that matches.

Contract: ``m_by_sessions(patterns, counts, u)`` returns ``(m, iterations, pooled)``: one
EM session per blocking field (``SESSION_FIELDS``) over the candidate pairs agreeing
exactly on it, that field left out; each field's m pools the sessions *not* blocked on it
(``pooled``: the fields some session saw; the others take EM over all candidates).
``candidate_share(patterns, counts, m, u)`` is the share of candidate pairs that match
(EM with m and u fixed); ``matched_pairs(patterns, counts, share, m, u)`` the pairs per level
the model takes for matches. ``patterns``/``counts``: the distinct comparison patterns of
the candidate pairs and how often each occurs.

Pitfalls: a session whose pairs hold one other blocking field only is skipped: with u
fixed, one field's mixture cannot tell m from the session's share of matches (the region,
no blocking key, does not make a session usable). Estimates are smoothed towards
``PRIOR_M`` with ``PSEUDO_PAIRS`` pseudo pairs.
"""

from __future__ import annotations

import numpy as np

from hotpass.refine.resolve.comparisons import EXACT, FIELDS, LEVELS

PRIOR_M = {"name": (0.02, 0.02, 0.03, 0.08, 0.25, 0.60), "phone": (0.45, 0.03, 0.07, 0.45),
           "email": (0.6, 0.4), "domain": (0.2, 0.8), "registration": (0.005, 0.01, 0.035, 0.95),
           "address": (0.1, 0.05, 0.1, 0.15, 0.6), "region": (0.1, 0.9)}
# u: shares of random row pairs. Organisation names agree closely (typo, dropped word) about
# as rarely as exactly (~1e-7 of random pairs in the generated sets), far less than they
# agree fairly; a small input's u for those levels rests on these shares
# One organisation does not hold two registration ids (a typo is the ``one_edit`` or ``two_edits`` level): EM
# may not learn otherwise (near-identical distinct organisations in one town would teach
# it that conflicts are common), so that m stays at its prior share.
FIXED_M = {"registration": 0}  # field -> level whose m is fixed
PSEUDO_PAIRS = 20.0  # prior strength of m
PSEUDO_PAIRS = 20.0  # prior strength of m
# The fields that are blocking keys: one EM session each (the region is no key; a session
# on it would be nearly all candidate pairs, name-blocked ones included)
SESSION_FIELDS = ("name", "phone", "email", "domain", "registration", "address")


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


def m_by_sessions(patterns: np.ndarray, counts: np.ndarray, u: dict[str, np.ndarray]):
    """(m, EM iterations, the fields the sessions pooled): as Splink trains, one EM
    session per field on the candidate
    pairs that agree exactly on it, that field left out of the session's likelihood; each
    field's m is pooled from the sessions *not* blocked on it (their expected match counts
    summed), so a field's m never comes from pairs chosen for agreeing on it. A field no
    other session sees keeps its prior m."""
    sums = {f: np.zeros(len(LEVELS[f])) for f in FIELDS}
    iterations = 0
    for i, field in enumerate(FIELDS):
        inside = np.flatnonzero(patterns[:, i] == EXACT[field]) if len(patterns) else []
        if len(inside) == 0 or field not in SESSION_FIELDS:
            continue
        session = patterns[inside].copy()
        session[:, i] = -1  # agreeing by construction: no evidence here
        keys = [FIELDS.index(f) for f in SESSION_FIELDS]
        if ((session[:, keys] >= 0).sum(axis=0) > 0).sum() < 2:
            continue
        resp, more = _em(session, counts[inside], u)
        iterations += more
        weight = counts[inside] * resp
        for j, other in enumerate(FIELDS):
            column = session[:, j]
            if j != i:
                sums[other] += np.bincount(column[column >= 0], weights=weight[column >= 0],
                                           minlength=len(LEVELS[other]))
    pooled = frozenset(f for f in FIELDS if sums[f].any())
    unseen = [f for f in FIELDS if f not in pooled]
    if unseen and len(patterns):
        resp, more = _em(patterns, counts, u)
        iterations += more
        for i, field in enumerate(FIELDS):
            column = patterns[:, i]
            if field in unseen:
                sums[field] = np.bincount(column[column >= 0], weights=(counts * resp)[column >= 0],
                                          minlength=len(LEVELS[field]))
    return {f: _m_share(f, sums[f]) for f in FIELDS}, iterations, pooled


def candidate_share(patterns, counts, m, u, max_iterations: int = 200):
    """(share of candidate pairs that match, iterations): EM over the candidate pairs with
    m and u fixed, the share its only parameter."""
    share, iterations = 0.1, 0
    if patterns.shape[0] == 0:
        return 1e-3, 0
    odds = _log_ratio(patterns, m, u)
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported
        resp = 1.0 / (1.0 + np.exp(-np.clip(np.log(share / (1 - share)) + odds, -700, 700)))
        new = float(((counts * resp).sum() + 1.0) / (counts.sum() + 2.0))
        if abs(new - share) < 1e-7:
            break
        share = new
    return share, iterations


def matched_pairs(patterns, counts, share: float, m: dict, u: dict) -> dict[str, np.ndarray]:
    """Per field, the candidate pairs at each level the model takes for matches (their
    responsibilities summed)."""
    if patterns.shape[0] == 0:
        return {f: np.zeros(len(LEVELS[f])) for f in FIELDS}
    odds = np.log(share / (1 - share)) + _log_ratio(patterns, m, u)
    weight = counts / (1.0 + np.exp(-np.clip(odds, -700, 700)))
    found = {}
    for i, field in enumerate(FIELDS):
        column = patterns[:, i]
        found[field] = np.bincount(column[column >= 0], weights=weight[column >= 0],
                                   minlength=len(LEVELS[field]))
    return found


def _log_ratio(patterns: np.ndarray, m, u) -> np.ndarray:
    """ln(m/u) summed over each pattern's fields (a missing field adds nothing)."""
    return sum(np.r_[np.log(m[f] / u[f]), 0.0][patterns[:, i]] for i, f in enumerate(FIELDS))


def _em(patterns: np.ndarray, counts: np.ndarray, u: dict[str, np.ndarray],
        max_iterations: int = 60) -> tuple[np.ndarray, int]:
    """(responsibility per pattern, iterations): EM for m and the share that matches, with
    ``u`` fixed."""
    m = {f: np.asarray(PRIOR_M[f], dtype=np.float64) for f in FIELDS}
    prior, iterations, resp = 0.1, 0, np.zeros(len(patterns))
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported
        odds = np.log(prior / (1 - prior)) + _log_ratio(patterns, m, u)
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
    return resp, iterations
