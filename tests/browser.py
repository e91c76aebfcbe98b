"""A real headless Chromium for the page tests: Debian's ``/usr/bin/chromium`` driven by
Playwright, which is told where the browser is and never downloads one.

``served(stack)`` puts the stack's API on a real port (uvicorn, as in production);
``browser_page(origin)`` opens a fresh browser context on it with the network cut off
from everything but the API (any other request fails), and records every request the
page makes, so a test can assert the pages asked for nothing else."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Page, Route, async_playwright

from api.main import create_app
from tests.conftest import Stack
from tests.support.ports import free_port

CHROMIUM = os.environ.get("BATON_TEST_CHROMIUM", "/usr/bin/chromium")
#: what the probe on this kind of machine found necessary: no sandbox as root, and no
#: background traffic of Chromium's own (it would show up in the network log)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "images"


def need_chromium() -> None:
    """Skip without Chromium, except in CI (.ci/run installs it), where that is a failure."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the page tests need it")


@asynccontextmanager
async def served(stack: Stack) -> AsyncIterator[str]:
    """The stack's API on a real port; answers its origin (http://127.0.0.1:<port>)."""
    app = create_app(stack.settings, client=stack.client, store=stack.store)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@dataclass
class Browsing:
    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests that went anywhere but the API's origin (data: URLs are in-page)."""
        api = urlsplit(self.origin)
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:"))
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (api.scheme, api.netloc)
        ]


@asynccontextmanager
async def browser_page(
    origin: str, *, width: int = 1280, height: int = 800
) -> AsyncIterator[Browsing]:
    need_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": width, "height": height})
            browsing_origin = urlsplit(origin)

            async def only_the_api(route: Route) -> None:
                # the network is cut off from everything but the API: anything else fails
                url = urlsplit(route.request.url)
                if (url.scheme, url.netloc) == (browsing_origin.scheme, browsing_origin.netloc):
                    await route.continue_()
                else:
                    await route.abort("internetdisconnected")

            await context.route("**/*", only_the_api)
            page = await context.new_page()
            page.set_default_timeout(20_000)
            browsing = Browsing(page, origin)
            page.on("request", lambda request: browsing.requests.append(request.url))
            page.on("pageerror", lambda error: browsing.failures.append(str(error)))
            page.on(
                "console",
                lambda msg: browsing.failures.append(msg.text) if msg.type == "error" else None,
            )
            yield browsing
        finally:
            await browser.close()


async def sign_in(browsing: Browsing, path: str, account: str) -> None:
    """Open ``path`` in dev mode and pick a demo account in the sign-in screen."""
    await browsing.page.goto(browsing.origin + path)
    await browsing.page.click(f"[data-account={account}]")
