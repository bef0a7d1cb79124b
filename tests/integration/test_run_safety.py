"""A refine run is one safe unit, tried as real processes: two runs on one output, a
``kill -9`` and SIGTERM/SIGINT at each stage, a full disk (a 3 MB tmpfs mounted in a
private mount namespace with ``unshare``). After each, the published set verifies with
``sha256sum -c``, no process of the run survives (checked by pid) and the next run
leaves no debris."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import string
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from hotpass.bench.samples import generate_workbooks
from tests.workbooks import write_xlsx

pytestmark = pytest.mark.integration

# The real CLI with the parallel-ingest and background-writer thresholds at 0, so a small
# input has pool workers and a workbook writer thread to stop.
FORCED = ("import sys; import hotpass.refine.pipeline as p, hotpass.refine.output.export as e; "
          "p.PARALLEL_MIN_BYTES = 0; e.BACKGROUND_MIN_CELLS = 0; "
          "from hotpass.cli import main; main(prog_name='hotpass')")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("run-safety-inputs")
    generate_workbooks(root / "small", rows=150, files=3, seed=3)
    generate_workbooks(root / "large", rows=3000, files=4, seed=5)
    return {"small": root / "small", "large": root / "large"}


def hotpass(*args: str, forced: bool = False) -> list[str]:
    return [sys.executable, "-c", FORCED, *args] if forced else [
        sys.executable, "-m", "hotpass", *args]


def refine_args(input_dir: Path, output: Path, *extra: str) -> list[str]:
    return ["refine", "--input-dir", str(input_dir), "--output-path", str(output), *extra]


def run(input_dir: Path, output: Path, *extra: str,
        timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(hotpass(*refine_args(input_dir, output, *extra)),
                          capture_output=True, text=True, timeout=timeout)


def verify(dist: Path) -> dict[str, str]:
    """``sha256sum -c`` on the published set (through the stable names) and inside the
    bundle; the bundle must hold the same data as the published files."""
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    sums = dict(reversed(line.split("  ", 1)) for line in
                (dist / "SHA256SUMS").read_text().splitlines())
    bundle = dist / "refined-bundle.zip"
    if bundle.exists():
        unpacked = dist.parent / f"unpacked-{time.monotonic_ns()}"
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(unpacked)
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
        for name in ("refined.xlsx", "refined.csv", "refined.parquet"):
            assert _sha(unpacked / name) == sums[name], name
        shutil.rmtree(unpacked)
    return sums


def debris(dist: Path) -> list[str]:
    """Anything a finished run should not leave: temps, stray run dirs, a lock record."""
    store = dist / ".refined.runs"
    kept = {"current", "previous"} | {os.readlink(store / n) for n in ("current", "previous")
                                      if (store / n).is_symlink()}
    left = [p.name for p in store.iterdir() if p.name not in kept] if store.is_dir() else []
    left += [p.name for p in dist.rglob("*") if p.name.endswith((".tmp", ".link"))]
    left += [p.name for p in dist.glob(".hotpass.lock")]
    return left


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait_for(condition, timeout: float = 120, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _family(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _gone(pids: list[int], timeout: float = 5) -> list[int]:
    """Pids still alive (zombies count as gone) after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > end:
            return alive
        time.sleep(0.1)


def _staged_files(dist: Path) -> list[Path]:
    store = dist / ".refined.runs"
    current = os.readlink(store / "current") if (store / "current").is_symlink() else None
    previous = os.readlink(store / "previous") if (store / "previous").is_symlink() else None
    return [f for d in (store.iterdir() if store.is_dir() else [])
            if d.is_dir() and not d.is_symlink() and d.name not in (current, previous)
            for f in d.iterdir()]


# --------------------------------------------------------------------------- concurrency

