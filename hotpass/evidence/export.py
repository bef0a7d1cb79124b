"""Exporting a bundle: a tarball, or every file to an S3 API, each checked after the copy.

Contract: ``export(bundle, settings, to=None, tar=False)`` (``settings``: the front
door's ``HotpassSettings``) first verifies the bundle (a broken one
is never exported). ``tar=True`` packs ``<name>.tar.gz`` (into ``to`` when it is a local
folder, else beside the bundle; temp file + rename) and re-reads every member against
its sha256. ``to="s3://bucket/prefix"`` uploads to the S3 API at ``HOTPASS_S3_ENDPOINT``
(MinIO, ``moto_server``; unset: AWS) with boto3: the tarball, or every file (nested
bundles included) under ``prefix/<name>/``, each object carrying its sha256 as metadata;
then reads every object back and compares its sha256. Returns the locations written.

Pitfalls: credentials come from boto3's chain or the credentials store
(``hotpass.artifacts.s3_client``), never from the command line. The bucket must exist.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.evidence.manifest import verify
from hotpass.fileio import atomic_path, sha256_file


def export(bundle: Path | str, settings: Any, *, to: str | None = None,
           tar: bool = False) -> list[str]:
    bundle = Path(bundle)
    verify(bundle)
    s3 = to is not None and to.startswith("s3://")
    if tar:
        folder = Path(to) if to and not s3 else bundle.parent
        archive = pack(bundle, folder / f"{bundle.name}.tar.gz")
        if not s3:
            return [str(archive)]
        return upload(bundle, to, [(archive, archive.name)], settings)
    if s3:
        files = sorted(p for p in bundle.rglob("*") if p.is_file())
        return upload(bundle, to, [(p, f"{bundle.name}/{p.relative_to(bundle).as_posix()}")
                                   for p in files], settings)
    raise HotpassError("evidence.export: say where: --to s3://bucket/prefix, or --tar")


def pack(bundle: Path, archive: Path) -> Path:
    """``bundle`` as a gzip tarball at ``archive``; every member re-read and compared."""
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    archive.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(archive) as temp:
        with tarfile.open(temp, "w:gz") as handle:
            for path in files:
                handle.add(path, arcname=f"{bundle.name}/{path.relative_to(bundle).as_posix()}")
        with tarfile.open(temp, "r:gz") as handle:
            for path in files:
                name = f"{bundle.name}/{path.relative_to(bundle).as_posix()}"
                member = handle.extractfile(name)
                if member is None or hashlib.sha256(member.read()).hexdigest() != \
                        sha256_file(path):
                    raise HotpassError(f"{archive}: {name} differs from {path} after packing")
    return archive


def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise HotpassError(f"--to {uri}: no bucket (want s3://bucket/prefix)")
    return bucket, prefix.strip("/")


def upload(bundle: Path, to: str, items: list[tuple[Path, str]], settings: Any) -> list[str]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    from hotpass.artifacts import _reason, s3_client
    from hotpass.redact import redact

    bucket, prefix = _split(to)
    endpoint = settings.s3_endpoint
    client = s3_client(endpoint, store_dir=settings.state_dir)
    written = []
    where = redact(endpoint) if endpoint else "AWS"
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket"}:
            raise HotpassError(f"--to {to}: bucket {bucket} does not exist at {where}; "
                               "nothing uploaded") from None
    except (Boto3Error, BotoCoreError) as exc:
        raise HotpassError(f"--to {to}: the S3 API at {where} does not answer "
                           f"({_reason(exc)}); nothing uploaded") from None
    try:
        for path, name in items:
            key = f"{prefix}/{name}" if prefix else name
            digest = sha256_file(path)
            client.upload_file(str(path), bucket, key,
                               ExtraArgs={"Metadata": {"sha256": digest}})
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            if hashlib.sha256(body).hexdigest() != digest:
                raise HotpassError(f"s3://{bucket}/{key}: differs from {path} after upload")
            written.append(f"s3://{bucket}/{key}")
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise HotpassError(f"evidence.export: upload of {bundle} to {to} at {where} failed "
                           f"({_reason(exc)}); {len(written)} file(s) uploaded") from None
    return written
