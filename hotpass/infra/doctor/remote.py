"""Doctor checks over the network: the Prefect API and its work pools' workers, and the
lineage, telemetry and S3 endpoints when configured.

Contract: the Prefect API is the one Prefect itself would use (``PREFECT_API_URL`` from
the environment or the active profile); ``/health`` must answer 200. Each work pool
needs at least one worker whose last heartbeat is recent: within three heartbeat
intervals (the worker's own interval, else ``PREFECT_WORKER_HEARTBEAT_SECONDS``), the
same rule the Prefect server uses to mark a worker offline. An endpoint counts as
reachable when it answers HTTP at all (any status): it is there; authentication is the
client's business. Unset endpoints are ``skip``, not failures.

Pitfalls: the endpoints are read from the environment and ``.env`` (what the settings
and exporters of a run started from this shell use), not from ``.env.<target>``, which
only counts once loaded (``set -a; . ./.env.local``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime

from hotpass.infra.doctor import Check, Options

ENDPOINTS = (("lineage", "OPENLINEAGE_URL"), ("telemetry", "OTEL_EXPORTER_OTLP_ENDPOINT"),
             ("s3", "HOTPASS_S3_ENDPOINT"))


def answers(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Whether ``url`` answers HTTP at all, and how (status or the error)."""
    import http.client

    from hotpass.orchestration.api import NOT_A_URL

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, f"HTTP {response.status}"
    except http.client.InvalidURL:  # its message quotes the part it choked on: no detail
        return False, NOT_A_URL
    except urllib.error.HTTPError as exc:
        return True, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{type(reason).__name__}: {reason}"


def check_prefect(options: Options) -> list[Check]:
    from hotpass.orchestration.api import api_url  # the one place PREFECT_API_URL is read

    try:
        url = api_url()
    except ImportError:
        return [Check("prefect api", "skip", "the orchestration extra is not installed")]
    if not url:
        return [Check("prefect api", "warn", "PREFECT_API_URL is not set (Prefect would run "
                                             "an ephemeral server); `hotpass ctx init`")]
    if url.strip()[:1] in {'"', "'"} or url.strip()[-1:] in {'"', "'"}:
        return [Check("prefect api", "fail", f"PREFECT_API_URL {url} holds literal quotes "
                      "(as `prefect config set PREFECT_API_URL=\\\"...\\\"` stores them); "
                      "`hotpass ctx init` rewrites the profile's URL without them")]
    ok, how = answers(url.rstrip("/") + "/health")
    if not ok or how != "HTTP 200":
        return [Check("prefect api", "fail", f"{url}: health check: {how}")]
    return [Check("prefect api", "ok", f"{url}: healthy"), *_pools(url)]


def _pools(url: str) -> list[Check]:
    from prefect.settings import get_current_settings

    from hotpass.orchestration.api import client as prefect_client

    default_interval = get_current_settings().worker.heartbeat_seconds
    now = datetime.now(UTC)
    rows = []
    with prefect_client("doctor") as client:
        for pool in client.read_work_pools():
            workers = client.read_workers_for_work_pool(pool.name, limit=200, offset=0)
            live, seen = [], []
            for worker in workers:
                interval = worker.heartbeat_interval_seconds or default_interval
                beat = worker.last_heartbeat_time
                age = (now - beat).total_seconds() if beat else None
                seen.append(f"{worker.name} last heartbeat "
                            f"{'never' if age is None else f'{age:.0f}s ago'}")
                if age is not None and age <= 3 * interval:
                    live.append(worker.name)
            if live:
                rows.append(Check(f"work pool {pool.name}", "ok",
                                  f"{len(live)} worker(s) alive: {', '.join(seen)}"))
            else:
                rows.append(Check(f"work pool {pool.name}", "fail",
                                  f"no worker alive ({'; '.join(seen) or 'no workers'}); "
                                  f"invoke workers.start --pool {pool.name}"))
    return rows


def check_endpoints(options: Options) -> list[Check]:
    from hotpass.infra.doctor.local import effective

    rows = []
    for label, name in ENDPOINTS:
        url = effective().get(name)
        if not url:
            rows.append(Check(label, "skip", f"{name} is not set"))
            continue
        ok, how = answers(url)
        rows.append(Check(label, "ok" if ok else "fail", f"{name}={url}: {how}"))
    return rows


CHECKS = (check_prefect, check_endpoints)
