"""``/engine-rest`` deployment resources, redeploy, and the process-definition calls past
start (issue 20): the resource data is the uploaded bytes, redeploy goes through the one
deploy path, submit-form starts an instance with typed variables, the start form is read
from the diagram, and what Baton refuses (delete, suspend, tenants) answers Camunda's
error bodies -- against the real app, worker and Temporal dev server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Stack
from tests.support import bpmn
from tests.support.http import eventually
from tests.test_camunda_rest import camunda_error, modeler_deploy

PD = "/engine-rest/process-definition"

_FORM_START = (
    '<bpmn:startEvent id="s" camunda:formKey="embedded:app:forms/start.html">'
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="amount" label="Amount" type="long" defaultValue="42"/>'
    '<camunda:formField id="customer" type="string"/>'
    '<camunda:formField id="vip" type="boolean" defaultValue="true"/>'
    "</camunda:formData></bpmn:extensionElements></bpmn:startEvent>"
)
FORM_ORDER = bpmn.diagram(
    "camunda-form-order",
    "\n".join(
        [_FORM_START, bpmn.user("review", None), bpmn.end(), bpmn.flows("s>review", "review>e")]
    ),
)


async def _deploy(stack: Stack, name: str, data: bytes) -> dict[str, Any]:
    created = await modeler_deploy(stack.http, name, data)
    assert created.status_code == 200, created.text
    body: dict[str, Any] = created.json()
    return body


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_deployment_resources_answer_the_uploaded_bytes(stack: Stack) -> None:
    name, data = FORM_ORDER
    deployment = (await _deploy(stack, name, data))["id"]
    base = f"/engine-rest/deployment/{deployment}"

    listed = await stack.http.get(f"{base}/resources")
    assert listed.status_code == 200, listed.text
    (resource,) = listed.json()
    assert resource["name"] == name and resource["deploymentId"] == deployment
    one = await stack.http.get(f"{base}/resources/{resource['id']}")
    assert one.json() == resource

    raw = await stack.http.get(f"{base}/resources/{resource['id']}/data")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.content == data

    assert (await stack.http.get("/engine-rest/deployment/registered")).json() == []
    camunda_error(await stack.http.get(f"{base}/resources/nope"), 404, "RestException")
    camunda_error(await stack.http.get(f"{base}/resources/nope/data"), 404, "RestException")
    missing = "/engine-rest/deployment/00000000-0000-0000-0000-000000000000/resources"
    camunda_error(await stack.http.get(missing), 404, "RestException")

    # redeploy: the same compiler and store; unchanged content keeps its version
    again = await stack.http.post(f"{base}/redeploy", json={"source": "cockpit"})
    assert again.status_code == 200, again.text
    redeployed = again.json()
    assert redeployed["id"] != deployment and redeployed["source"] == "cockpit"
    assert redeployed["name"] == "order"
    (definition,) = redeployed["deployedProcessDefinitions"].values()
    assert definition["version"] == 1 and definition["deploymentId"] == deployment
    by_name = await stack.http.post(f"{base}/redeploy", json={"resourceNames": [name]})
    assert by_name.status_code == 200, by_name.text
    unknown = await stack.http.post(f"{base}/redeploy", json={"resourceIds": ["nope"]})
    camunda_error(unknown, 404, "RestException")
    # the redeployment versioned nothing, so it stored no file of its own
    assert (
        await stack.http.get(f"/engine-rest/deployment/{redeployed['id']}/resources")
    ).json() == []


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_submit_form_starts_with_typed_variables(stack: Stack) -> None:
    name, data = FORM_ORDER
    deployed = await _deploy(stack, name, data)
    (definition_id,) = deployed["deployedProcessDefinitions"]

    form = (await stack.http.get(f"{PD}/{definition_id}/startForm")).json()
    assert form == {
        "key": "embedded:app:forms/start.html",
        "contextPath": None,
        "camundaFormRef": None,
    }
    assert (await stack.http.get(f"{PD}/key/camunda-form-order/startForm")).json() == form
    variables = (await stack.http.get(f"{PD}/{definition_id}/form-variables")).json()
    assert variables == {
        "amount": {"type": "Long", "value": 42, "valueInfo": {}},
        "customer": {"type": "String", "value": None, "valueInfo": {}},
        "vip": {"type": "Boolean", "value": True, "valueInfo": {}},
    }
    narrowed = await stack.http.get(
        f"{PD}/key/camunda-form-order/form-variables", params={"variableNames": "vip,other"}
    )
    assert narrowed.json() == {"vip": variables["vip"]}
    deployed_form = await stack.http.get(f"{PD}/{definition_id}/deployed-start-form")
    camunda_error(deployed_form, 400, "InvalidRequestException")

    submitted = await stack.http.post(
        f"{PD}/{definition_id}/submit-form",
        json={
            "businessKey": "FORM-1",
            "variables": {
                "amount": {"value": "7", "type": "Long"},
                "vip": {"value": "true", "type": "Boolean"},
                "customer": {"value": "Ada", "type": "String"},
            },
        },
    )
    assert submitted.status_code == 200, submitted.text
    instance = submitted.json()
    assert instance["definitionId"] == definition_id and instance["businessKey"] == "FORM-1"
    assert instance["ended"] is False and "variables" not in instance
    assert instance["links"][0]["href"].endswith(f"/process-instance/{instance['id']}")

    async def typed() -> dict[str, Any] | None:
        found = await stack.http.get(
            "/engine-rest/history/variable-instance",
            params={"processInstanceId": instance["id"]},
        )
        rows = {v["name"]: (v["type"], v["value"]) for v in found.json()}
        return rows if len(rows) == 3 else None

    assert await eventually(typed, what="the submitted variables") == {
        "amount": ("Integer", 7),
        "vip": ("Boolean", True),
        "customer": ("String", "Ada"),
    }
    by_key = await stack.http.post(
        f"{PD}/key/camunda-form-order/submit-form",
        json={"variables": {"amount": {"value": 1, "type": "Integer"}}, "ignored": 1},
    )
    assert by_key.status_code == 200, by_key.text
    bad = await stack.http.post(
        f"{PD}/key/camunda-form-order/submit-form",
        json={"variables": {"amount": {"value": "lots", "type": "Integer"}}},
    )
    assert "amount" in camunda_error(bad, 400, "InvalidRequestException")["message"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_refusals_tenants_delete_and_suspend(stack: Stack) -> None:
    name, data = FORM_ORDER
    deployed = await _deploy(stack, name, data)
    (definition_id,) = deployed["deployedProcessDefinitions"]
    key = "camunda-form-order"

    tenant = f"{PD}/key/{key}/tenant-id/acme"
    for answer in (
        await stack.http.get(tenant),
        await stack.http.get(f"{tenant}/xml"),
        await stack.http.post(f"{tenant}/start", json={}),
        await stack.http.post(f"{tenant}/submit-form", json={}),
    ):
        body = camunda_error(answer, 404, "RestException")
        assert f"key '{key}' and tenant-id 'acme'" in body["message"]

    for path in (f"{PD}/{definition_id}", f"{PD}/key/{key}"):
        refused = camunda_error(await stack.http.delete(path), 409, "ProcessEngineException")
        assert refused["code"] == 0
    camunda_error(await stack.http.delete(f"{PD}/nope:1:x"), 404, "RestException")
    camunda_error(await stack.http.delete(f"{PD}/key/no-such-key"), 404, "RestException")
    assert (await stack.http.get(f"{PD}/{definition_id}")).status_code == 200

    for path in (f"{PD}/{definition_id}/suspended", f"{PD}/key/{key}/suspended"):
        assert (await stack.http.put(path, json={"suspended": False})).status_code == 204
        camunda_error(
            await stack.http.put(path, json={"suspended": True}), 409, "ProcessEngineException"
        )
    bulk = f"{PD}/suspended"
    assert (
        await stack.http.put(bulk, json={"processDefinitionKey": key, "suspended": False})
    ).status_code == 204
    camunda_error(
        await stack.http.put(bulk, json={"processDefinitionKey": key, "suspended": True}),
        409,
        "ProcessEngineException",
    )
    camunda_error(
        await stack.http.put(bulk, json={"suspended": True}), 400, "InvalidRequestException"
    )
    camunda_error(
        await stack.http.put(f"{PD}/key/no-such-key/suspended", json={"suspended": False}),
        404,
        "RestException",
    )
    assert (await stack.http.get(f"{PD}/{definition_id}")).json()["suspended"] is False
