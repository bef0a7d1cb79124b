"""The CLI's adapter (``hotpass/cli/kit.py``, ``options.py``): commands print only through
it, settings-backed defaults say where they come from and take the setting's value, and
no command's ``--help`` loads settings, pandas or Prefect."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from hotpass.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "hotpass" / "cli"
ADAPTER = {"kit.py"}


def test_commands_print_only_through_the_kit():
    raw = []
    for path in sorted(CLI.glob("*.py")):
        if path.name in ADAPTER:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = (f"{getattr(func.value, 'id', '?')}.{func.attr}"
                        if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
                if name in {"click.echo", "click.secho", "print", "sys.stdout.write"}:
                    raw.append(f"{path.name}:{node.lineno}: {name}")
    assert raw == []


def test_settings_option_says_where_its_default_comes_from():
    result = CliRunner().invoke(main, ["refine", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for variable in ("HOTPASS_INPUT_DIR", "HOTPASS_OUTPUT_PATH", "HOTPASS_PROFILE",
                     "HOTPASS_TELEMETRY_ENABLED"):
        assert f"[default: from {variable}]" in text


def test_settings_option_takes_the_settings_value(tmp_path):
    """The profile named only in HOTPASS_PROFILE reaches the library (its error names it),
    and a flag wins over it."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")},
           "HOTPASS_PROFILE": "from-the-environment", "PYTHONPATH": str(ROOT)}

    def doctor(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "hotpass.cli", "doctor", "--json",
                                 *args], capture_output=True, text=True, cwd=tmp_path,
                                env=env, timeout=120)
        return result.stdout

    assert "from-the-environment" in doctor()
    flagged = doctor("--profile", "generic")
    assert "from-the-environment" not in flagged and "generic: valid" in flagged


def test_no_command_help_loads_settings_pandas_or_prefect():
    probe = ("import sys\n"
             "import click\n"
             "from hotpass.cli import main\n"
             "def leaves(group, path):\n"
             "    for name, command in group.commands.items():\n"
             "        if isinstance(command, click.Group):\n"
             "            yield from leaves(command, [*path, name])\n"
             "        else:\n"
             "            yield [*path, name]\n"
             "for words in leaves(main, []):\n"
             "    try:\n"
             "        main([*words, '--help'], standalone_mode=False)\n"
             "    except SystemExit:\n"
             "        pass\n"
             "heavy = [m for m in ('pandas', 'prefect', 'pydantic_settings') "
             "if m in sys.modules]\n"
             "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "--dry-run" in result.stdout  # the help texts were printed
