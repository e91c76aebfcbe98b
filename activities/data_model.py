"""Built-in service tasks on the data model: a process reads and writes its instance's
business data by path (the same data ``/v1/data-models/{app}/instances/{id}/data`` reads).

``baton.data.read`` (task headers):
    ``path``            where to read (``client.surname``); absent: the whole data
    ``resultVariable``  the process variable that receives the value (null when nothing
                        is there)
    ``application``     optional: the path must be in this application's model

``baton.data.write`` (task headers):
    ``path``            where to write; absent: the root (the value must be an object)
    ``variable``        the process variable whose value is written, or
    ``value``           a literal: JSON when it parses (``42``, ``true``, ``{"a": 1}``),
                        else the text itself; text as well when the model says string
    ``application``     optional: the value must fit this application's model

A write merges: objects merge field by field (null removes a field), anything else
replaces; the rest of the data stays. Mistakes that a retry cannot fix (bad headers, a
path or value the model refuses, an unknown application) fail the task at once with a
non-retryable error, so the instance gets an incident naming the problem.
"""

from __future__ import annotations

import json
from typing import Any

from baton_client.contracts.bpmn import ServiceTaskInput, ServiceTaskResult
from temporalio import activity
from temporalio.exceptions import ApplicationError

from store import Store, business_data
from store import data_models as dm

READ = "baton.data.read"
WRITE = "baton.data.write"


def _refuse(message: str, kind: str, *details: Any) -> ApplicationError:
    return ApplicationError(message, *details, type=kind, non_retryable=True)


def _header_value(raw: str, node: dm.Node | None) -> Any:
    if node is not None and dm.type_of(node) == "string":
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw
        return parsed if isinstance(parsed, str) else raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class DataModelActivities:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def _model(self, task: ServiceTaskInput) -> dm.DataModel | None:
        application = task.headers.get("application")
        if not application:
            return None
        model = await dm.latest(self._store, application)
        if model is None:
            raise _refuse(f"no data model for application {application!r}", "DataModelNotFound")
        return model

    @staticmethod
    def _path(task: ServiceTaskInput, model: dm.DataModel | None) -> tuple[str, ...]:
        try:
            segments = dm.parse_path(task.headers.get("path"))
            if model is not None:
                dm.node_at(model.root, segments)
        except dm.PathError as err:
            raise _refuse(f"{task.element_id}: {err}", "DataModelViolation") from err
        return segments

    @activity.defn(name=READ)
    async def read(self, task: ServiceTaskInput) -> ServiceTaskResult:
        """Business data at ``path`` → the process variable ``resultVariable``."""
        target = task.headers.get("resultVariable")
        if not target:
            raise _refuse(
                f"{task.element_id}: {READ} needs the header resultVariable", "InvalidTaskHeaders"
            )
        model = await self._model(task)
        segments = self._path(task, model)
        data = await business_data.get(self._store, task.process_instance_id)
        value = dm.value_at(data or {}, segments)
        return ServiceTaskResult(variables={target: None if dm.is_missing(value) else value})

    @activity.defn(name=WRITE)
    async def write(self, task: ServiceTaskInput) -> ServiceTaskResult:
        """A process variable (``variable``) or a literal (``value``) → the business data
        at ``path``, merged, and checked against the model of ``application`` if given."""
        variable, literal = task.headers.get("variable"), task.headers.get("value")
        if (variable is None) == (literal is None):
            raise _refuse(
                f"{task.element_id}: {WRITE} needs the header variable or value (one of them)",
                "InvalidTaskHeaders",
            )
        model = await self._model(task)
        segments = self._path(task, model)
        if variable is not None:
            if variable not in task.variables:
                raise _refuse(
                    f"{task.element_id}: no process variable {variable!r} to write",
                    "InvalidTaskHeaders",
                )
            value = task.variables[variable]
        else:
            assert literal is not None
            node = dm.node_at(model.root, segments) if model is not None else None
            value = _header_value(literal, node)
        try:
            await dm.write(
                self._store,
                task.process_instance_id,
                segments,
                value,
                by=f"process:{task.element_id}",
                model=model,
            )
        except dm.DataModelViolation as err:
            raise _refuse(
                f"{task.element_id}: {err}",
                "DataModelViolation",
                [p.as_dict() for p in err.problems],
            ) from err
        except dm.PathError as err:
            raise _refuse(f"{task.element_id}: {err}", "DataModelViolation") from err
        return ServiceTaskResult()
