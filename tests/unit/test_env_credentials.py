"""``hotpass credentials`` and ``hotpass env``: the private store, the env file's content,
sources, refusal, modes, and a canary secret that must never be printed."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from hotpass.infra import env

CANARY = 'CANARY-7f3a9e$HOME"x'  # a quote and a $ exercise the file's quoting


def hotpass(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")}
    clean["HOTPASS_STATE_DIR"] = str(tmp_path / "state")
    return subprocess.run([sys.executable, "-m", "hotpass.cli", *args], capture_output=True,
                          text=True, cwd=tmp_path, env=clean, input=stdin, timeout=60)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_credentials_store_is_private_and_never_shows_values(tmp_path):
    result = hotpass(tmp_path, "credentials", "set", "AWS_SECRET_ACCESS_KEY", "--stdin",
                     stdin=CANARY + "\n")
    assert result.returncode == 0, result.stderr
    assert "add       AWS_SECRET_ACCESS_KEY (done)" in result.stdout
    store = tmp_path / "state" / "credentials.json"
    assert mode(store) == 0o600 and mode(store.parent) == 0o700
    assert json.loads(store.read_text())["credentials"]["AWS_SECRET_ACCESS_KEY"]["value"] == CANARY
    assert hotpass(tmp_path, "credentials", "set", "AWS_ACCESS_KEY_ID", "--value",
                   "hotpass").returncode == 0
    again = hotpass(tmp_path, "credentials", "set", "AWS_ACCESS_KEY_ID", "--value", "hotpass")
    assert "unchanged AWS_ACCESS_KEY_ID" in again.stdout
    shown = hotpass(tmp_path, "credentials", "show")
    as_json = hotpass(tmp_path, "credentials", "show", "--json")
    for out in (result, shown, as_json):
        assert CANARY not in out.stdout + out.stderr
        assert "hotpass" not in shown.stdout.split("AWS_ACCESS_KEY_ID", 1)[1].split("\n")[0]
    rows = json.loads(as_json.stdout)["credentials"]
    assert [r["name"] for r in rows] == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert {r["value"] for r in rows} == {"***"}

    dry = hotpass(tmp_path, "credentials", "clear", "AWS_ACCESS_KEY_ID", "--dry-run")
    assert "remove    AWS_ACCESS_KEY_ID (would)" in dry.stdout
    assert "AWS_ACCESS_KEY_ID" in store.read_text()
    assert hotpass(tmp_path, "credentials", "clear", "AWS_ACCESS_KEY_ID").returncode == 0
    assert "AWS_ACCESS_KEY_ID" not in store.read_text()
    assert mode(store) == 0o600


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["set", "1BAD", "--value", "x"], None, "'1BAD' is not a valid name"),
    (["set", "GOOD"], None, "exactly one of --value V or --stdin"),
    (["set", "GOOD", "--stdin"], "\n", "value for GOOD is empty"),
    (["clear"], None, "or pass --all"),
    (["wizard"], "", "needs a terminal"),
])
def test_credentials_bad_input_is_one_line(tmp_path, args, stdin, message):
    result = hotpass(tmp_path, "credentials", *args, stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.startswith("hotpass: error: credentials") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_store_readable_by_others_is_refused(tmp_path):
    hotpass(tmp_path, "credentials", "set", "TOKEN", "--value", CANARY)
    store = tmp_path / "state" / "credentials.json"
    store.chmod(0o644)
    result = hotpass(tmp_path, "credentials", "show")
    assert result.returncode == 2 and "must be 0600" in result.stderr
    assert CANARY not in result.stderr


def test_wizard_prompts_on_a_terminal_with_hidden_input(tmp_path):
    import pty

    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")}
    clean["HOTPASS_STATE_DIR"] = str(tmp_path / "state")
    pid, fd = pty.fork()
    if pid == 0:  # child: the wizard on a real terminal
        os.execve(sys.executable, [sys.executable, "-m", "hotpass.cli", "credentials",
                                   "wizard"], clean)
    seen = b""
    answers = iter([b"\n", b"minio-user\n", CANARY.encode() + b"\n", b"\n", b"\n", b"\n"])
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if chunk.rstrip().endswith(b":"):
            os.write(fd, next(answers, b"\n"))
    os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert "PREFECT_API_KEY" in text and "HOTPASS_LLM_API_KEY" in text
    assert CANARY not in text and "minio-user" not in text  # hidden input: no echo
    from hotpass import credential_store as credentials

    assert credentials.load(tmp_path / "state") == {"AWS_ACCESS_KEY_ID": "minio-user",
                                                    "AWS_SECRET_ACCESS_KEY": CANARY}


def test_env_writes_the_quick_reference_table_with_stack_defaults(tmp_path):
    result = hotpass(tmp_path, "env", "--target", "local", "--prefect-url",
                     "http://127.0.0.1:4200/api", "--openlineage-url",
                     "http://127.0.0.1:5002/api/v1", "--force")
    assert result.returncode == 0, result.stderr
    values = dotenv_values(tmp_path / ".env.local")
    # Every variable the project's bootstrap runbook lists from the quick-reference table.
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "how-to" /
               "bootstrap-an-environment.md").read_text()
    listed = runbook.split("writes every variable of the stack's quick-reference table")[1]
    listed = listed.split("to\n`.env.<target>`")[0]
    assert set(re.findall(r"`([A-Z][A-Z0-9_]+)`", listed)) == set(values)
    assert values["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    assert values["HOTPASS_S3_ENDPOINT"] == "http://127.0.0.1:9000"
    assert values["ALLOW_NETWORK_RESEARCH"] == "false"
    # The settings class reads the same file's HOTPASS_* and research switches.
    (tmp_path / ".env").write_text((tmp_path / ".env.local").read_text())
    probe = subprocess.run([sys.executable, "-c", "from hotpass.settings import "
                            "HotpassSettings as S; s=S(); print(s.s3_endpoint, "
                            "s.localstack_endpoint, s.allow_network_research)"],
                           capture_output=True, text=True, cwd=tmp_path,
                           env={k: v for k, v in os.environ.items()
                                if not k.startswith("HOTPASS_")})
    assert probe.stdout.split() == ["http://127.0.0.1:9000", "http://127.0.0.1:4566", "False"]


def test_env_refuses_to_overwrite_and_dry_run_writes_nothing(tmp_path):
    assert hotpass(tmp_path, "env").returncode == 0
    target = tmp_path / ".env.local"
    before = target.read_bytes()
    same = hotpass(tmp_path, "env")
    assert same.returncode == 0 and "unchanged" in same.stdout
    changed = hotpass(tmp_path, "env", "--s3-endpoint", "http://minio:9000",
                      "--allow-network=true")
    assert changed.returncode == 2 and "--force" in changed.stderr
    assert "HOTPASS_S3_ENDPOINT" in changed.stderr and target.read_bytes() == before
    dry = hotpass(tmp_path, "env", "--s3-endpoint", "http://minio:9000", "--dry-run")
    assert dry.returncode == 0 and "HOTPASS_S3_ENDPOINT=http://minio:9000" in dry.stdout
    assert "change HOTPASS_S3_ENDPOINT: http://127.0.0.1:9000 -> http://minio:9000" in dry.stdout
    assert target.read_bytes() == before
    forced = hotpass(tmp_path, "env", "--s3-endpoint", "http://minio:9000",
                     "--allow-network=true", "--force")
    assert forced.returncode == 0, forced.stderr
    values = dotenv_values(target)
    assert values["HOTPASS_S3_ENDPOINT"] == "http://minio:9000"
    assert values["FEATURE_ENABLE_REMOTE_RESEARCH"] == values["ALLOW_NETWORK_RESEARCH"] == "true"
    bad = hotpass(tmp_path, "env", "--target", "qa")
    assert bad.returncode == 2 and "--target" in bad.stderr


def test_env_with_credentials_is_0600_and_the_canary_is_never_printed(tmp_path):
    hotpass(tmp_path, "credentials", "set", "AWS_SECRET_ACCESS_KEY", "--stdin", stdin=CANARY)
    outputs = [hotpass(tmp_path, "env", "--include-credentials", "--dry-run"),
               hotpass(tmp_path, "env", "--include-credentials", "--dry-run", "--json"),
               hotpass(tmp_path, "env", "--include-credentials")]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert CANARY not in result.stdout + result.stderr
    assert "AWS_SECRET_ACCESS_KEY=***" in outputs[0].stdout
    records = list((tmp_path / "dist" / "evidence").rglob("record.json"))
    assert {r.parent.name.split("-")[0] for r in records} == {"credentials", "env"}
    for record in records:  # the plan names variables and masks values; never the secret
        assert CANARY not in record.read_text()
        assert "7f3a9e" not in record.read_text()
    assert json.loads(outputs[1].stdout)["mode"] == "0600"
    target = tmp_path / ".env.local"
    assert mode(target) == 0o600
    assert dotenv_values(target)["AWS_SECRET_ACCESS_KEY"] == CANARY
    # The shell reads the file back unchanged too.
    shell = subprocess.run(["bash", "-c", "set -a; . ./.env.local; printf %s "
                            "\"$AWS_SECRET_ACCESS_KEY\""], capture_output=True, text=True,
                           cwd=tmp_path)
    assert shell.stdout == CANARY
    # Rewriting without credentials (forced) drops the secret; the plan shows no value.
    dropped = hotpass(tmp_path, "env", "--force")
    assert "remove AWS_SECRET_ACCESS_KEY: *** -> None" in dropped.stdout
    assert CANARY not in target.read_text() and CANARY not in dropped.stdout


def test_a_live_tunnel_wins_over_stack_defaults_and_flags_win_over_both(tmp_path):
    tunnel = {"label": "incident-1", "prefect_port": 14200, "marquez_port": 15002}
    rendered = env.resolve("staging", {}, tunnel=tunnel, state_dir=tmp_path)
    assert rendered.values["PREFECT_API_URL"] == "http://127.0.0.1:14200/api"
    assert rendered.values["OPENLINEAGE_URL"] == "http://127.0.0.1:15002/api/v1"
    assert rendered.sources["PREFECT_API_URL"] == "tunnel incident-1"
    assert rendered.values["HOTPASS_S3_ENDPOINT"] == "http://127.0.0.1:9000"
    flagged = env.resolve("staging", {"PREFECT_API_URL": "http://p:1/api"}, tunnel=tunnel,
                          state_dir=tmp_path)
    assert flagged.values["PREFECT_API_URL"] == "http://p:1/api"
    assert flagged.sources["PREFECT_API_URL"] == "flag"


@pytest.mark.parametrize("value", ["it's", "a b", "x=1;y", "#hash", 'say "hi"'])
def test_quoted_values_read_back_unchanged_in_dotenv_and_bash(tmp_path, value):
    path = tmp_path / ".env"
    path.write_text(f"V={env.quote('V', value)}\n")
    assert dotenv_values(path)["V"] == value
    shell = subprocess.run(["bash", "-c", f"set -a; . {path}; printf %s \"$V\""],
                           capture_output=True, text=True)
    assert shell.stdout == value


def test_a_value_no_quoting_can_keep_is_refused_by_name():
    with pytest.raises(Exception, match="value of API_TOKEN"):
        env.quote("API_TOKEN", "it's $x")
