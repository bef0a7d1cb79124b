"""Network research, only when all three gates are open: the gates and the SearXNG client.

Contract: ``gates(allow_network, settings)`` returns the three gates in order
(``--allow-network``, ``FEATURE_ENABLE_REMOTE_RESEARCH``, ``ALLOW_NETWORK_RESEARCH``)
with their state; ``closed(...)`` the names of the closed ones (empty: research allowed).
Nothing in this module opens a socket unless ``SearxClient`` is built, and the enrich run
builds it only when ``closed`` is empty. ``SearxClient(url, spec, cache_dir)`` queries
SearXNG's JSON API (``GET <url>/search?q=...&format=json``), at most
``spec.rate_per_minute`` requests a minute (``pyrate-limiter``, blocking), each with
``spec.timeout_seconds``; responses are cached in ``<cache_dir>/research-cache.sqlite``
(``hishel``) so a rerun asks nothing twice. ``website_for(name, domains)`` returns
``(https://domain, result url)`` for the first result whose registrable domain is not
free mail or a shared platform and contains a word of the organisation's name; ``None``
otherwise. A failed request raises ``ResearchError`` (one line, URL redacted).

Pitfalls: SearXNG returns ``results`` as a list of ``{url, title, content}``; other keys
are ignored. ``HOTPASS_SEARX_URL`` unset with every gate open is an error at prepare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.redact import redact

CONFIDENCE = 0.6  # a search hit is weaker evidence than any offline source
CACHE_TTL_S = 7 * 24 * 3600
_WORD = re.compile(r"[a-z0-9]+")


class ResearchError(HotpassError):
    """A research request failed (network, status, or not SearXNG JSON)."""


@dataclass(frozen=True)
class Gate:
    name: str
    open: bool
    how: str  # how to open it

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "open": self.open, "how_to_open": self.how}


def gates(allow_network: bool, settings) -> list[Gate]:
    return [Gate("--allow-network", bool(allow_network), "pass --allow-network=true"),
            Gate("FEATURE_ENABLE_REMOTE_RESEARCH", bool(settings.feature_enable_remote_research),
                 "export FEATURE_ENABLE_REMOTE_RESEARCH=1"),
            Gate("ALLOW_NETWORK_RESEARCH", bool(settings.allow_network_research),
                 "export ALLOW_NETWORK_RESEARCH=1")]


def closed(allow_network: bool, settings) -> list[str]:
    return [gate.name for gate in gates(allow_network, settings) if not gate.open]


class SearxClient:
    def __init__(self, url: str, spec, cache_dir: Path) -> None:
        import hishel
        from hishel.httpx import CacheClient
        from pyrate_limiter import Duration, Limiter, Rate

        self.url = url.rstrip("/")
        self.max_results = spec.max_results
        self.limiter = Limiter(Rate(spec.rate_per_minute, Duration.MINUTE))
        cache_dir.mkdir(parents=True, exist_ok=True)
        storage = hishel.SqliteStorage(database_path=cache_dir / "research-cache.sqlite",
                                       default_ttl=CACHE_TTL_S)
        self.http = CacheClient(storage=storage, timeout=spec.timeout_seconds,
                                headers={"Accept": "application/json"}, trust_env=False)
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def search(self, query: str) -> list[dict[str, Any]]:
        import httpx

        self.limiter.try_acquire("searx")
        self.requests += 1
        try:
            response = self.http.get(f"{self.url}/search",
                                     params={"q": query, "format": "json"})
            response.raise_for_status()
            results = response.json().get("results", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise ResearchError(redact(f"research: {self.url}/search failed: "
                                       f"{type(exc).__name__}: {exc}".splitlines()[0])) \
                from None
        return [r for r in results if isinstance(r, dict)][: self.max_results]

    def website_for(self, name: str, domains) -> tuple[str, str] | None:
        words = {w for w in _WORD.findall(name.lower()) if len(w) >= 4}
        if not words:
            return None
        for result in self.search(f'"{name}" official website'):
            url = str(result.get("url") or "")
            domain = domains.registered(url)
            if domain and not domains.is_free(domain) and \
                    any(word in domain.split(".")[0] for word in words):
                return f"https://{domain}", url
        return None
