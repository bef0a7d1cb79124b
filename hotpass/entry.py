"""The ``hotpass`` program's first lines (``python -m hotpass`` and the console script).

Contract: importing this module installs, as its first statements, handlers for SIGINT
and SIGTERM that print one line, ``hotpass: error: stopped by SIGINT while starting;
nothing was done``, and leave with 130 (SIGINT) or 143 (SIGTERM). They stay until the
CLI is imported (click, every command module: a fraction of a second); a
``KeyboardInterrupt`` that still gets through the imports gives the same line. Then
Python's own handlers are back and the commands handle signals themselves
(``refine.signals``, the kit's error edge, a foreground tunnel closing).

Pitfalls: nothing has been done when the early handler fires, so it leaves with
``os._exit``; it must be uninstalled before any command runs, or a command's own
cleanup would be skipped. The interpreter's own start-up (``site`` and the ``.pth``
files of site-packages, before this module is imported) is outside the program: a
signal there is Python's to report (it says "init_import_site"); keep site-packages
free of heavy ``.pth`` hooks (an editable install adds one) to keep that window short, or
launch with both signals blocked: this module unblocks them once its handlers are in.
"""

import signal


def _stopped_while_starting(signum: int, frame: object = None) -> None:
    import os

    name = signal.Signals(signum).name
    os.write(2, f"hotpass: error: stopped by {name} while starting; nothing was done\n"
             .encode())
    os._exit(128 + signum)


# a signal the parent ignores (nohup, a service manager) stays ignored
_SAVED = {signum: signal.signal(signum, _stopped_while_starting)
          for signum in (signal.SIGINT, signal.SIGTERM)
          if signal.getsignal(signum) is not signal.SIG_IGN}
# hotpass stops cleanly on these (refine.signals): a launcher that blocked them while the
# interpreter started (so that start-up cannot be cut short) has them delivered here
signal.pthread_sigmask(signal.SIG_UNBLOCK, list(_SAVED))


def main() -> None:
    try:
        from hotpass.cli import main as cli
    except KeyboardInterrupt:  # raised by a handler installed before this module's
        _stopped_while_starting(signal.SIGINT)
    for signum, handler in _SAVED.items():
        signal.signal(signum, handler)
    cli(prog_name="hotpass")
