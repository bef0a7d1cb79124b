"""Artefact storage: a run's ``--archive`` bundle uploaded to S3 (MinIO, moto, AWS).

Contract: ``upload_archive(path, settings)`` does nothing (returns ``None``) unless
``HOTPASS_S3_ENDPOINT`` is set; then it puts the file at
``s3://<HOTPASS_S3_BUCKET>/<HOTPASS_S3_PREFIX>/<UTC stamp>/<file name>`` with boto3,
with the file's sha256 as object metadata, re-reads the object's head (size and sha256
must match) and returns the ``s3://`` URI. Credentials are boto3's own chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws``), else the
same two names from the credentials store (``hotpass credentials set``); the region is ``AWS_DEFAULT_REGION`` or ``us-east-1`` (what MinIO and moto expect).

Pitfalls: addressing is path-style (``http://host:9000/bucket/key``), which MinIO and
moto need on localhost. The upload runs after the local outputs are complete, so every
failure (no boto3, no credentials, endpoint down, bucket missing, access denied) is a
one-line ``HotpassError`` that names the target and says the local bundle is intact.
Connect timeout 3 s and two retries: a stack that is down fails the run in seconds.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.fileio import sha256_file
from hotpass.redact import redact


def s3_client(endpoint: str, credentials: tuple[str, str] | None = None, *,
              store_dir: Path | None = None):
    """A boto3 S3 client for ``endpoint`` (path-style, short timeouts), or a HotpassError.
    ``credentials`` (key id, secret) override boto3's chain (the native moto stand-in);
    when the chain finds none, the credentials store in ``store_dir`` (the caller's
    ``HOTPASS_STATE_DIR``) is asked."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise HotpassError("HOTPASS_S3_ENDPOINT is set but boto3 is missing: "
                           "pip install 'hotpass[s3]'") from None
    session = boto3.session.Session(*(credentials or ()))
    if session.get_credentials() is None:
        stored = _stored_credentials(store_dir) if store_dir is not None else None
        if stored is None:
            raise HotpassError(f"HOTPASS_S3_ENDPOINT={redact(endpoint)}: no S3 credentials; "
                               "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, "
                               "or `hotpass credentials set AWS_ACCESS_KEY_ID --stdin`)")
        session = boto3.session.Session(*stored)
    config = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 2},
                    s3={"addressing_style": "path"})
    return session.client("s3", endpoint_url=endpoint, config=config,
                          region_name=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")


def _stored_credentials(store_dir: Path) -> tuple[str, str] | None:
    """The key pair from the credentials store (``hotpass credentials``), when both are set."""
    from hotpass import credential_store

    store = credential_store.load(store_dir)
    pair = (store.get("AWS_ACCESS_KEY_ID"), store.get("AWS_SECRET_ACCESS_KEY"))
    return pair if all(pair) else None


def archive_key(prefix: str, name: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return "/".join(part.strip("/") for part in (prefix, stamp, name) if part.strip("/"))


def upload_archive(path: Path, settings: Any) -> str | None:
    """Upload ``path`` when ``settings`` (the front door's ``HotpassSettings``) name an S3
    endpoint; return its ``s3://`` URI."""
    if not settings.s3_endpoint:
        return None
    path = Path(path)
    key = archive_key(settings.s3_prefix, path.name)
    uri = f"s3://{settings.s3_bucket}/{key}"
    client = s3_client(settings.s3_endpoint, store_dir=settings.state_dir)
    digest = sha256_file(path)
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.upload_file(str(path), settings.s3_bucket, key,
                           ExtraArgs={"Metadata": {"sha256": digest},
                                      "ContentType": "application/zip"})
        head = client.head_object(Bucket=settings.s3_bucket, Key=key)
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise HotpassError(f"--archive: upload of {path} to {uri} at "
                           f"{redact(settings.s3_endpoint)} failed ({_reason(exc)}); the "
                           "local bundle is complete") from None
    if head["ContentLength"] != path.stat().st_size or head["Metadata"].get("sha256") != digest:
        raise HotpassError(f"--archive: {uri} does not match {path} after upload "
                           f"({head['ContentLength']} bytes)")
    return uri


def _reason(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
    if error:
        return f"{error.get('Code')}: {error.get('Message') or 'no message'}"
    return redact(str(exc).splitlines()[0])[:200]
