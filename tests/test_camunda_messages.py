"""``/engine-rest/message`` and ``/engine-rest/signal`` (issue 20): a message correlated
by business key and by correlation keys with process variables set, Camunda's result
shape, the no-match 400, a message start event, and a signal reaching a waiting catch.
Real app, worker and Temporal server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.support import bpmn
from tests.support.http import eventually
from tests.test_camunda_rest import modeler_deploy

#: start, wait for message "Approved", then a user task (so the instance stays running)
APPROVAL = bpmn.diagram(
    "camunda-approval",
    "\n".join(
        [
            bpmn.start(),
            bpmn.message_catch("approved", "m"),
            bpmn.user("handle", None),
            bpmn.end(),
            bpmn.flows("s>approved", "approved>handle", "handle>e"),
        ]
    ),
    top='<bpmn:message id="m" name="Approved"/>',
)

#: started by message "LeadIn"
LEAD = bpmn.diagram(
    "camunda-lead",
    '<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
    + bpmn.user("call", None)
    + bpmn.end()
    + bpmn.flows("s>call", "call>e"),
    top='<bpmn:message id="m" name="LeadIn"/>',
)

#: waits for signal "Go"
GATE = bpmn.diagram(
    "camunda-gate",
    bpmn.start()
    + '<bpmn:intermediateCatchEvent id="go"><bpmn:signalEventDefinition signalRef="sg"/>'
    "</bpmn:intermediateCatchEvent>"
    + bpmn.user("after", None)
    + bpmn.end()
    + bpmn.flows("s>go", "go>after", "after>e"),
    top='<bpmn:signal id="sg" name="Go"/>',
)


async def _start(http: httpx.AsyncClient, key: str, **body: Any) -> str:
    started = await http.post(f"/engine-rest/process-definition/key/{key}/start", json=body)
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


async def _correlate(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """Correlate once the instance waits (its catch event subscribes a moment after start)."""

    async def taken() -> httpx.Response | None:
        answer = await http.post("/engine-rest/message", json=body)
        return answer if answer.status_code in (200, 204) else None

    return await eventually(taken, what=f"message {body['messageName']} taken")


async def _task_of(http: httpx.AsyncClient, instance_id: str) -> str:
    async def found() -> str | None:
        answer = await http.get("/engine-rest/task", params={"processInstanceId": instance_id})
        tasks: list[dict[str, Any]] = answer.json()
        return str(tasks[0]["taskDefinitionKey"]) if tasks else None

    return await eventually(found, what=f"a task of {instance_id}")


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_messages_through_engine_rest(stack: Stack) -> None:
    http = stack.http
    for name, data in (APPROVAL, LEAD):
        deployed = await modeler_deploy(http, name, data, deployment=name)
        assert deployed.status_code == 200, deployed.text

    # nothing waits and nothing starts by this name: Camunda's 400
    missing = await http.post("/engine-rest/message", json={"messageName": "Nobody"})
    assert missing.status_code == 400, missing.text
    assert missing.json() == {
        "type": "RestException",
        "message": "Cannot correlate message 'Nobody': No process definition or execution "
        "matches the parameters",
    }

    # by business key, without a result: 204, and the instance moves on
    first = await _start(http, "camunda-approval", businessKey="A-1")
    answer = await _correlate(http, {"messageName": "Approved", "businessKey": "A-1"})
    assert answer.status_code == 204, answer.text
    assert await _task_of(http, first) == "handle"

    # by correlation keys, setting process variables, with the result
    second = await _start(
        http,
        "camunda-approval",
        businessKey="A-2",
        variables={"orderId": {"value": "O-7", "type": "String"}},
    )
    other = await _start(
        http,
        "camunda-approval",
        businessKey="A-3",
        variables={"orderId": {"value": "O-8", "type": "String"}},
    )
    answer = await _correlate(
        http,
        {
            "messageName": "Approved",
            "correlationKeys": {"orderId": {"value": "O-7", "type": "String"}},
            "processVariables": {"approvedBy": {"value": "Mary", "type": "String"}},
            "resultEnabled": True,
            "variablesInResultEnabled": True,
        },
    )
    assert answer.status_code == 200, answer.text
    [result] = answer.json()
    assert result["resultType"] == "Execution"
    assert result["execution"]["processInstanceId"] == second
    assert result["execution"]["ended"] is False
    assert result["processInstance"] is None
    assert result["variables"]["orderId"] == {"type": "String", "value": "O-7", "valueInfo": {}}
    assert await _task_of(http, second) == "handle"
    approved = await http.get(f"/engine-rest/process-instance/{second}/variables/approvedBy")
    assert approved.json() == {"type": "String", "value": "Mary", "valueInfo": {}}
    # the other instance still waits
    waiting = await http.get("/engine-rest/task", params={"processInstanceId": other})
    assert waiting.json() == []

    # a message start event starts an instance
    answer = await http.post(
        "/engine-rest/message",
        json={
            "messageName": "LeadIn",
            "businessKey": "L-1",
            "processVariables": {"score": {"value": 7, "type": "Integer"}},
            "resultEnabled": True,
        },
    )
    assert answer.status_code == 200, answer.text
    [started] = answer.json()
    assert started["resultType"] == "ProcessDefinition"
    assert started["execution"] is None
    instance = started["processInstance"]
    assert instance["businessKey"] == "L-1" and instance["suspended"] is False
    assert instance["definitionId"].startswith("camunda-lead:1:")
    assert await _task_of(http, instance["id"]) == "call"
    score = await http.get(f"/engine-rest/process-instance/{instance['id']}/variables/score")
    assert score.json() == {"type": "Integer", "value": 7, "valueInfo": {}}

    # what Baton refuses rather than ignores
    local = await http.post(
        "/engine-rest/message",
        json={"messageName": "Approved", "localCorrelationKeys": {"x": {"value": 1}}},
    )
    assert local.status_code == 400 and local.json()["type"] == "InvalidRequestException"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_signal_reaches_a_waiting_catch(stack: Stack) -> None:
    http = stack.http
    deployed = await modeler_deploy(http, *GATE, deployment="gate")
    assert deployed.status_code == 200, deployed.text
    instance_id = await _start(http, "camunda-gate")

    async def through() -> bool:
        thrown = await http.post(
            "/engine-rest/signal",
            json={"name": "Go", "variables": {"gate": {"value": "open", "type": "String"}}},
        )
        assert thrown.status_code == 204, thrown.text
        tasks = await http.get("/engine-rest/task", params={"processInstanceId": instance_id})
        return bool(tasks.json())

    # visibility shows a new instance a moment late: throw until the catch fires
    await eventually(through, what="the signal caught")
    gate = await http.get(f"/engine-rest/process-instance/{instance_id}/variables/gate")
    assert gate.json() == {"type": "String", "value": "open", "valueInfo": {}}
    refused = await http.post("/engine-rest/signal", json={"name": "Go", "executionId": "x"})
    assert refused.status_code == 400, refused.text
