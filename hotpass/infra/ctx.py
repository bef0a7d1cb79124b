"""``hotpass ctx init``: the Prefect profile ``hotpass-<target>``, created and activated.

Contract: ``api_url_for(target)`` picks ``PREFECT_API_URL``: an explicit URL, else a live
``hotpass net`` tunnel's Prefect port, else (target ``local`` only) the running stack's
Prefect, else ``http://127.0.0.1:4200/api``; staging/prod without a tunnel is an error. ``plan``
compares with Prefect's profiles file (``$PREFECT_HOME/profiles.toml``): create, update
(another URL), activate (right URL, not active) or unchanged. ``InitProfile`` is the
procedure (evidence recorded): apply writes through Prefect's own profile API
(``load_profiles`` / ``update_profile`` / ``set_active`` / ``save_profiles``), so other
profiles and their settings are kept; verify re-reads the file and fails unless the
profile is active with the URL.

Pitfalls: Prefect reads the active profile when it is imported, so a process that has
already imported Prefect keeps its old settings; new ``prefect``/``hotpass`` processes
see the change. The runbook's ``prefect profile use X || prefect profile create X``
leaves X inactive on first use; this does not.
"""

from __future__ import annotations

from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.paths import TARGETS
from hotpass.procedure import Change, Evidence, Procedure
from hotpass.redact import redact


def profile_name(target: str) -> str:
    if target not in TARGETS:
        raise HotpassError(f"ctx init: --target must be one of {', '.join(TARGETS)}, "
                           f"not {target!r}")
    return f"hotpass-{target}"


def api_url_for(target: str, api_url: str | None, state_dir: Path) -> tuple[str, str]:
    """``(url, where it came from)``."""
    from hotpass.infra import env, net

    profile_name(target)
    if api_url:
        if not api_url.startswith(("http://", "https://")):
            raise HotpassError(f"ctx init: --api-url {redact(api_url)!r} is not an http(s) URL")
        return api_url, "flag"
    tunnel = net.live_tunnel(state_dir)
    if tunnel:
        return f"http://127.0.0.1:{tunnel['prefect_port']}/api", f"tunnel {tunnel['label']}"
    if target != "local":
        raise HotpassError(f"ctx init: no live tunnel for target {target}; open one with "
                           "`hotpass net up --detach ...` (or `hotpass net lease`), or pass "
                           "--api-url")
    running = env.stack_endpoints(state_dir).get("PREFECT_API_URL")
    if running:
        return running, "running stack"
    return env.DEFAULTS["PREFECT_API_URL"], "stack default"


def _profiles():
    from prefect.settings.profiles import load_profiles

    return load_profiles()


def current(name: str) -> dict:
    """The profile's URL and whether it is active, as Prefect's profiles file says."""
    from prefect.settings import PREFECT_API_URL

    profiles = _profiles()
    profile = profiles.profiles_by_name.get(name)
    url = profile.settings.get(PREFECT_API_URL) if profile else None
    return {"exists": profile is not None, "url": url, "active": profiles.active_name == name}


def plan(target: str, url: str) -> dict:
    name = profile_name(target)
    now = current(name)
    if not now["exists"]:
        action = "create"
    elif now["url"] != url:
        action = "update"
    elif not now["active"]:
        action = "activate"
    else:
        action = "unchanged"
    return {"profile": name, "action": action, "api_url": url, "was": now}


class InitProfile(Procedure):
    """prepare (pick the URL) -> plan (diff with profiles.toml) -> apply (Prefect's
    profile API) -> verify (re-read: active, with the URL)."""

    name = "ctx.init"

    def __init__(self, target: str, api_url: str | None, state_dir: Path) -> None:
        self.target, self.api_url, self.state_dir = target, api_url, state_dir
        self.planned: dict = {}

    def prepare(self, ev: Evidence) -> None:
        self.url, self.source = api_url_for(self.target, self.api_url, self.state_dir)

    def plan(self, ev: Evidence) -> list[Change]:
        self.planned = {**plan(self.target, self.url), "source": self.source,
                       "profiles_path": str(profiles_path())}
        return [Change(self.planned["profile"], self.planned["action"],
                       {"api_url": self.url, "source": self.source})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        from prefect.settings import PREFECT_API_URL
        from prefect.settings.profiles import save_profiles

        name = profile_name(self.target)
        profiles = _profiles()
        profiles.update_profile(name, {PREFECT_API_URL: self.url})
        profiles.set_active(name)
        save_profiles(profiles)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        name = profile_name(self.target)
        now = current(name)
        problems = []
        if now["url"] != self.url:
            problems.append(f"profile {name} has PREFECT_API_URL {now['url']!r}, not "
                            f"{self.url!r}")
        if not now["active"]:
            problems.append(f"profile {name} is not the active profile")
        return problems

    def result(self, ev: Evidence) -> dict:
        """The plan: profile, action, URL, ``source`` and ``profiles_path``."""
        return self.planned


def profiles_path() -> Path:
    from prefect.settings import get_current_settings

    return Path(get_current_settings().profiles_path)


def init(target: str, api_url: str | None = None, *, dry_run: bool = False,
         state_dir: Path) -> dict:
    """Run ``InitProfile``; returns the plan (redacted) with ``source`` and ``evidence``."""
    from hotpass.procedure import run
    from hotpass.redact import redact_data

    outcome = run(InitProfile(target, api_url, state_dir), dry_run=dry_run)
    return redact_data({**outcome.result,
                        "evidence": str(outcome.bundle) if outcome.bundle else None})
