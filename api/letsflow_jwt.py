"""JWTs a LetsFlow engine issues, accepted when ``Settings.letsflow_jwt_secret`` is set.

LetsFlow's engine signs its tokens with ``@nestjs/jwt`` and its configured ``jwt``
options: HS256 with a shared secret. Its auth service (workflow-engine
src/auth/auth.service.ts) signs ``{id, info: {name}, roles?}`` and, verifying, reads
``id`` (required), ``roles`` (default none) and ``info``. Baton reads the same claims:
``id`` is the user, ``roles`` map to privileges through ``Settings.role_privileges``
(LetsFlow's ``auth.roles`` shape), ``info.name`` is the display name. ``exp`` and ``nbf``
are checked when present (LetsFlow's demo tokens have neither); ``iss`` must match
``Settings.letsflow_jwt_issuer`` when that is set.

Which verifier a bearer JWT goes to is decided by its ``alg`` header: HS256 here when a
secret is configured, anything else to Keycloak (``api.oidc``), which accepts only
asymmetric algorithms.
"""

from __future__ import annotations

import json
from typing import Any

from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException, base64url_encode

from api.oidc import InvalidToken, _header
from core.settings import Settings

ALG = "HS256"


def is_letsflow_jwt(token: str, settings: Settings) -> bool:
    """Whether ``token`` is one for this module: a secret is configured and the token's
    header names HS256 (read before any key is involved)."""
    return bool(settings.letsflow_jwt_secret) and _header(token).get("alg") == ALG


def verify(token: str, settings: Settings) -> tuple[str, str, frozenset[str]]:
    """The user id, display name and roles of a valid LetsFlow JWT; ``InvalidToken``
    (401 with the reason) otherwise."""
    key = jwk.JWK(kty="oct", k=base64url_encode(settings.letsflow_jwt_secret.encode()))
    try:
        # no check_claims: jwcrypto then checks exp and nbf when the token has them
        checked = jwt.JWT(jwt=token, key=key, algs=[ALG], expected_type="JWS")
        claims: Any = json.loads(checked.claims)
    except jwt.JWTExpired as exc:
        raise InvalidToken("expired") from exc
    except jwt.JWTNotYetValid as exc:
        raise InvalidToken("not valid yet (nbf)") from exc
    except jws.InvalidJWSSignature as exc:
        raise InvalidToken("signature does not verify") from exc
    except (JWException, ValueError) as exc:
        raise InvalidToken(f"not a valid signed JWT: {exc}") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("the claims are not an object")
    issuer = settings.letsflow_jwt_issuer
    if issuer and claims.get("iss") != issuer:
        raise InvalidToken(f"wrong issuer {claims.get('iss')!r}")
    user = claims.get("id")
    if not isinstance(user, str) or not user:
        raise InvalidToken('invalid JWT payload: missing "id" field')
    roles = claims.get("roles") or []
    if not isinstance(roles, list):
        raise InvalidToken("roles is not a list")
    info = claims.get("info")
    name = info.get("name") if isinstance(info, dict) else None
    return (
        user,
        name if isinstance(name, str) and name else user,
        frozenset(r for r in roles if isinstance(r, str)),
    )
