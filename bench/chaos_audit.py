"""The accounting after a chaos run: every instance, task and message the client was told
about, checked against Temporal, and Baton's read model checked against Temporal.

Temporal is the truth: the workflows its visibility store lists, each one's ``state``
query (``ProcessStateView``), and its execution status (an instance terminated from
outside answers the query with its last state, so a closed execution counts as ended
whatever the query says). The read model is what REST lists serve (instances, tasks,
incidents, all from SQL).

What counts against Baton:

* a lost completion: a ``complete`` answered 2xx, and Temporal's task is not COMPLETED;
* a lost message: a message (or case-status announcement, or domain event) answered
  2xx, and the catch event it was for never fired and it is not in the message buffer;
* a duplicate instance: two workflows for one client-side start (one business key);
* a disagreement: an instance whose read-model state, open tasks, task states or open
  incidents differ from Temporal's -- re-checked for ``settle`` seconds, so that lag is
  not counted, only a read model that does not converge;
* besides the closing line: lost starts and lost cancellations (2xx, and Temporal has no
  such workflow / it still runs), completions refused with 409 while Temporal still has
  the task open (the client was told "not active" about an active task), messages still
  buffered while their instance waits, and instances Temporal could not answer for.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client as TemporalClient
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from bench.chaos_ledger import Client, Outcome
from bench.chaos_load import CATCH, Run
from operations import commands

ENDED = {c.InstanceState.COMPLETED.value, c.InstanceState.TERMINATED.value}
OPEN_TASK_STATES = {"CREATED", "ASSIGNED", "SUSPENDED"}
EXAMPLES = 8  # per kind of finding, in the JSON and the printout


@dataclass
class Truth:
    """One workflow as Temporal has it."""

    instance_id: str
    status: WorkflowExecutionStatus | None
    business_key: str | None
    view: c.ProcessStateView | None = None
    error: str | None = None
    missing: bool = False  # Temporal answered "no such workflow"

    @property
    def closed_abnormally(self) -> bool:
        return self.status in (
            WorkflowExecutionStatus.TERMINATED,
            WorkflowExecutionStatus.TIMED_OUT,
            WorkflowExecutionStatus.FAILED,
        )

    @property
    def state(self) -> str:
        if self.view is None:
            return "?"
        if self.closed_abnormally and self.view.state.value not in ENDED:
            return c.InstanceState.TERMINATED.value
        return self.view.state.value

    @property
    def final(self) -> bool:
        return self.view is not None and self.state in ENDED

    def task_states(self) -> dict[str, str]:
        if self.view is None:
            return {}
        ended = self.state in ENDED
        return {
            t.id: ("CANCELED" if ended and t.ended is None else t.state.value)
            for t in self.view.tasks
        }

    def open_tasks(self) -> set[str]:
        return {t for t, s in self.task_states().items() if s in OPEN_TASK_STATES}

    def open_incidents(self) -> set[str]:
        if self.view is None or self.state in ENDED:
            return set()
        return {i.id for i in self.view.incidents if not i.resolved}


@dataclass
class ReadModel:
    """What the REST lists say (all from the SQL read model)."""

    instances: dict[str, str] = field(default_factory=dict)  # id -> state
    tasks: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (instance, state)
    incidents: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (inst, open)
    complete: bool = True  # every page answered

    def open_tasks(self, instance_id: str) -> set[str]:
        return {t for t, (i, s) in self.tasks.items() if i == instance_id and s in OPEN_TASK_STATES}

    def open_incidents(self, instance_id: str) -> set[str]:
        return {x for x, (i, is_open) in self.incidents.items() if i == instance_id and is_open}


@dataclass
class Figures:
    instances: int = 0  # instances the client started (2xx)
    workflows: int = 0  # BpmnProcess workflows Temporal lists
    lost_completions: int = 0
    lost_messages: int = 0
    duplicate_instances: int = 0
    disagreements: int = 0
    lost_starts: int = 0
    lost_cancellations: int = 0
    false_refusals: int = 0
    still_buffered: int = 0
    unanswered: int = 0
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disagreement_kinds: dict[str, int] = field(default_factory=dict)

    def example(self, kind: str, **details: Any) -> None:
        found = self.examples.setdefault(kind, [])
        if len(found) < EXAMPLES:
            found.append(details)

    def failing(self) -> bool:
        return any(
            (
                self.lost_completions,
                self.lost_messages,
                self.duplicate_instances,
                self.disagreements,
                self.lost_starts,
                self.lost_cancellations,
            )
        )

    def settled(self) -> bool:
        return not self.failing() and not self.unanswered and not self.still_buffered


class Auditor:
    def __init__(
        self, http: Client, temporal: TemporalClient, runs: list[Run], data_dir: Path
    ) -> None:
        self.http = http
        self.temporal = temporal
        self.runs = runs
        self.data_dir = data_dir
        self.truth: dict[str, Truth] = {}
        self.rounds = 0

    # ------------------------------------------------------------------ gathering

    async def _list_workflows(self) -> list[Truth]:
        query = f'WorkflowType = "{c.WORKFLOW_NAME}"'
        found = []
        async for wf in self.temporal.list_workflows(query):
            found.append(Truth(wf.id, wf.status, wf.typed_search_attributes.get(sa.BUSINESS_KEY)))
        return found

    async def _query(self, truth: Truth, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                handle = self.temporal.get_workflow_handle(truth.instance_id)
                truth.view = await commands.STATE.ask(handle, rpc_timeout=timedelta(seconds=15))
                truth.error = None
            except Exception as err:
                truth.error = f"{type(err).__name__}: {err}"[:300]
                truth.missing = isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND

    async def _refresh_truth(self) -> None:
        listed = {t.instance_id: t for t in await self._list_workflows()}
        for run in self.runs:  # started per the client, whatever visibility says yet
            if run.instance_id and run.instance_id not in listed:
                listed[run.instance_id] = Truth(run.instance_id, None, run.script.business_key)
        todo = []
        for instance_id, fresh in listed.items():
            known = self.truth.get(instance_id)
            if known is not None and known.final and known.status == fresh.status:
                continue
            self.truth[instance_id] = fresh
            todo.append(fresh)
        gate = asyncio.Semaphore(8)
        await asyncio.gather(*(self._query(t, gate) for t in todo))

    async def _pages(self, url: str, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            body = await self.http.get_json(url, {**params, "page": page, "size": 1000})
            if body is None:
                return None
            items += body["items"]
            if len(body["items"]) < 1000:
                return items
            page += 1

    async def _read_model(self) -> ReadModel:
        rm = ReadModel()
        instances = await self._pages(
            "/v1/bpms/process-instances", {"sortBy": "startTime", "sortOrder": "asc"}
        )
        rm.complete &= instances is not None
        rm.instances = {i["id"]: i["state"] for i in instances or []}
        for state in ("CREATED", "ASSIGNED", "SUSPENDED", "COMPLETED", "CANCELED"):
            tasks = await self._pages("/v1/bpms/tasks", {"state": state, "sortOrder": "asc"})
            rm.complete &= tasks is not None
            rm.tasks.update({t["id"]: (t["processInstanceId"], t["state"]) for t in tasks or []})
        incidents = await self._pages("/v1/bpms/incidents", {})
        rm.complete &= incidents is not None
        rm.incidents = {
            i["id"]: (i["processInstanceId"], i["state"] == "OPEN") for i in incidents or []
        }
        return rm

    def _buffered_ids(self) -> set[str]:
        """Message ids still in the API's buffer (read straight from SQLite, read-only)."""
        path = self.data_dir / "baton.db"
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                rows = conn.execute("SELECT message_id FROM buffered_messages").fetchall()
            finally:
                conn.close()
            return {r[0] for r in rows if r[0]}
        return set()

    # ------------------------------------------------------------------ judging

    def _judge(self, rm: ReadModel) -> Figures:
        f = Figures()
        truth = self.truth
        f.workflows = sum(1 for t in truth.values() if t.status is not None)
        f.instances = sum(1 for r in self.runs if r.instance_id)
        for t in truth.values():
            if t.view is None and not t.missing:
                f.unanswered += 1
                f.example("unanswered", instance=t.instance_id, error=t.error)
        buffered = self._buffered_ids()
        self._judge_duplicates(f)
        for run in self.runs:
            found = truth.get(run.instance_id) if run.instance_id else None
            if found is None or found.view is None:
                if found is not None and found.missing:  # the client holds a 2xx for its start
                    f.lost_starts += 1
                    f.example("lost start", instance=run.instance_id, error=found.error)
                continue
            self._judge_commands(f, run, found, buffered)
        for t in truth.values():
            if t.view is not None:
                self._judge_read_model(f, t, rm)
        for instance_id in rm.instances.keys() - truth.keys():
            f.disagreements += 1
            f.disagreement_kinds["row without a workflow"] = (
                f.disagreement_kinds.get("row without a workflow", 0) + 1
            )
            f.example("disagreement", instance=instance_id, what=["row without a workflow"])
        return f

    def _judge_duplicates(self, f: Figures) -> None:
        by_key: dict[str, list[str]] = {}
        for t in self.truth.values():
            if t.status is not None and t.business_key and t.business_key.startswith("chaos-"):
                by_key.setdefault(t.business_key, []).append(t.instance_id)
        for key, ids in sorted(by_key.items()):
            if len(ids) > 1:
                f.duplicate_instances += len(ids) - 1
                f.example("duplicate instance", business_key=key, instances=sorted(ids))

    def _judge_commands(self, f: Figures, run: Run, t: Truth, buffered: set[str]) -> None:
        assert t.view is not None
        states = t.task_states()
        for cmd in run.completes:
            task_state = states.get(cmd.target or "", "missing")
            if cmd.applied and task_state != "COMPLETED":
                f.lost_completions += 1
                f.example(
                    "lost completion",
                    instance=run.instance_id,
                    task=cmd.target,
                    temporal_task_state=task_state,
                    temporal_state=t.state,
                    answers=[a.status or a.error for a in cmd.attempts],
                )
            elif cmd.outcome in (Outcome.REFUSED, Outcome.REFUSED_AFTER_UNKNOWN) and (
                task_state in OPEN_TASK_STATES
            ):
                f.false_refusals += 1
                detail = cmd.body.get("detail") if isinstance(cmd.body, dict) else cmd.body
                f.example(
                    "completion refused while the task is open",
                    instance=run.instance_id,
                    task=cmd.target,
                    answers=[a.status or a.error for a in cmd.attempts],
                    detail=detail,
                )
        if run.cancel is not None and run.cancel.applied and t.state not in ENDED:
            f.lost_cancellations += 1
            f.example("lost cancellation", instance=run.instance_id, temporal_state=t.state)
        catch = CATCH.get(run.key)
        accepted = [m for m in run.messages if m.applied]
        if catch is None or not accepted:
            return
        fired = t.view.counts.completed.get(catch, 0) > 0 or t.state == "COMPLETED"
        if fired:
            return
        if f"msg-{run.script.business_key}" in buffered:
            f.still_buffered += 1
            f.example("message still buffered", instance=run.instance_id)
            return
        f.lost_messages += 1
        m = accepted[-1]
        f.example(
            "lost message",
            instance=run.instance_id,
            via=m.op,
            answers=[a.status or a.error for a in m.attempts],
            temporal_state=t.state,
            waiting=t.view.waiting_messages,
            answer=m.body,
        )

    def _judge_read_model(self, f: Figures, t: Truth, rm: ReadModel) -> None:
        what: list[str] = []
        kinds: list[str] = []
        row = rm.instances.get(t.instance_id)
        if row is None:
            what.append("no read-model row")
            kinds.append("missing instance row")
        elif row != t.state:
            what.append(f"state: read model {row}, Temporal {t.state}")
            kinds.append(f"instance {row} in the read model, {t.state} in Temporal")
        truth_open, rm_open = t.open_tasks(), rm.open_tasks(t.instance_id)
        if truth_open != rm_open:
            what.append(f"open tasks: read model {sorted(rm_open)}, Temporal {sorted(truth_open)}")
            kinds.append("open tasks differ")
        for task_id, state in t.task_states().items():
            listed = rm.tasks.get(task_id)
            if listed is not None and listed[1] != state and task_id not in rm_open ^ truth_open:
                what.append(f"task {task_id}: read model {listed[1]}, Temporal {state}")
                kinds.append(f"task {listed[1]} in the read model, {state} in Temporal")
        truth_inc, rm_inc = t.open_incidents(), rm.open_incidents(t.instance_id)
        if truth_inc != rm_inc:
            what.append(
                f"open incidents: read model {sorted(rm_inc)}, Temporal {sorted(truth_inc)}"
            )
            kinds.append("open incidents differ")
        if what:
            f.disagreements += 1
            for kind in dict.fromkeys(kinds):
                f.disagreement_kinds[kind] = f.disagreement_kinds.get(kind, 0) + 1
            f.example("disagreement", instance=t.instance_id, what=what)

    # ------------------------------------------------------------------ the loop

    async def settle(self, seconds: float) -> Figures:
        """Judge, and judge again while something is off, for up to ``seconds``: what
        converges in that time was lag; what is still off is counted."""
        deadline = time.monotonic() + seconds
        while True:
            self.rounds += 1
            await self._refresh_truth()
            figures = self._judge(await self._read_model())
            if figures.settled() or time.monotonic() >= deadline:
                return figures
            await asyncio.sleep(2.0)
