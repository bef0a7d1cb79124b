"""Hard mode of the sample generator: the corruption it promises, with truth intact."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.profiles import load_profile
from hotpass.refine.ingest.files import discover_inputs
from hotpass.refine.pipeline import prepare_all

PROFILE = load_profile("generic")


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hard")
    generated = generate_workbooks(folder, rows=3000, seed=5, hard=True)
    prepared = prepare_all(discover_inputs(folder, None), folder, PROFILE)
    rows = {}
    for source in (s for p in prepared for s in p.frames):
        for record in source.frame.to_dict("records"):
            rows[(source.file, source.sheet, int(record["__source_row"]))] = record
    entity = {(f, s, r): e for f, s, r, e in generated.truth}
    assert set(rows) == set(entity)  # ground truth covers every data row, as in easy mode
    return generated, rows, entity


def _names_by_entity(rows, entity):
    names = defaultdict(list)
    for key, record in rows.items():
        if record.get("organization_name"):
            names[entity[key]].append(record["organization_name"])
    return names


def test_same_seed_same_bytes(tmp_path, hard):
    again = generate_workbooks(tmp_path, rows=3000, seed=5, hard=True)
    for first, second in zip(hard[0].files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes()


def test_typos_reach_the_first_letters_and_words_are_swapped_or_abbreviated(hard):
    _, rows, entity = hard
    first_letter = swapped = abbreviated = 0
    for names in _names_by_entity(rows, entity).values():
        words = [re.findall(r"[a-z]+", n.lower()) for n in names]
        for other in words[1:]:
            first_letter += other[0][0] != words[0][0][0] and set(other) != set(words[0])
            swapped += other[:2] != words[0][:2] and sorted(other[:3]) == sorted(words[0][:3])
            abbreviated += bool({"intl", "svcs", "eng", "mgmt", "hldgs", "cons", "const"}
                                & set(other))
    assert first_letter >= 20 and swapped >= 20 and abbreviated >= 5


def test_rows_without_a_name_keep_a_phone_or_email_of_their_organisation(hard):
    _, rows, entity = hard
    unnamed = [k for k, r in rows.items() if not r.get("organization_name")]
    assert len(unnamed) >= 20
    contact = defaultdict(set)
    for key, record in rows.items():
        if record.get("organization_name"):
            contact[entity[key]] |= {record.get("contact_phone"), record.get("contact_email")}
    linked = sum(1 for k in unnamed
                 if {rows[k].get("contact_phone"), rows[k].get("contact_email")}
                 & (contact[entity[k]] - {None}))
    assert linked >= len(unnamed) * 0.6


def test_group_companies_share_a_switchboard_and_twins_share_a_town(hard):
    _, rows, entity = hard
    holders = defaultdict(set)
    for key, record in rows.items():
        if record.get("contact_phone"):
            holders[record["contact_phone"]].add(entity[key])
    assert sum(1 for owners in holders.values() if len(owners) > 1) >= 5
    names = {e: n[0] for e, n in _names_by_entity(rows, entity).items()}
    keys = defaultdict(set)
    for eid, name in names.items():
        words = re.findall(r"[a-z]+", name.lower())
        keys[" ".join(words[:2])].add(eid)
    assert sum(1 for owners in keys.values() if len(owners) > 1) >= 10
