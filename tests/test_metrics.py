"""``/metrics`` scraped after processes ran: the instance, task, incident, message and
HTTP series carry the right counts, on SQLite and PostgreSQL (the task waits are summed
in SQL, differently per database)."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually

KEY = "cockpit-review"


async def scrape(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await stack.http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(series: dict[Any, float], name: str, **labels: str) -> float:
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_instances_tasks_incidents_messages_and_requests(
    stack: Stack,
) -> None:
    before = await scrape(stack)
    assert (await deploy(stack.http, BPMN_DIR / "cockpit-review.bpmn")).status_code == 201
    baton = Baton(stack)
    done = await baton.start(KEY, {"backendUp": True})
    await baton.start(KEY, {})  # fails: an incident
    task = await baton.open_task(done)
    assert (await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})).is_success

    async def cooling() -> bool:
        body = (await stack.http.get(f"/v1/bpms/process-instances/{done}")).json()
        return body["waitingTimers"] == ["cooling"]

    await eventually(cooling, what="the timer", timeout=30)
    fired = await stack.http.post(f"/v1/bpms/process-instances/{done}/timers/cooling/fire")
    assert fired.status_code == 200
    published = await stack.http.post(
        "/v1/bpms/messages/publish", json={"messageName": "nobody-waits", "timeToLive": 60_000}
    )
    assert published.status_code == 202, published.text

    async def settled() -> dict[Any, float] | None:
        series = await scrape(stack)
        ready = (
            value(series, "baton_process_instances", definition=KEY, state="COMPLETED") == 1
            and value(series, "baton_process_instances_in_incident", definition=KEY) == 1
        )
        return series if ready else None

    after = await eventually(settled, what="the read model's counts", timeout=30)
    assert value(after, "baton_process_instances_started_total", definition=KEY) == 2
    assert value(after, "baton_process_instances", definition=KEY, state="INCIDENT") == 1
    assert value(after, "baton_incidents_open", definition=KEY) == 1
    assert value(after, "baton_user_tasks", definition=KEY, state="COMPLETED") == 1
    assert value(after, "baton_user_task_wait_seconds_count", definition=KEY) == 1
    assert 0 <= value(after, "baton_user_task_wait_seconds_sum", definition=KEY) < 60
    assert value(after, "baton_messages_buffered") >= 1
    buffered = value(after, "baton_messages_total", outcome="buffered")
    assert buffered - value(before, "baton_messages_total", outcome="buffered") == 1

    starts = value(
        after,
        "baton_http_requests_total",
        family="bpms",
        route="/v1/bpms/process-instances",
        method="POST",
        status="201",
    )
    assert starts == 2
    latency = value(
        after,
        "baton_http_request_duration_seconds_count",
        family="bpms",
        route="/v1/bpms/process-instances",
        method="POST",
    )
    assert latency == 2
    fire_route = "/v1/bpms/process-instances/{instance_id}/timers/{element_id}/fire"
    assert value(after, "baton_http_requests_total", family="bpms", route=fire_route,
                 method="POST", status="200") == 1  # fmt: skip


async def test_metrics_need_their_privilege(stack: Stack) -> None:
    refused = await stack.http.get("/metrics", headers={"Authorization": "Bearer demo-john"})
    assert refused.status_code == 403 and refused.json()["privilege"] == "metrics:read"
