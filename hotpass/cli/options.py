"""Shared option bundles for ``hotpass`` commands (the sqlite-utils pattern).

Contract: each bundle is a decorator adding the same flags, with the same names and
help, to every command that takes them: ``target_option``, ``dry_run_option``,
``json_option`` (parameter ``as_json``), ``refine_options`` (``refine`` and
``orchestrate`` alike) and ``profile_option``. ``SettingsOption`` is an option whose
default is a ``HotpassSettings`` field: ``--help`` says "default: from HOTPASS_PROFILE"
(as Prefect's ``SettingsOption`` does), and the value the command receives is the flag
if given, else the setting, read from ``kit.settings()`` (one load per invocation).
Parameter names match the library's: ``profile``, ``profile_search_path``.

Pitfalls: nothing here imports pydantic, pandas or Prefect (``hotpass --help`` must stay
fast), so a setting's own default is stated in ``hotpass.settings`` only and the help
names the variable. ``--since`` is parsed here once, into a ``date``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hotpass.cli import kit
from hotpass.paths import TARGETS

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class SettingsOption(click.Option):
    """An option whose default is the setting ``setting`` (``HOTPASS_<SETTING>``)."""

    def __init__(self, *decls: str, setting: str, **kwargs: Any) -> None:
        self.setting = setting
        variable = "HOTPASS_" + setting.upper()
        kwargs["help"] = f"{kwargs.get('help', '')} [default: from {variable}]".strip()
        super().__init__(*decls, **kwargs)

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        if not call:  # --help: the text above says where the default comes from
            return None
        return getattr(kit.settings(), self.setting)


def bundle(*decorators: Decorator) -> Decorator:
    """Apply ``decorators`` in the order written (the first is the first flag in --help)."""

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def target_option(help: str = "Environment: local, staging or prod.") -> Decorator:
    return click.option("--target", type=click.Choice(TARGETS), default=TARGETS[0],
                        show_default=True, help=help)


def dry_run_option(help: str = "Print the plan; change nothing.") -> Decorator:
    return click.option("--dry-run", is_flag=True, help=help)


def json_option(help: str = "Print the result as one JSON document.") -> Decorator:
    return click.option("--json", "as_json", is_flag=True, help=help)


def profile_option(help: str = "Industry profile (generic, aviation, ...).") -> Decorator:
    return click.option("--profile", cls=SettingsOption, setting="profile", help=help)


def profile_search_path_option() -> Decorator:
    return click.option("--profile-search-path", "profile_search_path", multiple=True,
                        type=click.Path(path_type=Path),
                        help="Extra folder to look for <profile>.yaml in first (repeatable); "
                             "HOTPASS_PROFILE_SEARCH_PATH adds more after these.")


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from hotpass.refine.run import parse_since

    return parse_since(value)


def refine_options(*, archive_help: str, observability_help: str) -> Decorator:
    """The flags ``refine`` and ``orchestrate`` share (their values feed ``RefineOptions``)."""
    return bundle(
        click.option("--input-dir", cls=SettingsOption, setting="input_dir",
                     type=click.Path(path_type=Path),
                     help="Folder of workbooks (.xlsx, .xlsm, .csv, .parquet)."),
        click.option("--output-path", cls=SettingsOption, setting="output_path",
                     type=click.Path(path_type=Path),
                     help="Refined workbook to write (.xlsx); .csv, .parquet and the "
                          "quality report go beside it."),
        profile_option(),
        profile_search_path_option(),
        click.option("--archive", is_flag=True, help=archive_help),
        click.option("--since", callback=_since, metavar="YYYY-MM-DD",
                     help="Only read files modified on or after local midnight of this "
                          "date."),
        click.option("--enable-observability", cls=SettingsOption,
                     setting="telemetry_enabled", is_flag=True, help=observability_help),
    )
