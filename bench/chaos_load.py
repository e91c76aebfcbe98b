"""The load of the chaos run: three small diagrams and what a front end, a CRM and other
domains do with their instances, over real HTTP.

Each instance follows one script, drawn from ``random.Random(f"{seed}:{n}")`` so that a
seed names the same scripts whatever the timing:

* ``task``: start (half the time with ``waitForWaitState``), find the user task, then
  complete it (most), cancel the instance (some), or do both at once (a few: a complete
  racing a cancel);
* ``message``: start, then at once (no sleep) send the message the instance will wait
  for, by one of seven ways of addressing it (instance id, business key or correlation
  key, through correlate, publish or ``/v1/events``), then complete the user task that
  follows it;
* ``case``: start, then at once announce the case status it waits for
  (``POST /v1/case-statuses``, or a create followed by a status change).

Every command carries an identity a retry repeats (``Idempotency-Key``, ``messageId``,
event id, the task id), and every answer lands in the ledger.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.chaos_faults import Injector
from bench.chaos_ledger import Client, Command
from tests.support.bpmn import diagram, flows, message_catch, service

TASK_KEY, MESSAGE_KEY, CASE_KEY = "chaos-task", "chaos-message", "chaos-case"
MESSAGE_NAME = "chaos.ping"
CASE_MESSAGE = "caseStatus.APPROVED"
CHAOS_NS = "http://baton/chaos"
#: the catch event of each message-driven diagram: delivered once it has completed
CATCH = {MESSAGE_KEY: "ping", CASE_KEY: "approved"}
ADDRESSING = (
    "publish-instance",
    "correlate-instance",
    "publish-business-key",
    "correlate-business-key",
    "correlate-correlation-key",
    "publish-correlation-key",
    "event",
)


DIAGRAMS = (
    diagram(
        TASK_KEY,
        '<bpmn:startEvent id="s"/>'
        + service("prepare", "baton.noop")
        + '<bpmn:userTask id="review" name="Review"/>'
        + service("record", "baton.echo")
        + '<bpmn:endEvent id="e"/>'
        + flows("s>prepare", "prepare>review", "review>record", "record>e"),
        target_namespace=CHAOS_NS,
    ),
    diagram(
        MESSAGE_KEY,
        '<bpmn:startEvent id="s"/>'
        + message_catch("ping", "m")
        + '<bpmn:userTask id="after" name="After the message"/><bpmn:endEvent id="e"/>'
        + flows("s>ping", "ping>after", "after>e"),
        top=f'<bpmn:message id="m" name="{MESSAGE_NAME}"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="= key"/></bpmn:extensionElements></bpmn:message>',
        target_namespace=CHAOS_NS,
    ),
    diagram(
        CASE_KEY,
        '<bpmn:startEvent id="s"/>'
        + message_catch("approved", "m")
        + service("note", "baton.noop")
        + '<bpmn:endEvent id="e"/>'
        + flows("s>approved", "approved>note", "note>e"),
        top=f'<bpmn:message id="m" name="{CASE_MESSAGE}"/>',
        target_namespace=CHAOS_NS,
    ),
)


@dataclass(frozen=True)
class Script:
    """What the client will do with instance ``n``."""

    n: int
    kind: str  # task | message | case
    business_key: str
    wait: bool  # start with waitForWaitState
    ending: str  # task: complete | cancel | race; message: complete; case: none
    addressing: str  # message: one of ADDRESSING; case: create | update


def script(seed: int, n: int) -> Script:
    rng = random.Random(f"{seed}:{n}")
    kind = rng.choices(("task", "message", "case"), weights=(5, 4, 2))[0]
    ending, addressing = "complete", ""
    if kind == "task":
        ending = rng.choices(("complete", "cancel", "race"), weights=(80, 12, 8))[0]
    elif kind == "message":
        addressing = rng.choice(ADDRESSING)
    else:
        ending, addressing = "none", rng.choice(("create", "update"))
    return Script(n, kind, f"chaos-{seed}-{n}", rng.random() < 0.5, ending, addressing)


@dataclass
class Run:
    """One instance as the client saw it."""

    script: Script
    instance_id: str | None = None
    start: Command | None = None
    task_id: str | None = None
    task_seen_after: float | None = None
    completes: list[Command] = field(default_factory=list)
    cancel: Command | None = None
    messages: list[Command] = field(default_factory=list)  # the one(s) it waits for
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return {"task": TASK_KEY, "message": MESSAGE_KEY, "case": CASE_KEY}[self.script.kind]


class Load:
    """Drives the scripts with ``concurrency`` clients, spread over the fault schedule."""

    def __init__(
        self, client: Client, seed: int, *, task_wait: float, wait_timeout_ms: int = 3000
    ) -> None:
        self.client = client
        self.seed = seed
        self.task_wait = task_wait
        self.wait_timeout_ms = wait_timeout_ms
        self.runs: list[Run] = []

    async def deploy(self) -> None:
        files = [("file", (name, data, "application/xml")) for name, data in DIAGRAMS]
        for _ in range(60):
            try:
                r = await self.client.http.post("/v1/bpms/deployments", files=files)
                if r.status_code == 201:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError("could not deploy the chaos diagrams")

    async def run(
        self, instances: int, concurrency: int, injector: Injector, deadline: float
    ) -> None:
        numbers = iter(range(instances))

        async def one_client() -> None:
            for n in numbers:
                while n >= instances * injector.share() and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                if time.monotonic() >= deadline:
                    return
                run = Run(script(self.seed, n))
                self.runs.append(run)
                try:
                    await self._drive(run)
                except Exception as err:
                    run.notes.append(f"client error: {type(err).__name__}: {err}")

        await asyncio.gather(*(one_client() for _ in range(concurrency)))

    # ---------------------------------------------------------------- one instance

    async def _drive(self, run: Run) -> None:
        s = run.script
        variables: dict[str, Any] = {"n": s.n}
        if s.kind == "message":
            variables["key"] = s.business_key
        body = {
            "processDefinitionKey": run.key,
            "businessKey": s.business_key,
            "processData": variables,
            "waitForWaitState": s.wait,
            "waitTimeoutMs": self.wait_timeout_ms,
        }
        run.start = await self.client.send(
            "start",
            s.business_key,
            "POST",
            "/v1/bpms/process-instances",
            json=body,
            headers={"Idempotency-Key": s.business_key},
        )
        if not run.start.applied:
            run.notes.append(f"start {run.start.outcome.value}")
            return
        answer = run.start.body
        run.instance_id = answer["id"]
        if s.kind == "task":
            await self._task_script(run, answer)
        elif s.kind == "message":
            run.messages.append(await self._send_message(run))
            if run.messages[-1].applied and await self._find_task(run, answer):
                run.completes.append(await self._complete(run))
        else:
            await self._case_script(run)

    async def _task_script(self, run: Run, answer: dict[str, Any]) -> None:
        if not await self._find_task(run, answer):
            return
        if run.script.ending == "complete":
            run.completes.append(await self._complete(run))
        elif run.script.ending == "cancel":
            run.cancel = await self._cancel(run)
        else:
            complete, cancel = await asyncio.gather(self._complete(run), self._cancel(run))
            run.completes.append(complete)
            run.cancel = cancel

    async def _find_task(self, run: Run, answer: dict[str, Any]) -> bool:
        """The open task, from the start's answer or the inbox (the read model lags)."""
        began = time.monotonic()
        for task in answer.get("openTasks") or []:
            run.task_id = task["id"]
            run.task_seen_after = 0.0
            return True
        while time.monotonic() - began < self.task_wait:
            page = await self.client.get_json(
                "/v1/bpms/tasks", {"processInstanceId": run.instance_id}
            )
            if page and page.get("items"):
                run.task_id = page["items"][0]["id"]
                run.task_seen_after = round(time.monotonic() - began, 3)
                return True
            await asyncio.sleep(0.1)
        run.notes.append(f"no open task listed within {self.task_wait:.0f} s")
        return False

    async def _complete(self, run: Run) -> Command:
        return await self.client.send(
            "complete",
            run.script.business_key,
            "POST",
            f"/v1/bpms/tasks/{run.task_id}/complete",
            json={"processData": {"decision": "ok", "by": run.script.n}},
            target=run.task_id,
        )

    async def _cancel(self, run: Run) -> Command:
        return await self.client.send(
            "cancel",
            run.script.business_key,
            "POST",
            f"/v1/bpms/process-instances/{run.instance_id}/cancel",
            json={"reason": "chaos"},
            target=run.instance_id,
        )

    async def _send_message(self, run: Run) -> Command:
        s = run.script
        message_id = f"msg-{s.business_key}"
        base: dict[str, Any] = {
            "messageName": MESSAGE_NAME,
            "correlationKey": s.business_key,
            "processData": {"pinged": True},
            "messageId": message_id,
        }
        how = s.addressing
        op = f"message:{how}"
        # a message sent right after the start may be refused as "nothing waits" (404):
        # this client knows the instance exists, so it sends the same message again
        again = {404}
        if how == "event":
            event = {
                "id": message_id,
                "source": "chaos",
                "type": MESSAGE_NAME,
                "subject": s.business_key,
                "data": {"pinged": True},
            }
            return await self.client.send(op, s.business_key, "POST", "/v1/events", json=event)
        if how.endswith("-instance"):
            body = {**base, "processInstanceId": run.instance_id}
        elif how.endswith("-business-key"):
            body = {**base, "businessKey": s.business_key}
        else:
            body = dict(base)
        if how == "publish-correlation-key":
            body["timeToLive"] = 120_000
        path = "/v1/bpms/messages/" + how.split("-", 1)[0]
        return await self.client.send(
            op,
            s.business_key,
            "POST",
            path,
            json=body,
            target=run.instance_id,
            retry_refusals=again,
        )

    async def _case_script(self, run: Run) -> None:
        s = run.script
        case = {
            "caseType": "CHAOS",
            "clientType": "ID",
            "clientId": s.business_key,
            "businessKey": s.business_key,
            "source": "chaos",
            "status": "APPROVED" if s.addressing == "create" else "OPEN",
        }
        op = "case:create" if s.addressing == "create" else "case:open"
        created = await self.client.send(op, s.business_key, "POST", "/v1/case-statuses", json=case)
        if s.addressing == "create":
            run.messages.append(created)
            return
        if not created.applied:
            run.notes.append(f"case create {created.outcome.value}")
            return
        case_id = created.body["caseId"]
        run.messages.append(
            await self.client.send(
                "case:update",
                s.business_key,
                "PUT",
                f"/v1/case-statuses/{case_id}",
                json={"status": "APPROVED", "source": "chaos"},
                target=case_id,
            )
        )
