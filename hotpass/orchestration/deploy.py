"""``hotpass deploy`` as a procedure: prepare -> plan -> apply -> verify, with evidence.

Contract: ``Deploy(manifests, offline=..., build_image=..., push_image=...)`` run through
``hotpass.procedure.run``:

- prepare validates every manifest (``deploy.prepare``): one bad manifest, nothing done;
- plan: registering, ``deploy.plan`` against the server; offline (``--no-upload``), each
  payload against the file already at ``dist/offline/prefect/<id>.json``
  (``create``/``update``/``unchanged``);
- apply: offline, writes the payloads that changed (atomically); registering, builds or
  pushes the image when asked (planned as ``image <tag>: build + push``), then
  ``deploy.apply`` for the deployments not ``unchanged``;
- verify: offline, re-reads every file; registering, ``deploy.verify`` re-reads every
  deployment from the server. Any difference fails the run.

The outcome's ``result`` is a ``Deployed``: the ``deploy.Step`` list, the files written
and the images built or pushed, for the CLI to print.

Pitfalls: the image is built after validation and planning but before registration, so
a missing Docker engine fails with nothing registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.orchestration import deploy_steps as deploy
from hotpass.procedure import Change, Evidence, Procedure


@dataclass(frozen=True)
class Deployed:
    """What a deploy run did: one step per deployment, files written, image tags."""

    steps: list[deploy.Step]
    written: list[Path]
    images: list[str]


class Deploy(Procedure):
    name = "deploy"

    def __init__(self, manifests: list[Any], *, offline: bool = False,
                 build_image: bool = False, push_image: bool = False,
                 image: str | None = None, out_dir: Path = deploy.OFFLINE_DIR) -> None:
        """``image``: the front door's ``HOTPASS_IMAGE`` (``None``: ``hotpass:<version>``)."""
        from hotpass.orchestration.images import default_tag

        self.manifests, self.offline, self.out_dir = manifests, offline, Path(out_dir)
        self.tag = default_tag(image)
        self.build_image, self.push_image = build_image, push_image
        self.prepared: list[deploy.Prepared] = []
        self.steps: list[deploy.Step] = []
        self.payloads: dict[str, str] = {}
        self.written: list[Path] = []
        self.images: list[str] = []

    def prepare(self, ev: Evidence) -> None:
        self.prepared = deploy.prepare(self.manifests)
        if not self.offline and not ev.dry_run and not deploy.api_url():
            raise HotpassError("deploy: PREFECT_API_URL is not set; point it at a Prefect "
                               "server (prefect server start) or use --no-upload / --dry-run")
        if not self.offline and not ev.dry_run and (self.build_image or self.push_image):
            from hotpass.orchestration.images import engine

            engine("--build-image" if self.build_image else "--push-image")

    def plan(self, ev: Evidence) -> list[Change]:
        self.steps = deploy.plan(self.prepared, offline=self.offline, dry_run=ev.dry_run)
        if self.offline:
            for p, step in zip(self.prepared, self.steps, strict=True):
                text = self.payloads[p.manifest.id] = deploy.offline_text(p)
                path = deploy.offline_path(p, self.out_dir)
                current = path.read_text() if path.is_file() else None
                step.action = ("create" if current is None else
                               "unchanged" if current == text else "update")
                step.notes = [f"offline payload {path}"]
        changes = [Change(step.deployment, step.action,
                          {"changes": step.changes, "notes": step.notes} if step.changes
                          else {"notes": step.notes})
                   for step in self.steps]
        if not self.offline and (self.build_image or self.push_image):
            actions = [a for a, on in (("build", self.build_image), ("push", self.push_image))
                       if on]
            changes.append(Change(f"image {self.tag}", " + ".join(actions)))
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        from hotpass.fileio import atomic_write_text

        pending = {change.target for change in changes}
        if self.offline:
            for p in self.prepared:
                if p.full_name in pending:
                    with ev.step(f"write {deploy.offline_path(p, self.out_dir)}"):
                        self.written.append(atomic_write_text(
                            deploy.offline_path(p, self.out_dir), self.payloads[p.manifest.id]))
            return
        if self.build_image or self.push_image:
            from hotpass.orchestration import images

            if self.build_image:
                with ev.step("docker build") as step:
                    self.images.append(images.build_image(self.tag))
                    step.output = self.images[-1]
            if self.push_image:
                with ev.step("docker push") as step:
                    self.images.append(images.push_image(self.tag))
                    step.output = self.images[-1]
        names = sorted(pending & {p.full_name for p in self.prepared})
        if names:
            with ev.step(f"register {', '.join(names)}"):
                deploy.apply(self.prepared, self.steps)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        if not self.offline:
            return deploy.verify(self.prepared)
        problems = []
        for p in self.prepared:
            path = deploy.offline_path(p, self.out_dir)
            if not path.is_file() or path.read_text() != self.payloads[p.manifest.id]:
                problems.append(f"{path}: differs from the {p.manifest.source} payload")
        return problems

    def result(self, ev: Evidence) -> Deployed:
        return Deployed(self.steps, self.written, self.images)
