"""Websites: one cell's web address as ``https://host``.

Contract: ``clean_website(raw)`` returns ``["https://host"]`` (lower case, no ``www.``, no
trailing dot, path and port dropped) or the problem ``website.invalid``; ``web_host(url)``
is ``urllib.parse.urlsplit(url).hostname`` (``""`` for none) of a lower-case URL with a
scheme.

Pitfalls: exports hold ~125,000 distinct addresses in 200,000 rows, and ``urlsplit``
costs ~3 us each; a URL whose host is plain letters, digits, dots and dashes right after
``scheme://`` takes that host as it stands (what ``urlsplit`` gives for it, checked in
``tests/unit/test_websites.py``); anything else (a port, ``user@``, brackets, other
characters) goes to ``urlsplit``. An e-mail address in a website column is a problem,
not a site.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hotpass.refine.cleaning import JUNK, Cleaned, tidy

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_PLAIN_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([a-z0-9.-]*)(?:[/?#]|\Z)")
_HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def clean_website(raw: str) -> Cleaned:
    text = tidy(raw).lower()
    if text in JUNK:
        return [], []
    if "@" in text and "/" not in text:
        return [], [("website.invalid", text)]
    if not _SCHEME.match(text):
        text = "http://" + text
    host = web_host(text).rstrip(".").removeprefix("www.")
    if not _HOST.match(host):
        return [], [("website.invalid", tidy(raw))]
    return [f"https://{host}"], []


def web_host(url: str) -> str:
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain.group(1)
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""
