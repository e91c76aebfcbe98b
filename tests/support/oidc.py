"""A real OpenID Connect provider for tests, in Keycloak's URL layout.

``tests/oidc_provider/server.mjs`` runs the certified ``oidc-provider`` npm package under
``/realms/{realm}``, so python-keycloak (and thus the API) talks to it exactly as to
Keycloak: discovery, ``protocol/openid-connect/certs`` and a client-credentials token
endpoint whose access tokens are RS256 JWTs with ``preferred_username`` and
``realm_access.roles``. :class:`OidcProvider` starts and stops that process; ``sign`` and
``unsigned`` mint tokens the provider would never issue (forged, expired, ``alg: none``).
With an :class:`OidcWebClient` it also serves the browser login (authorization code with
PKCE, a username/password form for the users, CORS on the token endpoint for the pages).

The npm dependencies are installed by ``make test``
(``tests/oidc_provider/node_modules/.installed``).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx
from jwcrypto import jwk, jwt

from core.settings import Settings
from tests.support.ports import free_port

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc_provider"
START_TIMEOUT = 20.0
_READY = "oidc-provider ready "


class OidcProviderError(RuntimeError):
    """The provider could not be started, or refused a request."""


@dataclass(frozen=True)
class OidcClient:
    """A confidential client allowed the client-credentials grant; its tokens name
    ``username`` as ``preferred_username`` and carry ``roles`` as realm roles."""

    client_id: str
    client_secret: str
    username: str
    roles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OidcUser:
    """A realm user, for Keycloak's direct grant (``grant_type=password``) and the
    browser login form: its tokens name ``username`` (and ``name``, when given, as
    Keycloak's profile scope does) and carry ``roles`` as realm roles."""

    username: str
    password: str
    roles: list[str] = field(default_factory=list)
    name: str | None = None


@dataclass(frozen=True)
class OidcWebClient:
    """A public client for the pages' authorization code flow with PKCE, like the
    realm's ``baton-web``: no secret; ``redirect_uris`` are the page URLs the provider
    may send the browser back to; ``origins`` may call the token endpoint (CORS)."""

    client_id: str
    redirect_uris: list[str]
    origins: list[str]


def new_rsa_key(kid: str) -> jwk.JWK:
    """A fresh 2048-bit RSA signing key (private), tagged ``kid`` / RS256."""
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid, alg="RS256", use="sig")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(
    claims: Mapping[str, Any], key: jwk.JWK, *, alg: str = "RS256", kid: str | None = None
) -> str:
    """A compact JWS over ``claims`` signed with ``key``; the header names ``kid`` (the
    key's own kid when not given, none when the key has none either)."""
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    key_id = kid if kid is not None else key.get("kid")
    if key_id is not None:
        header["kid"] = key_id
    token = jwt.JWT(header=header, claims=dict(claims))
    token.make_signed_token(key)
    serialized: str = token.serialize()
    return serialized


def unsigned(claims: Mapping[str, Any]) -> str:
    """An ``alg: none`` token: header ``{"alg":"none","typ":"JWT"}`` and an empty signature."""
    header = json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode()
    payload = json.dumps(dict(claims), separators=(",", ":")).encode()
    return f"{_b64(header)}.{_b64(payload)}."


