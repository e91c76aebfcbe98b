"""Application configuration (Eximee API), read-only: YAML and JSON files from
``Settings.config_dir`` merged with environment variables ``BATON_APP_*``.

* Files: every ``*.yaml``, ``*.yml`` and ``*.json`` directly in the directory, in name
  order, each a mapping merged at the root (a later file wins a key).
* Environment: ``BATON_APP_CRM__URL=…`` is the key ``crm.url`` (``__`` separates
  segments, which are lower-cased); it wins over the files.
* Keys are flattened to dotted paths (``crm.url``); lists stay one value.
* Secrets: a key any of whose segments has the word password, secret, token or key
  (``db.password``, ``crm.apiKey``, ``secrets.smtp``) answers ``***``, never its value.

Nothing here writes: every write method answers 405 with ``Allow: GET``. The files are
read on each request, so a changed file shows at once, without a restart.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import SettingsDep
from api.problems import ApiProblem, NotFound, Unavailable
from api.schemas import PageNumber, PageOut, PageSize, Wire
from core.settings import Settings

router = APIRouter(prefix="/v1/configuration", tags=["configuration"])
_log = logging.getLogger("baton.api")

ENV_PREFIX = "BATON_APP_"
MASK = "***"
FILE_SUFFIXES = (".yaml", ".yml", ".json")
SECRET_WORDS = frozenset(
    {"password", "passwords", "secret", "secrets", "token", "tokens", "key", "keys"}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class ConfigEntry:
    key: str
    value: Any
    source: str

    @property
    def masked(self) -> bool:
        return is_secret(self.key)

    def shown(self) -> Any:
        return MASK if self.masked else self.value


class ConfigurationError(Exception):
    """A configuration file that cannot be read."""


def is_secret(key: str) -> bool:
    """Whether a key names a secret: a segment has the word password, secret, token or
    key (snake_case, kebab-case and camelCase words alike; ``keycloak`` is no key)."""
    return any(
        word.lower() in SECRET_WORDS
        for segment in key.split(".")
        for word in _WORD.findall(segment)
    )


def _jsonable(value: Any) -> Any:
    """YAML's extra scalars as JSON: dates as ISO strings, sets as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _key(name: Any) -> str:
    if isinstance(name, bool):
        return "true" if name else "false"
    return str(name)


def _flatten(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for name, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{name}" if prefix else str(name))
    elif prefix:
        yield prefix, value


class _Merged:
    """Entries by key, where a later key replaces the earlier one, its descendants
    (``crm`` replaces ``crm.url``) and its ancestors (``crm.url`` replaces ``crm``)."""

    def __init__(self) -> None:
        self.entries: dict[str, ConfigEntry] = {}

    def set(self, entry: ConfigEntry) -> None:
        below = entry.key + "."
        for key in [k for k in self.entries if k.startswith(below)]:
            del self.entries[key]
        segments = entry.key.split(".")
        for end in range(1, len(segments)):
            self.entries.pop(".".join(segments[:end]), None)
        self.entries[entry.key] = entry


def _read_file(path: FilePath) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        raise ConfigurationError(f"configuration file {path.name} cannot be read: {err}") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigurationError(
            f"configuration file {path.name} must hold a mapping, not a {type(loaded).__name__}"
        )
    result: dict[str, Any] = _jsonable(loaded)
    return result


def load(config_dir: FilePath | None, environ: Mapping[str, str]) -> dict[str, ConfigEntry]:
    """The whole configuration, by key (sorted), files first, then the environment."""
    merged = _Merged()
    if config_dir is not None:
        if not config_dir.is_dir():
            raise ConfigurationError(f"the configuration directory {config_dir} does not exist")
        files = sorted(
            p
            for p in config_dir.iterdir()
            if p.suffix in FILE_SUFFIXES and not p.name.startswith(".") and p.is_file()
        )
        for path in files:
            for key, value in _flatten(_read_file(path), ""):
                merged.set(ConfigEntry(key, value, f"file:{path.name}"))
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX):
            continue
        segments = [s.lower() for s in name[len(ENV_PREFIX) :].split("__")]
        if not all(segments):
            continue  # BATON_APP_ alone, or an empty segment (A____B)
        merged.set(ConfigEntry(".".join(segments), environ[name], f"env:{name}"))
    return dict(sorted(merged.entries.items()))


def config_dir_of(settings: Settings) -> FilePath | None:
    """``Settings.config_dir`` (read with getattr so that this module also works with
    settings that predate the field)."""
    found = getattr(settings, "config_dir", None)
    return FilePath(found) if found is not None else None


