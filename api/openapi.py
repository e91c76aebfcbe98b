"""The OpenAPI document: every error as RFC 9457 problem+json, every field described.

FastAPI documents errors as its own JSON validation shape, which Baton never sends; this
module rewrites every 4xx/5xx answer to the ``Problem`` schema and gives fields the models
leave undescribed (ids, names, times shared by many models) their meaning from one
glossary, so the descriptions cannot drift apart between models.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from api.auth import Privileged, basic_declared
from api.problems import PROBLEM_JSON
from api.routes.camunda import errors as camunda_errors

#: Where an operation's required privilege is written in the OpenAPI document.
PRIVILEGE_KEY = "x-baton-privilege"

#: Every credential Baton accepts (api/auth.py), so generated clients and Swagger UI's
#: "Authorize" know them. Each protected operation accepts either scheme.
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A Keycloak access token (JWT) of the configured realm with the API's "
        "audience; a LetsFlow API key (`lfl_…`, issued at `/apikey`); in dev mode "
        "(`BATON_ENV=dev`) `demo-<account>` (demo, john, mary), and no credentials at all "
        "act as the demo administrator.",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "What Camunda's clients and the Case Repository's send (accepted "
        "everywhere; the scheme `/api/case-repository` declares and challenges): "
        "any user with an API key as password; a realm user and password when "
        "`BATON_OIDC_BASIC_CLIENT_ID` is set (checked with Keycloak's direct grant); in dev "
        "mode a demo account with any password.",
    },
}
PROTECTED: list[dict[str, list[str]]] = [{"bearer": []}, {"basic": []}]
#: Where the reference API declares HTTP Basic (Eximee's Case Repository), Basic first.
BASIC_FIRST: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}]

#: Meaning of field names used across many models (a model's own description wins).
GLOSSARY: dict[str, str] = {
    "id": "Identifier of this object.",
    "name": "Display name from the diagram (or the deployment).",
    "key": "The BPMN process id; definitions are versioned per key.",
    "version": "Definition version, counted per process key from 1.",
    "sha256": "sha256 of the compiled IR's canonical JSON.",
    "processDefinitionKey": "The BPMN process id of the instance's definition.",
    "processInstanceId": "The instance (its Temporal workflow id).",
    "businessKey": "The caller's own key for the instance (e.g. a case number).",
    "state": "Lifecycle state.",
    "startTime": "When the instance started (UTC).",
    "endTime": "When the instance ended (UTC); null while it runs.",
    "activityId": "The BPMN element id.",
    "type": "The BPMN element type.",
    "message": "What went wrong, for a person.",
    "createdAt": "When it was created (UTC).",
    "created": "When it was created (UTC).",
    "due": "When it is due (UTC), if the diagram sets a due date.",
    "priority": "Priority (higher is more urgent; Camunda's default is 50).",
    "formKey": "The form the task shows, from the diagram.",
    "assignee": "The user who works on the task; null when unclaimed.",
    "candidateUsers": "Users who may claim the task.",
    "candidateGroups": "Groups whose members may claim the task.",
    "taskId": "The user task.",
    "items": "The entries of this page.",
    "page": "Page number, from 0.",
    "size": "Page size asked for.",
    "total": "Entries matching the filter across all pages.",
    "definitions": "The process definitions in the deployment.",
    "warnings": "Compiler findings that did not stop the deployment.",
    "severity": "error or warning.",
    "elementId": "The BPMN element the finding is about.",
    "tag": "The XML element's tag.",
    "file": "The uploaded file.",
    "line": "Line in the file.",
    "code": "Stable identifier of the kind of problem.",
    "timestamp": "When it happened (UTC).",
    "details": "Entry-specific facts (task id, names of changed variables, reason …).",
    "userId": "A user id.",
    "reason": "Why, for the case history.",
    "status": "The HTTP status.",
    "processData": "Process variables: what drives the engine.",
    "businessData": "Business data from the data-model store (the engine never reads it).",
    "temporalUrl": "The instance in the Temporal Web UI.",
    "currentActivities": "Elements that hold a token now.",
    "openTasks": "User tasks not completed or cancelled yet.",
    "incidents": "Incidents of the instance (open and resolved).",
    "workerId": "The HTTP worker.",
    "topicName": "The service task's type (Camunda topic, Zeebe job type).",
    "messageName": "The BPMN message name.",
    "signalName": "The BPMN signal name.",
    "correlated": "What took the message.",
    "errorCode": "The BPMN error code error boundary events and event sub-processes catch.",
    "errorMessage": "What failed, for a person (becomes the incident's message).",
    "errorDetails": "Longer failure details, e.g. a stack trace.",
    "lockExpirationTime": "When the lock ends and the task can be fetched again (UTC).",
    "maxTasks": "At most this many tasks are locked.",
    "topics": "The topics to fetch from, each with its lock duration.",
    # Camunda 7's names under /engine-rest
    "variables": "Variables; under /engine-rest Camunda's typed values {value, type, valueInfo}.",
    "localVariables": "Camunda's local variables (Baton has one scope: treated as variables).",
    "createTime": "When it was created (Camunda's date format).",
    "processDefinitionId": "The process definition (Camunda id).",
    "processDefinitionVersionTag": "camunda:versionTag (always null in Baton).",
    "activityInstanceId": "The activity instance (Baton: element id and its activity).",
    "executionId": "The execution (Baton has none: the instance id).",
    "retries": "Attempts left; 0 opens an incident.",
    "retryTimeout": "Milliseconds until the task may be fetched again.",
    "suspended": "Always false: Baton does not suspend.",
    "tenantId": "Always null: Baton has no tenants.",
    "extensionProperties": "camunda:properties of the element (when asked for).",
    "sortBy": "What to sort by.",
    "sortOrder": "asc or desc.",
    "sorting": "Sort criteria, in order.",
    "count": "How many match.",
    "newDuration": "The new lock duration, in ms from now.",
    "usePriority": "Fetch higher priorities first (every Baton task has priority 0).",
    "processDefinitionKeyIn": "Only tasks of these process definition keys.",
    "deserializeValues": "Accepted and ignored: Baton sends JSON values as they are.",
    "includeExtensionProperties": "Also answer the element's camunda:properties.",
    "taskIdIn": "Only these tasks.",
    "processInstanceIdIn": "Only tasks of these process instances.",
    "processInstanceBusinessKey": "Only tasks of instances with this business key.",
    "taskDefinitionKey": "Only tasks of this BPMN element.",
    "nameLike": "Name contains this (% wildcards).",
    "owner": "Who delegated the task.",
    "candidateUser": "Tasks this user may claim.",
    "candidateGroup": "Tasks members of this group may claim.",
    "includeAssignedTasks": "With candidateUser/Group: assigned tasks too.",
    "involvedUser": "Tasks this user is assignee, owner or candidate of.",
    "unassigned": "Only tasks without an assignee.",
    "assigned": "Only tasks with an assignee.",
    "delegationState": "PENDING or RESOLVED.",
    "dueBefore": "Due before this time.",
    "dueAfter": "Due after this time.",
    "createdBefore": "Created before this time.",
    "createdAfter": "Created after this time.",
    "active": "Only active (not suspended) tasks.",
}

_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; extra members name what was wrong.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the problem type."},
        "title": {"type": "string", "description": "Short summary of the problem type."},
        "status": {"type": "integer", "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What went wrong here, for a person."},
        "instance": {"type": "string", "description": "The request path."},
        "field": {"type": "string", "description": "The request field that was wrong."},
        "code": {"type": "string", "description": "Machine-readable rejection reason."},
        "errors": {
            "type": "array",
            "description": "Every invalid field (422), or compiler diagnostics (400).",
            "items": {"type": "object"},
        },
    },
}


def _describe(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if "description" not in prop and name in GLOSSARY:
                prop["description"] = GLOSSARY[name]


_CAMUNDA_ERROR = {
    "type": "object",
    "description": "Camunda 7's error body (under /engine-rest); extra members name the fault.",
    "required": ["type", "message"],
    "properties": {
        "type": {"type": "string", "description": "Camunda's exception name, e.g. RestException."},
        "message": {"type": "string", "description": "What went wrong here, for a person."},
        "code": {
            "type": "integer",
            "description": "Camunda's error code (0: a generic engine error).",
        },
    },
}


def _problems(paths: dict[str, Any]) -> None:
    ref = {"$ref": "#/components/schemas/Problem"}
    camunda_ref = {"$ref": "#/components/schemas/CamundaError"}
    for path, operations in paths.items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if camunda_errors.applies(path):
                # Camunda answers a body it cannot read with 400, never 422
                invalid = responses.pop("422", None)
                if invalid is not None:
                    responses.setdefault("400", {"description": "Invalid request"})
                responses.setdefault("401", {"description": "Not authenticated"})
                for status, response in responses.items():
                    if status[0] in "45":
                        response["content"] = {"application/json": {"schema": camunda_ref}}
                continue
            if path.startswith("/v1/"):
                responses.setdefault("401", {"description": "Not authenticated"})
                responses.setdefault("503", {"description": "Temporal or the database is down"})
                responses.setdefault(
                    "429",
                    {"description": "Over this caller's rate limit; see Retry-After"},
                )
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}


def _privileges_of(dependant: Dependant) -> list[str]:
    found: list[str] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Privileged):
            found.append(sub.call.privilege)
        found.extend(_privileges_of(sub))
    return found


def route_privileges(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    """(method, path) -> privileges its dependencies demand, read off the routes
    themselves, so the document says exactly what is enforced."""
    table: dict[tuple[str, str], list[str]] = {}
    for context in routing.iter_route_contexts(app.routes):
        dependant = getattr(context.route, "dependant", None)
        if dependant is None or context.path is None:
            continue
        for method in context.methods or ():
            table[(method.lower(), context.path)] = _privileges_of(dependant)
    return table


def _document_privileges(app: FastAPI, paths: dict[str, Any]) -> None:
    table = route_privileges(app)
    for path, operations in paths.items():
        for method, operation in operations.items():
            needed = table.get((method, path))
            if not needed:
                continue
            operation[PRIVILEGE_KEY] = needed[0]
            operation["security"] = BASIC_FIRST if basic_declared(path) else PROTECTED
            note = f"Requires the privilege `{needed[0]}`."
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{note}" if described else note
            operation.setdefault("responses", {}).setdefault(
                "403", {"description": f"The caller lacks `{needed[0]}`"}
            )


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for fastapi_own in ("HTTPValidationError", "ValidationError"):
            schemas.pop(fastapi_own, None)
        schemas["Problem"] = _PROBLEM
        schema["components"]["securitySchemes"] = SECURITY_SCHEMES
        schemas["CamundaError"] = _CAMUNDA_ERROR
        _describe(schemas)
        _document_privileges(app, schema.get("paths", {}))
        _problems(schema.get("paths", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
