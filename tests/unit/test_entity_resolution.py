"""Entity resolution: every kind of evidence can merge on its own, conflicts keep similar
names apart, clustering does not chain, and the evidence is explained."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from hotpass.bench.samples.words import distinctive_words, sectors, surnames
from hotpass.profiles import load_profile
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.clustering import link
from hotpass.refine.resolve.dedupe import resolve

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

PROFILE = load_profile("generic")


def _background(count: int = 400, seed: int = 3) -> list[dict]:
    """Distinct organisations (own name, switchboard, mailbox, domain, registration), a
    third of them seen twice with the same details, as a register and a CRM would list
    them: what the weights are learned from."""
    rng = random.Random(seed)
    names = set()
    while len(names) < count:
        names.add(f"{rng.choice(surnames())} {rng.choice(distinctive_words())} "
                  f"{rng.choice(sectors('generic'))}")
    rows = []
    for index, name in enumerate(sorted(names)):
        slug = "".join(ch for ch in name.lower() if ch.isalpha())[:20]
        row = {"organization_name": name, "contact_phone": f"+2711{index:07d}",
               "contact_email": f"info@{slug}.co.za", "website": f"https://{slug}.co.za",
               "registration_id": f"2001/{index:06d}/07",
               "address": f"{index + 1} Main Road, Durban {4001 + index}"}
        rows.append(_row(row, "register.xlsx"))
        if index % 3 == 0:
            rows.append(_row(dict(row), "crm.xlsx"))
    return rows


def _row(fields: dict, file: str = "extra.xlsx") -> dict:
    return {**fields, SOURCE_FILE: file, SOURCE_SHEET: "S", SOURCE_ROW: 0}


def _resolve(pairs: list[dict], background: list[dict] | None = None):
    rows = (background if background is not None else _background()) + pairs
    for number, row in enumerate(rows, start=2):
        row[SOURCE_ROW] = number
    frame = pd.DataFrame(rows, dtype=object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    result = resolve(frame, PROFILE)
    return result, result.labels[len(rows) - len(pairs):]


EVIDENCE = {
    "name": ({"organization_name": "Qwabe Obsidian Ferries (Pty) Ltd"},
             {"organization_name": "QWABE OBSIDAN FERRIES"}),
    "phone": ({"organization_name": "Zinhle Ferries", "contact_phone": "+27215550101"},
              {"contact_phone": "+27215550101"}),
    "email": ({"organization_name": "Zinhle Ferries", "contact_email": "bookings@zf.africa"},
              {"contact_email": "bookings@zf.africa"}),
    "domain": ({"organization_name": "Zinhle Ferries", "website": "https://zf.africa"},
               {"contact_email": "thandi@zf.africa"}),
    "registration": ({"organization_name": "Zinhle Ferries", "registration_id": "2019/555/07"},
                     {"registration_id": "2019/555/07"}),
    "address": ({"organization_name": "Zinhle Ferries", "address": "7 Quay Street, Knysna 6571"},
                {"address": "7 Quay St Knysna 6571"}),
}


@pytest.mark.parametrize("evidence", sorted(EVIDENCE))
def test_each_kind_of_evidence_merges_a_pair_on_its_own(evidence):
    """The second row shares only this one field (no name, or a typo'd name) with the
    first; before, only names, websites and registration ids were compared at all."""
    first, second = EVIDENCE[evidence]
    stranger = {"organization_name": "Unrelated Kestrel Bakery", "contact_phone": "+27315550199",
                "contact_email": "hello@kestrelbakes.africa"}
    result, labels = _resolve([_row(first), _row(second), _row(stranger)])
    assert labels[0] == labels[1], evidence
    assert labels[2] != labels[0]
    merged = json.loads(result.evidence[int(labels[0])])
    assert merged[0]["levels"][evidence if evidence != "address" else "address"] in (
        "exact", "close")
    assert merged[0]["probability"] >= PROFILE.dedupe.match_probability


def test_without_the_shared_field_the_pair_stays_apart():
    first, second = EVIDENCE["phone"]
    _, labels = _resolve([_row(first), _row({**second, "contact_phone": "+27215550102"})])
    assert labels[0] != labels[1]


def test_a_conflicting_registration_id_keeps_similar_names_apart():
    similar = [_row({"organization_name": "Mahlangu Falcon Logistics",
                     "registration_id": "2010/111111/07"}),
               _row({"organization_name": "Mahlangu Falcon Logistic",
                     "registration_id": "2012/222222/07"})]
    _, apart = _resolve(similar)
    assert apart[0] != apart[1]
    _, together = _resolve([{**r, "registration_id": None} for r in similar])
    assert together[0] == together[1]


def test_a_conflicting_phone_keeps_similar_names_apart_when_phones_are_reliable():
    """In the background an organisation's rows always share its switchboard, so the
    learned weight of two different phones is strongly negative."""
    similar = [_row({"organization_name": "Mahlangu Falcon Logistics",
                     "contact_phone": "+27125550111"}),
               _row({"organization_name": "Mahlangu Falcon Logistics Holdings",
                     "contact_phone": "+27125550222"})]
    result, apart = _resolve(similar)
    assert result.model["fields"]["phone"]["different"]["m"] < 0.2
    assert apart[0] != apart[1]
    _, together = _resolve([{**r, "contact_phone": None} for r in similar])
    assert together[0] == together[1]


def test_free_mail_and_shared_domains_are_no_evidence():
    pairs = [_row({"organization_name": "Alpha Kudu Motors", "contact_email": "a@gmail.com",
                   "website": "https://facebook.com/alpha"}),
             _row({"organization_name": "Beta Impala Tyres", "contact_email": "b@gmail.com",
                   "website": "https://facebook.com/beta"})]
    result, labels = _resolve(pairs)
    assert labels[0] != labels[1]
    assert not any("domain" in p["levels"] for p in result.near_threshold["not_merged"]
                   if "Alpha Kudu Motors" in p.get("names", []))


def test_one_weak_link_never_glues_two_clusters():
    # rows 0-2 all match each other, rows 3-5 too; one link 2-3 joins the groups
    inside = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]
    left = np.array([a for a, _ in inside] + [2])
    right = np.array([b for _, b in inside] + [3])
    weight = np.array([20.0] * 6 + [6.0])  # the bridge: just above the threshold
    labels, accepted = link(6, left, right, weight, threshold=5.0, cohesion=0.5)
    assert len(set(labels[:3].tolist())) == 1 and len(set(labels[3:].tolist())) == 1
    assert labels[0] != labels[3]
    assert accepted.sum() == 4  # two spanning links per cluster, no bridge


def test_a_chain_stops_growing():
    left, right = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])  # A-B, B-C, C-D, D-E
    labels, _ = link(5, left, right, np.full(4, 20.0), threshold=5.0, cohesion=0.5)
    assert len(set(labels.tolist())) > 1
    # without the guard (any link joins) it would be one cluster
    chained, _ = link(5, left, right, np.full(4, 20.0), threshold=5.0, cohesion=1e-9)
    assert len(set(chained.tolist())) == 1


def test_links_do_not_depend_on_the_order_pairs_come_in():
    """Candidate pairs come sorted and link skips sorting them again; pairs from elsewhere
    (the bench scores Splink's) take the full sort. Both must link alike, ties included."""
    rng = np.random.default_rng(5)
    pairs = np.unique(np.sort(rng.integers(0, 300, (900, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    weight = rng.choice([4.0, 6.0, 9.0], len(pairs))  # few values: many ties
    labels, accepted = link(300, pairs[:, 0], pairs[:, 1], weight, 5.0, 0.5)
    shuffled = rng.permutation(len(pairs))
    again, accepted_again = link(300, pairs[shuffled, 0], pairs[shuffled, 1],
                                 weight[shuffled], 5.0, 0.5)
    assert labels.tolist() == again.tolist()
    assert accepted[shuffled].tolist() == accepted_again.tolist()
    assert 0 < accepted.sum() < (weight >= 5.0).sum()  # the guard refused some links


def test_the_weights_are_learned_from_the_data():
    result, _ = _resolve([])
    fields = result.model["fields"]
    assert fields["name"]["exact"]["m"] > fields["name"]["exact"]["u"] * 1000
    assert fields["registration"]["different"]["m"] < 0.01
    assert 0 < result.model["prior"] < 1 and result.model["em_iterations"] > 1
    assert result.model["links_accepted"] >= 130  # the 134 organisations seen twice


def test_review_lists_take_the_pairs_nearest_the_threshold_ties_in_pair_order():
    """The review lists come from a partition, not a sort of every pair: with many equal
    weights they must still be the first pairs of a stable sort."""
    from hotpass.refine.resolve.dedupe import _first

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 50, 5000).astype(float)  # hundreds of pairs per weight
    indices = np.arange(5000) * 2
    assert _first(indices, keys, 20) == indices[np.argsort(keys, kind="stable")][:20].tolist()
    few = indices[:7]
    assert _first(few, keys[:7], 20) == few[np.argsort(keys[:7], kind="stable")].tolist()
