"""Camunda 7's engine tests as the specification: each row names a Java test, the diagram
it deploys (from ``../shared/corpora/camunda7-engine``, read in place, never copied), the
way the test drives it and what it asserts; Baton must agree.

The steps are the Java test's, in Baton's terms: ``start`` with variables, ``tasks``
(the open user tasks at an element, by assignee), ``complete`` one of them, ``fire`` a
timer (the Java test executes its job), ``ended``.
A row Baton does not agree with yet is an ``xfail`` whose reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contracts import bpmn as c
from tests.conftest import SHARED, Stack
from tests.support.driver import start, until

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
    """One Java test: its diagram, start variables and steps."""

    test: str
    diagram: str
    variables: dict[str, Any] = field(default_factory=dict)
    #: ("tasks", element, [assignees in any order]) | ("complete", element, assignee)
    #: | ("fire", timer element) | ("ended",)
    steps: tuple[tuple[Any, ...], ...] = ()


MI = "bpmn/multiinstance/MultiInstanceTest"
CASES = [
    Case(
        "MultiInstanceTest.testSequentialUserTasks",
        f"{MI}.sequentialUserTasks.bpmn20.xml",
        {"nrOfLoops": 3},
        (
            ("tasks", "miTasks", ["kermit_0"]),
            ("complete", "miTasks", "kermit_0"),
            ("tasks", "miTasks", ["kermit_1"]),
            ("complete", "miTasks", "kermit_1"),
            ("tasks", "miTasks", ["kermit_2"]),
            ("complete", "miTasks", "kermit_2"),
            ("ended",),
        ),
    ),
    Case(
        "MultiInstanceTest.testSequentialUserTasksWithTimer",
        f"{MI}.sequentialUserTasks.bpmn20.xml",
        {"nrOfLoops": 3},
        (
            ("complete", "miTasks", "kermit_0"),
            ("tasks", "miTasks", ["kermit_1"]),
            ("fire", "timer"),
            ("tasks", "taskAfterTimer", [""]),
            ("complete", "taskAfterTimer", None),
            ("ended",),
        ),
    ),
    Case(
        "MultiInstanceTest.testSequentialUserTasksCompletionCondition",
        f"{MI}.sequentialUserTasks.bpmn20.xml",
        {"nrOfLoops": 10},
        (
            *(
                step
                for n in range(5)
                for step in (
                    ("tasks", "miTasks", [f"kermit_{n}"]),
                    ("complete", "miTasks", f"kermit_{n}"),
                )
            ),
            ("ended",),
        ),
    ),
    Case(
        "MultiInstanceTest.testParallelUserTasks",
        f"{MI}.testParallelUserTasks.bpmn20.xml",
        {},
        (
            ("tasks", "miTasks", ["kermit_0", "kermit_1", "kermit_2"]),
            ("complete", "miTasks", "kermit_0"),
            ("tasks", "miTasks", ["kermit_1", "kermit_2"]),
            ("complete", "miTasks", "kermit_1"),
            ("complete", "miTasks", "kermit_2"),
            ("ended",),
        ),
    ),
]


def _open(view: c.ProcessStateView, element: str) -> list[c.UserTaskView]:
    return [
        t
        for t in view.tasks
        if t.element_id == element and t.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED)
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.test)
async def test_agrees_with_camunda7(stack: Stack, case: Case) -> None:
    diagram = RESOURCES / case.diagram
    handle = await start(stack, Path(diagram), case.variables)
    for step in case.steps:
        if step[0] == "tasks":
            _, element, assignees = step
            view = await until(
                handle,
                lambda v, e=element, a=assignees: (
                    sorted(t.assignee or "" for t in _open(v, e)) == sorted(a)
                ),
                f"{case.test}: tasks {assignees} at {element}",
            )
        elif step[0] == "complete":
            _, element, assignee = step
            view = await until(
                handle,
                lambda v, e=element, a=assignee: any(t.assignee == a for t in _open(v, e)),
                f"{case.test}: the task of {assignee}",
            )
            task = next(t for t in _open(view, element) if t.assignee == assignee)
            await handle.execute_update(
                c.COMPLETE_USER_TASK,
                c.CompleteUserTask(task_id=task.id, variables={}),
                result_type=c.UserTaskCompleted,
            )
        elif step[0] == "fire":  # the Java test executes the timer's job
            await handle.execute_update(c.FIRE_TIMER, c.FireTimer(element_id=step[1]))
        elif step[0] == "ended":
            view = await until(
                handle, lambda v: v.state is not c.InstanceState.ACTIVE, f"{case.test}: the end"
            )
            assert view.state is c.InstanceState.COMPLETED, view.incidents
