"""Camunda 7's engine tests as the specification: each row names a Java test, the
diagrams it deploys (from ``../shared/corpora/camunda7-engine``, read in place, never
copied), the way the test drives them and what it asserts; Baton must agree.

The steps (``tests/camunda7/runner.py``) are the Java test's calls in Baton's terms:
start with variables and a business key, complete user tasks, fire timers, correlate
messages, broadcast signals, work external tasks; and its assertions: open tasks, active
elements, variables, completed elements, child instances, the end. A row Baton does not
agree with yet is a strict ``xfail`` whose reason names the divergence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.camunda7.runner import (
    MISSING,
    Active,
    Back,
    BusinessKey,
    Children,
    Complete,
    Completed,
    Ended,
    External,
    Fire,
    Message,
    Runner,
    Running,
    SetVars,
    Signal,
    Start,
    Step,
    Tasks,
    Vars,
    Waits,
)
from tests.conftest import SHARED, Stack
from tests.support.driver import Baton

CORPUS = SHARED / "corpora" / "camunda7-engine"
RESOURCES = CORPUS / "src" / "test" / "resources" / "org" / "camunda" / "bpm" / "engine" / "test"

pytestmark = [
    pytest.mark.skipif(
        not CORPUS.is_dir(), reason=f"the Camunda 7 engine corpus is not at {CORPUS}"
    ),
    pytest.mark.parametrize("database_backend", ["sqlite"]),
]


@dataclass(frozen=True)
class Case:
    """One Java test: the diagrams of its deployment, how it starts and its steps."""

    test: str
    diagrams: tuple[str, ...]
    steps: tuple[Step, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    #: the process started (default: the first deployed); "": none (a message or signal
    #: step starts it)
    key: str | None = None
    business_key: str | None = None
    #: why Baton does not agree yet (a strict xfail)
    diverges: str | None = None


def case(
    test: str,
    diagrams: str | tuple[str, ...],
    *steps: Step,
    variables: dict[str, Any] | None = None,
    key: str | None = None,
    business_key: str | None = None,
    diverges: str | None = None,
) -> Any:
    """A row: ``diagrams`` relative to the corpus' ``engine/test``; a ``.`` suffix-less
    name ``X`` means ``X.bpmn20.xml``."""
    names = (diagrams,) if isinstance(diagrams, str) else diagrams
    row = Case(
        test,
        tuple(n if n.endswith((".xml", ".bpmn")) else f"{n}.bpmn20.xml" for n in names),
        steps,
        variables or {},
        key,
        business_key,
        diverges,
    )
    marks = [pytest.mark.xfail(strict=True, reason=diverges)] if diverges else []
    return pytest.param(row, id=test, marks=marks)


MI = "bpmn/multiinstance/MultiInstanceTest"
CA = "bpmn/callactivity/CallActivity"
BE = "bpmn/event/error/BoundaryErrorEventTest"
MSG = "bpmn/event/message"
SIG = "bpmn/event/signal"

CASES = [
    # -- multi-instance ------------------------------------------------------------------
    case(
        "MultiInstanceTest.testSequentialUserTasks",
        f"{MI}.sequentialUserTasks",
        Tasks("miTasks", assignees=("kermit_0",)),
        Complete("miTasks", "kermit_0"),
        Tasks("miTasks", assignees=("kermit_1",)),
        Complete("miTasks", "kermit_1"),
        Tasks("miTasks", assignees=("kermit_2",)),
        Complete("miTasks", "kermit_2"),
        Ended(),
        variables={"nrOfLoops": 3},
    ),
    case(
        "MultiInstanceTest.testSequentialUserTasksWithTimer",
        f"{MI}.sequentialUserTasks",
        Complete("miTasks", "kermit_0"),
        Tasks("miTasks", assignees=("kermit_1",)),
        Fire("timer"),
        Tasks(None, assignees=("",)),
        Complete("taskAfterTimer"),
        Ended(),
        variables={"nrOfLoops": 3},
    ),
    case(
        "MultiInstanceTest.testSequentialUserTasksCompletionCondition",
        f"{MI}.sequentialUserTasks",
        *(
            step
            for n in range(5)
            for step in (
                Tasks("miTasks", assignees=(f"kermit_{n}",)),
                Complete("miTasks", f"kermit_{n}"),
            )
        ),
        Ended(),
        variables={"nrOfLoops": 10},
    ),
    case(
        "MultiInstanceTest.testParallelUserTasks",
        f"{MI}.testParallelUserTasks",
        Tasks("miTasks", assignees=("kermit_0", "kermit_1", "kermit_2")),
        Complete("miTasks", "kermit_0"),
        Tasks("miTasks", assignees=("kermit_1", "kermit_2")),
        Complete("miTasks", "kermit_1"),
        Complete("miTasks", "kermit_2"),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testParallelUserTasksWithTimer",
        f"{MI}.testParallelUserTasksWithTimer",
        Tasks(None, count=3),
        Complete(),
        Fire("timer"),
        Tasks(None, names=("",)),
        Tasks("taskAfterTimer", count=1),
        Complete("taskAfterTimer"),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testParallelUserTasksCompletionCondition",
        f"{MI}.testParallelUserTasksCompletionCondition",
        *(s for n in range(3) for s in (Tasks(None, count=5 - n), Complete())),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testParallelUserTasksBasedOnCollection",
        f"{MI}.testParallelUserTasksBasedOnCollection",
        Tasks("miTasks", assignees=("bubba", "fozzie", "gonzo", "kermit", "mispiggy")),
        Complete("miTasks", "bubba"),
        Complete("miTasks", "fozzie"),
        Complete("miTasks", "gonzo"),
        Tasks(None, count=0),
        Ended(),
        variables={"assigneeList": ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]},
    ),
    case(
        "MultiInstanceTest.testEmptyCollectionInMI",
        f"{MI}.testParallelUserTasksBasedOnCollection",
        Tasks(None, count=0),
        Ended(),
        Completed({"theStart": 1, "theEnd": 1}),
        variables={"assigneeList": []},
    ),
    case(
        "MultiInstanceTest.testSequentialSubProcess",
        f"{MI}.testSequentialSubProcess",
        *(
            s
            for n in range(4)
            for s in (
                Tasks(None, names=("task one", "task two")),
                Complete(name="task one"),
                Complete(name="task two"),
                *((Active(("subProcessTask1", "subProcessTask2")),) if n != 3 else ()),
            )
        ),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testSequentialSubProcessWithTimer",
        f"{MI}.testSequentialSubProcessWithTimer",
        Tasks(None, count=2),
        Complete(),
        Complete(),
        Tasks(None, count=2),
        Fire("timer"),
        Tasks("taskAfterTimer", count=1),
        Tasks(None, count=1),
        Complete("taskAfterTimer"),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testSequentialSubProcessCompletionCondition",
        f"{MI}.testSequentialSubProcessCompletionCondition",
        *(
            s
            for _ in range(3)
            for s in (
                Tasks(None, names=("task one", "task two")),
                Complete(name="task one"),
                Complete(name="task two"),
            )
        ),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testParallelSubProcessWithTimer",
        f"{MI}.testParallelSubProcessWithTimer",
        Tasks(None, count=6),
        Complete(),
        Complete(),
        Fire("timer"),
        Tasks(None, count=1),
        Complete("taskAfterTimer"),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testNestedParallelSubProcess",
        f"{MI}.testNestedParallelSubProcess",
        Tasks(None, count=8),
        *(Complete() for _ in range(8)),
        Ended(),
    ),
    case(
        "MultiInstanceTest.testSequentialCallActivity",
        (f"{MI}.testSequentialCallActivity", f"{MI}.externalSubProcess"),
        *(
            s
            for _ in range(3)
            for s in (
                Tasks(None, names=("task one", "task two")),
                Complete(name="task one"),
                Complete(name="task two"),
            )
        ),
        Ended(),
        Children(3, running=0),
        key="miSequentialCallActivity",
    ),
    case(
        "MultiInstanceTest.testParallelCallActivity",
        (f"{MI}.testParallelCallActivity", f"{MI}.externalSubProcess"),
        Tasks(None, count=12),
        *(Complete() for _ in range(12)),
        Ended(),
        key="miParallelCallActivity",
    ),
    case(
        "MultiInstanceTest.testSequentialCallActivityWithTimer",
        (f"{MI}.testSequentialCallActivityWithTimer", f"{MI}.externalSubProcess"),
        Tasks(None, names=("task one", "task two")),
        Complete(name="task one"),
        Complete(name="task two"),
        Fire("timer"),
        Tasks(None, count=1),
        Complete("taskAfterTimer"),
        Ended(),
        key="miSequentialCallActivityWithTimer",
    ),
    # -- call activities -------------------------------------------------------------------
    case(
        "CallActivityTest.testCallSimpleSubProcess",
        (f"{CA}.testCallSimpleSubProcess", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task before subprocess",)),
        Complete(),
        Tasks(None, names=("Task in subprocess",)),
        Children(1, running=1),
        Complete(),
        Tasks(None, names=("Task after subprocess",)),
        Complete(),
        Ended(),
        key="callSimpleSubProcess",
    ),
    case(
        "CallActivityTest.testCallSimpleSubProcessWithExpressions",
        (f"{CA}.testCallSimpleSubProcessWithExpressions", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task before subprocess",)),
        SetVars({"simpleSubProcessExpression": "simpleSubProcess"}),
        Complete(),
        Tasks(None, names=("Task in subprocess",)),
        Complete(),
        Tasks(None, names=("Task after subprocess",)),
        Complete(),
        Ended(),
        key="callSimpleSubProcess",
    ),
    case(
        "CallActivityTest.testSubProcessEndsSuperProcess",
        (f"{CA}.testSubProcessEndsSuperProcess", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task in subprocess",)),
        Complete(),
        Ended(),
        key="subProcessEndsSuperProcess",
    ),
    case(
        "CallActivityTest.testCallParallelSubProcess",
        (f"{CA}.testCallParallelSubProcess", "bpmn/callactivity/simpleParallelSubProcess"),
        Tasks(None, names=("Task A", "Task B")),
        Complete(name="Task A"),
        Tasks(None, count=1),
        Complete(name="Task B"),
        Ended(),
        key="callParallelSubProcess",
    ),
    case(
        "CallActivityTest.testTimerOnCallActivity",
        (f"{CA}.testTimerOnCallActivity", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task in subprocess",)),
        Fire("timer"),
        Tasks(None, names=("Escalated Task",)),
        Children(1, running=0),
        Complete(),
        Ended(),
        key="timerOnCallActivity",
    ),
    case(
        "CallActivityTest.testSubProcessWithDataInputOutput",
        (f"{CA}.testSubProcessDataInputOutput", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task in subprocess",)),
        Vars({"subVariable": "Hello from the super process."}, child=0),
        SetVars({"subVariable": "Hello from sub process."}, child=0),
        Vars({"superVariable": "Hello from the super process."}),
        Complete(),
        Tasks(None, names=("Task in super process",)),
        Vars({"superVariable": "Hello from sub process."}),
        Complete(variables={"x": 5}),
        Tasks(None, names=("Task in subprocess",)),
        Vars({"y": 10}, child=1),
        Complete(),
        Tasks(None, names=("Task in super process",)),
        Vars({"z": 15}),
        Complete(),
        Ended(),
        key="subProcessDataInputOutput",
        variables={"superVariable": "Hello from the super process."},
    ),
    case(
        "CallActivityTest.testSubProcessAllDataInputOutput",
        (f"{CA}.testSubProcessAllDataInputOutput", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task before subprocess",)),
        Complete(),
        Tasks(None, names=("Task in subprocess",)),
        Vars(
            {"superVariable": "Hello from the super process.", "testVariable": "Only a test."},
            child=0,
        ),
        SetVars(
            {
                "superVariable": "Hello from sub process.",
                "testVariable": "Variable changed in sub process.",
            },
            child=0,
        ),
        Complete(),
        Tasks(None, names=("Task after subprocess",)),
        Vars(
            {
                "superVariable": "Hello from sub process.",
                "testVariable": "Variable changed in sub process.",
            }
        ),
        Complete(),
        Ended(),
        key="subProcessAllDataInputOutput",
        variables={
            "superVariable": "Hello from the super process.",
            "testVariable": "Only a test.",
        },
    ),
    case(
        "CallActivityTest.testSubProcessBusinessKeyInput",
        (f"{CA}.testSubProcessBusinessKeyInput", "bpmn/callactivity/simpleSubProcess"),
        Tasks(None, names=("Task before subprocess",)),
        BusinessKey("myBusinessKey"),
        Complete(),
        Tasks(None, names=("Task in subprocess",)),
        BusinessKey("myBusinessKey", child=0),
        Complete(),
        Tasks(None, names=("Task after subprocess",)),
        Complete(),
        Ended(),
        key="subProcessBusinessKeyInput",
        business_key="myBusinessKey",
    ),
    # -- error boundaries -----------------------------------------------------------------
    case(
        "BoundaryErrorEventTest.testCatchErrorOnEmbeddedSubprocess",
        f"{BE}.testCatchErrorOnEmbeddedSubprocess",
        Tasks(None, names=("subprocessTask",)),
        Complete(),
        Tasks(None, names=("task after catching the error",)),
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorOfInnerSubprocessOnOuterSubprocess",
        f"{BE}.testCatchErrorOfInnerSubprocessOnOuterSubprocess",
        Tasks(None, names=("Inner subprocess task 1", "Inner subprocess task 2")),
        Complete(name="Inner subprocess task 2"),
        Tasks(None, names=("task outside subprocess",)),
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorInConcurrentEmbeddedSubprocesses",
        f"{BE}.testCatchErrorInConcurrentEmbeddedSubprocesses",
        Tasks(None, names=("task A", "task B")),
        Complete(name="task A"),
        Tasks(None, names=("task D",)),
        Complete(),
        Ended(),
        Start(),
        Tasks(None, names=("task A", "task B")),
        Complete(name="task B"),
        Tasks(None, names=("task A", "task C")),
        Complete(name="task C"),
        Tasks(None, names=("task A",)),
        Complete(),
        Tasks(None, names=("task D",)),
    ),
    case(
        "BoundaryErrorEventTest.testDeeplyNestedErrorThrown",
        f"{BE}.testDeeplyNestedErrorThrown",
        Tasks(None, names=("Nested task",)),
        Complete(variables={"input": 1}),
        Ended(),
        Start(),
        Tasks(None, names=("Nested task",)),
        Complete(variables={"input": 2}),
        Tasks(None, names=("task after catch",)),
        Complete(),
        Ended(),
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorOnCallActivity",
        (f"{BE}.testCatchErrorOnCallActivity-parent", f"{BE}.subprocess"),
        Tasks(None, names=("Task in subprocess",)),
        Complete(),
        Tasks(None, names=("Escalated Task",)),
        Complete(),
        Ended(),
        key="catchErrorOnCallActivity",
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorThrownByCallActivityOnCallActivity",
        (
            f"{BE}.testCatchErrorThrownByCallActivityOnCallActivity",
            f"{BE}.subprocess2ndLevel",
            f"{BE}.subprocess",
        ),
        Tasks(None, names=("Task in subprocess",)),
        Complete(),
        Tasks(None, names=("Escalated Task",)),
        Complete(),
        Ended(),
        key="catchErrorOnCallActivity2ndLevel",
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorOnParallelMultiInstance",
        f"{BE}.testCatchErrorOnParallelMultiInstance",
        Tasks(None, count=5),
        Complete(variables={"throwError": False}),
        Complete(variables={"throwError": False}),
        Complete(variables={"throwError": True}),
        Tasks(None, count=0),
        Ended(),
    ),
    case(
        "BoundaryErrorEventTest.testCatchErrorOnSequentialMultiInstance",
        f"{BE}.testCatchErrorOnSequentialMultiInstance",
        Complete(variables={"throwError": False}),
        Complete(variables={"throwError": True}),
        Ended(),
    ),
    # -- messages -------------------------------------------------------------------------
    case(
        "MessageBoundaryEventTest.testSingleBoundaryMessageEvent",
        f"{MSG}/MessageBoundaryEventTest.testSingleBoundaryMessageEvent",
        Tasks(None, count=1),
        Waits(("messageName",)),
        Message("messageName"),
        Tasks("taskAfterMessage", count=1),
        Complete(),
        Ended(),
        Start(),
        Complete("task"),
        Waits(()),
        Tasks("taskAfterTask", count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageBoundaryEventTest.testDoubleBoundaryMessageEvent",
        f"{MSG}/MessageBoundaryEventTest.testDoubleBoundaryMessageEvent",
        Tasks(None, count=1),
        Waits(("messageName_1", "messageName_2")),
        Message("messageName_1"),
        Waits(()),
        Tasks("taskAfterMessage_1", count=1),
        Complete(),
        Ended(),
        Start(),
        Complete("task"),
        Waits(()),
        Tasks("taskAfterTask", count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageIntermediateEventTest.testSingleIntermediateMessageEvent",
        f"{MSG}/MessageIntermediateEventTest.testSingleIntermediateMessageEvent",
        Active(("messageCatch",)),
        Waits(("newInvoiceMessage",)),
        Message("newInvoiceMessage"),
        Tasks(None, count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageIntermediateEventTest.testConcurrentIntermediateMessageEvent",
        f"{MSG}/MessageIntermediateEventTest.testConcurrentIntermediateMessageEvent",
        Active(("messageCatch1", "messageCatch2")),
        Message("newInvoiceMessage"),
        Tasks(None, count=0),
        Message("newInvoiceMessage"),
        Tasks(None, count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageStartEventTest.testSingleMessageStartEvent",
        f"{MSG}/MessageStartEventTest.testSingleMessageStartEvent",
        Message("newInvoiceMessage", start=True),
        Running(),
        Tasks(None, count=1),
        Complete(),
        Ended(),
        Start("singleMessageStartEvent"),
        Running(),
        Tasks(None, count=1),
        Complete(),
        Ended(),
        key="",
    ),
    case(
        "MessageStartEventTest.testMessageStartEventAndNoneStartEvent",
        f"{MSG}/MessageStartEventTest.testMessageStartEventAndNoneStartEvent",
        Tasks("taskAfterNoneStart", count=1),
        Complete(),
        Ended(),
        Message("newInvoiceMessage", start=True),
        Running(),
        Tasks("taskAfterMessageStart", count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageStartEventTest.testMultipleMessageStartEvents",
        f"{MSG}/MessageStartEventTest.testMultipleMessageStartEvents",
        Message("newInvoiceMessage", start=True),
        Tasks("taskAfterMessageStart", count=1),
        Complete(),
        Ended(),
        Message("newInvoiceMessage2", start=True),
        Tasks("taskAfterMessageStart2", count=1),
        Complete(),
        Ended(),
        key="",
    ),
    case(
        "MessageEventSubprocessTest.testInterruptingUnderProcessDefinition",
        f"{MSG}/MessageEventSubprocessTest.testInterruptingUnderProcessDefinition",
        Waits(("newMessage",)),
        Tasks("task", count=1),
        Complete(),
        Ended(),
        Start(),
        Message("newMessage"),
        Tasks(None, count=1),
        Tasks("eventSubProcessTask", count=1),
        Complete(),
        Ended(),
    ),
    case(
        "MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinition",
        f"{MSG}/MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinition",
        Waits(("newMessage",)),
        Tasks("task", count=1),
        Complete(),
        Ended(),
        Start(),
        Message("newMessage"),
        Tasks(None, count=2),
        Complete("task"),
        Running(),
        Complete("eventSubProcessTask"),
        Ended(),
        Start(),
        Message("newMessage"),
        Tasks(None, count=2),
        Complete("eventSubProcessTask"),
        Running(),
        Complete("task"),
        Ended(),
    ),
    # -- signals --------------------------------------------------------------------------
    case(
        "SignalEventTest.testSignalCatchIntermediate",
        (f"{SIG}/SignalEventTests.catchAlertSignal", f"{SIG}/SignalEventTests.throwAlertSignal"),
        Waits(()),
        Start("throwSignal"),
        Ended(),
        Back(0),
        Ended(),
        key="catchSignal",
    ),
    case(
        "SignalEventTest.testSignalCatchBoundary",
        (
            f"{SIG}/SignalEventTests.catchAlertSignalBoundary",
            f"{SIG}/SignalEventTests.throwAlertSignal",
        ),
        Start("throwSignal"),
        Ended(),
        Back(0),
        Ended(),
        key="catchSignal",
    ),
    case(
        "SignalEventTest.testSignalCatchBoundaryWithVariables",
        (
            f"{SIG}/SignalEventTests.catchAlertSignalBoundaryWithReceiveTask",
            f"{SIG}/SignalEventTests.throwAlertSignal",
        ),
        Start("throwSignal", {"processName": "throwSignal"}),
        Back(0),
        Vars({"processName": "catchSignal"}),
        key="catchSignal",
        variables={"processName": "catchSignal"},
    ),
    case(
        "SignalEventTest.testSignalBoundaryOnSubProcess",
        f"{SIG}/SignalEventTest.testSignalBoundaryOnSubProcess",
        Signal("stopSignal"),
        Ended(),
    ),
    case(
        "SignalEventTest.testNonInterruptingSignal",
        f"{SIG}/SignalEventTest.testNonInterruptingSignal",
        Tasks(None, names=("My User Task",)),
        Signal("alert"),
        Tasks(None, names=("My User Task", "My Second User Task")),
        Complete(name="My User Task"),
        Tasks(None, names=("My Second User Task",)),
    ),
    # -- conditions -----------------------------------------------------------------------
    case(
        "ConditionalSequenceFlowTest.testUelExpression",
        "bpmn/sequenceflow/ConditionalSequenceFlowTest.testUelExpression",
        Tasks(None, names=("task right",)),
        variables={"input": "right"},
    ),
    # -- external tasks -------------------------------------------------------------------
    case(
        "SkipOutputMappingOnCanceledActitivitesTest.shouldSkipOutputMappingOnBpmnErrorAtExternalTask",
        "io/SkipOutputMappingOnCanceledActitivitesTest"
        ".oneExternalTaskWithOutputMappingAndCatchingErrorBoundaryEvent.bpmn",
        External("externalTaskTopic", "bpmn-error", error_code="errorCode"),
        Tasks(None, count=1),
        Vars({"foo": MISSING}),
    ),
]


@pytest.mark.parametrize("row", CASES)
async def test_agrees_with_camunda7(stack: Stack, row: Case) -> None:
    runner = Runner(Baton(stack), row.test)
    await runner.start(
        [RESOURCES / d for d in row.diagrams], row.key, row.variables, row.business_key
    )
    for step in row.steps:
        await runner.run(step)
