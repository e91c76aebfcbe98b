"""The application data model (/v1/data-models): structures registered and versioned per
application, checked with errors naming the path; instance data (the business data of
process instances) read by path; the built-in activities baton.data.read and
baton.data.write; and the seed's scenario "CRM reads the structure and data from the
model" on the real interpreter."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from baton_client.contracts.bpmn import ServiceTaskInput
from temporalio.exceptions import ApplicationError

from activities import build_activities
from activities.data_model import DataModelActivities
from api.main import create_app
from baton.worker import build_worker
from core.settings import Settings
from store import Store, business_data
from store import data_models as dm
from tests.conftest import Stack
from tests.support.activities import TEST_ACTIVITIES
from tests.support.bpmn import diagram, flows
from tests.support.http import deploy, problem

JOHN = {"Authorization": "Bearer demo-john"}  # a plain user: reads, does not register

CRM = {
    "name": "CRM application",
    "description": "A client's loan application",
    "fields": [
        {
            "name": "client",
            "type": "object",
            "required": True,
            "fields": [
                {"name": "name", "type": "string", "required": True},
                {"name": "surname", "type": "string", "required": True},
                {"name": "birthDate", "type": "date"},
                {
                    "name": "addresses",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "fields": [
                            {"name": "city", "type": "string", "required": True},
                            {"name": "zip", "type": "string"},
                        ],
                    },
                },
            ],
        },
        {
            "name": "application",
            "type": "object",
            "fields": [
                {"name": "amount", "type": "number", "description": "PLN"},
                {"name": "months", "type": "integer"},
                {"name": "approved", "type": "boolean"},
                {"name": "submittedAt", "type": "datetime"},
            ],
        },
    ],
}

CLIENT = {
    "client": {
        "name": "Jan",
        "surname": "Kowalski",
        "addresses": [{"city": "Kraków", "zip": "30-001"}],
    }
}


@pytest_asyncio.fixture
async def http(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The API (dev mode: no credentials acts as the demo admin) over the test store;
    data models need no Temporal."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="dev",
        database_url=str(store.engine.url),
    )
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield client


async def register(http: httpx.AsyncClient, app: str = "crm", **body: Any) -> httpx.Response:
    return await http.put(f"/v1/data-models/{app}", json={"root": CRM, **body})


# --- structure -----------------------------------------------------------------------------


async def test_models_are_versioned_per_application_and_the_latest_is_served(
    http: httpx.AsyncClient,
) -> None:
    first = await register(http, application="crm")
    assert first.status_code == 201, first.text
    v1 = first.json()
    assert (v1["application"], v1["version"], v1["new"], v1["createdBy"]) == (
        "crm",
        1,
        True,
        "demo",
    )
    assert first.headers["location"] == "/v1/data-models/crm"
    surname = v1["root"]["fields"][0]["fields"][1]
    assert surname == {"name": "surname", "type": "string", "required": True}

    again = await register(http)  # the same structure: nothing new
    assert again.status_code == 200, again.text
    assert (again.json()["version"], again.json()["new"]) == (1, False)
    assert again.json()["sha256"] == v1["sha256"]

    extended = {**CRM, "fields": [*CRM["fields"], {"name": "notes", "type": "string"}]}
    second = await http.put("/v1/data-models/crm", json={"version": 2, "root": extended})
    assert second.status_code == 201, second.text
    assert (second.json()["version"], second.json()["new"]) == (2, True)

    latest = (await http.get("/v1/data-models/crm")).json()
    assert latest["version"] == 2 and latest["root"]["fields"][-1]["name"] == "notes"
    older = (await http.get("/v1/data-models/crm", params={"version": 1})).json()
    assert older["sha256"] == v1["sha256"] and len(older["root"]["fields"]) == 2
    problem(await http.get("/v1/data-models/crm", params={"version": 3}), 404)
    problem(await http.get("/v1/data-models/erp"), 404)

    assert (await register(http, "erp")).status_code == 201
    listed = (await http.get("/v1/data-models")).json()
    assert [(m["application"], m["version"], m["name"]) for m in listed["items"]] == [
        ("crm", 2, "CRM application"),
        ("erp", 1, "CRM application"),
    ]
    assert (listed["page"], listed["size"], listed["total"]) == (0, 50, 2)
    paged = (await http.get("/v1/data-models", params={"page": 1, "size": 1})).json()
    assert [m["application"] for m in paged["items"]] == ["erp"] and paged["total"] == 2
    problem(await http.get("/v1/data-models", params={"size": 0}), 422)


async def test_a_registration_must_be_the_next_version(http: httpx.AsyncClient) -> None:
    assert (await register(http)).status_code == 201
    changed = {**CRM, "name": "CRM v2"}
    stale = problem(
        await http.put("/v1/data-models/crm", json={"version": 1, "root": changed}), 409
    )
    assert stale["field"] == "version" and stale["latest"] == 1
    assert "next version of 'crm' is 2" in stale["detail"]
    ahead = await http.put("/v1/data-models/crm", json={"version": 3, "root": changed})
    problem(ahead, 409)
    assert (await http.get("/v1/data-models/crm")).json()["version"] == 1


@pytest.mark.parametrize(
    ("fields", "where", "what"),
    [
        (
            [{"name": "client", "type": "object", "fields": [{"name": "s", "type": "strng"}]}],
            "client.s",
            "unknown type 'strng'",
        ),
        (
            [{"name": "a", "type": "string"}, {"name": "a", "type": "number"}],
            "a",
            "duplicate field name 'a'",
        ),
        ([{"name": "client.name", "type": "string"}], "#0", "invalid name 'client.name'"),
        ([{"name": "client", "type": "object"}], "client", "an object needs fields"),
        ([{"name": "tags", "type": "array"}], "tags", "an array needs items"),
        (
            [{"name": "tags", "type": "array", "items": {"type": "list"}}],
            "tags[]",
            "unknown type 'list'",
        ),
        (
            [{"name": "n", "type": "integer", "fields": [{"name": "x", "type": "string"}]}],
            "n",
            "type integer has neither fields nor items",
        ),
        ([], "(root)", "a model needs fields"),
    ],
)
async def test_invalid_structures_are_refused_naming_the_path(
    http: httpx.AsyncClient, fields: list[dict[str, Any]], where: str, what: str
) -> None:
    body = problem(
        await http.put("/v1/data-models/crm", json={"root": {"name": "m", "fields": fields}}), 422
    )
    assert {"field": where, "message": body["errors"][0]["message"]} == body["errors"][0]
    assert what in body["errors"][0]["message"], body
    assert body["detail"].startswith(f"{where}: ")
    problem(await http.get("/v1/data-models/crm"), 404)  # nothing was stored


async def test_malformed_bodies_and_names_are_refused(http: httpx.AsyncClient) -> None:
    other = problem(await register(http, application="erp"), 422)
    assert other["field"] == "application"
    problem(await http.put("/v1/data-models/crm", json={"version": 1}), 422)  # no root
    extra = problem(
        await http.put(
            "/v1/data-models/crm",
            json={"root": {"name": "m", "fields": [{"name": "a", "type": "string", "x": 1}]}},
        ),
        422,
    )
    assert extra["errors"][0]["field"] == "root.fields.0.x"
    problem(await http.put("/v1/data-models/-crm", json={"root": CRM}), 422)
    problem(await http.get("/v1/data-models/crm", params={"version": 0}), 422)


async def test_a_plain_user_reads_models_and_data_but_does_not_register(
    http: httpx.AsyncClient, store: Store
) -> None:
    refused = problem(await http.put("/v1/data-models/crm", json={"root": CRM}, headers=JOHN), 403)
    assert refused["privilege"] == "datamodel:write"
    assert (await register(http)).status_code == 201
    await business_data.put(store, "inst-1", CLIENT, by="test")
    assert (await http.get("/v1/data-models", headers=JOHN)).json()["total"] == 1
    assert (await http.get("/v1/data-models/crm", headers=JOHN)).json()["version"] == 1
    read = await http.get(
        "/v1/data-models/crm/instances/inst-1/data",
        params={"path": "client.name"},
        headers=JOHN,
    )
    assert read.json() == {
        "application": "crm",
        "modelVersion": 1,
        "instanceId": "inst-1",
        "path": "client.name",
        "value": "Jan",
        "type": "string",
    }
    nobody = {"Authorization": "Bearer demo-nobody"}
    problem(await http.get("/v1/data-models", headers=nobody), 401)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_platform_route_demands_the_privilege_it_documents(store: Store) -> None:
    """The route walk of tests/test_route_walk.py over these routes: outside dev mode no
    credentials is 401; a caller without privileges gets 403 naming the documented one."""
    base = Settings(_env_file=None, database_url=str(store.engine.url))  # type: ignore[call-arg]
    for settings, headers, status in (
        (base, {}, 401),
        (
            base.model_copy(update={"env": "dev", "role_privileges": {"admin": ["*"]}}),
            JOHN,
            403,
        ),
    ):
        app = create_app(settings, store=store)
        transport = httpx.ASGITransport(app=app)
        walked = 0
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
            for template, operations in app.openapi()["paths"].items():
                if not template.startswith(("/v1/data-models", "/v1/configuration")):
                    continue
                path = re.sub(r"\{[^}]+\}", "x-1", template)
                for method, operation in operations.items():
                    answer = await client.request(method.upper(), path, json={}, headers=headers)
                    body = problem(answer, status)
                    if status == 403:
                        assert body["privilege"] == operation["x-baton-privilege"], template
                    walked += 1
        assert walked == 14


# --- instance data -------------------------------------------------------------------------


async def test_instance_data_by_path(http: httpx.AsyncClient, store: Store) -> None:
    assert (await register(http)).status_code == 201
    await business_data.put(store, "inst-1", CLIENT, by="test")
    url = "/v1/data-models/crm/instances/inst-1/data"

    async def at(path: str | None) -> dict[str, Any]:
        answer = await http.get(url, params={"path": path} if path is not None else {})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    surname = await at("client.surname")
    assert (surname["path"], surname["value"], surname["type"]) == (
        "client.surname",
        "Kowalski",
        "string",
    )
    assert (await at("client.addresses.0.city"))["value"] == "Kraków"
    addresses = await at("client.addresses")
    assert (addresses["type"], addresses["value"]) == ("array", CLIENT["client"]["addresses"])
    assert (await at("client"))["type"] == "object"
    whole = await at(None)
    assert (whole["path"], whole["value"], whole["type"]) == (None, CLIENT, "object")
    assert (await at(""))["value"] == CLIENT

    # in the model but not in the data: 404; not in the model (or malformed): 422
    missing = problem(await http.get(url, params={"path": "client.birthDate"}), 404)
    assert missing["field"] == "path"
    problem(await http.get(url, params={"path": "client.addresses.3.city"}), 404)
    problem(await http.get(url, params={"path": "application.amount"}), 404)
    unknown = problem(await http.get(url, params={"path": "client.surnam"}), 422)
    assert unknown["field"] == "path"
    assert "client.surnam: not in the model (client has addresses, birthDate" in unknown["detail"]
    problem(await http.get(url, params={"path": "client.name.first"}), 422)
    problem(await http.get(url, params={"path": "client.addresses.city"}), 422)
    problem(await http.get(url, params={"path": "client..name"}), 422)
    problem(await http.get(url, params={"path": "client name"}), 422)

    none = problem(await http.get("/v1/data-models/crm/instances/inst-2/data"), 404)
    assert "has no data" in none["detail"]
    problem(await http.get("/v1/data-models/erp/instances/inst-1/data"), 404)


# --- the helper: data against a model --------------------------------------------------------


def _model() -> dm.RootSpec:
    return dm.RootSpec.model_validate(CRM)


def test_validate_names_every_problem_by_path() -> None:
    assert dm.validate(_model(), CLIENT) == []
    good = {
        "client": {"name": "A", "surname": "B", "birthDate": "1990-02-28"},
        "application": {
            "amount": 1500.5,
            "months": 24.0,
            "approved": False,
            "submittedAt": "2026-01-05T10:00:00Z",
        },
    }
    assert dm.validate(_model(), good) == []
    bad = {
        "client": {
            "name": 7,
            "birthDate": "1990-02-30",
            "addresses": [{"zip": 30001}, "x"],
            "nickname": "Johnny",
        },
        "application": {
            "amount": True,
            "months": 2.5,
            "approved": "yes",
            "submittedAt": "2026-01-05",
        },
    }
    problems = {p.field: p.message for p in dm.validate(_model(), bad)}
    assert problems == {
        "client.name": "expected a string, got integer 7",
        "client.surname": "required, but missing",
        "client.birthDate": "'1990-02-30' is not a valid date",
        "client.addresses.0.city": "required, but missing",
        "client.addresses.0.zip": "expected a string, got integer 30001",
        "client.addresses.1": 'expected an object, got string "x"',
        "client.nickname": "not in the model",
        "application.amount": "expected a number, got boolean true",
        "application.months": "expected an integer, got number 2.5",
        "application.approved": 'expected a boolean, got string "yes"',
        "application.submittedAt": (
            'expected a date-time (ISO 8601, e.g. 2024-05-01T12:00:00Z), got string "2026-01-05"'
        ),
    }
    assert [str(p) for p in dm.validate(_model(), [1])] == [
        "(root): expected an object, got an array"
    ]
    assert dm.validate(_model(), {})[0].as_dict() == {
        "field": "client",
        "message": "required, but missing",
    }
    # a value checked at its path: required fields of the objects in it, not of its parents
    assert dm.validate(_model(), "Nowak", path=("client", "surname")) == []
    assert dm.validate(_model(), {"name": "A"}, path=("client",))[0].field == "client.surname"
    assert dm.validate(_model(), 1, path=("client", "nope"))[0].field == "client.nope"


def test_merging_at_a_path() -> None:
    data = {"client": {"name": "Jan", "tags": ["a"]}, "other": 1}
    merged = dm.merged_at(data, ("client",), {"surname": "K", "tags": ["b"], "name": None})
    assert merged == {"client": {"surname": "K", "tags": ["b"]}, "other": 1}
    assert data["client"] == {"name": "Jan", "tags": ["a"]}  # the input is not changed
    assert dm.merged_at(None, ("a", "b"), 1) == {"a": {"b": 1}}
    assert dm.merged_at({"a": 1, "b": 2}, ("a",), None) == {"b": 2}
    assert dm.merged_at({"l": [{"x": 1}]}, ("l", "0", "y"), 2) == {"l": [{"x": 1, "y": 2}]}
    with pytest.raises(dm.PathError, match="l has no element 1"):
        dm.merged_at({"l": [{"x": 1}]}, ("l", "1", "y"), 2)
    with pytest.raises(dm.PathError, match="a holds an integer, not an object"):
        dm.merged_at({"a": 1}, ("a", "b"), 2)
    with pytest.raises(dm.PathError, match="must be an object"):
        dm.merged_at({}, (), [1])


# --- the built-in activities -----------------------------------------------------------------


def task(instance_id: str, headers: dict[str, str], **variables: Any) -> ServiceTaskInput:
    return ServiceTaskInput(
        process_instance_id=instance_id,
        element_id="data_step",
        business_key=None,
        variables=variables,
        headers=headers,
    )


async def refused(call: Any, kind: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await call
    assert caught.value.type == kind and caught.value.non_retryable, caught.value
    return caught.value


async def test_the_activities_read_and_write_business_data_by_path(
    http: httpx.AsyncClient, store: Store
) -> None:
    assert (await register(http)).status_code == 201
    await business_data.put(store, "i-1", CLIENT, by="test")
    acts = DataModelActivities(store)

    read = await acts.read(
        task("i-1", {"path": "client.surname", "resultVariable": "surname", "application": "crm"})
    )
    assert read.variables == {"surname": "Kowalski"}
    assert (await acts.read(task("i-1", {"resultVariable": "all"}))).variables == {"all": CLIENT}
    nothing = await acts.read(task("i-1", {"path": "client.birthDate", "resultVariable": "b"}))
    assert nothing.variables == {"b": None}
    assert (await acts.read(task("i-9", {"path": "x", "resultVariable": "x"}))).variables == {
        "x": None
    }

    # a process variable merged in at a path, checked against the model
    headers = {"path": "client", "variable": "client", "application": "crm"}
    await acts.write(task("i-1", headers, client={"surname": "Nowak", "birthDate": "1990-01-31"}))
    data = await business_data.get(store, "i-1")
    assert data is not None and data["client"] == {
        "name": "Jan",
        "surname": "Nowak",
        "birthDate": "1990-01-31",
        "addresses": [{"city": "Kraków", "zip": "30-001"}],
    }
    # literals: JSON when they parse, text where the model wants a string
    await acts.write(
        task("i-1", {"path": "application.months", "value": "24", "application": "crm"})
    )
    await acts.write(task("i-1", {"path": "client.name", "value": "123", "application": "crm"}))
    await acts.write(task("i-1", {"path": "application.approved", "value": "true"}))
    await acts.write(task("i-1", {"path": "notes", "value": "free text"}))  # no model: any data
    data = await business_data.get(store, "i-1")
    assert data is not None
    assert data["application"] == {"months": 24, "approved": True}
    assert (data["client"]["name"], data["notes"]) == ("123", "free text")
    # a new instance's data starts with the write; null removes a field
    await acts.write(task("i-2", {"path": "application.amount", "value": "1000.5"}))
    await acts.write(task("i-2", {"path": "application", "variable": "v"}, v={"months": 12}))
    await acts.write(task("i-2", {"path": "application.amount", "variable": "v"}, v=None))
    assert await business_data.get(store, "i-2") == {"application": {"months": 12}}


async def test_the_activities_refuse_what_a_retry_cannot_fix(
    http: httpx.AsyncClient, store: Store
) -> None:
    assert (await register(http)).status_code == 201
    await business_data.put(store, "i-1", CLIENT, by="test")
    acts = DataModelActivities(store)
    crm = {"application": "crm"}

    wrong = await refused(
        acts.write(task("i-1", {"path": "application.amount", "value": "lots", **crm})),
        "DataModelViolation",
    )
    assert "application.amount: expected a number" in wrong.message
    assert wrong.details[0] == [
        {"field": "application.amount", "message": 'expected a number, got string "lots"'}
    ]
    # an object written whole must be complete
    incomplete = await refused(
        acts.write(task("i-1", {"path": "client.addresses", "variable": "a", **crm}, a=[{}])),
        "DataModelViolation",
    )
    assert "client.addresses.0.city: required" in incomplete.message
    await refused(
        acts.write(task("i-1", {"path": "client.nickname", "value": "x", **crm})),
        "DataModelViolation",
    )
    await refused(
        acts.read(task("i-1", {"path": "client.nickname", "resultVariable": "n", **crm})),
        "DataModelViolation",
    )
    await refused(acts.write(task("i-1", {"path": "a..b", "value": "1"})), "DataModelViolation")
    await refused(
        acts.write(task("i-1", {"path": "client.name.x", "value": "1"})), "DataModelViolation"
    )
    await refused(acts.write(task("i-1", {"path": "client.surname"})), "InvalidTaskHeaders")
    await refused(
        acts.write(task("i-1", {"path": "x", "variable": "v", "value": "1"}, v=1)),
        "InvalidTaskHeaders",
    )
    await refused(acts.write(task("i-1", {"path": "x", "variable": "v"})), "InvalidTaskHeaders")
    await refused(acts.read(task("i-1", {"path": "client.name"})), "InvalidTaskHeaders")
    await refused(
        acts.write(task("i-1", {"path": "x", "value": "1", "application": "erp"})),
        "DataModelNotFound",
    )
    await refused(
        acts.write(task("i-3", {"path": "application.amount", "value": "lots", **crm})),
        "DataModelViolation",
    )
    assert await business_data.get(store, "i-1") == CLIENT  # nothing was written
    assert await business_data.get(store, "i-3") is None  # not even an empty row


# --- the seed scenario, on the interpreter ---------------------------------------------------

REVIEW = diagram(
    "crm-loan",
    '<bpmn:startEvent id="s"/><bpmn:userTask id="review" name="Review the application"/>'
    '<bpmn:endEvent id="e"/>' + flows("s>review", "review>e"),
)


def _header(key: str, value: str) -> str:
    return f'<zeebe:header key="{key}" value="{value}"/>'


def _service(element: str, kind: str, **headers: str) -> str:
    return (
        f'<bpmn:serviceTask id="{element}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{kind}"/><zeebe:taskHeaders>'
        + "".join(_header(k, v) for k, v in headers.items())
        + "</zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>"
    )


RECORDS = diagram(
    "crm-loan-intake",
    '<bpmn:startEvent id="s"/>'
    + _service(
        "record_amount", "baton.data.write", path="application.amount", variable="amount",
        application="crm",
    )
    + _service(
        "read_surname", "baton.data.read", path="client.surname", resultVariable="surname",
        application="crm",
    )
    + '<bpmn:userTask id="review" name="Review"/><bpmn:endEvent id="e"/>'
    + flows("s>record_amount", "record_amount>read_surname", "read_surname>review", "review>e"),
)  # fmt: skip


@pytest_asyncio.fixture
async def crm(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The stack's API with the data-model routes, and a worker that also serves the
    data-model activities (on a queue of its own, so no other worker takes them)."""
    queue = f"baton-data-{uuid.uuid4().hex[:8]}"
    acts = DataModelActivities(stack.store)
    served = {_activity_name(a) for a in build_activities(stack.store, stack.client)}
    extra = [a for a in (acts.read, acts.write) if _activity_name(a) not in served]
    worker = build_worker(stack.client, stack.store, queue, [*TEST_ACTIVITIES, *extra])
    settings = stack.settings.model_copy(update={"task_queue": queue})
    app = create_app(settings, client=stack.client, store=stack.store)
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://baton.test") as c:
        yield c


