"""The match model learns each field's m from pairs not chosen for agreeing on it (as
Splink trains), and u from all pairs: a disagreement on a field that true duplicates
usually agree on counts against a merge, however exactly the names agree.

The data is shaped like a public person register (FEBRL) written as a contact list: most
people listed two or three times with the same phone and a corrupted address or name, and
a handful of different people who share a common whole name, each with their own phone and
an address far away."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from hotpass.profiles import load_profile
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.candidates import candidate_pairs
from hotpass.refine.resolve.comparisons import compare
from hotpass.refine.resolve.dedupe import resolve
from hotpass.refine.resolve.features import build_features
from hotpass.refine.resolve.weights import estimate, sample_levels, score

PROFILE = load_profile("generic")
GIVEN = ["liam", "ava", "noah", "mia", "ethan", "zoe", "lucas", "ella", "oscar", "ruby",
         "jack", "isla", "henry", "chloe", "leo", "grace", "max", "lily", "sam", "amber"]
SURNAMES = ["naidoo", "botha", "dlamini", "pillay", "mokoena", "van wyk", "smith", "jacobs",
            "khumalo", "nel", "fourie", "mahlangu", "ndlovu", "petersen", "govender",
            "venter", "zulu", "adams", "kruger", "mthembu", "sithole", "coetzee"]
STREETS = ["tullaroop street", "giblin street", "wallaby place", "milne cove",
           "forbes street", "pinkerton circuit", "stanley street", "light street"]
TWINS = 12  # names held by two different people


def _typo(text: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2:]


def _register() -> tuple[pd.DataFrame, np.ndarray]:
    rng = random.Random(11)
    people: list[tuple[str, str, str]] = []
    names = sorted({f"{g} {s}" for g in GIVEN for s in SURNAMES})
    rng.shuffle(names)
    for index, name in enumerate(names[:400]):
        address = f"{rng.randrange(1, 300)} {rng.choice(STREETS)} {4000 + index}"
        people.append((name, f"011 {500 + index // 100:03d} {1000 + index:04d}", address))
    for index in range(TWINS):  # a different person under an existing person's whole name
        name = people[index][0]
        people.append((name, f"021 {700 + index:03d} {2000 + index:04d}",
                       f"{rng.randrange(1, 300)} {rng.choice(STREETS)} {7000 + index}"))
    rows, entity = [], []
    for person, (name, phone, address) in enumerate(people):
        copies = 1 if person >= 400 else rng.choice((1, 2, 3))
        for copy in range(copies):
            street = address if copy == 0 or rng.random() < 0.5 else _typo(address, rng)
            written = name if copy == 0 or rng.random() < 0.6 else _typo(name, rng)
            if copy and rng.random() < 0.4:  # the street corrupted into another postcode
                street = street.rsplit(" ", 1)[0] + f" {rng.randrange(2000, 2999)}"
            rows.append({"organization_name": written, "contact_phone": phone,
                         "address": street})
            entity.append(person)
    frame = pd.DataFrame([{**row, SOURCE_FILE: "register.csv", SOURCE_SHEET: "",
                           SOURCE_ROW: n} for n, row in enumerate(rows, start=2)], dtype=object)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame, np.asarray(entity)


def test_a_differing_phone_counts_against_two_records_with_one_name():
    frame, entity = _register()
    features = build_features(frame, PROFILE)
    left, right = candidate_pairs(features, PROFILE.dedupe.max_block)
    compared = compare(features, left, right, PROFILE.dedupe.levels)
    model = estimate(features, compared, sample_levels(features, left, right,
                                                       PROFILE.dedupe.levels))
    weight = score(model, features, left, right, compared)
    threshold = np.log2(PROFILE.dedupe.match_probability
                        / (1 - PROFILE.dedupe.match_probability))
    # true duplicates here nearly always share their phone: a differing one is rare among
    # them, and its m says so (learned from the pairs agreeing on name or address)
    assert model.m["phone"][0] < 0.15
    twins = (entity[left] != entity[right]) & (features.name[left] == features.name[right])
    assert twins.sum() >= TWINS
    assert weight[twins].max() < threshold  # same whole name, other phone, far address


def test_people_sharing_a_whole_name_stay_apart_and_duplicates_join():
    frame, entity = _register()
    labels = resolve(frame, PROFILE).labels
    for person in range(400, 400 + TWINS):
        twin = np.flatnonzero(entity == person)[0]
        original = np.flatnonzero(entity == person - 400)
        assert labels[twin] not in set(labels[original].tolist())
    same = entity[:, None] == entity[None, :]
    together = labels[:, None] == labels[None, :]
    upper = np.triu(np.ones_like(same), k=1)
    assert (together & same & upper).sum() / (same & upper).sum() >= 0.9  # recall
