"""Over every task `invoke --list` shows: `invoke --dry TASK` writes nothing (run in a
throwaway copy of the checkout and compared file by file), and bad input ends in one
line on stderr, a non-zero exit and no traceback. A new task must add its cases here."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.tasks.test_tasks import ROOT, listed_tasks

EXAMPLE_BUNDLE = "evidence/examples/example"
NEEDS = {"workers.start": ["--pool", "dry-pool"],  # required arguments
         "stack.logs": ["prefect-server"],
         "stack.up": ["--prefect-port", "0", "--s3-port", "0", "--web-port", "0"],  # the
         # defaults (4200/9000/8765) may be held by a stack another test started
         "evidence.verify": [EXAMPLE_BUNDLE],
         "evidence.export": [EXAMPLE_BUNDLE, "--tar"],
         "incident.capture": ["--ticket", "DRY-1"],
         "incident.replay": ["--ticket", "INC-example", "--root", "evidence/examples"],
         "incident.close": ["--ticket", "INC-example", "--root", "evidence/examples",
                            "--owner", "ops", "--root-cause", "dry run"],
         "deploy": ["--flow", "refinement"],
         "credentials.set": ["DRY_TOKEN"],
         "enrich": ["--input", "data/crm_export.xlsx"]}  # no dist/refined.xlsx in a checkout
BAD = {  # task -> (arguments, text the one line must contain)
    "refine": (["--input-dir", "no-such-folder"], "no-such-folder"),
    "test": (["-k", "x", "--no-such-flag"], "'--no-such-flag'"),
    "lint": (["--fixx"], "'--fixx'"),
    "deps.sync": (["--extras", "dev gazetteer"], "unknown extra 'gazetteer'"),
    "enrich": (["--input", "no-such.xlsx", "--output", "fresh/e.xlsx"],
               "--input no-such.xlsx: no such file"),
    "qa": (["--gate", "nope"], "qa nope: no such gate"),
    "data.sample": (["--profile", "nope", "--out", "fresh"], "--profile nope"),
    "bench.refine": (["--rows", "lots"], "--rows: 'lots' is not a valid int"),
    "bench.dedupe": (["--rows", "0"], "--rows 0: need at least 1 data row"),
    "bench.soak": (["--runs", "many"], "--runs: 'many' is not a valid int"),
    "bench.writers": (["--rows", "0"], "bench.writers --rows 0: need at least 1 row"),
    "env.generate": (["--target", "nope"], "--target must be one of local, staging, prod"),
    "workers.start": (["--pool", "../etc"], "--pool '../etc' is not a pool name"),
    "workers.stop": (["--timeout", "soon"], "--timeout: 'soon' is not a valid float"),
    "workers.status": (["--pool", "a/b"], "--pool 'a/b' is not a pool name"),
    "stack.up": (["--native", "--prefect-port", "70000"], "--prefect-port 70000: not a port"),
    "stack.down": (["--state-dir", "README.md"], "README.md/stack.json: unreadable stack state"),
    "stack.status": (["--state-dir", "README.md"], "README.md/stack.json: unreadable"),
    "stack.logs": (["nope"], "stack.logs nope: no such service"),
    "evidence.verify": (["README.md"], "README.md/manifest.json: missing"),
    "evidence.export": ([EXAMPLE_BUNDLE], "say where: --to s3://bucket/prefix, or --tar"),
    "evidence.list": (["--root", "README.md"], "README.md: not a folder of evidence bundles"),
    "incident.capture": (["--ticket", "../x"], "--ticket '../x': not a plain name"),
    "incident.replay": (["--ticket", "NOPE"], "--ticket NOPE: no incident captured"),
    "incident.close": (["--ticket", "INC-example", "--root", "evidence/examples", "--owner",
                        "ops", "--root-cause", " "], "--root-cause: say what caused"),
    "ci": (["--serial"], "'--serial'"),
    "rehearse.offline": (["--input-dir", "nope"], "--input-dir nope: no such folder"),
    # the tasks that run one `hotpass` command: its one line, then the failed step
    "deploy": (["--flow", "nope"], "hotpass deploy --flow nope"),
    "doctor": (["--target", "nope"], "hotpass doctor --target nope"),
    "setup": (["--target", "nope"], "hotpass setup --target nope"),
    "ctx.init": (["--target", "nope"], "hotpass ctx init --target nope"),
    "net.up": (["--ssh-port", "x"], "--ssh-port: 'x' is not a valid int"),
    "net.down": (["--label", "nope"], "hotpass net down --label nope"),
    "net.status": (["--jsn"], "'--jsn'"),
    "credentials.show": (["--jsn"], "'--jsn'"),
    "credentials.set": (["not a name"], "hotpass credentials set 'not a name' --stdin"),
    "credentials.clear": (["--name", "not a name"], "hotpass credentials clear 'not a name'"),
    "rehearse.backfill": (["--since", "2024-13-01"], "--since '2024-13-01' is not a date"),
}
CLI_STEPS = {"deploy", "doctor", "setup", "ctx.init", "net.down", "credentials.set",
             "credentials.clear"}
SKIP = shutil.ignore_patterns(".git", "dist", ".venv", "__pycache__", ".pytest_cache",
                              ".ruff_cache", "*.egg-info")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("checkout") / "hotpass"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    return copy


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Content and modification time: rewriting a file with the same bytes is a write too
    (`data.sample` with the default seed would do exactly that)."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def invoke(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOTPASS_", "PREFECT_API_URL", "INVOKE_"))}
    return subprocess.run(["invoke", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_cases_cover_every_task():
    assert set(BAD) == listed_tasks()


@pytest.mark.parametrize("task", sorted(BAD))
def test_invoke_dry_writes_nothing(task, checkout):
    before = snapshot(checkout)
    dirs_before = sorted(p for p in checkout.rglob("*") if p.is_dir())
    result = invoke(["--dry", task, *NEEDS.get(task, [])], checkout)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(checkout) == before, f"invoke --dry {task} changed files"
    assert sorted(p for p in checkout.rglob("*") if p.is_dir()
                  and "__pycache__" not in p.parts) == [
        p for p in dirs_before if "__pycache__" not in p.parts]


@pytest.mark.parametrize("task", sorted(BAD))
def test_bad_input_is_one_line_without_traceback(task, checkout):
    args, expected = BAD[task]
    result = invoke([task, *args], checkout)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert expected in lines[-1], result.stderr
    # a shell step's own one-line error may come first (a task that runs `hotpass ...` as its step)
    assert len(lines) == (2 if task in CLI_STEPS else 1), result.stderr
    assert not (checkout / "fresh").exists() and not (checkout / "dist").exists()


def test_help_after_a_task_with_a_required_flag_is_its_help():
    """`invoke workers.start --help` once answered `--pool '--help' is not a pool name`."""
    result = subprocess.run(["invoke", "workers.start", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--pool" in result.stdout and "not a pool name" not in result.stderr
    missing = subprocess.run(["invoke", "workers.start"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode != 0
    assert missing.stderr.strip().endswith("--pool is required (the work pool the worker polls)")
