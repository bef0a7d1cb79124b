"""Cell-level mess for the sample generator: how one value is written into one cell.

Contract: each function takes the generator's ``random.Random`` and a clean value and
returns what an operator's sheet would hold (str, float, int, date or None for blank).
``csv_cell=True`` means the value goes to a CSV, so it must be text-like (no real dates).

Pitfalls: the order and number of ``rng`` calls decide every later value, so any change
here changes the bundled sample data for the same seed (regenerate ``data/``).
"""

from __future__ import annotations

import datetime as dt
import random

EXCEL_EPOCH = dt.date(1899, 12, 30)
SUFFIX_CHOICES = ("(Pty) Ltd", "Pty Ltd", "Ltd", "")
_TYPO_LETTERS = "aeiourstnlm"


def organisation_name(rng: random.Random, base: str, suffix: str, first: bool) -> str:
    """The first sighting is clean; later ones get 1-2 of case/typo/space/suffix/& changes."""
    if first:
        ops: tuple[str, ...] = ("space",) if rng.random() < 0.05 else ()
    else:
        ops = tuple(rng.sample(("case", "typo", "space", "suffix"), rng.choice((1, 1, 2))))
        if (" & " in base or " and " in base) and "typo" not in ops and rng.random() < 0.6:
            ops += ("amp",)
    if "typo" in ops:
        base = typo(rng, base)
    if "amp" in ops:
        base = base.replace(" & ", " and ") if " & " in base else base.replace(" and ", " & ")
    if "suffix" in ops:
        suffix = rng.choice([s for s in SUFFIX_CHOICES if s != suffix])
    text = f"{base} {suffix}".strip()
    if "case" in ops:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    if "space" in ops:
        text = rng.choice((f"  {text}", f"{text}  ", text.replace(" ", "  ", 1), f"{text}\u00a0"))
    return text


def typo(rng: random.Random, text: str) -> str:
    """One letter replaced, dropped or inserted; never in the first three characters."""
    spots = [i for i in range(3, len(text)) if text[i].isalpha()]
    i = rng.choice(spots)
    letter = rng.choice([c for c in _TYPO_LETTERS if c != text[i].lower()])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + letter + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    return text[:i] + letter + text[i:]


def date_cell(rng: random.Random, day: dt.date, csv_cell: bool):
    roll = rng.random() * (0.5 if csv_cell else 1.0)
    if roll < 0.2:
        return f"{day:%d/%m/%Y}"  # day-first
    if roll < 0.35:
        return day.isoformat()
    if roll < 0.5:
        return f"{day.day} {day:%b %Y}"  # 5 Jan 2024
    if roll < 0.85:
        return day  # a real Excel date
    return (day - EXCEL_EPOCH).days  # an Excel serial typed as a plain number


def website_cell(rng: random.Random, domain: str) -> str:
    host = domain.upper() if rng.random() < 0.1 else domain
    pattern = rng.choice(("www.{}", "http://{}/", "https://{}/contact", "{}", "https://www.{}"))
    return pattern.format(host)


def email_cell(rng: random.Random, email: str, domain: str):
    """Mixed case, spaces/NBSP, several per cell, a URL or junk instead of an address."""
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
    if rng.random() < 0.25:
        text = rng.choice((str.title, str.upper, str.capitalize))(text)
    if rng.random() < 0.15:
        text = f" {text} "
    return f"\u00a0{text}" if rng.random() < 0.08 else text


def phone_cell(rng: random.Random, numbers: list[str], csv_cell: bool):
    """National numbers ("0821234567") written as floats, spaced, +27 (0), NBSP or several."""
    if rng.random() < 0.2 and len(numbers) == 1:
        international = "27" + numbers[0][1:]
        return f"{international}.0" if csv_cell else float(international)
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


def region_cell(rng: random.Random, province: str, aliases: list[str]) -> str:
    roll = rng.random()
    if roll < 0.3 and aliases:
        alias = rng.choice(aliases)
        return alias.upper() if len(alias) <= 4 else alias.title()
    return province.lower() if roll < 0.4 else province


def extra_cell(rng: random.Random, kind: str, first_names: list[str]) -> str:
    """Values of the one column per sheet that no profile field maps to."""
    if kind == "register":
        return f"IR-{rng.randrange(10**5):05d}"
    if kind == "crm_orgs":
        return rng.choice(first_names)
    if kind == "contacts":
        return rng.choice(("Yes", "No", "yes", ""))
    if kind == "regional":
        return f"BR{rng.randrange(1, 60):03d}"
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2))


def header_label(label: str, upper: bool) -> str:
    if upper:
        return label.upper()
    return " ".join(w.upper() if w.lower() in ("id", "url", "www") else w.capitalize()
                    for w in label.split())
