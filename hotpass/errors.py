"""Errors the CLI turns into one clear line and a non-zero exit.

Contract: every message names the thing at fault (file, sheet, row, flag or profile key)
so an operator can act on the line alone. ``exit_code`` 2 means bad input or a failed
strict gate; 1 is reserved for unexpected failures.
"""

from __future__ import annotations


class HotpassError(Exception):
    """A failure the user can fix; carries its own exit code."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(HotpassError):
    """An input file, sheet or directory cannot be used."""


class ProfileError(HotpassError):
    """A profile is missing or invalid."""


class StrictModeError(HotpassError):
    """``--strict`` found error-severity issues."""


class Interrupted(BaseException):
    """SIGTERM or SIGINT stopped a run; exit status 128 + the signal number.

    A ``BaseException`` (like ``KeyboardInterrupt``) so ``except Exception`` in library
    code never swallows it on its way out.
    """

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name}; this run published nothing, the previous "
                         "outputs are kept")

    @property
    def message(self) -> str:
        return str(self.args[0])
