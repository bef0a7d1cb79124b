"""Merge: one record per cluster, each field chosen by policy, with provenance.

Contract: ``merge_clusters(frame, labels, profile)`` returns ``Merged``: the refined
records (one per organisation, deterministic order and ids), a provenance table (one row
per record: every source row, where each field came from, conflicting values) and the
record -> primary source mapping validation uses to name file/sheet/row.

Policy, per field: the profile's ``dedupe.source_priority`` (file-name globs, earlier wins),
then the more complete row, then the more recent ``last_interaction_date``, then input
order. The primary contact is one whole row (name, role, email, phone of one person); all
other distinct contact names, emails and phones are kept as secondary contacts.

Pitfalls: ``groupby().first()`` skips nulls, which is exactly "best non-empty value".
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from hotpass.profiles import Profile
from hotpass.refine.dedupe import name_key
from hotpass.refine.model import (
    EXTRA_EMAILS,
    EXTRA_PHONES,
    PROVENANCE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
)

CLUSTER = "__cluster"
RANK = "__rank"
SECONDARY = {"person": "secondary_contact_names", "email": "secondary_contact_emails",
             "phone": "secondary_contact_phones"}


@dataclass
class Merged:
    refined: object  # pd.DataFrame
    provenance: object  # pd.DataFrame
    primary_source: dict[str, tuple[str, str, int]]
    field_sources: dict[tuple[str, str], tuple[str, str, int]]
    conflicts: dict[tuple[str, str], list[str]]


def output_columns(profile: Profile) -> list[str]:
    org = [f for f, s in profile.fields.items() if not s.contact]
    contact = [f for f, s in profile.fields.items() if s.contact]
    secondary = [SECONDARY[s.kind] for s in profile.fields.values()
                 if s.contact and s.kind in SECONDARY]
    return ["organization_id", *org, *contact, *secondary, "source_count", "sources"]


def _priority(file: str, patterns: list[str]) -> int:
    lowered = file.lower()
    for index, pattern in enumerate(patterns):
        if fnmatch.fnmatch(lowered, pattern.lower()):
            return index
    return len(patterns)


def merge_clusters(frame, labels: np.ndarray, profile: Profile) -> Merged:
    import pandas as pd

    fields = [f for f in profile.fields if f in frame.columns]
    work = frame.copy()
    work[CLUSTER] = labels
    files = pd.Series(work[SOURCE_FILE].unique())
    priority = dict(zip(files, files.map(lambda f: _priority(f, profile.dedupe.source_priority)),
                        strict=True))
    work["__priority"] = work[SOURCE_FILE].map(priority)
    work["__filled"] = -work[fields].notna().sum(axis=1)
    recency = work.get("last_interaction_date", pd.Series("", index=work.index)).fillna("")
    work["__recency"] = recency
    work = work.sort_values([CLUSTER, "__priority", "__filled", "__recency", SOURCE_FILE,
                             SOURCE_SHEET, SOURCE_ROW],
                            ascending=[True, True, True, False, True, True, True], kind="stable")
    work[RANK] = np.arange(len(work))
    groups = work.groupby(CLUSTER, sort=False)

    org_fields = [f for f in fields if not profile.fields[f].contact]
    contact_fields = [f for f in fields if profile.fields[f].contact]
    refined = groups[org_fields].first() if org_fields else pd.DataFrame(index=groups.size().index)
    refined = refined.reindex(columns=org_fields)

    has_contact = work[contact_fields].notna().any(axis=1) if contact_fields else None
    if contact_fields:
        primary_rows = work[has_contact].groupby(CLUSTER, sort=False).head(1).set_index(CLUSTER)
        for field in contact_fields:
            refined[field] = primary_rows[field].reindex(refined.index)
    primary_rank = work.groupby(CLUSTER, sort=False)[RANK].first()
    if contact_fields:
        primary_rank = primary_rows[RANK].reindex(refined.index).fillna(primary_rank)

    _add_secondary_contacts(refined, work, profile, contact_fields)
    refined["source_count"] = groups.size().astype("int64")
    refined["sources"] = groups[SOURCE_FILE].agg(lambda s: "; ".join(sorted(set(s))))

    keys = refined.get("organization_name", pd.Series(None, index=refined.index)).map(
        lambda n: name_key(n, profile.dedupe.legal_suffixes))
    by_rank = work.set_index(RANK)[list(PROVENANCE_COLUMNS)]
    primary = by_rank.loc[primary_rank.astype("int64").to_numpy()]
    primary.index = refined.index
    refined["organization_id"] = [
        _record_id(k, f, s, r) for k, (f, s, r) in
        zip(keys, primary.itertuples(index=False, name=None), strict=True)
    ]
    refined = refined.reindex(columns=[c for c in output_columns(profile)
                                       if c in refined.columns or c in fields])
    refined["__unnamed"] = keys == ""
    refined["__sort"] = keys
    refined = refined.sort_values(["__unnamed", "__sort", "organization_id"], kind="stable")
    refined = refined.drop(columns=["__unnamed", "__sort"])

    ids = refined["organization_id"]
    primary_source = dict(zip(ids, primary.loc[refined.index].itertuples(index=False, name=None),
                              strict=True))
    field_sources, conflicts = _field_provenance(work, refined, org_fields, contact_fields)
    provenance = _provenance_frame(work, refined, field_sources, conflicts)
    refined = refined.reset_index(drop=True).astype(object)
    refined = refined.where(refined.notna(), None)
    refined["source_count"] = refined["source_count"].astype("int64")
    return Merged(refined, provenance, primary_source, field_sources, conflicts)


def _record_id(key: str, file: str, sheet: str, row: int) -> str:
    basis = key or f"{file}|{sheet}|{row}"
    return "org-" + hashlib.sha1(basis.encode()).hexdigest()[:12]


def _add_secondary_contacts(refined, work, profile: Profile, contact_fields: list[str]) -> None:
    import pandas as pd

    for field in contact_fields:
        kind = profile.fields[field].kind
        if kind not in SECONDARY:
            continue
        values = work[[CLUSTER, field]].rename(columns={field: "v"})
        extra_col = {"email": EXTRA_EMAILS, "phone": EXTRA_PHONES}.get(kind)
        if extra_col and extra_col in work:
            extra = work[[CLUSTER, extra_col]].dropna()
            extra = extra.assign(v=extra[extra_col].str.split("; ")).explode("v")[[CLUSTER, "v"]]
            values = pd.concat([values, extra], ignore_index=True)
        values = values.dropna().drop_duplicates()
        primary = refined[field].rename("p")
        values = values.join(primary, on=CLUSTER)
        values = values[values["v"] != values["p"]]
        joined = values.groupby(CLUSTER, sort=False)["v"].agg("; ".join)
        refined[SECONDARY[kind]] = joined.reindex(refined.index)


def _field_provenance(work, refined, org_fields: list[str], contact_fields: list[str]):
    """Where each kept value came from; conflicts only for organisation fields (several
    contacts per organisation are expected, not a disagreement)."""
    sources: dict[tuple[str, str], tuple[str, str, int]] = {}
    conflicts: dict[tuple[str, str], list[str]] = {}
    cluster_to_id = refined["organization_id"]
    for field in org_fields + contact_fields:
        chosen = work[[CLUSTER, field, *PROVENANCE_COLUMNS]].dropna(subset=[field])
        chosen = chosen.merge(refined[[field]].rename(columns={field: "__chosen"}),
                              left_on=CLUSTER, right_index=True)
        first = chosen[chosen[field] == chosen["__chosen"]].groupby(CLUSTER, sort=False).head(1)
        for cluster, file, sheet, row in first[[CLUSTER, *PROVENANCE_COLUMNS]].itertuples(
                index=False, name=None):
            sources[(cluster_to_id[cluster], field)] = (file, sheet, int(row))
        if field in contact_fields:
            continue
        distinct = chosen[[CLUSTER, field]].drop_duplicates()
        counts = distinct.groupby(CLUSTER, sort=False).size()
        many = distinct[distinct[CLUSTER].isin(counts.index[counts > 1])]
        for cluster, values in many.groupby(CLUSTER, sort=False)[field]:
            conflicts[(cluster_to_id[cluster], field)] = sorted(values)
    return sources, conflicts


def _provenance_frame(work, refined, field_sources, conflicts):
    import pandas as pd

    rows_by_cluster = work.groupby(CLUSTER, sort=False)[list(PROVENANCE_COLUMNS)].apply(
        lambda g: json.dumps([[f, s, int(r)] for f, s, r in g.itertuples(index=False)]))
    by_id_sources: dict[str, dict[str, str]] = {}
    for (record, field), (file, sheet, row) in field_sources.items():
        by_id_sources.setdefault(record, {})[field] = f"{file}|{sheet}|{row}"
    by_id_conflicts: dict[str, dict[str, list[str]]] = {}
    for (record, field), values in conflicts.items():
        by_id_conflicts.setdefault(record, {})[field] = values
    ids = refined["organization_id"]
    return pd.DataFrame({
        "organization_id": ids.to_numpy(),
        "source_count": refined["source_count"].to_numpy(),
        "source_rows": rows_by_cluster.reindex(refined.index).to_numpy(),
        "field_sources": [json.dumps(by_id_sources.get(i, {}), sort_keys=True) for i in ids],
        "conflicts": [json.dumps(by_id_conflicts[i], sort_keys=True, ensure_ascii=False)
                      if i in by_id_conflicts else None for i in ids],
    })
