"""The ``hotpass`` program's first lines (``python -m hotpass`` and the console script).

Contract: ``main()`` holds SIGINT while the CLI imports (click, every command module: a
fraction of a second) so a Ctrl-C then is one line, ``hotpass: error: stopped by SIGINT
while starting; nothing was done``, and exit 130, never a ``KeyboardInterrupt``
traceback. Once imported, Python's own handler is back and the commands handle Ctrl-C
themselves (``refine.signals``, the kit's error edge, a foreground tunnel closing).

Pitfalls: nothing has been done when the early handler fires, so it leaves with
``os._exit``; it must be uninstalled before any command runs, or a command's own
cleanup on Ctrl-C would be skipped.
"""

from __future__ import annotations

import os
import signal


def main() -> None:
    signal.signal(signal.SIGINT, _stopped_while_starting)
    from hotpass.cli import main as cli

    signal.signal(signal.SIGINT, signal.default_int_handler)
    cli(prog_name="hotpass")


def _stopped_while_starting(signum: int, frame: object) -> None:
    os.write(2, b"hotpass: error: stopped by SIGINT while starting; nothing was done\n")
    os._exit(128 + signum)
