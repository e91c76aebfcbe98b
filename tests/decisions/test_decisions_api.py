"""DMN decisions end to end over REST: ``.dmn`` files deployed with the diagrams in one
multipart request, versioned per decision; a business-rule task evaluates its decision
in the workflow (result in the variables and the case history); a decision that is not
deployed is a deploy warning and a clear incident that a later deployment and a retry
fix; evaluation on request through ``/v1/bpms/decisions`` and Camunda's
``/engine-rest/decision-definition``. Real worker, Temporal dev server and store."""

from __future__ import annotations

from typing import Any

from baton_client.contracts import bpmn as c

from tests.conftest import Stack
from tests.decisions.models import DISCOUNT_DMN, discount_process
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton
from tests.support.http import deploy, eventually

INSTANCES = "/v1/bpms/process-instances"


async def _result(stack: Stack, instance_id: str) -> c.ProcessResult:
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)
    return await handle.result()


async def test_one_request_deploys_diagram_and_decisions_and_the_task_evaluates(
    stack: Stack,
) -> None:
    deployed = await deploy(stack.http, discount_process(), ("pricing.dmn", DISCOUNT_DMN))
    assert deployed.status_code == 201, deployed.text
    body = deployed.json()
    assert [d["key"] for d in body["definitions"]] == ["pricing-order"]
    assert {(d["key"], d["version"], d["new"]) for d in body["decisions"]} >= {
        ("discount", 1, True),
        ("price", 1, True),
    }
    assert body["warnings"] == []
    assert next(d for d in body["decisions"] if d["key"] == "discount")["versionTag"] == "v1"

    baton = Baton(stack)
    instance_id = await baton.start(
        "pricing-order", {"customerType": "regular", "orderTotal": 1500}
    )
    done = await _result(stack, instance_id)
    assert done.variables["discount"] == {"rate": 0.05, "reason": "large order"}

    async def evaluated() -> list[dict[str, Any]] | None:
        r = await stack.http.get(
            f"{INSTANCES}/{instance_id}/history", params={"type": "DECISION_EVALUATED"}
        )
        items: list[dict[str, Any]] = r.json()["items"]
        return items or None

    entry = (await eventually(evaluated, what="the decision in the case history"))[0]
    assert entry["activityId"] == "decide"
    assert entry["details"]["decisionKey"] == "discount"
    assert entry["details"]["decisionVersion"] == 1
    assert entry["details"]["matchedRules"] == ["bigOrder"]
    assert entry["details"]["result"] == {"rate": 0.05, "reason": "large order"}

    # the same file again keeps the versions; a changed one makes new ones
    again = (await deploy(stack.http, ("pricing.dmn", DISCOUNT_DMN))).json()
    assert {(d["key"], d["version"], d["new"]) for d in again["decisions"]} >= {
        ("discount", 1, False)
    }
    changed = DISCOUNT_DMN.replace(b"<text>0.15</text>", b"<text>0.2</text>")
    newer = (await deploy(stack.http, ("pricing.dmn", changed))).json()
    assert ("discount", 2, True) in {(d["key"], d["version"], d["new"]) for d in newer["decisions"]}
    gold = await baton.start("pricing-order", {"customerType": "gold", "orderTotal": 10})
    assert (await _result(stack, gold)).variables["discount"]["rate"] == 0.2

    # on request: the latest version, or the one asked for
    latest = await stack.http.post(
        "/v1/bpms/decisions/discount/evaluate",
        json={"variables": {"customerType": "gold", "orderTotal": 5}},
    )
    assert latest.status_code == 200, latest.text
    assert latest.json()["result"] == {"rate": 0.2, "reason": "gold customer"}
    assert latest.json()["version"] == 2 and latest.json()["matchedRules"] == ["gold"]
    first = await stack.http.post(
        "/v1/bpms/decisions/discount/evaluate",
        json={"variables": {"customerType": "gold", "orderTotal": 5}, "version": 1},
    )
    assert first.json()["result"]["rate"] == 0.15
    price = await stack.http.post(
        "/v1/bpms/decisions/price/evaluate",
        json={"variables": {"customerType": "regular", "orderTotal": 2000}},
    )
    assert price.json()["result"] == 1900
    listed = (await stack.http.get("/v1/bpms/decisions")).json()["items"]
    assert {"discount", "price"} <= {d["key"] for d in listed}
    xml = await stack.http.get("/v1/bpms/decisions/discount/xml", params={"version": 1})
    assert xml.content == DISCOUNT_DMN
    missing = await stack.http.post("/v1/bpms/decisions/nope/evaluate", json={"variables": {}})
    assert missing.status_code == 404