def test_second_run_refuses_or_waits_and_the_set_always_verifies(inputs, tmp_path):
    dist = tmp_path / "dist"
    output = dist / "refined.xlsx"
    assert run(inputs["small"], output, "--archive").returncode == 0
    first = verify(dist)
    bad: list[str] = []
    stop = threading.Event()

    def keep_verifying() -> None:  # a reader resolving the published set once per check
        while not stop.is_set():
            current = (dist / ".refined.runs" / "current").resolve()
            check = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=current,
                                   capture_output=True, text=True)
            if check.returncode != 0 and current.exists():
                bad.append(check.stdout + check.stderr)

    reader = threading.Thread(target=keep_verifying)
    reader.start()
    try:
        a = subprocess.Popen(hotpass(*refine_args(inputs["large"], output, "--archive")),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: (dist / ".hotpass.lock").exists(), what="run A's lock")
        refused = run(inputs["small"], output, "--archive")
        assert refused.returncode == 3, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pid {a.pid}, started 20" in lines[0], lines
        assert lines[0].startswith("hotpass: error: --output-path") and "--wait" in lines[0]
        waited = run(inputs["small"], output, "--archive", "--wait")
        a_out, a_err = a.communicate(timeout=300)
        assert a.returncode == 0, a_err
        assert waited.returncode == 0, waited.stderr
        assert f"waiting for the refine run (pid {a.pid}" in waited.stderr
    finally:
        stop.set()
        reader.join()
    assert not bad, bad[:1]
    final = verify(dist)
    assert final["refined.parquet"] == first["refined.parquet"]  # B (same input) won last
    assert not debris(dist)


def _publish_small_then_start_large(inputs, dist: Path, **pipes):
    """Publish a small set, then start a large ``--archive`` run over it; returns the
    previous set's checksums, the running process and its psutil handle."""
    output = dist / "refined.xlsx"
    assert run(inputs["small"], output, "--archive").returncode == 0
    before = verify(dist)
    proc = subprocess.Popen(hotpass(*refine_args(inputs["large"], output, "--archive"),
                                    forced=True), **pipes)
    return before, proc, psutil.Process(proc.pid)


# --------------------------------------------------------------------------- kill -9

