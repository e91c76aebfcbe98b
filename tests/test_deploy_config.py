"""docker-compose.yml cannot run here (no Docker engine), so keep it honest by checking it
against the code: settings names, search attributes, image contents, realm."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from baton_client.contracts import search_attributes as sa

from api.auth import DEMO_ROLES
from core.privileges import DEFAULT_ROLE_PRIVILEGES
from core.settings import Settings
from tests.conftest import ROOT


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_baton_env_names_are_settings_fields() -> None:
    services = _compose()["services"]
    fields = {f"BATON_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "worker"):
        env = services[name]["environment"]
        used = {k for k in env if k.startswith("BATON_")}
        assert used, name
        assert used <= fields, f"{name} sets unknown settings: {sorted(used - fields)}"
    assert services["api"]["command"] == ["baton", "serve"]
    assert services["worker"]["command"] == ["baton", "worker"]


def test_search_attributes_match_the_workflow() -> None:
    lines = (ROOT / "deploy/temporal/search-attributes.txt").read_text().splitlines()
    declared = [ln for ln in lines if ln and not ln.startswith("#")]
    flags = sa.cli_flags()
    assert declared == flags[1::2]
    assert len(declared) == len(sa.ALL)


def test_image_contains_every_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.removesuffix("*") for p in patterns}
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == on_disk, "pyproject's package list and the packages on disk differ"
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, package


def test_realm_matches_the_privilege_map_and_the_demo_accounts() -> None:
    realm = json.loads((ROOT / "deploy/keycloak/baton-realm.json").read_text())
    assert realm["realm"] == "baton" == Settings(_env_file=None).oidc_realm  # type: ignore[call-arg]
    roles = {r["name"] for r in realm["roles"]["realm"]}
    mapped = set(DEFAULT_ROLE_PRIVILEGES) - {"*"}
    business_groups = {"accounting", "management"}
    assert roles == mapped | business_groups  # every mapped role exists, and no stray one
    for role in realm["roles"]["realm"]:
        for privilege in DEFAULT_ROLE_PRIVILEGES.get(role["name"], []):
            assert privilege in role["description"], role["name"]  # the realm documents it
    users = {u["username"]: set(u["realmRoles"]) for u in realm["users"]}
    for account, (_, demo_roles) in DEMO_ROLES.items():
        assert users[account] == demo_roles, account  # same people in dev mode and Keycloak
    # tokens of every client that calls the API carry its audience
    audience = Settings(_env_file=None).oidc_audience  # type: ignore[call-arg]
    for client in realm["clients"]:
        if client["clientId"] == audience:
            continue
        mappers = client.get("protocolMappers", [])
        assert any(m["config"].get("included.client.audience") == audience for m in mappers), (
            client["clientId"]
        )


def test_compose_config_parses_where_docker_compose_exists() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        pytest.skip("docker compose is not installed here; the YAML checks above still ran")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "x",
        "BATON_DB_PASSWORD": "y",
        "KEYCLOAK_ADMIN_PASSWORD": "z",
        "BATON_WORKER_CLIENT_SECRET": "w",
        "GRAFANA_ADMIN_PASSWORD": "v",
    }
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_shell_scripts_are_executable() -> None:
    for script in Path(ROOT / "deploy").rglob("*.sh"):
        assert script.stat().st_mode & 0o111, script


def test_observability_shape_scrapes_and_draws_what_baton_exports() -> None:
    """The compose file's collector, Prometheus and Grafana point at the services that
    serve traces and metrics, and every series the dashboard draws is one Baton (or the
    Temporal SDK on the worker) exports."""
    services = _compose()["services"]
    assert {"otel-collector", "jaeger", "prometheus", "grafana"} <= set(services)
    api_env = services["api"]["environment"]
    assert api_env["BATON_OTLP_ENDPOINT"].startswith("http://otel-collector:4318/")
    worker_env = services["worker"]["environment"]
    port = worker_env["BATON_WORKER_METRICS_PORT"]
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in scrape["scrape_configs"]
    }
    assert targets["baton-api"] == "api:8000" and targets["baton-worker"] == f"worker:{port}"
    temporal_env = services["temporal"]["environment"]
    assert targets["temporal"].endswith(temporal_env["PROMETHEUS_ENDPOINT"].rsplit(":", 1)[1])
    collector = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text())
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")

    from api.metrics import HttpMetrics, read_model_families
    from core.metrics import REGISTRY
    from store.metrics import Snapshot

    exported = {m.name for m in read_model_families(Snapshot())}
    exported |= {m.name for m in HttpMetrics().registry.collect()}
    exported |= {m.name for m in REGISTRY.collect()}
    exported |= {"baton_read_model_lag"}  # the worker's, through the SDK's meter
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/baton.json").read_text())
    drawn = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            drawn |= set(re.findall(r"\b((?:baton|temporal)_[a-z_]+)", target["expr"]))
    suffixes = ("_total", "_bucket", "_sum", "_count")
    for name in drawn:
        base = next((name.removesuffix(s) for s in suffixes if name.endswith(s)), name)
        if base.startswith("baton_"):
            assert base in exported, name
    assert len(dashboard["panels"]) >= 12
