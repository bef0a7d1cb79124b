"""A reader that dies is that file's error, never the run's: the CLI runs with a hook
that makes the reader of ``doomed.xlsx`` call ``os.abort()`` (as calamine does on a
failed allocation) or pause so the test can ``kill -9`` the reading process (as the OOM
killer would), in single-process and in pool mode. The run finishes, the other files'
records are published, the report names the file and how its reader died; under
``--strict`` it is one line, a non-zero exit, and the previous set is kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.workbooks import good_rows, write_xlsx

pytestmark = pytest.mark.integration

LAUNCHER = """
import os, sys, time
import hotpass.refine.pipeline as pipeline
mode, pidfile, pooled = sys.argv[1:4]
del sys.argv[1:4]
if pooled == "pool":
    pipeline.PARALLEL_MIN_BYTES = 0
real = pipeline.read_sheets
def hooked(path, label, columnar=False):
    if path.name == "doomed.xlsx":
        if mode == "abort":
            os.abort()
        with open(pidfile + ".tmp", "w") as out:
            out.write(str(os.getpid()))
        os.replace(pidfile + ".tmp", pidfile)
        time.sleep(600)
    return real(path, label, columnar)
pipeline.read_sheets = hooked
from hotpass.cli import main
main(prog_name="hotpass")
"""


def _inputs(root: Path) -> Path:
    write_xlsx(root / "good.xlsx", {"Clients": good_rows()})
    (root / "more.csv").write_text("Organisation Name,Email\nZulu Air (Pty) Ltd,ops@zulu.co.za\n")
    write_xlsx(root / "doomed.xlsx", {"Clients": good_rows()})
    return root


def _start(mode: str, pooled: str, inputs: Path, dist: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, mode, str(dist.parent / f"reader-{mode}.pid"), pooled,
         "refine", "--input-dir", str(inputs), "--output-path", str(dist / "refined.xlsx"),
         "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(mode: str, pooled: str, inputs: Path, dist: Path, *extra: str):
    proc = _start(mode, pooled, inputs, dist, *extra)
    reader = None
    if mode == "kill":
        pidfile = dist.parent / f"reader-{mode}.pid"
        end = time.monotonic() + 120
        while not pidfile.exists():
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.05)
        reader = int(pidfile.read_text())
        pidfile.unlink()
        assert reader != proc.pid and psutil.Process(reader).ppid() != 1
        os.kill(reader, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    return proc, out, err, reader


@pytest.mark.parametrize("pooled", ["single", "pool"])
@pytest.mark.parametrize(("mode", "how"), [("abort", "was killed by SIGABRT"),
                                           ("kill", "was killed by SIGKILL")])
def test_a_reader_that_dies_is_that_files_error(tmp_path, mode, how, pooled):
    inputs, dist = _inputs(tmp_path / "in"), tmp_path / "dist"
    proc, out, err, reader = _run(mode, pooled, inputs, dist)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err, err
    report = json.loads(Path(json.loads(out)["outputs"]["report_json"]).read_text())
    failed = [i for i in report["sample_issues"] if i["rule"] == "file.unreadable"]
    assert [i["file"] for i in failed] == ["doomed.xlsx"], failed
    assert f"doomed.xlsx: the reader {how}" in failed[0]["message"], failed
    assert report["totals"]["records_out"] == 3  # good.xlsx's two and more.csv's one
    if reader is not None:
        assert not psutil.pid_exists(reader) or psutil.Process(reader).status() == "zombie"
    sums = (dist / "SHA256SUMS").read_text()

    strict, _, strict_err, _ = _run(mode, pooled, inputs, dist, "--strict")
    assert strict.returncode != 0
    lines = strict_err.strip().splitlines()
    assert len(lines) == 1 and "doomed.xlsx" in lines[0] and how in lines[0], strict_err
    assert (dist / "SHA256SUMS").read_text() == sums  # the previous set is kept
