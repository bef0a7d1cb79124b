"""Reviewers' merge decisions honoured at clustering (the review file itself:
``hotpass.refine.resolve.review_file``).

Contract:
- ``Honour(frame, decisions)``: finds each decision's rows; a decision whose rows now
  hold other names than the reviewer saw (rows inserted above them) is ``stale`` and not
  applied, one whose rows are gone is ``row not found``. ``without_decided(left, right,
  weight, levels)`` drops every decided pair from the scored pairs before linking (a
  cannot-link pair never links directly; a must-link pair is joined after); ``apart(...)``
  splits a cluster that still joins a cannot-link pair through other rows;
  ``finish(labels, evidence)`` joins the must-link pairs' clusters, adds each decision to
  its cluster's Provenance ``match_evidence`` and sets every decision's
  ``status``/``effect`` (``applied``, ``stale``, ``row not found``, ``conflict``: a
  must-link pair that would join a cannot-link one). ``summary()``: the quality report's
  list.
- ``locate(frame, cites)``: row positions of cites; ``with_records(frame, near)``: the
  review lists with each row's compared fields side by side.

Pitfalls: labels stay "the smallest row index of the cluster". A renamed input file
makes its decisions ``row not found``.
"""

from __future__ import annotations

import json

import numpy as np

from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.review_file import DIFFERENT, SAME, Decision

REVIEW_FIELDS = {"name": "organization_name", "phone": "contact_phone",
                 "email": "contact_email", "domain": "website", "id": "registration_id",
                 "address": "address", "province": "province"}


def locate(frame, cites: set[str]) -> dict[str, int]:
    """Row index (position) of each cite found in ``frame``."""
    wanted: dict[int, list[tuple[str, str, str]]] = {}
    for cite in cites:
        file, sheet, row = (cite.rsplit("|", 2) + ["", ""])[:3]
        if row.isdigit():
            wanted.setdefault(int(row), []).append((file, sheet, cite))
    if not wanted:
        return {}
    rows = frame[SOURCE_ROW].to_numpy()
    found: dict[str, int] = {}
    for position in np.flatnonzero(np.isin(rows, list(wanted))).tolist():
        file, sheet = frame[SOURCE_FILE].iat[position], frame[SOURCE_SHEET].iat[position]
        for want_file, want_sheet, cite in wanted[int(rows[position])]:
            if want_file == str(file) and want_sheet == ("" if sheet is None else str(sheet)):
                found.setdefault(cite, position)
    return found


