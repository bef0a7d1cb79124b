"""Normalise: clean every mapped column according to its field kind in the profile.

Contract: ``normalise_frame(frame, profile)`` returns a new frame with canonical values
(emails lower-case and split, phones E.164, websites ``https://host``, names tidied,
regions from the alias map, dates ISO ``YYYY-MM-DD``) plus the issues found, each naming
file, sheet and row. Extra emails/phones from a multi-valued cell go to the
``EXTRA_EMAILS``/``EXTRA_PHONES`` columns (``;``-joined) so no contact is lost.

Pitfalls: each distinct raw value of a frame is cleaned once (``pd.factorize``; each row
takes its value's result by code): real exports repeat values heavily and
email-validator/dateutil cost ~25 us a call. Dates and contact names (a few thousand
values recurring in every chunk) are also remembered across a worker's chunks, result
and all (``_REMEMBERED``): a remembered result is shared, so nothing here may change a
cleaner's lists. Phones are cleaned in ``refine.phones``, websites in
``refine.websites``; what all cleaners share is in ``refine.cleaning``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import partial

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from hotpass.profiles.model import FieldSpec, Profile
from hotpass.refine.cleaning import JUNK, Cleaned, tidy
from hotpass.refine.heap import gc_paused
from hotpass.refine.ingest.people import ROLE_WORDS
from hotpass.refine.model import (
    EXTRA_EMAILS,
    EXTRA_PHONES,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    Issue,
)
from hotpass.refine.phones import clean_phones
from hotpass.refine.websites import clean_website

_EMAIL_SPLIT = re.compile(r"[;,\s|/]+")
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})$")
_URL_LIKE = re.compile(r"^(https?:|www\.)|\.[a-z]{2,}(/|$)")
_PTY = re.compile(r"\(\s*pty\s*\)", re.I)
_FIRST_LETTER = re.compile(r"[a-z]")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SERIAL_DATE = re.compile(r"\d{5}(\.\d+)?")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+)?$")
PERSON_PLACEHOLDERS = frozenset({
    "client", "customer", "contact", "contact person", "tbc", "tba", "tbd", "to be confirmed",
    "unknown", "various", "vacant", "none", "nobody", "n a", "na", "nil", "see above",
    "same", "same as above", "reception", "general", "main", "x", "xx", "xxx", "test"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SMALL_WORDS = {"and", "of", "the", "for", "de", "van", "der", "du", "la"}
_UPPER_TOKENS = {"cc", "npc", "soc", "plc", "llc", "sa", "za", "it", "ict", "hr", "ngo", "ii"}


def clean_emails(raw: str) -> Cleaned:
    kept: list[str] = []
    problems: list[tuple[str, str]] = []
    text = tidy(raw)
    if text.lower() in JUNK:
        return kept, problems
    for token in _EMAIL_SPLIT.split(text):
        token = token.strip("<>()[]\"'.:").lower()
        token = token.removeprefix("mailto:")
        if not token:
            continue
        if "@" not in token:
            rule = "email.url" if _URL_LIKE.search(token) else "email.invalid"
            problems.append((rule, token))
            continue
        email = token if _plain_email(token) else _validated_email(token)
        if email is None:
            problems.append(("email.invalid", token))
            continue
        if email not in kept:
            kept.append(email)
    return kept, problems


def _plain_email(token: str) -> bool:
    """The common shape every validator accepts: skips email-validator's ~25 us per call."""
    match = _PLAIN_EMAIL.match(token)
    return bool(match) and match.group(1) not in SPECIAL_USE_DOMAIN_NAMES


