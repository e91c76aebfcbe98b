"""Cockpit (``/cockpit``) and Tasklist (``/tasklist``): the pages, their code and the
viewers they draw with, served by the API itself.

Why here: the pages are clients of this API and nothing else. Serving them from the same
origin means they need no CORS, sign in exactly as the API authenticates (demo accounts in
dev mode, Keycloak otherwise) and work with no network beyond the API: bpmn-js and form-js
come from ``web/node_modules`` (installed by ``npm ci`` from ``web/package-lock.json``,
which ``make run`` and ``make test`` run), never from a CDN. The page code is plain ES
modules in ``web/src``; there is no build step.

The pages and assets are public (they hold no data); everything they show comes from the
API's own operations, each behind its privilege. Two small helpers for the pages live here
and stay out of the OpenAPI document: ``/web/config`` (how to sign in) and
``/web/session`` (who the credentials name, with the privileges that decide which actions
a page offers; the API still decides every call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.auth import DEMO_ROLES, Principal, authenticate
from core.settings import Settings

router = APIRouter(include_in_schema=False)

#: page path -> its HTML file under web/pages
PAGES = {"/cockpit": "cockpit.html", "/tasklist": "tasklist.html"}

#: URL prefix -> folder under web/ (the vendor folders are the packages' prebuilt dist)
ASSETS = {
    "/web/src": "src",
    "/web/vendor/bpmn-js": "node_modules/bpmn-js/dist",
    "/web/vendor/form-js": "node_modules/@bpmn-io/form-js/dist",
}


def web_dir(settings: Settings) -> Path:
    return settings.web_dir or Path(__file__).resolve().parent.parent / "web"


def _oidc(settings: Settings) -> dict[str, str] | None:
    if not settings.oidc_server_url or not settings.oidc_web_client_id:
        return None
    base = settings.oidc_server_url.rstrip("/")
    return {
        "authority": f"{base}/realms/{settings.oidc_realm}",
        "clientId": settings.oidc_web_client_id,
    }


def content_security_policy(settings: Settings) -> str:
    """Only this origin (and, outside dev mode, the OIDC provider for the token
    exchange): a page that tried to load anything else would be refused by the browser."""
    connect = "'self'"
    if (oidc := _oidc(settings)) is not None:
        parts = urlsplit(oidc["authority"])
        connect += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def _page(name: str) -> Any:
    async def page(request: Request) -> Any:
        settings: Settings = request.app.state.settings
        path = web_dir(settings) / "pages" / name
        if not path.is_file():
            return HTMLResponse("web/pages is missing from this installation", status_code=404)
        if not (web_dir(settings) / "node_modules" / ".installed").is_file():
            return HTMLResponse(
                "<h1>The web pages' viewers are not installed</h1>"
                "<p>Run <code>make web</code> (npm ci in web/), then reload.</p>",
                status_code=503,
            )
        return FileResponse(
            path,
            media_type="text/html",
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": content_security_policy(settings),
            },
        )

    return page


for _path, _file in PAGES.items():
    router.add_api_route(_path, _page(_file), methods=["GET"], name=f"page{_path}")


@router.get("/web/config")
async def web_config(request: Request) -> dict[str, Any]:
    """How the pages sign in: demo accounts in dev mode, else the realm's public client."""
    settings: Settings = request.app.state.settings
    accounts = (
        [
            {"id": subject, "name": name, "roles": sorted(roles)}
            for subject, (name, roles) in DEMO_ROLES.items()
        ]
        if settings.dev_mode
        else []
    )
    return {
        "devMode": settings.dev_mode,
        "demoAccounts": accounts,
        "oidc": _oidc(settings),
        "temporalUiUrl": settings.ui_base_url(),
    }


@router.get("/web/session")
async def web_session(principal: Annotated[Principal, Depends(authenticate)]) -> dict[str, Any]:
    """The caller as the API sees them (in dev mode, a request without credentials is the
    demo administrator, as everywhere in the API)."""
    return {
        "subject": principal.subject,
        "name": principal.name,
        "roles": sorted(principal.roles),
        "privileges": sorted(principal.privileges),
        "method": principal.method,
    }


def install(app: FastAPI, settings: Settings) -> None:
    """The pages' routes and their static folders (a missing folder answers 404)."""
    app.include_router(router)
    root = web_dir(settings)
    for prefix, folder in ASSETS.items():
        app.mount(prefix, StaticFiles(directory=root / folder, check_dir=False), name=prefix)
