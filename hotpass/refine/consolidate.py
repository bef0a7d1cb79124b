"""Consolidation: all prepared files into one de-duplicated, merged, validated set.

Contract: ``consolidate(prepared, profile)`` links sheets across files, combines the
frames, resolves duplicates (honouring reviewers' ``decisions``), merges clusters and
validates; it raises ``InputError`` when no usable rows remain; records naming no
organisation are errors and left out; a repeated ``organization_id`` fails the run.

Pitfalls: the per-file frames are emptied once combined, and memory the resolution
freed is handed back before the merge (``heap.release_free_memory``), so the rows are
held about once at a time.
"""

from __future__ import annotations

from hotpass.errors import InputError
from hotpass.profiles.model import Profile
from hotpass.refine.ingest.domains import attach_by_domain
from hotpass.refine.ingest.links import drop_link_keys, link_sheets
from hotpass.refine.model import (
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    Consolidated,
    PreparedSource,
)
from hotpass.refine.stages import StageClock


def consolidate(prepared: list[PreparedSource], profile: Profile,
                decisions: list | None = None, clock: StageClock | None = None) -> Consolidated:
    """``decisions``: the reviewers' (``hotpass.refine.resolve.review_file``), honoured;
    ``clock`` times the steps as ``consolidate.link|combine|resolve|merge|validate``."""
    import pandas as pd

    from hotpass.refine.heap import release_free_memory
    from hotpass.refine.merge import merge_clusters
    from hotpass.refine.resolve.dedupe import resolve
    from hotpass.refine.validate import check_keys, leave_out_unnamed, validate_records

    clock = StageClock() if clock is None else clock
    with clock.stage("consolidate.link"):
        sources = [s for p in prepared for s in p.frames]
        cross_file = link_sheets(sources, profile, across_files=True)
        drop_link_keys(sources)
    frames = [s.frame for p in prepared for s in p.frames if len(s.frame)]
    if not frames:
        failures = [i for p in prepared for i in p.issues if i.severity == "error"]
        first = failures[0] if failures else None
        detail = ("no sheet held any data rows" if first is None
                  else first.message if first.message.startswith(first.file) else first.one_line())
        raise InputError(f"no usable input: {detail}")
    with clock.stage("consolidate.combine"):
        combined = pd.concat(frames, ignore_index=True, sort=False)
        del frames
        for source in (s for p in prepared for s in p.frames):
            # the combined frame holds the rows now; a copy, as a slice is a view that
            # keeps every row's values alive (~400 MB at 1,000,000 rows, to the end)
            source.frame = source.frame.iloc[0:0].copy()
        _as_shared_texts(combined)
        attach_by_domain(combined, profile)
    with clock.stage("consolidate.resolve"):
        resolution = resolve(combined, profile, decisions=decisions)
    labels = resolution.labels
    records_per_sheet = (
        pd.DataFrame({"file": combined[SOURCE_FILE], "sheet": combined[SOURCE_SHEET],
                      "record": labels}).drop_duplicates().groupby(["file", "sheet"]).size())
    for source in (s for p in prepared for s in p.frames):
        source.report.rows_out = int(records_per_sheet.get((source.file, source.sheet), 0))
    rows_in = len(combined)
    with clock.stage("consolidate.merge"):
        release_free_memory()  # the resolution's garbage: some 170 MB at 200,000 rows
        merged = merge_clusters(combined, labels, profile, resolution.evidence, consume=True)
        del combined
        release_free_memory()
    with clock.stage("consolidate.validate"):
        issues = ([i for p in prepared for i in p.issues] + cross_file
                  + validate_records(merged, profile))
        records = len(merged.refined)
        leave_out_unnamed(merged)
        check_keys(merged)
    return Consolidated(merged.refined, merged.provenance, issues, rows_in, rows_in - records,
                        resolution.model | {"near_threshold": resolution.near_threshold})


def _as_shared_texts(combined) -> None:
    """Every column but ``SOURCE_ROW`` as Python objects, missing values ``None``. A
    column of strings in another dtype (the source file and sheet: Arrow strings) gets one
    object per distinct value: converting it element by element made a string per row
    (two such columns: ~130 MB at 1,000,000 rows, held to the end of the merge)."""
    import numpy as np
    import pandas as pd

    for name in [c for c in combined.columns if c != SOURCE_ROW]:
        column = combined[name]
        if column.dtype != object and pd.api.types.is_string_dtype(column.dtype):
            codes, distinct = pd.factorize(column, use_na_sentinel=True)
            values = np.append(np.asarray(distinct, dtype=object), None)[codes]
        else:
            values = column.to_numpy(dtype=object)
            missing = pd.isna(values)
            if column.dtype == object and not missing.any():
                continue  # as it is
            values = values.copy()
            values[missing] = None
        # as a Series of dtype object: pandas would infer its string dtype from an array
        combined[name] = pd.Series(values, index=combined.index, dtype=object)
