"""Prefect API access for every Hotpass command: the URL, reachability, a sync client,
and the global concurrency limits deploy and backfill share.

Contract: ``api_url()`` is the one place ``PREFECT_API_URL`` is resolved, as Prefect
itself resolves it (the environment, then the active Prefect profile, ``.env`` /
``prefect.toml``), or ``None``; the environment is read first without importing Prefect.
``unreachable(url)`` probes ``<url>/health`` and returns why it did not answer (``None``
when it did); it costs at most ``PROBE_TIMEOUT_S``. ``client(what)`` yields a sync client
after that probe and turns an unreachable server into one ``HotpassError``
("<what>: cannot reach the Prefect API at <url> (...)"), never a traceback.
``read_or_create_global_limit`` returns an existing global concurrency limit or creates
it (``None`` then).

Pitfalls: importing Prefect's settings imports Prefect (about a second); call these only
on paths that need Prefect anyway. Every message goes through ``hotpass.redact``, so
credentials in the URL never reach the terminal.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from hotpass.errors import HotpassError
from hotpass.redact import redact, redact_url

PROBE_TIMEOUT_S = 3.0
NOT_A_URL = ("not a valid URL; a '/', '@', ':' or '#' in a user name or password must be "
             "percent-encoded (%2F, %40, %3A, %23)")


def api_url() -> str | None:
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:  # Prefect's own order puts the environment first; no import needed for it
        return url
    from prefect.settings import PREFECT_API_URL

    return (PREFECT_API_URL.value() or "").strip() or None


def unreachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why ``<url>/health`` did not answer 2xx, or ``None`` when the server is up."""
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.InvalidURL:  # its message quotes the part it choked on: no detail
        return NOT_A_URL
    except httpx.HTTPError as exc:
        return redact(str(exc).splitlines()[0][:160]) if str(exc) else type(exc).__name__
    if response.status_code >= 300:
        return f"/health answered HTTP {response.status_code}"
    return None


def require_server(what: str, url: str | None = None,
                   fix: str = "start the server or fix PREFECT_API_URL") -> str:
    """The API URL when a server answers there; else one clear ``HotpassError``."""
    url = url or api_url()
    if not url:
        raise HotpassError(f"{what}: PREFECT_API_URL is not set; point it at a Prefect "
                           "server (prefect server start)")
    why = unreachable(url)
    if why is not None:
        raise HotpassError(f"{what}: cannot reach the Prefect API at {redact_url(url)} ({why}); "
                           f"{fix}")
    return url


@contextlib.contextmanager
def client(what: str) -> Iterator[Any]:
    """A sync Prefect client for a server that answered its health probe."""
    import httpx
    from prefect.client.orchestration import get_client

    url = require_server(what)
    try:
        with get_client(sync_client=True) as prefect_client:
            yield prefect_client
    except (httpx.ConnectError, httpx.TimeoutException) as exc:  # went away mid-call
        raise HotpassError(redact(f"{what}: lost the Prefect API at {url} ({exc})")) from None


def read_or_create_global_limit(prefect_client: Any, name: str, limit: int) -> Any | None:
    """The existing global concurrency limit ``name``, or None after creating it."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    try:
        return prefect_client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        prefect_client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit, active=True))
        return None
