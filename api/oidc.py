"""Keycloak-issued JWTs, checked with python-keycloak (jwcrypto underneath).

The realm's discovery document gives the issuer; its certs endpoint gives the signing
keys, cached in memory. A token naming a key id the cache does not hold triggers one
refetch -- that is how a key rotated in Keycloak is picked up without a restart -- at
most once per ``oidc_key_refresh_seconds``, so forged key ids cannot make the API hammer
Keycloak. Checks: an asymmetric signature algorithm (never ``none``, never HMAC, which
would let a public key act as a shared secret), the signature, ``iss``, ``aud``,
``exp`` (required) and ``nbf`` (when present), within ``oidc_leeway_seconds``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError

from api.problems import ApiProblem, Unavailable
from core.settings import Settings

#: Signature algorithms Keycloak signs with; symmetric and ``none`` are never accepted.
ALLOWED_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class InvalidToken(ApiProblem):
    """401 with the reason; ``WWW-Authenticate`` per RFC 6750 so clients know to refresh."""

    status = 401
    title = "Unauthenticated"

    def __init__(self, reason: str) -> None:
        self.reason = reason  # a refused Basic login is answered with it (api/auth.py)
        super().__init__(
            f"bearer token refused: {reason}",
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
            },
        )


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    name: str
    roles: frozenset[str]
    claims: dict[str, Any]


def _header(token: str) -> dict[str, Any]:
    """The JOSE header, read before any key is involved so ``alg`` can be judged first."""
    first = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed token header") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed token header")
    return header


class TokenVerifier:
    """One per app: holds the realm's issuer and key set between requests."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keycloak = KeycloakOpenID(
            server_url=settings.oidc_server_url,
            realm_name=settings.oidc_realm,
            client_id=settings.oidc_audience,
            timeout=5,
        )
        self._issuer: str | None = None
        self._keys: jwk.JWKSet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.key_fetches = 0  # observable for tests and logs

    async def _discover(self) -> str:
        if self._issuer is None:
            try:
                document = await self._keycloak.a_well_known()
            except (KeycloakError, OSError) as exc:
                raise Unavailable(f"the identity provider did not answer discovery: {exc}") from exc
            issuer = document.get("issuer")
            if not isinstance(issuer, str) or not issuer:
                raise Unavailable("the identity provider's discovery document names no issuer")
            self._issuer = issuer
        return self._issuer

    async def _key_set(self, kid: str | None) -> jwk.JWKSet:
        """The cached keys; refetched when missing or when ``kid`` is unknown (rate-bound)."""
        async with self._lock:
            stale = self._keys is None or (kid is not None and self._keys.get_key(kid) is None)
            interval = self._settings.oidc_key_refresh_seconds
            if stale and (self._keys is None or time.monotonic() - self._fetched_at >= interval):
                try:
                    certs = await self._keycloak.a_certs()
                except (KeycloakError, OSError) as exc:
                    if self._keys is None:
                        raise Unavailable(
                            f"the identity provider's keys are unreachable: {exc}"
                        ) from exc
                else:
                    keys = jwk.JWKSet()
                    for cert in certs.get("keys", []):
                        if cert.get("use", "sig") == "sig":
                            keys.add(jwk.JWK(**cert))
                    self._keys = keys
                    self._fetched_at = time.monotonic()
                    self.key_fetches += 1
            assert self._keys is not None
            return self._keys

    async def verify(self, token: str) -> VerifiedToken:
        header = _header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
            raise InvalidToken(f"signature algorithm {alg!r} is not accepted")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        issuer = await self._discover()
        keys = await self._key_set(kid)
        if kid is not None and keys.get_key(kid) is None:
            raise InvalidToken(f"signed with unknown key {kid!r}")
        settings = self._settings
        try:
            claims = await self._keycloak.a_decode_token(
                token,
                key=keys,
                algs=ALLOWED_ALGS,
                expected_type="JWS",
                leeway=settings.oidc_leeway_seconds,
                check_claims={"iss": issuer, "aud": settings.oidc_audience, "exp": None},
            )
        except jwt.JWTExpired as exc:
            raise InvalidToken("expired") from exc
        except jwt.JWTNotYetValid as exc:
            raise InvalidToken("not valid yet (nbf)") from exc
        except jwt.JWTMissingClaim as exc:
            raise InvalidToken(f"missing claim: {exc}") from exc
        except jwt.JWTInvalidClaimValue as exc:
            raise InvalidToken(f"wrong issuer or audience: {exc}") from exc
        except (jws.InvalidJWSSignature, jwt.JWTMissingKey) as exc:
            # the kid is known (checked above): no key of that id verifies the signature
            raise InvalidToken("signature does not verify") from exc
        except (JWException, ValueError) as exc:
            raise InvalidToken(f"not a valid signed JWT: {exc}") from exc
        # jwcrypto checks nbf only when no check_claims are given; Baton always gives them
        not_before = claims.get("nbf")
        if not_before is not None:
            if not isinstance(not_before, int | float):
                raise InvalidToken("nbf is not a number")
            if not_before > time.time() + settings.oidc_leeway_seconds:
                raise InvalidToken("not valid yet (nbf)")
        return self._identity(claims)

    def _identity(self, claims: dict[str, Any]) -> VerifiedToken:
        """Subject and roles the way Keycloak lays them out: realm roles plus the roles of
        this API's client (``resource_access[audience]``)."""
        subject = claims.get(self._settings.oidc_username_claim) or claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("names no subject")
        roles: set[str] = set()
        realm_access = claims.get("realm_access")
        if isinstance(realm_access, dict):
            roles.update(r for r in realm_access.get("roles", []) if isinstance(r, str))
        resource_access = claims.get("resource_access")
        if isinstance(resource_access, dict):
            own = resource_access.get(self._settings.oidc_audience)
            if isinstance(own, dict):
                roles.update(r for r in own.get("roles", []) if isinstance(r, str))
        name = claims.get("name")
        return VerifiedToken(
            subject=subject,
            name=name if isinstance(name, str) and name else subject,
            roles=frozenset(roles),
            claims=claims,
        )


