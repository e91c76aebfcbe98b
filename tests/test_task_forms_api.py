"""A task's form over REST, against the real worker and Temporal dev server:
``GET /v1/bpms/tasks/{id}/form`` (formData converted, an embedded Camunda Form, none) and
the server-side checks of submit-form (``/v1/bpms`` and Camunda's ``/engine-rest``): a
refused submission leaves the task open and the instance's variables as they were."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import EXAMPLES, Stack
from tests.support.bpmn import diagram, end, flows, start, user
from tests.support.driver import Baton
from tests.support.http import problem

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

EXPENSE = EXAMPLES / "expense-approval.bpmn"
TASKS = "/v1/bpms/tasks"

EMBEDDED = """<bpmn:extensionElements>
  <zeebe:userTaskForm id="userTaskForm_1">{"type": "default", "id": "review",
    "components": [{"type": "textfield", "key": "reason", "label": "Reason",
    "validate": {"required": true}}]}</zeebe:userTaskForm>
</bpmn:extensionElements>
<bpmn:startEvent id="s"/>
<bpmn:userTask id="t" name="Review">
  <bpmn:extensionElements>
    <zeebe:formDefinition formKey="camunda-forms:bpmn:userTaskForm_1"/>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="e"/>
""" + flows("s>t", "t>e")


async def _expense(baton: Baton) -> tuple[str, str]:
    await baton.deploy(EXPENSE)
    instance = await baton.start("expense-approval", {"employee": "Ann", "comment": "taxi"})
    task = await baton.open_task(instance)
    return instance, str(task["id"])


async def test_form_data_is_answered_as_a_form_js_schema_with_the_variables(
    stack: Stack,
) -> None:
    baton = Baton(stack)
    instance, task_id = await _expense(baton)
    answer = await stack.http.get(f"{TASKS}/{task_id}/form")
    assert answer.status_code == 200, answer.text
    form = answer.json()
    assert form["source"] == "form-data"
    assert form["processInstanceId"] == instance
    assert (form["processDefinitionKey"], form["processDefinitionVersion"]) == (
        "expense-approval",
        1,
    )
    assert form["taskDefinitionKey"] == "Task_review"
    assert form["variables"] == {"employee": "Ann", "comment": "taxi"}
    assert form["readonly"] == ["employee"]
    comps = {c["key"]: c for c in form["schema"]["components"]}
    assert comps["amount"]["type"] == "number"
    assert comps["amount"]["validate"] == {"min": 1, "max": 100000, "required": True}
    assert comps["category"]["type"] == "select"
    assert comps["approved"]["type"] == "checkbox"
    assert comps["paidOn"]["type"] == "datetime"
    assert comps["comment"]["validate"] == {"maxLength": 50}
    assert comps["employee"]["readonly"] is True


async def test_an_embedded_camunda_form_and_no_form(stack: Stack) -> None:
    baton = Baton(stack)
    await baton.deploy(diagram("zeebe-form", EMBEDDED))
    task = await baton.open_task(await baton.start("zeebe-form", {"x": 1}))
    form = (await stack.http.get(f"{TASKS}/{task['id']}/form")).json()
    assert form["source"] == "camunda-forms"
    assert form["formKey"] == "camunda-forms:bpmn:userTaskForm_1"
    assert form["schema"]["id"] == "review"
    assert form["schema"]["components"][0]["key"] == "reason"

    plain = start("s") + user("t", None) + end("e") + flows("s>t", "t>e")
    await baton.deploy(diagram("no-form", plain))
    task = await baton.open_task(await baton.start("no-form", {"y": 2}))
    form = (await stack.http.get(f"{TASKS}/{task['id']}/form")).json()
    assert (form["source"], form["schema"], form["note"]) == ("none", None, None)
    assert form["variables"] == {"y": 2}

    problem(await stack.http.get(f"{TASKS}/no-such-task/form"), 404)


async def _open_with(baton: Baton, instance: str, task_id: str) -> dict[str, Any]:
    task = (await baton.http.get(f"{TASKS}/{task_id}")).json()
    assert task["state"] in ("CREATED", "ASSIGNED"), task
    variables = await baton.variables(instance)
    assert variables == {"employee": "Ann", "comment": "taxi"}
    return task


async def test_submit_form_checks_the_constraints_before_the_instance_sees_anything(
    stack: Stack,
) -> None:
    baton = Baton(stack)
    instance, task_id = await _expense(baton)
    url = f"{TASKS}/{task_id}/submit-form"

    refused = problem(await stack.http.post(url, json={"processData": {}}), 422)
    assert refused["detail"] == (
        "Invalid value submitted for form field 'amount': validation of required failed."
    )
    assert [e["field"] for e in refused["errors"]] == ["amount"]
    body = {"processData": {"amount": 0, "comment": "x" * 51, "employee": "Bob"}}
    refused = problem(await stack.http.post(url, json=body), 422)
    assert [(e["field"], e["constraint"]) for e in refused["errors"]] == [
        ("amount", "min"),
        ("comment", "maxlength"),
        ("employee", "readonly"),
    ]
    refused = problem(await stack.http.post(url, json={"processData": {"amount": "lots"}}), 422)
    assert refused["errors"][0]["constraint"] == "type"
    await _open_with(baton, instance, task_id)

    # Camunda's submit-form: the same checks, in Camunda's words
    camunda = f"/engine-rest/task/{task_id}/submit-form"
    answer = await stack.http.post(
        camunda, json={"variables": {"amount": {"value": 0, "type": "Long"}}}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["type"] == "RestException"
    assert answer.json()["message"] == (
        f"Cannot submit task form {task_id}: Invalid value submitted for form field "
        "'amount': validation of min(1) failed."
    )
    await _open_with(baton, instance, task_id)

    done = await stack.http.post(
        camunda,
        json={
            "variables": {
                "amount": {"value": "250", "type": "String"},
                "paidOn": {"value": "01/03/2026"},
            },
            "withVariablesInReturn": True,
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["amount"]["value"] == 250

    async def ended() -> dict[str, Any] | None:
        body = await baton.instance(instance)
        return body if body["state"] == "COMPLETED" else None

    await baton.until(ended, "the instance ended")
    assert await baton.variables(instance) == {
        "employee": "Ann",
        "comment": "taxi",
        "amount": 250,  # converted to the field's type
        "paidOn": "2026-03-01",  # Camunda's dd/MM/yyyy, stored as an ISO date
        "category": "travel",  # left out: the defaultValue
        "approved": False,
    }


async def test_complete_runs_no_form_checks(stack: Stack) -> None:
    """Camunda's rule: ``complete`` is not a form submission."""
    baton = Baton(stack)
    instance, task_id = await _expense(baton)
    await baton.complete(task_id, {"note": "no amount"})
    assert (await baton.variables(instance))["note"] == "no amount"


