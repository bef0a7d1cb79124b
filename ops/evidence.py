"""Evidence tasks: ``invoke evidence.verify|export|list`` over the bundles procedures write.

Thin wrappers over ``hotpass.evidence`` (verify, export, list_bundles). Invoke's global
``--dry`` counts as ``--dry-run`` for export (verify and list only read).
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, settings, task


@task(help={"path": "The bundle folder (the one holding manifest.json)."})
def verify(c, path):
    """Recompute every checksum and validate every schema; non-zero naming the file."""
    from hotpass.evidence import verify as verify_bundle

    manifest = verify_bundle(Path(path))
    print(f"{path}: ok ({manifest['procedure']} {manifest['id']}, verdict "
          f"{manifest['verdict']}, {len(manifest['files'])} files, "
          f"{len(manifest['children'])} children)")


@task(help={
    "path": "The bundle folder to export.",
    "to": "s3://bucket/prefix (the S3 API at HOTPASS_S3_ENDPOINT), or a local folder for "
          "--tar (default: beside the bundle).",
    "tar": "Pack the bundle as <name>.tar.gz (uploaded as one object with --to s3://...).",
    "dry_run": "Verify the bundle and say where it would go; write and upload nothing.",
})
def export(c, path, to="", tar=False, dry_run=False):
    """Verify a bundle, then upload it to S3 or pack it; every copy re-checked."""
    from hotpass.errors import HotpassError
    from hotpass.evidence import export as export_bundle
    from hotpass.evidence import verify as verify_bundle

    if not to and not tar:
        raise HotpassError("evidence.export: say where: --to s3://bucket/prefix, or --tar")
    if is_dry(c, dry_run):
        manifest = verify_bundle(Path(path))
        where = to or str(Path(path).parent)
        print(f"[dry-run] would export {path} ({len(manifest['files'])} files) to {where}"
              + (" as a tarball" if tar else ""))
        return
    for location in export_bundle(Path(path), settings(), to=to or None, tar=tar):
        print(f"exported: {location}")


@task(name="list", help={
    "root": "Folder to search (default dist: evidence, incidents, offline, staging).",
    "json": "Print the list as JSON.",
})
def list_(c, root="dist", json=False):
    """The bundles under ROOT, oldest first: procedure, id, verdict, path."""
    from hotpass.evidence import list_bundles

    rows = list_bundles(Path(root))
    if json:
        print(jsonlib.dumps(rows, indent=2))
        return
    if not rows:
        print(f"no evidence bundles under {root}")
    for row in rows:
        print(f"{row['started_at'][:19]:<19}  {row['verdict']:<4}  {row['procedure']:<20}  "
              f"{row['id']:<28}  {row['path']}")


ns = Collection("evidence")
ns.add_task(verify)
ns.add_task(export)
ns.add_task(list_)
