"""Linked sheets: attach child rows (contacts, addresses, notes) to their parent
organisation through a shared id or organisation name, within a workbook and across the
workbooks of one run; attach rows that name no organisation by their web or e-mail domain.

Contract: ``link_sheets(frames, profile, across_files)`` fills each child row's empty
organisation fields from its parent row and returns the issues. Declared joins
(``profile.joins``: sheet-name regexes and a key field) are applied first and win; then a
link is inferred where an identifier column (``identifier`` kind, or a spare id column kept
as ``LINK_KEY`` by mapping; ``drop_link_keys`` removes those after linking) is unique in one sheet
(the parent, which names organisations) and at least ``SUBSET_SHARE`` of another sheet's
values in that column are among the parent's. A sheet whose organisation names are mostly
a parent's names (and that holds no other organisation field) is reported as linked by
name: the names already bring its rows together. Every link is recorded on the child's
``SheetReport.links`` (sheets, column, share of child rows matched, unmatched rows), and
each child row whose key matched nothing is a ``join.orphan`` issue.
``attach_by_domain(frame, profile)`` gives a nameless row the name of the organisation
whose website or e-mail domain it shares (free-mail and shared domains are no evidence).

Pitfalls: ids are compared without spaces and case ("org-7 " = "ORG-7"); a column of
running numbers is unique in every sheet, so a link also needs the parent to name most of
its rows and the child to hold rows that do not; across files the frames are already
normalised, so both sides compare cleaned values.
"""

from __future__ import annotations

import re

from hotpass.profiles import Profile
from hotpass.refine.model import LINK_KEY, SOURCE_ROW, Issue, SourceFrame

SUBSET_SHARE = 0.5
UNIQUE_SHARE = 0.98
NAMED_SHARE = 0.5
UNMATCHED_LISTED = 50
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "outlook.com", "hotmail.com",
    "live.com", "icloud.com", "me.com", "aol.com", "protonmail.com", "proton.me", "mweb.co.za",
    "telkomsa.net", "webmail.co.za", "vodamail.co.za", "iafrica.com", "absamail.co.za",
    "lantic.net", "ymail.com", "msn.com", "gmx.com", "zoho.com"})


def link_sheets(frames: list[SourceFrame], profile: Profile,
                across_files: bool = False) -> list[Issue]:
    issues: list[Issue] = []
    linked: set[int] = set()
    if not across_files:
        for join in profile.joins:
            parent = next((f for f in frames if re.search(join.primary_sheet, f.sheet)), None)
            for child in frames:
                if parent is None or child is parent or not re.search(join.related_sheet,
                                                                      child.sheet):
                    continue
                keys = [k for k in _keys(child, [join.key]) if k == join.key
                        or k.startswith(LINK_KEY)]
                if join.key in parent.frame and keys:
                    # the declared key on the parent; on the child the id column that matches
                    key = max(keys, key=lambda k: (_subset_share(child.frame[k],
                                                                 parent.frame[join.key]), k == join.key))
                    issues += _attach(parent, (join.key, child, key), profile, "declared")
                    linked.add(id(child))
    ids = profile.fields_of_kind("identifier")
    parents = [(f, key) for f in frames for key in _keys(f, ids) if _is_parent(f, key)]
    for child in frames:
        if id(child) in linked or not _needs_parent(child):
            continue
        best = None
        for parent, key in parents:
            if parent is child or (across_files and parent.file == child.file) or (
                    not across_files and parent.file != child.file):
                continue
            for child_key in _keys(child, ids):
                share = _subset_share(child.frame[child_key], parent.frame[key])
                if share >= SUBSET_SHARE and (best is None or share > best[2]):
                    best = (parent, key, share, child_key)
        if best is not None:
            issues += _attach(best[0], (best[1], child, best[3]), profile, "inferred")
            linked.add(id(child))
    if not across_files:
        _name_links(frames, profile, linked)
    return issues


def _keys(source: SourceFrame, ids: list[str]) -> list[str]:
    return [c for c in source.frame.columns if c in ids or c.startswith(LINK_KEY)]


def drop_link_keys(frames: list[SourceFrame]) -> None:
    for source in frames:
        spare = [c for c in source.frame.columns if c.startswith(LINK_KEY)]
        if spare:
            source.frame = source.frame.drop(columns=spare)


def _label(key: str) -> str:
    return key.removeprefix(LINK_KEY)


def _clean_keys(series):
    return series.astype("string").str.replace(r"\s+", "", regex=True).str.upper()


def _is_parent(source: SourceFrame, key: str) -> bool:
    frame = source.frame
    if key not in frame or "organization_name" not in frame or not len(frame):
        return False
    values = frame[key].dropna()
    if len(values) < 0.5 * len(frame) or not len(values):
        return False
    named = frame["organization_name"].notna().mean()
    return values.nunique() >= UNIQUE_SHARE * len(values) and named >= NAMED_SHARE


def _needs_parent(source: SourceFrame) -> bool:
    frame = source.frame
    return bool(len(frame)) and ("organization_name" not in frame
                                 or frame["organization_name"].isna().any())


