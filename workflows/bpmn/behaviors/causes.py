"""Which trace a token's work belongs to.

A REST call that completes a user task is traced into the workflow's update handler by
Temporal's OpenTelemetry plugin (``core.tracing``); the service task the token then
reaches runs in the token's own asyncio task, which began long before under the
workflow's start. To keep "REST call → update → activity" one trace, the update or signal
that was just applied is remembered as the cause (its OpenTelemetry context, with the
workflow time it came at), and an activity scheduled in that same workflow task is
started under it. Work scheduled later (a timer, the next activity's completion) is no
longer the call's doing and keeps the workflow's own trace.

Only the OpenTelemetry context changes: it travels in the activity's headers, which
replay does not compare, and the commands stay the same, traced or not. Without the
plugin the remembered context is empty and this does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from temporalio import workflow
from temporalio.worker import (
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from workflows.bpmn.runtime import Runtime


def _remember() -> None:
    rt = getattr(workflow.instance(), "rt", None)
    if isinstance(rt, Runtime):
        rt.cause = (otel_context.get_current(), workflow.now())


@contextmanager
def traced(rt: Runtime) -> Iterator[None]:
    """Run the block under the trace of the command applied in this workflow task, if
    one was."""
    if rt.cause is None or rt.cause[1] != workflow.now():
        yield
        return
    token = otel_context.attach(rt.cause[0])
    try:
        yield
    finally:
        otel_context.detach(token)


class _Inbound(WorkflowInboundInterceptor):
    async def handle_signal(self, input: HandleSignalInput) -> None:
        _remember()
        await super().handle_signal(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        _remember()
        return await super().handle_update_handler(input)


class CauseInterceptor(Interceptor):
    """Registered on every worker (``baton.worker.build_worker``); inside the tracing
    plugin's interceptor, so the context it remembers is the caller's."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        _ = input  # every workflow type gets it
        return _Inbound
