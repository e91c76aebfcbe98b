"""The one settings object shared by the API, the worker and the CLI.

Every value comes from the environment (prefix ``BATON_``) or a ``.env`` file, so the
same code runs embedded (``make run``) and in the compose deploy without edits.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.privileges import DEFAULT_ROLE_PRIVILEGES, unknown


class Settings(BaseSettings):
    """Configuration for every Baton process; see README for the deploy mapping."""

    # an empty variable (a blank line in .env or compose) means "not set"
    model_config = SettingsConfigDict(
        env_prefix="BATON_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    env: Literal["dev", "prod"] = Field(
        default="prod",
        description="dev: demo accounts (Bearer demo-<id>, and no credentials acts as the "
        "demo admin). prod: only Keycloak tokens and API keys; demo tokens are refused.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded state (SQLite files).")
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///… or postgresql+asyncpg://…; "
        "unset: sqlite+aiosqlite:///<data_dir>/baton.db, so BATON_DATA_DIR moves it too.",
    )
    temporal_address: str = Field(default="127.0.0.1:7233")
    temporal_namespace: str = Field(default="default")
    task_queue: str = Field(default="baton", description="Queue of the interpreter workflow.")
    external_tasks: bool = Field(
        default=True,
        description="Park service tasks of types no registered activity serves for HTTP "
        "workers (fetch-and-lock). Set false when Temporal workers in other languages "
        "serve service tasks on the same task queue.",
    )
    temporal_ui_port: int = Field(default=8233)
    message_settle_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="How long a message addressed to a business key (or published with no "
        "time-to-live) is kept for instances that Temporal's visibility shows late.",
    )
    temporal_rpc_timeout_seconds: float = Field(
        default=10.0,
        description="Bound on every update and query: without a worker they would hang.",
    )
    api_host: str = Field(default="127.0.0.1")
    api_port: int = Field(default=8000)
    rate_limits: dict[str, str] = Field(
        default={"default": "6000/minute"},
        description="Requests allowed per caller (credential, or client IP when anonymous) "
        "by route family: the segment after /v1/bpms/ (deployments, process-instances, "
        "tasks, incidents, messages, signals, service-tasks) or after /v1/ (audit, events, "
        "documents …), 'oneweb' (/BPMREST/), 'letsflow' (/scenarios, /processes, /apikey, "
        "/info, /demo-accounts), 'case-repository', with 'default' for the rest. Values "
        "like '100/minute' or '10/second;500/hour'.",
    )
    auth_failure_limit: str = Field(
        default="30/minute",
        description="401 answers allowed per client address; past it every request from "
        "that address is 429 until the window moves on (rotating bad tokens).",
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1,
        description="Largest request body (JSON commands and anything but uploads); "
        "larger ones are 413 before they are read (api/body_limits.py).",
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="Largest multipart/form-data body (deployments of several diagrams, "
        "document templates); larger ones are 413 before they are read.",
    )
    rate_limit_storage: str = Field(
        default="async+memory://",
        description="Where counts live: async+memory:// (one process) or "
        "async+redis://host:6379 so that several API replicas share limits.",
    )
    tls_certfile: Path | None = Field(
        default=None,
        description="PEM certificate (chain) for HTTPS; with tls_keyfile the API speaks "
        "TLS 1.2 or 1.3 only.",
    )
    tls_keyfile: Path | None = Field(default=None, description="PEM private key for HTTPS.")
    tls_keyfile_password: str | None = Field(
        default=None, description="Password of an encrypted tls_keyfile."
    )
    oidc_server_url: str = Field(
        default="",
        description="Keycloak's base URL (e.g. https://sso.example.com/); empty: bearer JWTs "
        "are refused. Discovery and keys are read from /realms/{realm}/ below it.",
    )
    oidc_realm: str = Field(default="baton", description="The Keycloak realm tokens come from.")
    oidc_audience: str = Field(
        default="baton-api", description="The token audience (aud) the API accepts."
    )
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="Claim that names the user (task assignee, audit subject); sub if absent.",
    )
    oidc_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew tolerated on exp and nbf."
    )
    oidc_key_refresh_seconds: float = Field(
        default=10.0,
        ge=0,
        description="At most one key-set refetch per this interval when a token names an "
        "unknown key id (key rotation), so forged kids cannot flood Keycloak.",
    )
    oidc_basic_client_id: str = Field(
        default="",
        description="A realm client with direct access grants enabled: HTTP Basic logins "
        "whose password is no API key are checked with Keycloak's direct grant through it "
        "(Camunda clients' Basic auth with realm users). Empty: such logins are refused.",
    )
    oidc_basic_client_secret: str = Field(
        default="", description="That client's secret (empty for a public client)."
    )
    oidc_basic_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="How long a successful Basic login is remembered (a worker polls often).",
    )
    oidc_web_client_id: str = Field(
        default="baton-web",
        description="The realm's public client (authorization code with PKCE) that the "
        "Cockpit and Tasklist pages sign in with outside dev mode; its tokens must carry "
        "oidc_audience. Empty: the pages offer no login.",
    )
    web_dir: Path | None = Field(
        default=None,
        description="Where the web pages live (web/: pages, src, node_modules); unset: "
        "the checkout's web/ next to the api package.",
    )
    role_privileges: dict[str, list[str]] = Field(
        default=DEFAULT_ROLE_PRIVILEGES,
        description="Role -> privileges (JSON). '*' lists what every authenticated caller "
        "holds; a privilege ending in ':*' covers its family; '*' covers everything.",
    )
    letsflow_services: dict[str, str] = Field(
        default_factory=dict,
        description="LetsFlow service name -> webhook URL that receives its notifications "
        "(JSON). Services without one act through the API with a service-scoped API key.",
    )
    config_dir: Path | None = Field(
        default=None,
        description="Directory of YAML (.yaml, .yml) and JSON (.json) files with the "
        "application configuration served read-only at /v1/configuration, merged in name "
        "order; variables BATON_APP_<SECTION>__<KEY> add to and override them. Unset: "
        "the environment only.",
    )
    public_url: str = Field(default="", description="Base URL printed and used in links.")
    temporal_ui_url: str = Field(default="", description="Temporal Web UI base URL for links.")
    max_variables_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest JSON (bytes) of the variables, business data or payload one "
        "request may hand to a workflow; more is refused with 413 before anything changes. "
        "Well under Temporal's 2 MB payload limit (api/limits.py).",
    )
    max_instance_variables_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1536 * 1024,
        description="Largest JSON (bytes) of all of an instance's variables after a "
        "variables write (PATCH/PUT); more is refused with 413. Its state, a continue-as-new "
        "and a service task's input must fit in one 2 MB payload.",
    )
    script_time_limit_seconds: float = Field(
        default=1.0,
        gt=0,
        le=20,
        description="CPU time one JavaScript script task may use (the baton.javascript "
        "local activity); a script past it stops and its task becomes an incident. "
        "JavaScript conditions run in the workflow with a fixed 0.5 s, so replays agree.",
    )
    script_memory_limit_mb: int = Field(
        default=32,
        ge=1,
        le=1024,
        description="Memory (MB) one JavaScript script task's engine may allocate; a script "
        "past it stops and its task becomes an incident.",
    )
    # the `baton` command's client side (deploy, start, instances, tasks, complete)
    api_url: str | None = Field(
        default=None,
        description="Where `baton deploy/start/instances/tasks` reach the API; default "
        "http(s)://api_host:api_port.",
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token those commands send (a Keycloak token or an API key); "
        "none is needed in dev mode.",
    )

    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the worker's Prometheus endpoint (/metrics): the Temporal "
        "SDK's own metrics (workflow and activity tasks, schedule-to-start latency, task "
        "slots) and Baton's read-model lag. 0: no endpoint (`make run` uses 9464). One "
        "port per worker process.",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1", description="Address the worker's metrics endpoint binds to."
    )
    dev_temporal_metrics_port: int = Field(
        default=9465,
        ge=1,
        le=65535,
        description="`make run`: the embedded Temporal dev server's own /metrics port "
        "(fixed, so Prometheus can find it).",
    )
    otlp_endpoint: str = Field(
        default="",
        description="OTLP/HTTP traces endpoint (e.g. http://otel-collector:4318/v1/traces): "
        "the API and the worker export one trace per REST call, through the workflow "
        "update to its activities. Empty: tracing is off.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per record; json: one JSON object per line "
        "with the request id and workflow id where there is one (for log shippers).",
    )
    letsflow_webhook_body: Literal["message", "envelope"] = Field(
        default="message",
        description="What a LetsFlow notification POSTs to a service's webhook. message: "
        "as LetsFlow's engine, the notify entry's message, or LetsFlow's standard message "
        "{process, actions, instructions?, etag}; envelope: Baton's {process, message, "
        "trigger}, the whole process document with the entry.",
    )
    letsflow_jwt_secret: str = Field(
        default="",
        description="The HS256 secret a LetsFlow engine signs its JWTs with (its "
        "`jwt.secret`): bearer tokens signed with it are accepted, their `id`, `roles` and "
        "`info.name` claims mapped to a user. Empty: LetsFlow JWTs are not accepted. At "
        "least 32 bytes (RFC 7518 §3.2: an HS256 key is at least as long as its hash).",
    )
    letsflow_jwt_issuer: str = Field(
        default="",
        description="When set, a LetsFlow JWT must carry this `iss`.",
    )

    @field_validator("role_privileges")
    @classmethod
    def _known_privileges(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = sorted({p for privileges in value.values() for p in unknown(privileges)})
        if bad:
            raise ValueError(f"unknown privileges {bad}; see baton/privileges.py")
        return value

    @field_validator("letsflow_jwt_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < 32:
            raise ValueError("an HS256 secret is at least 32 bytes (RFC 7518 section 3.2)")
        return value

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        # The embedded database belongs with the rest of the embedded state: a fixed
        # .data/baton.db would leave it behind when BATON_DATA_DIR points elsewhere.
        if not self.database_url:
            self.database_url = default_database_url(self.data_dir)
        return self

    @property
    def dev_mode(self) -> bool:
        """Demo accounts are accepted (BATON_ENV=dev) -- never in production."""
        return self.env == "dev"

    def ui_base_url(self) -> str:
        """Where people open the Temporal Web UI (for links in answers and logs)."""
        host = self.temporal_address.rsplit(":", 1)[0]
        return self.temporal_ui_url or f"http://{host}:{self.temporal_ui_port}"


def default_database_url(data_dir: Path) -> str:
    """The embedded SQLite database inside ``data_dir`` (relative paths stay relative)."""
    return f"sqlite+aiosqlite:///{data_dir / 'baton.db'}"


@lru_cache
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()
