"""Cockpit in a real headless Chromium against the running stack (real Temporal, worker,
SQLite, HTTP): the definition's diagram with its token and incident counts, an instance
with an incident marker, fixed (variable edited with its type) and retried from the page,
its token moving on without reload, then the timer fired and the instance ending -- and
not one request leaving the API's origin."""

from __future__ import annotations

from typing import Any

import pytest
from baton_client.contracts import bpmn as c

from tests.browser import BrowserPage, browser_page, screenshot, serve_api, sign_in
from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def _incident(stack: Stack, instance_id: str) -> dict[str, Any] | None:
    found = await stack.http.get(
        "/v1/bpms/incidents", params={"processInstanceId": instance_id, "state": "OPEN"}
    )
    items: list[dict[str, Any]] = found.json()["items"]
    return items[0] if items else None


async def _badge(b: BrowserPage, element: str, kind: str) -> str:
    badge = b.page.locator(f".badge[data-element={element}][data-kind={kind}]")
    await badge.wait_for()
    return (await badge.inner_text()).strip()


async def _confirm(b: BrowserPage) -> None:
    await b.page.locator("dialog[open] button[value=ok]").click()


async def test_cockpit_shows_tokens_and_incidents_and_retries_live(stack: Stack) -> None:
    deployed = await deploy(stack.http, BPMN_DIR / "cockpit-review.bpmn")
    assert deployed.status_code == 201, deployed.text
    baton = Baton(stack)
    failing = await baton.start("cockpit-review", {"amount": 1200}, business_key="LOAN-1")
    healthy = await baton.start("cockpit-review", {"backendUp": True}, business_key="LOAN-2")
    incident = await eventually(lambda: _incident(stack, failing), what="incident", timeout=30)

    async def reviewing() -> bool:
        state = (await stack.http.get(f"/v1/bpms/process-instances/{healthy}")).json()
        return [a["activityId"] for a in state["currentActivities"]] == ["review"]

    await eventually(reviewing, what="the healthy instance at review", timeout=30)

    async with serve_api(stack) as origin, browser_page(origin) as b:
        page = b.page
        await sign_in(b, "/cockpit", "demo")
        row = page.locator("tr[data-key=cockpit-review]")
        await row.wait_for()
        assert await row.locator("td").nth(3).inner_text() == "2"  # running
        assert await row.locator("td").nth(4).inner_text() == "1"  # incidents
        await row.click()

        # the definition's diagram: one token on each task, the incident on the first
        await page.locator("#diagram .djs-element[data-element-id=callBackend]").wait_for()
        assert await _badge(b, "callBackend", "running") == "1"
        assert await _badge(b, "callBackend", "incidents") == "1"
        assert await _badge(b, "review", "running") == "1"
        assert await page.locator(".badge[data-element=cooling]").count() == 0
        await page.locator(f"tr[data-instance='{failing}']").wait_for()
        assert await page.locator("#instances tbody tr").count() == 2
        # filtered: only instances with an incident
        await page.select_option("select[name=incident]", "true")
        await page.locator(f"tr[data-instance='{healthy}']").wait_for(state="detached")
        assert await page.locator("#instances tbody tr").count() == 1
        await screenshot(page, "cockpit-definition.png")

        # the instance: the incident marker with its message on the failed element
        await page.click(f"tr[data-instance='{failing}']")
        marker = page.locator(".incident-message[data-element=callBackend]")
        await marker.wait_for()
        assert "backend down" in await marker.inner_text()
        failed_shape = page.locator(".djs-element.baton-incident[data-element-id=callBackend]")
        assert await failed_shape.count() == 1
        assert await page.locator(".baton-done[data-element-id=start]").count() == 1
        assert await page.locator(".baton-done[data-element-id=f1]").count() == 1  # the path
        assert await page.locator(".baton-done[data-element-id=f2]").count() == 0
        assert await page.locator(f"[data-incident='{incident['id']}']").count() == 1
        link = await page.locator("#temporal-link").get_attribute("href")
        assert link and failing in link
        await screenshot(page, "cockpit-instance.png")

        # fix the cause: the variable the backend needs, typed as a Boolean
        await page.click("#add-variable")
        await page.fill("dialog[open] input[name=name]", "backendUp")
        await page.select_option("dialog[open] select[name=type]", "Boolean")
        await page.fill("dialog[open] textarea[name=value]", "yes")  # not a Boolean
        await _confirm(b)
        await page.locator(".notice.error").wait_for()
        assert "true or false" in await page.locator(".notice.error").inner_text()
        variables = (await stack.http.get(f"/v1/bpms/process-instances/{failing}")).json()
        assert "backendUp" not in variables["processData"]  # the refused edit changed nothing
        await page.click("#add-variable")
        await page.fill("dialog[open] input[name=name]", "backendUp")
        await page.select_option("dialog[open] select[name=type]", "Boolean")
        await page.fill("dialog[open] textarea[name=value]", "true")
        await _confirm(b)
        await page.locator("tr[data-variable=backendUp]").wait_for()
        state = (await stack.http.get(f"/v1/bpms/process-instances/{failing}")).json()
        assert state["processData"]["backendUp"] is True

        # retry, confirmed: the token moves on to the review, the page follows by itself
        await page.click(f"[data-retry='{incident['id']}']")
        await _confirm(b)
        await page.locator(".djs-element.baton-active[data-element-id=review]").wait_for()
        assert await page.locator(".baton-incident").count() == 0
        assert await page.locator(".baton-done[data-element-id=callBackend]").count() == 1
        assert "No open incident" in await page.locator("#incidents").inner_text()
        task_link = page.locator("#tasks [data-task] a")
        assert await task_link.inner_text() == "Review application"
        await task_link.click()  # Tasklist opens on that task
        await page.locator("#task-view h2", has_text="Review application").wait_for()
        await page.go_back()
        await page.locator(".djs-element.baton-active[data-element-id=review]").wait_for()

        # the review is done elsewhere (Tasklist, here the API); the page moves to the timer
        [task] = (
            await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": failing})
        ).json()["items"]
        done = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
        assert done.status_code == 200, done.text
        fire = page.locator("[data-fire-timer=cooling]")
        await fire.wait_for()
        await fire.click()
        await _confirm(b)
        await page.locator("#instance-head [data-state=COMPLETED]").wait_for()
        handle = stack.client.get_workflow_handle(failing, result_type=c.ProcessResult)
        assert (await handle.result()).variables["backendUp"] is True

        # the audit log has each action, with who did it
        audit = (await stack.http.get("/v1/audit", params={"size": 200})).json()["items"]
        paths = [e["path"] for e in audit if e.get("subject") == "demo"]
        assert any(p.endswith(f"/incidents/{incident['id']}/retry") for p in paths)
        assert any(p.endswith(f"/{failing}/timers/cooling/fire") for p in paths)
        assert any(p.endswith(f"/{failing}/variables/backendUp") for p in paths)

        b.assert_only_origin()
        b.assert_no_errors()


