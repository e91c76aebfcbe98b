"""Who is calling, and whether they may. One ``Principal`` for every route, whatever
proved it, from ``Authorization: Bearer <credential>``:

* a JWT issued by the configured Keycloak realm (``api.oidc``);
* an HS256 JWT signed with a LetsFlow engine's secret (``api.letsflow_jwt``), when
  ``letsflow_jwt_secret`` is set;
* a LetsFlow API key (``lfl_…``), whose privileges and scope are those it was issued with;
* only when ``BATON_ENV=dev``: ``demo-<account>``, and no credentials at all acting as the
  demo administrator, so ``make run`` and curl work without a token.

Camunda's clients (``/engine-rest``: the Modeler, the external-task clients) send
``Authorization: Basic``; it is accepted wherever Bearer is, with the same principals:

* user any, password an API key (``lfl_…``): that key (the user, when it is the key's id
  or name, is checked against it);
* only when ``BATON_ENV=dev``: user a demo account, any password.

* with ``oidc_basic_client_id`` set: user and password of a realm user, checked with
  Keycloak's direct grant (``api.oidc.PasswordLogins``), with that user's roles.

Anything else is 401 with the reason and a challenge: ``WWW-Authenticate: Bearer``, but
``Basic`` where the reference API declares HTTP Basic as its scheme (Eximee's Case
Repository, ``BASIC_PATHS``) and wherever Basic credentials were refused, so a client
that waits for a Basic challenge before it sends its password gets one.

Routes declare the privilege they need with ``Requires``; a principal that lacks it gets
403 naming the privilege. Privileges come from roles through ``Settings.role_privileges``
(``core.privileges``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request

from api import letsflow_jwt
from api.oidc import InvalidToken, PasswordLogins, TokenVerifier
from api.problems import ApiProblem, Forbidden
from core import privileges
from core.settings import Settings
from store import api_keys
from store.db import Store

_BEARER = 'Bearer realm="baton"'
_BASIC = 'Basic realm="baton", charset="UTF-8"'

#: Paths whose reference API declares HTTP Basic as its only scheme (Eximee's Case
#: Repository OpenAPI: ``security: [basicAuth]``): a 401 there challenges Basic.
BASIC_PATHS = ("/api/case-repository/",)


def basic_declared(path: str) -> bool:
    return path.startswith(BASIC_PATHS)


@dataclass(frozen=True)
class ApiKeyScope:
    """What an API key was issued for, beyond its privileges (LetsFlow's shape)."""

    key_id: str
    processes: tuple[dict[str, Any], ...] | None = None
    service: str | None = None


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    privileges: frozenset[str] = field(default_factory=frozenset)
    api_key: ApiKeyScope | None = None
    method: str = "demo"  # how it was proven: oidc, apikey, letsflow or demo

    def can(self, privilege: str) -> bool:
        return privileges.holds(self.privileges, privilege)

    @property
    def is_admin(self) -> bool:
        """May act on any task and read the audit log."""
        return self.can("admin")


#: Demo accounts for BATON_ENV=dev; the same people and roles as the Keycloak realm.
DEMO_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "demo": ("Demo Admin", frozenset({"admin", "accounting", "management"})),
    "john": ("John Doe", frozenset({"accounting"})),
    "mary": ("Mary Major", frozenset({"management"})),
}


def demo_principal(subject: str, settings: Settings) -> Principal:
    name, roles = DEMO_ROLES[subject]
    held = privileges.for_roles(roles, settings.role_privileges)
    return Principal(subject, name, roles, held, method="demo")


class Unauthenticated(ApiProblem):
    status = 401
    title = "Unauthenticated"

    def __init__(self, detail: str, *, basic: bool = False) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": _BASIC if basic else _BEARER})


def verifier(request: Request) -> TokenVerifier | None:
    """The app's JWT verifier, made on first use; None when no realm is configured."""
    settings: Settings = request.app.state.settings
    if not settings.oidc_server_url:
        return None
    found: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if found is None:
        found = TokenVerifier(settings)
        request.app.state.token_verifier = found
    return found


def password_logins(request: Request) -> PasswordLogins | None:
    """The app's Basic-password checker (Keycloak's direct grant), made on first use;
    None unless a realm and a direct-grant client are configured."""
    settings: Settings = request.app.state.settings
    tokens = verifier(request)
    if tokens is None or not settings.oidc_basic_client_id:
        return None
    found: PasswordLogins | None = getattr(request.app.state, "password_logins", None)
    if found is None:
        found = PasswordLogins(settings, tokens)
        request.app.state.password_logins = found
    return found


async def _from_api_key(request: Request, token: str) -> Principal:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        raise Unauthenticated("API keys cannot be checked: the database is not connected")
    row = await api_keys.active(store, token, datetime.now(UTC))
    if row is None:
        raise Unauthenticated("unknown, revoked or expired API key")
    scope = ApiKeyScope(
        key_id=row.id,
        processes=tuple(row.processes) if row.processes is not None else None,
        service=row.service,
    )
    return Principal(
        subject=f"apikey:{row.id}",
        name=row.name,
        privileges=frozenset(row.privileges),
        api_key=scope,
        method="apikey",
    )


