"""``hotpass ctx init`` on a temp PREFECT_HOME, checked with Prefect's own CLI: created
and active on first use, unchanged when right, updated when the URL moves, other
profiles and their settings kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(home), HOTPASS_STATE_DIR=str(home.parent / "state"))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=home.parent, env=env, timeout=120)


def init(home: Path, *args: str) -> dict:
    result = run(home, "hotpass.cli", "ctx", "init", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ctx_init_creates_activates_and_updates_through_prefects_profiles(tmp_path):
    pytest.importorskip("prefect")
    home = tmp_path / "prefect-home"
    made = run(home, "prefect", "profile", "create", "mine")
    assert made.returncode == 0, made.stderr
    run(home, "prefect", "--profile", "mine", "config", "set", "PREFECT_LOGGING_LEVEL=DEBUG")

    dry = init(home, "--dry-run")
    assert dry["action"] == "create" and not (home / "profiles.toml").read_text().count("hotpass")
    assert init(home)["action"] == "create"
    view = run(home, "prefect", "config", "view")
    assert "PREFECT_PROFILE='hotpass-local'" in view.stdout
    assert "PREFECT_API_URL='http://127.0.0.1:4200/api'" in view.stdout
    assert init(home)["action"] == "unchanged"

    moved = init(home, "--target", "local", "--api-url", "http://10.1.2.3:4200/api")
    assert moved["action"] == "update" and moved["source"] == "flag"
    run(home, "prefect", "profile", "use", "mine")  # exits 1: 'mine' has no server URL
    assert 'active = "mine"' in (home / "profiles.toml").read_text()
    assert init(home, "--api-url", "http://10.1.2.3:4200/api")["action"] == "activate"
    text = (home / "profiles.toml").read_text()
    assert 'active = "hotpass-local"' in text
    assert "PREFECT_LOGGING_LEVEL" in text  # the other profile's settings are kept

    staging = run(home, "hotpass.cli", "ctx", "init", "--target", "staging")
    assert staging.returncode == 2 and "no live tunnel for target staging" in staging.stderr
    bad = run(home, "hotpass.cli", "ctx", "init", "--api-url", "localhost:4200")
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr
