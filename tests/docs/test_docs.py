"""The docs stay honest: reference pages cover the real CLI, tasks and outputs, every
command shown in a ```bash block parses, links resolve, and the tutorial really runs.

Conventions the docs follow (and these tests rely on):
- Commands a reader should run go in ```bash blocks; transcripts (command plus output,
  including deliberately failing commands) go in ```text blocks.
- A ``# expect exit N`` comment line right before a command in a ```bash block says the
  command is meant to exit N (the tutorial's strict-mode demo); otherwise 0.
- docs/reference/cli.md has one section per command, headed ``## `hotpass <command>` ``
  (``## `hotpass` (group options)`` for the group's own options), and the same for the
  ``hotpass-enhanced`` entry point; docs/reference/tasks.md
  has one section per task headed ``## `invoke <task>` ``; docs/reference/outputs.md has a
  ``## ...`` section per workbook sheet (``*Sheet Name*``), for ``quality-report.json``,
  the archive and the input bundle, naming every column or key in backticks.
- docs/index.md links every page under docs/.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from hotpass.cli import main
from hotpass.cli.enhanced import main as enhanced_main
from hotpass.errors import HotpassError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CLI_REF = DOCS / "reference" / "cli.md"
CLI_REFS = (CLI_REF, DOCS / "reference" / "cli-operations.md")  # sections may be in either
TASKS_REF = DOCS / "reference" / "tasks.md"
TUTORIAL = DOCS / "tutorials" / "first-refine.md"
EXPECTED_PAGES = [
    "index.md",
    "tutorials/first-refine.md",
    "how-to/refine-a-folder.md",
    "how-to/write-a-profile.md",
    "how-to/handle-bad-input.md",
    "how-to/observe-runs.md",
    "how-to/orchestrate-with-prefect.md",
    "how-to/rehearse-a-backfill.md",
    "how-to/self-hosted-stack.md",
    "how-to/use-the-web-ui.md",
    "how-to/enrich-and-check-quality.md",
    "how-to/respond-to-an-incident.md",
    "how-to/rehearse-offline.md",
    "reference/cli.md",
    "reference/cli-operations.md",
    "how-to/bootstrap-an-environment.md",
    "how-to/reach-staging-through-a-bastion.md",
    "reference/tasks.md",
    "reference/profiles.md",
    "reference/outputs.md",
    "reference/dedupe.md",
    "explanation/architecture.md",
]


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class DocCommand:
    page: str
    line: int
    text: str  # the whole (continuation-joined) shell line
    expect_exit: int = 0

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.text}"


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def bash_lines(page: Path) -> list[DocCommand]:
    """Every shell line in the page's ```bash blocks, ``\\`` continuations joined."""
    commands: list[DocCommand] = []
    in_bash = False
    pending: list[str] = []
    start = 0
    expect = 0
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_bash = not in_bash and stripped[3:].strip() in ("bash", "sh", "shell")
            pending, expect = [], 0
            continue
        if not in_bash:
            continue
        if not pending:
            if not stripped:
                continue
            if stripped.startswith("#"):
                found = re.match(r"#\s*expect exit (\d+)", stripped)
                expect = int(found.group(1)) if found else expect
                continue
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(pending)
        commands.append(DocCommand(str(page.relative_to(ROOT)), start, text, expect))
        pending, expect = [], 0
    return commands


def segments(text: str) -> list[list[str]]:
    """The QA docs gate's splitter (one implementation), strict: a broken quote fails."""
    from hotpass.qa.surface import segments as split

    return split(text, strict=True)


def doc_invocations(program: str) -> list[tuple[DocCommand, list[str]]]:
    found = []
    for page in doc_pages():
        for command in bash_lines(page):
            for args in segments(command.text):
                if args[0] == program:
                    found.append((command, args[1:]))
    return found


def section(page: Path, heading: str) -> str:
    """The text of the ``## <heading>`` section of ``page`` (up to the next ``## ``)."""
    text = page.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}[ \t]*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{page.relative_to(ROOT)} has no section '## {heading}'"
    return match.group(1)


def mentions(text: str, word: str) -> bool:
    """``word`` appears in ``text`` as a whole token (``--json`` not inside ``--json-x``)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def run(*command: str, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTPASS_")}
    return subprocess.run(list(command), capture_output=True, text=True, cwd=cwd,
                          env={**clean, **(env or {})}, timeout=timeout)


# --------------------------------------------------------------------------- click


PROGRAMS = {"hotpass": main, "hotpass-enhanced": enhanced_main}


def click_commands() -> dict[str, click.Command]:
    """Every command path (``hotpass``, ``hotpass refine``, ``hotpass-enhanced deploy``,
    ...) -> its click command."""
    found: dict[str, click.Command] = {}

    def walk(prefix: str, command: click.Command) -> None:
        found[prefix] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}", sub)

    for program, group in PROGRAMS.items():
        walk(program, group)
    return found


def option_names(command: click.Command) -> list[str]:
    ctx = click.Context(command, info_name=command.name)
    names: list[str] = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            names.extend([*param.opts, *param.secondary_opts])
    return names


def parse_hotpass(args: list[str], program: str = "hotpass") -> None:
    """Parse ``hotpass ARGS`` (or ``hotpass-enhanced ARGS``) with click all the way down,
    running nothing (the QA docs gate's parser: one implementation)."""
    from hotpass.cli import programs
    from hotpass.qa.surface import parse_click

    parse_click(programs(), program, args)


# --------------------------------------------------------------------------- invoke


@dataclass(frozen=True)
class Flag:
    names: tuple[str, ...]
    takes_value: bool


def _flags_from_help(help_text: str) -> list[Flag]:
    """Options of an ``invoke --help`` screen: ``-i STRING, --input-dir=STRING  text``."""
    flags: list[Flag] = []
    in_options = False
    for line in help_text.splitlines():
        if re.match(r"^(Options|Core options):", line):
            in_options = True
            continue
        if in_options and line and not line.startswith(" "):
            in_options = False
        match = re.match(r"^  (-\S.*?)(?:\s{2,}|$)", line) if in_options else None
        if not match:
            continue
        names, takes_value = [], False
        for item in match.group(1).split(", "):
            item = re.sub(r"\s*\[=?[^\]]*\]", "", item)  # optional value: -l [STRING]
            name, _, value = item.replace("=", " ").partition(" ")
            names.append(name)
            takes_value = takes_value or bool(value.strip())
        flags.append(Flag(tuple(names), takes_value))
    return flags


@functools.cache
def invoke_tasks() -> tuple[str, ...]:
    result = run("invoke", "--list", "--list-format=flat")
    assert result.returncode == 0, result.stderr
    # Task lines are indented two spaces; wrapped docstrings are indented further.
    return tuple(re.findall(r"^  (\S+)", result.stdout, re.M))


@functools.cache
def task_flags(task: str) -> tuple[Flag, ...]:
    result = run("invoke", "--help", task)
    assert result.returncode == 0, result.stderr
    return tuple(_flags_from_help(result.stdout))


@functools.cache
def core_flags() -> tuple[Flag, ...]:
    result = run("invoke", "--help")
    assert result.returncode == 0, result.stderr
    return tuple(_flags_from_help(result.stdout))


@functools.cache
def task_positionals(task: str) -> tuple[str, ...]:
    """Arguments ``invoke TASK`` takes without a flag (Invoke: those with no default)."""
    probe = f"import tasks; print(' '.join(tasks.ns[{task!r}].positional))"
    result = run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    return tuple(result.stdout.split())


def check_invoke(args: list[str]) -> list[str]:
    """Problems with ``invoke ARGS``: unknown tasks or flags a task does not have."""
    problems: list[str] = []
    tasks = set(invoke_tasks())
    current: str | None = None  # None: still in invoke's core options
    flags = {name: flag for flag in core_flags() for name in flag.names}
    expect_value = may_be_value = False
    positional: list[str] = []  # the current task's positional arguments not yet given
    for token in args:
        if expect_value:
            expect_value = False
            continue
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            flag = flags.get(name) or flags.get(name.replace("--no-", "--", 1))
            if flag is None:
                problems.append(f"{name} is not a flag of {current or 'invoke'}")
            else:
                expect_value = flag.takes_value and "=" not in token
                # --help shows no placeholder for some kinds (float): allow a value.
                may_be_value = not flag.takes_value and "=" not in token
            continue
        if token not in tasks:
            if positional and not may_be_value:
                positional.pop(0)  # `invoke stack.logs SERVICE`
            elif not may_be_value:
                problems.append(f"{token!r} is not a task (invoke --list)")
            may_be_value = False
            continue
        may_be_value = False
        current = token
        flags = {name: flag for flag in task_flags(token) for name in flag.names}
        positional = list(task_positionals(token))
    if current is None and not any(a.startswith(("-l", "--list", "-h", "--help"))
                                   for a in args):
        problems.append("no task named")
    return problems


# --------------------------------------------------------------------------- tests


def test_every_page_exists_and_the_index_links_them():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in EXPECTED_PAGES:
        assert (DOCS / page).is_file(), f"docs/{page} is missing"
    for page in doc_pages():
        name = page.relative_to(DOCS).as_posix()
        if name != "index.md":
            assert f"({name})" in index, f"docs/index.md does not link {name}"


def _anchors(page: Path) -> set[str]:
    """GitHub-style heading anchors of a page."""
    slugs = set()
    for heading in re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs


def test_relative_links_resolve():
    broken = []
    for page in doc_pages():
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
            if re.match(r"^[a-z]+:", target) or not (target or anchor):
                continue
            path = (page.parent / target) if target else page
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{page.relative_to(ROOT)} -> {target}#{anchor}")
    assert not broken, broken


def test_cli_reference_covers_every_command_and_option():
    missing = []
    for path, command in click_commands().items():
        heading = f"`{path}` (group options)" if path in PROGRAMS else f"`{path}`"
        if isinstance(command, click.Group) and path not in PROGRAMS:
            heading = f"`{path}` (group)"
        text = section(_page_with(heading), heading)
        for option in option_names(command):
            if not mentions(text, option):
                missing.append(f"{path} {option}")
    assert not missing, f"not in docs/reference/cli.md: {missing}"


def _page_with(heading: str) -> Path:
    """The CLI reference page that has ``## <heading>`` (cli.md when none has)."""
    for page in CLI_REFS:
        if re.search(rf"^## {re.escape(heading)}[ \t]*$", page.read_text(encoding="utf-8"),
                     re.M):
            return page
    return CLI_REF


def test_cli_reference_lists_exit_codes_and_environment():
    text = "\n".join(page.read_text(encoding="utf-8") for page in CLI_REFS)
    for code in ("0", "1", "2"):
        assert re.search(rf"^\| {code} \|", section(CLI_REF, "Exit codes"), re.M), code
    settings = (ROOT / "hotpass" / "settings.py").read_text(encoding="utf-8")
    for variable in sorted(set(re.findall(r"HOTPASS_[A-Z_]+[A-Z]", settings))):
        assert mentions(text, variable), variable


def test_tasks_reference_covers_every_task_and_flag():
    tasks = invoke_tasks()
    assert tasks, "invoke --list shows no tasks"
    missing = []
    for task in tasks:
        text = section(TASKS_REF, f"`invoke {task}`")
        for flag in task_flags(task):
            for name in flag.names:
                if not mentions(text, name):
                    missing.append(f"{task} {name}")
    assert not missing, f"not in docs/reference/tasks.md: {missing}"


def test_tasks_reference_covers_the_makefile():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][\w-]*):", makefile, re.M)
    assert targets
    text = TASKS_REF.read_text(encoding="utf-8")
    for target in targets:
        assert f"make {target}" in text, f"make {target} is not in docs/reference/tasks.md"


def test_docs_show_commands_at_all():
    assert len(doc_invocations("hotpass")) >= 10
    assert doc_invocations("invoke")
    assert doc_invocations("hotpass-enhanced")


@pytest.mark.parametrize(("program", "command", "args"),
                         [(program, command, args) for program in PROGRAMS
                          for command, args in doc_invocations(program)],
                         ids=lambda v: str(v) if isinstance(v, DocCommand) else "")
def test_every_hotpass_command_in_the_docs_parses(program, command, args):
    try:
        parse_hotpass(args, program)
    except click.exceptions.Exit as exc:  # --help / --version: parsed, then exits
        assert exc.exit_code == 0, str(command)
    except click.UsageError as exc:
        pytest.fail(f"{command}\n  {exc.format_message()}")


@pytest.mark.parametrize(("command", "args"), doc_invocations("invoke"),
                         ids=lambda v: str(v) if isinstance(v, DocCommand) else "")
def test_every_invoke_command_in_the_docs_names_real_tasks_and_flags(command, args):
    problems = check_invoke(args)
    assert not problems, f"{command}: {problems}"


def test_the_parse_check_catches_mistakes():
    with pytest.raises(click.UsageError):
        parse_hotpass(["refine", "--input-folder", "data"])
    with pytest.raises(HotpassError, match="--since 2024-13-01"):  # one line, no usage
        parse_hotpass(["refine", "--since", "2024-13-01"])
    with pytest.raises(click.UsageError):
        parse_hotpass(["rerun"])
    with pytest.raises(click.UsageError):
        parse_hotpass(["deploy", "--profile", "aviation"], "hotpass-enhanced")
    parse_hotpass(["deploy", "--name", "n", "--concurrency-limit", "1"], "hotpass-enhanced")
    assert check_invoke(["refine", "--no-such-flag"])
    assert check_invoke(["no.such.task"])
    assert not check_invoke(["refine", "--profile", "aviation", "--archive"])
    assert not check_invoke(["--list", "--list-format=flat"])
    assert not check_invoke(["--help", "data.sample"])
    assert not check_invoke(["lint", "test", "-k", "docs"])
    assert segments('A=1 hotpass refine --json > s.json && cd x | invoke lint 2>&1') == [
        ["hotpass", "refine", "--json"], ["cd", "x"], ["invoke", "lint"]]
    assert segments("hotpass version 2>/dev/null >> log") == [["hotpass", "version"]]


# --------------------------------------------------------------------------- tutorial


def tutorial_commands() -> list[DocCommand]:
    return bash_lines(TUTORIAL)


def _tutorial_workspace(tmp_path: Path) -> Path:
    work = tmp_path / "clone"
    work.mkdir()
    data = ROOT / "data"
    assert data.is_dir() and any(data.iterdir()), "data/ holds no sample inputs"
    shutil.copytree(data, work / "data")
    shutil.copytree(ROOT / "profiles", work / "profiles")
    return work


@pytest.mark.integration
def test_the_tutorial_runs(tmp_path):
    work = _tutorial_workspace(tmp_path)
    commands = tutorial_commands()
    refines = [(c, args) for c in commands for args in segments(c.text)
               if args[:2] == ["hotpass", "refine"]]
    assert refines, "the tutorial runs no hotpass refine"
    assert any("--archive" in args for _, args in refines)
    for command, args in refines:
        result = run(sys.executable, "-m", "hotpass.cli", *args[1:], cwd=work)
        assert result.returncode == command.expect_exit, (
            f"{command}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}")
        if command.expect_exit == 0 and "--json" in args:
            assert json.loads(result.stdout)["totals"]["records_out"] > 0
        if command.expect_exit:
            assert result.stderr.startswith("hotpass: error: "), result.stderr

    verify = [c for c in commands if "sha256sum -c" in c.text]
    assert verify, "the tutorial does not verify the archive"
    for command in verify:
        result = run("bash", "-c", f"set -euo pipefail; {command.text}", cwd=work)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert ": OK" in result.stdout and "FAILED" not in result.stdout

    text = TUTORIAL.read_text(encoding="utf-8")
    named = sorted({p.rstrip(".,:;)") for p in re.findall(r"\bdist/[\w./-]+", text)})
    assert named
    # A dated name (hotpass-inputs-20261121.zip) matches whatever day the test runs on.
    absent = [p for p in named if not list(work.glob(re.sub(r"\d{8}", "[0-9]" * 8, p)))]
    assert not absent, f"the tutorial names outputs that the run did not create: {absent}"


# --------------------------------------------------------------------------- outputs