def _validated_email(token: str) -> str | None:
    try:
        return validate_email(token, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def tidy_name(raw: str) -> Cleaned:
    text = tidy(raw).strip(" ,;")
    if not text or text.lower() in JUNK or not _LETTER_OR_DIGIT.search(text):
        return [], []  # "---", '=""': punctuation names nothing
    if text.isupper() or text.islower():
        text = " ".join(_title_word(w, i) for i, w in enumerate(text.split(" ")))
    if "(" in text:
        text = _PTY.sub("(Pty)", text)
    return [text], []


def clean_person(raw: str) -> Cleaned:
    """A person's name; placeholders ("- -", "n/a", "TBC", "Client") and cells holding only
    a role ("Director") are no person: dropped and reported (``contact.placeholder``)."""
    text = tidy(raw).strip(" ,;")
    if not text:
        return [], []
    words = _NON_ALNUM.sub(" ", text.lower()).split()
    if (not words or " ".join(words) in PERSON_PLACEHOLDERS or text.lower() in JUNK
            or all(w in ROLE_WORDS for w in words)):
        return [], [("contact.placeholder", text)]
    return tidy_name(text)


def _title_word(word: str, position: int) -> str:
    lower = word.lower()
    if position and lower in _SMALL_WORDS:
        return lower
    if lower.strip("().") in _UPPER_TOKENS:
        return word.upper()
    return _FIRST_LETTER.sub(lambda m: m.group(0).upper(), lower, count=1)


def clean_region(raw: str, aliases: dict[str, str], allowed: list[str] | None) -> Cleaned:
    key = _NON_ALNUM.sub(" ", tidy(raw).lower()).strip()
    if not key or key in JUNK:
        return [], []
    canonical = {_NON_ALNUM.sub(" ", a.lower()).strip(): a for a in allowed or []}
    for table in (canonical, {k.lower(): v for k, v in aliases.items()}):
        if key in table:
            return [table[key]], []
    value = tidy_name(raw)[0][0]
    return [value], ([("region.unknown", tidy(raw))] if allowed else [])


def clean_date(raw: str, day_first: bool) -> Cleaned:
    text = tidy(raw)
    if not text or text.lower() in JUNK:
        return [], []
    if _SERIAL_DATE.fullmatch(text) and 20000 <= float(text) <= 80000:
        return [(_EXCEL_EPOCH + dt.timedelta(days=int(float(text)))).isoformat()], []
    iso = _ISO_DATE.match(text)
    if iso:
        try:
            return [dt.date.fromisoformat(iso.group(1)).isoformat()], []
        except ValueError:
            return [], [("date.invalid", text)]
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(text, dayfirst=day_first, default=dt.datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return [], [("date.invalid", text)]
    return [parsed.date().isoformat()], []


def clean_identifier(raw: str) -> Cleaned:
    text = "".join(raw.split()).upper()
    return ([text], []) if text and text.lower() not in JUNK else ([], [])


def clean_text(raw: str, allowed: list[str] | None) -> Cleaned:
    text = tidy(raw)
    if not text:
        return [], []
    if allowed:
        by_key = {a.lower(): a for a in allowed}
        return [by_key.get(text.lower(), text)], []
    return [text], []


def cleaner_for(spec: FieldSpec, profile: Profile) -> Callable[[str], Cleaned]:
    kind = spec.kind
    if kind == "email":
        return clean_emails
    if kind == "phone":
        return partial(clean_phones, region=profile.locale.default_region)
    if kind == "website":
        return clean_website
    if kind == "person":
        return clean_person
    if kind == "name":
        return tidy_name
    if kind == "region":
        return partial(clean_region, aliases=profile.region_aliases, allowed=spec.allowed_values)
    if kind == "date":
        return partial(clean_date, day_first=profile.locale.day_first)
    if kind == "identifier":
        return clean_identifier
    return partial(clean_text, allowed=spec.allowed_values)


def normalise_frame(frame, profile: Profile):  # -> tuple[pd.DataFrame, list[Issue]]
    import pandas as pd

    out = frame.copy()
    issues: list[Issue] = []
    # cleaning a column makes ~3 lists and tuples per value and no reference cycle: the
    # cyclic collector's passes over them freed nothing and cost ~20% of the stage
    with gc_paused():
        for field, spec in profile.fields.items():
            if field not in out.columns:
                continue
            codes, distinct = pd.factorize(out[field])  # empty cells: code -1
            results = _clean_distinct(distinct, spec, profile)
            out[field] = _spread([kept[0] if kept else None for kept, _ in results], codes,
                                 out.index)
            if spec.kind in ("email", "phone"):
                column = EXTRA_EMAILS if spec.kind == "email" else EXTRA_PHONES
                out[column] = _spread(["; ".join(kept[1:]) if len(kept) > 1 else None
                                       for kept, _ in results], codes, out.index)
            problems = {distinct[i]: result[1] for i, result in enumerate(results)
                        if result[1]}
            issues.extend(_issues_for(frame, field, problems, profile))
            del results  # freed here, not left for the cyclic collector
    return out, issues


# (field kind, day-first) -> raw text -> its cleaner's result, kept for a worker's life
_REMEMBERED: dict[tuple[str, bool], dict[str, Cleaned]] = {}
REMEMBERED_KINDS = frozenset({"date", "person"})
REMEMBER_AT_MOST = 32_768  # values per kind; past it the memory starts again (a column
# with that many distinct dates or contact names repeats few of them across chunks)


def _clean_distinct(distinct, spec: FieldSpec, profile: Profile) -> list[Cleaned]:
    """The cleaner's result for each of ``distinct``, in order."""
    cleaner = cleaner_for(spec, profile)
    if spec.kind not in REMEMBERED_KINDS:
        return list(map(cleaner, distinct))
    seen = _REMEMBERED.setdefault((spec.kind, profile.locale.day_first), {})
    if len(seen) > REMEMBER_AT_MOST:
        seen.clear()
    new = [value for value in distinct if value not in seen]
    seen.update(zip(new, map(cleaner, new), strict=True))
    return [seen[value] for value in distinct]


def _spread(per_distinct: list, codes, index):  # -> pd.Series
    """Each row's value from its distinct value's (``codes`` from ``pd.factorize``);
    ``dtype=object`` stated, or pandas would infer its string dtype from the texts."""
    import numpy as np
    import pandas as pd

    values = np.empty(len(per_distinct) + 1, dtype=object)
    values[:-1] = per_distinct  # the last slot stays None: code -1, an empty cell
    return pd.Series(values[codes], index=index, dtype=object)


def _issues_for(frame, field: str, problems: dict[str, list[tuple[str, str]]],
                profile: Profile) -> list[Issue]:
    if not problems:
        return []
    rows = frame.loc[frame[field].isin(list(problems)),
                     [field, SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW]]
    issues = []
    for value, file, sheet, row in rows.itertuples(index=False, name=None):
        for rule, token in problems[value]:
            issues.append(Issue(
                severity=profile.severity(rule), rule=rule, field=field, value=token,
                message=_MESSAGES[rule].format(field=field, value=token),
                file=file, sheet=sheet, row=int(row),
            ))
    return issues


_MESSAGES = {
    "email.invalid": "{field}: '{value}' is not an email address; left out",
    "email.url": "{field}: '{value}' is a web address, not an email; left out",
    "phone.invalid": "{field}: '{value}' is not a valid phone number; left out",
    "website.invalid": "{field}: '{value}' is not a web address; left out",
    "region.unknown": "{field}: '{value}' is not a known region; kept as written",
    "date.invalid": "{field}: '{value}' is not a date; left out",
    "contact.placeholder": "{field}: '{value}' is a placeholder or a role, not a person; "
                           "left out",
}
