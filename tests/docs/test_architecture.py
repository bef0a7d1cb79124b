"""docs/explanation/architecture.md stays true: the import contracts in pyproject.toml
(import-linter's ``lint-imports``) pass on the code, they go red when an import breaks the
stated layers (checked on a copy with one import added against the arrows), and the
page's import picture is the graph of today's code.

Regenerate the picture after moving an import: ``python -m tests.docs.test_architecture``.
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


def page_graph() -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


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


if __name__ == "__main__":
    text = PAGE.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    PAGE.write_text(f"{before}{BEGIN}\n{import_graph()}\n{END}{rest.split(END, 1)[1]}",
                    encoding="utf-8")
    print(f"wrote the import picture into {PAGE.relative_to(ROOT)}")
