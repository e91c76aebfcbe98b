"""``baton conformance``: run BPMN execution conformance cases on the real engine.

Each case folder (format: ../shared/corpora/conformance/README.md) holds a diagram, the
triggers to replay and the expected counts per element. The runner starts its own
Temporal dev server, a SQLite store and a worker, and drives instances the way any
client would: starting workflows, ``correlate_message``, ``deliver_signal``,
``fire_timer`` (an operator's "run the timer now", so cases need no clock) and
``complete_user_task``. It then compares the engine's own counts (the ``state`` query).

The diagrams come from a token simulator and are not executable as drawn, so the runner
adapts them the way the kit prescribes: plain tasks in ``wait_at`` become user tasks,
gateway decisions become conditions on a ``decisions`` variable, and tasks without an
implementation pass straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from lxml import etree
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from bpmn_compiler import namespaces as ns
from bpmn_compiler.ir import ProcessDefinition
from core.devserver import SPEED_FLAGS, temporal_binary
from operations import commands
from store import Store
from store import definitions as store_definitions

BPMN = ns.BPMN
CAMUNDA = ns.CAMUNDA
_SERVICE_LIKE = ("serviceTask", "sendTask", "scriptTask", "businessRuleTask")
_KINDS = ("entered", "completed", "cancelled", "merged", "waiting")
RPC_TIMEOUT = timedelta(seconds=5)


class Unsupported(Exception):  # a case needs something the runner cannot map yet
    pass


@dataclass
class CaseOutcome:
    name: str
    passed: bool
    detail: str = ""
    normalised: bool = False


@dataclass
class Summary:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed

    def closing_line(self) -> str:
        return f"conformance: {self.passed} passed, {self.failed} failed"


def case_folders(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if (path / "case.json").exists():
            found.append(path)
        elif path.is_dir():
            found += sorted(p.parent for p in path.rglob("case.json"))
    return found


# --------------------------------------------------------------- adaptation


def _q(local: str) -> str:
    return f"{{{BPMN}}}{local}"


def adapt(diagram: bytes, case: dict[str, Any], *, scope: str = "") -> bytes:
    """Make a simulator diagram executable, as the kit's runner rules say."""
    root = etree.fromstring(diagram)
    config = case.get("config") or {}
    wait_at = set(config.get("wait_at") or [])
    decided = set(config.get("gateway_decisions") or {})
    for step in case.get("steps", []):
        decided |= set(step.get("gateway_decisions") or {})
    # the simulator does not distinguish task types: only wait_at tasks wait
    for local in ("task", "userTask", "manualTask"):
        for el in list(root.iter(_q(local))):
            el.tag = _q("userTask") if el.get("id") in wait_at else _q("task")
    for local in _SERVICE_LIKE:
        for el in root.iter(_q(local)):
            if local == "scriptTask":
                el.set("scriptFormat", "feel")
                for old in el.findall(_q("script")):
                    el.remove(old)
                script = etree.SubElement(el, _q("script"))
                script.text = "null"
            else:
                el.set(f"{{{CAMUNDA}}}expression", "${null}")
    for timer in root.iter(_q("timerEventDefinition")):
        if not any(len((child.text or "").strip()) for child in timer):
            for child in list(timer):
                timer.remove(child)
            duration = etree.SubElement(timer, _q("timeDuration"))
            duration.text = "P365D"  # fired by the case's timer step, never by the clock
    for process in root.iter(_q("process")):
        process.set("isExecutable", "true")
        flows = {f.get("id"): f for f in process.iter(_q("sequenceFlow"))}
        for gateway in [
            *process.iter(_q("exclusiveGateway")),
            *process.iter(_q("inclusiveGateway")),
        ]:
            gid = gateway.get("id")
            if gid not in decided:
                continue
            if "default" in gateway.attrib:
                del gateway.attrib["default"]
            for flow in flows.values():
                if flow.get("sourceRef") != gid:
                    continue
                for old in flow.findall(_q("conditionExpression")):
                    flow.remove(old)
                cond = etree.SubElement(flow, _q("conditionExpression"))
                cond.text = f'= list contains(get value(decisions, "{gid}"), "{flow.get("id")}")'
    _manual_boundaries(root)
    _name_signals(root, scope)
    for link in root.iter(_q("linkEventDefinition")):
        if not (link.get("name") or "").strip():
            link.set("name", "conformance-link")  # unnamed links pair with each other
    for definition in root.iter(_q("conditionalEventDefinition")):
        for old in definition.findall(_q("condition")):
            definition.remove(old)
        parent = definition.getparent()
        event_id = parent.get("id", "") if parent is not None else ""
        condition = etree.SubElement(definition, _q("condition"))
        condition.text = f'= get value(conditions, "{event_id}") = true'
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _manual_boundaries(root: etree._Element) -> None:
    """A boundary event without event definition is fired by hand in the simulator (step
    kind ``other``). Baton's manual trigger for it: a signal of its own, which the runner
    sends to that one element."""
    for boundary in root.iter(_q("boundaryEvent")):
        if any(
            isinstance(child.tag, str) and child.tag.endswith("EventDefinition")
            for child in boundary
        ):
            continue
        signal_id = f"manual-{boundary.get('id', '')}"
        root.insert(0, etree.Element(_q("signal"), id=signal_id, name=signal_id))
        etree.SubElement(boundary, _q("signalEventDefinition"), signalRef=signal_id)


