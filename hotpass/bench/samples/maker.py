"""Source layout and rows of the sample generator (writers live in ``__init__``; the
organisations and people themselves in ``entities.py``).

Contract: ``Maker(rng, profile).layout(files)`` decides which files and sheets exist and
their headers; ``fill(layout, rows, duplicate_share)`` creates organisations until exactly
``rows`` data rows exist and puts each organisation's sightings (1, or 2-3 for the
duplicated share) into distinct sheets. A sheet's ``rows`` hold ``(entity_id, cells)``.

Pitfalls: every value comes from ``rng`` in a fixed order; reordering any call changes
every sample made from then on (the benchmarks' figures and the tests' truths with it).
"""

from __future__ import annotations

import random

from hotpass.bench.samples import cells
from hotpass.bench.samples.entities import Entities, Entity
from hotpass.bench.samples.exports import (
    CALLS_PER_TRACKER_ORG,
    CHILDREN,
    PEOPLE_PER_TRACKER_ORG,
    TEMPLATE_ROWS,
    Sheet,
    export_layout,
    people_cell,
)
from hotpass.bench.samples.hard import HardMode
from hotpass.bench.samples.words import FIRST_NAMES, ROLES, ROW_NOTES

EXTRA_COLUMNS = {"register": "Internal Ref", "crm_orgs": "Account Owner",
                 "contacts": "Marketing Opt-In", "regional": "Branch Code", "csv": "Sales Rep"}
FIELDS = {
    "register": ["organization_name", "registration_id", "website", "province", "address",
                 "category", "status", "last_interaction_date", "contact_name",
                 "contact_email", "contact_phone", "notes"],
    "crm_orgs": ["record_id", "organization_name", "website", "province", "status",
                 "last_interaction_date", "contact_phone"],
    "contacts": ["record_id", "contact_name", "contact_role", "contact_email", "contact_phone"],
    "regional": ["organization_name", "registration_id", "contact_name", "contact_phone",
                 "contact_email", "province", "category", "last_interaction_date"],
    "csv": ["organization_name", "registration_id", "website", "contact_email",
            "contact_phone", "province", "category", "status", "last_interaction_date"],
}
WEIGHTS = {"register": 4.0, "crm_orgs": 2.0, "regional": 1.5, "csv": 2.5,  # share of sightings
           "tracker_orgs": 1.5, "caps_register": 1.5}
ID_FORMATS = {"crm_orgs": "ORG-{:06d}", "tracker_orgs": "ACC-{:05d}"}
CONTACTS_PER_CRM_ORG = (0, 1, 1, 2)


