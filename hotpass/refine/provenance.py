"""Provenance of merged records: where each kept value came from, and the Provenance sheet.

Contract: ``field_provenance(work, refined, org_fields, contact_fields)`` gives, per record
and field, the rank of the input row its value came from (-1: empty) and the conflicting
values of organisation fields; ``provenance_frame(...)`` builds the Provenance sheet's rows
(primary source, every source row as JSON, fields taken from other rows, conflicts).
``join_groups`` is the fast per-key ``separator.join`` both use, as ``merge`` does.

Pitfalls: the sheet's text is built once per distinct (file, sheet) and once per row that
is cited; citing text for every input row up front (three strings a row) was the merge's
memory peak at 200,000 rows.
"""

from __future__ import annotations

import json

import numpy as np

from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET

CLUSTER = "__cluster"
RANK = "__rank"


def join_groups(keys, values, separator: str, prefix: str = "", suffix: str = ""):
    """``prefix + separator.join(values) + suffix`` per key, in order of appearance
    (pandas' agg("".join) is ~50x slower: it slices a Series per group)."""
    import pandas as pd

    keys = np.asarray(keys)
    values = np.asarray(values, dtype=object)
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    if len(keys) == 0:
        return pd.Series([], dtype=object)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    joined = [prefix + separator.join(values[a:b]) + suffix
              for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=keys[starts], dtype=object)


def field_provenance(work, refined, org_fields: list[str], contact_fields: list[str]):
    """Rank of the row each kept value came from, per record and field; conflicts only for
    organisation fields (several contacts per organisation are expected, not a conflict)."""
    import pandas as pd

    field_rank = pd.DataFrame(index=refined.index)
    conflicts: dict[tuple[str, str], list[str]] = {}
    cluster_to_id = dict(zip(refined.index, refined["organization_id"], strict=True))
    position = refined.index.get_indexer(work[CLUSTER])
    ranks = work[RANK].to_numpy()  # ascending within each cluster: first match = top row
    for field in org_fields + contact_fields:
        values = work[field]
        present = values.notna().to_numpy()
        kept = refined[field].to_numpy(dtype=object)[position]
        match = present & (values.to_numpy(dtype=object) == kept)
        records, first = np.unique(position[match], return_index=True)
        column = np.full(len(refined), -1, dtype=np.int64)
        column[records] = ranks[match][first]
        field_rank[field] = column
        if field in contact_fields:
            continue
        distinct = work.loc[values.notna(), [CLUSTER, field]].drop_duplicates()
        many = distinct[distinct.duplicated(CLUSTER, keep=False)].sort_values([CLUSTER, field])
        for cluster, joined in join_groups(many[CLUSTER], many[field], "\x1f").items():
            conflicts[(cluster_to_id[cluster], field)] = joined.split("\x1f")
    return field_rank, conflicts


def provenance_frame(work, refined, rows, field_rank, conflicts, primary: np.ndarray):
    """One row per record: its primary source, every source row, the fields that came from
    another row than the primary one, and conflicting values."""
    import pandas as pd

    files = rows[SOURCE_FILE].to_numpy(dtype=object)
    sheets = rows[SOURCE_SHEET].to_numpy(dtype=object)
    numbers = rows[SOURCE_ROW].to_numpy()
    # JSON-quote each distinct (file, sheet) once; rows only add their number.
    places = {place: json.dumps(list(place))[:-1] + ", "
              for place in set(zip(files, sheets, strict=True))}
    fragments = [places[(f, s)] + str(r) + "]"
                 for f, s, r in zip(files, sheets, numbers.tolist(), strict=True)]
    source_rows = join_groups(work[CLUSTER], fragments, ", ", "[", "]")
    del fragments

    quoted = {place: json.dumps("|".join(place) + "|")[:-1] for place in places}

    def plain(rank: int) -> str:  # "file|sheet|row"
        return f"{files[rank]}|{sheets[rank]}|{numbers[rank]}"

    def cite(rank: int) -> str:  # the same, JSON-quoted
        return f'{quoted[(files[rank], sheets[rank])]}{numbers[rank]}"'

    fields = sorted(field_rank.columns)
    labels = [json.dumps(field) + ": " for field in fields]
    elsewhere = (
        ", ".join(label + cite(rank) for label, rank in zip(labels, ranks, strict=True)
                  if rank >= 0 and rank != top)
        for ranks, top in zip(field_rank[fields].to_numpy().tolist(), primary.tolist(),
                              strict=True))
    field_sources = pd.Series([("{" + text + "}") if text else None for text in elsewhere],
                              index=field_rank.index, dtype=object)
    by_record: dict[str, dict[str, list[str]]] = {}
    for (record, field), values in conflicts.items():
        by_record.setdefault(record, {})[field] = values
    ids = refined["organization_id"]
    return pd.DataFrame({
        "organization_id": ids.to_numpy(),
        "primary_source": [plain(r) for r in primary.tolist()],
        "source_rows": source_rows.reindex(refined.index).to_numpy(),
        "field_sources": field_sources.reindex(refined.index).to_numpy(),
        "conflicts": [json.dumps(by_record[i], sort_keys=True, ensure_ascii=False)
                      if i in by_record else None for i in ids],
    })