def _name_signals(root: etree._Element, scope: str) -> None:
    """Signals without a name get their id as name, and signal events without a reference
    share one synthetic signal, so catchers and throwers can pair as in the simulator.
    With a ``scope``, every name gets it as suffix: signals reach every instance of every
    deployed process, and the cases of one run must not hear each other."""
    suffix = f"~{scope}" if scope else ""
    for signal in root.iter(_q("signal")):
        signal.set("name", (signal.get("name") or signal.get("id") or "") + suffix)
    unreferenced = [d for d in root.iter(_q("signalEventDefinition")) if not d.get("signalRef")]
    if unreferenced:
        name = "conformance-signal" + suffix
        synthetic = etree.Element(_q("signal"), id="conformance-signal", name=name)
        root.insert(0, synthetic)
        for definition in unreferenced:
            definition.set("signalRef", "conformance-signal")


# --------------------------------------------------------------------- run


@dataclass
class Instance:
    process: str
    handle: WorkflowHandle[Any, c.ProcessResult]


class CaseRun:
    def __init__(self, client: Client, store: Store, queue: str, folder: Path) -> None:
        self.client = client
        self.store = store
        self.queue = queue
        self.folder = folder
        self.case: dict[str, Any] = json.loads((folder / "case.json").read_text())
        self.instances: list[Instance] = []
        self.since = datetime.now(UTC) - timedelta(seconds=2)
        self.definitions: dict[str, tuple[ProcessDefinition, c.DefinitionRef]] = {}
        self.conditions: dict[str, bool] = {}
        self.decisions: dict[str, list[str]] = dict(
            (self.case.get("config") or {}).get("gateway_decisions") or {}
        )

    async def deploy(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        diagram = adapt(
            (self.folder / self.case.get("diagram", "diagram.bpmn")).read_bytes(),
            self.case,
            scope=suffix,
        )
        result = compile_bpmn(diagram, filename=str(self.folder), include_non_executable=True)
        if not result.ok:
            raise Unsupported(f"does not compile: {result.errors[0]}")

        def scoped(key: str | None) -> str | None:
            return f"{key}~{suffix}" if key is not None else None

        renamed = [
            d.model_copy(
                update={
                    "key": scoped(d.key),
                    "message_flows": [
                        f.model_copy(
                            update={
                                "source_process": scoped(f.source_process),
                                "target_process": scoped(f.target_process),
                            }
                        )
                        for f in d.message_flows
                    ],
                }
            )
            for d in result.definitions
        ]
        _, deployed = await store_definitions.deploy(
            self.store,
            [store_definitions.Resource(self.case["name"], diagram, renamed)],
        )
        for original, d in zip(result.definitions, deployed, strict=True):
            ref = c.DefinitionRef(key=d.key, version=d.version, sha256=d.sha256)
            self.definitions[original.key] = (original, ref)

    def _process_of(self, element_id: str) -> str:
        for key, (definition, _) in self.definitions.items():
            if element_id in definition.nodes:
                return key
        raise Unsupported(f"element {element_id!r} is in no executable process")

    def _is_start(self, element_id: str) -> bool:
        for definition, _ in self.definitions.values():
            node = definition.nodes.get(element_id)
            if node is not None:
                return node.kind == "startEvent" and node.scope is None
        return False

    async def start(self, element_id: str) -> None:
        process = self._process_of(element_id)
        _, ref = self.definitions[process]
        handle = await self.client.start_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(
                definition=ref,
                variables={"decisions": self.decisions, "conditions": {}},
                start_event=element_id,
            ),
            id=f"conformance-{uuid.uuid4()}",
            task_queue=self.queue,
            result_type=c.ProcessResult,
        )
        self.instances.append(Instance(process, handle))

    async def step(self, step: dict[str, Any]) -> None:
        if step.get("gateway_decisions"):
            self.decisions.update(step["gateway_decisions"])
            for instance in self.instances:
                if await self._running(instance):
                    await commands.SET_VARIABLES.execute(
                        instance.handle,
                        c.SetVariables(variables={"decisions": self.decisions}),
                        rpc_timeout=RPC_TIMEOUT,
                    )
        kind, trigger = step["kind"], step["trigger"]
        if step.get("via") == "message-flow":
            trigger = step["message_flow"]["target"]
            if not any(trigger in d.nodes for d, _ in self.definitions.values()):
                return  # a message to a pool's border: nothing listens there
        if kind == "start" or (kind == "message" and self._is_start(trigger)):
            await self.start(trigger)
            return
        index = step.get("instance", 0)
        if index >= len(self.instances):
            raise Unsupported(f"step targets instance {index}, which was not started")
        handle = self.instances[index].handle
        if kind == "message":
            await commands.CORRELATE.execute(
                handle, c.DeliverMessage(name="", element_id=trigger), rpc_timeout=RPC_TIMEOUT
            )
        elif kind == "timer":
            await commands.FIRE_TIMER.execute(
                handle, c.FireTimer(element_id=trigger), rpc_timeout=RPC_TIMEOUT
            )
        elif kind == "conditional":
            self.conditions[trigger] = True
            await commands.SET_VARIABLES.execute(
                handle,
                c.SetVariables(variables={"conditions": dict(self.conditions)}),
                rpc_timeout=RPC_TIMEOUT,
            )
        elif kind in ("signal", "other"):  # "other": a manual boundary (see adapt)
            await commands.DELIVER_SIGNAL.send(handle, c.DeliverSignal(name="", element_id=trigger))
        elif kind == "user":
            view = await self.state(handle)
            task = next(
                t
                for t in view.tasks
                if t.element_id == trigger
                and t.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED)
            )
            await commands.COMPLETE.execute(
                handle, c.CompleteUserTask(task_id=task.id), rpc_timeout=RPC_TIMEOUT
            )
        else:
            raise Unsupported(f"trigger kind {kind!r}")

    async def state(self, handle: WorkflowHandle[Any, Any]) -> c.ProcessStateView:
        return await commands.STATE.ask(handle, rpc_timeout=RPC_TIMEOUT)

    async def _running(self, instance: Instance) -> bool:
        desc = await instance.handle.describe()
        return desc.status == WorkflowExecutionStatus.RUNNING

    async def quiesce(self) -> dict[str, Any]:
        """Poll until nothing changes any more; returns the observed result."""
        last: dict[str, Any] | None = None
        stable = 0
        for _ in range(200):
            current = await self.observe()
            stable = stable + 1 if current == last else 0
            if stable >= 3:
                return current
            last = current
            await asyncio.sleep(0.03)
        return last or {}

    async def discover(self) -> None:
        """Instances the engine started by itself (a signal start reached by a signal
        thrown in one of ours): their ids extend the thrower's."""
        known = {i.handle.id for i in self.instances}
        since = self.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        query = f'WorkflowType = "{c.WORKFLOW_NAME}" AND StartTime >= "{since}"'
        found = [
            wf.id
            async for wf in self.client.list_workflows(query)
            if wf.id not in known and any(c.started_by(wf.id, k) for k in known)
        ]
        process_of = {ref.key: key for key, (_, ref) in self.definitions.items()}
        for workflow_id in sorted(found):
            handle = self.client.get_workflow_handle(workflow_id, result_type=c.ProcessResult)
            view = await self.state(handle)
            if view.definition.key in process_of:
                self.instances.append(Instance(process_of[view.definition.key], handle))

    async def observe(self) -> dict[str, Any]:
        await self.discover()
        totals: dict[str, Counter[str]] = {k: Counter() for k in _KINDS}
        instances: dict[str, dict[str, int]] = {}
        ended_all = True
        for instance in self.instances:
            view = await self.state(instance.handle)
            counts = view.counts.model_dump()
            for kind in _KINDS:
                totals[kind].update(counts[kind])
            entry = instances.setdefault(instance.process, {"started": 0, "ended": 0})
            entry["started"] += 1
            if view.state is c.InstanceState.COMPLETED:
                entry["ended"] += 1
            else:
                ended_all = False
            if view.incidents and any(not i.resolved for i in view.incidents):
                totals.setdefault("incidents", Counter()).update(
                    i.element_id for i in view.incidents
                )
        result: dict[str, Any] = {k: {n: v for n, v in totals[k].items() if v} for k in _KINDS}
        result["instances"] = instances
        result["ends"] = ended_all
        if "incidents" in totals:
            result["incidents"] = dict(totals["incidents"])
        return result


