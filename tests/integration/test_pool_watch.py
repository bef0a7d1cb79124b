"""The ingest pool never hangs a run: a worker killed while it sends its result (as the
OOM killer would) leaves half a message in the result pipe, which blocks CPython's pool
forever; the run must fail with one line, release the lock, remove its staging folder and
leave no process behind."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from hotpass.bench.samples import generate_workbooks

pytestmark = pytest.mark.integration

# The real CLI, parallel ingest forced; a worker writes the length and half the bytes of
# its first result, then SIGKILLs itself.
KILLED_MID_SEND = """
import os, signal, struct
import multiprocessing.queues as queues
from multiprocessing.reduction import ForkingPickler
import hotpass.refine.pipeline as pipeline
pipeline.PARALLEL_MIN_BYTES = 0
parent, original = os.getpid(), queues.SimpleQueue.put
def put(self, obj):
    if os.getpid() != parent:
        data = bytes(ForkingPickler.dumps(obj))
        os.write(self._writer.fileno(), struct.pack('!i', len(data)) + data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, obj)
queues.SimpleQueue.put = put
from hotpass.cli import main
main(prog_name='hotpass')
"""


def test_a_worker_killed_mid_send_fails_the_run_with_one_line(tmp_path):
    inputs, dist = tmp_path / "in", tmp_path / "dist"
    generate_workbooks(inputs, rows=60, files=3, seed=11)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MID_SEND, "refine", "--input-dir",
                             str(inputs), "--output-path", str(dist / "refined.xlsx")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    family = psutil.Process(proc.pid)
    try:
        _, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        for child in family.children(recursive=True):
            child.kill()
        proc.kill()
        raise AssertionError("the run hung after its worker was killed mid-send") from None
    assert proc.returncode == 1, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hotpass: error: ingest: a worker process"), err
    assert "killed by SIGKILL" in lines[0] and "nothing was published" in lines[0]
    assert not dist.exists() or not any(dist.iterdir())  # no lock record, no staging
