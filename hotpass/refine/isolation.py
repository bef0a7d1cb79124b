"""Running one file's reader where its crash cannot take the run down: a forked child.

Contract: ``run_isolated(function, *args)`` forks, runs ``function(*args)`` in the child
and returns ``(result, None)``, or ``(None, how)`` when the child died before handing its
result over (``how``: "was killed by SIGKILL (out of memory?)", "was killed by SIGABRT
(a crash in native code)", "exited with status 1", "took more than 900 s"). An exception
the function raises is raised again here. The child follows the parent
(``signals.child_init``: it dies with it and leaves SIGINT to it); a stop signal in the
parent kills the child before it propagates. Works where ``multiprocessing`` may not
create processes (inside a daemonic pool or Dask worker): it uses ``os.fork`` itself.

Pitfalls: the child leaves with ``os._exit`` on every path, so it never runs the
parent's ``atexit`` handlers or flushes its buffers; its result is pickled through a
pipe and read until EOF, so a child killed mid-write gives a short read, which fails to
unpickle and is reported as the death it was. The fork is made with stop signals
``held`` (a signal raised inside the at-fork callbacks would only be printed).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from hotpass.refine.signals import child_init, held

READ_SECONDS = 900.0  # a reader that has not finished by then is stuck: killed
WATCH_SECONDS = 1.0
_CHUNK = 1 << 20


def run_isolated(function: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    parent = os.getpid()
    read_end, write_end = os.pipe()
    with held():
        pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(parent, read_end, write_end, function, args)
    os.close(write_end)
    died = True
    try:
        data = _read_all(read_end, pid)
        if isinstance(data, str):
            return None, data
        status = _reap(pid)
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
            _kill(pid)


def _child(parent: int, read_end: int, write_end: int, function: Callable[..., Any],
           args: tuple) -> None:
    code = 70
    try:
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


def _read_all(fd: int, pid: int) -> bytearray | str:
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
            _kill(pid)
            return f"took more than {READ_SECONDS:.0f} s (stuck?) and was stopped"


def _reap(pid: int) -> int:
    """The child's exit as a ``Popen``-style code: negative for a signal."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _death(exitcode: int) -> str:
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = {signal.SIGKILL: " (out of memory?)",
                signal.SIGABRT: " (a crash in the native reader)",
                signal.SIGSEGV: " (a crash in the native reader)"}.get(-exitcode, "")
        return f"was killed by {name}{hint}"
    return f"exited with status {exitcode} before handing over its rows"
