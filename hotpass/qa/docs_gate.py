"""The ``docs`` gate: the reference covers the CLI and tasks, and every command parses.

Contract: ``check(context)`` fails when a ``hotpass``/``hotpass-enhanced`` command or an
Invoke task has no ``## `...` `` section in ``docs/reference/`` (the group itself
excepted), or when a command in a ```bash block of ``docs/`` does not parse against the
real CLI (click) or the real task collection (Invoke's parser). A line preceded by
``# expect exit N`` still has to parse.

Pitfall: only ```bash/```sh/```shell blocks are read; transcripts belong in ```text.
"""

from __future__ import annotations

from pathlib import Path

from hotpass.qa import surface
from hotpass.qa.model import GateResult


def check(context) -> GateResult:
    import click
    from invoke.exceptions import ParseError

    root, docs = Path(context.root), Path(context.docs)
    problems: list[str] = []
    documented = set(surface.documented(docs))
    if not context.programs:
        return GateResult(False, "no command surface was handed to the gate "
                          "(Context.programs is empty)", {"problems": ["no programs"]})
    commands = [c for c in surface.click_commands(context.programs) if " " in c]
    collection = surface.task_collection(root) if (root / "tasks.py").is_file() else None
    tasks = sorted(collection.task_names) if collection else []
    for name in [*commands, *(f"invoke {t}" for t in tasks)]:
        if name not in documented:
            problems.append(f"`{name}` has no section in docs/reference/")
    parsed = 0
    for page, line, program, args in surface.fenced_commands(docs):
        where = f"{page}:{line}: {program} {' '.join(args)}"
        try:
            if program == "invoke":
                if collection is None:
                    continue
                surface.parse_invoke(collection, args)
            else:
                surface.parse_click(context.programs, program, args)
            parsed += 1
        except (click.ClickException, ParseError) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else exc
            problems.append(f"{where} does not parse: {message}")
        except click.exceptions.Exit:
            parsed += 1  # --help / --version: parses, then exits
    details = {"commands_parsed": parsed, "problems": problems}
    if problems:
        return GateResult(False, f"{len(problems)} problem(s), e.g. {problems[0]}", details)
    return GateResult(True, f"reference covers every command and task; {parsed} documented "
                      "command lines parse", details)
