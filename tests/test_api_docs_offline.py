"""``/docs`` and ``/redoc`` render in a real headless Chromium with the network cut off
from everything but the API: their assets come from Baton, not a CDN. The document
declares the credentials Baton accepts, and every protected operation requires one."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, serve_api
from tests.conftest import Stack

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_swagger_ui_and_redoc_render_offline(stack: Stack) -> None:
    async with serve_api(stack) as origin, browser_page(origin) as b:
        await b.page.goto(f"{origin}/docs")
        await b.page.locator(".opblock-summary-path[data-path='/v1/bpms/deployments']").wait_for()
        # Swagger UI draws the operations near the viewport; its model holds them all
        assert await b.page.evaluate("ui.specSelectors.operations().size") > 150
        await b.page.fill(".operation-filter-input", "camunda task")  # one tag's operations
        await b.page.locator(
            ".opblock-summary-path[data-path='/engine-rest/task']"
        ).first.wait_for()
        assert await b.page.locator(".btn.authorize").count() == 1  # securitySchemes known
        await b.page.click(".btn.authorize")
        dialog = b.page.locator(".modal-ux")
        await dialog.wait_for()
        offered = " ".join((await dialog.inner_text()).split())  # nbsp and newlines
        assert "bearer (http, Bearer)" in offered and "basic (http, Basic)" in offered
        await b.page.click(".modal-ux .btn-done")

        await b.page.goto(f"{origin}/redoc")
        await b.page.get_by_text("Start an instance of a deployed process").first.wait_for(
            state="attached"
        )
        await b.page.wait_for_function("document.querySelectorAll('[role=menuitem]').length > 50")
        b.assert_only_origin()


async def test_every_protected_operation_declares_its_credentials(stack: Stack) -> None:
    schema = (await stack.http.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert {name: s["scheme"] for name, s in schemes.items()} == {
        "bearer": "bearer",
        "basic": "basic",
    }
    protected = [
        op
        for operations in schema["paths"].values()
        for op in operations.values()
        if "x-baton-privilege" in op
    ]
    assert len(protected) > 150
    for path, operations in schema["paths"].items():
        for op in operations.values():
            if "x-baton-privilege" not in op:
                continue
            # the case repository's own document declares Basic only: Basic comes first
            first = "basic" if path.startswith("/api/case-repository/") else "bearer"
            assert op["security"][0] == {first: []}, path
            assert sorted(next(iter(s)) for s in op["security"]) == ["basic", "bearer"], path
    assert "security" not in schema["paths"]["/health"]["get"]  # open: no credentials
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))  # unique operation ids (generated clients need them)
