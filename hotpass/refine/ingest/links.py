"""Linked sheets: attach child rows (contacts, addresses, notes) to their parent
organisation through a shared id or organisation name, within a workbook and across the
workbooks of one run.

Contract: ``link_sheets(frames, profile, across_files)`` fills each child row's empty
organisation fields from its parent row and returns the issues. Declared joins
(``profile.joins``: sheet-name regexes and a key field) are applied first and win. Then a
link is *considered* where an identifier column (``identifier`` kind, or a spare id
column kept as ``LINK_KEY`` by mapping; ``drop_link_keys`` removes those after linking) is
unique in one sheet (the parent, which names organisations) and at least
``SUBSET_SHARE`` of another sheet's values in that column are among the parent's. A
considered link is *accepted* only when it earns its place (``link_evidence``): its key
is not a row counter (headed like a row number on either side, or the child's values
1..N in sheet order) unless the rows corroborate it, and where the linked rows both carry
a name or domain (or share a phone or e-mail) they agree for at least ``CLEAR_MAJORITY``
of those pairs. The best accepted link (share matched x share agreeing) is applied; every
considered link is recorded on the child's ``SheetReport.links`` with ``status``
(``accepted``/``rejected``), ``score``, the corroboration counts and, if rejected, the
``reason``. A sheet holding organisation names that mostly repeat a parent's names (unique
there) links by name when no id link was accepted. A linked value never overwrites a
different value the child row holds: that is a ``join.conflict`` issue. Each child row
whose key matched nothing is a ``join.orphan`` issue.
Nameless rows left after linking are named by their domain (``ingest.domains``).

Pitfalls: ids are compared without spaces and case ("org-7 " = "ORG-7"); a child already
linked within its workbook is not linked again across files; across files the frames are
already normalised, so both sides compare cleaned values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotpass.profiles.model import Profile
from hotpass.refine.ingest.link_evidence import (
    CHILD,
    COMPARED_FIELDS,
    PARENT,
    SAMPLE_PAIRS,
    corroboration,
    row_counter,
)
from hotpass.refine.ingest.link_index import KeyIndex, clean_keys
from hotpass.refine.model import LINK_KEY, SOURCE_ROW, Issue, SourceFrame

SUBSET_SHARE = 0.5
UNIQUE_SHARE = 0.98
NAMED_SHARE = 0.5
CLEAR_MAJORITY = 2 / 3
MIN_CORROBORATING = 3  # a row counter needs at least this many agreeing pairs
UNMATCHED_LISTED = 50


def link_sheets(frames: list[SourceFrame], profile: Profile,
                across_files: bool = False) -> list[Issue]:
    issues: list[Issue] = []
    linked = {id(f) for f in frames if any(x["status"] == "accepted" for x in f.report.links)}
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
                    issues += _attach(Link(parent, join.key, child, key, "declared"), profile)
                    linked.add(id(child))
    ids = profile.fields_of_kind("identifier")
    parents = [(f, key) for f in frames for key in _keys(f, ids) if _is_parent(f, key)]
    index = KeyIndex([clean_keys(f.frame[key].dropna()) for f, key in parents])
    for child in frames:
        if id(child) in linked or not len(child.frame):
            continue
        considered = []
        eligible = [(p, parent, key) for p, (parent, key) in enumerate(parents)
                    if parent is not child and (parent.file == child.file) != across_files]
        shares = {k: index.shares(clean_keys(child.frame[k].dropna()))
                  for k in (_keys(child, ids) if eligible else ())}
        for p, parent, key in eligible:
            for child_key in _keys(child, ids):
                share = float(shares[child_key][p])
                if share >= SUBSET_SHARE:
                    considered.append(_judged(Link(parent, key, child, child_key, "inferred",
                                                   share), profile))
        accepted = [link for link in considered if link.reason is None]
        best = max(accepted, key=lambda link: link.score, default=None)
        for link in considered:
            if link is best:
                issues += _attach(link, profile)
                linked.add(id(child))
            else:
                link.reason = link.reason or "a better-scoring link was accepted"
                child.report.links.append(link.entry(0, []))
    if not across_files:
        issues += _name_links(frames, profile, linked)
    return issues


@dataclass
class Link:
    parent: SourceFrame
    key: str  # the parent's key column
    child: SourceFrame
    child_key: str
    how: str  # "declared" | "inferred"
    share: float = 1.0  # share of the child's keys found in the parent
    compared: int = 0  # linked pairs both carrying a name, domain, or sharing a contact
    agreed: int = 0
    reason: str | None = None  # why rejected; None: accepted

    @property
    def score(self) -> float:
        return round(self.share * (self.agreed / self.compared if self.compared else 1.0), 4)

    def entry(self, matched: int, orphans: list[int], filled=(), conflicts: int = 0) -> dict:
        parent, child = self.parent, self.child
        by = _label(self.child_key) if self.child_key == self.key else (
            f"{_label(self.child_key)} = {_label(self.key)}")
        present = int(child.frame[self.child_key].notna().sum())
        return {"how": self.how, "status": "rejected" if self.reason else "accepted",
                "by": by, "parent_file": parent.file, "parent_sheet": parent.sheet,
                "child_file": child.file, "child_sheet": child.sheet, "child_rows": present,
                "matched": matched,
                "share_matched": round(matched / present, 4) if present and matched else (
                    round(self.share, 4)),
                "score": self.score, "pairs_compared": self.compared,
                "pairs_agreeing": self.agreed, "reason": self.reason or "",
                "fields_filled": list(filled), "conflicts": conflicts,
                "unmatched_rows": orphans[:UNMATCHED_LISTED]}


def _judged(link: Link, profile: Profile) -> Link:
    """Set the link's corroboration counts and, when it does not earn its place, why."""
    child = link.child.frame
    header = _header_of(link.child, link.child_key)
    counter = row_counter(header, child[link.child_key].dropna().tolist(), len(child)) or (
        row_counter(_header_of(link.parent, link.key), [], 0))  # parents may count 1..N
    link.compared, link.agreed = corroboration(_pairs(link), profile)
    agreeing = link.agreed / link.compared if link.compared else 0.0
    if link.compared and agreeing < CLEAR_MAJORITY:
        link.reason = (f"the linked rows disagree: {link.agreed} of {link.compared} compared "
                       f"pairs agree on name, domain, e-mail or phone")
    elif counter and link.agreed < min(MIN_CORROBORATING, len(child)):
        link.reason = f"{counter}, and too few linked rows agree to make it an id"
    return link


