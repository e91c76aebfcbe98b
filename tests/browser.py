"""A real headless Chromium for the web pages' tests, driven by Playwright for Python.

The browser is Debian's ``/usr/bin/chromium`` (``executable_path``): nothing is
downloaded, ever (no ``playwright install``). Without it a test skips with the reason,
unless ``CI`` is set, where a missing browser is a failure.

``browser_page(base_url)`` opens a fresh context (no cache, cookies or storage from an
earlier test) that records every request the page makes and cuts the network off from
everything but ``base_url``'s origin: a request elsewhere is aborted, and still
recorded, so ``assert_only_origin`` fails on it -- the pages must load with no network
beyond the API (no CDN, no font service, no telemetry). Page errors and console errors
are recorded too: an exception in the page code, or a resource the Content-Security-
Policy refused, shows up there rather than as a silent blank page.

``serve_api(stack)`` puts a stack's API (pages included) on a real port, as in
production; ``sign_in`` picks a demo account on a page's dev-mode sign-in screen;
``screenshot`` writes the images under docs/images only when ``BATON_SCREENSHOTS=1``, so
``make test`` never changes the checkout.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, Route, async_playwright

from api.main import create_app
from tests.conftest import ROOT, Stack
from tests.support.serving import serve_app

CHROMIUM = Path(os.environ.get("BATON_TEST_CHROMIUM", "/usr/bin/chromium"))
#: a quiet browser: no sandbox (containers), no GPU, none of Chromium's own traffic
#: (component updates, sync, background networking) in the request log
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


SCREENSHOTS = ROOT / "docs" / "images"


def require_chromium() -> Path:
    """The browser, or a skip (a failure under CI) saying what is missing."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium); the browser tests need it"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class BrowserPage:
    page: Page
    base_url: str
    #: every request URL the page made (data: and blob: URLs are no network and are left out)
    requests: list[str] = field(default_factory=list)
    #: requests to another origin, aborted
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_only_origin(self) -> None:
        """Every request went to the API's origin, and at least one did."""
        assert self.requests, "the page made no request at all"
        mine = origin(self.base_url)
        elsewhere = [u for u in self.requests if origin(u) != mine]
        assert not elsewhere, f"requests left {mine}: {elsewhere}"
        assert not self.blocked, f"blocked requests: {self.blocked}"

    def assert_no_errors(self) -> None:
        assert not self.errors, f"errors in the page: {self.errors}"


@asynccontextmanager
async def browser_page(
    base_url: str, *, width: int = 1280, height: int = 800
) -> AsyncIterator[BrowserPage]:
    """A page in a fresh context of a fresh headless Chromium, network cut to
    ``base_url``'s origin."""
    executable = require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(executable), headless=True, args=ARGS
        )
        try:
            context = await browser.new_context(
                base_url=base_url,
                viewport={"width": width, "height": height},
                service_workers="block",
            )
            page = await context.new_page()
            seen = BrowserPage(page, base_url)
            mine = origin(base_url)

            def record(request: Request) -> None:
                if not request.url.startswith(("data:", "blob:")):
                    seen.requests.append(request.url)

            async def cut(route: Route) -> None:
                if origin(route.request.url) == mine:
                    await route.continue_()
                else:
                    seen.blocked.append(route.request.url)
                    await route.abort("blockedbyclient")

            context.on("request", record)
            await context.route("**/*", cut)
            page.on("pageerror", lambda err: seen.errors.append(f"pageerror: {err}"))
            page.on(
                "console",
                lambda msg: (
                    seen.errors.append(f"console: {msg.text}") if msg.type == "error" else None
                ),
            )
            yield seen
            await context.close()
        finally:
            await browser.close()


@asynccontextmanager
async def serve_api(stack: Stack) -> AsyncIterator[str]:
    """The stack's API on a real port (uvicorn, as in production): the browser's only
    origin, answered as ``http://127.0.0.1:<port>``."""
    async with serve_app(
        create_app(stack.settings, client=stack.client, store=stack.store)
    ) as origin:
        yield origin


async def sign_in(b: BrowserPage, path: str, account: str) -> None:
    """Open ``path`` in dev mode and pick the demo ``account`` on the sign-in screen."""
    await b.page.goto(path)
    await b.page.locator(f"[data-account={account}]").click()
    await b.page.locator("#who .user").wait_for()


async def screenshot(page: Page, name: str) -> None:
    """docs/images/<name>, from the top of the page, with BATON_SCREENSHOTS=1 only."""
    if os.environ.get("BATON_SCREENSHOTS") != "1":
        return
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SCREENSHOTS / name))
