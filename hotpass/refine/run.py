"""One refine run, composed once for ``hotpass refine``, ``hotpass orchestrate`` and the
Prefect flow: options, input selection, incremental reuse, telemetry and lineage.

Contract:
- ``parse_since(value)``: ``YYYY-MM-DD`` (or a date) -> ``date``; anything else is one
  ``HotpassError`` naming ``--since``. Everywhere, ``since`` means the inputs modified
  at or after 00:00 local time that day. A full run reads only those and publishes
  them (``refine --since``); over an already published set it refuses unless
  ``partial`` (``--partial``), so a subset never silently replaces the full set. An
  incremental run reads those again whatever its checkpoint says and still publishes
  every input (a resume from that date).
- ``refine_options(..., settings=...)``: flags over the front door's ``HotpassSettings``
  (input folder, ``.xlsx`` output, profile, profile search path = flags then
  ``HOTPASS_PROFILE_SEARCH_PATH``, merged here once); ``since`` arrives parsed (the door
  calls ``parse_since``). The ``RefineOptions`` it returns go on unchanged, to the flow
  too.
- ``plan_run(options, settings, incremental=...)``: loads the profile, unpacks an input bundle
  given as the input folder (a backfill replay), selects the inputs. ``incremental``:
  inputs modified since the checkpoint's start time (or ``since``), or new to the
  checkpoint, are ``fresh``; the others come from the prepared cache (a miss is prepared
  again); ``unchanged`` when nothing is fresh and the input set is the checkpoint's.
- ``execute(plan, prepare_many, publish=...)``: prepares the fresh inputs
  (``prepare_many``: the local process pool, or the flow's tasks), caches them, then
  ``publish_run`` consolidates *every* input, publishes like ``hotpass refine`` and, for
  incremental runs, records the checkpoint and prunes the cache.
- ``run(options, settings, ...)`` does it all inside ``observe_refine`` (telemetry when
  asked or ``HOTPASS_TELEMETRY_ENABLED``; lineage when OpenLineage is configured) and returns
  ``(plan, result)``; ``result`` is ``None`` for an unchanged incremental run, which
  writes nothing. Before any work it checks the output path (``refine.preflight``) and
  the free disk space, then holds the output folder's lock (``options.wait`` waits for
  it) from before ingest to after the publish; SIGTERM/SIGINT stop it cleanly
  (``refine.signals``). ``preflight`` runs the checks that must fail before Prefect
  starts.

Pitfalls: the checkpoint is the run's *start* time, so a file saved while the run read
the others is picked up next time. A ``.zip`` input folder is unpacked into a temporary
folder that ``run`` removes when the run ends (after lineage has read the files).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.refine import incremental as cache
from hotpass.refine.model import PreparedSource, RefineOptions, RefineResult
from hotpass.refine.stages import StageClock

PrepareMany = Callable[[list[Path], Path, Any], list[PreparedSource]]


def parse_since(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise HotpassError(f"--since {value}: not a date like 2024-11-01") from None


def since_cutoff(since: dt.date) -> float:
    """00:00 local time on ``since`` as a timestamp (the same cutoff ``refine`` uses)."""
    return dt.datetime.combine(since, dt.time.min).timestamp()


def refine_options(*, settings: Any, input_dir: Path | str | None = None,
                   output_path: Path | str | None = None, profile: str | None = None,
                   profile_search_path: tuple[Path, ...] = (), archive: bool = False,
                   since: dt.date | None = None, strict: bool = False, wait: bool = False,
                   partial: bool = False) -> RefineOptions:
    """Flags over ``settings`` (the front door's ``HotpassSettings``)."""
    output = Path(output_path or settings.output_path)
    if output.suffix.lower() != ".xlsx":
        raise HotpassError(f"--output-path {output}: must end in .xlsx")
    return RefineOptions(
        input_dir=Path(input_dir or settings.input_dir), output_path=output,
        profile=profile or settings.profile,
        # flags first, then HOTPASS_PROFILE_SEARCH_PATH; once each, here only
        profile_search_path=tuple(dict.fromkeys(
            [Path(p) for p in profile_search_path] + list(settings.profile_search_path))),
        archive=archive, since=since, strict=strict, wait=wait, partial=partial)


@dataclass
class RunPlan:
    options: RefineOptions
    settings: Any  # the front door's HotpassSettings (the archive upload reads its S3 ones)
    profile: Any  # hotpass.profiles.Profile
    inputs: list[Path]
    fresh: list[Path]
    reused: dict[Path, PreparedSource] = field(default_factory=dict)
    keys: dict[Path, str] = field(default_factory=dict)
    incremental: bool = False
    checkpoint: cache.Checkpoint | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    staged: Any = None  # the locked StagedRun publish writes into (hotpass.refine.output.staging)

    @property
    def unchanged(self) -> bool:
        return (self.incremental and self.checkpoint is not None and not self.fresh
                and set(self.checkpoint.inputs) == {self.label(p) for p in self.inputs})

    def label(self, path: Path) -> str:
        root = self.options.input_dir
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def is_bundle(input_dir: Path) -> bool:
    return Path(input_dir).suffix.lower() == ".zip"


def resolve_input_dir(input_dir: Path, scratch: Path | None) -> Path:
    """A folder as is; a ``.zip`` input bundle unpacked (checksums verified) to scratch."""
    input_dir = Path(input_dir)
    if not is_bundle(input_dir):
        return input_dir
    from hotpass.refine.output.replay import extract_input_bundle

    if not input_dir.is_file():
        raise HotpassError(f"--input-dir {input_dir}: no such input bundle")
    if scratch is None:
        raise HotpassError(f"--input-dir {input_dir}: an input bundle needs a scratch folder")
    return extract_input_bundle(input_dir, Path(scratch) / input_dir.stem)


def plan_run(options: RefineOptions, settings: Any, *, incremental: bool = False,
             scratch: Path | None = None) -> RunPlan:
    from hotpass.profiles import load_profile
    from hotpass.refine.ingest.files import discover_inputs
    from hotpass.refine.preflight import own_outputs_excluded

    started_at = dt.datetime.now(dt.UTC)
    profile = load_profile(options.profile, options.profile_search_path)
    options = options.model_copy(
        update={"input_dir": resolve_input_dir(options.input_dir, scratch)})
    # An incremental run publishes every input; a run never reads its own outputs.
    inputs = own_outputs_excluded(
        discover_inputs(options.input_dir, None if incremental else options.since),
        options.output_path)
    if not inputs:
        raise HotpassError(f"--input-dir {options.input_dir}: holds only the outputs of "
                           f"earlier runs into {options.output_path.parent}")
    if not incremental:
        _refuse_partial_over_full(options, inputs)
        return RunPlan(options, settings, profile, inputs, list(inputs), started_at=started_at)
    plan = RunPlan(options, settings, profile, inputs, [], incremental=True,
                   started_at=started_at)
    plan.checkpoint = cache.read_checkpoint(options.output_path)
    fingerprint = cache.profile_fingerprint(profile)
    seen = set(plan.checkpoint.inputs) if plan.checkpoint else set()
    cutoff = (since_cutoff(options.since) if options.since else
              plan.checkpoint.last_success.timestamp() if plan.checkpoint else None)
    for path in inputs:
        plan.keys[path] = cache.cache_key(path, plan.label(path), fingerprint)
        touched = cutoff is None or path.stat().st_mtime >= cutoff or \
            (plan.checkpoint is not None and plan.label(path) not in seen)
        hit = None if touched else cache.load(options.output_path, plan.keys[path])
        if hit is None:
            plan.fresh.append(path)
        else:
            plan.reused[path] = hit
    return plan


def _refuse_partial_over_full(options: RefineOptions, inputs: list[Path]) -> None:
    """``--since`` without ``--partial`` never replaces a published set with a subset."""
    from hotpass.refine.output.staging import CURRENT, store_dir

    if options.since is None or options.partial:
        return
    if not (store_dir(options.output_path) / CURRENT).exists():
        return  # nothing published yet: the subset replaces nothing
    raise HotpassError(
        f"--since {options.since}: would replace the set published at "
        f"{options.output_path} with one built from only the {len(inputs)} input(s) changed "
        "since then; pass --partial to publish just those, or use `hotpass orchestrate "
        "--incremental --since` to refresh them within the full set")


def prepare_locally(progress: Any = None) -> PrepareMany:
    from hotpass.refine.pipeline import prepare_all

    return lambda paths, root, profile: prepare_all(paths, root, profile, progress)


def prepare(plan: RunPlan, prepare_many: PrepareMany) -> list[PreparedSource]:
    """Every input's prepared result, in input order: fresh ones prepared (and cached)."""
    prepared = dict(zip(plan.fresh, prepare_many(plan.fresh, plan.options.input_dir,
                                                 plan.profile) if plan.fresh else [],
                        strict=True))
    for path in plan.fresh if plan.incremental else []:
        cache.store(plan.options.output_path, plan.keys[path], prepared[path])
    return [prepared[p] if p in prepared else plan.reused[p] for p in plan.inputs]


def publish_run(plan: RunPlan, prepared: list[PreparedSource],
                timings: StageClock) -> RefineResult:
    """Consolidate every input (honouring the review file the profile names), publish like
    ``hotpass refine``, then the checkpoint."""
    from hotpass.refine.consolidate import consolidate
    from hotpass.refine.heap import release_free_memory
    from hotpass.refine.output.publish import publish
    from hotpass.refine.resolve.review_file import read_decisions, review_path

    review_file = review_path(plan.profile, plan.options.output_path)
    decisions = read_decisions(review_file)
    with timings.stage("consolidate"):
        result = consolidate(prepared, plan.profile, decisions, timings)
        if result.dedupe is not None and review_file is not None:
            result.dedupe["review_file"] = review_file.name if review_file.parent == \
                plan.options.output_path.parent else str(review_file)
        release_free_memory()  # before the export's writers add their buffers
    published = publish(plan.options, plan.profile, plan.inputs, prepared, result, timings,
                        plan.settings, plan.staged)
    if plan.incremental:
        cache.write_checkpoint(plan.options.output_path, plan.started_at,
                               [plan.label(p) for p in plan.inputs])
        cache.prune(plan.options.output_path, set(plan.keys.values()))
    return published


def execute(plan: RunPlan, prepare_many: PrepareMany,
            publish: Callable[..., RefineResult] = publish_run) -> RefineResult:
    timings = StageClock()
    with timings.stage("ingest"):
        prepared = prepare(plan, prepare_many)
    for prepared_source in prepared:
        for name, seconds in prepared_source.stage_seconds.items():
            timings.add(f"ingest.{name}", seconds)
    return publish(plan, prepared, timings)


def preflight(options: RefineOptions, settings: Any, *, telemetry: bool | None = None,
              incremental: bool = False) -> None:
    """What must fail as one line before Prefect starts: the extra, profile, inputs."""
    from hotpass.observability.runs import require_extra
    from hotpass.profiles import load_profile
    from hotpass.refine.ingest.files import discover_inputs
    from hotpass.refine.preflight import check_output

    require_extra(settings.telemetry_enabled if telemetry is None else telemetry)
    check_output(options.output_path)
    load_profile(options.profile, options.profile_search_path)
    if is_bundle(options.input_dir):
        if not Path(options.input_dir).is_file():
            raise HotpassError(f"--input-dir {options.input_dir}: no such input bundle")
    else:
        discover_inputs(options.input_dir, None if incremental else options.since)


def run(options: RefineOptions, settings: Any, *, incremental: bool = False,
        telemetry: bool | None = None, flow: str = "refine",
        prepare_many: PrepareMany | None = None,
        publish: Callable[..., RefineResult] = publish_run,
        progress: Any = None) -> tuple[RunPlan | None, RefineResult | None]:
    """Plan and execute one observed run; ``(plan, None)`` when nothing changed.
    ``settings`` (``HotpassSettings``) is the front door's."""
    from hotpass.observability.runs import observe_refine
    from hotpass.refine.output.staging import open_run
    from hotpass.refine.preflight import check_disk, check_output
    from hotpass.refine.signals import stop_on_signals

    telemetry = settings.telemetry_enabled if telemetry is None else telemetry
    check_output(options.output_path)
    with ExitStack() as stack:
        stack.enter_context(stop_on_signals())
        scratch = (Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="hotpass-replay-"))) if is_bundle(options.input_dir) else None)
        observation = stack.enter_context(observe_refine(
            profile=options.profile, telemetry=telemetry,
            namespace=settings.lineage_namespace, flow=flow,
            console_file=settings.telemetry_file))
        plan = plan_run(options, settings, incremental=incremental, scratch=scratch)
        observation.reading(plan.inputs)
        result = None
        if not plan.unchanged:
            check_disk(options.output_path, plan.inputs, options.archive)
            # One lock from before the work to after the publish (--wait waits for it).
            with open_run(options.output_path, wait=options.wait) as plan.staged:
                result = execute(plan, prepare_many or prepare_locally(progress), publish)
        if observation.wanted and result is not None:
            from hotpass.refine.summary import run_facts

            observation.completed(run_facts(result))
    if progress:
        progress("done", 1, 1)
    return plan, result