async def _from_jwt(request: Request, token: str, settings: Settings) -> Principal:
    if letsflow_jwt.is_letsflow_jwt(token, settings):  # HS256 with LetsFlow's secret
        user, name, roles = letsflow_jwt.verify(token, settings)
        held = privileges.for_roles(roles, settings.role_privileges)
        return Principal(user, name, roles, held, method="letsflow")
    found = verifier(request)
    if found is None:
        raise Unauthenticated("bearer JWTs are not accepted: no identity provider is configured")
    identity = await found.verify(token)
    held = privileges.for_roles(identity.roles, settings.role_privileges)
    return Principal(identity.subject, identity.name, identity.roles, held, method="oidc")


async def _from_basic(request: Request, encoded: str, settings: Settings) -> Principal:
    """HTTP Basic as Camunda's clients and the Case Repository's send it: an API key as
    the password, a realm user's password (with a direct-grant client configured), or
    (dev only) a demo account as the user. For a key, the key, not the user name, is the
    credential; a user name that names another key is refused so the audit log cannot be
    misled. Every refusal challenges Basic again."""
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated(
            "Basic credentials are not base64 of user:password", basic=True
        ) from None
    if not sep:
        raise Unauthenticated("Basic credentials are not base64 of user:password", basic=True)
    if password.startswith(api_keys.PREFIX):
        try:
            principal = await _from_api_key(request, password)
        except Unauthenticated as err:
            raise Unauthenticated(err.detail, basic=True) from None
        scope = principal.api_key
        if user and scope is not None and user not in (scope.key_id, principal.name):
            raise Unauthenticated("the Basic user is not this API key's id or name", basic=True)
        return principal
    if settings.dev_mode and user in DEMO_ROLES:
        return demo_principal(user, settings)
    logins = password_logins(request)
    if logins is not None and user:
        try:
            identity = await logins.login(user, password)
        except InvalidToken as err:
            raise Unauthenticated(err.reason, basic=True) from None
        held = privileges.for_roles(identity.roles, settings.role_privileges)
        return Principal(identity.subject, identity.name, identity.roles, held, method="oidc")
    if user in DEMO_ROLES:
        raise Unauthenticated("demo accounts are accepted only when BATON_ENV=dev", basic=True)
    raise Unauthenticated(
        "Basic credentials need an API key as the password: user passwords are checked "
        "against the identity provider only when oidc_basic_client_id is configured",
        basic=True,
    )


def _wanted(basic: bool) -> str:
    if basic:
        return (
            "Authorization: Basic <base64 of user:password> (a realm user, or an API key as "
            "the password) or Authorization: Bearer <token>"
        )
    return "Authorization: Bearer <token>"


async def authenticate(request: Request) -> Principal:
    """Resolve the caller once per request (several dependencies may ask)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    basic = basic_declared(request.url.path)
    if not header:
        if not settings.dev_mode:
            raise Unauthenticated(f"credentials required: {_wanted(basic)}", basic=basic)
        principal = demo_principal("demo", settings)
    elif scheme.lower() == "basic" and token:
        principal = await _from_basic(request, token, settings)
    elif scheme.lower() != "bearer" or not token:
        raise Unauthenticated(f"use {_wanted(basic)}", basic=basic or scheme.lower() == "basic")
    elif token.startswith(api_keys.PREFIX):
        principal = await _from_api_key(request, token)
    elif token.startswith("demo-"):
        if not settings.dev_mode:
            raise Unauthenticated("demo tokens are accepted only when BATON_ENV=dev")
        subject = token.removeprefix("demo-")
        if subject not in DEMO_ROLES:
            raise Unauthenticated(f"unknown demo account; one of {sorted(DEMO_ROLES)}")
        principal = demo_principal(subject, settings)
    elif token.count(".") == 2:
        principal = await _from_jwt(request, token, settings)
    else:
        raise Unauthenticated("unrecognised bearer token")
    request.state.principal = principal  # for the audit log (api/audit.py)
    return principal


class Privileged:
    """A dependency that authenticates and demands one privilege. The OpenAPI document
    reads ``privilege`` off it (api/openapi.py), so docs and enforcement cannot drift."""

    def __init__(self, privilege: str) -> None:
        if privilege not in privileges.CATALOGUE:
            raise ValueError(f"undeclared privilege {privilege!r}; add it to baton/privileges.py")
        self.privilege = privilege

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.can(self.privilege):
            raise Forbidden(
                f"this call needs the privilege {self.privilege!r}", privilege=self.privilege
            )
        return principal


def Requires(privilege: str) -> Any:
    """``principal: Annotated[Principal, Requires("bpms:task:complete")]``."""
    return Depends(Privileged(privilege))
