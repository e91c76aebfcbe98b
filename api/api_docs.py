"""The API's own documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with
their assets served by Baton.

FastAPI's defaults load Swagger UI and ReDoc from a CDN, so on a machine without internet
both pages stay blank. Here the same pages load ``swagger-ui-dist`` and ReDoc's standalone
bundle from ``web/node_modules`` (pinned in ``web/package-lock.json``, installed by ``npm
ci`` with the web apps' viewers), and ReDoc is told not to fetch Google's fonts. A
Content-Security-Policy keeps both pages on this origin. ReDoc's bundle draws its menu
footer with Redocly's logo from Redocly's CDN, unconditionally: the bundle is served with
that one address replaced by an empty image, so the page makes no request elsewhere.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from api.web import web_dir
from core.settings import Settings

SWAGGER = "/web/vendor/swagger-ui"
REDOC = "/web/vendor/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
#: FastAPI's pages start the viewers with an inline script; ReDoc searches in a blob worker
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'"
)


#: the one outside address in ReDoc 2.5's standalone bundle, and what replaces it
REDOC_LOGO = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'
NO_IMAGE = '"data:,"'


def _local(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def install(app: FastAPI, settings: Settings) -> None:
    """``/docs``, its OAuth2 redirect page, ``/redoc``, and the two asset folders. Call
    with ``docs_url=None, redoc_url=None`` given to FastAPI, so these replace its own."""
    root = web_dir(settings) / "node_modules"
    bundle = root / "redoc" / "bundles" / "redoc.standalone.js"
    patched: list[bytes] = []  # read once, on first use

    @app.get(f"{REDOC}/redoc.standalone.js", include_in_schema=False)
    async def redoc_bundle() -> Response:
        if not patched:
            if not bundle.is_file():
                return Response("ReDoc is not installed: make web", status_code=404)
            text = bundle.read_text(encoding="utf-8").replace(REDOC_LOGO, NO_IMAGE)
            patched.append(text.encode("utf-8"))
        return Response(
            patched[0],
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    app.mount(SWAGGER, StaticFiles(directory=root / "swagger-ui-dist", check_dir=False))
    app.mount(REDOC, StaticFiles(directory=root / "redoc" / "bundles", check_dir=False))
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _local(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                oauth2_redirect_url=OAUTH2_REDIRECT,
                swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
                swagger_ui_parameters={"persistAuthorization": True, "filter": True},
            )
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _local(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                redoc_js_url=f"{REDOC}/redoc.standalone.js",
                redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png",
                with_google_fonts=False,
            )
        )