def compare(
    actual: dict[str, Any], expected: dict[str, Any], ignore: set[str]
) -> tuple[bool, bool, str]:
    """(strict match, normalised match, first difference)."""

    def diff(exp: dict[str, Any]) -> str:
        if actual.get("ends") != exp.get("ends"):
            return f"ends: expected {exp.get('ends')}, got {actual.get('ends')}"
        if actual.get("instances") != exp.get("instances"):
            return f"instances: expected {exp.get('instances')}, got {actual.get('instances')}"
        for kind in _KINDS:
            want = {k: v for k, v in (exp.get(kind) or {}).items() if k not in ignore and v}
            got = {k: v for k, v in (actual.get(kind) or {}).items() if k not in ignore and v}
            if want != got:
                return f"{kind}: expected {want}, got {got}"
        return ""

    strict = diff(expected)
    if not strict:
        return True, True, ""
    normal = dict(expected)
    moved = expected.get("throw_interrupted") or {}
    if moved:
        cancelled = Counter(expected.get("cancelled") or {})
        completed = Counter(expected.get("completed") or {})
        for node, n in moved.items():
            cancelled[node] -= n
            completed[node] += n
        normal["cancelled"] = {k: v for k, v in cancelled.items() if v > 0}
        normal["completed"] = dict(completed)
    normalised = diff(normal)
    return False, not normalised, strict


