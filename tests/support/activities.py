"""Stand-in service-task activities for tests (registered beside the built-ins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baton_client.contracts.bpmn import ServiceTaskInput, ServiceTaskResult
from temporalio import activity
from temporalio.exceptions import ApplicationError


@activity.defn(name="test.flaky-backend")
async def flaky_backend(task: ServiceTaskInput) -> ServiceTaskResult:
    """Fails until the instance carries ``backendUp = true`` (an operator fixed it)."""
    if not task.variables.get("backendUp"):
        raise ApplicationError(f"backend down (attempt {activity.info().attempt})")
    return ServiceTaskResult(variables={"backendCalls": activity.info().attempt})


@activity.defn(name="test.reject")
async def reject(task: ServiceTaskInput) -> ServiceTaskResult:
    """Throws the BPMN error ``REJECTED``, as a worker reports a business failure."""
    raise ApplicationError("application rejected", "REJECTED", type="BpmnError")


@activity.defn(name="test.increment")
async def increment(task: ServiceTaskInput) -> ServiceTaskResult:
    """Adds one to ``count``: the body of long loops (one activity per iteration)."""
    return ServiceTaskResult(variables={"count": int(task.variables.get("count", 0)) + 1})


@activity.defn(name="bean:greeter.shout")
async def shout(task: ServiceTaskInput) -> ServiceTaskResult:
    """A Spring-bean stand-in: ``#{greeter.shout(name)}`` → the argument in capitals."""
    [text] = task.variables["arguments"]
    return ServiceTaskResult(variables={"result": str(text).upper()})


@activity.defn(name="bean:people.pick")
async def pick(task: ServiceTaskInput) -> ServiceTaskResult:
    """A Spring-bean stand-in for an assignee expression: the first of the team."""
    [team] = task.variables["arguments"]
    return ServiceTaskResult(variables={"result": team[0]})


TEST_ACTIVITIES: list[Callable[..., Any]] = [flaky_backend, reject, increment, shout, pick]
