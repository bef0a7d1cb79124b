"""``hotpass setup --target local`` against the real native stack (Prefect server and
moto_server started by the stack procedure): the plan first, the stack started, the
Prefect profile and .env.local pointing at what runs, and a second run that skips
everything."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_setup_local_starts_the_stack_then_skips_what_is_satisfied(tmp_path):
    pytest.importorskip("prefect")
    from dotenv import dotenv_values

    from hotpass.infra import stack
    from hotpass.infra.net.state import port_free
    from hotpass.procedure import run

    state, home = tmp_path / "state", tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "PREFECT_"))}
    env.update(HOTPASS_STATE_DIR=str(state), PREFECT_HOME=str(home))

    def setup(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hotpass.cli", "setup", "--target",
                               "local", *extra], capture_output=True, text=True, cwd=tmp_path,
                              env=env, stdin=subprocess.DEVNULL, timeout=400)

    try:
        dry = setup("--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "3. stack       to do      the stack is down" in dry.stdout
        for line in ("[dry-run] stack: prefect-server: start (would)",  # each child's plan
                     "[dry-run] ctx: hotpass-local: create (would)",
                     "[dry-run] env: .env.local: create (would)"):
            assert line in dry.stdout, dry.stdout
        assert not (tmp_path / ".env.local").exists() and not (tmp_path / "dist").exists()

        with contextlib.ExitStack() as held:  # programs accepting on 4200/8765: setup says so
            for default in (4200, 8765):
                with contextlib.suppress(OSError):
                    holder = held.enter_context(socket.socket())
                    holder.bind(("127.0.0.1", default))
                    holder.listen()
            busy = not port_free(4200)
            web_busy = not port_free(8765)
            first = setup()
        assert first.returncode == 0, first.stdout + first.stderr
        for line in ("stack done", "ctx done", "env done"):
            assert line in first.stdout, first.stdout
        running = stack.status(state / "stack")["env"]
        url = running["PREFECT_API_URL"]
        if busy:
            port = url.split(":")[2].split("/")[0]
            assert f"127.0.0.1:4200 is in use by another program, so Prefect runs on {port}" \
                in first.stdout, first.stdout
        if web_busy:
            assert "127.0.0.1:8765 is in use by another program, so the web UI runs on" \
                in first.stdout, first.stdout
        values = dotenv_values(tmp_path / ".env.local")
        assert values["PREFECT_API_URL"] == url
        assert values["HOTPASS_S3_ENDPOINT"] == running["HOTPASS_S3_ENDPOINT"]
        assert "(running stack)" in (tmp_path / ".env.local").read_text()
        profiles = (home / "profiles.toml").read_text()
        assert 'active = "hotpass-local"' in profiles and url in profiles

        from hotpass.evidence import verify

        [bundle] = (tmp_path / "dist" / "evidence").glob("setup-*")
        linked = [child["procedure"] for child in verify(bundle)["children"]]
        assert {"stack.up", "ctx.init", "env"} <= set(linked), linked
        record = json.loads((bundle / "record.json").read_text())
        assert record["procedure"] == "setup" and record["status"] == "ok"
        checked = subprocess.run(["invoke", "-r", str(ROOT), "evidence.verify", str(bundle)],
                                 capture_output=True, text=True, cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"evidence: dist/evidence/{bundle.name}" in first.stdout

        second = setup()
        assert second.returncode == 0, second.stderr
        assert second.stdout.count(" skipped (satisfied") == 5, second.stdout
    finally:
        run(stack.down_procedure(state / "stack"))
