"""Doctor checks that need no network: Python, extras, profile, folders, env file,
credentials store, recorded tunnels.

Contract: each ``check_*`` takes ``Options`` and returns ``Check`` rows (see
``hotpass.infra.doctor``). A missing ``--profile-search-path`` folder is a failure, not a
silent skip. The env-file check compares ``.env.<target>`` with what ``hotpass env``
would write now (missing variables, stale tunnel ports) and with the settings the
process runs with (a variable set to something else in the environment).
"""

from __future__ import annotations

import os
import socket
import sys
from importlib import metadata
from pathlib import Path

from hotpass.infra.doctor import Check, Options

# extra -> what works only with it (doctor says so when it is missing); extras not
# listed here are still checked (pyproject's Provides-Extra), with a generic description.
EXTRA_USES = {
    "orchestration": "hotpass deploy/orchestrate, ctx init, invoke workers.*",
    "observability": "--enable-observability, OpenTelemetry metrics, OpenLineage events",
    "distributed": "hotpass orchestrate --task-runner dask",
    "dev": "invoke test/lint (pytest, ruff)",
    "s3": "refine --archive uploads to HOTPASS_S3_ENDPOINT",
}


def check_python(options: Options) -> list[Check]:
    from packaging.specifiers import SpecifierSet

    needed = metadata.metadata("hotpass").get("Requires-Python") or ">=3.11"
    version = ".".join(map(str, sys.version_info[:3]))
    ok = version in SpecifierSet(needed)
    return [Check("python", "ok" if ok else "fail",
                  f"Python {version} ({sys.executable}); hotpass needs {needed}")]


def missing_requirements(extra: str) -> list[str]:
    """Requirements of ``hotpass[extra]`` that are absent or at a wrong version."""
    from packaging.requirements import Requirement

    missing = []
    for text in metadata.requires("hotpass") or []:
        requirement = Requirement(text)
        if requirement.name == "hotpass" or not requirement.marker or \
                not requirement.marker.evaluate({"extra": extra}) or \
                requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{requirement.name} (not installed)")
            continue
        if requirement.specifier and installed not in requirement.specifier:
            missing.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
    return missing


def check_extras(options: Options) -> list[Check]:
    rows = []
    for extra in metadata.metadata("hotpass").get_all("Provides-Extra") or []:
        if extra == "all":
            continue
        uses = EXTRA_USES.get(extra, f"what needs hotpass[{extra}]")
        missing = missing_requirements(extra)
        if missing:
            rows.append(Check(f"extra {extra}", "warn",
                              f"{', '.join(missing)}: not available: {uses} "
                              f"(invoke deps.sync --extras {extra})"))
        else:
            rows.append(Check(f"extra {extra}", "ok", f"installed: {uses}"))
    return rows


def check_profile(options: Options) -> list[Check]:
    from hotpass.errors import HotpassError
    from hotpass.profiles import load_profile

    settings = options.settings
    paths = (*options.search_paths, *settings.profile_search_path)
    name = options.profile or settings.profile
    rows = [Check("profile search path", "fail", f"--profile-search-path {p}: no such folder")
            for p in paths if not Path(p).is_dir()]
    try:
        profile = load_profile(name, [p for p in paths if Path(p).is_dir()])
    except HotpassError as exc:
        return [*rows, Check("profile", "fail", exc.message)]
    return [*rows, Check("profile", "ok", f"{name}: valid ({len(profile.fields)} fields)")]


def _mkdir(path: Path, mode: int = 0o777) -> str:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return f"created {path}"


def check_dirs(options: Options) -> list[Check]:
    settings = options.settings
    state = options.state_dir
    rows = []
    for label, path, mode in (("dist folder", settings.output_path.parent, 0o777),
                              ("state folder", Path(state), 0o700)):
        if path.is_dir():
            rows.append(Check(label, "ok", f"{path}"))
        else:
            rows.append(Check(label, "fail", f"{path}: missing",
                              fix=lambda p=path, m=mode: _mkdir(p, m), fix_label=f"mkdir {path}"))
    data = settings.input_dir
    if data.is_dir() and any(data.iterdir()):
        rows.append(Check("data folder", "ok", f"{data}"))
    else:
        rows.append(Check("data folder", "fail", f"{data}: missing or empty; put the input "
                                                 "workbooks there or set HOTPASS_INPUT_DIR"))
    return rows


