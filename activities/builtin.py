"""Built-in service-task implementations, addressable by task type from any diagram.

``baton.noop`` completes at once; ``baton.echo`` returns the task's headers
(``zeebe:taskHeaders``) as variables, which makes demo diagrams show data flowing;
``baton.javascript`` runs a script task's JavaScript (``activities/javascript.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baton_client.contracts.bpmn import ServiceTaskInput, ServiceTaskResult
from temporalio import activity

from activities.javascript import javascript


@activity.defn(name="baton.noop")
async def noop(task: ServiceTaskInput) -> ServiceTaskResult:
    activity.logger.info("noop for %s at %s", task.process_instance_id, task.element_id)
    return ServiceTaskResult()


@activity.defn(name="baton.echo")
async def echo(task: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult(variables=dict(task.headers))


BUILTIN_ACTIVITIES: list[Callable[..., Any]] = [noop, echo, javascript]