OUTPUTS_REF = DOCS / "reference" / "outputs.md"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """One real refine of the bundled data with --archive (outputs in ``<tmp>/dist``)."""
    work = _tutorial_workspace(tmp_path_factory.mktemp("outputs"))
    result = run(sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", "data",
                 "--output-path", "dist/refined.xlsx", "--archive", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    (work / "summary.json").write_text(result.stdout, encoding="utf-8")
    return work


def _section_with(page: Path, needle: str) -> str:
    text = page.read_text(encoding="utf-8")
    headings = [m for m in re.finditer(r"^## .*$", text, re.M) if needle in m.group()]
    assert headings, f"{page.relative_to(ROOT)} has no '## ...{needle}...' section"
    start = headings[0].end()
    following = re.search(r"^## ", text[start:], re.M)
    return text[start:start + following.start()] if following else text[start:]


def _undocumented(names, text: str) -> list[str]:
    return [name for name in names if f"`{name}`" not in text]


@pytest.mark.integration
def test_outputs_reference_names_every_file_sheet_and_column(real_run):
    from python_calamine import CalamineWorkbook

    dist = real_run / "dist"
    whole = OUTPUTS_REF.read_text(encoding="utf-8")
    files = sorted(re.sub(r"\d{8}(?=\.zip$)", "YYYYMMDD", str(p.relative_to(dist)))
                   .replace("refined", "NAME") for p in dist.rglob("*")
                   if p.is_file() and ".refined.runs" not in p.parts)
    runs = [p.name for p in (dist / ".refined.runs").iterdir()]
    assert sorted(runs) == sorted(["current", os.readlink(dist / ".refined.runs" / "current")])
    files += [".NAME.runs/RUN-ID/", ".NAME.runs/current"]
    assert not _undocumented(files, whole), files
    book = CalamineWorkbook.from_path(str(dist / "refined.xlsx"))
    for sheet in book.sheet_names:
        header = book.get_sheet_by_name(sheet).to_python()[0]
        text = _section_with(OUTPUTS_REF, f"*{sheet}*")
        assert not _undocumented(header, text), f"sheet {sheet}: {header}"


@pytest.mark.integration
def test_outputs_reference_names_every_report_and_manifest_key(real_run):
    import zipfile

    dist = real_run / "dist"
    report = json.loads((dist / "quality-report.json").read_text(encoding="utf-8"))
    merged = report["dedupe"]["near_threshold"]["merged"]
    keys = [*report, *report["totals"], *report["totals"]["issues"], *report["sources"][0],
            *report["sample_issues"][0], *report["dedupe"], *report["dedupe"]["near_threshold"],
            *merged[0]]
    assert not _undocumented(keys, _section_with(OUTPUTS_REF, "quality-report.json")), keys
    with zipfile.ZipFile(dist / "refined-bundle.zip") as bundle:
        members = bundle.namelist()
        manifest = json.loads(bundle.read("manifest.json"))
    archive = _section_with(OUTPUTS_REF, "archive")
    keys = [*manifest, *manifest["row_counts"], *manifest["inputs"][0],
            *manifest["outputs"][0], "SHA256SUMS", "manifest.json"]
    assert not _undocumented(keys, archive), keys
    assert {"manifest.json", "SHA256SUMS"} <= set(members)
    bundles = list((dist / "input-archives").glob("hotpass-inputs-*.zip"))
    assert len(bundles) == 1, bundles
    with zipfile.ZipFile(bundles[0]) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    text = _section_with(OUTPUTS_REF, "input bundle")
    keys = [*manifest, *manifest["inputs"][0]]
    assert not _undocumented(keys, text), keys


@pytest.mark.integration
def test_cli_reference_names_every_json_summary_key(real_run):
    summary = json.loads((real_run / "summary.json").read_text(encoding="utf-8"))
    text = section(CLI_REF, "`hotpass refine`")
    keys = [*summary, *(f"totals.{k}" for k in summary["totals"]), *summary["outputs"],
            *summary["stage_seconds"]]
    missing = [k for k in keys if k not in text.replace(", `.", ", `totals.")]
    assert not missing, missing


# --------------------------------------------------------------------------- Prefect down


def _down_examples() -> list[tuple[str, str, str]]:
    """(page, command, shown output) for every documented command run with the Prefect
    API down (``PREFECT_API_URL=http://127.0.0.1:9/api``: nothing listens on port 9)."""
    pattern = re.compile(r"```bash\n(?P<cmd>[^\n]*127\.0\.0\.1:9/api[^\n]*)\n```\s*"
                         r"```text\n(?P<out>.*?)```", re.S)
    return [(str(page.relative_to(ROOT)), m["cmd"], m["out"]) for page in doc_pages()
            for m in pattern.finditer(page.read_text(encoding="utf-8"))]


@pytest.mark.integration
@pytest.mark.parametrize(("page", "command", "shown"), _down_examples(),
                         ids=[f"{p}: {c[:60]}" for p, c, _ in _down_examples()])
def test_documented_commands_with_the_prefect_api_down_print_what_is_shown(
        tmp_path, page, command, shown):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HOTPASS_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PATH=os.pathsep.join(
        [str(Path(sys.executable).parent), env.get("PATH", "")]))
    work = _tutorial_workspace(tmp_path)  # the manifests are found in the package's repo
    result = run("bash", "-c", command, cwd=work, env=env)
    assert result.stdout + result.stderr == shown, f"{page}: {command}"
    assert sorted(p.name for p in work.iterdir()) == ["data", "profiles"]  # wrote nothing
