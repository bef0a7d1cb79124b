"""Watching the ingest pool: a dead or stuck worker fails the run with one line, and the
pool is stopped with a bounded join on every exit path.

Contract: ``PoolWatch(pool, inputs)``; after every ``wait(..., timeout=WATCH_SECONDS)``
call ``check(done, in_flight)`` (re-raises a swallowed stop signal, then raises
``HotpassError`` naming the files in flight when a worker has exited, or when no task
has finished for ``STALL_SECONDS``); ``result(future, index)`` turns a
``BrokenProcessPool`` into the same one line. ``stop_pool(pool)`` cancels what is
queued, stops the workers (SIGTERM, then SIGKILL after ``JOIN_SECONDS``) and joins the
pool's manager thread within a bound, so the interpreter's exit never waits on it.

Pitfalls: a worker killed while it writes its result (the OOM killer) leaves a partial
message in the result pipe: the executor's manager thread then blocks reading it
forever, and no future ever completes (CPython's ``ProcessPoolExecutor`` only watches
worker deaths between messages). ``check`` sees the death through the process's exit
code; ``stop_pool`` unblocks the thread by completing the message with zero bytes,
which it cannot unpickle, so it takes its "broken pool" path and ends.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from hotpass.errors import HotpassError
from hotpass.refine.signals import raise_if_stopped

WATCH_SECONDS = 1.0  # how often the pool's workers are checked
STALL_SECONDS = 900.0  # no task finished for this long: a worker is stuck
JOIN_SECONDS = 5.0  # bound on every join when the pool is stopped
log = logging.getLogger("hotpass.refine")


class PoolWatch:
    def __init__(self, pool: ProcessPoolExecutor, inputs: list[Path]) -> None:
        self.pool, self.inputs = pool, inputs
        self.last_progress = time.monotonic()
        # the workers seen so far: a broken pool may drop them before the cause is read
        self.seen = list((pool._processes or {}).values())

    def check(self, done: set, in_flight: set[int]) -> None:
        raise_if_stopped()
        now = time.monotonic()
        if done:
            self.last_progress = now
            return
        self.seen += [p for p in (self.pool._processes or {}).values() if p not in self.seen]
        for process in list((self.pool._processes or {}).values()):
            if process.exitcode is not None:
                raise self._failure(f"a worker process (pid {process.pid}) "
                                    f"{_death(process.exitcode)}", in_flight)
        if now - self.last_progress > STALL_SECONDS:
            raise self._failure(f"no file finished in {STALL_SECONDS:.0f} s (a worker is "
                                "stuck)", in_flight)

    def result(self, future: Future, index: int) -> object:
        try:
            return future.result()
        except BrokenProcessPool:
            # the first to die is the cause; the pool then terminates the others (SIGTERM)
            dead = [p for p in self.seen if p.exitcode not in (None, 0, -signal.SIGTERM)]
            what = (f"a worker process (pid {dead[0].pid}) {_death(dead[0].exitcode)}" if dead
                    else "a worker process died")
            raise self._failure(what, {index}) from None

    def _failure(self, what: str, in_flight: set[int]) -> HotpassError:
        names = [self.inputs[i].name for i in sorted(in_flight)]
        reading = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3
                                          else "")
        return HotpassError(f"ingest: {what} while reading {reading}; nothing was "
                            "published, the previous outputs are kept", exit_code=1)


def _death(exitcode: int) -> str:
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {exitcode}"


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work, stop every worker and the manager thread, each join bounded."""
    processes = list((pool._processes or {}).values())
    thread = pool._executor_manager_thread
    results = pool._result_queue  # shutdown() drops both references
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.exitcode is None:
            process.terminate()
    for process in processes:
        process.join(JOIN_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join(JOIN_SECONDS)
    if thread is None:
        return
    thread.join(0.5)
    if thread.is_alive():
        _complete_partial_message(results._writer, thread)


def _complete_partial_message(writer: object, thread: object) -> None:
    """Feed zero bytes into the result pipe until the blocked manager thread gives up."""
    fd = writer.fileno()
    os.set_blocking(fd, False)
    chunk = bytes(65536)
    end = time.monotonic() + JOIN_SECONDS
    while thread.is_alive() and time.monotonic() < end:
        try:
            os.write(fd, chunk)
        except BlockingIOError:
            thread.join(0.01)
    thread.join(JOIN_SECONDS)
    if thread.is_alive():
        log.warning("hotpass: the ingest pool's manager thread did not stop")
