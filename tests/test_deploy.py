"""docker-compose.yml cannot run here (no Docker engine); it is kept correct by parsing it."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml

from graph.stores.config import StoreConfig
from tests.conftest import ROOT


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def test_neo4j_is_version_5_community_with_a_volume_and_a_health_check() -> None:
    neo4j = compose()["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5\.26[\w.-]*-community", neo4j["image"])
    assert any(v.startswith("neo4j-data:/data") for v in neo4j["volumes"])
    assert "neo4j-data" in compose()["volumes"]
    assert "RETURN 1" in " ".join(neo4j["healthcheck"]["test"])
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD")
    assert all(port.startswith("127.0.0.1:") for port in neo4j["ports"])


def test_the_api_is_built_here_configured_for_neo4j_and_waits_for_it() -> None:
    api = compose()["services"]["api"]
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["NAM_STORE"] == "neo4j"
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    config = StoreConfig.from_env(kind=env["NAM_STORE"])
    assert config.kind == "neo4j" and config.database == env["NEO4J_DATABASE"]
    assert all(port.startswith("127.0.0.1:") for port in api["ports"])


def test_the_api_runs_in_production_mode_with_a_kept_keyring_and_audit_log() -> None:
    api = compose()["services"]["api"]
    env = api["environment"]
    assert "NAM_DEMO" not in env  # production: anonymous requests are refused
    assert env["NAM_INTROSPECTION"] == "off"
    volume, _, mount = api["volumes"][0].partition(":")
    assert volume in compose()["volumes"]
    assert env["NAM_AUTH_FILE"].startswith(mount + "/")
    assert env["NAM_AUDIT_LOG"].startswith(mount + "/")


def test_the_dockerfile_installs_the_product_and_serves_the_api() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name for name in found if "." not in name}
    assert packages == {"graph", "loaders", "namgraph"}
    for package in packages:  # every package the wheel holds is in the image
        assert f"COPY {package} ./{package}" in dockerfile
    assert 'CMD ["nam", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "/readyz" in dockerfile
    api_port = compose()["services"]["api"]["ports"][0].rsplit(":", 1)[1]
    assert api_port == "8000"
