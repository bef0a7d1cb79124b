"""``hotpass site serve``: the built site on a small local ASGI server (Starlette under
uvicorn, both already in the dependency tree), plus what a static site cannot do.

Contract: ``create_app(site_dir, runs_dirs, state_dir, settings)`` serves ``site_dir`` as files and
adds ``/health.html`` + ``/health.json`` (live probes of the stack's services, as
``stack.status`` takes them), ``/healthz`` (this server is up), ``/api/session`` (the
CSRF token, also set as a ``SameSite=Strict`` HttpOnly cookie) and ``POST /api/review``
(``{"run": id, "decisions": [...]}``): the decisions merged into the review file the
run's profile named (``resolve.review_file.write_decisions``), then the site rebuilt.
A POST needs the token in ``X-CSRF-Token`` equal to the cookie and to the server's own,
a JSON body, and an ``Origin`` (when sent) equal to the server's; the Host must be one
the server was bound to. ``serve(...)`` builds, then runs uvicorn on ``host:port`` (127.0.0.1 by
default); a page request rebuilds when the last build is over ``REBUILD_AFTER_S`` old, so
new runs show up. A ``--runs`` folder that does not exist yet is skipped (the native
stack starts the server before the first run).

Pitfalls: the token lives for the server's lifetime; a page loaded before a restart
asks again. Only runs in the site's runs log can be written for, and only to the review
file that run recorded, so a request cannot name a path.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError

COOKIE = "hotpass_csrf"
MAX_DECISIONS = 1000
REBUILD_AFTER_S = 10.0


def create_app(site_dir: Path, runs_dirs: list[Path], state_dir: Path, settings: Any,
               hosts: tuple[str, ...] = ("127.0.0.1", "localhost")):
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from hotpass.site.build import build, environment, read_log

    site_dir = Path(site_dir)
    token = secrets.token_urlsafe(32)
    env = environment()
    built = {"at": time.monotonic()}

    def rebuild() -> None:
        build(site_dir, [Path(d) for d in runs_dirs if Path(d).is_dir()], settings)
        built["at"] = time.monotonic()

    async def fresh_pages(request: Request, call_next):
        """New runs appear without a restart: an HTML page request rebuilds (incremental,
        so only new runs render) when the last build is older than ``REBUILD_AFTER_S``."""
        path = request.url.path
        if request.method == "GET" and (path.endswith(".html") or path.endswith("/")) and \
                time.monotonic() - built["at"] > REBUILD_AFTER_S:
            await run_in_threadpool(rebuild)
        return await call_next(request)

    def health_facts() -> dict:
        from hotpass.infra.stack import status

        facts = status(Path(state_dir))
        return {"checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "mode": facts["mode"], "services": [
                    {k: row.get(k, "") for k in ("service", "url", "health", "why")}
                    for row in facts["services"]]}

    async def health_page(request: Request):
        data = await run_in_threadpool(health_facts)  # the probes may call this server
        html = env.get_template("health.html").render(
            data=data, root="", json_name="health.json", serve_mode=True, title="Health")
        return HTMLResponse(html)

    async def health_json(request: Request):
        return JSONResponse(await run_in_threadpool(health_facts))

    async def healthz(request: Request):
        return PlainTextResponse("ok")

    async def session(request: Request):
        response = JSONResponse({"csrf": token})
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    async def review(request: Request):
        sent, cookie = request.headers.get("x-csrf-token", ""), request.cookies.get(COOKIE, "")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if not (hmac.compare_digest(sent, token) and hmac.compare_digest(cookie, token)) \
                or (origin is not None and origin != own):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return JSONResponse({"error": "send JSON"}, status_code=415)
        try:
            body = json.loads(await request.body())
            saved, path = save_decisions(site_dir, body, read_log(site_dir))
            await run_in_threadpool(rebuild)
        except (ValueError, HotpassError) as exc:
            return JSONResponse({"error": str(getattr(exc, "message", exc))},
                                status_code=400)
        return JSONResponse({"saved": saved, "file": str(path)})

    routes = [Route("/health.html", health_page), Route("/health.json", health_json),
              Route("/healthz", healthz), Route("/api/session", session),
              Route("/api/review", review, methods=["POST"]),
              Mount("/", StaticFiles(directory=site_dir, html=True))]
    return Starlette(routes=routes, middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
        Middleware(BaseHTTPMiddleware, dispatch=fresh_pages)])


def save_decisions(site_dir: Path, body: dict, logged: list[dict]) -> tuple[int, Path]:
    """Validate a POSTed review and merge it into the run's review file."""
    from hotpass.refine.resolve.review_file import DIFFERENT, SAME, Decision, write_decisions

    if not isinstance(body, dict) or not isinstance(body.get("decisions"), list):
        raise HotpassError("expected {\"run\": ..., \"decisions\": [...]}")
    run = next((e for e in logged if e["id"] == body.get("run")), None)
    if run is None:
        raise HotpassError(f"run {body.get('run')!r} is not in this site's runs log")
    if not run.get("review_file"):
        raise HotpassError(f"run {run['id']}: its profile names no review file")
    items = body["decisions"]
    if not 0 < len(items) <= MAX_DECISIONS:
        raise HotpassError(f"send 1 to {MAX_DECISIONS} decisions")
    decisions = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("decision") not in (SAME, DIFFERENT) or \
                not all(isinstance(item.get(k), str) and item[k] for k in ("left", "right")):
            raise HotpassError(f"decision {number}: needs left, right and same|different")
        decisions.append(Decision(**{k: str(item.get(k) or "")[:500] for k in (
            "left", "right", "decision", "reviewer", "decided_at", "left_name",
            "right_name")}))
    path = Path(run["review_file"])
    write_decisions(path, decisions)
    return len(decisions), path


def serve(site_dir: Path, runs_dirs: list[Path], *, host: str = "127.0.0.1",
          port: int = 8765, state_dir: Path, settings: Any) -> None:
    import uvicorn

    from hotpass.site.build import build

    build(site_dir, [Path(d) for d in runs_dirs if Path(d).is_dir()], settings)
    hosts = tuple(dict.fromkeys((host, "127.0.0.1", "localhost")))
    app = create_app(site_dir, runs_dirs, state_dir, settings, hosts="*" if host in (
        "0.0.0.0", "::") else hosts)
    uvicorn.run(app, host=host, port=port, log_level="warning")
