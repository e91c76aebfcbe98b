"""``/engine-rest`` variables (issue 20): removing a variable end to end -- the workflow
decides (``set_variables`` with ``deletions``), records it in the case history, and the
instance's own state answer, Camunda's variable routes and ``/variable-instance`` no
longer show it -- plus task variables (the instance's: no task-local scope) and the
runtime variable-instance query. Real app, worker and Temporal server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from baton_client.contracts import bpmn as c
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack
from tests.support import bpmn
from tests.support.driver import complete, open_tasks, start, state, until
from tests.support.http import eventually
from tests.test_camunda_rest import camunda_error, modeler_deploy
from workflows.bpmn_process import BpmnProcess
from workflows.runner import workflow_runner

JOHN = {"Authorization": "Bearer demo-john"}  # role accounting
MARY = {"Authorization": "Bearer demo-mary"}  # role management
INSTANCE = "/engine-rest/process-instance"

#: a task only accounting may work on: mary is no participant of the instance
BOOKING = bpmn.diagram(
    "camunda-booking",
    "\n".join(
        [
            bpmn.start(),
            '<bpmn:userTask id="book" name="Book it" camunda:candidateGroups="accounting"/>',
            bpmn.end(),
            bpmn.flows("s>book", "book>e"),
        ]
    ),
)

TYPED = {
    "amount": {"value": 1200, "type": "Integer"},
    "big": {"value": 2**40, "type": "Long"},
    "rate": {"value": 0.25, "type": "Double"},
    "vip": {"value": True, "type": "Boolean"},
    "customer": {"value": "Ada", "type": "String"},
    "address": {"value": '{"city":"Turin","zip":"10121"}', "type": "Json"},
    "nothing": {"value": None, "type": "Null"},
}


async def _started(http: httpx.AsyncClient, variables: dict[str, Any]) -> str:
    started = await http.post(
        "/engine-rest/process-definition/key/camunda-booking/start",
        json={"variables": variables},
    )
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


async def _task_of(http: httpx.AsyncClient, instance_id: str) -> str:
    async def found() -> str | None:
        tasks = await http.get("/engine-rest/task", params={"processInstanceId": instance_id})
        listed: list[dict[str, Any]] = tasks.json()
        return listed[0]["id"] if listed else None

    return await eventually(found, what="the instance's task")


async def _history(http: httpx.AsyncClient, instance_id: str, kind: str) -> list[dict[str, Any]]:
    answer = await http.get(
        f"/v1/bpms/process-instances/{instance_id}/history", params={"type": kind}
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_the_workflow_sets_then_deletes_and_records_it(stack: Stack) -> None:
    """The update itself, as an SDK client sends it: values are set first, then the
    deletions removed (a name in both ends up removed); an unknown name is no error and
    no history; a payload without ``deletions`` (an older client's) still works."""
    handle = await start(stack, BOOKING, {"a": 1, "b": 2, "c": 3})
    await until(handle, lambda v: "book" in open_tasks(v), "the task")
    await handle.execute_update(
        c.SET_VARIABLES,
        c.SetVariables(variables={"a": 10, "d": 4}, deletions=["a", "b", "nope"], user_id="ops"),
    )
    view = await state(handle)
    assert view.variables == {"c": 3, "d": 4}
    entries = [(e.type, e.user_id, e.details) for e in view.history if "VARIABLES" in e.type]
    assert entries[-2:] == [
        ("VARIABLES_UPDATED", "ops", {"names": ["a", "d"]}),
        ("VARIABLES_DELETED", "ops", {"names": ["a", "b"]}),
    ]
    await handle.execute_update(c.SET_VARIABLES, c.SetVariables(variables={}, deletions=["zz"]))
    await handle.execute_update(c.SET_VARIABLES, {"variables": {"e": 5}})  # no deletions key
    after = await state(handle)
    assert after.variables == {"c": 3, "d": 4, "e": 5}
    kinds = [e.type for e in after.history if "VARIABLES" in e.type]
    assert kinds[-3:] == ["VARIABLES_UPDATED", "VARIABLES_DELETED", "VARIABLES_UPDATED"]

    # the history with deletions replays (in the strict sandbox, as tests/test_replay.py)
    await complete(handle, "book")
    assert (await handle.result()).variables == {"c": 3, "d": 4, "e": 5}
    replayer = Replayer(
        workflows=[BpmnProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
    )
    replayed = await replayer.replay_workflow(await handle.fetch_history())
    assert replayed.replay_failure is None


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_process_instance_variables_typed_set_delete_and_errors(stack: Stack) -> None:
    http = stack.http
    assert (await modeler_deploy(http, *BOOKING, deployment="booking")).status_code == 200
    instance_id = await _started(http, TYPED)
    url = f"{INSTANCE}/{instance_id}/variables"

    # typed in, typed out
    values = (await http.get(url)).json()
    assert values["amount"] == {"type": "Integer", "value": 1200, "valueInfo": {}}
    assert values["big"] == {"type": "Long", "value": 2**40, "valueInfo": {}}
    assert values["rate"] == {"type": "Double", "value": 0.25, "valueInfo": {}}
    assert values["vip"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert values["customer"] == {"type": "String", "value": "Ada", "valueInfo": {}}
    assert values["address"]["type"] == "Json"
    assert values["nothing"] == {"type": "Null", "value": None, "valueInfo": {}}

    # one deleted: gone from every read, recorded in the case history
    deleted = await http.delete(f"{url}/amount")
    assert deleted.status_code == 204, deleted.text
    assert "amount" not in (await http.get(url)).json()
    gone = camunda_error(await http.get(f"{url}/amount"), 404, "InvalidRequestException")
    assert gone["message"] == "process instance variable with name amount does not exist"
    view = await state(stack.client.get_workflow_handle(instance_id))
    assert "amount" not in view.variables and view.variables["customer"] == "Ada"
    (entry,) = await _history(http, instance_id, "VARIABLES_DELETED")
    assert entry["details"]["names"] == ["amount"] and entry["userId"] == "demo"

    # deleting what the instance does not hold is no error (Camunda's answer)
    assert (await http.delete(f"{url}/amount")).status_code == 204
    assert len(await _history(http, instance_id, "VARIABLES_DELETED")) == 1

    # modifications and deletions together: set first, then removed
    patched = await http.post(
        url,
        json={
            "modifications": {
                "level": {"value": "7", "type": "Short"},
                "vip": {"value": False, "type": "Boolean"},
            },
            "deletions": ["vip", "rate", "never-there"],
            "unknownField": 1,
        },
    )
    assert patched.status_code == 204, patched.text
    now = (await http.get(url)).json()
    assert now["level"] == {"type": "Integer", "value": 7, "valueInfo": {}}
    assert "vip" not in now and "rate" not in now
    (instance_row,) = (
        await http.get(
            "/engine-rest/variable-instance",
            params={"processInstanceIdIn": instance_id, "variableName": "level"},
        )
    ).json()
    assert instance_row["value"] == 7
    assert (
        await http.get(
            "/engine-rest/variable-instance",
            params={"processInstanceIdIn": instance_id, "variableName": "vip"},
        )
    ).json() == []

    # 400 naming the field or the variable
    bad_list = camunda_error(
        await http.post(url, json={"deletions": "vip"}), 400, "InvalidRequestException"
    )
    assert "deletions" in bad_list["message"]
    bad_value = camunda_error(
        await http.post(url, json={"modifications": {"n": {"value": "x", "type": "Integer"}}}),
        400,
        "InvalidRequestException",
    )
    assert "'n'" in bad_value["message"] and bad_value["variable"] == "n"
    assert "Cannot modify variables for process instance" in bad_value["message"]

    # 404 for an unknown instance, in Camunda's words
    for answer in (
        await http.delete(f"{INSTANCE}/nope/variables/x"),
        await http.post(f"{INSTANCE}/nope/variables", json={"deletions": ["x"]}),
    ):
        missing = camunda_error(answer, 404, "InvalidRequestException")
        assert missing["message"] == "Process instance with id nope does not exist"

    # an ended instance refuses (409), and keeps its variables
    assert (await http.delete(f"{INSTANCE}/{instance_id}")).status_code == 204
    camunda_error(await http.delete(f"{url}/customer"), 409, "ProcessEngineException")
    assert "customer" in (await state(stack.client.get_workflow_handle(instance_id))).variables


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_task_variables_are_the_instances(stack: Stack) -> None:
    http = stack.http
    assert (await modeler_deploy(http, *BOOKING, deployment="booking")).status_code == 200
    instance_id = await _started(http, {"customer": {"value": "Ada", "type": "String"}})
    task_id = await _task_of(http, instance_id)
    url = f"/engine-rest/task/{task_id}/variables"

    # a candidate of the task writes through it; the instance holds the value
    put = await http.put(f"{url}/total", json={"value": 3, "type": "Long"}, headers=JOHN)
    assert put.status_code == 204, put.text
    assert (await http.get(f"{url}/total")).json() == {
        "type": "Integer",
        "value": 3,
        "valueInfo": {},
    }
    assert (await http.get(f"{INSTANCE}/{instance_id}/variables/total")).json()["value"] == 3
    patched = await http.post(
        url,
        json={
            "modifications": {"note": {"value": "ok", "type": "String"}},
            "deletions": ["customer"],
        },
        headers=JOHN,
    )
    assert patched.status_code == 204, patched.text
    seen = (await http.get(url)).json()
    assert set(seen) == {"total", "note"}
    deleted = await http.delete(f"{url}/total", headers=JOHN)
    assert deleted.status_code == 204, deleted.text
    assert set((await state(stack.client.get_workflow_handle(instance_id))).variables) == {"note"}
    camunda_error(await http.get(f"{url}/total"), 404, "InvalidRequestException")
    removed = await _history(http, instance_id, "VARIABLES_DELETED")
    assert [(e["userId"], e["details"]["names"]) for e in removed] == [
        ("john", ["customer"]),
        ("john", ["total"]),
    ]

    # the writer check of issue 18: mary takes no part in the instance
    refused = camunda_error(
        await http.delete(f"{url}/note", headers=MARY), 403, "AuthorizationException"
    )
    assert "mary" in refused["message"]
    camunda_error(
        await http.post(url, json={"deletions": ["note"]}, headers=MARY),
        403,
        "AuthorizationException",
    )
    bad = camunda_error(
        await http.put(f"{url}/n", json={"value": "many", "type": "Integer"}),
        400,
        "InvalidRequestException",
    )
    assert bad["message"].startswith("Cannot put task variable n:")

    # no task-local scope: no local variables
    local = await http.get(f"/engine-rest/task/{task_id}/localVariables")
    assert local.status_code == 200 and local.json() == {}
    no_local = camunda_error(
        await http.get(f"/engine-rest/task/{task_id}/localVariables/note"),
        404,
        "InvalidRequestException",
    )
    assert no_local["message"] == "task variable with name note does not exist"

    # unknown tasks
    for answer in (
        await http.put("/engine-rest/task/nope/variables/x", json={"value": 1}),
        await http.delete("/engine-rest/task/nope/variables/x"),
        await http.post("/engine-rest/task/nope/variables", json={"deletions": ["x"]}),
    ):
        unknown = camunda_error(answer, 404, "NullValueException")
        assert unknown["message"] == "Cannot find task with id nope: task is null"
    camunda_error(
        await http.get("/engine-rest/task/nope/localVariables"), 404, "InvalidRequestException"
    )

    # a completed task takes no more writes
    done = await http.post(f"/engine-rest/task/{task_id}/complete", json={}, headers=JOHN)
    assert done.status_code == 204, done.text

    async def closed() -> bool | None:
        row = (await http.get(f"/engine-rest/history/task?taskId={task_id}")).json()
        return True if row and row[0].get("endTime") else None

    await eventually(closed, what="the completed task")
    camunda_error(await http.delete(f"{url}/note"), 404, "NullValueException")


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_variable_instance_query_count_and_one(stack: Stack) -> None:
    http = stack.http
    assert (await modeler_deploy(http, *BOOKING, deployment="booking")).status_code == 200
    first = await _started(
        http,
        {
            "amount": {"value": 5, "type": "Integer"},
            "customer": {"value": "Ada", "type": "String"},
            "vip": {"value": True, "type": "Boolean"},
        },
    )
    second = await _started(
        http,
        {
            "amount": {"value": 150, "type": "Integer"},
            "customer": {"value": "Bob", "type": "String"},
        },
    )
    both = f"{first},{second}"
    listed = (
        await http.get("/engine-rest/variable-instance", params={"processInstanceIdIn": both})
    ).json()
    assert [(v["processInstanceId"], v["name"]) for v in listed] == [
        (first, "amount"),
        (first, "customer"),
        (first, "vip"),
        (second, "amount"),
        (second, "customer"),
    ]
    one = listed[0]
    assert one["id"] == f"{first}:amount"
    assert (one["type"], one["value"], one["valueInfo"]) == ("Integer", 5, {})
    assert one["processDefinitionId"].startswith("camunda-booking:1:")
    assert one["executionId"] == one["activityInstanceId"] == first
    for key in ("caseExecutionId", "caseInstanceId", "taskId", "batchId", "tenantId"):
        assert one[key] is None
    assert one["errorMessage"] is None

    # filters, sorting and paging (the query string's values are read as the variable's type)
    amounts = await http.get(
        "/engine-rest/variable-instance",
        params={
            "processInstanceIdIn": both,
            "variableValues": "amount_gteq_5,amount_lteq_200",
            "sortBy": "variableName",
            "sortOrder": "desc",
        },
    )
    assert [v["value"] for v in amounts.json()] == [5, 150]
    like = await http.get(
        "/engine-rest/variable-instance",
        params={
            "executionIdIn": both,
            "variableNameLike": "cust%",
            "variableValues": "customer_like_B%",
        },
    )
    assert [v["value"] for v in like.json()] == ["Bob"]
    paged = await http.get(
        "/engine-rest/variable-instance",
        params={"processInstanceIdIn": both, "firstResult": 1, "maxResults": 2},
    )
    assert [v["id"] for v in paged.json()] == [f"{first}:customer", f"{first}:vip"]
    counted = await http.get(
        "/engine-rest/variable-instance/count",
        params={"processInstanceIdIn": both, "variableName": "amount"},
    )
    assert counted.json() == {"count": 2}
    by_body = await http.post(
        "/engine-rest/variable-instance?maxResults=10",
        json={
            "processInstanceIdIn": [first, second, "unknown"],
            "variableValues": [{"name": "amount", "operator": "gt", "value": 10}],
            "sorting": [{"sortBy": "variableType", "sortOrder": "asc"}],
        },
    )
    assert [v["id"] for v in by_body.json()] == [f"{second}:amount"]
    count_body = await http.post(
        "/engine-rest/variable-instance/count",
        json={
            "processInstanceIdIn": [first],
            "variableValues": [{"name": "vip", "operator": "eq", "value": True}],
        },
    )
    assert count_body.json() == {"count": 1}
    no_task_locals = await http.post(
        "/engine-rest/variable-instance/count",
        json={"taskIdIn": ["t"], "processInstanceIdIn": [first]},
    )
    assert no_task_locals.json() == {"count": 0}

    # one by id
    got = await http.get(f"/engine-rest/variable-instance/{second}:customer")
    assert got.status_code == 200, got.text
    assert got.json() == {**got.json(), "name": "customer", "type": "String", "value": "Bob"}
    missing = camunda_error(
        await http.get(f"/engine-rest/variable-instance/{second}:nope"),
        404,
        "InvalidRequestException",
    )
    assert missing["message"] == f"Variable instance with Id '{second}:nope' does not exist."
    camunda_error(
        await http.get("/engine-rest/variable-instance/plain"), 404, "InvalidRequestException"
    )

    # a deleted variable is gone from the query, the count and the id
    assert (await http.delete(f"{INSTANCE}/{second}/variables/customer")).status_code == 204
    camunda_error(
        await http.get(f"/engine-rest/variable-instance/{second}:customer"),
        404,
        "InvalidRequestException",
    )
    after = await http.get(
        "/engine-rest/variable-instance/count", params={"processInstanceIdIn": second}
    )
    assert after.json() == {"count": 1}

    # runtime only: an ended instance has no variable instances (history keeps them)
    assert (await http.delete(f"{INSTANCE}/{first}")).status_code == 204
    ended = await http.get("/engine-rest/variable-instance", params={"processInstanceIdIn": first})
    assert ended.json() == []
    camunda_error(
        await http.get(f"/engine-rest/variable-instance/{first}:amount"),
        404,
        "InvalidRequestException",
    )

    # 400s name what is wrong
    needs = camunda_error(
        await http.get("/engine-rest/variable-instance"), 400, "InvalidRequestException"
    )
    assert "processInstanceIdIn" in needs["message"]
    camunda_error(
        await http.post("/engine-rest/variable-instance/count", json={}),
        400,
        "InvalidRequestException",
    )
    shape = camunda_error(
        await http.get(
            "/engine-rest/variable-instance",
            params={"processInstanceIdIn": second, "variableValues": "amount_5"},
        ),
        400,
        "InvalidRequestException",
    )
    assert "variableValues" in shape["message"]
    operator = camunda_error(
        await http.get(
            "/engine-rest/variable-instance",
            params={"processInstanceIdIn": second, "variableValues": "amount_about_5"},
        ),
        400,
        "InvalidRequestException",
    )
    assert "Invalid variable comparator specified: about" in operator["message"]
    bad_body = camunda_error(
        await http.post(
            "/engine-rest/variable-instance",
            json={
                "processInstanceIdIn": [second],
                "variableValues": [{"name": "a", "operator": "x"}],
            },
        ),
        400,
        "InvalidRequestException",
    )
    assert "operator" in bad_body["message"]
    camunda_error(
        await http.get(
            "/engine-rest/variable-instance",
            params={"processInstanceIdIn": second, "sortBy": "variableName"},
        ),
        400,
        "InvalidRequestException",
    )
