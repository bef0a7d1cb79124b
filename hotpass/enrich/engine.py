"""One dataset's fills: every source in order, per row, with per-field provenance.

Contract: ``Enricher(profile, tables=..., gazetteer=..., research=..., network=...)``
and ``enrich(frame)`` -> ``Enriched(frame, changes, coverage)``. ``frame`` is the refined
records (one row per organisation; ``organization_id`` used when present). Sources, in
order of trust: the profile's reference tables, a website from the company e-mail domain,
the province from the address through the gazetteer, person names parsed, then (only
with a ``research`` client: every network gate open) SearXNG for a website still missing.
A field is filled only where it is empty; a filled value is never overwritten. Every row
gets the five ``PROVENANCE_COLUMNS``: the sources that filled it (``""`` and strategy
``none`` when nothing did), one run timestamp, the lowest confidence of its fills (0.0 for
none), the strategy (``offline``, ``network``, ``offline+network`` or ``none``) and the
network status. ``changes`` holds one ``Change`` per field touched: ``filled`` (a gap
filled), ``cased`` (a name re-cased), ``split`` (first/last name columns) or ``flagged``
(an e-mail domain contradicting the website: reported, nothing changed). ``coverage`` is
the share of rows with at least one field filled.

Pitfall: ``research`` failures do not stop the run: the row says ``failed: ...`` in
``provenance_network_status`` and keeps its offline fills.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from hotpass.enrich.domains import Domains
from hotpass.enrich.people import parse_person
from hotpass.enrich.research import CONFIDENCE as RESEARCH_CONFIDENCE
from hotpass.enrich.research import ResearchError

PROVENANCE_COLUMNS = ("provenance_source", "provenance_timestamp", "provenance_confidence",
                      "provenance_strategy", "provenance_network_status")
CHANGE_COLUMNS = ("row", "organization_id", "field", "old_value", "new_value", "source",
                  "confidence", "strategy", "kind")
EMAIL_DOMAIN = ("email-domain", 0.8)
GAZETTEER = ("gazetteer:geonames", 0.75)
NAME_PARSER = ("nameparser", 0.9)
SEARXNG = "searxng"
SECONDARY_EMAILS = "secondary_contact_emails"


@dataclass
class Change:
    row: int
    organization_id: str
    field: str
    old_value: Any
    new_value: Any
    source: str
    confidence: float
    strategy: str  # offline | network
    kind: str  # filled | cased | split | flagged

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Enriched:
    frame: Any  # pandas.DataFrame: the input columns, split name columns, provenance
    changes: list[Change] = field(default_factory=list)
    coverage: float = 0.0
    research_requests: int = 0

    def filled(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "filled"]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or \
        (isinstance(value, str) and not value.strip())


class Enricher:
    def __init__(self, profile, *, tables=(), gazetteer=None, research=None,
                 network: str = "disabled") -> None:
        self.profile = profile
        self.tables = list(tables)
        self.gazetteer = gazetteer
        self.research = research
        self.network = network
        self.domains = Domains(profile.dedupe.shared_domains)
        self.websites = profile.fields_of_kind("website")
        self.regions = profile.fields_of_kind("region")
        self.people = profile.fields_of_kind("person")
        self.emails = [*profile.fields_of_kind("email"), SECONDARY_EMAILS]
        self.addresses = ["address"] if "address" in profile.fields else []

    def enrich(self, frame) -> Enriched:
        import pandas as pd

        out = frame.astype(object).where(frame.notna(), None).copy()
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        changes: list[Change] = []
        provenance: list[tuple] = []
        requests_before = self.research.requests if self.research else 0
        written: dict[str, dict[int, Any]] = {}  # column -> {position: value}
        for position, record in enumerate(out.to_dict("records")):
            row_changes, status = self._row(position, record)
            for change in row_changes:
                if change.kind in ("filled", "cased", "split"):
                    written.setdefault(change.field, {})[position] = change.new_value
            changes += row_changes
            provenance.append(self._provenance(row_changes, stamp, status))
        for name, values in written.items():
            column = out[name].tolist() if name in out.columns else [None] * len(out)
            for position, value in values.items():
                column[position] = value
            out[name] = pd.Series(column, index=out.index, dtype=object)
        columns = list(zip(*provenance, strict=True)) if provenance else [()] * 5
        for name, values in zip(PROVENANCE_COLUMNS, columns, strict=True):
            out[name] = pd.Series(list(values), index=out.index, dtype=object)
        rows_filled = {c.row for c in changes if c.kind == "filled"}
        coverage = len(rows_filled) / len(out) if len(out) else 0.0
        used = (self.research.requests - requests_before) if self.research else 0
        return Enriched(out, changes, round(coverage, 6), used)

    # ------------------------------------------------------------------ one row

    def _row(self, position: int, record: dict[str, Any]) -> tuple[list[Change], str]:
        org = str(record.get("organization_id") or "")
        changes: list[Change] = []

        def fill(field_name: str, value: Any, source: str, confidence: float,
                 strategy: str = "offline") -> None:
            changes.append(Change(position, org, field_name, record.get(field_name), value,
                                  source, confidence, strategy, "filled"))
            record[field_name] = value

        name = record.get("organization_name")
        emails = [record.get(f) for f in self.emails]
        for table in self.tables:
            site = next((self.domains.registered(record.get(w)) for w in self.websites
                         if not _empty(record.get(w))), "")
            hit = table.match(name, record.get("registration_id"), site)
            if hit is None:
                continue
            values, evidence, confidence = hit
            for target, column in table.fields.items():
                if _empty(record.get(target)) and not _empty(values.get(column)):
                    fill(target, str(values[column]).strip(),
                         f"reference:{table.label} (by {evidence})", confidence)
        for website in self.websites:
            if _empty(record.get(website)):
                domain = self.domains.company_domain(emails)
                if domain:
                    fill(website, f"https://{domain}", *EMAIL_DOMAIN)
            else:
                other = self.domains.contradicts(record.get(website), emails)
                if other:
                    changes.append(Change(position, org, website, record.get(website),
                                          f"https://{other}", EMAIL_DOMAIN[0], 0.0,
                                          "offline", "flagged"))
        if self.gazetteer is not None:
            for region in self.regions:
                if _empty(record.get(region)):
                    found = next(filter(None, (self.gazetteer.region(record.get(a))
                                               for a in self.addresses)), None)
                    if found:
                        fill(region, found[0], f"{GAZETTEER[0]} ({found[1]})", GAZETTEER[1])
        for person_field in self.people:
            person = parse_person(record.get(person_field))
            if person is None:
                continue
            if person.full != record.get(person_field):
                changes.append(Change(position, org, person_field, record.get(person_field),
                                      person.full, *NAME_PARSER, "offline", "cased"))
            for suffix, part in (("first", person.first), ("last", person.last)):
                if part and record.get(f"{person_field}_{suffix}") != part:
                    changes.append(Change(position, org, f"{person_field}_{suffix}", None,
                                          part, *NAME_PARSER, "offline", "split"))
        status = self.network
        if self.research is not None:
            status = "allowed, not needed"
            for website in self.websites:
                if _empty(record.get(website)) and isinstance(name, str) and name.strip():
                    try:
                        found = self.research.website_for(name, self.domains)
                        status = "used"
                    except ResearchError as exc:
                        status = f"failed: {exc.message}"
                        break
                    if found:
                        fill(website, found[0], f"{SEARXNG} ({found[1]})",
                             RESEARCH_CONFIDENCE, "network")
        return changes, status

    @staticmethod
    def _provenance(changes: list[Change], stamp: str, status: str) -> tuple:
        applied = [c for c in changes if c.kind in ("filled", "cased")]
        if not applied:
            return "", stamp, 0.0, "none", status
        sources = list(dict.fromkeys(c.source for c in applied))
        strategies = sorted({c.strategy for c in applied}, key=("offline", "network").index)
        return ("; ".join(sources), stamp, min(c.confidence for c in applied),
                "+".join(strategies), status)
