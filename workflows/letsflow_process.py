"""``LetsflowProcess``: one LetsFlow process as a Temporal workflow.

The scenario engine (``scenarios``) is pure: the workflow holds the process document and
feeds it events. Each action is an update, so the caller gets the resulting process (or
the skipped event and its reasons) in the same round trip; LetsFlow records skipped
events in the hash chain too, so a refused action is still an event here, as it is there.
``after`` transitions are workflow timers armed from the state's entry time (a ``goto:
null`` stay keeps the timer; re-entering the state restarts it). Each ``notify`` entry of
a new state is an activity that calls the service; a service that answers synchronously
steps the process with its reply as the service actor.

Time comes from ``workflow.now()`` and ids from ``workflow.uuid4()``, so replays rebuild
the same hashes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import letsflow as lc

    import letsflow as engine

_LOCAL = timedelta(seconds=10)
_NOTIFY_TIMEOUT = timedelta(seconds=30)
_NOTIFY_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1))


def participants(process: dict[str, Any]) -> list[tuple[str, str]]:
    """Who may see the process: actor user ids and roles, and services it involves."""
    found: set[tuple[str, str]] = set()
    for actor in (process.get("actors") or {}).values():
        if not isinstance(actor, dict):
            continue
        if isinstance(actor.get("id"), str):
            found.add(("user", actor["id"]))
        role = actor.get("role")
        for r in [role] if isinstance(role, str) else role if isinstance(role, list) else []:
            if isinstance(r, str):
                found.add(("role", r))
    for action in (process.get("current") or {}).get("actions", []):
        for key in action.get("actor", []) if isinstance(action, dict) else []:
            if isinstance(key, str) and key.startswith("service:"):
                found.add(("service", key.removeprefix("service:")))
    return sorted(found)


@workflow.defn(name=lc.WORKFLOW_NAME)
class LetsflowProcess:
    @workflow.init
    def __init__(self, start: lc.ProcessStart) -> None:
        self._start = start
        self._scenario: dict[str, Any] | None = None
        self._process: dict[str, Any] | None = None
        self._created = workflow.now()
        self._notifying: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ helpers

    def _new_uuid(self) -> str:
        return str(workflow.uuid4())

    def _marker(self) -> tuple[str, str]:
        current = self._require()["current"]
        return (str(current.get("key")), str(current.get("timestamp")))

    def _moved_from(self, marker: tuple[str, str]) -> Callable[[], bool]:
        return lambda: self._marker() != marker

    def _require(self) -> dict[str, Any]:
        if self._process is None:
            raise ApplicationError(
                "the process is not instantiated yet",
                type=lc.Rejection.NOT_READY.value,
                non_retryable=True,
            )
        return self._process

    async def _accept(self, process: dict[str, Any]) -> None:
        """Take a new process document: project it; notify services of a new state."""
        before = self._marker() if self._process is not None else None
        self._process = process
        await self._project()
        if self._marker() != before:
            for entry in process["current"].get("notify", []):
                task = asyncio.create_task(self._notify(entry, self._marker()))
                self._notifying.add(task)
                task.add_done_callback(self._notifying.discard)

    async def _project(self) -> None:
        process = self._require()
        events = process.get("events", [])
        last = events[-1] if events else {}
        scenario = process.get("scenario") or {}
        row = lc.ProcessProjection(
            id=process["id"],
            revision=len(events),
            scenario_id=str(scenario.get("id", self._start.scenario_id)),
            scenario_name=scenario.get("name"),
            title=str(process.get("title", "")),
            tags=list(process.get("tags", [])),
            state=str(process["current"].get("key")),
            is_running=bool(process.get("isRunning")),
            summary={
                "scenario": {
                    "id": scenario.get("id"),
                    "title": scenario.get("title", ""),
                    "description": scenario.get("description", ""),
                },
                "actors": process.get("actors", {}),
            },
            # LetsFlow lists a process as created at its first event (engine
            # src/process/process.service.ts)
            created=engine.parse_timestamp(events[0]["timestamp"])
            if events and "timestamp" in events[0]
            else self._created,
            last_updated=engine.parse_timestamp(last["timestamp"])
            if "timestamp" in last
            else self._created,
            participants=participants(process),
        )
        await workflow.execute_local_activity(
            lc.PROJECT_PROCESS, row, start_to_close_timeout=_LOCAL
        )

    async def _notify(self, entry: dict[str, Any], marker: tuple[str, str]) -> None:
        if not isinstance(entry, dict) or entry.get("if") is False:
            return
        service = entry.get("service")
        if not isinstance(service, str):
            return
        delay = entry.get("after") or 0
        if isinstance(delay, int | float) and delay > 0:
            await workflow.sleep(delay)
            if self._marker() != marker:
                return  # the process moved on before the notification was due
        reply: lc.ServiceReply = await workflow.execute_activity(
            lc.NOTIFY_SERVICE,
            lc.Notification(
                process_id=self._start.process_id,
                service=service,
                message=entry.get("message"),
                trigger=entry.get("trigger"),
                process=self._require(),
            ),
            result_type=lc.ServiceReply,
            start_to_close_timeout=_NOTIFY_TIMEOUT,
            retry_policy=_NOTIFY_RETRY,
        )
        trigger = entry.get("trigger")
        if reply.respond and isinstance(trigger, str) and self._marker() == marker:
            await self._step(
                lc.StepCommand(
                    action=trigger,
                    actor={"key": f"service:{service}"},
                    response=reply.response,
                    has_response=True,
                )
            )

    async def _step(self, command: lc.StepCommand) -> lc.StepResult:
        await workflow.wait_condition(lambda: self._process is not None)
        process = self._require()
        extra: dict[str, Any] = {"response": command.response} if command.has_response else {}
        after = engine.step(
            process,
            command.action,
            command.actor,
            **extra,
            timestamp=workflow.now(),
            new_uuid=self._new_uuid,
        )
        last = after["events"][-1]
        await self._accept(after)
        return lc.StepResult(
            process=after,
            skipped=bool(last.get("skipped")),
            errors=[str(e) for e in last.get("errors", [])],
        )

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, start: lc.ProcessStart) -> dict[str, Any]:
        self._scenario = await workflow.execute_local_activity(
            lc.LOAD_SCENARIO, start.scenario_id, result_type=dict, start_to_close_timeout=_LOCAL
        )
        await self._accept(
            engine.instantiate(
                self._scenario,
                process_id=start.process_id,
                timestamp=workflow.now(),
                actors=start.actors,
                vars=start.vars,
                new_uuid=self._new_uuid,
            )
        )
        while self._require().get("isRunning"):
            marker = self._marker()
            seconds = engine.next_timeout(self._require())
            if seconds is None:  # (timeouts that fired during this stay are not counted)
                await workflow.wait_condition(self._moved_from(marker))
                continue
            due = engine.parse_timestamp(marker[1]) + timedelta(seconds=seconds)
            remaining = (due - workflow.now()).total_seconds()
            if remaining > 0:
                try:
                    await workflow.wait_condition(self._moved_from(marker), timeout=remaining)
                    continue
                except TimeoutError:
                    pass
            if self._marker() == marker:
                before = len(self._require()["events"])
                await self._accept(
                    engine.timeout(
                        self._require(), timestamp=workflow.now(), new_uuid=self._new_uuid
                    )
                )
                if len(self._require()["events"]) == before:  # nothing was due after all
                    await workflow.wait_condition(self._moved_from(marker))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._require()

    # ------------------------------------------------------------------ messages

    @workflow.update(name=lc.STEP)
    async def step(self, command: lc.StepCommand) -> lc.StepResult:
        return await self._step(command)

    @step.validator
    def _validate_step(self, command: lc.StepCommand) -> None:  # noqa: ARG002
        if self._process is not None and not self._process.get("isRunning"):
            raise ApplicationError(
                "the process has ended", type=lc.Rejection.PROCESS_ENDED.value, non_retryable=True
            )

    @workflow.update(name=lc.READY)
    async def ready(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self._process is not None)
        return self._require()

    @workflow.query(name=lc.PROCESS_QUERY)
    def process(self) -> dict[str, Any]:
        return self._require()
