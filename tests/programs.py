"""System programs some tests drive for real, which pip cannot install.

Contract: ``require(name)`` returns the program's path, or skips the test with one line
naming the program and the Debian package that brings it (README, "System programs":
``sudo apt-get install -y docker-compose openssh-client openssh-server chromium make``).
In CI (``CI=true``) ``tests/conftest.py`` turns that skip into a failure, so CI cannot go
green without them. Everything else the tests need comes with ``pip install -e ".[all]"``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PACKAGES = {  # program -> Debian package
    "docker-compose": "docker-compose",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "sshd": "openssh-server",
    "chromium": "chromium",
    "make": "make",
    "sha256sum": "coreutils",
    "unshare": "util-linux",
}
ABSOLUTE = {"sshd": "/usr/sbin/sshd", "chromium": "/usr/bin/chromium"}


def find(name: str) -> str | None:
    """The program's path, or ``None``."""
    found = shutil.which(name)
    if found:
        return found
    fixed = ABSOLUTE.get(name)
    return fixed if fixed and Path(fixed).exists() else None


def require(name: str) -> str:
    """The program's path, or a skip naming its package (a failure in CI)."""
    found = find(name)
    if found is None:
        pytest.skip(f"needs the system program {name} (Debian package {PACKAGES[name]}; "
                    "see README, System programs)")
    return found
