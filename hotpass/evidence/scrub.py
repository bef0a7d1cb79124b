"""Masking secrets in whatever an evidence bundle writes.

Contract: ``scrub(text)`` is ``hotpass.redact`` plus the literal value (8+ characters) of
every secret-named environment variable (``*_TOKEN``, ``*_SECRET*``, ``*PASSWORD*``...),
since a child program may print one bare; ``scrub_bytes`` does the same to a file's bytes
(byte-wise when they are not UTF-8).

Pitfalls: a value shorter than ``MIN_SECRET_CHARS`` is not masked on its own (too likely
an ordinary word); ``redact`` still masks it as ``KEY=value``.
"""

from __future__ import annotations

import os
import re

from hotpass.redact import MASK, redact, redact_data

MIN_SECRET_CHARS = 8
_NOT_SECRET = {"PWD", "OLDPWD"}  # "pwd" is a password key to redact, but not these


def _secret_values() -> list[str]:
    """Values of secret-named environment variables, longest first; shorter than
    ``MIN_SECRET_CHARS`` they are too likely an ordinary word (an access key id
    ``hotpass``) to mask everywhere, and ``redact`` still masks them as ``KEY=value``."""
    values = {value for name, value in os.environ.items()
              if len(value) >= MIN_SECRET_CHARS and name not in _NOT_SECRET
              and redact_data({name: value})[name] == MASK}
    return sorted(values, key=len, reverse=True)


def scrub(text: str) -> str:
    """``redact`` plus the literal values of secret-named environment variables."""
    values = _secret_values()
    if values:
        text = re.sub("|".join(re.escape(v) for v in values), MASK, text)
    return redact(text)


def scrub_bytes(data: bytes) -> bytes:
    try:
        return scrub(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:  # binary: mask secret values byte-wise
        for value in _secret_values():
            data = data.replace(value.encode(), MASK.encode())
        return data
