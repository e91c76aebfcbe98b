"""Who is calling. One ``Principal`` for every route, whatever proved it.

Until OIDC and API keys land, only dev mode authenticates, with demo accounts: a request
without credentials acts as ``demo``; ``Authorization: Bearer demo-<id>`` acts as that
account. Outside dev mode every request is refused with 401, never silently let in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.problems import ApiProblem
from baton.settings import Settings


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)


DEMO_ACCOUNTS: dict[str, Principal] = {
    p.subject: p
    for p in (
        Principal("demo", "Demo Admin", frozenset({"admin", "accounting", "management"})),
        Principal("john", "John Doe", frozenset({"accounting"})),
        Principal("mary", "Mary Major", frozenset({"management"})),
    )
}


class Unauthenticated(ApiProblem):
    status = 401
    title = "Unauthenticated"


def current_principal(request: Request) -> Principal:
    settings: Settings = request.app.state.settings
    if not settings.dev_mode:
        raise Unauthenticated(
            "no authentication method is configured; start with BATON_DEV_MODE=true"
        )
    header = request.headers.get("authorization", "")
    if not header:
        principal = DEMO_ACCOUNTS["demo"]
    else:
        scheme, _, token = header.partition(" ")
        subject = token.strip().removeprefix("demo-")
        if scheme.lower() != "bearer" or subject not in DEMO_ACCOUNTS:
            raise Unauthenticated("unknown demo token; use 'Bearer demo-<account>'")
        principal = DEMO_ACCOUNTS[subject]
    request.state.principal = principal  # for the audit log (api/audit.py)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
