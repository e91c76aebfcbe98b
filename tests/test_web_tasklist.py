"""Tasklist in a real headless Chromium (``tests/browser.py``) against the real stack:
uvicorn on a port, the real worker and Temporal dev server, SQLite.

John (demo account, role ``accounting``) opens /tasklist, finds the expense under "My
groups", claims it, submits the generated form (``camunda:formData``, drawn by form-js)
with invalid values first -- form-js shows the errors and nothing is sent, the task stays
open -- then with valid ones: the instance ends with the submitted variables. The page
makes no request beyond the API's origin.

``BATON_SCREENSHOTS=1`` also writes docs/images/tasklist-form.png (1280x800), the
screenshot the README shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.browser import SCREENSHOTS, BrowserPage, browser_page, screenshot, serve_api
from tests.conftest import EXAMPLES, ROOT, Stack
from tests.support.bpmn import diagram, end, flows, start, user
from tests.support.driver import Baton

EXPENSE = EXAMPLES / "expense-approval.bpmn"


@pytest_asyncio.fixture
async def served(stack: Stack) -> AsyncIterator[str]:
    """The stack's API (pages included) on a real port: the browser's only origin."""
    async with serve_api(stack) as origin:
        yield origin


async def _sign_in(b: BrowserPage, account: str) -> None:
    await b.page.goto("/tasklist")
    await b.page.locator(f"[data-account={account}]").click()
    await expect(b.page.locator("#who .user")).to_have_text("John Doe")


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_john_claims_and_completes_a_task_through_its_generated_form(
    stack: Stack, served: str
) -> None:
    baton = Baton(stack)
    await baton.deploy(EXPENSE)
    instance = await baton.start(
        "expense-approval", {"employee": "Ann Smith", "comment": "taxi"}, business_key="EXP-7"
    )
    task = await baton.open_task(instance)
    task_id = task["id"]

    async with browser_page(served) as b:
        page = b.page
        await _sign_in(b, "john")
        # not his yet: "My tasks" is empty, "My groups" (accounting) has it
        await expect(page.locator("[data-role=no-tasks]")).to_be_visible()
        await page.locator("[data-filter=groups]").click()
        item = page.locator(f".task-item[data-task-id='{task_id}']")
        await expect(item).to_be_visible()
        await expect(item).to_contain_text("Review expense")
        await expect(item).to_contain_text("EXP-7")
        await item.click()

        detail = page.locator(f"#task-detail[data-task-id='{task_id}']")
        await expect(detail).to_be_visible()
        await expect(page.locator("#complete-task")).to_be_disabled()  # claim first
        await page.locator("[data-action=claim]").click()
        await expect(page.locator("#task-detail")).to_have_attribute("data-assignee", "john")
        # claimed, it left the group's queue: the list follows it to "My tasks"
        await expect(page.locator("[data-filter=mine].current")).to_be_visible()
        await expect(item).to_be_visible()
        claimed = (await stack.http.get(f"/v1/bpms/tasks/{task_id}")).json()
        assert claimed["assignee"] == "john"

        # the form: generated from camunda:formData, starting from the instance's variables
        form = page.locator("#task-form[data-source=form-data]")
        await expect(form).to_be_visible()
        amount = form.get_by_label("Amount (EUR)")
        comment = form.get_by_label("Comment")
        await expect(comment).to_have_value("taxi")
        await expect(form.get_by_label("Employee")).to_have_value("Ann Smith")
        await expect(form.get_by_label("Employee")).to_have_attribute("readonly", "")
        # the diagram, with the task highlighted
        await expect(
            page.locator("#task-diagram [data-element-id=Task_review].baton-selected")
        ).to_be_visible()

        # invalid first: required amount left empty, a comment past maxlength 50
        await comment.fill("x" * 60)
        await page.locator("#complete-task").click()
        errors = form.locator(".fjs-form-field-error")
        await expect(errors.first).to_be_visible()
        await expect(form).to_contain_text("Field is required.")
        await expect(form).to_contain_text("50")
        await expect(page.locator("[data-role=form-errors]")).to_be_visible()
        # below min 1
        await amount.fill("0")
        await page.locator("#complete-task").click()
        await expect(form).to_contain_text("Field must have minimum value of 1.")
        assert not [u for u in b.requests if u.endswith("/submit-form")], "an invalid form was sent"
        still = (await stack.http.get(f"/v1/bpms/tasks/{task_id}")).json()
        assert still["state"] == "ASSIGNED" and still["assignee"] == "john"

        await amount.fill("250")
        await comment.fill("approved, receipt attached")
        await comment.blur()  # form-js validates a field again when it loses focus
        await expect(page.locator(".fjs-form-field-error")).to_have_count(0)
        await form.get_by_label("Approved").check()
        await form.locator(".fjs-form-field-select .fjs-input-group").click()
        await form.locator(".fjs-dropdownlist-item", has_text="Equipment").click()
        await screenshot(page, "tasklist-form.png")
        await page.locator("#complete-task").click()
        await expect(page.locator("[data-role=no-selection]")).to_have_text("Task completed.")
        await expect(item).to_have_count(0)

        b.assert_only_origin()
        b.assert_no_errors()
        assert any(u.endswith(f"/v1/bpms/tasks/{task_id}/submit-form") for u in b.requests)

    async def ended() -> dict[str, Any] | None:
        body = await baton.instance(instance)
        return body if body["state"] == "COMPLETED" else None

    await baton.until(ended, "the instance ended")
    variables = await baton.variables(instance)
    assert variables["amount"] == 250
    assert variables["approved"] is True
    assert variables["category"] == "equipment"
    assert variables["comment"] == "approved, receipt attached"
    assert variables["employee"] == "Ann Smith"  # readonly: shown, never submitted


def test_the_screenshots_in_the_readme_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ("tasklist-form.png", "cockpit-instance.png", "cockpit-definition.png"):
        assert (SCREENSHOTS / name).is_file(), "BATON_SCREENSHOTS=1 pytest tests/test_web_*.py"
        assert f"docs/images/{name}" in readme, name


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_task_without_a_form_completes_through_the_variables_editor(
    stack: Stack, served: str
) -> None:
    baton = Baton(stack)
    body = start("s") + user("t", "john", name="Check") + end("e") + flows("s>t", "t>e")
    await baton.deploy(diagram("plain-task", body))
    instance = await baton.start("plain-task", {"x": 1})
    task_id = (await baton.open_task(instance))["id"]

    async with browser_page(served) as b:
        page = b.page
        await _sign_in(b, "john")
        await page.locator(f".task-item[data-task-id='{task_id}']").click()  # My tasks
        await expect(page.locator("#task-form[data-source=none]")).to_be_visible()
        await page.locator("[data-action=add-variable]").click()
        row = page.locator("#variables-editor .variable-row").last
        await row.locator("[name=name]").fill("score")
        await row.locator("[name=type]").select_option("Number")
        row = page.locator("#variables-editor .variable-row").last
        await row.locator("[name=value]").fill("12.5")
        await page.locator("#complete-task").click()
        await expect(page.locator("[data-role=no-selection]")).to_have_text("Task completed.")
        b.assert_only_origin()
        b.assert_no_errors()

    async def ended() -> dict[str, Any] | None:
        answer = await baton.instance(instance)
        return answer if answer["state"] == "COMPLETED" else None

    await baton.until(ended, "the instance ended")
    assert await baton.variables(instance) == {"x": 1, "score": 12.5}
