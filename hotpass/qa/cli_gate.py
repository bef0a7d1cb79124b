"""The ``cli`` gate: every documented command and every Invoke task answers ``--help``.

Contract: ``check(context)`` runs ``--help`` in-process for every ``hotpass`` and
``hotpass-enhanced`` command (click's test runner, the real command objects) and for
every task of ``root/tasks.py`` (Invoke's own ``Program``, output captured), and for each
command or task the reference pages document (``surface.documented``): a documented one
that does not exist fails too. A help screen must exit 0 and start with ``Usage:``.

Pitfall: without a checkout (``tasks.py`` absent) the tasks are reported as not checked
and the gate fails: the runbooks need them.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hotpass.qa import surface
from hotpass.qa.model import GateResult


def _click_help(programs, path: str) -> str | None:
    from click.testing import CliRunner

    program, *args = path.split()
    result = CliRunner().invoke(programs[program], [*args, "--help"])
    if result.exit_code != 0 or not result.output.lstrip().startswith("Usage:"):
        return f"{path} --help: exit {result.exit_code}: {result.output.strip()[:120]}"
    return None


def _task_help(root: Path, task: str) -> str | None:
    from invoke import Program

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            Program(name="invoke", binary="invoke").run(
                ["invoke", "--search-root", str(root), "--help", task], exit=False)
    except (SystemExit, Exception) as exc:
        return f"invoke --help {task}: {type(exc).__name__}: {exc}"
    if not out.getvalue().lstrip().startswith("Usage:"):
        return f"invoke --help {task}: no usage screen"
    return None


def check(context) -> GateResult:
    root = Path(context.root)
    if not context.programs:
        return GateResult(False, "no command surface was handed to the gate "
                          "(Context.programs is empty)", {"problems": ["no programs"]})
    commands = surface.click_commands(context.programs)
    problems = [p for p in (_click_help(context.programs, c) for c in commands) if p]
    tasks: list[str] = []
    if (root / "tasks.py").is_file():
        tasks = sorted(surface.task_collection(root).task_names)
        problems += [p for p in (_task_help(root, t) for t in tasks) if p]
    else:
        problems.append(f"{root}: no tasks.py: the Invoke tasks cannot be checked")
    for name in surface.documented(context.docs):
        program, _, rest = name.partition(" ")
        if program == "invoke":
            if rest not in tasks:
                problems.append(f"documented `{name}` is not a task")
        elif name not in commands:
            problems.append(f"documented `{name}` is not a command")
    details = {"commands": len(commands), "tasks": len(tasks), "problems": problems}
    if problems:
        return GateResult(False, f"{len(problems)} problem(s), e.g. {problems[0]}", details)
    return GateResult(True, f"{len(commands)} commands and {len(tasks)} tasks answer --help",
                      details)
