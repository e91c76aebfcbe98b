"""Gateway choice and catcher ranking (``workflows.bpmn.routing``) without a server:
conditions are plain functions here, so the tests also pin which conditions are
evaluated (an exclusive gateway stops at the first that holds) and when the rules'
markers are consulted (only where they decide)."""

from __future__ import annotations

import pytest

from bpmn_compiler.ir import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    Expression,
    Gateway,
    SequenceFlow,
    Task,
)
from workflows.bpmn.control import Incident
from workflows.bpmn.routing import catch_rank, choose_flows
from workflows.tokens import BpmnThrow


def flows(*specs: tuple[str, str | None]) -> dict[str, SequenceFlow]:
    return {
        fid: SequenceFlow(
            id=fid,
            source="g",
            target=f"after-{fid}",
            condition=None if cond is None else Expression(language="feel", source=cond),
        )
        for fid, cond in specs
    }


class Conditions:
    """Answers conditions from a table and remembers which it was asked."""

    def __init__(self, **values: bool) -> None:
        self.values, self.asked = values, []  # type: list[str]

    def __call__(self, flow_id: str, expr: Expression) -> bool:
        self.asked.append(flow_id)
        return self.values[flow_id]


def never_asked() -> bool:
    raise AssertionError("the rule must not be consulted here")


def gateway(kind: str, outgoing: list[str], default: str | None = None) -> Gateway:
    return Gateway(id="g", gateway=kind, outgoing=outgoing, default_flow=default)  # type: ignore[arg-type]


def test_exclusive_takes_the_first_that_holds_and_stops_there() -> None:
    graph = flows(("a", "x > 1"), ("b", "x > 0"), ("c", "true"))
    holds = Conditions(a=False, b=True, c=True)
    node = gateway("exclusive", ["a", "b", "c"])
    assert choose_flows(node, graph, holds, sink_ends=never_asked) == ["b"]
    assert holds.asked == ["a", "b"]


def test_exclusive_falls_back_to_the_default_then_to_an_incident() -> None:
    graph = flows(("a", "x > 1"), ("d", None))
    node = gateway("exclusive", ["a", "d"], default="d")
    assert choose_flows(node, graph, Conditions(a=False), sink_ends=never_asked) == ["d"]
    without_default = gateway("exclusive", ["a"])
    with pytest.raises(Incident, match="exclusive gateway"):
        choose_flows(without_default, graph, Conditions(a=False), sink_ends=never_asked)


def test_inclusive_takes_every_flow_that_holds_else_the_default() -> None:
    graph = flows(("a", "x > 1"), ("b", None), ("c", "y"), ("d", None))
    node = gateway("inclusive", ["a", "b", "c", "d"], default="d")
    assert choose_flows(node, graph, Conditions(a=True, c=False), sink_ends=never_asked) == [
        "a",
        "b",
    ]
    only_conditional = gateway("inclusive", ["a", "c", "d"], default="d")
    holds = Conditions(a=False, c=False)
    assert choose_flows(only_conditional, graph, holds, sink_ends=never_asked) == ["d"]
    no_default = gateway("inclusive", ["a", "c"])
    with pytest.raises(Incident, match="inclusive gateway"):
        choose_flows(no_default, graph, Conditions(a=False, c=False), sink_ends=never_asked)


def test_parallel_takes_all_and_event_based_none() -> None:
    graph = flows(("a", None), ("b", None))
    assert choose_flows(
        gateway("parallel", ["a", "b"]), graph, Conditions(), sink_ends=never_asked
    ) == [
        "a",
        "b",
    ]
    assert (
        choose_flows(gateway("eventBased", ["a", "b"]), graph, Conditions(), sink_ends=never_asked)
        == []
    )


def test_a_gateway_without_outgoing_flows_ends_the_token_when_the_rule_holds() -> None:
    asked: list[bool] = []

    def sink_rule() -> bool:
        asked.append(True)
        return True

    assert choose_flows(gateway("exclusive", []), {}, Conditions(), sink_ends=sink_rule) == []
    assert asked == [True]
    with pytest.raises(Incident):  # runs recorded before the rule parked an incident
        choose_flows(gateway("exclusive", []), {}, Conditions(), sink_ends=lambda: False)


def test_a_task_takes_its_unconditional_and_holding_flows() -> None:
    graph = flows(("a", None), ("b", "ok"), ("c", "no"))
    node = Task(id="t", outgoing=["a", "b", "c"])
    holds = Conditions(b=True, c=False)
    assert choose_flows(node, graph, holds, sink_ends=never_asked) == ["a", "b"]


def test_catch_rank_by_code_then_by_reference() -> None:
    coded = ErrorEventDefinition(error_code="E1")
    catch_all = ErrorEventDefinition()
    by_ref = ErrorEventDefinition(error_ref="err-x")
    assert catch_rank(coded, BpmnThrow("error", "E1"), by_reference=never_asked) == 2
    assert catch_rank(coded, BpmnThrow("error", "E2"), by_reference=never_asked) == 0
    assert catch_rank(catch_all, BpmnThrow("error", "E1"), by_reference=never_asked) == 1
    codeless = BpmnThrow("error", None, ref="err-x")
    assert catch_rank(by_ref, codeless, by_reference=never_asked) == 2
    assert catch_rank(catch_all, codeless, by_reference=lambda: True) == 1
    # before the rule every code-less catcher was an exact match
    assert catch_rank(catch_all, codeless, by_reference=lambda: False) == 2
    escalation = EscalationEventDefinition(escalation_code="late")
    assert catch_rank(escalation, BpmnThrow("escalation", "late"), by_reference=never_asked) == 2
