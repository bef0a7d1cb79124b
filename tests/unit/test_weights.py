"""Term frequencies count entities, not rows: an organisation's own duplicate rows do not
make its id or switchboard look common, while a value many distinct organisations hold
still counts less."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from hotpass.bench.samples.words import distinctive_words, sectors, surnames
from hotpass.profiles import load_profile
from hotpass.refine.model import EXTRA_PHONES, SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.candidates import candidate_pairs
from hotpass.refine.resolve.comparisons import compare
from hotpass.refine.resolve.dedupe import resolve
from hotpass.refine.resolve.features import build_features
from hotpass.refine.resolve.weights import estimate, sample_levels, score

PROFILE = load_profile("generic")
GROUP = ["Mokoena Kestrel Bakery", "Dlamini Zephyr Plumbing", "Van Wyk Granite Tyres",
         "Pillay Juniper Optics", "Botha Cobalt Printers"]
VALUES = {"registration": ("2019/555555/07", "2010/999999/07"),
          "phone": ("+27215550101", "+27215550999")}


def _frame(field: str) -> tuple[pd.DataFrame, int]:
    """400 organisations (a third listed twice) to learn from, then one organisation's
    five rows sharing a value - four with its name, one under a name with no word in
    common (a trading name) - and five distinct organisations sharing another value of the
    field (a group's registration number or switchboard). Phones sit in a second slot."""
    rng = random.Random(5)
    names: set[str] = set()
    while len(names) < 400:
        names.add(f"{rng.choice(surnames())} {rng.choice(distinctive_words())} "
                  f"{rng.choice(sectors('generic'))}")
    rows = []
    for index, name in enumerate(sorted(names)):
        row = {"organization_name": name, "contact_phone": f"+2711{index:07d}",
               "registration_id": f"2001/{index:06d}/07",
               "address": f"{index + 1} Main Road, Durban {4001 + index}"}
        rows += [row, dict(row)] if index % 3 == 0 else [row]
    start = len(rows)
    own, shared = VALUES[field]

    def holding(value: str, number: int) -> dict:
        if field == "registration":
            return {"registration_id": value}
        return {"contact_phone": f"+2721{number:07d}", EXTRA_PHONES: value}

    rows += [{"organization_name": "Qwabe Obsidian Ferries", **holding(own, n)}
             for n in range(4)]
    rows.append({"organization_name": "Zinhle Marine Charters", **holding(own, 4)})
    rows += [{"organization_name": name, **holding(shared, 10 + n)}
             for n, name in enumerate(GROUP)]
    frame = pd.DataFrame([{**row, SOURCE_FILE: "register.xlsx", SOURCE_SHEET: "S",
                           SOURCE_ROW: number} for number, row in enumerate(rows, start=2)],
                         dtype=object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame, start


@pytest.mark.parametrize("field", sorted(VALUES))
def test_an_organisations_own_rows_do_not_make_its_value_common(field):
    """Five rows hold each value. The organisation's four rows under its name join; the
    group's five companies stay apart. The trading-name row shares only the value and its
    name disagrees where the data's duplicates agree: it is not merged on the value alone."""
    frame, start = _frame(field)
    labels = resolve(frame.copy(), PROFILE).labels[start:]
    assert len(set(labels[:4].tolist())) == 1  # the organisation's own rows join
    assert len(set(labels[5:].tolist())) == 5  # the group's companies stay apart
    assert not set(labels[:5].tolist()) & set(labels[5:].tolist())


@pytest.mark.parametrize("field", sorted(VALUES))
def test_a_value_many_organisations_hold_counts_less(field):
    frame, start = _frame(field)
    features = build_features(frame, PROFILE)
    left, right = candidate_pairs(features, PROFILE.dedupe.max_block)
    compared = compare(features, left, right, PROFILE.dedupe.levels)
    sample = sample_levels(features, left, right, PROFILE.dedupe.levels)
    model = estimate(features, compared, sample)
    weight = score(model, features, left, right, compared)

    def pair(a: int, b: int) -> int:
        return int(np.flatnonzero((left == start + a) & (right == start + b))[0])

    trading, group = pair(0, 4), pair(5, 6)  # trading name - own row; two group companies
    assert (compared.levels[trading] == compared.levels[group]).all()  # same evidence
    threshold = np.log2(PROFILE.dedupe.match_probability
                        / (1 - PROFILE.dedupe.match_probability))
    assert threshold > weight[group]
    assert weight[trading] - weight[group] >= 1.0  # four other holders: bits less
