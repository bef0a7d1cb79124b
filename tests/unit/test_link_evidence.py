"""A link's key is an id only if it is not a row counter; its rows must agree."""

from __future__ import annotations

import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.refine.ingest.link_evidence import CHILD, PARENT, corroboration, row_counter

pytestmark = pytest.mark.filterwarnings("error")
PROFILE = load_profile("generic")


@pytest.mark.parametrize(("header", "values", "rows"), [
    ("#", ["7", "3"], 2), ("No.", [], 0), ("Row", ["1"], 1), ("S/N", ["4", "9"], 9),
    ("ID", ["1", "2", "3", "4"], 4), ("Account", ["0", "1", "2"], 3),
    ("C_ID", ["1", "2", "4", "5"], 5),  # a dropped row leaves a gap, still a counter
    ("ID", [1.0, 2.0, 3.0], 3),
])
def test_row_counters_are_recognised(header, values, rows):
    assert row_counter(header, values, rows)


@pytest.mark.parametrize(("header", "values", "rows"), [
    ("ID", ["5501", "5502", "5503"], 3),  # a CRM's ids start where they start
    ("C_ID", ["2", "3", "5", "6", "2"], 5),  # a child's foreign key repeats
    ("ID", ["3", "1", "2"], 3), ("Account #", ["A-1", "A-2"], 2), ("ID", ["1"], 1),
])
def test_real_ids_are_not_row_counters(header, values, rows):
    assert row_counter(header, values, rows) is None


def test_corroboration_counts_pairs_that_can_tell_and_those_that_agree():
    pairs = pd.DataFrame({
        CHILD + "organization_name": ["Acme Aviation", None, None, "Jet Overhaul CC", None],
        PARENT + "organization_name": ["ACME AVIATION (PTY) LTD", "Beta", "Gamma",
                                       "Sky Insurance Brokers", "Delta"],
        CHILD + "contact_email": [None, "jo@beta.co.za", "x@gmail.com", None, "sam@delta.aero"],
        PARENT + "website": [None, "https://beta.co.za", "gamma.co.za", None, "other.aero"],
        CHILD + "contact_phone": [None, None, "011 555 1234", None, None],
        PARENT + "contact_phone": [None, None, "+27 21 444 9876", None, None],
    }, dtype=object)
    # 1 name agrees, 2 domain agrees, 3 free mail and another phone: says nothing,
    # 4 names disagree, 5 domains disagree
    assert corroboration(pairs, PROFILE) == (4, 2)
