"""Hostile or careless input over HTTP answers 4xx naming the field, never 5xx (issue 18):
an empty ``processInstanceId``; message names and correlation keys with quotes,
backslashes or NUL, which reach Temporal's visibility query; a name with an inner single
quote is legal and reaches the instance that waits for it."""

from __future__ import annotations

import uuid

import pytest
from baton_client.contracts.search_attributes import UnsearchableValue, waiting_query

from tests.conftest import Stack
from tests.support.http import deploy, eventually, problem

CORRELATE = "/v1/bpms/messages/correlate"
PUBLISH = "/v1/bpms/messages/publish"
INSTANCES = "/v1/bpms/process-instances"


def _waiting_for(key: str, message: str) -> bytes:
    """A process that waits for ``message``, correlated by its variable ``orderId``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_{key}">
  <bpmn:message id="m" name="{message}">
    <bpmn:extensionElements>
      <zeebe:subscription correlationKey="=orderId" />
    </bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("database_backend", ["sqlite"])
@pytest.mark.parametrize("route", [CORRELATE, PUBLISH])
async def test_an_empty_process_instance_id_is_422_naming_the_field(
    stack: Stack, route: str
) -> None:
    answer = await stack.http.post(route, json={"messageName": "m", "processInstanceId": ""})
    assert problem(answer, 422)["errors"][0]["field"] == "processInstanceId"


@pytest.mark.parametrize("database_backend", ["sqlite"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messageName", 'say "hi"'),
        ("messageName", "back\\slash"),
        ("messageName", "nul\x00byte"),
        ("messageName", 'x" OR WorkflowId != "'),
        ("messageName", "'quoted'"),
        ("messageName", "line\nbreak"),
        ("correlationKey", 'K"1'),
        ("correlationKey", "K\x00"),
    ],
)
async def test_names_a_visibility_query_cannot_match_are_422(
    stack: Stack, field: str, value: str
) -> None:
    body = {"messageName": "m", field: value}
    for route in (CORRELATE, PUBLISH):
        answer = problem(await stack.http.post(route, json=body), 422)
        assert answer["errors"][0]["field"] == field
        assert "visibility" in answer["detail"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_message_named_with_a_quote_reaches_its_instance(stack: Stack) -> None:
    key = f"quoted-{uuid.uuid4().hex[:6]}"
    name = "customer's order"
    assert (await deploy(stack.http, (f"{key}.bpmn", _waiting_for(key, name)))).status_code == 201
    started = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": key, "processData": {"orderId": "O'1"}},
    )
    assert started.status_code == 201, started.text
    instance = started.json()["id"]

    async def correlate() -> dict[str, object] | None:
        answer = await stack.http.post(
            CORRELATE, json={"messageName": name, "correlationKey": "O'1"}
        )
        assert answer.status_code in (200, 404), answer.text
        return answer.json() if answer.status_code == 200 else None

    took = await eventually(correlate, what="the quoted message to be correlated")
    assert took["correlated"] == [
        {
            "resultType": "Execution",
            "processInstanceId": instance,
            "activityId": "wait",
            "processDefinitionKey": None,
        }
    ]

    async def completed() -> bool:
        view = (await stack.http.get(f"{INSTANCES}/{instance}")).json()
        return bool(view["state"] == "COMPLETED")

    await eventually(completed, what="the instance to complete")


def test_the_query_builder_refuses_what_it_cannot_express() -> None:
    assert waiting_query("customer's order", "O'1") == (
        "(BpmnWaitingMessages = \"customer's order|O'1\" "
        'OR BpmnWaitingMessages = "customer\'s order|*")'
    )
    for name in ('a"b', "a\\b", "a\x00b", "a?b", "'a"):
        with pytest.raises(UnsearchableValue):
            waiting_query(name, None)
    with pytest.raises(UnsearchableValue):
        waiting_query("m", "key'")  # the keyed entry would end with a quote
