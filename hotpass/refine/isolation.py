"""Running one file's reader where its crash cannot take the run down: a forked child.

Contract: ``run_isolated(function, *args)`` forks, runs ``function(*args)`` in the child
and returns ``(result, None)``, or ``(None, how)`` when the child died before handing its
result over (``how``: "was killed by SIGKILL (out of memory?)", "was killed by SIGABRT
(a crash in native code)", "exited with status 1", "took more than 900 s"). An exception
the function raises is raised again here. The child follows the parent
(``signals.child_init``: it dies with it and leaves SIGINT to it); a stop signal in the
parent kills the child before it propagates. Works where ``multiprocessing`` may not
create processes (inside a daemonic pool or Dask worker): it uses ``os.fork`` itself.

Pitfalls: a fork copies locks other threads hold (the import lock, logging's, a
library's) with no thread left to release them; a child forked beside busy threads (a
Prefect flow running several refines) hung in its first import until the deadline. Only a
single-threaded process forks; with threads the fresh interpreter costs its start-up
(about 0.3 s). The function must be importable by name for that path. The child leaves with ``os._exit`` on every path, so it never runs the
parent's ``atexit`` handlers or flushes its buffers; its result is pickled through a
pipe and read until EOF, so a child killed mid-write gives a short read, which fails to
unpickle and is reported as the death it was. The fork is made with stop signals
``held`` (a signal raised inside the at-fork callbacks would only be printed).
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotpass.refine.signals import child_init, held

READ_SECONDS = 900.0  # a reader that has not finished by then is stuck: killed
WATCH_SECONDS = 1.0
_CHUNK = 1 << 20


def run_isolated(function: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    parent = os.getpid()
    read_end, write_end = os.pipe()
    if threading.active_count() > 1:
        child = _spawn(parent, write_end, function, args)
    else:
        with held():
            pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(parent, read_end, write_end, function, args)
        child = _Forked(pid)
    os.close(write_end)
    died = True
    try:
        data = _read_all(read_end, child)
        if isinstance(data, str):
            return None, data
        status = child.reap()
        died = False
        if status != 0 or not data:
            return None, _death(status)
        try:
            kind, value = pickle.loads(data)
        except Exception:
            return None, "handed over a damaged result"
        if kind == "raise":
            raise value
        return value, None
    finally:
        os.close(read_end)
        if died:  # an error or a stop signal here: the child must not outlive it
            child.kill()


class _Forked:
    """A child made by ``os.fork``: reaped and killed by pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def reap(self) -> int:
        """The child's exit as a ``Popen``-style code: negative for a signal."""
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


class _Spawned:
    """A child started as a fresh interpreter (``subprocess.Popen``)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def reap(self) -> int:
        return self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _spawn(parent: int, write_end: int, function: Callable[..., Any],
           args: tuple) -> _Spawned:
    job = pickle.dumps((parent, write_end, function, args), protocol=5)
    # the child imports this very code, wherever it was imported from here
    source_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", "hotpass.refine.isolated_child"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               pass_fds=(write_end,), env={**os.environ, "PYTHONPATH": path})
    child = _Spawned(process)
    try:
        with process.stdin:
            process.stdin.write(job)
    except BaseException:
        child.kill()
        raise
    return child


def _child(parent: int, read_end: int | None, write_end: int,
           function: Callable[..., Any], args: tuple) -> None:
    code = 70
    try:
        # no cyclic collection in a short-lived child: it would walk the parent's objects
        # (copying their pages) and slow the building of a sheet's rows several times
        gc.freeze()
        gc.disable()
        if read_end is not None:
            os.close(read_end)
        child_init(parent)
        try:
            payload = pickle.dumps(("return", function(*args)), protocol=5)
        except Exception as exc:  # a bug, not a bad file: the parent raises it
            try:
                payload = pickle.dumps(("raise", exc), protocol=5)
            except Exception:
                payload = pickle.dumps(("raise", RuntimeError(f"{type(exc).__name__}: {exc}")))
        with open(write_end, "wb", closefd=True) as out:
            out.write(payload)
        code = 0
    finally:
        os._exit(code)


def _read_all(fd: int, child: _Forked | _Spawned) -> bytearray | str:
    """Everything the child writes, until EOF; a message when it overruns the deadline."""
    data = bytearray()
    deadline = time.monotonic() + READ_SECONDS
    while True:
        ready, _, _ = select.select([fd], [], [], WATCH_SECONDS)
        if ready:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                return data
            data += chunk
        elif time.monotonic() > deadline:
            child.kill()
            return f"took more than {READ_SECONDS:.0f} s (stuck?) and was stopped"


def _death(exitcode: int) -> str:
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = {signal.SIGKILL: " (out of memory?)",
                signal.SIGABRT: " (a crash in the native reader)",
                signal.SIGSEGV: " (a crash in the native reader)"}.get(-exitcode, "")
        return f"was killed by {name}{hint}"
    return f"exited with status {exitcode} before handing over its rows"
