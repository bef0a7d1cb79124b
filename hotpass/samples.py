"""Messy sample workbooks with ground truth, for demos, tests and the benchmark.

Contract: ``generate_workbooks(out_dir, rows=N, seed=S)`` writes xlsx files and one CSV whose
data rows total exactly ``N`` and returns a ``GeneratedSet`` whose ``truth`` names, for
every data row written, ``(file, sheet, row, entity_id)`` (sheet "" for the CSV, rows
1-based as a spreadsheet shows them). Rows with the same entity id are one organisation.
The same seed gives byte-identical files. The mess is what operators really send: titles
above headers, synonym headers, padding rows, a layout-only sheet, an Organisations +
Contacts pair joined on "Org ID", float/NBSP/multi phones, junk emails, mixed dates.

Pitfalls: xlsxwriter's ``constant_memory`` mode needs rows written top to bottom, so every
sheet's rows are built first and written once. Typos never touch a name's first three
characters or digits; distinct entities' names are kept far apart (see
``near_duplicate_rate``) so fuzzy matching can separate them.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from hotpass.profiles import load_profile
from hotpass.sample_words import (
    AIRFIELDS,
    FIRST_NAMES,
    NOTES_TEXT,
    ROLES,
    SECTORS,
    STREETS,
    dissimilar,
    distinctive_words,
    places,
    surnames,
)

CREATED = dt.datetime(2024, 7, 1, 9, 0, 0)  # fixed workbook property => identical bytes
SUFFIXES = ("(Pty) Ltd", "(Pty) Ltd", "Pty Ltd", "Ltd", "CC", "", "")
DISTINCT_NAME_LIMIT = 84.0  # distinct entities' names stay below this ratio
MOBILE = ("060", "061", "066", "071", "072", "073", "076", "078", "079", "082", "083", "084")
LANDLINE = ("010", "011", "012", "021", "031", "041", "051")
EXTRA_COLUMNS = {"register": "Internal Ref", "crm_orgs": "Account Owner",
                 "contacts": "Marketing Opt-In", "regional": "Branch Code", "csv": "Sales Rep"}
_FIELDS = {
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
_WEIGHTS = {"register": 4.0, "crm_orgs": 2.5, "regional": 1.5, "csv": 2.0}


@dataclass
class GeneratedSet:
    """The files written and, per data row, which real-world entity it describes."""

    out_dir: Path
    files: list[Path]
    truth: list[tuple[str, str, int, int]]
    entities: int = 0

    def write_truth(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["file", "sheet", "row", "entity_id"])
            writer.writerows(self.truth)
        return path


@dataclass
class _Sheet:
    file: str
    name: str
    kind: str  # register | crm_orgs | contacts | regional | csv | notes
    headers: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    rows: list[tuple[int, list]] = field(default_factory=list)  # (entity id, cell values)


class _Entity:
    __slots__ = ("eid", "base", "suffix", "reg", "domain", "province", "address", "category",
                 "status", "date", "people", "link")


def generate_workbooks(out_dir: Path, *, rows: int, seed: int = 7, files: int = 3,
                       profile: str = "generic", duplicate_share: float = 0.3) -> GeneratedSet:
    """Write ``files`` messy sources (the last one a CSV when files >= 2) into ``out_dir``."""
    if rows < 1 or files < 1 or not 0 <= duplicate_share <= 1:
        raise ValueError("rows and files must be >= 1 and duplicate_share within 0..1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    maker = _Maker(random.Random(seed), profile)
    layout = maker.layout(files)
    maker.fill(layout, rows, duplicate_share)
    written, truth = [], []
    for file_name, sheets in layout.items():
        path = out_dir / file_name
        if file_name.endswith(".csv"):
            truth += _write_csv(path, sheets[0])
        else:
            truth += _write_xlsx(path, sheets)
        written.append(path)
    return GeneratedSet(out_dir, written, truth, maker.entity_count)


class _Maker:
    """Builds entities and renders their messy cells; all randomness comes from ``rng``."""

    def __init__(self, rng: random.Random, profile_name: str) -> None:
        self.rng, self.aviation = rng, profile_name == "aviation"
        self.profile = load_profile(profile_name)
        province = self.profile.fields["province"].allowed_values or ["Gauteng"]
        self.provinces = province
        self.aliases = {p: [a for a, c in self.profile.region_aliases.items() if c == p]
                        for p in province}
        self.words = (surnames(), places(), distinctive_words(),
                      dissimilar(SECTORS["aviation" if self.aviation else "generic"]))
        self.names: dict[tuple[str, ...], list[str]] = {}  # word pair -> names
        self.used: set[str] = set()  # domains, registration numbers, phones, mailboxes
        self.entity_count = 0
        self.next_org_id = 0

    # ---- layout --------------------------------------------------------------------
    def layout(self, files: int) -> dict[str, list[_Sheet]]:
        av = self.aviation
        kinds = ["register", "crm", *["regional"] * max(files - 3, 0), "csv"][:files]
        if files == 2:
            kinds = ["register", "csv"]
        layout: dict[str, list[_Sheet]] = {}
        for index, kind in enumerate(kinds):
            if kind == "register":
                name = "sacaa_aoc_register.xlsx" if av else "supplier_register_q3.xlsx"
                title = ("SACAA AOC holders — extract, confidential" if av
                         else "Q3 Supplier Register — confidential")
                sheets = [_Sheet(name, "Notes", "notes"),
                          self._sheet(name, "AOC Register" if av else "Register", "register",
                                      [title, ""])]
            elif kind == "crm":
                name = "crm_export.xlsx"
                sheets = [self._sheet(name, "Operators" if av else "Organisations", "crm_orgs"),
                          self._sheet(name, "Personnel" if av else "Contacts", "contacts")]
            elif kind == "regional":
                name = f"regional_list_{index - 1}.xlsx"
                pre = ["Members list — {} branch", "Exported 2024-06-30 from the members portal", ""]
                sheets = [self._sheet(name, region, "regional",
                                      [pre[0].format(region), *pre[1:]])
                          for region in ("Inland", "Coastal")]
            else:
                name = "aero_club_list.csv" if av else "association_members.csv"
                sheets = [self._sheet(name, "", "csv")]
            layout[name] = sheets
        return layout

    def _sheet(self, file: str, name: str, kind: str, preamble: list[str] | None = None) -> _Sheet:
        fields = list(_FIELDS[kind])
        self.rng.shuffle(fields)
        headers = []
        for name_ in fields:
            label = "Org ID" if name_ == "record_id" else self.rng.choice(
                self.profile.fields[name_].synonyms)
            headers.append(label.upper() if kind == "csv" else _title(label))
        position = self.rng.randrange(len(fields) + 1)
        fields.insert(position, "extra")
        headers.insert(position, EXTRA_COLUMNS[kind])
        if "record_id" in fields:  # exports put the key first
            at = fields.index("record_id")
            fields.insert(0, fields.pop(at))
            headers.insert(0, headers.pop(at))
        return _Sheet(file, name, kind, headers, fields, preamble or [])

    # ---- entities and appearances ----------------------------------------------------
    def fill(self, layout: dict[str, list[_Sheet]], rows: int, duplicate_share: float) -> None:
        sheets = [s for group in layout.values() for s in group]
        org_sheets = [s for s in sheets if s.kind in _WEIGHTS]
        contacts = next((s for s in sheets if s.kind == "contacts"), None)
        rng, left = self.rng, rows
        while left > 0:
            ent = self._entity()
            copies = 1 if rng.random() >= duplicate_share else rng.choice((2, 2, 3))
            chosen = _weighted_sample(rng, org_sheets, min(copies, len(org_sheets)))
            for index, sheet in enumerate(chosen):
                if left == 0:
                    break
                first = index == 0
                person = ent.people[index % len(ent.people)]
                if not first and ent.link == "name":
                    person = self._person(ent, personal=True)
                org_id = ""
                if sheet.kind == "crm_orgs":
                    self.next_org_id += 1
                    org_id = f"ORG-{self.next_org_id:06d}"
                values = [self._cell(f, ent, first, person, org_id, sheet) for f in sheet.fields]
                sheet.rows.append((ent.eid, values))
                left -= 1
                if org_id and contacts is not None:
                    for k in range(min(rng.choice((0, 1, 1, 1, 2, 2, 3)), left)):
                        who = ent.people[k % len(ent.people)] if first or ent.link != "name" \
                            else self._person(ent, personal=True)
                        cells = [self._cell(f, ent, first, who, org_id, contacts)
                                 for f in contacts.fields]
                        contacts.rows.append((ent.eid, cells))
                        left -= 1
        for sheet in sheets:
            rng.shuffle(sheet.rows)

    def _entity(self) -> _Entity:
        rng, (surnames, places, distinct, sectors) = self.rng, self.words
        while True:
            pattern, sector = rng.random(), rng.choice(sectors)
            if pattern < 0.8:
                slots = (rng.choice(surnames if pattern < 0.4 else places), rng.choice(distinct))
                base = f"{slots[0]} {slots[1]} {sector}"
            else:
                slots = tuple(sorted(rng.sample(surnames, 2)))
                base = f"{slots[0]} {'&' if rng.random() < 0.7 else 'and'} {slots[1]} {sector}"
            key = base.lower().replace(" & ", " and ")
            if self._far_from_others(key, (*slots, sector)):
                break
        self.entity_count += 1
        ent = _Entity()
        ent.eid, ent.base, ent.suffix = self.entity_count, base, rng.choice(SUFFIXES)
        words = re.sub(r"[^a-z ]", "", key.replace(" and ", " ")).split()
        tld = rng.choice((".co.za", ".co.za", ".co.za", ".com", ".org.za"))
        ent.domain = self._unique(lambda: "".join(words[:2]) + tld,
                                  lambda: "".join(words) + str(rng.randrange(10, 99)) + tld)
        if self.aviation:
            ent.reg = self._unique(lambda: f"N{rng.randrange(100, 99999)}D",
                                   lambda: f"CAA/ATO/{rng.randrange(10**5):05d}")
            ent.address = rng.choice(AIRFIELDS)
            ent.category = rng.choice(self.profile.fields["category"].allowed_values or ["Charter"])
        else:
            ent.reg = self._unique(lambda: f"{rng.randrange(1995, 2024)}/{rng.randrange(10**6):06d}/"
                                   + rng.choice(("07", "07", "23", "08")), lambda: "")
            ent.address = (f"{rng.randrange(1, 250)} {rng.choice(STREETS)}, "
                           f"{rng.choice(places)}")
            ent.category = sector
        ent.province = rng.choice(self.provinces)
        ent.status = rng.choice(self.profile.fields["status"].allowed_values or ["Active"])
        ent.date = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(1370))
        ent.link = rng.choice(("website", "website", "registration", "both", "name", "name"))
        ent.people = [self._person(ent) for _ in range(rng.choice((1, 1, 2, 3)))]
        return ent

    def _far_from_others(self, key: str, slots: tuple[str, ...]) -> bool:
        """True (and remembered) unless an earlier name sharing two words is too similar."""
        from rapidfuzz.fuzz import ratio

        pairs = [(x.lower(), y.lower()) for i, x in enumerate(slots) for y in slots[i + 1:]]
        pairs = [tuple(sorted(pair)) for pair in pairs]
        for pair in pairs:
            if any(ratio(key, other) >= DISTINCT_NAME_LIMIT for other in self.names.get(pair, ())):
                return False
        for pair in pairs:
            self.names.setdefault(pair, []).append(key)
        return True

    def _unique(self, make, fallback) -> str:
        for attempt in range(50):
            value = make() if attempt < 3 else fallback()
            if value and value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("could not draw a unique value; enlarge the value space")

    def _person(self, ent: _Entity, personal: bool = False) -> tuple[str, str, list[str]]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(self.words[0])
        local = f"{first}.{last}".lower().replace(" ", "")
        host = "gmail.com" if personal else ent.domain
        email = self._unique(lambda: f"{local}@{host}",
                             lambda: f"{local}{rng.randrange(2, 999)}@{host}")
        phones = [self._phone() for _ in range(rng.choice((1, 1, 1, 2)))]
        return f"{first} {last}", email, phones

    def _phone(self) -> str:
        rng = self.rng
        return self._unique(lambda: rng.choice(MOBILE + LANDLINE) + f"{rng.randrange(10**7):07d}",
                            lambda: "")

    # ---- cells -----------------------------------------------------------------------
    def _cell(self, name, ent, first, person, org_id, sheet):  # noqa: C901 - flat dispatch
        rng, csv_sheet = self.rng, sheet.kind == "csv"
        shared = first or ent.link != "name"
        if name == "organization_name":
            return self._name(ent, first)
        if name == "record_id":
            return org_id
        if name == "registration_id":
            keep = first or ent.link in ("registration", "both")
            return ent.reg if keep and rng.random() > 0.05 else None
        if name == "website":
            if not (first or ent.link in ("website", "both")) or rng.random() < 0.05:
                return None
            return rng.choice(("www.{}", "http://{}/", "https://{}/contact", "{}",
                               "https://www.{}")).format(
                ent.domain.upper() if rng.random() < 0.1 else ent.domain)
        if name == "province":
            aliases = self.aliases.get(ent.province) or [ent.province]
            roll = rng.random()
            if roll < 0.3:
                alias = rng.choice(aliases)
                return alias.upper() if len(alias) <= 4 else alias.title()
            return ent.province.lower() if roll < 0.4 else ent.province
        if name == "address":
            return ent.address
        if name == "category":
            return ent.category
        if name == "status":
            return ent.status.lower() if rng.random() < 0.1 else ent.status
        if name == "last_interaction_date":
            return _date_cell(rng, ent.date, csv_sheet)
        if name == "contact_name":
            return person[0] if rng.random() > 0.05 else None
        if name == "contact_role":
            return rng.choice(ROLES["aviation" if self.aviation else "generic"])
        if name == "contact_email":
            return _email_cell(rng, person[1], ent.domain if shared else "")
        if name == "contact_phone":
            return _phone_cell(rng, person[2], csv_sheet)
        if name == "notes":
            return rng.choice(NOTES_TEXT[4:]) if rng.random() < 0.15 else None
        return _extra_cell(rng, sheet.kind)

    def _name(self, ent: _Entity, first: bool) -> str:
        rng, base, suffix = self.rng, ent.base, ent.suffix
        if first:
            ops = ("space",) if rng.random() < 0.05 else ()
        else:
            pool = ["case", "typo", "space", "suffix"]
            ops = tuple(rng.sample(pool, rng.choice((1, 1, 2))))
            if (" & " in base or " and " in base) and "typo" not in ops and rng.random() < 0.6:
                ops += ("amp",)
        if "typo" in ops:
            base = _typo(rng, base)
        if "amp" in ops:
            base = base.replace(" & ", " and ") if " & " in base else base.replace(" and ", " & ")
        if "suffix" in ops:
            suffix = rng.choice([s for s in ("(Pty) Ltd", "Pty Ltd", "Ltd", "") if s != suffix])
        text = f"{base} {suffix}".strip()
        if "case" in ops:
            text = text.upper() if rng.random() < 0.5 else text.lower()
        if "space" in ops:
            text = rng.choice((f"  {text}", f"{text}  ", text.replace(" ", "  ", 1),
                               f"{text}\u00a0"))
        return text


def _title(label: str) -> str:
    return " ".join(w.upper() if w.lower() in ("id", "url", "www") else w.capitalize()
                    for w in label.split())


def _weighted_sample(rng: random.Random, sheets: list[_Sheet], k: int) -> list[_Sheet]:
    pool, chosen = list(sheets), []
    for _ in range(k):
        pick = rng.choices(pool, weights=[_WEIGHTS[s.kind] for s in pool])[0]
        pool.remove(pick)
        chosen.append(pick)
    return chosen


def _typo(rng: random.Random, base: str) -> str:
    spots = [i for i in range(3, len(base)) if base[i].isalpha()]
    i = rng.choice(spots)
    letter = rng.choice([c for c in "aeiourstnlm" if c != base[i].lower()])
    kind = rng.randrange(3)
    if kind == 0:
        return base[:i] + letter + base[i + 1:]
    if kind == 1:
        return base[:i] + base[i + 1:]
    return base[:i] + letter + base[i:]


def _date_cell(rng: random.Random, day: dt.date, csv_sheet: bool):
    roll = rng.random() * (0.5 if csv_sheet else 1.0)
    if roll < 0.2:
        return f"{day:%d/%m/%Y}"
    if roll < 0.35:
        return day.isoformat()
    if roll < 0.5:
        return f"{day.day} {day:%b %Y}"
    if roll < 0.85:
        return day
    return (day - dt.date(1899, 12, 30)).days  # Excel serial as a plain number


def _email_cell(rng: random.Random, email: str, domain: str):
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(("n/a", "N/A", "-", "none"))
    if roll < 0.05 and domain:
        return f"www.{domain}"
    if roll < 0.08:
        return None
    emails = [email]
    if domain and rng.random() < 0.15:
        emails.append(f"{rng.choice(('info', 'sales', 'accounts'))}@{domain}")
    text = rng.choice(("; ", ";", ", ", " / ")).join(emails)
    roll = rng.random()
    if roll < 0.25:
        text = rng.choice((str.title, str.upper, str.capitalize))(text)
    if rng.random() < 0.15:
        text = f" {text} "
    return f"\u00a0{text}" if rng.random() < 0.08 else text


def _phone_cell(rng: random.Random, numbers: list[str], csv_sheet: bool):
    number = numbers[0]
    roll = rng.random()
    if roll < 0.2 and len(numbers) == 1:
        return f"27{number[1:]}.0" if csv_sheet else float("27" + number[1:])
    parts = []
    for n in numbers:
        style = rng.randrange(4)
        if style == 0:
            parts.append(f"{n[:3]} {n[3:6]} {n[6:]}")
        elif style == 1:
            parts.append(f"+27 (0){n[1:3]} {n[3:6]} {n[6:]}")
        elif style == 2:
            parts.append(f"{n[:3]}\u00a0{n[3:6]}\u00a0{n[6:]}")
        else:
            parts.append(n if rng.random() < 0.5 else f"+27 {n[1:3]} {n[3:6]} {n[6:]}")
    return rng.choice((" / ", "; ", ", ")).join(parts)


def _extra_cell(rng: random.Random, kind: str):
    if kind == "register":
        return f"IR-{rng.randrange(10**5):05d}"
    if kind == "crm_orgs":
        return rng.choice(FIRST_NAMES)
    if kind == "contacts":
        return rng.choice(("Yes", "No", "yes", ""))
    if kind == "regional":
        return f"BR{rng.randrange(1, 60):03d}"
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2))


def _write_xlsx(path: Path, sheets: list[_Sheet]) -> list[tuple[str, str, int, int]]:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_urls": False, "strings_to_numbers": False,
        "strings_to_formulas": False, "default_date_format": "dd/mm/yyyy"})
    workbook.set_properties({"created": CREATED, "author": "hotpass.samples"})
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    rng = random.Random(path.name)  # padding layout depends on the file alone
    truth: list[tuple[str, str, int, int]] = []
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        if sheet.kind == "notes":
            ws.write(0, 0, NOTES_TEXT[0] + " " + " ".join(NOTES_TEXT[1:4]))
            continue
        row = 0
        for index, line in enumerate(sheet.preamble):
            if index == 0 and sheet.kind == "register":
                ws.merge_range(0, 0, 0, len(sheet.headers) - 1, line, title_format)
            elif line:
                ws.write_string(row, 0, line)
            row += 1
        ws.set_column(0, len(sheet.headers) - 1, 22)
        ws.write_row(row, 0, sheet.headers, bold)
        row += 1
        block = rng.randrange(25, 90)
        for written, (eid, values) in enumerate(sheet.rows, start=1):
            ws.write_row(row, 0, values)
            truth.append((sheet.file, sheet.name, row + 1, eid))
            row += 1
            if sheet.kind == "register" and written % block == 0:
                row += rng.choice((1, 1, 2))  # blank padding between blocks
    workbook.close()
    return truth


def _write_csv(path: Path, sheet: _Sheet) -> list[tuple[str, str, int, int]]:
    truth = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(sheet.headers)
        for row, (eid, values) in enumerate(sheet.rows, start=2):
            writer.writerow(["" if v is None else v for v in values])
            truth.append((sheet.file, "", row, eid))
    return truth
