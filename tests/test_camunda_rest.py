"""``/engine-rest`` (issue 20, first slice): Camunda Modeler's deploy protocol replayed
as Modeler 5 sends it, a start by key with typed variables and a business key that
/v1/bpms then lists, process-definition queries, and Camunda's error bodies -- against
the real app, worker and server."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.support import bpmn
from tests.support.http import eventually

ORDER = bpmn.diagram(
    "camunda-order",
    "\n".join(
        [
            bpmn.start(),
            bpmn.user("review", None, name="Review order"),
            bpmn.end(),
            bpmn.flows("s>review", "review>e"),
        ]
    ),
)


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value, as Modeler builds it."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def camunda_error(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """Assert Camunda's error body ``{"type", "message"}`` and return it."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert body["type"] == kind, body
    assert body["message"]
    return body


async def modeler_deploy(
    http: httpx.AsyncClient,
    name: str,
    data: bytes,
    *,
    deployment: str = "order",
    attachments: tuple[tuple[str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """What Camunda Modeler 5 sends on Deploy to a Camunda 7 endpoint (its CamundaAPI:
    ``checkConnection`` then ``deployDiagram``): ``GET /deployment?maxResults=0``, then
    one multipart create with ``deployment-name``, ``deployment-source: Camunda
    Modeler``, ``enable-duplicate-filtering: true``, the diagram as a ``text/xml`` part
    named after its file, and each attachment (linked forms) as a part named after its
    file; ``Accept: application/json`` on both."""
    sent = {"accept": "application/json", **(headers or {})}
    check = await http.get("/engine-rest/deployment?maxResults=0", headers=sent)
    assert check.status_code == 200, check.text
    assert check.json() == []
    fields = {
        "deployment-name": deployment,
        "deployment-source": "Camunda Modeler",
        "enable-duplicate-filtering": "true",
    }
    parts = [(name, (name, data, "text/xml"))]
    parts += [(file, (file, content, "application/octet-stream")) for file, content in attachments]
    return await http.post("/engine-rest/deployment/create", data=fields, files=parts, headers=sent)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_modeler_deploys_and_a_camunda_client_starts_by_key(stack: Stack) -> None:
    assert (await stack.http.get("/engine-rest/engine")).json() == [{"name": "default"}]
    assert (await stack.http.get("/engine-rest/version")).json()["version"].startswith("7.")

    created = await modeler_deploy(stack.http, *ORDER)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["name"] == "order" and body["source"] == "Camunda Modeler"
    assert body["links"][0]["href"].endswith(f"/engine-rest/deployment/{body['id']}")
    assert body["deploymentTime"][10] == "T" and body["deploymentTime"][-5] in "+-"
    (definition_id, definition), *rest = body["deployedProcessDefinitions"].items()
    assert not rest
    assert definition_id == f"camunda-order:1:{body['id']}"
    assert definition["key"] == "camunda-order" and definition["version"] == 1
    assert definition["resource"] == "camunda-order.bpmn"
    assert body["deployedDecisionDefinitions"] is None

    # unchanged content keeps its version and id, so Modeler can start it again
    again = await modeler_deploy(
        stack.http, *ORDER, attachments=(("review.form", b'{"components": []}'),)
    )
    assert again.status_code == 200, again.text
    assert list(again.json()["deployedProcessDefinitions"]) == [definition_id]
    deployments = (await stack.http.get("/engine-rest/deployment")).json()
    assert body["id"] in [d["id"] for d in deployments]
    assert (await stack.http.get("/engine-rest/deployment/count")).json()["count"] >= 2
    one = await stack.http.get(f"/engine-rest/deployment/{body['id']}")
    assert one.json()["name"] == "order"

    started = await stack.http.post(
        "/engine-rest/process-definition/key/camunda-order/start",
        json={
            "businessKey": "ORDER-7",
            "variables": {
                "amount": {"value": 5000, "type": "Integer"},
                "big": {"value": 2**40, "type": "Long"},
                "customer": {"value": '{"name": "Ada"}', "type": "Json"},
                "due": {"value": "2013-01-23T13:42:45.000+0200", "type": "Date"},
                "vip": {"value": True, "type": "Boolean"},
            },
            "withVariablesInReturn": True,
            "skipCustomListeners": False,
            "someFieldBatonDoesNotKnow": 1,
        },
    )
    assert started.status_code == 200, started.text
    instance = started.json()
    assert instance["definitionId"] == definition_id
    assert instance["businessKey"] == "ORDER-7"
    assert instance["ended"] is False and instance["suspended"] is False
    assert instance["links"][0]["href"].endswith(f"/process-instance/{instance['id']}")
    variables = instance["variables"]
    assert variables["amount"] == {"type": "Integer", "value": 5000, "valueInfo": {}}
    assert variables["big"]["type"] == "Long"
    assert variables["customer"] == {"type": "Json", "value": '{"name":"Ada"}', "valueInfo": {}}
    assert variables["due"]["value"] == "2013-01-23T13:42:45+02:00"

    async def listed() -> list[dict[str, Any]] | None:
        found = await stack.http.get(
            "/v1/bpms/process-instances", params={"businessKey": "ORDER-7"}
        )
        items: list[dict[str, Any]] = found.json()["items"]
        return items or None

    rows = await eventually(listed, what="the Camunda-started instance in /v1/bpms")
    assert rows[0]["id"] == instance["id"]
    assert rows[0]["processDefinitionKey"] == "camunda-order"

    by_id = await stack.http.post(f"/engine-rest/process-definition/{definition_id}/start", json={})
    assert by_id.status_code == 200, by_id.text
    assert "variables" not in by_id.json() or by_id.json()["variables"] is None


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_process_definition_queries(stack: Stack) -> None:
    first = await modeler_deploy(stack.http, *ORDER)
    changed = ORDER[1].replace(b"Review order", b"Review the order")
    second = await modeler_deploy(stack.http, ORDER[0], changed)
    other = bpmn.diagram("camunda-other", bpmn.start() + bpmn.end() + bpmn.flows("s>e"))
    await modeler_deploy(stack.http, *other)
    v1 = f"camunda-order:1:{first.json()['id']}"
    v2 = f"camunda-order:2:{second.json()['id']}"

    definitions = "/engine-rest/process-definition"
    listed = (await stack.http.get(definitions, params={"key": "camunda-order"})).json()
    assert [d["id"] for d in listed] == [v1, v2]
    latest = await stack.http.get(
        definitions, params={"latestVersion": "true", "keyLike": "camunda-%"}
    )
    assert {d["id"] for d in latest.json()} >= {v2}
    assert v1 not in {d["id"] for d in latest.json()}
    newest_first = await stack.http.get(
        definitions,
        params={"key": "camunda-order", "sortBy": "version", "sortOrder": "desc", "maxResults": 1},
    )
    assert [d["version"] for d in newest_first.json()] == [2]
    count = await stack.http.get(f"{definitions}/count", params={"key": "camunda-order"})
    assert count.json() == {"count": 2}
    assert (await stack.http.get(f"{definitions}/key/camunda-order")).json()["id"] == v2
    assert (await stack.http.get(f"{definitions}/{v1}")).json()["version"] == 1
    xml = (await stack.http.get(f"{definitions}/{v1}/xml")).json()
    assert xml["id"] == v1 and "Review order" in xml["bpmn20Xml"]
    latest_xml = (await stack.http.get(f"{definitions}/key/camunda-order/xml")).json()
    assert "Review the order" in latest_xml["bpmn20Xml"]

    camunda_error(
        await stack.http.get(definitions, params={"sortBy": "key"}), 400, "InvalidRequestException"
    )


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_errors_come_in_camundas_shape(stack: Stack) -> None:
    definitions = "/engine-rest/process-definition"
    missing = camunda_error(
        await stack.http.post(f"{definitions}/key/nope/start", json={}), 404, "RestException"
    )
    assert "nope" in missing["message"]
    camunda_error(await stack.http.get(f"{definitions}/nope:1:x"), 404, "RestException")
    camunda_error(await stack.http.get(f"{definitions}/key/nope/xml"), 404, "RestException")
    camunda_error(await stack.http.get("/engine-rest/deployment/nope"), 404, "RestException")
    camunda_error(await stack.http.get("/engine-rest/no-such-resource"), 404, "RestException")

    await modeler_deploy(stack.http, *ORDER)
    bad = camunda_error(
        await stack.http.post(
            f"{definitions}/key/camunda-order/start",
            json={"variables": {"amount": {"value": "lots", "type": "Integer"}}},
        ),
        400,
        "InvalidRequestException",
    )
    assert "'amount'" in bad["message"] and "Integer" in bad["message"]
    unknown_type = camunda_error(
        await stack.http.post(
            f"{definitions}/key/camunda-order/start",
            json={"variables": {"x": {"value": 1, "type": "Money"}}},
        ),
        400,
        "InvalidRequestException",
    )
    assert "'x'" in unknown_type["message"]
    # a body that is not Camunda's shape: 400, not FastAPI's 422
    camunda_error(
        await stack.http.post(f"{definitions}/key/camunda-order/start", json={"variables": 3}),
        400,
        "InvalidRequestException",
    )

    broken = bpmn.diagram("camunda-broken", bpmn.start() + bpmn.flows("s>nowhere"))
    invalid = camunda_error(
        await modeler_deploy(stack.http, *broken), 400, "InvalidRequestException"
    )
    # Modeler reads this prefix to report "could not parse the diagram"
    assert invalid["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    assert invalid["errors"]
    dmn = camunda_error(
        await modeler_deploy(stack.http, "rules.dmn", b"<definitions/>"),
        400,
        "InvalidRequestException",
    )
    assert "DMN" in dmn["message"]
    created = (await modeler_deploy(stack.http, *ORDER)).json()
    kept = camunda_error(
        await stack.http.delete(f"/engine-rest/deployment/{created['id']}"),
        409,
        "ProcessEngineException",
    )
    assert kept["code"] == 0


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_refused_privilege_is_camundas_authorization_exception(stack: Stack) -> None:
    john = {"Authorization": "Bearer demo-john"}
    answer = await stack.http.post("/engine-rest/deployment/create", headers=john, files=[ORDER])
    body = camunda_error(answer, 403, "AuthorizationException")
    assert body["privilege"] == "deploy"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_modeler_connects_with_basic_auth(stack: Stack) -> None:
    issued = await stack.http.post(
        "/apikey", json={"name": "modeler", "privileges": ["deploy", "bpms:deployment:read"]}
    )
    key = issued.json()
    header = {"Authorization": basic_auth(key["id"], key["token"])}
    created = await modeler_deploy(stack.http, *ORDER, headers=header)
    assert created.status_code == 200, created.text
    other_user = {"Authorization": basic_auth("someone-else", key["token"])}
    camunda_error(
        await stack.http.get("/engine-rest/deployment", headers=other_user),
        401,
        "AuthenticationException",
    )
    # the key's privileges hold under Basic as under Bearer: it may not start instances
    camunda_error(
        await stack.http.post(
            "/engine-rest/process-definition/key/camunda-order/start", json={}, headers=header
        ),
        403,
        "AuthorizationException",
    )
    # dev mode: a demo account as the user
    john = {"Authorization": basic_auth("demo", "anything")}
    assert (await stack.http.get("/engine-rest/version", headers=john)).status_code == 200
    wrong = {"Authorization": basic_auth("nobody", "secret")}
    refused = camunda_error(
        await stack.http.get("/engine-rest/version", headers=wrong), 401, "AuthenticationException"
    )
    assert "API key" in refused["message"]
