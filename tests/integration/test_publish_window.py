"""The publish window, tried as real processes: the CLI is started with a hook that pauses
inside the commit (``commit._replace_symlink`` onto ``current``, or the journal write)
and with a busy helper thread, so a process-directed signal lands on a thread other than
the main one. A signal there, an error after the switch, a ``kill -9`` before or inside
it: the published set always verifies through ``dist/current`` and every stable name
resolves."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotpass.bench.samples import generate_workbooks

pytestmark = pytest.mark.integration

# The real CLI; PAUSE_AT names the commit step to pause in (a marker file is written
# first), and a helper thread keeps running as telemetry exporters do.
HOOKED = """
import os, sys, threading, time
import hotpass.refine.output.commit as c
marker, step = os.environ['PAUSE_MARKER'], os.environ['PAUSE_AT']
def pause():
    open(marker, 'w').close()
    time.sleep(3)
if step == 'switch':
    original = c._replace_symlink
    def hooked(path, target):
        if path.name == 'current' and path.parent.name.endswith('.runs'):
            pause()
        return original(path, target)
    c._replace_symlink = hooked
else:
    original = c._write_journal
    def hooked(*args):
        pause()
        return original(*args)
    c._write_journal = hooked
threading.Thread(target=lambda: [time.sleep(0.001) for _ in iter(int, 1)], daemon=True).start()
from hotpass.cli import main
main(prog_name='hotpass')
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("publish-window") / "in"
    generate_workbooks(root, rows=80, files=2, seed=7)
    return root


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "hotpass", *args]


def _refine(inputs: Path, dist: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_cli("refine", "--input-dir", str(inputs), "--output-path",
                               str(dist / "refined.xlsx"), *extra),
                          capture_output=True, text=True, timeout=120)


def _verify(dist: Path) -> dict[str, str]:
    """``cd dist/current && sha256sum -c SHA256SUMS``, and every stable name resolves."""
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist / "current",
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for link in dist.iterdir():
        if link.is_symlink():
            assert link.exists(), f"{link.name} dangles"
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0]
            for line in (dist / "current" / "SHA256SUMS").read_text().splitlines()}


def _archives(dist: Path) -> dict[str, str]:
    folder = dist / "input-archives"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _start_paused(inputs: Path, dist: Path, step: str, tmp_path: Path) -> subprocess.Popen:
    marker = tmp_path / f"paused-{time.monotonic_ns()}"
    env = dict(os.environ, PAUSE_MARKER=str(marker), PAUSE_AT=step)
    proc = subprocess.Popen([sys.executable, "-c", HOOKED, "refine", "--input-dir",
                             str(inputs), "--output-path", str(dist / "refined.xlsx"),
                             "--archive"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the run never reached the commit"
        time.sleep(0.01)
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_at_the_switch_waits_for_it_and_the_new_set_stays(inputs, tmp_path, signum):
    dist = tmp_path / "dist"
    assert _refine(inputs, dist, "--archive").returncode == 0
    _verify(dist)
    current = dist / ".refined.runs" / "current"
    before = os.readlink(current)
    proc = _start_paused(inputs, dist, "switch", tmp_path)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert err.splitlines() == [f"hotpass: error: stopped by {signal.Signals(signum).name} "
                                "after this run's outputs were published"], err
    _verify(dist)
    assert os.readlink(current) not in (before, "")  # the new set is the published one
    assert os.readlink(dist / ".refined.runs" / "previous") == before
    assert not (dist / ".refined.runs" / "PUBLISHING").exists()


def test_kill_9_inside_the_switch_is_finished_by_the_next_run(inputs, tmp_path):
    dist = tmp_path / "dist"
    assert _refine(inputs, dist, "--archive").returncode == 0
    proc = _start_paused(inputs, dist, "switch", tmp_path)
    proc.kill()
    proc.communicate()
    journal = dist / ".refined.runs" / "PUBLISHING"
    assert journal.exists()
    staged = (dist / ".refined.runs" / journal.read_text().split('"')[3])
    again = _refine(inputs, dist)
    assert again.returncode == 0, again.stderr
    assert "finished publishing run" in again.stderr
    _verify(dist)
    assert os.readlink(dist / ".refined.runs" / "previous") == staged.name


def test_kill_9_just_before_the_switch_leaves_input_archives_unaltered(inputs, tmp_path):
    dist = tmp_path / "dist"
    assert _refine(inputs, dist, "--archive").returncode == 0
    before, archives = _verify(dist), _archives(dist)
    proc = _start_paused(inputs, dist, "journal", tmp_path)
    proc.kill()
    proc.communicate()
    assert _archives(dist) == archives
    assert _verify(dist) == before


def test_a_folder_at_a_name_the_set_adds_refuses_before_the_switch(inputs, tmp_path):
    dist = tmp_path / "dist"
    assert _refine(inputs, dist).returncode == 0
    before = _verify(dist)
    (dist / "refined-bundle.zip").mkdir()
    result = _refine(inputs, dist, "--archive")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"hotpass: error: --output-path {dist / 'refined.xlsx'}: {dist / 'refined-bundle.zip'}"
        ": is a folder where this run links its output 'refined-bundle.zip'; move it away; "
        "nothing was published, the previous outputs are kept"], result.stderr
    assert _verify(dist) == before
    assert len([p for p in (dist / ".refined.runs").iterdir() if not p.is_symlink()]) == 1


FORCED_WRITER = ("import hotpass.refine.output.export as e, hotpass.refine.output.workbook as w; "
                 "e.BACKGROUND_MIN_CELLS = 0; w.fast_writer_available = lambda: False; "
                 "from hotpass.cli import main; main(prog_name='hotpass')")


def test_kill_9_while_writing_leaves_no_temp_file_outside_staging(tmp_path):
    """The xlsxwriter fallback spills to temp files holding the whole refined dataset;
    they live in the run's staging folder, so a kill -9 leaves none in ``$TMPDIR`` and the
    next run removes them with the staging folder."""
    inputs, dist, tmpdir = tmp_path / "in", tmp_path / "dist", tmp_path / "tmp"
    generate_workbooks(inputs, rows=3000, files=2, seed=5)
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir))
    proc = subprocess.Popen([sys.executable, "-c", FORCED_WRITER, "refine", "--input-dir",
                             str(inputs), "--output-path", str(dist / "refined.xlsx")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = dist / ".refined.runs"
    end = time.monotonic() + 180
    while not any(store.glob("*/.tmp/*")):  # the writer has spilled
        assert proc.poll() is None and time.monotonic() < end, "no temp file ever appeared"
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert list(tmpdir.iterdir()) == []
    again = subprocess.run(_cli("refine", "--input-dir", str(inputs), "--output-path",
                                str(dist / "refined.xlsx")), env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert list(tmpdir.iterdir()) == []
    assert not list(store.glob("*/.tmp"))
    _verify(dist)
