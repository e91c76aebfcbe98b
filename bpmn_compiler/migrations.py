"""Load stored IR of any released version into the current models.

Definitions are stored as JSON and recorded in workflow histories (the result of the
``baton.load_definition`` local activity). A history recorded before an IR change must
still replay, so the workflow decodes the raw JSON and migrates it here instead of
validating it against the current models directly. Pure and sandbox-safe.
"""

from __future__ import annotations

from typing import Any

from bpmn_compiler.ir import IR_VERSION, ProcessDefinition


class UnsupportedIrVersion(ValueError):
    def __init__(self, version: object) -> None:
        super().__init__(f"IR version {version!r} is newer than this build ({IR_VERSION})")
        self.version = version


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """v1 (walking skeleton): service tasks carried task_type/retries/headers/external."""
    nodes = {}
    for node_id, node in raw.get("nodes", {}).items():
        node = dict(node)
        if node.get("kind") == "serviceTask" and "implementation" not in node:
            node["implementation"] = {
                "kind": "activity",
                "task_type": node.pop("task_type"),
                "retries": node.pop("retries", 3),
                "headers": node.pop("headers", {}),
                "external": node.pop("external", False),
            }
        nodes[node_id] = node
    return {**raw, "nodes": nodes, "ir_version": 2}


_MIGRATIONS = {1: _v1_to_v2}


def load(raw: dict[str, Any]) -> ProcessDefinition:
    """Validate ``raw`` IR JSON of any known version as the current model."""
    version = raw.get("ir_version", 1)
    if not isinstance(version, int) or version > IR_VERSION:
        raise UnsupportedIrVersion(version)
    while version < IR_VERSION:
        raw = _MIGRATIONS[version](raw)
        version = raw["ir_version"]
    return ProcessDefinition.model_validate(raw)
