"""The run-safety soak: many ``hotpass refine --archive`` runs, each stopped at a random
moment by SIGTERM, SIGINT or SIGKILL, while a reader checks the published set's
checksums the whole time.

Contract: ``soak(runs, out_dir, seed)`` generates a tiny input folder, publishes one set,
then starts ``runs`` runs into the same output, each stopped at a random moment within
the first run's duration (some finish first). A reader thread resolves ``dist/current``
once per check (as ``cd dist/current`` does) and verifies ``SHA256SUMS`` throughout.
After every run it checks: the published set verifies and every stable name resolves;
no process of the run is alive (matched by the output path on its command line); the
output folder's lock can be taken; ``$TMPDIR`` (pointed at ``out_dir/tmp``) holds no
file; after a run that was not SIGKILLed, no lock record and no staging folder remain.
A last clean run must then leave no debris at all. Returns the figures and a list of
``problems`` (empty when everything held).

Pitfalls: a SIGINT in the interpreter's own startup (``site`` importing ``.pth`` hooks,
before any hotpass code runs) still prints Python's ``KeyboardInterrupt`` traceback; it
is counted (``stopped in interpreter startup``), not a problem, as no hotpass code can
catch it. The runs are real CLI processes (about a second each of imports), so 50 runs
take a few minutes on two cores. A folder the reader resolved can be pruned when two
publishes happen during one check; that is counted (``reader_gone``), not a mismatch.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGKILL)


def soak(runs: int, out_dir: Path, seed: int = 22) -> dict:
    import psutil

    from hotpass.bench.samples import generate_workbooks

    out_dir = Path(out_dir)
    inputs, dist, tmpdir = out_dir / "input", out_dir / "dist", out_dir / "tmp"
    generate_workbooks(inputs, rows=40, files=2, seed=seed)
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmpdir))
    command = [sys.executable, "-m", "hotpass", "refine", "--input-dir", str(inputs),
               "--output-path", str(dist / "refined.xlsx"), "--archive"]
    started = time.monotonic()
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if first.returncode != 0:
        return {"problems": [f"the first run failed: {first.stderr.strip()}"]}
    duration = time.monotonic() - started
    reader = _Reader(dist)
    reader.start()
    rng, problems, outcomes = random.Random(seed), [], Counter()
    try:
        for number in range(1, runs + 1):
            signum = rng.choice(SIGNALS)
            before = _store_entries(dist)
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0, duration))
            if proc.poll() is None:
                proc.send_signal(signum)
            _, err = proc.communicate(timeout=300)
            stopped = "finished" if proc.returncode == 0 else signal.Signals(signum).name
            outcomes[stopped] += 1
            where = f"run {number} ({stopped}, exit {proc.returncode})"
            if "<frozen site>" in err:  # the interpreter's own startup, before hotpass
                outcomes["stopped in interpreter startup"] += 1
            elif "Traceback" in err or len(err.splitlines()) > 1:
                problems.append(f"{where}: more than one line on stderr: {err[-1500:]!r}")
            problems += [f"{where}: {p}" for p in _after_run(
                dist, tmpdir, psutil, proc.pid, before, killed=stopped == "SIGKILL")]
    finally:
        reader.stop()
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if final.returncode != 0:
        problems.append(f"the last clean run failed: {final.stderr.strip()}")
    problems += [f"after the last run: {p}" for p in _after_run(dist, tmpdir, psutil, None,
                                                                 set(), killed=False)]
    problems += [f"reader: {m}" for m in reader.mismatches]
    return {"runs": runs, "outcomes": dict(outcomes), "first_run_seconds": round(duration, 2),
            "reader_checks": reader.checks, "reader_gone": reader.gone,
            "problems": problems}


def _store_entries(dist: Path) -> set[str]:
    store = dist / ".refined.runs"
    return {p.name for p in store.iterdir()} if store.is_dir() else set()


def _after_run(dist: Path, tmpdir: Path, psutil, pid: int | None, before: set[str], *,
               killed: bool) -> list[str]:
    """What must hold after a run; a SIGKILLed run's own staging and lock record may stay
    (the next run that takes the lock removes them), an earlier kill's are not counted."""
    problems = []
    problems += [f"published set: {p}" for p in verify_current(dist)]
    for link in dist.iterdir():
        if link.is_symlink() and not link.exists():
            problems.append(f"{link.name} dangles")
    end = time.monotonic() + 5
    while (alive := _processes_of(dist, psutil)) and time.monotonic() < end:
        time.sleep(0.1)
    if alive:
        problems.append(f"process(es) outlived the run: {alive}")
    fd = os.open(dist, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        problems.append("the output folder is still locked")
    finally:
        os.close(fd)
    if left := sorted(p.name for p in tmpdir.rglob("*")):
        problems.append(f"temp files outside staging: {left[:5]}")
    if not killed:
        record = dist / ".hotpass.lock"
        if record.exists() and (pid is None or f'"pid": {pid},' in record.read_text()):
            problems.append(".hotpass.lock left")
        store = dist / ".refined.runs"
        kept = {"current", "previous"} | {os.readlink(store / n) for n in ("current", "previous")
                                          if (store / n).is_symlink()}
        if stray := sorted(_store_entries(dist) - kept - before):
            problems.append(f"staging left: {stray}")
    return problems


def verify_current(dist: Path) -> list[str]:
    """``cd dist/current && sha256sum -c SHA256SUMS``: resolve once, check every line."""
    folder = Path(os.path.realpath(dist / "current"))
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    wrong = []
    for line in lines:
        digest, name = line.split("  ", 1)
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            wrong.append(f"{folder.name}/{name} does not match SHA256SUMS")
    return wrong


def _processes_of(dist: Path, psutil) -> list[int]:
    marker = str(dist / "refined.xlsx")
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "status"]):
        info = process.info
        if marker in (info["cmdline"] or []) and info["status"] != psutil.STATUS_ZOMBIE:
            found.append(info["pid"])
    return found


class _Reader(threading.Thread):
    def __init__(self, dist: Path) -> None:
        super().__init__(daemon=True)
        self.dist, self.checks, self.gone = dist, 0, 0
        self.mismatches: list[str] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.mismatches += verify_current(self.dist)
                self.checks += 1
            except FileNotFoundError:
                self.gone += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join(30)
