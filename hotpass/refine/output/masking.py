"""Masking contact details inside free text, so a report can be shared.

Contract: ``mask_email`` keeps the first letter and the domain, ``mask_phone`` the ``+``,
the first two and the last two digits; ``mask_text`` masks every e-mail address and every
phone-like run of 8+ digits inside any text, and leaves the rest as it is.

Pitfalls: phone masking finds runs of 8+ digits (with spaces, dots, dashes, brackets), so
long numeric ids are masked too; date-shaped runs (2024-03-04, 04/03/2024) are left
alone. Every pattern is linear on any input (see ``_EMAIL``).
"""

from __future__ import annotations

import re

# Linear on any input: an e-mail match may only start where a local-part run starts and
# every run is possessive, so a 32,767-character cell is scanned once, not once per start.
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]++(?:\.[\w-]++)+")
_PHONE_RUN = re.compile(r"\+?\d[\d\s().-]*+")  # never fails once started: no backtracking
_TRAILING = re.compile(r"[^\d]+$")
_DATE_SHAPED = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_MIN_PHONE_DIGITS = 8


def mask_email(email: str) -> str:
    """``jane.doe@acme.co.za`` -> ``j***@acme.co.za``; no ``@`` -> ``***``."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """``+27821234567`` -> ``+27*******67``: keep ``+``, two leading and two last digits."""
    digits = re.sub(r"\D", "", phone)
    plus = "+" if phone.strip().startswith("+") else ""
    if len(digits) <= 4:
        return plus + "*" * len(digits)
    return f"{plus}{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


def mask_text(text: str) -> str:
    """Mask every email address and phone-like digit run inside free text."""
    masked = _EMAIL.sub(lambda match: mask_email(match.group()), text)
    return _PHONE_RUN.sub(_mask_phone_match, masked)


def _mask_phone_match(match: re.Match[str]) -> str:
    whole = match.group()
    run = _TRAILING.sub("", whole)  # the run ends at its last digit
    tail = whole[len(run):]
    if (len(run) < 8 or _DATE_SHAPED.fullmatch(run)
            or sum(c.isdigit() for c in run) < _MIN_PHONE_DIGITS):
        return whole
    return mask_phone(run) + tail
