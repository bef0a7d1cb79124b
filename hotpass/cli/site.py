"""``hotpass site build`` and ``hotpass site serve``: the web UI (``hotpass.site``).

Contract: ``build`` renders the static site from the runs under each ``--runs`` folder
(default: the output path's folder) into ``--out`` and prints what it rendered;
``--dry-run`` prints the runs it would render and writes nothing. ``serve`` builds, then
serves the site on ``--host``/``--port`` (127.0.0.1:8765) until stopped.
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli import kit
from hotpass.cli.kit import echo, echo_json
from hotpass.cli.options import dry_run_option, json_option

OUT_HELP = "Folder the site is written to (default: dist/site)."
RUNS_HELP = ("Output folder whose runs the site shows (repeatable; default: the folder "
             "of HOTPASS_OUTPUT_PATH).")


def _runs(runs: tuple[Path, ...]) -> list[Path]:
    return list(runs) or [Path(kit.settings().output_path).parent]


site_group = kit.group("site", "The web UI: runs, run reports, merge review, QA, evidence, "
                               "lineage.")


@site_group.command("build")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist/site"),
              show_default=True, help=OUT_HELP)
@click.option("--runs", multiple=True, type=click.Path(path_type=Path), help=RUNS_HELP)
@click.option("--archive", is_flag=True, help="Also copy the built site into an evidence "
                                              "bundle under HOTPASS_EVIDENCE_DIR.")
@dry_run_option("Print the runs that would be rendered; write nothing.")
@json_option()
def build_command(out: Path, runs: tuple[Path, ...], archive: bool, dry_run: bool,
                  as_json: bool) -> None:
    """Render the static site (only runs not rendered before; the index every time)."""
    from hotpass.site.archive import archive_site
    from hotpass.site.build import build

    result = build(out, _runs(runs), kit.settings(), dry_run=dry_run)
    bundle = archive_site(out, kit.settings().evidence_dir, result) \
        if archive and not dry_run else None
    if as_json:
        echo_json({"out": str(result.out), "rendered": result.rendered, "runs": result.runs,
                   "dry_run": dry_run, "seconds": result.seconds,
                   "bundle": str(bundle) if bundle else None})
        return
    verb = "would render" if dry_run else "rendered"
    echo(f"{verb} {len(result.rendered)} new run(s) of {result.runs} in {result.seconds} s"
         + ("" if dry_run else f"; open {result.out / 'index.html'}"))
    if bundle:
        echo(f"archived the site into {bundle}")


@site_group.command("serve")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist/site"),
              show_default=True, help=OUT_HELP)
@click.option("--runs", multiple=True, type=click.Path(path_type=Path), help=RUNS_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (keep 127.0.0.1 unless a proxy guards it).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="Port to listen on.")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None,
              help="The stack's state folder the health page probes (default: "
                   "HOTPASS_STATE_DIR/stack).")
def serve_command(out: Path, runs: tuple[Path, ...], host: str, port: int,
                  state_dir: Path | None) -> None:
    """Build, then serve the site with live health and the review decisions endpoint."""
    from hotpass.site.serve import serve

    echo(f"serving {out} on http://{host}:{port}/ (Ctrl+C stops)")
    serve(out, _runs(runs), host=host, port=port,
          state_dir=state_dir or kit.settings().state_dir / "stack", settings=kit.settings())
