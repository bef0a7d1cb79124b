"""Provenance, vectorised, against the plain per-record rules it implements."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd

from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.provenance import (
    CLUSTER,
    RANK,
    field_provenance,
    join_groups,
    provenance_frame,
)

FIELDS = ["organization_name", "status", "contact_email"]


def work_and_refined(rows: int = 600, seed: int = 5):
    """Rows in cluster order (as the merge sorts them), values with gaps and repeats, odd
    file and sheet names (quotes, non-ASCII); records keyed by cluster in another order."""
    rng = random.Random(seed)
    clusters = sorted(rng.randrange(rows // 3) for _ in range(rows))
    pick = lambda options: [rng.choice(options) for _ in range(rows)]  # noqa: E731
    work = pd.DataFrame({
        CLUSTER: clusters,
        RANK: np.arange(rows),
        SOURCE_FILE: pick(['crm "live".xlsx', "régistre.csv", "a|b.xlsx"]),
        SOURCE_SHEET: pick(["", "Orgs", "Contacts"]),
        SOURCE_ROW: [rng.randrange(2, 10_000) for _ in range(rows)],
        "organization_name": pick(["Acme", "Acme Ltd", "Zulu", "Ébène", None]),
        "status": pick(["Active", "Closed", None, None]),
        "contact_email": pick(["a@x.co.za", "b@x.co.za", None]),
    }).astype({c: object for c in FIELDS + [SOURCE_FILE, SOURCE_SHEET]})
    work[FIELDS] = work[FIELDS].where(work[FIELDS].notna(), None)
    firsts = work.groupby(CLUSTER, sort=True)[FIELDS].first()
    refined = firsts.sample(frac=1, random_state=seed).astype(object)
    refined = refined.where(refined.notna(), None)
    refined["organization_id"] = [f"org-{c}" for c in refined.index]
    return work, refined


def test_field_ranks_and_conflicts_follow_the_rules():
    work, refined = work_and_refined()
    field_rank, conflicts = field_provenance(work, refined, FIELDS[:2], FIELDS[2:])
    expected_conflicts = {}
    for field in FIELDS:
        for cluster, rows in work.groupby(CLUSTER, sort=True):
            kept = refined.at[cluster, field]
            ranks = [r for r, v in zip(rows[RANK], rows[field], strict=True)
                     if v is not None and v == kept]
            assert field_rank.at[cluster, field] == (ranks[0] if ranks else -1)
            distinct = sorted({v for v in rows[field] if v is not None})
            if field != "contact_email" and len(distinct) > 1:
                expected_conflicts[(f"org-{cluster}", field)] = distinct
    assert list(conflicts.items()) == list(expected_conflicts.items())


def test_provenance_text_is_the_per_record_json():
    work, refined = work_and_refined()
    field_rank, conflicts = field_provenance(work, refined, FIELDS[:2], FIELDS[2:])
    rows = work[[SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW]]
    primary = work.groupby(CLUSTER)[RANK].first().reindex(refined.index).to_numpy()
    frame = provenance_frame(work, refined, rows, field_rank, conflicts, primary)
    cite = lambda r: "|".join(map(str, rows.iloc[r]))  # noqa: E731
    for position, cluster in enumerate(refined.index):
        got = {column: None if pd.isna(value := frame[column].iloc[position]) else value
               for column in frame.columns}
        members = work[work[CLUSTER] == cluster]
        assert json.loads(got["source_rows"]) == members[[SOURCE_FILE, SOURCE_SHEET,
                                                          SOURCE_ROW]].values.tolist()
        assert got["primary_source"] == cite(primary[position])
        elsewhere = {f: cite(r) for f in sorted(FIELDS)
                     if (r := field_rank.at[cluster, f]) >= 0 and r != primary[position]}
        assert got["field_sources"] == (json.dumps(elsewhere) if elsewhere else None)


def test_join_groups_joins_in_order_of_appearance():
    keys = np.array([3, 1, 3, 2, 1, 3])
    values = ["c1", "a1", "c2", "b1", "a2", "c3"]
    joined = join_groups(keys, values, "; ", "[", "]")
    assert joined.to_dict() == {1: "[a1; a2]", 2: "[b1]", 3: "[c1; c2; c3]"}