def _current(settings: Settings) -> dict[str, ConfigEntry]:
    try:
        return load(config_dir_of(settings), os.environ)
    except ConfigurationError as err:
        _log.error("application configuration unavailable: %s", err)
        raise Unavailable(f"the application configuration is unavailable: {err}") from err


class ConfigEntryOut(Wire):
    key: str = Field(description="The dotted key, e.g. `crm.url`.")
    value: Any = Field(description=f"The value (any JSON); `{MASK}` for a secret.")
    source: str = Field(
        description="Where it comes from: `file:<name>` or `env:<variable>` (the last of "
        "those that set it)."
    )
    masked: bool = Field(description="True when the key names a secret and the value is hidden.")

    @classmethod
    def of(cls, entry: ConfigEntry) -> ConfigEntryOut:
        return cls(key=entry.key, value=entry.shown(), source=entry.source, masked=entry.masked)


_UNAVAILABLE = {"description": "A configuration file cannot be read (the detail names it)"}


@router.get(
    "",
    response_model=PageOut[ConfigEntryOut],
    summary="The application configuration, as dotted keys in key order (secrets masked)",
    responses={422: {"description": "Invalid paging"}, 503: _UNAVAILABLE},
)
async def list_configuration(
    settings: SettingsDep,
    _: Annotated[Principal, Requires("config:read")],
    page: PageNumber = 0,
    size: PageSize = 50,
    prefix: Annotated[
        str | None,
        Query(
            max_length=1024,
            description="Only this key and the keys below it (`crm` lists `crm.url`, "
            "`crm.timeout` …).",
        ),
    ] = None,
) -> PageOut[ConfigEntryOut]:
    entries = list(_current(settings).values())
    if prefix:
        entries = [e for e in entries if e.key == prefix or e.key.startswith(prefix + ".")]
    chosen = entries[page * size : (page + 1) * size]
    return PageOut[ConfigEntryOut](
        items=[ConfigEntryOut.of(e) for e in chosen], page=page, size=size, total=len(entries)
    )


@router.get(
    "/{key}",
    response_model=ConfigEntryOut,
    summary="One configuration key (a secret's value masked)",
    responses={404: {"description": "No such key"}, 503: _UNAVAILABLE},
)
async def get_configuration_key(
    key: Annotated[str, Path(description="The dotted key, e.g. `crm.url`.")],
    settings: SettingsDep,
    _: Annotated[Principal, Requires("config:read")],
) -> ConfigEntryOut:
    entry = _current(settings).get(key)
    if entry is None:
        raise NotFound(f"no configuration key {key!r}", field="key")
    return ConfigEntryOut.of(entry)


# --- read-only: every write method is refused, and documented as such -------------------


class MethodNotAllowed(ApiProblem):
    status = 405
    title = "Method not allowed"


_READ_ONLY: dict[int | str, dict[str, Any]] = {
    405: {
        "description": "The configuration is read-only; only GET is allowed",
        "headers": {
            "Allow": {"description": "The methods allowed: GET.", "schema": {"type": "string"}}
        },
    }
}


def _refusal(method: str, path: str) -> Callable[..., Any]:
    def refused(key: str | None = None) -> MethodNotAllowed:
        what = f"{method} of {key!r}" if key is not None else method
        return MethodNotAllowed(
            f"the application configuration is read-only: {what} is not allowed; "
            "change the configuration files or BATON_APP_* variables instead",
            headers={"Allow": "GET"},
        )

    async def refuse(_: Annotated[Principal, Requires("config:read")]) -> Response:
        raise refused()

    # the key is declared, so the OpenAPI document describes the {key} in the path
    async def refuse_key(key: str, _: Annotated[Principal, Requires("config:read")]) -> Response:
        raise refused(key)

    chosen = refuse_key if path else refuse
    chosen.__name__ = f"{method.lower()}_configuration{'_key' if path else ''}_refused"
    return chosen


for _path in ("", "/{key}"):
    for _method in ("POST", "PUT", "PATCH", "DELETE"):
        router.add_api_route(
            _path,
            _refusal(_method, _path),
            methods=[_method],
            status_code=405,
            response_class=Response,
            summary=f"Not allowed: the configuration is read-only ({_method} answers 405)",
            responses=_READ_ONLY,
            name=f"{_method.lower()}_configuration{'_key' if _path else ''}_refused",
        )
