"""The bootstrap how-to runs as written: every ```bash line of
docs/how-to/bootstrap-an-environment.md in a scratch clone (data/ and profiles/ copied,
its own PREFECT_HOME, no stack running). The doctor may fail only the checks that need
the stack; a secret stored by the page never shows in any command's output. (The
bastion how-to's commands need a real bastion: the docs test parses them, and
tests/integration/test_net_tunnels.py runs the same flags against a throwaway sshd.)"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.test_docs import DOCS, ROOT, bash_lines

PAGE = DOCS / "how-to" / "bootstrap-an-environment.md"
NEEDS_STACK = ("prefect api", "work pool ", "lineage", "telemetry", "s3")
SECRET = "hotpass123"  # the value the page stores with `credentials set --stdin`


def _failing(result: subprocess.CompletedProcess) -> list[str]:
    if result.stdout.lstrip().startswith("{"):
        return [row["name"] for row in json.loads(result.stdout)["checks"]
                if row["status"] == "fail"]
    return [line[6:].split(":")[0] for line in result.stdout.splitlines()
            if line.startswith("fail  ")]


@pytest.mark.integration
def test_the_bootstrap_how_to_runs(tmp_path):
    pytest.importorskip("prefect")
    work = tmp_path / "clone"
    work.mkdir()
    shutil.copytree(ROOT / "data", work / "data")
    shutil.copytree(ROOT / "profiles", work / "profiles")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    commands = bash_lines(PAGE)
    assert len(commands) >= 10
    for command in commands:
        result = subprocess.run(["bash", "-c", f"set -o pipefail; {command.text}"],
                                capture_output=True, text=True, cwd=work, env=env,
                                timeout=180)
        assert SECRET not in result.stdout + result.stderr, command
        if "hotpass doctor" in command.text:
            assert result.returncode in (0, 2), f"{command}\n{result.stderr}"
            if " > " in command.text:
                result.stdout = (work / command.text.split(" > ")[1].strip()).read_text()
            unexpected = [name for name in _failing(result) if not name.startswith(NEEDS_STACK)]
            assert not unexpected, f"{command}: {unexpected}\n{result.stdout}"
            continue
        assert result.returncode == command.expect_exit, (
            f"{command}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}")
    written = work / ".env.local"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert f"AWS_SECRET_ACCESS_KEY={SECRET}" in written.read_text()
    assert 'active = "hotpass-local"' in (tmp_path / "prefect-home" / "profiles.toml").read_text()
    store = work / "dist" / "state" / "credentials.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