class Maker(Entities):
    """Lays out the sources and fills them with the organisations' messy rows."""

    def __init__(self, rng: random.Random, profile_name: str, hard: bool = False) -> None:
        super().__init__(rng, profile_name)
        self.hard = HardMode(rng) if hard else None  # hotpass.bench.samples.hard
        self.aliases = {p: [a for a, c in self.profile.region_aliases.items() if c == p]
                        for p in self.provinces}
        self.org_ids = {kind: 0 for kind in ID_FORMATS}
        self.people: list[tuple[int, str]] = []  # (entity id, person) named in people cells

    def layout(self, files: int, exports: bool = False) -> dict[str, list[Sheet]]:
        av = self.aviation
        kinds = ["register", "crm", *["regional"] * max(files - 3, 0), "csv"][:files]
        if files == 2:
            kinds = ["register", "csv"]
        layout: dict[str, list[Sheet]] = {}
        for index, kind in enumerate(kinds):
            if kind == "register":
                name = "sacaa_aoc_register.xlsx" if av else "supplier_register_q3.xlsx"
                title = ("SACAA AOC holders — extract, confidential" if av
                         else "Q3 Supplier Register — confidential")
                sheets = [Sheet(name, "Notes", "notes"),
                          self._sheet(name, "AOC Register" if av else "Register", "register",
                                      [title, ""])]
            elif kind == "crm":
                name = "crm_export.xlsx"
                sheets = [self._sheet(name, "Operators" if av else "Organisations", "crm_orgs"),
                          self._sheet(name, "Personnel" if av else "Contacts", "contacts")]
            elif kind == "regional":
                name = f"regional_list_{index - 1}.xlsx"
                sheets = [self._sheet(name, region, "regional", [
                    f"Members list — {region} branch",
                    "Exported 2024-06-30 from the members portal", ""])
                    for region in ("Inland", "Coastal")]
            else:
                name = "aero_club_list.csv" if av else "association_members.csv"
                sheets = [self._sheet(name, "", "csv")]
            layout[name] = sheets
        if exports:
            layout.update(export_layout(self))
        return layout

    def _sheet(self, file: str, name: str, kind: str, preamble: list[str] | None = None) -> Sheet:
        """Headers are profile synonyms in a shuffled order plus one unmapped column."""
        fields = list(FIELDS[kind])
        self.rng.shuffle(fields)
        headers = ["Org ID" if f == "record_id" else cells.header_label(
            self.rng.choice(self.profile.fields[f].synonyms), upper=kind == "csv")
            for f in fields]
        at = self.rng.randrange(len(fields) + 1)
        fields.insert(at, "extra")
        headers.insert(at, cells.header_label(EXTRA_COLUMNS[kind], upper=kind == "csv"))
        if "record_id" in fields:  # exports put the key first
            at = fields.index("record_id")
            fields.insert(0, fields.pop(at))
            headers.insert(0, headers.pop(at))
        return Sheet(file, name, kind, headers, fields, preamble or [])

    def fill(self, layout: dict[str, list[Sheet]], rows: int, duplicate_share: float) -> None:
        sheets = [s for group in layout.values() for s in group]
        org_sheets = [s for s in sheets if s.kind in WEIGHTS]
        by_kind = {s.kind: s for s in sheets}
        calls = by_kind.get("call_log")
        rng, left = self.rng, rows - (1 if calls is not None and rows > 1 else 0)
        while left > 0:
            if self.hard:
                ent = self.hard.entity(self._entity, self.words[3])
                self.names[ent.eid - 1] = ent.base
            else:
                ent = self._entity()
            copies = 1 if rng.random() >= duplicate_share else rng.choice((2, 2, 3))
            for index, sheet in enumerate(_weighted_sample(rng, org_sheets, copies)):
                if left == 0:
                    break
                first = index == 0
                org_id = ""
                if sheet.kind in ID_FORMATS:
                    self.org_ids[sheet.kind] += 1
                    org_id = ID_FORMATS[sheet.kind].format(self.org_ids[sheet.kind])
                person = self._who(ent, first, index)
                if self.hard:
                    person = self.hard.who(ent, first, person)
                sheet.rows.append((ent.eid, [self._cell(f, ent, first, person, org_id, sheet)
                                             for f in sheet.fields]))
                left -= 1
                for kind in CHILDREN.get(sheet.kind, ()) if org_id else ():
                    left -= self._children(by_kind.get(kind), ent, first, org_id, left)
        if calls is not None and rows > 1:  # a call for an account deleted since: no parent
            stranger, unknown = self._person("", personal=True), self._entity()
            calls.rows.append((0, [self._cell(f, unknown, False, stranger, "ACC-99999", calls)
                                   for f in calls.fields]))
            self.names.pop()  # that organisation is unknown: entity id 0 in the truth
            self.domains.pop()
            self.people = [p for p in self.people if p[0] <= len(self.names)]
        for sheet in sheets:
            rng.shuffle(sheet.rows)
            if sheet.kind == "tracker_orgs":  # pre-numbered rows nobody filled in
                start = self.org_ids["tracker_orgs"]
                sheet.template = [[ID_FORMATS["tracker_orgs"].format(start + n)]
                                  for n in range(1, TEMPLATE_ROWS + 1)]

    def _children(self, child: Sheet | None, ent: Entity, first: bool, org_id: str,
                  left: int) -> int:
        """Rows for the child sheet of a parent row (contacts, key people, calls)."""
        if child is None:
            return 0
        counts = {"contacts": CONTACTS_PER_CRM_ORG, "tracker_people": PEOPLE_PER_TRACKER_ORG,
                  "call_log": CALLS_PER_TRACKER_ORG}[child.kind]
        made = min(self.rng.choice(counts), left)
        for k in range(made):
            person = self._who(ent, first, k)
            child.rows.append((ent.eid, [self._cell(f, ent, first, person, org_id, child)
                                         for f in child.fields]))
        return made

    def _who(self, ent: Entity, first: bool, index: int) -> tuple[str, str, list[str]]:
        """Name-only duplicates get a stranger (personal mailbox) so nothing else links them."""
        if first or ent.link != "name":
            return ent.people[index % len(ent.people)]
        return self._person(ent.domain, personal=True)

    def _cell(self, name: str, ent: Entity, first: bool, person, org_id: str, sheet: Sheet):
        value = self._value(name, ent, first, person, org_id, sheet)
        if sheet.kind == "caps_register" and isinstance(value, str):
            return value.upper()
        return value

    def _value(self, name: str, ent: Entity, first: bool, person, org_id: str, sheet: Sheet):
        rng, csv_cell = self.rng, sheet.kind == "csv"
        if name == "people":
            self.people += [(ent.eid, p[0]) for p in ent.people]
            return people_cell(rng, ent.people, "aviation" if self.aviation else "generic")
        if name in ("first_name", "last_name"):
            if name == "first_name":
                self.people.append((ent.eid, person[0]))
            return person[0].split(" ", 1)[0 if name == "first_name" else 1]
        if name == "organization_name":
            if self.hard:
                return self.hard.name(ent, first)
            return cells.organisation_name(rng, ent.base, ent.suffix, first)
        if name == "registration_id":
            keep = first or ent.link in ("registration", "both")
            return ent.reg if keep and rng.random() > 0.05 else None
        if name == "website":
            keep = first or ent.link in ("website", "both")
            return cells.website_cell(rng, ent.domain) if keep and rng.random() > 0.05 else None
        if name == "contact_email":
            shared_domain = ent.domain if first or ent.link != "name" else ""
            return cells.email_cell(rng, person[1], shared_domain)
        if name == "contact_phone":
            numbers = self.hard.phones(ent, person[2]) if self.hard else person[2]
            return cells.phone_cell(rng, numbers, csv_cell)
        if name == "contact_name":
            return person[0] if rng.random() > 0.05 else None
        if name == "province":
            return cells.region_cell(rng, ent.province, self.aliases.get(ent.province, []))
        if name == "last_interaction_date":
            return cells.date_cell(rng, ent.date, csv_cell)
        if name == "status":
            return ent.status.lower() if rng.random() < 0.1 else ent.status
        if name == "contact_role":
            return rng.choice(ROLES["aviation" if self.aviation else "generic"])
        if name == "notes":
            return rng.choice(ROW_NOTES) if rng.random() < 0.15 else None
        simple = {"record_id": org_id, "address": ent.address, "category": ent.category}
        if name in simple:
            return simple[name]
        return cells.extra_cell(rng, sheet.kind, FIRST_NAMES)


def _weighted_sample(rng: random.Random, sheets: list[Sheet], k: int) -> list[Sheet]:
    pool, chosen = list(sheets), []
    for _ in range(min(k, len(pool))):
        pick = rng.choices(pool, weights=[WEIGHTS[s.kind] for s in pool])[0]
        pool.remove(pick)
        chosen.append(pick)
    return chosen