async def test_actions_follow_the_callers_privileges(stack: Stack) -> None:
    """john (accounting) may read but neither cancel nor retry: the page offers neither,
    and the API refuses him anyway."""
    await deploy(stack.http, BPMN_DIR / "cockpit-review.bpmn")
    failing = await Baton(stack).start("cockpit-review", {})
    await eventually(lambda: _incident(stack, failing), what="incident", timeout=30)
    async with serve_api(stack) as origin, browser_page(origin) as b:
        await sign_in(b, f"/cockpit#/instance/{failing}", "john")
        await b.page.locator(".incident-message[data-element=callBackend]").wait_for()
        assert await b.page.locator("#cancel-instance").count() == 0
        assert await b.page.locator("[data-retry]").count() == 0
        refused = await stack.http.post(
            f"/v1/bpms/process-instances/{failing}/cancel",
            json={},
            headers={"Authorization": "Bearer demo-john"},
        )
        assert refused.status_code == 403


async def test_pages_come_from_the_api_with_a_strict_policy(stack: Stack) -> None:
    for path in ("/cockpit", "/tasklist"):
        page = await stack.http.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
    viewer = await stack.http.get("/web/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert viewer.status_code == 200
    assert (await stack.http.get("/web/vendor/bpmn-js/../../package.json")).status_code == 404
    config = (await stack.http.get("/web/config")).json()
    assert config["devMode"] is True and {a["id"] for a in config["demoAccounts"]} >= {"john"}
    me = await stack.http.get("/web/session", headers={"Authorization": "Bearer demo-mary"})
    assert me.json()["subject"] == "mary" and "management" in me.json()["roles"]
