"""Application configuration (/v1/configuration): read-only, from YAML and JSON files in
``config_dir`` merged with ``BATON_APP_*`` variables, flattened to dotted keys, secrets
masked, every write method answered 405 with ``Allow: GET``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from api.main import create_app
from api.routes.platform import configuration
from api.routes.platform.configuration import is_secret, load
from core.settings import Settings
from store import Store
from tests.support.http import problem

JOHN = {"Authorization": "Bearer demo-john"}  # no config:read by default

CRM_YAML = """\
crm:
  url: https://crm.example.com
  timeout: 30
  retries: [1, 5, 30]
  apiKey: crm-key-123
  oauth:
    client_id: baton
    client_secret: s3cret
db:
  password: hunter2
launched: 2026-01-05
secrets:
  smtp: mail-pass
"""

OVERRIDES_JSON = {"crm": {"timeout": 60}, "features": {"scoring": True, "limits": {}}}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "10-crm.yaml").write_text(CRM_YAML)
    (folder / "20-overrides.json").write_text(json.dumps(OVERRIDES_JSON))
    (folder / "notes.txt").write_text("not configuration")
    (folder / ".hidden.yaml").write_text("hidden: true")
    return folder


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_APP_CRM__URL", "https://crm.internal")
    monkeypatch.setenv("BATON_APP_SCORING__ACCESS_TOKEN", "tok-456")
    monkeypatch.setenv("BATON_APP_REGION", "eu-central")
    monkeypatch.setenv("BATON_APP_", "ignored")
    monkeypatch.setenv("BATON_APPLICATION", "not ours")


def _settings(store: Store, config_dir: Path | None, **update: Any) -> Settings:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="dev",
        database_url=str(store.engine.url),
    )
    return settings.model_copy(update={"config_dir": config_dir, **update})


async def _client(settings: Settings, store: Store) -> httpx.AsyncClient:
    app = create_app(settings, store=store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://baton.test")


@pytest_asyncio.fixture
async def http(
    store: Store, config_dir: Path, environment: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(_settings(store, config_dir), store) as client:
        yield client


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_files_and_environment_merge_into_dotted_keys(http: httpx.AsyncClient) -> None:
    answer = await http.get("/v1/configuration", params={"size": 1000})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    entries = {e["key"]: (e["value"], e["source"], e["masked"]) for e in page["items"]}
    assert entries == {
        "crm.apiKey": ("***", "file:10-crm.yaml", True),
        "crm.oauth.client_id": ("baton", "file:10-crm.yaml", False),
        "crm.oauth.client_secret": ("***", "file:10-crm.yaml", True),
        "crm.retries": ([1, 5, 30], "file:10-crm.yaml", False),
        "crm.timeout": (60, "file:20-overrides.json", False),  # a later file wins
        "crm.url": ("https://crm.internal", "env:BATON_APP_CRM__URL", False),  # env wins
        "db.password": ("***", "file:10-crm.yaml", True),
        "features.limits": ({}, "file:20-overrides.json", False),
        "features.scoring": (True, "file:20-overrides.json", False),
        "launched": ("2026-01-05", "file:10-crm.yaml", False),
        "region": ("eu-central", "env:BATON_APP_REGION", False),
        "scoring.access_token": ("***", "env:BATON_APP_SCORING__ACCESS_TOKEN", True),
        "secrets.smtp": ("***", "file:10-crm.yaml", True),
    }
    assert list(entries) == sorted(entries)  # key order
    assert (page["page"], page["size"], page["total"]) == (0, 1000, 13)
    assert "hunter2" not in answer.text and "s3cret" not in answer.text
    assert "tok-456" not in answer.text and "mail-pass" not in answer.text

    second = (await http.get("/v1/configuration", params={"page": 1, "size": 5})).json()
    assert [e["key"] for e in second["items"]] == [
        "crm.url",
        "db.password",
        "features.limits",
        "features.scoring",
        "launched",
    ]
    crm = (await http.get("/v1/configuration", params={"prefix": "crm.oauth"})).json()
    assert [e["key"] for e in crm["items"]] == ["crm.oauth.client_id", "crm.oauth.client_secret"]
    assert (await http.get("/v1/configuration", params={"prefix": "cr"})).json()["total"] == 0
    problem(await http.get("/v1/configuration", params={"size": 0}), 422)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_one_key(http: httpx.AsyncClient) -> None:
    url = await http.get("/v1/configuration/crm.url")
    assert url.json() == {
        "key": "crm.url",
        "value": "https://crm.internal",
        "source": "env:BATON_APP_CRM__URL",
        "masked": False,
    }
    secret = (await http.get("/v1/configuration/db.password")).json()
    assert (secret["value"], secret["masked"]) == ("***", True)
    missing = problem(await http.get("/v1/configuration/crm.nope"), 404)
    assert missing["field"] == "key"
    problem(await http.get("/v1/configuration/crm"), 404)  # a section is no key


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_write_method_is_refused_with_405(http: httpx.AsyncClient) -> None:
    for path in ("/v1/configuration", "/v1/configuration/crm.url"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            answer = await http.request(method, path, json={"value": "x"})
            body = problem(answer, 405)
            assert answer.headers["allow"] == "GET", (method, path)
            assert "read-only" in body["detail"] and body["title"] == "Method not allowed"
    assert (await http.get("/v1/configuration/crm.url")).json()["value"] == "https://crm.internal"
    schema = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    for path in ("/v1/configuration", "/v1/configuration/{key}"):
        for method in ("post", "put", "patch", "delete"):
            refused = schema["paths"][path][method]["responses"]["405"]
            assert "Allow" in refused["headers"], (method, path)
            assert schema["paths"][path][method]["x-baton-privilege"] == "config:read"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_reading_needs_config_read(store: Store, config_dir: Path) -> None:
    async with await _client(_settings(store, config_dir), store) as http:
        refused = problem(await http.get("/v1/configuration", headers=JOHN), 403)
        assert refused["privilege"] == "config:read"
        problem(await http.get("/v1/configuration/crm.url", headers=JOHN), 403)
        problem(await http.post("/v1/configuration", headers=JOHN), 403)  # not even a 405
    # a role that maps to config:read (the default integration role has it)
    granted = _settings(store, config_dir, role_privileges={"accounting": ["config:read"]})
    async with await _client(granted, store) as http:
        assert (await http.get("/v1/configuration", headers=JOHN)).status_code == 200
        problem(await http.put("/v1/configuration/crm.url", headers=JOHN), 405)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_without_a_directory_only_the_environment(store: Store, environment: None) -> None:
    async with await _client(_settings(store, None), store) as http:
        keys = [e["key"] for e in (await http.get("/v1/configuration")).json()["items"]]
    assert keys == ["crm.url", "region", "scoring.access_token"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_an_unreadable_file_is_named(store: Store, config_dir: Path) -> None:
    (config_dir / "30-broken.yaml").write_text("crm: [unclosed\n")
    async with await _client(_settings(store, config_dir), store) as http:
        broken = problem(await http.get("/v1/configuration"), 503)
        assert "30-broken.yaml" in broken["detail"]
        (config_dir / "30-broken.yaml").write_text("- a list, not a mapping\n")
        listed = problem(await http.get("/v1/configuration/crm.url"), 503)
        assert "30-broken.yaml must hold a mapping" in listed["detail"]
        (config_dir / "30-broken.yaml").unlink()  # fixed: read again on the next request
        assert (await http.get("/v1/configuration/crm.url")).status_code == 200
    async with await _client(_settings(store, config_dir / "missing"), store) as http:
        gone = problem(await http.get("/v1/configuration"), 503)
        assert "does not exist" in gone["detail"]


def test_later_keys_replace_sections_and_values_alike(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("crm:\n  url: x\n  timeout: 1\nflag: on\n")
    (tmp_path / "b.json").write_text('{"crm": "disabled", "flag": {"on": true}}')
    loaded = load(tmp_path, {"BATON_APP_CRM__URL": "y", "BATON_APP_A____B": "skipped"})
    assert {k: (e.value, e.source) for k, e in loaded.items()} == {
        "crm.url": ("y", "env:BATON_APP_CRM__URL"),  # replaces the section "crm"
        "flag.on": (True, "file:b.json"),  # replaces the value "flag"
    }


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("db.password", True),
        ("crm.apiKey", True),
        ("crm.API_KEY", True),
        ("crm.client-secret", True),
        ("scoring.accessToken", True),
        ("secrets.smtp", True),
        ("keys.primary", True),
        ("crm.url", False),
        ("keycloak.realm", False),
        ("crm.monkey", False),
        ("crm.tokenizer", False),
        ("crm.passwordless", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert is_secret(key) is secret


def test_the_router_is_read_only_by_construction() -> None:
    methods = {
        (getattr(route, "path", ""), method)
        for route in configuration.router.routes
        for method in getattr(route, "methods", ())
    }
    for path in ("/v1/configuration", "/v1/configuration/{key}"):
        assert {m for p, m in methods if p == path} == {"GET", "POST", "PUT", "PATCH", "DELETE"}
