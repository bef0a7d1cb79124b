"""Reviewers' merge decisions: read and write the review file, honour it at clustering.

Contract:
- A decision names a pair of source rows by their stable cites ``file|sheet|row`` (the
  same text the quality report and Provenance use; rows are the spreadsheet's own row
  numbers, so they do not move when other files change) and says ``same`` (must-link) or
  ``different`` (cannot-link), with ``reviewer`` and ``decided_at``. ``left_name`` /
  ``right_name`` record the names the reviewer saw: a decision whose rows now hold other
  names (rows inserted above them) is ``stale`` and not applied.
- ``read_decisions(path)``: the review file (``.csv`` or ``.yaml``/``.yml``), last
  decision per pair wins; a missing file is no decisions; a malformed one is one
  ``HotpassError`` naming the file and row. ``write_decisions(path, decisions)`` merges
  new decisions into the file (temp file + rename). CSV cells that would start a
  spreadsheet formula are written with a leading ``'``, which reading takes off.
- ``review_path(profile, output_path)``: the file the profile's ``review.decisions``
  names, relative paths resolved against the output folder (never the input folder,
  which refine would read as data).
- ``Honour(frame, decisions)``: ``without_decided(left, right, weight, levels)`` drops every
  decided pair from the scored pairs before linking (a cannot-link pair never links
  directly; a must-link pair is joined after); ``apart(...)`` splits a cluster that still
  joins a cannot-link pair through other rows; ``finish(labels, evidence)`` joins the
  must-link pairs' clusters, adds each decision to its cluster's Provenance
  ``match_evidence`` and sets every decision's ``status``/``effect`` (``applied``,
  ``stale``, ``row not found``, ``conflict``: a cannot-link pair still joined through
  other rows, or a must-link pair that would join a cannot-link one).

Pitfalls: labels stay "the smallest row index of the cluster". Cites carry no run-local
row positions; a renamed input file makes its decisions ``row not found``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_text
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET

SAME, DIFFERENT = "same", "different"
COLUMNS = ("pair", "left", "right", "decision", "reviewer", "decided_at", "left_name",
           "right_name")
REVIEW_FIELDS = {"name": "organization_name", "phone": "contact_phone",
                 "email": "contact_email", "domain": "website", "id": "registration_id",
                 "address": "address", "province": "province"}


@dataclass
class Decision:
    left: str
    right: str
    decision: str
    reviewer: str = ""
    decided_at: str = ""
    left_name: str = ""
    right_name: str = ""
    status: str = field(default="", compare=False)
    effect: str = field(default="", compare=False)

    @property
    def pair(self) -> str:
        return pair_key(self.left, self.right)

    def as_row(self) -> dict[str, str]:
        return {"pair": self.pair} | {k: v for k, v in asdict(self).items()
                                      if k in COLUMNS}


def pair_key(left: str, right: str) -> str:
    """One key per unordered pair of cites: ``a ~ b`` with ``a < b``."""
    first, second = sorted((left, right))
    return f"{first} ~ {second}"


def review_path(profile, output_path: Path | str) -> Path | None:
    spec = getattr(profile, "review", None)
    if spec is None or not spec.decisions:
        return None
    path = Path(spec.decisions).expanduser()
    return path if path.is_absolute() else Path(output_path).parent / path


def read_decisions(path: Path | str | None) -> list[Decision]:
    if path is None or not Path(path).is_file():
        return []
    path = Path(path)
    rows = _rows(path)
    latest: dict[str, Decision] = {}
    for number, row in rows:
        missing = [k for k in ("left", "right", "decision") if not str(row.get(k) or "")]
        if missing:
            raise HotpassError(f"{path}: row {number}: missing {', '.join(missing)}")
        decision = str(row["decision"]).strip().lower()
        if decision not in (SAME, DIFFERENT):
            raise HotpassError(f"{path}: row {number}: decision {row['decision']!r} is "
                               f"neither '{SAME}' nor '{DIFFERENT}'")
        item = Decision(**{k: _unguarded(str(row.get(k) or "").strip()) for k in (
            "left", "right", "reviewer", "decided_at", "left_name", "right_name")},
            decision=decision)
        if item.left == item.right:
            raise HotpassError(f"{path}: row {number}: a row cannot be paired with itself")
        latest.pop(item.pair, None)
        latest[item.pair] = item
    return list(latest.values())


def _rows(path: Path) -> list[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HotpassError(f"{path}: cannot read the review file ({exc})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise HotpassError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
        data = data.get("decisions", []) if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise HotpassError(f"{path}: expected a list of decisions")
        return list(enumerate(data, start=1))
    if path.suffix.lower() != ".csv":
        raise HotpassError(f"{path}: a review file ends in .csv, .yaml or .yml")
    reader = csv.DictReader(io.StringIO(text))
    missing = {"left", "right", "decision"} - set(reader.fieldnames or ())
    if missing:
        raise HotpassError(f"{path}: row 1: header lacks {', '.join(sorted(missing))}")
    return [(number, row) for number, row in enumerate(reader, start=2)]


def write_decisions(path: Path | str, new: list[Decision]) -> list[Decision]:
    """Merge ``new`` into the review file (a pair's new decision replaces its old one)."""
    path = Path(path)
    merged = {d.pair: d for d in read_decisions(path)}
    for item in new:
        merged.pop(item.pair, None)
        merged[item.pair] = item
    rows = [d.as_row() for d in merged.values()]
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump({"decisions": rows}, sort_keys=False, allow_unicode=True)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _guarded(v) for k, v in row.items()} for row in rows)
        text = out.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return list(merged.values())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _guarded(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading ``'`` (as the review
    page's download does); ``_unguarded`` takes it off again when reading."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _unguarded(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) \
        else value


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
