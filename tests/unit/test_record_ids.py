"""``organization_id`` is a key: unique per record whatever the clustering, stable for the
same inputs, the same in Provenance; the contract fails the run if it ever repeats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotpass.errors import HotpassError
from hotpass.profiles import load_profile
from hotpass.refine.merge import merge_clusters
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.validate import check_keys

pytestmark = pytest.mark.filterwarnings("error")
PROFILE = load_profile("generic")
NAMES = st.sampled_from(["Acme Ltd", "Acme Limited", "Beta CC", "Gamma", None])
PHONES = st.sampled_from(["+27115551234", "+27214449876", None])
ROWS = st.lists(st.tuples(NAMES, PHONES, st.integers(0, 5)), min_size=1, max_size=40)


def _merged(rows):
    frame = pd.DataFrame({"organization_name": [r[0] for r in rows],
                          "contact_phone": [r[1] for r in rows],
                          SOURCE_FILE: "a.csv", SOURCE_SHEET: "", SOURCE_ROW: 0}, dtype=object)
    frame[SOURCE_ROW] = np.arange(2, len(rows) + 2)
    # any clustering at all: same names apart, identical rows apart, different names together
    groups = np.array([r[2] for r in rows])
    labels = np.array([np.flatnonzero(groups == g)[0] for g in groups])
    return merge_clusters(frame, labels, PROFILE)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_ids_are_unique_stable_and_agree_with_provenance(rows):
    merged = _merged(rows)
    ids = merged.refined["organization_id"]
    assert ids.is_unique and ids.notna().all()
    assert list(merged.provenance["organization_id"]) == list(ids)
    assert list(_merged(rows).refined["organization_id"]) == list(ids)  # stable
    check_keys(merged)


def test_two_records_of_one_name_get_two_ids_from_their_own_rows():
    rows = [("Acme Ltd", "+27115551234", 0), ("Acme Ltd", "+27214449876", 1)]
    first = _merged(rows).refined.set_index("contact_phone")["organization_id"]
    assert first.nunique() == 2
    # the id of one organisation depends on its own rows, not on what else is in the run
    alone = _merged(rows[:1]).refined.set_index("contact_phone")["organization_id"]
    assert alone["+27115551234"] == first["+27115551234"]


def test_a_repeated_id_fails_the_contract_loudly():
    merged = _merged([("Acme Ltd", None, 0), ("Beta CC", None, 1)])
    merged.refined.loc[1, "organization_id"] = merged.refined.loc[0, "organization_id"]
    with pytest.raises(HotpassError, match="contract broken: organization_id .* 2 records"):
        check_keys(merged)


def test_one_person_is_kept_once_per_organisation_under_the_fuller_name():
    from hotpass.refine.ingest.people import same_people

    clusters = [0, 0, 0, 0, 1, 1, 2, 2]
    names = ["Thandi", "Thandi Mokoena", "Pieter Botha", "Jo", "Sam", "Sam Lee", "Ann", "Ben"]
    emails = ["thandi@lfc.co.za", "thandi@lfc.co.za", "pieter@lfc.co.za", "jo@gmail.com",
              "sam@x.aero", "s.lee@x.aero", "info@y.co.za", "info@y.co.za"]
    # same e-mail; a name beginning another with the same domain; a shared role mailbox
    # (info@) with two different names is two people; other organisations stay apart
    assert same_people(clusters, names, emails) == {(0, "Thandi"): "Thandi Mokoena",
                                                    (1, "Sam"): "Sam Lee"}
