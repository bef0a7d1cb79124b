"""The ``manifests`` gate: every manifest and overlay validates and builds offline.

Contract: ``check(context)`` loads the manifest folder and each overlay folder beneath it
(``prefect/staging``, ``prefect/prod``: any subfolder holding ``*.yaml``), prepares every
manifest as ``hotpass deploy`` does (flow imported, parameters checked against its
signature) and builds its deployment payload offline (the ``--no-upload`` JSON), then
checks the parameters each kind of deployment needs: ``REQUIRED_PARAMETERS`` by id
(``options.since``: the ``since`` of the refinement flow's one ``options`` object).
Nothing is written and no server is asked.

Pitfall: building a payload imports Prefect (~2 s, once).
"""

from __future__ import annotations

from pathlib import Path

from hotpass.qa.model import GateResult

REQUIRED_PARAMETERS = {"refinement": ("incremental", "options.since"),
                       "backfill": ("backfill", "since", "until")}


def _given(parameters: dict, dotted: str) -> bool:
    head, _, rest = dotted.partition(".")
    if head not in parameters:
        return False
    return not rest or (isinstance(parameters[head], dict) and _given(parameters[head], rest))


def check(context) -> GateResult:
    from hotpass.orchestration import deploy_steps
    from hotpass.orchestration.manifests import load_manifests

    root = Path(context.manifests)
    folders = [root, *sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml")))]
    problems: list[str] = []
    built: dict[str, list[str]] = {}
    for folder in folders:
        label = folder.relative_to(root.parent).as_posix()
        try:
            manifests = load_manifests(folder)
            prepared = deploy_steps.prepare(list(manifests.values()))
            for item in prepared:
                deploy_steps.offline_text(item)
        except Exception as exc:
            problems.append(getattr(exc, "message", None) or f"{label}: {exc}".splitlines()[0])
            continue
        built[label] = sorted(manifests)
        for ident, manifest in manifests.items():
            missing = [p for p in REQUIRED_PARAMETERS.get(ident, ())
                       if not _given(manifest.parameters, p)]
            if missing:
                problems.append(f"{manifest.source}: {ident} needs parameter(s) "
                                f"{', '.join(missing)}")
    details = {"folders": built, "problems": problems}
    if problems:
        return GateResult(False, f"{len(problems)} problem(s), e.g. {problems[0]}", details)
    count = sum(len(v) for v in built.values())
    return GateResult(True, f"{count} manifests in {len(built)} folder(s) validate and build "
                      "offline", details)
