"""Ctrl-C while ``hotpass`` is still importing its CLI (the first fraction of a second) is
one line and exit 130, never a ``KeyboardInterrupt`` traceback. The launcher delivers
SIGINT from an import hook at a fixed point: while ``hotpass.cli.refine`` is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

LAUNCHER = """
import importlib.abc, os, signal, sys
class SignalOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "hotpass.cli.refine":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["hotpass", "refine", "--input-dir", "nowhere"]
import runpy
runpy.run_module("hotpass", run_name="__main__")
"""


def test_ctrl_c_while_the_cli_imports_is_one_line():
    result = subprocess.run([sys.executable, "-c", LAUNCHER], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 130, result.stderr
    assert result.stderr.splitlines() == [
        "hotpass: error: stopped by SIGINT while starting; nothing was done"], result.stderr
