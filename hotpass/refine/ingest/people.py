"""People in a cell: split "Jo Smith (Director); Sam Lee (Chief Instructor)" into contacts
with roles, pick the primary one, and compose names from first/last-name columns.

Contract: ``parse_people(text)`` returns the ``Person`` entries of one cell; entries are
separated by ``;``, new lines or " / "; each is "Name (Role)", "Name — Role", "Name - Role"
or "Name, Role" and may carry its own e-mail or phone. ``split_people(frame)`` rewrites a
mapped frame in place: ``contact_name`` becomes the primary person (the first with an
e-mail or phone, inline or matched by the row's e-mail address; else the first), their
role fills an empty ``contact_role``, inline e-mails and phones join the row's contact
columns, and every other person goes to ``EXTRA_NAMES`` as "Name (Role)" (merged into
``secondary_contact_names``). ``compose_names`` joins first and last name columns. ``same_people(clusters, names,
emails)`` keeps one person once per organisation: two names of one cluster are one person
when they share an e-mail address (not a role mailbox such as info@) or when one name's
words begin the other's and their e-mail domains agree; each takes the fullest name.

Pitfalls: "Smith, Jo" is one name written surname-first, not a name and a role: a comma
splits off a role only when the part before it has two or more words and the part after
it is a role (a role word, or one word); two person names around a comma are two people.
Only cells holding a separator are parsed, each distinct text once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

import numpy as np

from hotpass.refine.model import EXTRA_NAMES

_ENTRY_SPLIT = re.compile(r"\s*(?:;|\n|\s/\s)\s*")
_DASH_ROLE = re.compile(r"^(.+?)\s+(?:—|–|-{1,2})\s+(.+)$")
_BRACKET_ROLE = re.compile(r"^(.+?)\s*\(([^)]*)\)\s*(.*)$")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_MARKERS = re.compile(r"[;\n(—–,]|\s/\s|\s-{1,2}\s")
ROLE_WORDS = frozenset(["accountant", "accountable", "administrator", "admin", "agent", "assistant", "bookkeeper", "ceo", "cfo", "chair", "chairperson", "chief", "cfi", "clerk", "controller", "coordinator", "cto", "coo", "director", "engineer", "executive", "founder", "head", "instructor", "lead", "manager", "member", "officer", "owner", "partner", "pilot", "president", "principal", "procurement", "secretary", "supervisor", "treasurer", "trustee", "consultant", "representative", "sales", "operations"])


@dataclass
class Person:
    name: str
    role: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


def needs_parsing(text: str) -> bool:
    return bool(_MARKERS.search(text))


def parse_people(text: str) -> list[Person]:
    people: list[Person] = []
    for entry in (e for e in _ENTRY_SPLIT.split(text) if e.strip()):
        emails = tuple(_EMAIL.findall(entry))
        phones = tuple(p.strip() for p in _PHONE.findall(_EMAIL.sub(" ", entry)))
        rest = _PHONE.sub(" ", _EMAIL.sub(" ", entry))
        rest = re.sub(r"[<>\[\]]|\(\s*\)|\s{2,}", " ", rest).strip(" ,:-")
        for name, role in _name_and_role(rest):
            people.append(Person(name, role, emails, phones))
            emails, phones = (), ()  # inline details belong to the first name in the entry
    return [p for p in people if p.name]


def _name_and_role(text: str) -> list[tuple[str, str]]:
    bracket = _BRACKET_ROLE.match(text)
    if bracket and not bracket.group(3):
        return [(bracket.group(1).strip(), bracket.group(2).strip())]
    dash = _DASH_ROLE.match(text)
    if dash:
        return [(dash.group(1).strip(), dash.group(2).strip())]
    if "," in text:
        head, tail = (part.strip() for part in text.split(",", 1))
        if len(head.split()) >= 2 and _is_role(tail):
            return [(head, tail)]
        if len(head.split()) >= 2 and len(tail.split()) >= 2:
            return [(head, "")] + _name_and_role(tail)
    return [(text.strip(), "")]


def _is_role(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return len(words) == 1 or any(w in ROLE_WORDS for w in words)


def _primary(people: list[Person], row_email: str | None) -> int:
    for index, person in enumerate(people):
        if person.emails or person.phones:
            return index
    if row_email:
        local = row_email.split("@", 1)[0].lower()
        for index, person in enumerate(people):
            words = [w for w in re.findall(r"[a-z]+", person.name.lower()) if len(w) > 1]
            if words and any(w in local for w in words):
                return index
    return 0


def split_people(frame) -> int:
    """Rewrite multi-person ``contact_name`` cells of ``frame``; returns rows changed."""
    if "contact_name" not in frame:
        return 0
    names = frame["contact_name"]
    parsed = {text: parse_people(text) for text in names.dropna().unique() if needs_parsing(text)}
    parsed = {t: p for t, p in parsed.items() if len(p) > 1 or (p and (p[0].role or p[0].emails
                                                                         or p[0].phones))}
    if not parsed:
        return 0
    for column in ("contact_role", "contact_email", "contact_phone", EXTRA_NAMES):
        if column not in frame:
            frame[column] = None
    rows = frame.index[names.isin(parsed.keys())]
    for row in rows:
        people = parsed[frame.at[row, "contact_name"]]
        first = _primary(people, frame.at[row, "contact_email"])
        chosen = people[first]
        frame.at[row, "contact_name"] = chosen.name
        if chosen.role and not frame.at[row, "contact_role"]:
            frame.at[row, "contact_role"] = chosen.role
        for column, values in (("contact_email", [e for p in people for e in p.emails]),
                               ("contact_phone", [f for p in people for f in p.phones])):
            ordered = [*_own(chosen, column), *(v for v in values if v not in _own(chosen,
                                                                                 column))]
            if ordered:
                current = frame.at[row, column]
                frame.at[row, column] = "; ".join([*ordered, *([current] if current else [])])
        others = [p.label() for i, p in enumerate(people) if i != first]
        frame.at[row, EXTRA_NAMES] = "; ".join(others) or None
    return len(rows)


def _own(person: Person, column: str) -> tuple[str, ...]:
    return person.emails if column == "contact_email" else person.phones


def compose_names(first: list[str | None], last: list[str | None]) -> list[str | None]:
    return [" ".join(p for p in (f, s) if p) or None for f, s in zip(first, last, strict=True)]


ROLE_MAILBOXES = frozenset({"info", "admin", "office", "sales", "accounts", "reception",
                            "enquiries", "enquiry", "hello", "contact", "ops", "operations",
                            "support", "mail", "bookings", "team", "hr", "finance"})


def same_people(clusters, names, emails) -> dict[tuple[object, str], str]:
    """(cluster, name) -> the fuller name of the same person, for names to rewrite."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    clusters, names, emails = (np.asarray(v, dtype=object) for v in (clusters, names, emails))
    keep = pd.notna(names) & pd.notna(emails)
    cluster = pd.factorize(clusters[keep])[0].astype(np.int64)
    name = pd.factorize(names[keep])[0].astype(np.int64)
    email = pa.array(emails[keep], pa.string())
    email = pc.utf8_lower(email)
    domain = pc.list_element(pc.split_pattern(email, "@", max_splits=1), 1)
    near = np.zeros(cluster.size, dtype=bool)  # rows whose cluster and e-mail (or domain)
    for key in (email, domain):  # hold two or more names
        code = pd.factorize(key.to_numpy(zero_copy_only=False))[0].astype(np.int64)
        near |= _several(cluster * (code.max() + 2) + code + 1, name)
    rows = pd.DataFrame({"c": clusters[keep][near], "n": names[keep][near],
                         "e": email.to_numpy(zero_copy_only=False)[near],
                         "d": domain.to_numpy(zero_copy_only=False)[near]}).drop_duplicates()
    rows["local"] = rows["e"].str.split("@", n=1).str[0]
    # Clusters in order of first appearance, rows in order within each (as groupby with
    # sort=False), walked as plain tuples: pandas' per-group slicing cost ~50 us a cluster.
    rows = rows.iloc[np.argsort(pd.factorize(rows["c"])[0], kind="stable")]
    fuller: dict[tuple[object, str], str] = {}
    for cluster_label, group in groupby(rows.itertuples(index=False), key=attrgetter("c")):
        people = list(group)
        for i, a in enumerate(people):
            for b in people[i + 1:]:
                if a.n != b.n and _one_person(a, b):
                    ends = (_resolved(fuller, cluster_label, a.n),
                            _resolved(fuller, cluster_label, b.n))
                    keep_name = max(ends, key=lambda n: (len(n.split()), len(n), n))
                    for other in (a.n, b.n, *ends):
                        if other != keep_name:
                            fuller[(cluster_label, other)] = keep_name
    return {k: _resolved(fuller, k[0], v) for k, v in fuller.items()}


def _several(group, name):
    """Per row: does its ``group`` (int codes) hold two or more distinct ``name`` codes?"""

    from hotpass.refine.resolve.textcodes import distinct

    width = name.max() + 1 if name.size else 1
    owners = distinct(group * width + name) // width  # sorted: one entry per (group, name)
    repeated = owners[1:][owners[1:] == owners[:-1]]
    return np.isin(group, repeated)


def _one_person(a, b) -> bool:
    if a.e == b.e and a.local not in ROLE_MAILBOXES:
        return True
    if a.d != b.d:
        return False
    words_a, words_b = a.n.casefold().split(), b.n.casefold().split()
    shorter, longer = sorted((words_a, words_b), key=len)
    return longer[:len(shorter)] == shorter


def _resolved(fuller: dict, cluster, name: str) -> str:
    while (cluster, name) in fuller:
        name = fuller[(cluster, name)]
    return name