def _listening(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def check_env_file(options: Options) -> list[Check]:
    from hotpass.infra import env, net

    path = env.default_output(options.target)
    if not path.exists():
        def write() -> str:
            result = env.generate(options.target, {}, state_dir=options.state_dir)
            return f"wrote {result['output']} ({len(result['sources'])} variables)"

        return [Check("env file", "fail", f"{path}: missing (hotpass env --target "
                                          f"{options.target})", fix=write,
                      fix_label=f"hotpass env --target {options.target}")]
    values = env.read_env_file(path)
    problems = [f"{name} missing" for name in env.NAMES if name not in values]
    tunnel = net.live_tunnel(options.state_dir)
    expected = env.resolve(options.target, {}, tunnel=tunnel,
                           state_dir=options.state_dir).values
    for name in ("PREFECT_API_URL", "OPENLINEAGE_URL"):
        value = values.get(name, "")
        if (value.startswith("http://127.0.0.1:") and value != expected[name]
                and not _listening(value)):
            problems.append(f"{name}={value} but nothing listens there (a closed tunnel?); "
                            f"`hotpass env --target {options.target} --force`")
    for name, current in effective().items():
        if name in values and _norm(current) != _norm(values[name]):
            problems.append(f"{name} is {current} in this environment but {values[name]} "
                            f"in {path}")
    if problems:
        return [Check("env file", "fail", f"{path}: {'; '.join(problems)}")]
    return [Check("env file", "ok", f"{path}: {len(values)} variables, consistent")]


def effective() -> dict[str, str]:
    """The table's variables as this process sees them: ``.env`` (which the settings
    read) overlaid by the environment."""
    from hotpass.infra import env

    dotenv = env.read_env_file(Path(".env")) if Path(".env").is_file() else {}
    merged = {**dotenv, **os.environ}
    return {name: merged[name] for name in env.NAMES if name in merged}


def _norm(value: str) -> str:
    value = value.strip().lower()
    return {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false",
            "off": "false"}.get(value, value.rstrip("/"))


def check_credentials(options: Options) -> list[Check]:
    from hotpass import credential_store as credentials

    path = credentials.store_path(options.state_dir)
    if not path.exists():
        return [Check("credentials", "ok", f"no store yet ({path}); hotpass credentials wizard")]
    problem = credentials.private_mode_problem(path)
    if problem:
        def tighten() -> str:
            path.chmod(0o600)
            return f"chmod 600 {path}"

        return [Check("credentials", "fail", problem, fix=tighten, fix_label=f"chmod 600 {path}")]
    stored = len(credentials.load(options.state_dir))
    return [Check("credentials", "ok", f"mode 0600, {stored} stored ({path})")]


def check_refine_lock(options: Options) -> list[Check]:
    """The output folder's run lock: held by a live run, or free (a record a killed run
    left behind does not hold it; the next run replaces it)."""
    from hotpass.refine.output.staging import lock_path, lock_state

    output = options.settings.output_path
    state = lock_state(output)
    if state["held"]:
        return [Check("refine lock", "ok", f"{output.parent}: held by a running refine "
                                           f"({state['holder']})")]
    left = (f"; {lock_path(output).name} names pid {state['left_by']}, a run that was "
            "killed: not a lock, the next run replaces it" if state["left_by"] else "")
    return [Check("refine lock", "ok", f"{output.parent}: free{left}")]


def check_tunnels(options: Options) -> list[Check]:
    from hotpass.infra import net

    rows = net.status(options.state_dir)
    if not rows:
        return [Check("tunnels", "ok", "none recorded")]
    found = []
    for row in rows:
        probes = ", ".join(f"{k} {v}" for k, v in row["forwards"].items())
        detail = (f"{row['label']}: {row['state']} (pid {row['pid']}; prefect_port "
                  f"{row.get('prefect_port')}, marquez_port {row.get('marquez_port')}; {probes})")
        if row["state"] == "dead":
            found.append(Check(f"tunnel {row['label']}", "fail", detail,
                               fix=lambda: f"pruned {', '.join(net.prune(state_dir=options.state_dir))}",
                               fix_label="hotpass net status --prune"))
        else:
            found.append(Check(f"tunnel {row['label']}",
                               "ok" if row["state"] == "up" else "fail", detail))
    return found


CHECKS = (check_python, check_extras, check_profile, check_dirs, check_env_file,
          check_credentials, check_refine_lock, check_tunnels)
