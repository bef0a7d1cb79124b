"""The review file: reviewers' merge decisions, read and written.

Contract: a decision names a pair of source rows by their stable cites ``file|sheet|row``
(the text the quality report and Provenance use; rows are the spreadsheet's own row
numbers, so they do not move when other files change) and says ``same`` (must-link) or
``different`` (cannot-link), with ``reviewer``, ``decided_at`` and the names the reviewer
saw (``left_name`` / ``right_name``). ``read_decisions(path)``: the file (``.csv`` or
``.yaml``/``.yml``), last decision per pair wins; a missing file is no decisions; a
malformed one is one ``HotpassError`` naming the file and row.
``write_decisions(path, decisions)`` merges new decisions into the file (temp file +
rename). ``review_path(profile, output_path)``: the file the profile's
``review.decisions`` names, relative paths resolved against the output folder (never the
input folder, which refine would read as data).

Pitfalls: CSV cells that would start a spreadsheet formula are written with a leading
``'``, which reading takes off (the web UI's download does the same).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_text

SAME, DIFFERENT = "same", "different"
COLUMNS = ("pair", "left", "right", "decision", "reviewer", "decided_at", "left_name",
           "right_name")


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
