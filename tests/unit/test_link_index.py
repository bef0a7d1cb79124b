"""The link index finds, for a child's key values, the share held by each parent key column:
the same figure a membership test per column gives, whatever the number of columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hotpass.refine.ingest.link_index import KeyIndex, clean_keys

pytestmark = pytest.mark.filterwarnings("error")


def test_shares_are_each_columns_membership_share():
    rng = np.random.default_rng(5)
    # CRM-style ids with stray spaces and mixed case, overlapping between sheets
    ids = [f"org-{i} " if i % 7 else f" ORG-{i}" for i in range(3000)]
    parents = [pd.Series(ids[start:start + 800], dtype=object) for start in (0, 500, 2200)]
    parents.append(pd.Series(["SHARED"] * 3 + ["x-1", None], dtype=object))  # repeats, a gap
    child = pd.Series(list(rng.choice(ids[:2400], 1500)) + ["nowhere", "shared", None],
                      dtype=object)
    columns = [clean_keys(p.dropna()) for p in parents]
    values = clean_keys(child.dropna())

    shares = KeyIndex(columns).shares(values)

    expected = [float(values.isin(set(column)).mean()) for column in columns]
    assert shares.tolist() == expected
    assert 0 < expected[0] < 1 and expected[3] == 1 / len(values)  # "shared" = "SHARED"


def test_nothing_to_look_up_or_nothing_indexed():
    index = KeyIndex([clean_keys(pd.Series(["A-1", "A-2"]))])
    assert index.shares(clean_keys(pd.Series([], dtype=object))).tolist() == [0.0]
    assert KeyIndex([]).shares(clean_keys(pd.Series(["A-1"]))).tolist() == []


def test_keys_compare_without_spaces_and_case():
    assert clean_keys(pd.Series([" org - 7\t", "Org-7"])).tolist() == ["ORG-7", "ORG-7"]


@pytest.mark.parametrize("values", [
    ["a\x0bb\x1cc\x1fd", " org -\r\n7\f", "", "  "],  # every ASCII space Python's re knows
    ["a\x0bb", "caf\u00e9 \u00a0 7", "x\u2003y\u3000z", "ok 1"],  # non-ASCII spaces beside
])
def test_spaces_are_the_ones_pythons_re_removes(values):
    cleaned = clean_keys(pd.Series([*values, None], dtype=object))
    assert cleaned.tolist()[:-1] == [re.sub(r"\s+", "", v).upper() for v in values]
    assert cleaned.isna().tolist()[-1]
