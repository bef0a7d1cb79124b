"""Local reference tables (a regulator's register, a member list) as an enrichment source.

Contract: ``load_tables(profile, folder)`` reads every ``enrichment.reference_tables``
entry of the profile (CSV or Parquet; a relative ``path`` is taken from ``folder``, the
profile's own folder) into a ``ReferenceTable``; a missing or unreadable file, or a
column the profile names that the table lacks, is one ``HotpassError`` naming the file.
``table.match(name, registration, website)`` finds the table row describing the same
organisation by the evidence de-duplication uses, strongest first: registration id,
website domain, then the name key (``hotpass.refine.resolve.names.name_key``: case,
punctuation and legal suffixes ignored). It returns ``(row values, evidence,
confidence)`` or ``None``; a key two table rows share matches nothing, and
neither does a row whose registration id differs from the record's (conflicting ids).

Pitfall: registration ids compare without spaces and case; a table row with no name is
never matched by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

# Confidence of a match by each kind of evidence, times the table's own confidence.
EVIDENCE_WEIGHT = {"registration_id": 1.0, "website": 0.95, "name": 0.9}


def _reg_key(value: Any) -> str:
    return "".join(str(value).split()).upper() if isinstance(value, str) and value else ""


@dataclass
class ReferenceTable:
    label: str
    path: Path
    fields: dict[str, str]
    confidence: float
    rows: list[dict[str, Any]]
    suffixes: tuple[str, ...] = ()
    registrations: list[str] = field(default_factory=list)  # per row, as compared
    by_key: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def match(self, name: str | None, registration: str | None,
              website_domain: str) -> tuple[dict[str, Any], str, float] | None:
        from hotpass.refine.resolve.names import name_key

        keys = {"registration_id": _reg_key(registration), "website": website_domain,
                "name": name_key(name, self.suffixes)}
        for evidence, key in keys.items():
            hits = self.by_key.get(evidence, {}).get(key, []) if key else []
            if len(hits) != 1:
                continue
            theirs = self.registrations[hits[0]]
            if keys["registration_id"] and theirs and theirs != keys["registration_id"]:
                return None  # conflicting ids: another organisation, whatever the name says
            return (self.rows[hits[0]], evidence,
                    round(self.confidence * EVIDENCE_WEIGHT[evidence], 3))
        return None


def load_tables(profile, folder: Path) -> list[ReferenceTable]:
    from hotpass.enrich.domains import Domains
    from hotpass.refine.resolve.names import name_key

    domains = Domains()
    tables = []
    for spec in profile.enrichment.reference_tables:
        path = Path(spec.path) if Path(spec.path).is_absolute() else folder / spec.path
        frame = _read(path)
        wanted = [spec.name_column, *spec.fields.values(),
                  *(c for c in (spec.registration_column, spec.website_column) if c)]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise HotpassError(f"{path}: reference table '{spec.label}' has no column "
                               f"{missing[0]!r} (columns: {', '.join(map(str, frame.columns))})")
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        table = ReferenceTable(spec.label, path, dict(spec.fields), spec.confidence, rows,
                               tuple(profile.dedupe.legal_suffixes))
        for index, row in enumerate(rows):
            keys = {"name": name_key(_text(row[spec.name_column]), table.suffixes)}
            if spec.registration_column:
                keys["registration_id"] = _reg_key(_text(row[spec.registration_column]))
            table.registrations.append(keys.get("registration_id", ""))
            if spec.website_column:
                keys["website"] = domains.registered(_text(row[spec.website_column]))
            for evidence, key in keys.items():
                if key:
                    table.by_key.setdefault(evidence, {}).setdefault(key, []).append(index)
        tables.append(table)
    return tables


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip() or None


def _read(path: Path):
    import pandas as pd

    if not path.is_file():
        raise HotpassError(f"{path}: reference table not found (named by the profile's "
                           "enrichment.reference_tables)")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as exc:
        raise HotpassError(f"{path}: cannot read reference table: {exc}".splitlines()[0]) \
            from None
    raise HotpassError(f"{path}: a reference table is a .csv or .parquet file")
