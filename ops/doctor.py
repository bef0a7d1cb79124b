"""Doctor task: ``invoke doctor`` is ``hotpass doctor`` (checks; ``--autofix`` is the
Autofix procedure)."""

from __future__ import annotations

from ops.adapter import hotpass, task


@task(iterable=["profile_search_path"], help={
    "profile": "Profile to validate (default HOTPASS_PROFILE or generic).",
    "profile_search_path": "Folder to look for profiles in first (repeatable).",
    "target": "Environment whose .env.<target> is checked: local, staging or prod.",
    "autofix": "Apply the safe fixes, then check again.",
    "json": "Print the checks as JSON.",
    "dry_run": "With --autofix: print the fixes it would apply; change nothing.",
})
def doctor(c, profile="", profile_search_path=None, target="local", autofix=False,
           json=False, dry_run=False):
    """Check Python, extras, profile, folders, env file, Prefect and workers, tunnels."""
    words = ["doctor", "--target", target]
    words += ["--profile", profile] if profile else []
    words += [w for p in profile_search_path or [] for w in ("--profile-search-path", p)]
    words += ["--autofix"] if autofix else []
    words += ["--json"] if json else []
    hotpass(c, words, dry_run=dry_run and autofix)
