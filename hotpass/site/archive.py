"""The built site as an evidence bundle (``hotpass site build --archive``).

Contract: ``archive_site(site_dir, root, result)`` copies the whole site (every page and
its JSON twin, the runs log) into a new ``site.build`` bundle under ``root``
(``hotpass.evidence.Bundle``: manifest with sha256, redacted text) and seals it with the
build's figures; returns the bundle's folder. ``evidence.verify`` checks it like any
other bundle.

Pitfalls: the copy is redacted like every bundle's text; the build lock file is left out.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def archive_site(site_dir: Path, root: Path, result) -> Path:
    from hotpass.evidence import Bundle

    with tempfile.TemporaryDirectory(prefix="hotpass-site-") as scratch:
        copy = Path(scratch) / "site"
        shutil.copytree(site_dir, copy, ignore=shutil.ignore_patterns(".site.lock"))
        with Bundle.create(root, "site.build") as bundle:
            bundle.capture(copy, "site")
            bundle.finish({"runs": result.runs, "rendered": len(result.rendered),
                           "build_seconds": result.seconds}, "pass")
    return bundle.directory
