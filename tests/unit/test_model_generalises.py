"""The match model learns each field's m from pairs not chosen for agreeing on it (as
Splink trains) and u from all pairs, so a disagreement on a field that true duplicates
usually agree on counts against a merge, however exactly the names agree.

Before: one EM over every candidate pair took m and u together; pairs blocked on an
identical name taught it that a differing phone says almost nothing (m ~ 0.55) and u
learned from EM's own verdicts made an exact name worth ~22 bits, so identical names with
different phones and far addresses merged (FEBRL 2 as a contact list without phones:
precision 0.835; FEBRL 4 with phones: 0.878)."""

from __future__ import annotations

import numpy as np
import pytest

from hotpass.refine.resolve.comparisons import FIELDS, LEVELS
from hotpass.refine.resolve.training import m_by_sessions
from hotpass.refine.resolve.weights import PRIOR_U

PHONE, NAME, ADDRESS = FIELDS.index("phone"), FIELDS.index("name"), FIELDS.index("address")


def _patterns(rows: list[tuple[int, int, int, float]]):
    """(name level, phone level, address level, pairs) -> EM's patterns and counts."""
    patterns = np.full((len(rows), len(FIELDS)), -1, dtype=np.int8)
    for i, (name, phone, address, _) in enumerate(rows):
        patterns[i, [NAME, PHONE, ADDRESS]] = (name, phone, address)
    return patterns, np.array([r[3] for r in rows], dtype=np.float64)


def test_a_fields_m_comes_from_pairs_not_blocked_on_it():
    """True duplicates: 80 % share their phone, their names agree exactly or closely,
    their addresses closely. Every pair sharing a phone is a candidate (blocked on the
    phone: all agree on it), so one EM over all candidates sees the phone agree far more
    often than duplicates do. m of the phone must come from the sessions blocked on the
    name and the address: about 0.2 differing, not less."""
    u = {f: np.asarray(PRIOR_U[f], dtype=np.float64) for f in FIELDS}
    u["name"] = np.array([0.99, 5e-3, 4e-3, 5e-4, 4e-4, 1e-4])
    u["address"] = np.array([0.995, 3e-3, 1e-3, 5e-4, 5e-4])
    u["phone"] = np.array([1 - 1.4e-4, 1e-4, 3e-5, 1e-5])
    exact, close = LEVELS["name"].index("exact"), LEVELS["name"].index("close")
    shared, near = LEVELS["phone"].index("exact"), LEVELS["address"].index("near")
    patterns, counts = _patterns([
        (exact, shared, near, 400), (exact, 0, near, 100),  # duplicates, exact names
        (close, shared, near, 400), (close, 0, near, 100),  # duplicates, typo'd names
        (0, shared, 0, 2000),  # pairs blocked on a phone only (a switchboard's rows: unrelated)
        (exact, 0, 0, 50)])  # people sharing a whole name, nothing else
    m, _, pooled = m_by_sessions(patterns, counts, u)
    assert {"name", "phone", "address"} <= pooled
    assert m["phone"][0] == pytest.approx(0.2, abs=0.05)
    # the name's m comes from the sessions on phone and address, not from the name's block
    assert m["name"][0] < 0.6 and m["name"][exact] > 0.2


@pytest.mark.parametrize(("name", "shape"), [("febrl2", "no-phone"), ("febrl4", "phone")])
def test_unseen_public_sets_keep_precision(tmp_path, name, shape):
    """Not the set the model was tuned on (FEBRL 3): refine's own preparation of the
    contact file, then the resolution."""
    from hotpass.bench.dedupe import _prepared_records
    from hotpass.bench.publicsets import write_export
    from hotpass.bench.scoring import pairwise_precision_recall
    from hotpass.profiles import load_profile
    from hotpass.refine.resolve.dedupe import resolve

    truth = write_export(name, shape, tmp_path / "in")
    frame = _prepared_records(tmp_path / "in", "generic")
    keys = zip(frame["__source_file"], frame["__source_sheet"],
               frame["__source_row"].astype(int), strict=True)
    labels = resolve(frame, load_profile("generic")).labels
    precision, recall = pairwise_precision_recall(dict(zip(keys, labels.tolist(),
                                                           strict=True)), truth)
    assert precision >= 0.99
    assert recall >= (0.9 if shape == "phone" else 0.35)
    assert {k[0] for k in truth} == {"contacts.csv"} and len(truth) in (5000, 10000)


def test_levels_are_what_the_pattern_rows_assume():
    assert len(LEVELS["phone"]) == 4 and len(LEVELS["name"]) == 6
    assert len(LEVELS["address"]) == 5
