"""``hotpass net`` against a real OpenSSH server on a loopback port: a tunnel carries HTTP
to loopback servers standing in for Prefect and Marquez; killing ssh makes status say
dead; leases close themselves; env picks up the tunnel's ports."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests import sshd

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not sshd.available(), reason=sshd.MISSING)]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def services():
    servers = {}
    for name in ("prefect", "marquez"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.body = f"{name} behind the bastion".encode()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    yield {name: server.server_address[1] for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def bastion(tmp_path_factory):
    server = sshd.start(tmp_path_factory.mktemp("sshd"))
    yield server
    sshd.stop(server)


def hotpass(state: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")}
    clean["HOTPASS_STATE_DIR"] = str(state)
    return subprocess.run([sys.executable, "-m", "hotpass.cli", *args], capture_output=True,
                          text=True, cwd=cwd or state.parent, env=clean, timeout=60)


def up_args(bastion, services, label: str, *extra: str) -> list[str]:
    return ["--via", "ssh-bastion", *bastion.net_args(), "--prefect-host", "127.0.0.1",
            "--prefect-remote-port", str(services["prefect"]), "--marquez-host", "127.0.0.1",
            "--marquez-remote-port", str(services["marquez"]), "--label", label, *extra]


def status(state: Path) -> dict:
    result = hotpass(state, "net", "status", "--json")
    assert result.returncode == 0, result.stderr
    return {row["label"]: row for row in json.loads(result.stdout)["tunnels"]}


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        return response.read().decode()


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_net_alone_prints_help(tmp_path):
    result = hotpass(tmp_path / "state", "net")
    assert result.returncode == 0 and "up" in result.stdout and "lease" in result.stdout


def test_tunnel_carries_http_and_dies_visibly_when_ssh_is_killed(tmp_path, bastion, services):
    state = tmp_path / "state"
    with socket.socket() as taken:  # the default local port is busy: a free one is used
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = hotpass(state, "net", "up", *up_args(bastion, services, "incident-1",
                                                      "--prefect-port", str(busy)), "--detach")
        assert result.returncode == 0, result.stderr
    rows = status(state)
    row = rows["incident-1"]
    assert row["state"] == "up" and row["alive"]
    assert row["prefect_port"] != busy
    assert f"prefect_port {row['prefect_port']}" in result.stdout
    assert fetch(row["prefect_port"]) == "prefect behind the bastion"
    assert fetch(row["marquez_port"]) == "marquez behind the bastion"
    assert row["forwards"] == {"prefect": "answers", "marquez": "answers"}
    assert row["command"][:2] == ["ssh", "-N"]
    for option in ("ExitOnForwardFailure=yes", "BatchMode=yes", "ServerAliveInterval=30"):
        assert option in row["command"]
    saved = json.loads((state / "tunnels.json").read_text())["tunnels"]
    assert [t["pid"] for t in saved] == [row["pid"]]

    # hotpass env points at the tunnel's local ports
    env = hotpass(state, "env", "--target", "staging", "--dry-run", cwd=tmp_path)
    assert f"PREFECT_API_URL=http://127.0.0.1:{row['prefect_port']}/api" in env.stdout
    assert f"OPENLINEAGE_URL=http://127.0.0.1:{row['marquez_port']}/api/v1" in env.stdout
    assert "tunnel incident-1" in env.stdout

    again = hotpass(state, "net", "up", *up_args(bastion, services, "incident-1"), "--detach")
    assert again.returncode == 2 and "already up" in again.stderr

    os.kill(row["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while status(state)["incident-1"]["state"] != "dead" and time.monotonic() < deadline:
        time.sleep(0.2)
    dead = status(state)["incident-1"]
    assert dead["state"] == "dead" and not dead["alive"]
    text = hotpass(state, "net", "status").stdout
    assert "incident-1: DEAD" in text
    pruned = hotpass(state, "net", "status", "--prune", "--json")
    assert json.loads(pruned.stdout)["pruned"] == ["incident-1"]
    assert status(state) == {}


def test_down_closes_the_ports_and_forgets_the_tunnel(tmp_path, bastion, services):
    state = tmp_path / "state"
    assert hotpass(state, "net", "up", *up_args(bastion, services, "a"), "--detach",
                   ).returncode == 0
    assert hotpass(state, "net", "up", *up_args(bastion, services, "b"), "--detach",
                   ).returncode == 0
    rows = status(state)
    assert rows["a"]["prefect_port"] != rows["b"]["prefect_port"]
    dry = hotpass(state, "net", "down", "--all", "--dry-run")
    assert "tunnel a: would stop" in dry.stdout and "tunnel b: would stop" in dry.stdout
    assert set(status(state)) == {"a", "b"}
    down = hotpass(state, "net", "down", "--label", "a")
    assert down.returncode == 0 and "tunnel a: closed" in down.stdout
    records = sorted((tmp_path / "dist" / "evidence").glob("net.down-*/record.json"))
    record = json.loads(records[-1].read_text())
    assert record["status"] == "ok" and record["plan"][0]["target"] == "a"
    assert record["plan"][0]["action"] == "stop"
    assert not accepts(rows["a"]["prefect_port"]) and set(status(state)) == {"b"}
    assert hotpass(state, "net", "down", "--all").returncode == 0
    assert not accepts(rows["b"]["marquez_port"]) and status(state) == {}
    missing = hotpass(state, "net", "down", "--label", "nope")
    assert missing.returncode == 2 and "no tunnel labelled 'nope'" in missing.stderr


def test_lease_closes_itself(tmp_path, bastion, services):
    state = tmp_path / "state"
    result = hotpass(state, "net", "lease", *up_args(bastion, services, "lease"),
                     "--ttl", "12s")  # long enough to look at it on a loaded machine
    assert result.returncode == 0, result.stderr
    row = status(state)["lease"]
    assert row["state"] == "up" and row["expires"]
    assert fetch(row["prefect_port"]) == "prefect behind the bastion"
    deadline = time.monotonic() + 40
    while status(state)["lease"]["state"] != "dead" and time.monotonic() < deadline:
        time.sleep(0.3)
    row = status(state)["lease"]
    assert row["state"] == "dead" and row["expired"]
    assert not accepts(row["prefect_port"])


def test_a_refused_key_fails_in_one_line_and_records_nothing(tmp_path, bastion, services):
    state = tmp_path / "state"
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)],
                   check=True)
    args = up_args(bastion, services, "bad")
    args[args.index("--identity-file") + 1] = str(wrong)
    result = hotpass(state, "net", "up", *args, "--detach")
    assert result.returncode == 2
    assert result.stderr.startswith("hotpass: error: net: ssh to 127.0.0.1: exited with 255")
    assert "Permission denied (publickey)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert status(state) == {}
    bad_ttl = hotpass(state, "net", "lease", *up_args(bastion, services, "x"), "--ttl", "soon")
    assert bad_ttl.returncode == 2 and "--ttl 'soon'" in bad_ttl.stderr


def test_setup_staging_is_resumable_through_a_real_tunnel(tmp_path, bastion, services):
    state, home = tmp_path / "state", tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPASS_", "PREFECT_"))}
    # the bastion is this machine: its 127.0.0.1:4200 would be the tunnel's own listener, and
    # one connection to it would loop through ssh until ssh gives up; 127.0.0.2 refuses
    env.update(HOTPASS_STATE_DIR=str(state), PREFECT_HOME=str(home),
               HOTPASS_PREFECT_HOST="127.0.0.2", HOTPASS_MARQUEZ_HOST="127.0.0.2")
    args = [sys.executable, "-m", "hotpass.cli", "setup", "--target", "staging",
            *bastion.net_args()]

    def setup(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([*args, *extra], capture_output=True, text=True, cwd=tmp_path,
                              env=env, stdin=subprocess.DEVNULL, timeout=120)

    dry = setup("--dry-run")
    assert dry.returncode == 0 and "3. tunnel      to do" in dry.stdout
    assert status(state) == {} and not (tmp_path / ".env.staging").exists()

    first = setup()  # no credentials and no terminal: stops there, says how to resume
    assert first.returncode == 2
    assert "setup stopped at step 'credentials'" in first.stderr
    assert "deps skipped" in first.stdout and status(state) == {}
    assert hotpass(state, "credentials", "set", "PREFECT_API_KEY", "--value",
                   "pnu_CANARY").returncode == 0

    second = setup()
    assert second.returncode == 0, second.stderr
    for line in ("deps skipped", "credentials skipped", "tunnel done", "ctx done",
                 "env done"):
        assert line in second.stdout, second.stdout
    row = status(state)["hotpass-staging"]
    assert row["state"] == "up"
    written = (tmp_path / ".env.staging").read_text()
    assert f"PREFECT_API_URL=http://127.0.0.1:{row['prefect_port']}/api" in written
    assert "pnu_CANARY" not in second.stdout + second.stderr + written
    profiles = (home / "profiles.toml").read_text()
    assert 'active = "hotpass-staging"' in profiles
    assert f"127.0.0.1:{row['prefect_port']}/api" in profiles

    third = setup()
    assert third.returncode == 0
    assert third.stdout.count(" skipped (satisfied") == 5, third.stdout
    assert hotpass(state, "net", "down", "--all").returncode == 0


def test_foreground_tunnel_closes_on_ctrl_c(tmp_path, bastion, services):
    state = tmp_path / "state"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")}
    clean["HOTPASS_STATE_DIR"] = str(state)
    process = subprocess.Popen([sys.executable, "-m", "hotpass.cli", "net", "up",
                                *up_args(bastion, services, "fg")], cwd=tmp_path, env=clean,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while "fg" not in status(state) or status(state)["fg"]["state"] != "up":
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.3)
    row = status(state)["fg"]
    assert fetch(row["prefect_port"]) == "prefect behind the bastion"
    process.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = process.communicate(timeout=30)
    assert "Ctrl-C closes it" in out and "Traceback" not in err
    assert status(state) == {} and not accepts(row["prefect_port"])
