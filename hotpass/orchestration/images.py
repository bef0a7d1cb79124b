"""``--build-image`` / ``--push-image``: the flow image, through the Docker engine's API.

Contract: ``default_tag(image)`` is the tag: ``image`` (the caller's ``HOTPASS_IMAGE``)
or ``hotpass:<version>``. ``build_image(tag)`` builds ``deploy/docker/Dockerfile`` (context: the
checkout) with the ``docker`` SDK; ``push_image(tag)`` pushes it and raises on any error
line the engine streams back. Without a reachable engine both raise a ``HotpassError``
saying so (and how to fix it) before anything else happens.

Pitfalls: ``docker.from_env()`` only fails on first use on some versions, so we ping.
"""

from __future__ import annotations

from hotpass import __version__
from hotpass.errors import HotpassError
from hotpass.paths import DOCKERFILE, SOURCE_ROOT


def default_tag(image: str | None) -> str:
    return image or f"hotpass:{__version__}"


def engine(flag: str):
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:  # pragma: no cover - docker ships with Prefect
        raise HotpassError(f"{flag}: the docker package is missing ({exc})") from exc
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        detail = str(exc).splitlines()[0][:160]
        raise HotpassError(f"{flag}: no Docker engine reachable ({detail}); start Docker or "
                           "set DOCKER_HOST, or deploy without it") from None
    return client


def build_image(tag: str) -> str:
    client = engine("--build-image")
    if not (SOURCE_ROOT / DOCKERFILE).is_file():
        raise HotpassError(f"--build-image: {DOCKERFILE} not found in {SOURCE_ROOT}")
    client.images.build(path=str(SOURCE_ROOT), dockerfile=str(DOCKERFILE), tag=tag, rm=True)
    return tag


def push_image(tag: str) -> str:
    client = engine("--push-image")
    repository, _, version = tag.rpartition(":")
    for line in client.images.push(repository or tag, tag=version or None, stream=True,
                                   decode=True):
        if "error" in line:
            raise HotpassError(f"--push-image {tag}: {line['error']}")
    return tag
