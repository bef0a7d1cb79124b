"""Provenance of merged records: where each kept value came from, and the Provenance sheet.

Contract: ``field_provenance(work, refined, org_fields, contact_fields)`` gives, per record
and field, the rank of the input row its value came from (-1: empty) and the conflicting
values of organisation fields; ``provenance_frame(...)`` builds the Provenance sheet's rows
(primary source, every source row as JSON, fields taken from other rows, conflicts).
``join_groups`` is the fast per-key ``separator.join`` both use, as ``merge`` does.

Pitfalls: the sheet's text is built in Arrow from one string per distinct (file, sheet)
and the row numbers: citing text for every input row as Python strings (three a row) was
the merge's memory peak at 200,000 rows, and joining it per record its longest step. The
columns stay Arrow text (``text_column``): Python strings only to be converted back by
pandas were the merge's peak at 1,000,000 rows.
Fields are compared as ``factorize`` codes; a conflict's values are sorted per record
(Python's string order, as ``sort_values`` gives).
"""

from __future__ import annotations

import json

import numpy as np

from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET

CLUSTER = "__cluster"
RANK = "__rank"


def join_groups(keys, values, separator: str, prefix: str = "", suffix: str = ""):
    """``prefix + separator.join(values) + suffix`` per key, in order of appearance, joined
    in Arrow (pandas' agg("".join) slices a Series per group, ~50x slower)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = np.asarray(keys)
    if len(keys) == 0:
        return pd.Series([], dtype=object)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    text = pa.array(np.asarray(values, dtype=object)[order], pa.string())
    joined = pc.binary_join(pa.ListArray.from_arrays(
        pa.array(np.r_[starts, len(keys)], pa.int32()), text), separator)
    if prefix or suffix:
        joined = _wrapped(joined, prefix, suffix)
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=keys[starts], dtype=object)


def field_provenance(work, refined, org_fields: list[str], contact_fields: list[str]):
    """Rank of the row each kept value came from, per record and field; conflicts only for
    organisation fields (several contacts per organisation are expected, not a conflict).
    Each field is compared as integer codes (one ``factorize`` per field), not value by
    value."""
    import pandas as pd

    field_rank = pd.DataFrame(index=refined.index)
    conflicts: dict[tuple[str, str], list[str]] = {}
    cluster_to_id = dict(zip(refined.index, refined["organization_id"].to_numpy(dtype=object),
                             strict=True))
    clusters = work[CLUSTER].to_numpy()
    position = refined.index.get_indexer(clusters)
    ranks = work[RANK].to_numpy()  # ascending within each cluster: first match = top row
    for field in org_fields + contact_fields:
        conflicting = field not in contact_fields
        values = work[field].to_numpy(dtype=object)
        # one hashing pass: the kept values are among the rows' own
        codes, uniques = pd.factorize(np.concatenate(
            [values, refined[field].to_numpy(dtype=object)]))
        codes, kept = codes[:len(values)], codes[len(values):]
        match = np.flatnonzero((codes >= 0) & (codes == kept[position]))
        first = match[np.r_[True, clusters[match[1:]] != clusters[match[:-1]]]] \
            if len(match) else match  # work is in cluster order: first match per cluster
        column = np.full(len(refined), -1, dtype=np.int64)
        column[position[first]] = ranks[first]
        field_rank[field] = column
        if conflicting:
            for cluster, distinct in _distinct_values(clusters, codes, uniques):
                conflicts[(cluster_to_id[cluster], field)] = distinct
    return field_rank, conflicts


def _distinct_values(groups: np.ndarray, codes: np.ndarray, uniques: np.ndarray):
    """(group, its distinct values sorted) for each group holding two or more distinct
    values (codes >= 0), groups ascending."""
    present = codes >= 0
    if not present.any():
        return
    width = np.int64(len(uniques))
    pairs = np.sort(groups[present].astype(np.int64) * width + codes[present])
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    group, code = pairs // width, pairs % width
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(group)]
    many = (ends - starts) > 1
    values = uniques[code].tolist()
    for start, end in zip(starts[many].tolist(), ends[many].tolist(), strict=True):
        yield group[start], sorted(values[start:end])


def provenance_frame(work, refined, rows, field_rank, conflicts, primary: np.ndarray):
    """One row per record: its primary source, every source row, the fields that came from
    another row than the primary one, and conflicting values. The text is assembled in
    Arrow from one string per distinct (file, sheet) and the row numbers."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    places, codes = _places(rows)
    numbers = pc.cast(pa.array(rows[SOURCE_ROW].to_numpy()), pa.string())

    def text(per_place: list[str], suffix: str, at=None):  # per_place[row's place] + number + suffix
        where = codes if at is None else codes[at]
        return pc.binary_join_element_wise(
            pa.array(per_place, pa.string()).take(where),
            numbers if at is None else numbers.take(at), pa.scalar(suffix), "")

    # source_rows: [["file", "sheet", 12], ...] per cluster; work's rows are in cluster order
    fragments = text([json.dumps(list(place))[:-1] + ", " for place in places], "]")
    clusters = work[CLUSTER].to_numpy()
    starts = np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]])
    grouped = pa.ListArray.from_arrays(pa.array(np.r_[starts, len(clusters)], pa.int32()),
                                       fragments)
    at = pd.Index(clusters[starts]).get_indexer(refined.index)
    del fragments
    source_rows = text_column(_wrapped(pc.binary_join(grouped, ", ").take(at), "[", "]"))
    del grouped

    # field_sources: {"field": "file|sheet|row", ...} for fields not from the primary row,
    # one field at a time onto one growing array (all fields' pieces at once cost ~50 MB)
    cites = text([json.dumps("|".join(place) + "|")[:-1] for place in places], '"')
    joined = pa.array([""] * len(refined), pa.string())
    for field in sorted(field_rank.columns):
        rank = field_rank[field].to_numpy()
        cited = (rank >= 0) & (rank != primary)
        taken = cites.take(pa.array(np.where(cited, rank, 0), mask=~cited))
        piece = pc.fill_null(pc.binary_join_element_wise(
            pa.scalar(json.dumps(field) + ": "), taken, pa.scalar(", "), ""), "")
        joined = pc.binary_join_element_wise(joined, piece, "")
    del cites
    # every piece ends in '", ', so trimming ", " off the end removes the last separator only
    joined = pc.utf8_rtrim(joined, characters=", ")
    field_sources = text_column(_wrapped(pc.if_else(pc.equal(pc.utf8_length(joined), 0), None,
                                                 joined), "{", "}"))
    del joined

    by_record: dict[str, dict[str, list[str]]] = {}
    for (record, field), values in conflicts.items():
        by_record.setdefault(record, {})[field] = values
    ids = refined["organization_id"].to_numpy(dtype=object)
    return pd.DataFrame({
        "organization_id": ids,
        "primary_source": text_column(text(["|".join(place) + "|" for place in places], "",
                                        primary)),
        "source_rows": source_rows,
        "field_sources": field_sources,
        "conflicts": [json.dumps(by_record[i], sort_keys=True, ensure_ascii=False)
                      if i in by_record else None for i in ids],
    })


def _places(rows):
    """The distinct (file, sheet) of ``rows`` and each row's index into them."""
    import pandas as pd

    files, file_names = pd.factorize(rows[SOURCE_FILE].to_numpy(dtype=object),
                                     use_na_sentinel=False)
    sheets, sheet_names = pd.factorize(rows[SOURCE_SHEET].to_numpy(dtype=object),
                                       use_na_sentinel=False)
    codes, pairs = pd.factorize(files.astype(np.int64) * len(sheet_names) + sheets)
    places = [(file_names[pair // len(sheet_names)], sheet_names[pair % len(sheet_names)])
              for pair in pairs.tolist()]
    return places, codes


def _wrapped(array, prefix: str, suffix: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(pa.scalar(prefix), array, pa.scalar(suffix), "")


def text_column(array):
    """A Provenance column from Arrow text: a pandas ``str`` column made from the Arrow
    buffers (what pandas infers from the Python strings, without making them: ~250 MB of
    them at 1,000,000 rows); empty or all null, Python ``None`` objects (pandas keeps
    those as ``object``)."""
    if len(array) == 0 or array.null_count == len(array):
        return array.to_numpy(zero_copy_only=False)
    return array.to_pandas().array