@pytest.mark.parametrize("stage", ["ingest", "export", "archive"])
def test_kill_9_at_each_stage_keeps_the_previous_set_and_leaves_no_orphan(inputs, tmp_path,
                                                                         stage):
    dist = tmp_path / "dist"
    output = dist / "refined.xlsx"
    before, proc, parent = _publish_small_then_start_large(
        inputs, dist, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stage == "ingest":  # pool workers running
        _wait_for(lambda: len(_family(parent)) >= 2, what="pool workers")
    elif stage == "export":  # the workbook writer thread running, staging being filled
        _wait_for(lambda: _staged_files(dist), what="staged outputs")
    else:
        _wait_for(lambda: any(f.name == "refined-bundle.zip" or f.name.startswith(
            ".refined-bundle") for f in _staged_files(dist)), what="the bundle being written")
    children = [c.pid for c in _family(parent)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not _gone(children), f"orphans after kill -9 at {stage}"
    assert verify(dist) == before  # the previous set, untouched
    assert debris(dist)  # the dead run's staging directory is still there...
    assert run(inputs["small"], output).returncode == 0
    assert not debris(dist)  # ...until the next run removes it
    verify(dist)


# --------------------------------------------------------------------------- signals

@pytest.mark.parametrize(("signum", "stage"), [
    (signal.SIGTERM, "ingest"), (signal.SIGTERM, "export"), (signal.SIGINT, "ingest")])
def test_sigterm_and_sigint_stop_everything_with_one_line(inputs, tmp_path, signum, stage):
    dist = tmp_path / "dist"
    before, proc, parent = _publish_small_then_start_large(
        inputs, dist, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if stage == "ingest":
        _wait_for(lambda: len(_family(parent)) >= 2, what="pool workers")
    else:  # the workbook is written on a thread: no child process to stop
        _wait_for(lambda: _staged_files(dist), what="staged outputs")
    children = [c.pid for c in _family(parent)]
    assert children or stage == "export"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert err.splitlines() == [f"hotpass: error: stopped by {name}; this run published "
                                "nothing, the previous outputs are kept"], err
    assert not _gone(children, timeout=2), "a worker or the writer outlived the run"
    assert verify(dist) == before
    assert not debris(dist)  # staging removed by the run itself


# --------------------------------------------------------------------------- disk full

def _compressible_input(folder: Path, rows: int) -> Path:
    """An xlsx that deflates ~30x: long, repetitive notes that CSV writes out in full."""
    rng = random.Random(11)
    names = {"".join(rng.choices(string.ascii_lowercase, k=9)).title() for _ in range(rows)}
    body = [[f"{name} Trading", f"{name.lower()}.co.za", "Remarks " * 120 + name]
            for name in sorted(names)]
    folder.mkdir(parents=True)
    write_xlsx(folder / "notes.xlsx", {"Orgs": [["Organisation", "Website", "Notes"], *body]})
    return folder


def test_disk_full_keeps_the_previous_set_and_the_next_run_cleans_up(inputs, tmp_path):
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is needed to mount a private tmpfs")
    big = _compressible_input(tmp_path / "big", 3000)
    assert big.joinpath("notes.xlsx").stat().st_size < 400_000
    mount, report = tmp_path / "mnt", tmp_path / "report"
    mount.mkdir()
    report.mkdir()
    cli = " ".join(hotpass())
    script = f"""
set -u
mount -t tmpfs -o size=3m tmpfs {mount}
out={mount}/dist/refined.xlsx
step() {{ {cli} refine --input-dir "$2" --output-path "$out" $3 >{report}/$1.out 2>{report}/$1.err;
          echo $? >{report}/$1.rc; cp -a {mount}/dist {report}/$1.dist; }}
step first {inputs["small"]} --archive
step full {big} ""
step next {inputs["small"]} ""
"""
    done = subprocess.run(["unshare", "-rm", "bash", "-c", script], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rc = {step: int((report / f"{step}.rc").read_text()) for step in ("first", "full", "next")}
    assert rc == {"first": 0, "full": 1, "next": 0}, (report / "full.err").read_text()
    error = (report / "full.err").read_text().strip().splitlines()
    assert len(error) == 1 and "No space left on device" in error[0], error
    assert "nothing was published, the previous outputs are kept" in error[0]
    first = verify(report / "first.dist")
    assert verify(report / "full.dist") == first
    assert not debris(report / "full.dist")  # the failed run removed its staging
    assert not debris(report / "next.dist")
    assert sorted(os.listdir(report / "next.dist" / ".refined.runs")) == sorted(
        ["current", "previous", os.readlink(report / "next.dist/.refined.runs/current"),
         os.readlink(report / "next.dist/.refined.runs/previous")])


def test_disk_space_estimate_refuses_before_any_work(inputs, tmp_path):
    mount, report = tmp_path / "mnt", tmp_path / "report"
    mount.mkdir()
    report.mkdir()
    script = f"""
set -u
mount -t tmpfs -o size=3m tmpfs {mount}
mkdir {mount}/dist && head -c 2500000 /dev/zero > {mount}/filler
{" ".join(hotpass())} refine --input-dir {inputs["small"]} --output-path {mount}/dist/refined.xlsx \
  >{report}/out 2>{report}/err; echo $? >{report}/rc; ls -A {mount}/dist >{report}/left
"""
    done = subprocess.run(["unshare", "-rm", "bash", "-c", script], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (report / "rc").read_text().strip() == "2"
    error = (report / "err").read_text().splitlines()
    assert len(error) == 1 and "MB free in" in error[0] and "this run needs about" in error[0]
    assert (report / "left").read_text() == ""


# --------------------------------------------------------------------------- inputs

def test_fifo_device_and_broken_link_inputs_are_skipped_with_an_issue(inputs, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(inputs["small"], folder)
    os.mkfifo(folder / "pipe.csv")
    (folder / "zero.csv").symlink_to("/dev/zero")
    (folder / "gone.xlsx").symlink_to(tmp_path / "missing.xlsx")
    output = tmp_path / "dist" / "refined.xlsx"
    started = time.monotonic()
    done = subprocess.run(hotpass(*refine_args(folder, output, "--json"), forced=True),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 100  # no hang on the FIFO, no endless read
    report = json.loads((tmp_path / "dist" / "quality-report.json").read_text())
    reasons = {s["file"]: s["reason"] for s in report["sources"] if s["status"] == "failed"}
    assert reasons == {
        "pipe.csv": "pipe.csv: cannot read file: it is a named pipe (FIFO), not a regular file",
        "zero.csv": "zero.csv: a symbolic link out of the input folder (to /dev/zero); not "
                    "followed: copy the file in if it belongs to this run",
        "gone.xlsx": "gone.xlsx: cannot read file: it does not exist (broken link?)"}


def test_an_output_folder_inside_the_input_folder_is_never_read_back(inputs, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(inputs["small"], folder)
    output = folder / "dist" / "refined.xlsx"
    summaries = []
    for _ in range(3):
        done = run(folder, output, "--json", "--archive")
        assert done.returncode == 0, done.stderr
        summaries.append(json.loads(done.stdout)["totals"])
    assert summaries[0] == summaries[1] == summaries[2]
    assert summaries[0]["files"] == 3


@pytest.mark.parametrize(("file_limit", "said"), [
    (200_000, "File too large"),  # the CSV, the Parquet and the workbook fail
    # only the workbook writer's temporary sheet fails: rust_xlsxwriter panics there
    (800_000, "the workbook writer stopped: one of its writes failed"),
])
def test_a_failed_data_write_publishes_no_report_either(inputs, tmp_path, file_limit, said):
    """RLIMIT_FSIZE makes the (large) data files fail while a small report would fit:
    were the report written before the data batch, it would change here. A native
    writer's panic is that one line too, never its message or a traceback."""
    import resource

    output = tmp_path / "dist" / "refined.xlsx"
    assert run(inputs["small"], output).returncode == 0
    before = verify(tmp_path / "dist")
    report = (tmp_path / "dist" / "quality-report.json").read_bytes()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    done = subprocess.run(hotpass(*refine_args(inputs["large"], output)), capture_output=True,
                          text=True, timeout=300, preexec_fn=limit)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], lines
    assert (tmp_path / "dist" / "quality-report.json").read_bytes() == report
    assert verify(tmp_path / "dist") == before
    assert not debris(tmp_path / "dist")


# --------------------------------------------------------------------------- limits

def test_more_issues_than_excel_rows_overflow_to_issues_csv_and_parquet(tmp_path):
    """21,000 rows whose email cell holds 50 bad addresses: 1,050,000 issues, past the
    1,048,576 rows of an Excel sheet (cheaper than 220k messy rows, the same limit)."""
    import pandas as pd
    from python_calamine import CalamineWorkbook

    folder = tmp_path / "in"
    folder.mkdir()
    rng = random.Random(5)
    names = sorted({"".join(rng.choices(string.ascii_lowercase, k=10)).title()
                    for _ in range(21_000)})[:21_000]
    bad = "; ".join(f"sales{n}-at-example" for n in range(50))
    pd.DataFrame({"Company": [f"{n} Trading" for n in names], "Email": bad}).to_csv(
        folder / "export.csv", index=False)
    output = tmp_path / "dist" / "refined.xlsx"
    done = run(folder, output, "--json", timeout=900)  # ~70 s of CPU: a 1M-row sheet
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    outputs = summary["outputs"]
    assert {"issues_csv", "issues_parquet"} <= set(outputs)
    issues = pd.read_parquet(outputs["issues_parquet"])
    assert len(issues) >= 1_050_000
    assert (issues["rule"] == "email.invalid").sum() == 1_050_000
    with open(outputs["issues_csv"], encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == len(issues) + 1
    assert len(pd.read_parquet(outputs["parquet"])) == summary["totals"]["records_out"] > 19_000
    sheet = CalamineWorkbook.from_path(outputs["xlsx"]).get_sheet_by_name("Issues")
    rows = sheet.to_python()
    assert len(rows) == 1_048_576
    assert rows[-1][0].endswith(f"all {len(issues):,} are in issues.csv and issues.parquet")
    verify(tmp_path / "dist")
