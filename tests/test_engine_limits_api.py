"""Deploying a diagram one workflow task cannot carry answers 400 with diagnostics that
name the element and line, and deploys nothing (bpmn_compiler/engine_limits.py)."""

from __future__ import annotations

from bench.engine_limits import chain, fanout
from tests.conftest import Stack
from tests.support.http import deploy, problem


async def test_the_issues_two_diagrams_are_refused_at_deploy(stack: Stack) -> None:
    for name, xml, code, element in (
        ("fanout.bpmn", fanout(5000), "fan-out-too-wide", "split"),
        ("chain.bpmn", chain(5000), "wait-free-run-too-long", "t999"),
    ):
        body = problem(await deploy(stack.http, (name, xml)), 400)
        first = body["errors"][0]
        assert (first["code"], first["elementId"], first["file"]) == (code, element, name)
        assert first["line"] > 0 and first["severity"] == "error"
    listed = await stack.http.get("/v1/bpms/process-definitions")
    assert listed.json()["total"] == 0
    assert (await deploy(stack.http, ("ok.bpmn", fanout(200)))).status_code == 201