CASE_TIMEOUT = 30.0


async def run_case(client: Client, store: Store, queue: str, folder: Path) -> CaseOutcome:
    run = CaseRun(client, store, queue, folder)
    name = run.case.get("name", folder.name)

    async def replay() -> dict[str, Any]:
        await run.deploy()
        settled: dict[str, Any] = {}
        for step in run.case["steps"]:
            await run.step(step)
            settled = await run.quiesce()
        return settled or await run.quiesce()

    try:
        actual = await asyncio.wait_for(replay(), CASE_TIMEOUT)
    except TimeoutError:
        return CaseOutcome(name, False, f"timed out after {CASE_TIMEOUT:.0f} s")
    except Unsupported as exc:
        return CaseOutcome(name, False, f"unsupported: {exc}")
    except Exception as exc:
        return CaseOutcome(name, False, f"error: {type(exc).__name__}: {exc}")
    if actual.get("incidents"):
        return CaseOutcome(name, False, f"incidents at {actual['incidents']}")
    ignore = {reason.split(":")[0].strip() for reason in run.case.get("order_sensitive") or []}
    strict, normalised, detail = compare(actual, run.case["expected"], ignore)
    return CaseOutcome(
        name,
        strict or normalised,
        "" if strict or normalised else detail,
        normalised and not strict,
    )


@contextlib.contextmanager
def _server_output_to_stderr() -> Iterator[None]:
    """The dev server inherits stdout and prints a banner: point its stdout at stderr, so
    ``--json`` output stays parseable."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


async def run_all(paths: list[Path], progress: Any = None) -> Summary:
    from baton.worker import build_worker

    summary = Summary()
    folders = case_folders(paths)
    with tempfile.TemporaryDirectory(prefix="baton-conformance-") as tmp:
        with _server_output_to_stderr():
            env = await WorkflowEnvironment.start_local(
                dev_server_existing_path=temporal_binary(),
                data_converter=pydantic_data_converter,
                search_attributes=sa.ALL,
                dev_server_extra_args=SPEED_FLAGS,
            )
        store = Store(f"sqlite+aiosqlite:///{tmp}/conformance.db")
        await store.init_schema()
        queue = f"conformance-{uuid.uuid4().hex[:8]}"
        try:
            async with build_worker(env.client, store, queue):
                for folder in folders:
                    outcome = await run_case(env.client, store, queue, folder)
                    summary.outcomes.append(outcome)
                    if progress is not None:
                        progress(outcome)
        finally:
            await store.dispose()
            await env.shutdown()
    return summary