async def test_a_decision_not_deployed_warns_then_opens_an_incident_a_retry_fixes(
    stack: Stack,
) -> None:
    process = diagram(
        "needs-rating",
        '<bpmn:startEvent id="s"/>'
        '<bpmn:businessRuleTask id="rate" camunda:decisionRef="rating" '
        'camunda:resultVariable="rating" camunda:mapDecisionResult="singleEntry"/>'
        '<bpmn:endEvent id="e"/>' + flows("s>rate", "rate>e"),
    )
    deployed = await deploy(stack.http, process)
    assert deployed.status_code == 201, deployed.text
    warnings = deployed.json()["warnings"]
    assert [w["code"] for w in warnings] == ["decision-not-deployed"]
    assert "rating" in warnings[0]["message"] and "needs-rating/rate" in warnings[0]["message"]

    instance_id = await Baton(stack).start("needs-rating", {"score": 720})

    async def incident() -> dict[str, Any] | None:
        view = (await stack.http.get(f"{INSTANCES}/{instance_id}")).json()
        return view["incidents"][0] if view["incidents"] else None

    opened = await eventually(incident, what="the incident", timeout=30)
    assert opened["activityId"] == "rate"
    assert "rating" in opened["message"] and "not" in opened["message"]

    rating = b"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
      id="ratings" name="Ratings" namespace="http://baton.test/ratings">
      <decision id="rating" name="Rating">
        <decisionTable id="t" hitPolicy="FIRST">
          <input id="i"><inputExpression id="ie" typeRef="number"><text>score</text>
          </inputExpression></input>
          <output id="o" name="band" typeRef="string"/>
          <rule id="r1"><inputEntry id="a"><text>&gt;= 700</text></inputEntry>
            <outputEntry id="b"><text>"A"</text></outputEntry></rule>
          <rule id="r2"><inputEntry id="c"><text>-</text></inputEntry>
            <outputEntry id="d"><text>"B"</text></outputEntry></rule>
        </decisionTable>
      </decision>
    </definitions>"""
    fixed = await deploy(stack.http, ("ratings.dmn", rating))
    assert fixed.status_code == 201, fixed.text
    retried = await stack.http.post(f"/v1/bpms/incidents/{opened['id']}/retry", json={})
    assert retried.status_code == 204, retried.text
    assert (await _result(stack, instance_id)).variables["rating"] == "A"


async def test_invalid_dmn_is_refused_with_element_and_line(stack: Stack) -> None:
    broken = b"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
      id="broken" name="Broken" namespace="http://baton.test/broken">
      <decision id="bad" name="Bad">
        <decisionTable id="t" hitPolicy="SOMETIMES">
          <output id="o" name="x" typeRef="string"/>
        </decisionTable>
      </decision>
    </definitions>"""
    refused = await deploy(stack.http, discount_process(), ("broken.dmn", broken))
    assert refused.status_code == 400, refused.text
    errors = refused.json()["errors"]
    assert errors and all(e["file"] == "broken.dmn" for e in errors)
    assert any(e["elementId"] in ("t", "bad") and e["line"] for e in errors), errors
    # nothing of the refused deployment was stored
    assert (await stack.http.get("/v1/bpms/decisions/bad")).status_code == 404


async def test_zeebe_called_decision_gives_the_decisions_value(stack: Stack) -> None:
    process = diagram(
        "zeebe-price",
        '<bpmn:startEvent id="s"/>'
        '<bpmn:businessRuleTask id="p"><bpmn:extensionElements>'
        '<zeebe:calledDecision decisionId="price" resultVariable="price"/>'
        "</bpmn:extensionElements></bpmn:businessRuleTask>"
        '<bpmn:endEvent id="e"/>' + flows("s>p", "p>e"),
    )
    deployed = await deploy(stack.http, process, ("pricing.dmn", DISCOUNT_DMN))
    assert deployed.status_code == 201, deployed.text
    instance_id = await Baton(stack).start(
        "zeebe-price", {"customerType": "gold", "orderTotal": 100}
    )
    assert (await _result(stack, instance_id)).variables["price"] == 85


async def test_camunda_rest_deploys_lists_and_evaluates_decisions(stack: Stack) -> None:
    files = [
        ("data", ("pricing-order.bpmn", discount_process()[1], "application/octet-stream")),
        ("data2", ("pricing.dmn", DISCOUNT_DMN, "application/octet-stream")),
    ]
    created = await stack.http.post(
        "/engine-rest/deployment/create",
        data={"deployment-name": "pricing", "deployment-source": "Camunda Modeler"},
        files=files,
    )
    assert created.status_code == 200, created.text
    decided = created.json()["deployedDecisionDefinitions"]
    by_key = {d["key"]: d for d in decided.values()}
    assert {"discount", "price"} <= set(by_key)
    discount = by_key["discount"]
    assert discount["id"] in decided and discount["resource"] == "pricing.dmn"
    assert discount["versionTag"] == "v1" and discount["tenantId"] is None

    listed = await stack.http.get(
        "/engine-rest/decision-definition", params={"key": "discount", "latestVersion": "true"}
    )
    assert [d["id"] for d in listed.json()] == [discount["id"]]
    count = await stack.http.get("/engine-rest/decision-definition/count", params={"key": "price"})
    assert count.json()["count"] >= 1
    assert (
        await stack.http.get(f"/engine-rest/decision-definition/{discount['id']}")
    ).json() == discount
    xml = (await stack.http.get("/engine-rest/decision-definition/key/discount/xml")).json()
    assert xml["id"] == discount["id"] and "discountTable" in xml["dmnXml"]

    evaluated = await stack.http.post(
        "/engine-rest/decision-definition/key/discount/evaluate",
        json={
            "variables": {
                "customerType": {"value": "regular", "type": "String"},
                "orderTotal": {"value": 50, "type": "Integer"},
            }
        },
    )
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json() == [
        {
            "rate": {"value": 0, "type": "Integer", "valueInfo": {}},
            "reason": {"value": "no discount", "type": "String", "valueInfo": {}},
        }
    ]
    by_id = await stack.http.post(
        f"/engine-rest/decision-definition/{discount['id']}/evaluate",
        json={"variables": {"customerType": {"value": "gold", "type": "String"}}},
    )
    assert by_id.json()[0]["reason"]["value"] == "gold customer"
    bad = await stack.http.post(
        "/engine-rest/decision-definition/key/discount/evaluate",
        json={"variables": {"orderTotal": {"value": "lots", "type": "Integer"}}},
    )
    assert bad.status_code == 400 and bad.json()["type"] == "InvalidRequestException"
    unknown = await stack.http.get("/engine-rest/decision-definition/key/nope")
    assert unknown.status_code == 404 and unknown.json()["type"] == "RestException"
