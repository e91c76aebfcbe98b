"""Stored IR of older versions loads as the current model."""

from __future__ import annotations

import pytest

from bpmn_compiler import migrations
from bpmn_compiler.ir import IR_VERSION, ServiceTask

V1 = {
    "ir_version": 1,
    "key": "k",
    "name": None,
    "start_nodes": ["s"],
    "nodes": {
        "s": {"kind": "startEvent", "id": "s", "name": None, "incoming": [], "outgoing": ["f"]},
        "t": {
            "kind": "serviceTask",
            "id": "t",
            "name": "T",
            "incoming": ["f"],
            "outgoing": [],
            "line": 4,
            "task_type": "charge",
            "retries": 5,
            "headers": {"a": "b"},
            "external": True,
        },
    },
    "flows": {"f": {"id": "f", "source": "s", "target": "t", "name": None, "condition": None}},
}


def test_v1_service_task_gets_an_implementation() -> None:
    d = migrations.load(V1)
    assert d.ir_version == IR_VERSION
    t = d.nodes["t"]
    assert isinstance(t, ServiceTask)
    impl = t.implementation
    assert (impl.kind, impl.task_type, impl.retries, impl.headers, impl.external) == (
        "activity",
        "charge",
        5,
        {"a": "b"},
        True,
    )


def test_future_versions_are_refused() -> None:
    with pytest.raises(migrations.UnsupportedIrVersion):
        migrations.load({**V1, "ir_version": IR_VERSION + 1})
