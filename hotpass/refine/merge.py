"""Merge: one record per cluster, each field chosen by policy, with provenance.

Contract: ``merge_clusters(frame, labels, profile)`` returns ``Merged``: the refined
records (one per organisation, deterministic order and ids), a provenance table (one row
per record: every source row, where each field came from, conflicting values) and the
record -> primary source mapping validation uses to name file/sheet/row.

Policy, per field: the profile's ``dedupe.source_priority`` (file-name globs, earlier wins),
then the more complete row, then the more recent ``last_interaction_date``, then input
order. The primary contact is one whole row (name, role, email, phone of one person); all
other distinct contact names, emails and phones are kept as secondary contacts; one person
appears once per organisation (``people.same_people``: same e-mail, or one name beginning
the other with the same e-mail domain), under the fuller name.

Ids come from ``refine.keys`` (the name key and the cluster's own rows), so two clusters
of one name get two ids; ``validate.check_keys`` fails the run if any id still repeats.

Pitfalls: ``groupby().first()`` skips nulls, which is exactly "best non-empty value".
Memory: with ``consume`` the input's columns go once the sorted copy holds them, the
copy's values once provenance has compared them, and temporaries as soon as they are
used; freed heap is handed back between steps (``heap.release_free_memory``). At 200,000
rows that took the merge's peak from ~595 to ~466 MB (the process, input included).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np

from hotpass.profiles.model import Profile
from hotpass.refine.ingest.people import same_people
from hotpass.refine.keys import member_fingerprints, record_ids
from hotpass.refine.model import (
    EXTRA_EMAILS,
    EXTRA_NAMES,
    EXTRA_PHONES,
    NAME_KEY,
    PROVENANCE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
)
from hotpass.refine.provenance import (
    CLUSTER,
    RANK,
    field_provenance,
    join_groups,
    provenance_frame,
)
from hotpass.refine.resolve.names import name_keys

SECONDARY = {"person": "secondary_contact_names", "email": "secondary_contact_emails",
             "phone": "secondary_contact_phones"}


@dataclass
class Merged:
    """Refined records plus what validation and the Provenance sheet need to cite sources.

    ``rows`` holds (file, sheet, row) of every input row by rank; ``field_rank`` maps each
    record (index: organization_id) and field to the rank of the row its value came from
    (-1: empty); ``primary_rank`` is the record's primary (top-ranked) row.
    """

    refined: object  # pd.DataFrame
    provenance: object  # pd.DataFrame
    rows: object  # pd.DataFrame indexed by rank
    primary_rank: object  # pd.Series indexed by organization_id
    field_rank: object  # pd.DataFrame indexed by organization_id
    conflicts: dict[tuple[str, str], list[str]]

    def source_of(self, record: str, field: str | None = None) -> tuple[str, str, int]:
        """(file, sheet, row) a record's field came from; the primary row as fallback."""
        if not hasattr(self, "_position"):
            self._position = {r: i for i, r in enumerate(self.field_rank.index)}
            self._ranks = {f: self.field_rank[f].to_numpy() for f in self.field_rank.columns}
            self._primary = self.primary_rank.to_numpy()
            self._cites = list(self.rows.itertuples(index=False, name=None))
        position = self._position[record]
        rank = self._ranks[field][position] if field in self._ranks else -1
        if rank < 0:
            rank = self._primary[position]
        file, sheet, row = self._cites[rank]
        return file, sheet, int(row)


def merged_fields(profile: Profile) -> list[str]:
    """Profile fields carried into the refined records: join keys are source-local ids."""
    join_keys = {join.key for join in profile.joins}
    return [f for f in profile.fields if f not in join_keys]


def output_columns(profile: Profile) -> list[str]:
    org = [f for f in merged_fields(profile) if not profile.fields[f].contact]
    contact = [f for f in merged_fields(profile) if profile.fields[f].contact]
    secondary = [SECONDARY[s.kind] for s in profile.fields.values()
                 if s.contact and s.kind in SECONDARY]
    return ["organization_id", *org, *contact, *secondary, "source_count", "sources"]


def _priority(file: str, patterns: list[str]) -> int:
    lowered = file.lower()
    for index, pattern in enumerate(patterns):
        if fnmatch.fnmatch(lowered, pattern.lower()):
            return index
    return len(patterns)


