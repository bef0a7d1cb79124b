"""Where things are: the one owner of every path derived from the source checkout.

Contract: ``SOURCE_ROOT`` is the checkout (or installed source tree) holding ``hotpass/``;
every folder the project ships beside the package (``prefect/``, ``profiles/``,
``deploy/docker/``, ``evidence/``) is named here once and imported from here.

Pitfall: an installed wheel has no ``prefect/`` or ``deploy/`` beside it; callers that
need them check ``is_dir()`` and say "run from a Hotpass checkout".
"""

from __future__ import annotations

from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = SOURCE_ROOT / "pyproject.toml"
MANIFEST_DIR = SOURCE_ROOT / "prefect"
PROFILE_DIR = SOURCE_ROOT / "profiles"
STACK_DIR = SOURCE_ROOT / "deploy" / "docker"
COMPOSE_FILE = STACK_DIR / "docker-compose.yml"
DOCKERFILE = Path("deploy/docker/Dockerfile")  # relative: the image's build context is SOURCE_ROOT
EVIDENCE_SCHEMA_DIR = SOURCE_ROOT / "evidence"
# The environments a checkout serves: .env.<target>, Prefect profile hotpass-<target>,
# manifest overlays prefect/<target>. The first is the default.
TARGETS = ("local", "staging", "prod")