def _header_of(source: SourceFrame, column: str) -> str:
    """The header a key column came from (a mapped field's column is named by its field)."""
    if column.startswith(LINK_KEY):
        return _label(column)
    return next((c["header"] for c in source.report.columns
                 if (c["field"] or "").split(" (")[0] == column), column)


def _pairs(link: Link):
    """The linked rows side by side (``CHILD``/``PARENT`` prefixes), at most
    ``SAMPLE_PAIRS`` spread evenly over the child."""
    lookup = _lookup(link.parent.frame, link.key)
    child = link.child.frame
    keys = clean_keys(child[link.child_key])
    known = child[_found(keys, lookup.index).to_numpy()]
    step = max(1, len(known) // SAMPLE_PAIRS)
    known = known.iloc[::step][:SAMPLE_PAIRS]
    parents = lookup.loc[clean_keys(known[link.child_key])]
    columns = {}
    for field in COMPARED_FIELDS:
        if field in known:
            columns[CHILD + field] = known[field].to_numpy()
        if field in parents:
            columns[PARENT + field] = parents[field].to_numpy()
    import pandas as pd

    return pd.DataFrame(columns, index=range(len(known)), dtype=object)


def _lookup(frame, key: str):
    lookup = frame.assign(__key=clean_keys(frame[key]))
    return lookup.dropna(subset=["__key"]).drop_duplicates("__key").set_index("__key")


def _found(keys, index):
    """``keys.isin(index)`` through the index's own hash table (``isin`` on Arrow strings
    turns the index into a Python list first)."""
    import pandas as pd

    return pd.Series(index.get_indexer(keys) >= 0, index=keys.index)


def _keys(source: SourceFrame, ids: list[str]) -> list[str]:
    return [c for c in source.frame.columns if c in ids or c.startswith(LINK_KEY)]


def drop_link_keys(frames: list[SourceFrame]) -> None:
    for source in frames:
        spare = [c for c in source.frame.columns if c.startswith(LINK_KEY)]
        if spare:
            source.frame = source.frame.drop(columns=spare)


def _label(key: str) -> str:
    return key.removeprefix(LINK_KEY)


def _is_parent(source: SourceFrame, key: str) -> bool:
    frame = source.frame
    if key not in frame or "organization_name" not in frame or not len(frame):
        return False
    values = frame[key].dropna()
    if len(values) < 0.5 * len(frame) or not len(values):
        return False
    named = frame["organization_name"].notna().mean()
    return values.nunique() >= UNIQUE_SHARE * len(values) and named >= NAMED_SHARE


def _subset_share(child_keys, parent_keys) -> float:
    return float(KeyIndex([clean_keys(parent_keys.dropna())]).shares(
        clean_keys(child_keys.dropna()))[0])


def _attach(link: Link, profile: Profile) -> list[Issue]:
    """Fill the child's empty organisation fields from the parent row with the same key;
    a different value the child holds stays and is a ``join.conflict``."""
    parent, key, child, child_key = link.parent, link.key, link.child, link.child_key
    org_fields = [f for f, s in profile.fields.items()
                  if not s.contact and f != key and f in parent.frame]
    lookup = _lookup(parent.frame, key)
    frame = child.frame
    child_keys = clean_keys(frame[child_key])
    known = _found(child_keys, lookup.index)
    issues = _fill(frame, child_keys, lookup, org_fields, link, profile)
    conflicts = len(issues)
    orphans = frame.loc[~known & child_keys.notna(), SOURCE_ROW].astype(int).tolist()
    present = int(child_keys.notna().sum())
    child.report.links.append(link.entry(present - len(orphans), orphans, org_fields,
                                         conflicts))
    child.report.mapped_columns.setdefault(
        f"(joined from {parent.sheet or parent.file} on {_label(key)})", ", ".join(org_fields))
    where = parent.sheet if parent.file == child.file else f"{parent.file}, sheet {parent.sheet}"
    name = _label(child_key)
    return issues + [
        Issue(severity=profile.severity("join.orphan"), rule="join.orphan", file=child.file,
              sheet=child.sheet, row=row, field=name,
              message=f"{name} has no matching row in {where}".replace("in , sheet ", "in "))
        for row in orphans]


def _fill(frame, child_keys, lookup, fields: list[str], link: Link,
          profile: Profile) -> list[Issue]:
    issues = []
    where = link.parent.sheet or link.parent.file
    for field in fields:
        looked_up = child_keys.map(lookup[field]).astype(object)
        looked_up = looked_up.where(looked_up.notna(), None)
        if field not in frame:
            frame[field] = looked_up
            continue
        held = frame[field]
        differ = held.notna() & looked_up.notna() & (_plain(held) != _plain(looked_up))
        for row, mine, theirs in zip(frame.loc[differ, SOURCE_ROW], held[differ],
                                     looked_up[differ], strict=True):
            issues.append(Issue(
                severity=profile.severity("join.conflict"), rule="join.conflict",
                file=link.child.file, sheet=link.child.sheet, row=int(row), field=field,
                value=f"{mine} | {theirs}",
                message=f"{field}: '{theirs}' from {where} differs from the row's own; "
                        f"kept the row's"))
        frame[field] = held.where(held.notna(), looked_up)
    return issues


def _plain(series):
    return series.astype("string").str.casefold().str.split().str.join(" ")


def _name_links(frames: list[SourceFrame], profile: Profile, linked: set[int]) -> list[Issue]:
    """A child list (several rows per organisation) whose organisation names mostly repeat
    a parent's names, unique there, links by name: the name is its key."""
    org_fields = {f for f, s in profile.fields.items() if not s.contact}
    issues: list[Issue] = []
    key = "organization_name"
    if all(id(f) in linked or key not in f.frame for f in frames):
        return issues  # no child left to link
    named = {id(f): clean_keys(f.frame[key].dropna()) for f in frames if key in f.frame}
    unique = {i for i, names in named.items() if names.is_unique}
    parents = [f for f in frames if id(f) in unique]
    index = KeyIndex([named[id(f)] for f in parents])
    for child in frames:
        # a sheet with one row per organisation is a peer list, not a child
        if id(child) in linked or id(child) not in named or id(child) in unique:
            continue
        shares = index.shares(named[id(child)])
        for p, parent in enumerate(parents):  # in the frames' order: the first one wins
            share = float(shares[p])
            if len(org_fields & set(parent.frame.columns)) >= 2 and share >= SUBSET_SHARE:
                issues += _attach(Link(parent, key, child, key, "inferred", share), profile)
                linked.add(id(child))
                break
    return issues
