"""The project's command surface, read the way a user meets it.

Contract: the caller hands in ``programs``, the click groups by program name
(``{"hotpass": ..., "hotpass-enhanced": ...}``, ``hotpass.cli.programs()``): the QA layer
reads the command surface it checks but never imports the CLI above it.
``click_commands(programs)`` maps every command path (``hotpass``, ``hotpass refine``,
``hotpass-enhanced deploy``) to its click command; ``parse_click(programs, program, args)``
parses a command line with click all the way down, running nothing (raises
``click.UsageError``).
``task_collection(root)`` loads the Invoke collection of ``root/tasks.py``;
``parse_invoke(collection, args)`` parses ``invoke ARGS`` with Invoke's own parser
(raises ``invoke.ParseError``). ``documented(docs_dir)`` lists the commands and tasks the
reference pages head a section with (``## `hotpass refine` ``, ``## `invoke refine` ``).
``fenced_commands(docs_dir)`` yields ``(page, line, program, args)`` for every ``hotpass``,
``hotpass-enhanced`` and ``invoke`` command in a ```bash block (``\\`` continuations
joined, ``&& || ; |`` split, leading ``VAR=value`` and ``uv run`` dropped, redirections
removed).

Pitfall: loading the collection puts ``root`` first on ``sys.path`` (Invoke's loader does).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PROGRAMS = ("hotpass", "hotpass-enhanced", "invoke")
_HEADING = re.compile(r"^## `((?:hotpass|hotpass-enhanced|invoke)(?: [^`]*)?)`", re.M)
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATORS = {"&&", "||", ";", "|"}
_REDIRECT = re.compile(r"(?<=\s)\d*(?:>>?|<)(?:&\d+|\s*[^\s;&|]+)")


def click_commands(programs: Mapping[str, Any]) -> dict[str, object]:
    found: dict[str, object] = {}

    def walk(prefix: str, command) -> None:
        found[prefix] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}", sub)

    for program, group in programs.items():
        walk(program, group)
    return found


def parse_click(programs: Mapping[str, Any], program: str, args: list[str]) -> None:
    import click

    group = programs[program]
    ctx = group.make_context(program, list(args))
    command = group
    while isinstance(command, click.Group):
        remaining = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        if not remaining:
            return
        name, command, rest = command.resolve_command(ctx, remaining)
        ctx = command.make_context(name, rest, parent=ctx)


def task_collection(root: Path):
    from invoke import Collection
    from invoke.loader import FilesystemLoader

    module, _ = FilesystemLoader(start=str(root)).load("tasks")
    return Collection.from_module(module)


def parse_invoke(collection, args: list[str]) -> None:
    from invoke import Program
    from invoke.parser import Parser

    program = Program(namespace=collection)
    Parser(initial=program.initial_context, contexts=collection.to_contexts()).parse_argv(args)


def documented(docs_dir: Path) -> list[str]:
    names = []
    for page in sorted((Path(docs_dir) / "reference").glob("*.md")):
        names += [m.group(1).split(" (")[0].strip() for m in
                  _HEADING.finditer(page.read_text(encoding="utf-8"))]
    return list(dict.fromkeys(names))


def fenced_commands(docs_dir: Path) -> Iterator[tuple[str, int, str, list[str]]]:
    docs_dir = Path(docs_dir)
    for page in sorted(docs_dir.rglob("*.md")):
        label = page.relative_to(docs_dir).as_posix()
        for line, text in _bash_lines(page):
            for args in segments(text):
                if args[:2] == ["uv", "run"]:
                    args = args[2:]
                if args and args[0] in PROGRAMS:
                    yield label, line, args[0], args[1:]


def _bash_lines(page: Path) -> Iterator[tuple[int, str]]:
    in_bash, pending, start = False, [], 0
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_bash = not in_bash and stripped[3:].strip() in ("bash", "sh", "shell")
            pending = []
            continue
        if not in_bash or (not pending and (not stripped or stripped.startswith("#"))):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        yield start, " ".join(pending)
        pending = []


def segments(text: str, *, strict: bool = False) -> list[list[str]]:
    """Split a shell line on ``&& || ; |`` into argument lists, env assignments and
    redirections dropped. An unclosed quote gives ``[]`` (not a line this gate can read),
    or the ``ValueError`` with ``strict`` (the docs tests want to see it)."""
    lexer = shlex.shlex(_REDIRECT.sub(" ", text), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token in _OPERATORS:
                parts.append([])
            else:
                parts[-1].append(token)
    except ValueError:
        if strict:
            raise
        return []
    result = []
    for args in parts:
        while args and _ENV.match(args[0]):
            args = args[1:]
        if args:
            result.append(args)
    return result