def with_records(frame, near: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The review lists with each row's compared fields (``records``), side by side."""
    columns = [c for c in REVIEW_FIELDS.values() if c in frame.columns]
    at = locate(frame, {cite for pairs in near.values() for p in pairs for cite in p["rows"]})
    for pairs in near.values():
        for pair in pairs:
            pair["records"] = [
                {c: _text(frame[c].iat[at[cite]]) for c in columns} if cite in at else {}
                for cite in pair["rows"]]
    return near


def _text(value) -> str:
    return "" if value is None or value != value else str(value)


class Honour:
    def __init__(self, frame, decisions: list[Decision]) -> None:
        self.decisions = decisions
        self.at = locate(frame, {c for d in decisions for c in (d.left, d.right)})
        names = frame.get("organization_name")
        self.usable: list[tuple[Decision, int, int]] = []
        for item in decisions:
            a, b = self.at.get(item.left), self.at.get(item.right)
            if a is None or b is None:
                item.status, item.effect = "row not found", "not applied"
            elif names is not None and not (_same_name(item.left_name, names.iat[a])
                                            and _same_name(item.right_name, names.iat[b])):
                item.status, item.effect = "stale", "not applied: the rows hold other names"
            else:
                self.usable.append((item, a, b))

    def without_decided(self, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
                        levels: np.ndarray):
        if not self.usable:
            return left, right, weight, levels
        size = max(int(left.max(initial=0)), int(right.max(initial=0)),
                   *(max(a, b) for _, a, b in self.usable)) + 1
        decided = np.array([min(a, b) * size + max(a, b) for _, a, b in self.usable])
        keys = np.minimum(left, right).astype(np.int64) * size + np.maximum(left, right)
        keep = ~np.isin(keys, decided)
        return left[keep], right[keep], weight[keep], levels[keep]

    def apart(self, labels: np.ndarray, accepted: np.ndarray, left: np.ndarray,
              right: np.ndarray, weight: np.ndarray, threshold: float):
        """Split every cluster that joined a cannot-link pair through other rows: its
        above-threshold pairs are linked again in weight order, refusing any join that
        would put a cannot-link pair together (``accepted`` follows)."""
        apart = [(a, b) for item, a, b in self.usable if item.decision == DIFFERENT]
        split = {int(labels[a]) for a, b in apart if labels[a] == labels[b]}
        if not split:
            return labels, accepted
        labels, accepted = labels.copy(), accepted.copy()
        for cluster in sorted(split):
            rows = np.flatnonzero(labels == cluster)
            inside = np.flatnonzero((labels[left] == cluster) & (labels[right] == cluster))
            accepted[inside] = False
            inside = inside[weight[inside] >= threshold]
            parent = {int(r): int(r) for r in rows}
            find = _finder(parent)
            for pair in inside[np.argsort(-weight[inside], kind="stable")].tolist():
                ra, rb = find(int(left[pair])), find(int(right[pair]))
                if ra == rb or any({find(x), find(y)} == {ra, rb} for x, y in apart
                                   if x in parent and y in parent):
                    continue
                parent[max(ra, rb)] = min(ra, rb)
                accepted[pair] = True
            roots = np.array([find(int(r)) for r in rows])
            smallest = {}
            for row, root in zip(rows.tolist(), roots.tolist(), strict=True):
                smallest.setdefault(root, row)  # rows ascend: the first is the smallest
            labels[rows] = [smallest[root] for root in roots.tolist()]
        return labels, accepted

    def finish(self, labels: np.ndarray, evidence: dict[int, str]):
        labels = labels.copy()
        apart = [(a, b) for item, a, b in self.usable if item.decision == DIFFERENT]
        notes: dict[int, list[dict]] = {}
        for item, a, b in self.usable:
            if item.decision != SAME:
                continue
            la, lb = int(labels[a]), int(labels[b])
            if la == lb:
                item.status, item.effect = "applied", "already one record"
            else:
                joined = np.isin(labels, (la, lb))
                if any(joined[x] and joined[y] for x, y in apart):
                    item.status = "conflict"
                    item.effect = "not merged: would join a pair marked different"
                    continue
                low = min(la, lb)
                labels[joined] = low
                merged = _entries(evidence.pop(la, None)) + _entries(evidence.pop(lb, None))
                evidence[low] = json.dumps(merged + notes.pop(la, []) + notes.pop(lb, []),
                                           ensure_ascii=False)
                item.status, item.effect = "applied", "merged"
            notes.setdefault(int(labels[a]), []).append(_note(item))
        for item, a, b in self.usable:
            if item.decision == DIFFERENT:
                if labels[a] == labels[b]:
                    item.status = "conflict"
                    item.effect = "still one record: joined through other rows"
                else:
                    item.status, item.effect = "applied", "kept apart"
                for row in (a, b):
                    notes.setdefault(int(labels[row]), []).append(_note(item))
        for label, extra in notes.items():
            evidence[label] = json.dumps(_entries(evidence.get(label)) + extra,
                                         ensure_ascii=False)
        return labels, evidence

    def summary(self) -> list[dict]:
        return [d.as_row() | {"status": d.status, "effect": d.effect}
                for d in self.decisions]


def _finder(parent: dict[int, int]):
    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    return find


def _entries(text: str | None) -> list:
    return json.loads(text) if text else []


def _note(item: Decision) -> dict:
    return {"rows": [item.left, item.right], "decision": item.decision,
            "reviewer": item.reviewer, "decided_at": item.decided_at}


def _same_name(seen: str, current) -> bool:
    """No recorded name passes; else equal ignoring case and spacing (the report masks
    e-mail addresses and phone numbers inside names, so those parts are not compared)."""
    if not seen:
        return True
    def words(text) -> list[str]:
        return [w for w in _text(text).casefold().split() if "*" not in w and "@" not in w]
    return words(seen) == words(current)
