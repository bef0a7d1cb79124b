"""Stopping a run cleanly: SIGTERM/SIGINT in the parent, parent death in the children.

Contract: inside ``stop_on_signals()`` (main thread only; elsewhere it does nothing)
SIGTERM and SIGINT raise ``Interrupted``, a ``BaseException`` so no ``except Exception``
swallows it; the ``with`` blocks it unwinds stop the pool and the writer child and delete
the staging directory, and the CLI prints one line and exits 128 + the signal number
(143, 130). ``child_init(parent_pid)`` is the first thing every forked worker and writer
runs: it ignores SIGINT (the parent decides), restores SIGTERM's default and arranges to
die with the parent — ``PR_SET_PDEATHSIG`` on Linux, else a thread polling the parent pid.

``held()`` defers them: a SIGTERM/SIGINT arriving inside it (on any thread: Python runs
handlers on the main thread) is recorded and raised when the block ends, so the published
set is switched all-or-nothing (``refine.output.commit``).

Pitfalls: a signal handled while importlib itself runs (its lock callbacks run at any
moment, from the garbage collector) is not raised there but sent again a moment later:
an exception there leaks the global import lock and is swallowed, so the run went on
until a thread's import waited forever. PDEATHSIG fires when the *thread* that forked the child exits, so children are
forked from the main thread. A signal masked with ``pthread_sigmask`` on one thread is
still delivered to the others, which is why ``held`` defers in the handler instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

from hotpass.errors import Interrupted

_PR_SET_PDEATHSIG = 1
REDELIVER_SECONDS = 0.02
_POLL_SECONDS = 1.0


_held: list[int] = []  # one entry per open held() block
_pending: list[int] = []  # signals that arrived inside it
_received: list[int] = []  # every signal of this run, in case a raise was swallowed


def _raise(signum: int, frame: object) -> None:
    if _held:
        _pending.append(signum)
        return
    _received.append(signum)
    if _in_import_machinery(frame):
        # raising here can leak the global import lock (taken just before a ``try`` in
        # importlib's own callbacks, where the exception is then only printed): every
        # later import on another thread would wait forever. Send it again in a moment.
        threading.Timer(REDELIVER_SECONDS, os.kill, (os.getpid(), signum)).start()
        return
    raise Interrupted(signum)


def _in_import_machinery(frame: object) -> bool:
    code = getattr(frame, "f_code", None)
    return code is not None and code.co_filename.startswith("<frozen importlib")


def raise_if_stopped() -> None:
    """Raise ``Interrupted`` again for a signal whose raise was swallowed (one landing in
    an at-fork or ``__del__`` callback is only printed): called before each step that
    must not start after a stop, the pool's waits and the commit."""
    if _received:
        raise Interrupted(_received[0])


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Defer SIGTERM/SIGINT to the end of the block (see the module docstring)."""
    _held.append(1)
    try:
        yield
    finally:
        _held.pop()
        if not _held and _pending:
            signum = _pending[0]
            _pending.clear()
            raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {s: signal.signal(s, _raise) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
        raise_if_stopped()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def child_init(parent_pid: int) -> None:
    """Run first in a forked child: follow the parent, never outlive it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_POLL_SECONDS)
    os._exit(1)
