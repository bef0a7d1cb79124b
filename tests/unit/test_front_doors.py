"""Every default once: only the front doors load ``HotpassSettings``; the library takes the
settings (or the values) as parameters, and ``PREFECT_API_URL`` is resolved in one place.

An AST scan of ``hotpass/``, ``ops/`` and ``tasks.py``: a call of ``hotpass.settings.load``
(however imported) or a direct ``HotpassSettings(...)`` outside the front doors fails,
naming the file and line; so does reading the front door's installed loader anywhere but
``hotpass.evidence``, or Prefect's API URL anywhere but ``hotpass.orchestration.api``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONT_DOORS = {
    "hotpass/cli/kit.py",  # the CLI: kit.settings(), once per invocation
    "ops/adapter.py",  # the tasks: adapter.settings(), once per process
    "hotpass/orchestration/flows.py",  # the Prefect flow's entry, on the worker
    "ops/quality/run_qg3.py",  # the seed runbook's script
}
OWNER = "hotpass/settings.py"  # defines load() and builds the class in it
EVIDENCE = "hotpass/evidence/"
PREFECT_URL_OWNER = "hotpass/orchestration/api.py"


def sources() -> list[Path]:
    return sorted([*(ROOT / "hotpass").rglob("*.py"), *(ROOT / "ops").rglob("*.py"),
                   ROOT / "tasks.py"])


def loads_in(tree: ast.AST) -> list[int]:
    """Lines that call ``hotpass.settings.load`` or build ``HotpassSettings`` directly."""
    names = {"HotpassSettings"}
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hotpass.settings":
            names |= {alias.asname or alias.name for alias in node.names
                      if alias.name in ("load", "HotpassSettings")}
        elif isinstance(node, ast.ImportFrom) and node.module == "hotpass":
            modules |= {alias.asname or alias.name for alias in node.names
                        if alias.name == "settings"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        by_name = isinstance(func, ast.Name) and func.id in names
        by_module = (isinstance(func, ast.Attribute) and func.attr in ("load", "HotpassSettings")
                     and ast.unparse(func.value) in {"hotpass.settings", *modules})
        if by_name or by_module:
            lines.append(node.lineno)
    return lines


def imports_of(tree: ast.AST, module: str, name: str) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == module and any(a.name == name for a in node.names)]


def test_only_the_front_doors_load_the_settings():
    found = []
    for path in sources():
        relative = path.relative_to(ROOT).as_posix()
        if relative in FRONT_DOORS or relative == OWNER:
            continue
        found += [f"{relative}:{line}" for line in loads_in(ast.parse(path.read_text()))]
    assert found == [], ("settings loaded outside the front doors (take them as a "
                         f"parameter from the caller): {found}")


def test_each_front_door_loads_them():
    for door in FRONT_DOORS:
        assert loads_in(ast.parse((ROOT / door).read_text())), door


def test_only_the_evidence_reads_the_installed_loader():
    found = []
    for path in sources():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(EVIDENCE):
            found += [f"{relative}:{line}" for line in
                      imports_of(ast.parse(path.read_text()), "hotpass.front_door", "installed")]
    assert found == [], found


def test_prefect_api_url_is_resolved_in_one_place():
    readers = []
    for path in sources():
        text = path.read_text()
        for needle in ('environ.get("PREFECT_API_URL"', "PREFECT_API_URL.value()",
                       "get_current_settings().api.url"):
            if needle in text:
                readers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(readers)) == [PREFECT_URL_OWNER], readers


def test_the_scan_sees_every_spelling_of_a_load(tmp_path):
    spellings = ["from hotpass.settings import load\nload()\n",
                 "from hotpass.settings import load as load_settings\nload_settings()\n",
                 "import hotpass.settings\nhotpass.settings.load()\n",
                 "from hotpass import settings\nsettings.load()\n",
                 "from hotpass.settings import HotpassSettings\nHotpassSettings()\n"]
    for text in spellings:
        assert loads_in(ast.parse(text)) == [2], text
    assert loads_in(ast.parse("from hotpass.cli import kit\nkit.settings()\n")) == []
