"""docs/explanation/architecture.md stays true: the import contracts in pyproject.toml
(import-linter's ``lint-imports``) pass on the code, they go red when an import breaks the
stated layers (checked on a copy with one import added against the arrows), and the
page's import picture and its floor count (the longest chain of imports between modules)
are those of today's code.

Regenerate both after moving an import: ``python -m tests.docs.test_architecture``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "explanation" / "architecture.md"
BEGIN, END = "<!-- import-graph:begin -->", "<!-- import-graph:end -->"
FLOORS_BEGIN, FLOORS_END = "<!-- floors:begin -->", "<!-- floors:end -->"
MAX_FLOORS = 17  # the longest chain may not grow back (20 when first measured)


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import "
                           "lint_imports_command; lint_imports_command()", "--no-cache"],
                          capture_output=True, text=True, cwd=root, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})


def layers() -> list[list[str]]:
    """The layers contract, top first: each a list of ``hotpass.<part>`` names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    return [re.split(r"\s*[|:]\s*", layer) for layer in contract["layers"]]


def import_graph() -> str:
    """A Mermaid picture: one node per layer member, one arrow per direct import between
    members (``hotpass.refine --> hotpass.observability``), layers top to bottom."""
    import grimp

    graph = grimp.build_graph("hotpass")
    rows = layers()
    members = [name for row in rows for name in row]
    lines = ["```mermaid", "flowchart TD"]
    for number, row in enumerate(rows, 1):
        lines.append(f'    subgraph L{number}["layer {number}"]')
        lines += [f"        {name.removeprefix('hotpass.')}" for name in row]
        lines.append("    end")
    for importer in members:
        for imported in members:
            if importer != imported and graph.direct_import_exists(
                    importer=importer, imported=imported, as_packages=True):
                lines.append(f"    {importer.removeprefix('hotpass.')} --> "
                             f"{imported.removeprefix('hotpass.')}")
    lines.append("```")
    return "\n".join(lines)


def floors() -> list[list[str]]:
    """The longest chain of imports between ``hotpass`` modules, top first (grimp's graph:
    every import, a lazy one inside a function too). An import cycle is one floor (its
    modules stand on each other), so each floor is a sorted list of module names."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("hotpass")
    imports = nx.DiGraph()
    for module in sorted(graph.modules):  # sorted throughout: the same chain on every run
        imports.add_node(module)
        imports.add_edges_from((module, imported) for imported in
                               sorted(graph.find_modules_directly_imported_by(module)))
    storeys = nx.condensation(imports)
    order = nx.lexicographical_topological_sort(
        storeys, key=lambda node: min(storeys.nodes[node]["members"]))
    return [sorted(storeys.nodes[node]["members"])
            for node in nx.dag_longest_path(storeys, topo_order=list(order))]


def floors_text() -> str:
    chain = floors()
    names = " -> ".join(" : ".join(m.removeprefix("hotpass.") for m in floor) for floor in chain)
    return f"**{len(chain)} floors**: `{names}`"


def _between(begin: str, end: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def page_graph() -> str:
    return _between(BEGIN, END)


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_import_against_the_layers_breaks_the_contract(tmp_path):
    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy)
    shutil.copytree(ROOT / "hotpass", copy / "hotpass",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "hotpass" / "refine" / "summary.py"  # refine reaching up to the CLI
    target.write_text(target.read_text() + "\n\ndef _upwards():\n"
                      "    from hotpass.cli import kit\n\n    return kit\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "hotpass.refine is not allowed to import hotpass.cli" in result.stdout


def test_every_top_level_part_is_in_a_layer():
    stated = {name for row in layers() for name in row}
    parts = {f"hotpass.{p.stem if p.is_file() else p.name}"
             for p in (ROOT / "hotpass").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__")
             or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == stated


def test_the_page_shows_todays_import_graph():
    assert page_graph() == import_graph(), (
        "the import picture is stale: run `python -m tests.docs.test_architecture`")


def test_the_house_is_no_taller_than_stated():
    shown = floors_text()
    print(shown)
    assert len(floors()) <= MAX_FLOORS, shown
    assert _between(FLOORS_BEGIN, FLOORS_END) == shown, (
        "the floor count is stale: run `python -m tests.docs.test_architecture`")


def _rewrite(text: str, begin: str, end: str, body: str) -> str:
    before, rest = text.split(begin, 1)
    return f"{before}{begin}\n{body}\n{end}{rest.split(end, 1)[1]}"


if __name__ == "__main__":
    text = _rewrite(PAGE.read_text(encoding="utf-8"), BEGIN, END, import_graph())
    PAGE.write_text(_rewrite(text, FLOORS_BEGIN, FLOORS_END, floors_text()), encoding="utf-8")
    print(f"wrote the import picture into {PAGE.relative_to(ROOT)}: {floors_text()}")
