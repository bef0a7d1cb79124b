"""No command prints a credential: the canary password (with a '/' and an '@' in it, as
people write them) given to ``env``, ``ctx init``, ``net up`` and ``orchestrate`` never
reaches stdout, stderr, JSON or evidence, and a file holding it is mode 0600."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CANARY = "Zq7canary"
URL = f"http://admin:p/{CANARY}@x@127.0.0.1:9/api"


def _hotpass(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HOTPASS_"))}
    environ.update(PREFECT_HOME=str(tmp_path / "prefect-home"), HOTPASS_STATE_DIR=str(
        tmp_path / "state"), PYTHONPATH=str(Path(__file__).resolve().parents[2]), **env)
    return subprocess.run([sys.executable, "-m", "hotpass", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180, env=environ)


def _clean(result: subprocess.CompletedProcess, tmp_path: Path) -> None:
    assert CANARY not in result.stdout + result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    evidence = tmp_path / "dist" / "evidence"
    for path in evidence.rglob("*") if evidence.is_dir() else []:
        if path.is_file():
            assert CANARY not in path.read_text(errors="replace"), path


def test_env_json_dry_run_and_the_file_mode(tmp_path):
    for extra in (["--json", "--dry-run"], ["--dry-run"], ["--json"]):
        result = _hotpass(tmp_path, "env", "--prefect-url", URL, *extra)
        assert result.returncode == 0, result.stderr
        _clean(result, tmp_path)
    written = tmp_path / ".env.local"
    assert CANARY in written.read_text()  # the file itself keeps the value...
    assert written.stat().st_mode & 0o777 == 0o600  # ...and only its owner reads it


def test_ctx_init_dry_run(tmp_path):
    for extra in (["--json"], []):
        result = _hotpass(tmp_path, "ctx", "init", "--dry-run", "--api-url", URL, *extra)
        assert result.returncode == 0, result.stderr
        _clean(result, tmp_path)
        assert "admin:***@" in result.stdout


def test_net_up_dry_run_json_masks_ssh_options(tmp_path):
    result = _hotpass(tmp_path, "net", "up", "--host", "bastion", "--dry-run", "--json",
                      "--ssh-option", f"ProxyCommand=sshpass -p {CANARY} ssh -W %h:%p jump")
    assert result.returncode == 0, result.stderr
    _clean(result, tmp_path)
    assert "sshpass -p ***" in json.dumps(json.loads(result.stdout))


def test_a_slash_in_the_prefect_password_is_one_line(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "clients.csv").write_text("Company Name,E-mail\nAcme Ltd,info@acme.co.za\n")
    result = _hotpass(tmp_path, "orchestrate", "--input-dir", str(inputs), "--output-path",
                      str(tmp_path / "out" / "refined.xlsx"), PREFECT_API_URL=URL)
    assert result.returncode != 0
    _clean(result, tmp_path)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "percent-encoded" in result.stderr
