"""A screenshot of a flow run's page in the Prefect UI, taken with headless Chromium.

Contract: ``ui_url(api_url)`` is the UI's base (the API URL without its ``/api``);
``ui_problem(base)`` says why the UI cannot show the run (the server serves no UI, or the
UI's ``/ui-settings`` points its browser side at an API that does not answer, which
renders an error page), or ``None``. ``command(url, out, profile_dir)`` is the Chromium
command line: headless, no sandbox, no GPU, background networking, component updates,
sync and first-run off, a fresh ``--user-data-dir``, a fixed window, and a virtual time
budget so the single-page app has rendered before the shot.

Pitfalls: Chromium exits 0 even when the page failed to load, so check ``ui_problem``
first and that the PNG exists after. Debian's binary is ``/usr/bin/chromium``
(``.ci/run`` installs it); ``CHROMIUM`` overrides the path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

WINDOW = "1440,900"
BUDGET_MS = 8000


def chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def ui_url(api_url: str) -> str:
    base = api_url.rstrip("/")
    return base[: -len("/api")] if base.endswith("/api") else base


def ui_problem(base: str) -> str | None:
    import httpx

    try:
        settings = httpx.get(f"{base}/ui-settings", timeout=5)
    except httpx.HTTPError as exc:
        return f"{base}/ui-settings did not answer ({type(exc).__name__})"
    if settings.status_code >= 300:
        return (f"the server serves no UI ({base}/ui-settings answered HTTP "
                f"{settings.status_code}; PREFECT_UI_ENABLED=false?)")
    api = (settings.json() or {}).get("api_url") or ""
    try:
        healthy = httpx.get(api.rstrip("/") + "/health", timeout=5).status_code < 300
    except httpx.HTTPError:
        healthy = False
    if not healthy:
        return (f"the UI calls its API at {api}, which does not answer: start the server "
                "with PREFECT_UI_API_URL (or PREFECT_API_URL) set to its own URL")
    return None


def command(url: str, out: Path, profile_dir: Path, binary: str) -> list[str]:
    return [binary, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile_dir}", f"--window-size={WINDOW}",
            f"--virtual-time-budget={BUDGET_MS}", f"--screenshot={out}", url]
