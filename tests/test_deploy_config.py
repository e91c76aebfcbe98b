"""docker-compose.yml cannot run here (no Docker engine), so keep it honest by checking it
against the code: settings names, search attributes, image contents, realm."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.auth import DEMO_ROLES
from contracts import search_attributes as sa
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
