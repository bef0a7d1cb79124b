"""A stop signal handled while importlib's own code runs is not raised there (it would
leak the global import lock, and the exception would only be printed: the run went on
and the next import on a thread waited forever, as a soak run did); it is sent again
and raised once the code is out of importlib."""

from __future__ import annotations

import signal
import sys
import time

from hotpass.errors import Interrupted
from hotpass.refine import signals
from hotpass.refine.signals import stop_on_signals


def _frame_in(filename: str):
    scope: dict = {"sys": sys}
    exec(compile("frame = sys._getframe()", filename, "exec"), scope)
    return scope["frame"]


def _where_raised(frame) -> list[str]:
    raised_at: list[str] = []
    try:
        with stop_on_signals():
            try:
                signals._raise(signal.SIGTERM, frame)
            except Interrupted:
                raised_at.append("in the handler")
            else:
                try:
                    end = time.monotonic() + 30
                    while time.monotonic() < end:
                        time.sleep(0.01)
                except Interrupted:
                    raised_at.append("after, outside importlib")
    except Interrupted:
        pass  # stop_on_signals raises the run's stop again at its end
    return raised_at


def test_a_signal_inside_importlib_is_raised_after_it():
    assert _where_raised(_frame_in("<frozen importlib._bootstrap>")) == [
        "after, outside importlib"]


def test_a_signal_anywhere_else_is_raised_at_once():
    assert _where_raised(_frame_in(__file__)) == ["in the handler"]
