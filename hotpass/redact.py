"""Redaction: mask secrets in text before it reaches a log, an echo or an evidence record.

Contract: ``redact(text)`` returns ``text`` with credentials replaced by ``***``: the
password in URLs and DSNs (``postgresql://user:secret@host`` -> ``user:***@host``),
values of secret-looking ``NAME=value`` / ``--name value`` / ``"name": "value"`` pairs
(names containing PASSWORD, PASSWD, SECRET, TOKEN, API_KEY, ACCESS_KEY, PRIVATE_KEY,
CREDENTIAL) and ``Authorization: Bearer ...`` headers. Everything else is unchanged, so
redacting twice is a no-op.

Pitfalls: this is a last line of defence for free text; pass secrets to programs through
the environment, never on a command line.
"""

from __future__ import annotations

import re

MASK = "***"
_NAME = r"[A-Za-z0-9_.-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIAL)[A-Za-z0-9_.-]*"
_PATTERNS = [
    # scheme://user:password@host
    re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?=@)"),
    # NAME=value, NAME: value, "name": "value"
    re.compile(r"(?P<head>[\"']?" + _NAME + r"[\"']?\s*[=:]\s*[\"']?)(?P<secret>[^\s\"',;&]+)",
               re.IGNORECASE),
    # --password value, --api-key=value
    re.compile(r"(?P<head>--" + _NAME + r"[ =])(?P<secret>[^\s\"']+)", re.IGNORECASE),
    # Authorization: Bearer <token>
    re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]+)"),
]


def _mask(match: re.Match[str]) -> str:
    return match.group("head") + MASK


def redact(text: str) -> str:
    """``text`` with every credential this module recognises replaced by ``***``."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text