def _subset_share(child_keys, parent_keys) -> float:
    values = _clean_keys(child_keys.dropna())
    if not len(values):
        return 0.0
    return float(values.isin(set(_clean_keys(parent_keys.dropna()))).mean())


def _attach(parent: SourceFrame, link: tuple[str, SourceFrame, str], profile: Profile,
            how: str) -> list[Issue]:
    """Fill the child's empty organisation fields from the parent row with the same key;
    ``link`` is (parent key column, child, child key column)."""
    key, child, child_key = link
    org_fields = [f for f, s in profile.fields.items()
                  if not s.contact and f != key and f in parent.frame]
    lookup = parent.frame.assign(__key=_clean_keys(parent.frame[key]))
    lookup = lookup.dropna(subset=["__key"]).drop_duplicates("__key").set_index("__key")
    frame = child.frame
    child_keys = _clean_keys(frame[child_key])
    known = child_keys.isin(lookup.index)
    for field in org_fields:
        looked_up = child_keys.map(lookup[field]).astype(object)
        looked_up = looked_up.where(looked_up.notna(), None)
        frame[field] = frame[field].fillna(looked_up) if field in frame else looked_up
    orphans = frame.loc[~known & child_keys.notna(), SOURCE_ROW].astype(int).tolist()
    present = int(child_keys.notna().sum())
    child.report.links.append({
        "how": how, "by": _label(child_key) if child_key == key else
        f"{_label(child_key)} = {_label(key)}", "parent_file": parent.file, "parent_sheet": parent.sheet,
        "child_file": child.file, "child_sheet": child.sheet, "child_rows": present,
        "matched": present - len(orphans),
        "share_matched": round((present - len(orphans)) / present, 4) if present else 0.0,
        "fields_filled": org_fields, "unmatched_rows": orphans[:UNMATCHED_LISTED]})
    child.report.mapped_columns.setdefault(
        f"(joined from {parent.sheet or parent.file} on {_label(key)})", ", ".join(org_fields))
    where = parent.sheet if parent.file == child.file else f"{parent.file}, sheet {parent.sheet}"
    name = _label(child_key)
    return [Issue(severity=profile.severity("join.orphan"), rule="join.orphan", file=child.file,
                  sheet=child.sheet, row=row, field=name,
                  message=f"{name} has no matching row in {where}".replace("in , sheet ", "in "))
            for row in orphans]


def _name_links(frames: list[SourceFrame], profile: Profile, linked: set[int]) -> None:
    org_fields = {f for f, s in profile.fields.items() if not s.contact}
    names = {id(f): set(_name_set(f)) for f in frames if "organization_name" in f.frame}
    for child in frames:
        held = org_fields & set(child.frame.columns)
        if id(child) in linked or held != {"organization_name"} or not names.get(id(child)):
            continue
        for parent in frames:
            if parent is child or id(parent) not in names or len(org_fields & set(
                    parent.frame.columns)) < 2:
                continue
            share = len(names[id(child)] & names[id(parent)]) / len(names[id(child)])
            if share >= SUBSET_SHARE:
                child.report.links.append({
                    "how": "inferred", "by": "organization_name", "parent_file": parent.file,
                    "parent_sheet": parent.sheet, "child_file": child.file,
                    "child_sheet": child.sheet, "child_rows": len(child.frame),
                    "share_matched": round(share, 4), "fields_filled": [],
                    "unmatched_rows": []})
                break


def _name_set(source: SourceFrame):
    return (" ".join(str(n).lower().split()) for n in source.frame["organization_name"].dropna())


def attach_by_domain(frame, profile: Profile) -> int:
    """Name nameless rows after the organisation sharing their web/e-mail domain."""
    if "organization_name" not in frame:
        return 0
    nameless = frame["organization_name"].isna()
    if not nameless.any():
        return 0
    ignored = FREE_MAIL | {d.lower() for d in profile.dedupe.shared_domains}
    domains = _row_domains(frame, ignored)
    named = frame.loc[~nameless, "organization_name"]
    by_domain: dict[str, str] = {}
    for column in domains:
        for domain, name in zip(column[~nameless], named, strict=True):
            if domain:
                by_domain.setdefault(domain, name)
    filled = 0
    for index in frame.index[nameless]:
        for column in domains:
            name = by_domain.get(column[index]) if column[index] else None
            if name:
                frame.at[index, "organization_name"] = name
                filled += 1
                break
    return filled


def _row_domains(frame, ignored: frozenset[str]):
    import pandas as pd

    out = []
    if "website" in frame:
        out.append(frame["website"].astype("string").str.replace(
            r"^[a-z]+://(www\.)?", "", regex=True).str.split("/").str[0])
    if "contact_email" in frame:
        out.append(frame["contact_email"].astype("string").str.split("@").str[1])
    cleaned = []
    for series in out:
        series = series.str.lower()
        series = series.where(~series.isin(ignored))
        cleaned.append(pd.Series(series.astype(object).where(series.notna(), None),
                                 index=frame.index))
    return cleaned