async def test_submitting_a_delegated_task_resolves_it_to_its_owner(stack: Stack) -> None:
    """Camunda's submit-form on a PENDING task: resolved, not completed."""
    baton = Baton(stack)
    instance, task_id = await _expense(baton)
    john = {"Authorization": "Bearer demo-john"}
    mary = {"Authorization": "Bearer demo-mary"}
    claimed = await stack.http.post(f"{TASKS}/{task_id}/claim", headers=john)
    assert claimed.status_code == 200, claimed.text
    delegated = await stack.http.post(
        f"{TASKS}/{task_id}/delegate", json={"userId": "mary"}, headers=john
    )
    assert delegated.status_code == 200, delegated.text
    url = f"{TASKS}/{task_id}/submit-form"
    problem(await stack.http.post(url, json={"processData": {}}, headers=mary), 422)
    answer = await stack.http.post(url, json={"processData": {"amount": 5}}, headers=mary)
    assert answer.status_code == 200, answer.text
    assert answer.json()["resolved"] is True

    async def back_with_john() -> dict[str, Any] | None:
        task = (await stack.http.get(f"{TASKS}/{task_id}")).json()
        return task if task["assignee"] == "john" else None

    task = await baton.until(back_with_john, "the task back with its owner")
    assert task["delegationState"] == "RESOLVED" and task["state"] == "ASSIGNED"
    assert (await baton.variables(instance))["amount"] == 5
