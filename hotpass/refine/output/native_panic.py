"""A native writer's panic as an ``OSError``, its message kept off the user's terminal.

Contract: ``with panics_as_os_error(what):`` runs its body with file descriptor 2 sent
to an in-memory file; afterwards what was written there goes back to the real stderr,
unless the body raised a Rust panic (pyo3's ``PanicException``), which becomes
``OSError(f"{what} stopped: ...")`` and whose message and backtrace go to the debug log.

Pitfalls: rust_xlsxwriter unwraps the writes to its temporary files (constant-memory
sheets), so a full disk or a file size limit there is a panic, not an error: Rust prints
"thread panicked at ..." (and a backtrace under ``RUST_BACKTRACE``) straight to fd 2, and
``PanicException`` derives from ``BaseException``, past every ``except Exception``.
The redirection is process-wide: text other threads write meanwhile is held back and
written after the body, never lost. ``memfd`` keeps it off the disk that may be full.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

log = logging.getLogger("hotpass.refine")


@contextlib.contextmanager
def panics_as_os_error(what: str) -> Iterator[None]:
    if not hasattr(os, "memfd_create"):
        yield
        return
    sys.stderr.flush()
    held, saved = os.memfd_create("hotpass-stderr"), os.dup(2)
    os.dup2(held, 2)
    panicked = False
    try:
        yield
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        panicked = True
        raise OSError(f"{what} stopped: one of its writes failed (no space left on the "
                      "device, or a file size limit?)") from None
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.lseek(held, 0, os.SEEK_SET)
        with os.fdopen(held, "rb") as written:
            text = written.read()
        if panicked:
            log.debug("%s panicked: %s", what, text.decode(errors="replace"))
        elif text:
            os.write(2, text)