class OidcProvider:
    """One ``oidc-provider`` process bound to 127.0.0.1 on a port kept across restarts.

    ``workdir`` receives the process's config (``oidc-provider.json``) and output
    (``oidc-provider.log``). The first of ``keys`` signs; the certs endpoint lists all.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        realm: str = "baton",
        audience: str = "baton-api",
        clients: list[OidcClient],
        keys: list[jwk.JWK],
        access_token_ttl: int = 300,
        users: list[OidcUser] | None = None,
        web_client: OidcWebClient | None = None,
    ) -> None:
        if not keys:
            raise ValueError("OidcProvider needs at least one signing key")
        if not clients:
            raise ValueError("OidcProvider needs at least one client")
        self._workdir = workdir
        self._realm = realm
        self._audience = audience
        self._clients = {c.client_id: c for c in clients}
        self._keys = list(keys)
        self._users = list(users or [])
        self._web_client = web_client
        self._ttl = access_token_ttl
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Spawn the provider and wait (up to ~20 s) until it has announced itself."""
        if self._process is not None:
            raise OidcProviderError("the OIDC provider is already running")
        node = shutil.which("node")
        if node is None:
            raise OidcProviderError("node is not installed (Node.js 20+ is needed)")
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
            raise OidcProviderError(
                f"{PROVIDER_DIR / 'node_modules'} is missing: run `make test`, which installs "
                "the test OIDC provider's npm dependencies (npm ci in tests/oidc_provider)"
            )
        if self._port is None:
            self._port = free_port()
        self._workdir.mkdir(parents=True, exist_ok=True)
        config = self._workdir / "oidc-provider.json"
        config.write_text(json.dumps(self._config(), indent=2))
        config.chmod(0o600)
        log_path = self._workdir / "oidc-provider.log"
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    node,
                    "server.mjs",
                    "--port",
                    str(self._port),
                    "--realm",
                    self._realm,
                    "--config",
                    str(config.resolve()),
                ],
                cwd=PROVIDER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready(log_path)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, log_path: Path) -> None:
        assert self._process is not None
        expected = f"{_READY}{self.issuer}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            output = log_path.read_text(errors="replace")
            if any(line.strip() == expected for line in output.splitlines()):
                return
            code = self._process.poll()
            if code is not None:
                raise OidcProviderError(
                    f"the OIDC provider exited with code {code} before it was ready:\n{output}"
                )
            time.sleep(0.05)
        raise OidcProviderError(
            f"the OIDC provider did not come up within {START_TIMEOUT:.0f}s:\n"
            + log_path.read_text(errors="replace")
        )

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 10 s); idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def restart(
        self, *, keys: list[jwk.JWK] | None = None, clients: list[OidcClient] | None = None
    ) -> None:
        """Stop and start again on the same port, e.g. with rotated ``keys`` (the first
        signs new tokens; list the old key after it to keep it published)."""
        if keys is not None:
            if not keys:
                raise ValueError("OidcProvider needs at least one signing key")
            self._keys = list(keys)
        if clients is not None:
            self._clients = {c.client_id: c for c in clients}
        self.stop()
        self.start()

    def __enter__(self) -> OidcProvider:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _config(self) -> dict[str, Any]:
        return {
            "keys": [key.export_private(as_dict=True) for key in self._keys],
            "clients": [
                {
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                    "username": c.username,
                    "roles": list(c.roles),
                }
                for c in self._clients.values()
            ],
            "users": [
                {
                    "username": u.username,
                    "password": u.password,
                    "roles": list(u.roles),
                    **({"name": u.name} if u.name else {}),
                }
                for u in self._users
            ],
            **(
                {
                    "web_client": {
                        "client_id": self._web_client.client_id,
                        "redirect_uris": list(self._web_client.redirect_uris),
                        "origins": list(self._web_client.origins),
                    }
                }
                if self._web_client is not None
                else {}
            ),
            "audience": self._audience,
            "access_token_ttl": self._ttl,
        }

    # -- what tests and the API are pointed at -------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise OidcProviderError("the OIDC provider has not been started")
        return self._port

    @property
    def server_url(self) -> str:
        """What python-keycloak's ``KeycloakOpenID(server_url=...)`` takes."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/{self._realm}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def realm(self) -> str:
        return self._realm

    @property
    def audience(self) -> str:
        return self._audience

    @property
    def keys(self) -> list[jwk.JWK]:
        return list(self._keys)

    def settings_for(self, base: Settings, **more: Any) -> Settings:
        """``base`` in production mode, trusting this realm's tokens (and ``more``)."""
        return base.model_copy(
            update={
                "env": "prod",
                "oidc_server_url": self.server_url,
                "oidc_realm": self.realm,
                "oidc_audience": self.audience,
                **more,
            }
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def token(
        self,
        client_id: str,
        *,
        scope: str | None = None,
        auth: Literal["basic", "post"] = "basic",
    ) -> str:
        """A client-credentials access token (a JWT) for a configured client."""
        client = self._clients.get(client_id)
        if client is None:
            raise KeyError(f"no OIDC client {client_id!r} is configured")
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        basic: tuple[str, str] | None = None
        if auth == "basic":
            basic = (client.client_id, client.client_secret)
        else:
            data |= {"client_id": client.client_id, "client_secret": client.client_secret}
        response = httpx.post(self.token_endpoint, data=data, auth=basic, timeout=10)
        if response.status_code != 200:
            raise OidcProviderError(
                f"token request for {client_id!r} failed: {response.status_code} {response.text}"
            )
        access_token = response.json().get("access_token")
        if not isinstance(access_token, str):
            raise OidcProviderError(f"token response carries no access_token: {response.text}")
        return access_token
