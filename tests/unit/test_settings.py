"""One owner per setting: only hotpass/settings.py reads HOTPASS_* from the environment,
and a bad value is one line naming the variable, not a pydantic traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.errors import HotpassError
from hotpass.settings import load

ROOT = Path(__file__).resolve().parents[2]


def test_only_settings_reads_hotpass_variables():
    reads = re.compile(r"(environ\.get|getenv|environ\[|\benv\.get|\benv\[)\(?\s*[\"']HOTPASS_")
    offenders = [str(path.relative_to(ROOT)) for folder in ("hotpass", "ops")
                 for path in (ROOT / folder).rglob("*.py")
                 if path.name != "settings.py" and reads.search(path.read_text())]
    offenders += ["tasks.py"] if reads.search((ROOT / "tasks.py").read_text()) else []
    assert offenders == []
    # and everyone goes through load(), which turns a bad value into one line
    direct = [str(path.relative_to(ROOT)) for path in (ROOT / "hotpass").rglob("*.py")
              if path.name != "settings.py" and "HotpassSettings()" in path.read_text()]
    assert direct == []


def test_settings_cover_runtime_image_and_state_dirs(monkeypatch):
    monkeypatch.setenv("HOTPASS_ENABLE_PREFECT_RUNTIME", "")
    monkeypatch.setenv("HOTPASS_IMAGE", "registry.example/hotpass:9")
    monkeypatch.setenv("HOTPASS_EVIDENCE_DIR", "/var/evidence")
    monkeypatch.setenv("HOTPASS_WORKERS_DIR", "/run/workers")
    settings = load()
    assert settings.enable_prefect_runtime is None  # empty means unset
    assert settings.image == "registry.example/hotpass:9"
    assert settings.evidence_dir == Path("/var/evidence")
    assert settings.workers_dir == Path("/run/workers")
    monkeypatch.setenv("HOTPASS_ENABLE_PREFECT_RUNTIME", "off")
    assert load().enable_prefect_runtime is False


def test_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("HOTPASS_TELEMETRY_ENABLED", "maybe")
    with pytest.raises(HotpassError, match=r"^HOTPASS_TELEMETRY_ENABLED='maybe': "):
        load()


def test_cli_bad_setting_is_one_line(tmp_path):
    env = {**os.environ, "HOTPASS_TELEMETRY_ENABLED": "maybe"}
    result = subprocess.run([sys.executable, "-m", "hotpass", "refine", "--output-path",
                             str(tmp_path / "r.xlsx")], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hotpass: error: HOTPASS_TELEMETRY_ENABLED='maybe': Input should be a valid "
        "boolean, unable to interpret input"]
    assert not (tmp_path / "r.xlsx").exists()