def merge_clusters(frame, labels: np.ndarray, profile: Profile,
                   evidence: dict[int, str] | None = None, consume: bool = False) -> Merged:
    """``evidence`` (cluster label -> JSON of its deciding links) becomes the Provenance
    column ``match_evidence``. ``consume``: the caller hands ``frame`` and ``evidence``
    over; the frame's columns are dropped once the sorted copy holds them, so the rows
    that no record keeps are freed as soon as provenance no longer needs them, and
    ``evidence`` is emptied once it is Arrow text."""
    import pandas as pd

    from hotpass.refine.heap import release_free_memory

    fields = [f for f in merged_fields(profile) if f in frame.columns]
    evidence_texts = _evidence_texts(evidence or {}, consume)
    order = _merge_order(frame, labels, fields, profile)
    work = frame.iloc[order]  # one copy, sorted
    if consume:
        for name in list(frame.columns):
            del frame[name]
    work.index = pd.RangeIndex(len(work))
    work[CLUSTER] = np.asarray(labels)[order]
    work[RANK] = np.arange(len(work))
    _one_name_per_person(work, profile)
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
        del primary_rows
    del has_contact
    primary_rank = work.groupby(CLUSTER, sort=False)[RANK].first()  # the top-ranked row

    release_free_memory()
    _add_secondary_contacts(refined, work, profile, contact_fields)
    release_free_memory()
    refined["source_count"] = groups.size().astype("int64")
    del groups
    files_per_cluster = work[[CLUSTER, SOURCE_FILE]].drop_duplicates().sort_values(
        [CLUSTER, SOURCE_FILE])
    refined["sources"] = join_groups(files_per_cluster[CLUSTER], files_per_cluster[SOURCE_FILE],
                                     "; ")
    del files_per_cluster

    names = refined.get("organization_name", pd.Series(None, index=refined.index, dtype=object))
    if NAME_KEY in work and "organization_name" in work:  # computed while clustering
        known = dict(zip(work["organization_name"], work[NAME_KEY], strict=True))
        keys = pd.Series([known.get(n, "") for n in names], index=names.index, dtype=object)
        del known
    else:
        keys = name_keys(names, profile.dedupe.legal_suffixes)
    rows = work[list(PROVENANCE_COLUMNS)].reset_index(drop=True)
    primary_rank = primary_rank.astype("int64")
    cites = rows.to_numpy(dtype=object)  # row access by position, not one Series per record
    tops = primary_rank.reindex(refined.index).to_numpy()
    refined["organization_id"] = record_ids(
        keys, member_fingerprints(work[[f for f in fields if _evidence(profile, f)]],
                                  work[CLUSTER]).reindex(refined.index),
        lambda i, cites=cites, tops=tops: tuple(map(str, cites[tops[i]])))
    del cites, tops
    refined = refined.reindex(columns=[c for c in output_columns(profile)
                                       if c in refined.columns or c in fields])
    refined["__unnamed"] = keys == ""
    refined["__sort"] = keys
    refined = refined.sort_values(["__unnamed", "__sort", "organization_id"], kind="stable")
    refined = refined.drop(columns=["__unnamed", "__sort"])

    release_free_memory()
    field_rank, conflicts = field_provenance(work, refined, org_fields, contact_fields)
    work = work[[CLUSTER]]  # all provenance needs now: the other rows' values can go
    release_free_memory()
    ids = refined["organization_id"]
    provenance = provenance_frame(work, refined, rows, field_rank, conflicts,
                                   primary_rank.reindex(refined.index).to_numpy())
    release_free_memory()  # the Provenance text's pieces, before the evidence's column
    provenance["match_evidence"] = evidence_texts(refined.index)
    merged_primary = pd.Series(primary_rank.reindex(refined.index).to_numpy(), index=ids.to_numpy())
    field_rank.index = ids.to_numpy()
    refined = refined.reset_index(drop=True).astype(object)
    refined = refined.where(refined.notna(), None)
    refined["source_count"] = refined["source_count"].astype("int64")
    return Merged(refined, provenance, rows, merged_primary, field_rank, conflicts)


def _evidence_texts(evidence: dict[int, str], consume: bool):
    """``evidence`` as Arrow text; returns ``texts(labels)``: the Provenance column
    ``match_evidence`` of records ``labels`` (null: no deciding link). ``consume``: the
    caller hands ``evidence`` over and it is emptied, so its Python strings (~100 MB at
    1,000,000 rows) are not held through the merge beside their Arrow twin."""
    import pandas as pd
    import pyarrow as pa

    from hotpass.refine.provenance import text_column

    known = pd.Index(np.fromiter(evidence.keys(), dtype=np.int64, count=len(evidence)))
    texts = pa.array(list(evidence.values()), pa.large_string())
    if consume:
        evidence.clear()

    def column(labels):
        at = known.get_indexer(labels)
        return text_column(texts.take(pa.array(at, mask=at < 0)))
    return column


def _merge_order(frame, labels: np.ndarray, fields: list[str], profile: Profile) -> np.ndarray:
    """Row positions by cluster, then the policy (source priority, more complete, more
    recent, input order); one stable ``np.lexsort`` over integer keys (text as the codes
    of its sorted distinct values), not a sort of a frame of keys."""
    import pandas as pd

    def ranked(column) -> np.ndarray:  # codes in the values' sorted order
        return pd.factorize(np.asarray(column, dtype=object), sort=True)[0]

    files, names = pd.factorize(frame[SOURCE_FILE].to_numpy(dtype=object), sort=True)
    priority = np.array([_priority(name, profile.dedupe.source_priority) for name in names],
                        dtype=np.int64)[files]
    filled = np.zeros(len(frame), dtype=np.int64)
    for field in fields:
        filled -= frame[field].notna().to_numpy()
    recency = frame["last_interaction_date"].fillna("") if "last_interaction_date" in frame \
        else np.full(len(frame), "", dtype=object)
    return np.lexsort((frame[SOURCE_ROW].to_numpy(), ranked(frame[SOURCE_SHEET]), files,
                       -ranked(recency), filled, priority, np.asarray(labels)))


def _evidence(profile: Profile, field: str) -> bool:
    """Fields that tell organisations apart (the de-duplication's evidence)."""
    return profile.fields[field].kind in ("name", "email", "phone", "website",
                                          "identifier") or "address" in field


def _one_name_per_person(work, profile: Profile) -> None:
    """The same person twice in one organisation ("Thandi" and "Thandi Mokoena" with one
    e-mail) becomes one, under the fuller name (``people.same_people``)."""
    import pandas as pd

    person = next((f for f in profile.fields_of_kind("person") if f in work), None)
    email = next((f for f in profile.fields_of_kind("email") if f in work), None)
    if person is None or email is None:
        return
    fuller = same_people(work[CLUSTER], work[person], work[email])
    if not fuller:
        return
    mapping = pd.DataFrame([(c, n, f) for (c, n), f in fuller.items()],
                           columns=[CLUSTER, person, "__fuller"])
    found = work[[CLUSTER, person]].merge(mapping, how="left", on=[CLUSTER, person])
    found = found["__fuller"].to_numpy()
    work[person] = np.where(pd.notna(found), found, work[person].to_numpy(dtype=object))


def _add_secondary_contacts(refined, work, profile: Profile, contact_fields: list[str]) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    for field in contact_fields:
        kind = profile.fields[field].kind
        if kind not in SECONDARY:
            continue
        values = work[[CLUSTER, field]].rename(columns={field: "v"})
        extra_col = {"email": EXTRA_EMAILS, "phone": EXTRA_PHONES, "person": EXTRA_NAMES}[kind]
        if extra_col and extra_col in work:
            extra = work[[CLUSTER, extra_col]].dropna()
            parts = pc.split_pattern(pa.array(extra[extra_col].to_numpy(dtype=object),
                                              pa.string()), "; ")
            extra = pd.DataFrame({
                CLUSTER: extra[CLUSTER].to_numpy()[pc.list_parent_indices(parts).to_numpy()],
                "v": pc.list_flatten(parts).to_numpy(zero_copy_only=False)})
            values = pd.concat([values, extra], ignore_index=True)
        values = values.dropna().drop_duplicates()
        primary = refined[field].rename("p")
        values = values.join(primary, on=CLUSTER)
        text = pa.array(values["v"].to_numpy(dtype=object), pa.string())
        kept = pa.array(values["p"].to_numpy(dtype=object), pa.string(), from_pandas=True)
        if kind == "person":  # "Jo Smith (Director)" is the primary "Jo Smith" again
            text = pc.list_element(pc.split_pattern(text, " (", max_splits=1), 0)
        other = pc.fill_null(pc.not_equal(text, kept), True).to_numpy(zero_copy_only=False)
        if kind == "person":
            other &= values["v"].to_numpy(dtype=object) != values["p"].to_numpy(dtype=object)
        values = values[other]
        joined = join_groups(values[CLUSTER], values["v"], "; ")
        refined[SECONDARY[kind]] = joined.reindex(refined.index)
