"""Progress display: a rich progress bar on a terminal, silence otherwise.

Contract: ``terminal_progress(enabled)`` is a context manager yielding a callback
``(stage, done, total)`` or ``None``. It draws on stderr only when stderr is a TTY, so
pipes, CI logs and ``--json`` output stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def terminal_progress(enabled: bool = True) -> Iterator[object]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
