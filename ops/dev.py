"""Developer tasks: tests and lint, as CI and the Makefile call them."""

from __future__ import annotations

from ops.adapter import run, task


@task(help={
    "k": "Only run tests matching this pytest -k expression.",
    "serial": "Run in one process instead of pytest -n auto.",
    "dry_run": "Print the command without running it.",
})
def test(c, k="", serial=False, dry_run=False):
    """Run the whole test suite (the README's test command)."""
    run(c, ["python", "-m", "pytest", *([] if serial else ["-n", "auto"]),
            *(["-k", k] if k else [])], dry_run=dry_run)


@task(help={
    "fix": "Apply ruff's safe fixes.",
    "dry_run": "Print the command without running it.",
})
def lint(c, fix=False, dry_run=False):
    """Lint the code with ruff."""
    run(c, ["ruff", "check", *(["--fix"] if fix else []), "hotpass", "ops", "tests",
            "tasks.py"], dry_run=dry_run)



@task(help={
    "k": "Only run tests matching this pytest -k expression.",
    "dry_run": "Print the commands without running them.",
})
def ci(c, k="", dry_run=False):
    """What CI runs: lint, the whole test suite, then the QA gates (``hotpass qa all``)."""
    lint(c, dry_run=dry_run)
    test(c, k=k, dry_run=dry_run)
    run(c, ["hotpass", "qa", "all", "--output", "dist/qa-report.json"], dry_run=dry_run)
