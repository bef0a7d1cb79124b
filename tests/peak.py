"""A command's peak memory, measured so that the test process's own size cannot leak in.

Contract: ``run_with_peak(args, **run_kwargs)`` runs ``args`` as ``subprocess.run`` would
(output captured as text) and returns ``(completed, peak_mib)``: the largest resident
set of the command and every process under it that was waited for.

Pitfalls: ``RUSAGE_CHILDREN`` in the test process itself is the largest child of the whole
session, and a child started by ``subprocess`` (vfork, then exec) takes the test process's
own high-water mark as its starting ``ru_maxrss``: after a test that grew pytest's worker
to 1.6 GB, every later child "peaked" at 1.6 GB. So a small launcher process starts the
command and reports its ``RUSAGE_CHILDREN`` on a pipe of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys

LAUNCHER = """
import os, resource, subprocess, sys
report = int(sys.argv[1])
code = subprocess.call(sys.argv[2:])
os.write(report, str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
sys.exit(code)
"""


def run_with_peak(args: list[str], **run_kwargs) -> tuple[subprocess.CompletedProcess, float]:
    read_end, write_end = os.pipe()
    try:
        completed = subprocess.run([sys.executable, "-c", LAUNCHER, str(write_end), *args],
                                   capture_output=True, text=True, pass_fds=(write_end,),
                                   **run_kwargs)
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as report:
            read_end = -1
            peak_kib = int(report.read() or 0)
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    completed.args = args
    return completed, peak_kib / 1024
