"""A reader isolated beside busy threads does not inherit their locks: a lock another
thread holds at the moment of the fork stays held forever in a forked child, so a reader
that takes it (an import, a logger) hung until the deadline. With threads running,
``run_isolated`` starts a fresh interpreter instead; alone, it forks."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hotpass.refine import isolation

ROOT = Path(__file__).resolve().parents[2]
BUSY = threading.Lock()  # held by a thread of the parent while the child runs


def take_the_lock_and_report_pid() -> int:
    with BUSY:
        return os.getpid()


def fail_like_a_bug() -> None:
    raise ValueError("a bug in the reader")


@pytest.fixture
def busy_thread():
    release = threading.Event()
    taken = threading.Event()

    def hold() -> None:
        with BUSY:
            taken.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(10)
    yield
    release.set()
    thread.join(10)


def test_a_child_beside_a_thread_holding_a_lock_finishes(busy_thread, monkeypatch):
    monkeypatch.setattr(isolation, "READ_SECONDS", 20.0)
    pid, how = isolation.run_isolated(take_the_lock_and_report_pid)
    assert how is None, f"the isolated reader {how}"
    assert pid != os.getpid()


def test_an_exception_in_a_spawned_child_is_raised_here(busy_thread):
    with pytest.raises(ValueError, match="a bug in the reader"):
        isolation.run_isolated(fail_like_a_bug)


def test_alone_the_child_is_forked():
    # a fresh interpreter: this test process may hold threads other tests started
    probe = ("import os, threading\n"
             "from hotpass.refine import isolation\n"
             "def refuse(*args): raise AssertionError('spawned while alone')\n"
             "isolation._spawn = refuse\n"
             "assert threading.active_count() == 1\n"
             "pid, how = isolation.run_isolated(os.getpid)\n"
             "assert how is None and pid != os.getpid(), (pid, how)\n"
             "print('forked', pid)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0 and "forked" in done.stdout, done.stderr