def _activity_name(fn: Callable[..., Any]) -> str | None:
    definition = getattr(fn, "__temporal_activity_definition", None)
    return getattr(definition, "name", None)


async def test_seed_crm_reads_the_structure_and_data_from_the_model(
    crm: httpx.AsyncClient,
) -> None:
    assert (await register(crm)).status_code == 201
    assert (await deploy(crm, REVIEW)).status_code == 201
    started = await crm.post(
        "/v1/bpms/process-instances",
        json={
            "processDefinitionKey": "crm-loan",
            "businessKey": "LOAN-1",
            "businessData": CLIENT,
            "waitForWaitState": True,
        },
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    assert [t["taskDefinitionKey"] for t in started.json()["openTasks"]] == ["review"]

    # the CRM, as a plain user: the structure, then the client's surname by path
    structure = (await crm.get("/v1/data-models/crm", headers=JOHN)).json()
    client = next(f for f in structure["root"]["fields"] if f["name"] == "client")
    assert {f["name"]: f["type"] for f in client["fields"]}["surname"] == "string"
    surname = await crm.get(
        f"/v1/data-models/crm/instances/{instance_id}/data",
        params={"path": "client.surname"},
        headers=JOHN,
    )
    assert surname.status_code == 200, surname.text
    assert {k: surname.json()[k] for k in ("path", "value", "type")} == {
        "path": "client.surname",
        "value": "Kowalski",
        "type": "string",
    }
    # the same data the instance shows as its businessData
    detail = (await crm.get(f"/v1/bpms/process-instances/{instance_id}")).json()
    whole = (await crm.get(f"/v1/data-models/crm/instances/{instance_id}/data")).json()
    assert whole["value"] == detail["businessData"] == CLIENT
    # ... and the current case status, by the same business key
    case = {"caseType": "LOAN", "clientId": "85010112345", "clientType": "PESEL",
            "status": "OPEN", "businessKey": "LOAN-1"}  # fmt: skip
    assert (await crm.post("/v1/case-statuses", json=case)).status_code == 201
    status = await crm.get("/v1/case-statuses", params={"businessKey": "LOAN-1"}, headers=JOHN)
    assert [c["status"] for c in status.json()["items"]] == ["OPEN"]


async def test_processes_write_and_read_the_model_data(crm: httpx.AsyncClient) -> None:
    assert (await register(crm)).status_code == 201
    assert (await deploy(crm, RECORDS)).status_code == 201

    async def start(amount: Any) -> dict[str, Any]:
        answer = await crm.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "crm-loan-intake",
                "processData": {"amount": amount},
                "businessData": CLIENT,
                "waitForWaitState": True,
            },
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    good = await start(12000)
    assert [t["taskDefinitionKey"] for t in good["openTasks"]] == ["review"]
    data_url = f"/v1/data-models/crm/instances/{good['id']}/data"
    amount = (await crm.get(data_url, params={"path": "application.amount"})).json()
    assert (amount["value"], amount["type"]) == (12000, "number")
    assert (await crm.get(data_url, params={"path": "client.surname"})).json()["value"] == (
        "Kowalski"
    )
    variables = (await crm.get(f"/v1/bpms/process-instances/{good['id']}/variables")).json()
    assert variables["processData"]["surname"] == "Kowalski"

    bad = await start("a lot")  # the model wants a number: an incident, at once
    [incident] = bad["incidents"]
    assert incident["activityId"] == "record_amount"
    assert "application.amount: expected a number" in incident["message"]
    problem(await crm.get(f"/v1/data-models/crm/instances/{bad['id']}/data",
                          params={"path": "application.amount"}), 404)  # fmt: skip