class PasswordLogins:
    """HTTP Basic user passwords checked against the realm with Keycloak's direct grant
    (``grant_type=password`` through ``Settings.oidc_basic_client_id``), as Camunda 7's
    REST API checks Basic logins against its identity service. The token the realm
    answers is verified like any Bearer token, so roles and privileges are the same.

    A successful login is remembered for ``oidc_basic_cache_seconds`` (keyed by a hash of
    user and password, never the password itself): external-task workers poll several
    times a second, and each poll must not cost the identity provider a login. A failed
    login is never remembered, so a password fixed in Keycloak works at once."""

    def __init__(self, settings: Settings, tokens: TokenVerifier) -> None:
        self._settings = settings
        self._tokens = tokens
        self._keycloak = KeycloakOpenID(
            server_url=settings.oidc_server_url,
            realm_name=settings.oidc_realm,
            client_id=settings.oidc_basic_client_id,
            client_secret_key=settings.oidc_basic_client_secret or None,
            timeout=5,
        )
        self._known: dict[bytes, tuple[float, VerifiedToken]] = {}
        self.logins = 0  # observable for tests: how often the realm was asked

    async def login(self, user: str, password: str) -> VerifiedToken:
        digest = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        now = time.monotonic()
        found = self._known.get(digest)
        if found is not None and found[0] > now:
            return found[1]
        try:
            answer = await self._keycloak.a_token(username=user, password=password)
        except KeycloakAuthenticationError as exc:
            raise InvalidToken(f"the identity provider refused the login of {user!r}") from exc
        except KeycloakError as exc:
            if getattr(exc, "response_code", None) in (400, 401):
                raise InvalidToken(f"the identity provider refused the login of {user!r}") from exc
            raise Unavailable(f"the identity provider did not answer the login: {exc}") from exc
        except OSError as exc:
            raise Unavailable(f"the identity provider did not answer the login: {exc}") from exc
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise Unavailable("the identity provider answered the login without an access token")
        identity = await self._tokens.verify(token)
        if len(self._known) > 10_000:  # bounded: forget the oldest half
            for key in sorted(self._known, key=lambda k: self._known[k][0])[:5_000]:
                del self._known[key]
        self._known[digest] = (now + self._settings.oidc_basic_cache_seconds, identity)
        self.logins += 1
        return identity
