"""A real S3 API for tests: ``moto_server`` on a free loopback port.

``moto_s3()`` yields the endpoint URL and stops the server afterwards; ``s3_env()`` is
the environment a ``hotpass`` subprocess needs to reach it (dummy credentials: moto
accepts any, and none of the developer's ``~/.aws`` leaks in).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "hotpass", "AWS_SECRET_ACCESS_KEY": "hotpass-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def s3_env(endpoint: str, tmp_path: Path) -> dict[str, str]:
    return {**CREDENTIALS, "HOTPASS_S3_ENDPOINT": endpoint,
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}


@contextlib.contextmanager
def moto_s3(log_dir: Path) -> Iterator[str]:
    binary = shutil.which("moto_server")
    if not binary:
        pytest.skip("moto_server (moto[server], dev extra) is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (log_dir / "moto.log").open("ab") as log:
        server = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start: "
                                       + (log_dir / "moto.log").read_text()[-500:]) from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, **{
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"]})
