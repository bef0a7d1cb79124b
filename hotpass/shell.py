"""External programs from library procedures: one wrapper over the ``sh`` library.

Contract: ``run(["uv", "sync", "--check"], ev=ev)`` echoes ``$ uv sync --check`` once
(through ``ev.echo``, redacted), runs the program with ``sh``, records it into the
evidence (call, exit code, output tail, duration) and returns its stdout. A non-zero exit
raises ``HotpassError("uv: <last stderr line> (exit N)", exit_code=N)``; a program
missing from ``PATH`` raises one naming it (exit 127); ``timeout`` seconds raise exit
124. Under dry-run (``ev.dry_run`` or ``dry_run=True``) a mutating command is echoed as
``[dry-run] $ ...``, recorded ``not run`` and returns ``""``; ``mutates=False`` marks a
read-only command (status, diff) that runs under dry-run too, as plans need. Without
``ev`` nothing is recorded. ``stream=True`` is a task's step (``ops/adapter.run``): the
program reads the terminal's stdin and its output is shown as it comes (each line
redacted, stdout and stderr kept apart) as well as recorded; as the user has seen its
last line already, a failure is then ``step failed (exit N): <command>``.

Pitfalls: ``env`` is merged over the current environment (``sh`` would replace it).
Pass secrets only in ``env``: the echo and the record show the command line, redacted
but not hidden. ``ok_codes`` lists exit codes that are not failures (e.g. ``(0, 1)`` for
``diff``); ``with_stderr=True`` returns stdout and stderr (for programs such as ``uv``
that report on stderr).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hotpass.errors import HotpassError
from hotpass.redact import redact

if TYPE_CHECKING:
    from hotpass.procedure import Evidence


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _shown(stream: TextIO, kept: list[str]) -> Callable[[str], None]:
    """A sink for ``sh`` that shows each chunk of output on ``stream`` (redacted) and
    keeps it in ``kept`` for the record."""

    def write(chunk: str) -> None:
        kept.append(chunk)
        stream.write(redact(chunk))
        stream.flush()

    return write


def _terminal_stdin() -> int | None:
    """File descriptor 0 when this process has one (a streamed step reads it)."""
    try:
        os.fstat(0)
    except OSError:
        return None
    return 0


def run(command: Sequence[str], *, ev: Evidence | None = None, dry_run: bool = False,
        mutates: bool = True, env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None, timeout: float | None = None,
        ok_codes: Sequence[int] = (0,), with_stderr: bool = False,
        stream: bool = False) -> str:
    """Run ``command`` (program and arguments as a list); see the module contract."""
    import sh

    words = [str(word) for word in command]
    line = redact(shlex.join(words))
    echo = ev.echo if ev is not None else (lambda text: print(text, flush=True))
    dry = dry_run or (ev is not None and ev.dry_run)
    if dry and mutates:
        echo(f"[dry-run] $ {line}")
        if ev is not None:
            ev.record(line, status="not run", command=True)
        return ""
    echo(f"$ {line}")
    program = words[0]
    started = time.monotonic()
    status, code, out, err = "ok", 0, "", ""
    streamed: tuple[list[str], list[str]] = ([], [])
    shown = dict(_out=_shown(sys.stdout, streamed[0]), _err=_shown(sys.stderr, streamed[1]),
                 _in=_terminal_stdin(), _tty_out=False, _decode_errors="replace") \
        if stream else {}
    try:
        result = sh.Command(program)(*words[1:], _env={**os.environ, **(env or {})},
                                     _cwd=str(cwd) if cwd else None, _timeout=timeout,
                                     _ok_code=list(ok_codes), _return_cmd=True, **shown)
        code, out, err = result.exit_code, _text(result.stdout), _text(result.stderr)
        if stream:
            out, err = "".join(streamed[0]), "".join(streamed[1])
        return out + err if with_stderr else out
    except sh.CommandNotFound:
        status, code, err = "failed", 127, f"{program}: not found on PATH"
        raise HotpassError(f"{program}: not found on PATH; install it first",
                           exit_code=127) from None
    except sh.TimeoutException:
        status, code, err = "failed", 124, f"timed out after {timeout} s"
        raise HotpassError(f"{program}: timed out after {timeout} s: {line}",
                           exit_code=124) from None
    except sh.ErrorReturnCode as exc:
        status, code = "failed", exc.exit_code
        out, err = ("".join(streamed[0]), "".join(streamed[1])) if stream \
            else (_text(exc.stdout), _text(exc.stderr))
        reason = redact(last_line(err) or last_line(out) or "no output")
        message = f"step failed (exit {code}): {line}" if stream \
            else f"{program}: {reason} (exit {code})"
        raise HotpassError(message, exit_code=code if 0 < code < 256 else 1) from None
    finally:
        if ev is not None:
            ev.record(line, status=status, exit_code=code,
                      output="\n".join(part for part in (out, err) if part),
                      duration_s=time.monotonic() - started, command=True)
