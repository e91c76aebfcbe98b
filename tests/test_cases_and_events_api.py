"""Case status and domain events over HTTP, with real processes on the interpreter:
the Case Repository shapes, status history, a process waiting for a case status, the
built-in activity that sets one, and the seed's scenario "a scoring system reports an
event that triggers further steps" (deduplicated by event id)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from docx import Document

from operations.messages import waiting_instances
from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton
from tests.support.http import eventually, problem

JOHN = {"Authorization": "Bearer demo-john"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CASE = {
    "caseType": "LOAN",
    "clientId": "12345678901",
    "clientType": "PESEL",
    "status": "OPEN",
    "statusDescription": "Wniosek o kredyt został złożony.",
    "businessKey": "BK-2026-0001",
    "source": "PORTAL",
}


async def test_case_statuses_and_their_history(stack: Stack) -> None:
    created = await stack.http.post("/v1/case-statuses", json=CASE)
    assert created.status_code == 201, created.text
    case = created.json()
    assert {k: case[k] for k in CASE} == CASE
    assert case["creationDate"] == case["updateDate"]
    case_id = case["caseId"]
    # the Case Repository's own paths
    repo = await stack.http.post("/api/case-repository/v1", json={**CASE, "businessKey": None})
    assert repo.status_code == 200 and repo.json()["businessKey"] is None
    got = await stack.http.get("/api/case-repository/v1", params={"caseId": case_id})
    assert got.json() == case
    assert (await stack.http.get(f"/v1/case-statuses/{case_id}")).json() == case

    changed = await stack.http.put(
        f"/v1/case-statuses/{case_id}",
        json={"status": "APPROVED", "statusDescription": "Kredyt przyznany."},
    )
    assert changed.json()["status"] == "APPROVED"
    assert changed.json()["updateDate"] > case["updateDate"]
    history = (await stack.http.get(f"/v1/case-statuses/{case_id}/history")).json()
    assert [h["status"] for h in history] == ["OPEN", "APPROVED"]
    assert history[1]["changedBy"] == "demo"

    by_client = await stack.http.get("/v1/case-statuses", params={"clientId": "12345678901"})
    assert by_client.json()["total"] == 2
    by_key = (
        await stack.http.get("/v1/case-statuses", params={"businessKey": "BK-2026-0001"})
    ).json()
    assert [c["caseId"] for c in by_key["items"]] == [case_id]
    assert (await stack.http.get("/v1/case-statuses", params={"caseType": "NONE"})).json()[
        "total"
    ] == 0

    problem(await stack.http.get("/v1/case-statuses/nope"), 404)
    problem(await stack.http.put("/v1/case-statuses/nope", json={"status": "X"}), 404)
    missing = problem(await stack.http.post("/v1/case-statuses", json={"status": "OPEN"}), 422)
    assert "caseType" in missing["detail"]
    assert (await stack.http.get(f"/v1/case-statuses/{case_id}", headers=JOHN)).status_code == 200
    problem(await stack.http.post("/v1/case-statuses", json=CASE, headers=JOHN), 403)


WAITS_FOR_APPROVAL = diagram(
    "loan-decision",
    '<bpmn:startEvent id="s"/>'
    '<bpmn:intermediateCatchEvent id="approved"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:userTask id="pay_out" name="Pay out"/><bpmn:endEvent id="e"/>'
    + flows("s>approved", "approved>pay_out", "pay_out>e"),
    top='<bpmn:message id="m" name="caseStatus.APPROVED"/>',
)

SETS_STATUS = diagram(
    "loan-intake",
    '<bpmn:startEvent id="s"/>'
    '<bpmn:serviceTask id="mark"><bpmn:extensionElements>'
    '<zeebe:taskDefinition type="baton.case.setStatus"/>'
    '<zeebe:taskHeaders><zeebe:header key="status" value="IN_REVIEW"/>'
    '<zeebe:header key="caseType" value="LOAN"/>'
    '<zeebe:header key="clientIdVariable" value="pesel"/></zeebe:taskHeaders>'
    "</bpmn:extensionElements></bpmn:serviceTask>"
    '<bpmn:userTask id="review" name="Review"/><bpmn:endEvent id="e"/>'
    + flows("s>mark", "mark>review", "review>e"),
)


async def test_a_process_waits_for_a_case_status(stack: Stack) -> None:
    await Baton(stack).deploy(WAITS_FOR_APPROVAL)
    case = (await stack.http.post("/v1/case-statuses", json=CASE)).json()
    instance_id = await Baton(stack).start("loan-decision", {}, business_key=CASE["businessKey"])
    await stack.http.put(f"/v1/case-statuses/{case['caseId']}", json={"status": "REVIEW"})
    await stack.http.put(f"/v1/case-statuses/{case['caseId']}", json={"status": "APPROVED"})
    task = await Baton(stack).open_task(instance_id)
    assert task["taskDefinitionKey"] == "pay_out"
    data = await Baton(stack).variables(instance_id)
    assert (data["caseId"], data["caseStatus"]) == (case["caseId"], "APPROVED")


async def test_the_built_in_activity_sets_the_case_status(stack: Stack) -> None:
    await Baton(stack).deploy(SETS_STATUS)
    instance_id = await Baton(stack).start(
        "loan-intake", {"pesel": "90010112345"}, business_key="BK-7"
    )
    await Baton(stack).open_task(instance_id)
    found = (await stack.http.get("/v1/case-statuses", params={"businessKey": "BK-7"})).json()
    [case] = found["items"]
    assert (case["status"], case["caseType"], case["clientId"]) == (
        "IN_REVIEW",
        "LOAN",
        "90010112345",
    )
    assert (await Baton(stack).variables(instance_id))["caseId"] == case["caseId"]
    history = (await stack.http.get(f"/v1/case-statuses/{case['caseId']}/history")).json()
    assert history[0]["changedBy"] == f"process:{instance_id}"


SCORING = diagram(
    "credit-application",
    '<bpmn:startEvent id="s"/>'
    '<bpmn:intermediateCatchEvent id="scored"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:exclusiveGateway id="g" default="to_review"/>'
    '<bpmn:userTask id="decide" name="Decide on the credit"/>'
    '<bpmn:userTask id="review" name="Manual review"/>'
    '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="scored"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="scored" targetRef="g"/>'
    '<bpmn:sequenceFlow id="to_decide" sourceRef="g" targetRef="decide">'
    "<bpmn:conditionExpression>= score &gt;= 600</bpmn:conditionExpression></bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="to_review" sourceRef="g" targetRef="review"/>'
    '<bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="e1"/>'
    '<bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="e2"/>',
    top='<bpmn:message id="m" name="ScoringCompleted"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="= applicationId"/></bpmn:extensionElements>'
    "</bpmn:message>",
)

LEAD = diagram(
    "lead-intake",
    '<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
    '<bpmn:userTask id="call" name="Call the lead"/><bpmn:endEvent id="e"/>'
    + flows("s>call", "call>e"),
    top='<bpmn:message id="m" name="LeadCreated"/>',
)


async def test_a_scoring_system_reports_an_event_that_triggers_further_steps(
    stack: Stack,
) -> None:
    """The seed's scenario: the credit process waits for the scoring; the scoring system
    posts a domain event; the process goes on by the score."""
    await Baton(stack).deploy(SCORING)
    instance_id = await Baton(stack).start(
        "credit-application", {"applicationId": "APP-1"}, business_key="APP-1"
    )

    async def subscribed() -> list[str] | None:  # the scoring runs after the application
        found = await waiting_instances(stack.client, stack.settings, "ScoringCompleted", "APP-1")
        return found or None

    assert await eventually(subscribed, what="the subscription") == [instance_id]
    event = {
        "id": f"scoring-{uuid.uuid4()}",  # ids derive instance ids: unique per test run
        "source": "scoring",
        "type": "ScoringCompleted",
        "subject": "APP-1",
        "time": "2026-11-24T08:00:00Z",
        "data": {"score": 712, "grade": "A"},
    }
    answer = await stack.http.post("/v1/events", json=event)
    assert answer.status_code == 202, answer.text
    outcome = answer.json()
    assert outcome["accepted"] is True and outcome["duplicate"] is False
    [delivery] = outcome["correlated"]
    assert delivery["processInstanceId"] == instance_id
    assert delivery["resultType"] in ("Execution", "Delivered")
    task = await Baton(stack).open_task(instance_id)
    assert task["taskDefinitionKey"] == "decide"  # the score took the "good" branch
    assert (await Baton(stack).variables(instance_id))["score"] == 712
    # the same event again is not delivered twice
    repeat = await stack.http.post("/v1/events", json=event)
    assert repeat.status_code == 200
    assert repeat.json()["duplicate"] is True
    assert repeat.json()["correlated"] == outcome["correlated"]
    history = (
        await stack.http.get(
            f"/v1/bpms/process-instances/{instance_id}/history",
            params={"type": "MESSAGE_CORRELATED"},
        )
    ).json()
    assert history["total"] == 1


MARKET = diagram(
    "market-close",
    '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sg"/></bpmn:startEvent>'
    '<bpmn:userTask id="report" name="Report the close"/><bpmn:endEvent id="e"/>'
    + flows("s>report", "report>e"),
    top='<bpmn:signal id="sg" name="MarketClosed"/>',
)


async def test_events_start_processes_and_broadcast_signals(stack: Stack) -> None:
    await Baton(stack).deploy(LEAD)
    started = await stack.http.post(
        "/v1/events",
        json={
            "id": f"crm-{uuid.uuid4()}",
            "source": "crm",
            "type": "LeadCreated",
            "subject": "L-1",
            "data": {"name": "Acme"},
        },
    )
    [delivery] = started.json()["correlated"]
    assert delivery["resultType"] == "ProcessDefinition"
    task = await Baton(stack).open_task(delivery["processInstanceId"])
    assert task["businessKey"] == "L-1"
    nothing = await stack.http.post(
        "/v1/events",
        json={"id": "x-1", "source": "x", "type": "NobodyListens", "deliverAs": "signal"},
    )
    assert nothing.status_code == 202 and nothing.json()["correlated"] == []
    await Baton(stack).deploy(MARKET)
    signalled = await stack.http.post(
        "/v1/events",
        json={"id": f"mkt-{uuid.uuid4()}", "source": "exchange", "type": "MarketClosed",
              "deliverAs": "signal", "data": {"index": 1234}},
    )  # fmt: skip
    [begun] = signalled.json()["correlated"]
    assert begun["resultType"] == "ProcessDefinition"
    await Baton(stack).open_task(begun["processInstanceId"])
    assert (await Baton(stack).variables(begun["processInstanceId"]))["index"] == 1234
    bad = problem(await stack.http.post("/v1/events", json={"source": "x", "type": "T"}), 422)
    assert "id" in bad["detail"]
    problem(
        await stack.http.post(
            "/v1/events", json={"id": "j", "source": "x", "type": "T"}, headers=JOHN
        ),
        403,
    )


async def test_a_process_generates_a_document_and_sets_a_case_status(stack: Stack) -> None:
    template = (Path(__file__).parent.parent / "examples" / "templates" / "offer.docx").read_bytes()
    uploaded = await stack.http.post(
        "/v1/documents/templates",
        data={"name": "offer"},
        files={"file": ("offer.docx", template, DOCX)},
    )
    assert uploaded.status_code == 201, uploaded.text
    template_id = uploaded.json()["id"]
    offer = diagram(
        "offer-process",
        '<bpmn:startEvent id="s"/>'
        '<bpmn:serviceTask id="write_offer"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="baton.documents.generate"/><zeebe:taskHeaders>'
        f'<zeebe:header key="templateId" value="{template_id}"/>'
        '<zeebe:header key="resultVariable" value="offerDocument"/>'
        "</zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:serviceTask id="mark_sent"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="baton.case.setStatus"/><zeebe:taskHeaders>'
        '<zeebe:header key="status" value="OFFER_SENT"/>'
        '<zeebe:header key="caseType" value="LOAN"/>'
        "</zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:userTask id="await_signature" name="Await signature"/><bpmn:endEvent id="e"/>'
        + flows("s>write_offer", "write_offer>mark_sent", "mark_sent>await_signature",
                "await_signature>e"),
    )  # fmt: skip
    await Baton(stack).deploy(offer)
    instance_id = await Baton(stack).start(
        "offer-process",
        {
            "client": {"name": "Jan Kowalski"},
            "offer": {"amount": 25000, "items": [{"name": "Loan", "price": 25000}]},
        },
        business_key="OFFER-1",
    )
    task = await Baton(stack).open_task(instance_id)
    assert task["taskDefinitionKey"] == "await_signature"
    data = await Baton(stack).variables(instance_id)
    content = await stack.http.get(f"/v1/documents/{data['offerDocument']}/content")
    assert content.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(content.content)).paragraphs)
    assert "Jan Kowalski" in text and "25000" in text
    [case] = (await stack.http.get("/v1/case-statuses", params={"businessKey": "OFFER-1"})).json()[
        "items"
    ]
    assert case["status"] == "OFFER_SENT" and data["caseId"] == case["caseId"]
