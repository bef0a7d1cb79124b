"""Every ``hotpass`` and ``hotpass-enhanced`` command, run as a real subprocess, with a bad
value and with an output it cannot write: one line on stderr (``<prefix>: error: ...``),
a non-zero exit, no traceback, and the canary secret in its environment and arguments
never in what it prints. A new command must add its cases here (the first test walks the
click groups and fails on a command without them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from hotpass.cli import main as hotpass_main
from hotpass.cli.enhanced import main as enhanced_main

ROOT = Path(__file__).resolve().parents[2]
CANARY = "canary-s3cr3t-7d1f"
SECRET_URL = f"http://operator:{CANARY}@127.0.0.1:9/api"
FULL = "No space left on device"  # stdout is /dev/full
UNWRITABLE_DIR = "/proc/hotpass-test"  # not creatable, even for root

# command -> (arguments, text the one line must contain)
BAD = {
    "hotpass version": (["--json"], "No such option '--json'"),
    "hotpass refine": (["--since", "2024-02-30"], "--since 2024-02-30: not a date"),
    "hotpass deploy": (["--flow", "nope", "--dry-run"], "--flow nope: no such manifest"),
    "hotpass orchestrate": (["--task-runner", "nope"], "'nope' is not one of 'thread'"),
    "hotpass env": (["--target", "nope", "--prefect-url", SECRET_URL],
                    "env: Invalid value for '--target'"),
    "hotpass credentials set": (["FOO", "--value", CANARY, "--stdin"], "exactly one of"),
    "hotpass credentials show": (["--json=yes"], "'--json' does not take a value"),
    "hotpass credentials clear": ([], "name the credentials to remove"),
    "hotpass credentials wizard": (["--dry-runn"], "Did you mean '--dry-run'?"),
    "hotpass net up": (["--prefect-port", "x"], "'x' is not a valid integer"),
    "hotpass net lease": (["--ttl", "forever", "--host", "h"], "--ttl 'forever'"),
    "hotpass net status": (["--prune=1"], "'--prune' does not take a value"),
    "hotpass net down": (["--label", "../x"], "no tunnel labelled '../x'"),
    "hotpass ctx init": (["--target", "nope", "--api-url", SECRET_URL],
                         "ctx init: Invalid value for '--target'"),
    "hotpass doctor": (["--target", "nope"], "doctor: Invalid value for '--target'"),
    "hotpass setup": (["--target", "nope"], "setup: Invalid value for '--target'"),
    "hotpass site build": (["--out", "site", "--runs", "no-such-folder"],
                           "--runs no-such-folder: no such"),
    "hotpass site serve": (["--port", "0"], "'--port': 0 is not in the range"),
    "hotpass enrich": (["--allow-network=maybe"], "'maybe' is not a valid boolean"),
    "hotpass plan research": (["--dataset", "x.xlsx", "--row-id", "-1"],
                              "-1 is not in the range x>=0"),
    "hotpass qa": (["nope"], "'nope' is not one of 'all'"),
    "hotpass-enhanced deploy": (["--name", "x", "--concurrency-limit", "0"],
                                "0 is not in the range x>=1"),
    "hotpass-enhanced orchestrate": (["--since", "2024-13-01"], "--since 2024-13-01"),
}
# command -> (arguments, extra environment, stdout to /dev/full?, text the line must contain)
UNWRITABLE = {
    "hotpass version": ([], {}, True, FULL),
    "hotpass refine": (["--input-dir", str(ROOT / "data"), "--output-path",
                        f"{UNWRITABLE_DIR}/refined.xlsx"], {}, False, UNWRITABLE_DIR),
    "hotpass deploy": (["--flow", "refinement", "--no-upload"], {}, False,
                       "dist/offline/prefect: Not a directory"),
    "hotpass orchestrate": (["--input-dir", str(ROOT / "data"), "--output-path",
                             f"{UNWRITABLE_DIR}/refined.xlsx"], {}, False, UNWRITABLE_DIR),
    "hotpass env": (["--output", f"{UNWRITABLE_DIR}/.env", "--prefect-url", SECRET_URL], {},
                    False, f"env: {UNWRITABLE_DIR}"),
    "hotpass credentials set": (["FOO", "--value", CANARY], {"HOTPASS_STATE_DIR":
                                                             UNWRITABLE_DIR}, False,
                                f"credentials set: {UNWRITABLE_DIR}"),
    "hotpass credentials show": ([], {}, True, FULL),
    "hotpass credentials clear": (["--all"], {}, True, FULL),
    # Without a terminal the wizard refuses before it could print or store anything.
    "hotpass credentials wizard": ([], {}, True, "needs a terminal"),
    "hotpass net up": (["--dry-run", "--host", "bastion.invalid"], {}, True, FULL),
    "hotpass net lease": (["--dry-run", "--host", "bastion.invalid"], {}, True, FULL),
    "hotpass net status": ([], {}, True, FULL),
    "hotpass net down": (["--all", "--dry-run"], {}, True, FULL),
    "hotpass ctx init": (["--api-url", SECRET_URL],
                         {"PREFECT_PROFILES_PATH": f"{UNWRITABLE_DIR}/profiles.toml"}, False,
                         f"ctx init: {UNWRITABLE_DIR}"),
    "hotpass doctor": ([], {}, True, FULL),
    "hotpass setup": (["--dry-run"], {}, True, FULL),
    "hotpass site build": (["--out", f"{UNWRITABLE_DIR}/site", "--runs", str(ROOT / "data")],
                           {}, False, f"site build: {UNWRITABLE_DIR}"),
    "hotpass site serve": (["--out", f"{UNWRITABLE_DIR}/site", "--runs", str(ROOT / "data")],
                           {}, False, f"site serve: {UNWRITABLE_DIR}"),
    "hotpass enrich": (["--input", str(ROOT / "data" / "crm_export.xlsx"), "--output",
                        f"{UNWRITABLE_DIR}/enriched.xlsx"], {}, False, UNWRITABLE_DIR),
    "hotpass plan research": (["--dataset", str(ROOT / "data" / "crm_export.xlsx"),
                               "--row-id", "0"], {"HOTPASS_STATE_DIR": UNWRITABLE_DIR}, False,
                              UNWRITABLE_DIR),
    "hotpass qa": (["manifests"], {}, False, "dist/quality-gates: Not a directory"),
    "hotpass-enhanced deploy": (["--name", "x", "--no-upload"], {}, False,
                                "dist/offline/prefect: Not a directory"),
    "hotpass-enhanced orchestrate": (["--input-dir", str(ROOT / "data"), "--output-path",
                                      f"{UNWRITABLE_DIR}/refined.xlsx"], {}, False,
                                     UNWRITABLE_DIR),
}


def leaf_commands(group: click.Group, path: str) -> set[str]:
    names = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names |= leaf_commands(command, f"{path} {name}")
        else:
            names.add(f"{path} {name}")
    return names


def run(command: str, args: list[str], tmp_path: Path, *, env: dict[str, str] | None = None,
        full_stdout: bool = False) -> subprocess.CompletedProcess:
    program, *words = command.split()
    module = "hotpass.cli" if program == "hotpass" else "hotpass.cli.enhanced"
    (tmp_path / "dist").write_text("a file where the dist/ folder would go\n")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HOTPASS_", "PREFECT_", "OPENLINEAGE_", "OTEL_"))}
    environment = {**clean, "PYTHONPATH": str(ROOT), "HOTPASS_ENABLE_PREFECT_RUNTIME": "0",
                   "HOTPASS_EVIDENCE_DIR": str(tmp_path / "evidence"),
                   "HOTPASS_STATE_DIR": str(tmp_path / "state"),
                   "HOTPASS_WORKERS_DIR": str(tmp_path / "workers"),
                   "PREFECT_HOME": str(tmp_path / "prefect"),
                   "HOTPASS_LLM_API_KEY": CANARY, "HOTPASS_SEARX_URL": SECRET_URL,
                   **(env or {})}
    with open(os.devnull if not full_stdout else "/dev/full", "w") as sink:
        stdout = sink if full_stdout else subprocess.PIPE
        return subprocess.run([sys.executable, "-m", module, *words, *args], cwd=tmp_path,
                              env=environment, stdin=subprocess.DEVNULL, stdout=stdout,
                              stderr=subprocess.PIPE, text=True, timeout=300)


def assert_one_line(result: subprocess.CompletedProcess, command: str, needle: str) -> None:
    prefix = command.split()[0]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prefix}: error: "), lines[0]
    assert needle in lines[0], lines[0]
    assert CANARY not in result.stderr + (result.stdout or "")


def test_cases_cover_every_command():
    commands = leaf_commands(hotpass_main, "hotpass") | leaf_commands(enhanced_main,
                                                                       "hotpass-enhanced")
    assert set(BAD) == commands
    assert set(UNWRITABLE) == commands


@pytest.mark.parametrize("command", sorted(BAD))
def test_bad_value_is_one_line(command, tmp_path):
    args, needle = BAD[command]
    assert_one_line(run(command, args, tmp_path), command, needle)


@pytest.mark.parametrize("command", sorted(UNWRITABLE))
def test_unwritable_output_is_one_line(command, tmp_path):
    args, env, full_stdout, needle = UNWRITABLE[command]
    result = run(command, args, tmp_path, env=env, full_stdout=full_stdout)
    assert_one_line(result, command, needle)
