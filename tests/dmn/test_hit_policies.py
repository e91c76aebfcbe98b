"""Decision tables under every hit policy: which rules match and what the table gives."""

from __future__ import annotations

import pytest

from dmn import evaluate, parse
from tests.dmn.dmn_fixtures import table

RULES = [("&lt; 10", "1"), ("&lt; 20", "2"), ("&lt; 30", "3"), ("&gt; 100", "4")]


def run(policy: str, x: int, **kwargs: object) -> tuple[object, list[str], list[dict[str, object]]]:
    model = parse(table(policy, kwargs.pop("rules", RULES), **kwargs))  # type: ignore[arg-type]
    result = evaluate(model, "d", {"x": x})
    return result.value, result.matched_rules, result.rule_results


def test_unique_gives_the_one_match_and_null_for_several() -> None:
    assert run("UNIQUE", 25)[:2] == (3, ["r3"])
    value, matched, rows = run("UNIQUE", 5)
    assert value is None and matched == ["r1", "r2", "r3"] and rows == []


def test_first_takes_the_first_match_in_rule_order() -> None:
    assert run("FIRST", 15) == (2, ["r2", "r3"], [{"out": 2}])


def test_any_needs_equal_outputs() -> None:
    same = [("&lt; 10", '"a"'), ("&lt; 20", '"a"')]
    assert run("ANY", 5, rules=same, type_ref="string")[0] == "a"
    differ = [("&lt; 10", '"a"'), ("&lt; 20", '"b"')]
    assert run("ANY", 5, rules=differ, type_ref="string")[0] is None


def test_priority_and_output_order_follow_the_output_values() -> None:
    rules = [("&lt; 10", '"low"'), ("&lt; 20", '"high"'), ("&lt; 30", '"mid"')]
    kwargs = {"rules": rules, "type_ref": "string", "output_values": '"high","mid","low"'}
    assert run("PRIORITY", 5, **kwargs)[0] == "high"
    assert run("OUTPUT ORDER", 5, **kwargs)[0] == ["high", "mid", "low"]


def test_rule_order_and_collect_list_every_match() -> None:
    assert run("RULE ORDER", 5)[0] == [1, 2, 3]
    assert sorted(run("COLLECT", 15)[0]) == [2, 3]  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("aggregation", "expected"), [("SUM", 6), ("MIN", 1), ("MAX", 3), ("COUNT", 3)]
)
def test_collect_aggregations(aggregation: str, expected: int) -> None:
    value, matched, rows = run("COLLECT", 5, aggregation=aggregation)
    assert value == expected
    assert matched == ["r1", "r2", "r3"]
    assert rows == [{"out": expected}]  # the aggregation is one rule result


def test_no_match_gives_null_or_an_empty_list_or_the_default() -> None:
    assert run("UNIQUE", 50)[0] is None
    assert run("COLLECT", 50)[0] == []
    assert run("COLLECT", 50, aggregation="SUM")[0] is None
    assert run("UNIQUE", 50, default="99")[0] == 99


def test_several_outputs_give_a_context_per_rule() -> None:
    rules = [("&lt; 10", '"a"', "1"), ("&lt; 20", '"b"', "2")]
    model = parse(table("RULE ORDER", rules, outputs=("s", "n"), type_ref="Any"))
    result = evaluate(model, "d", {"x": 5})
    assert result.value == [{"s": "a", "n": 1}, {"s": "b", "n": 2}]
    assert result.rule_results == [{"s": "a", "n": 1}, {"s": "b", "n": 2}]
    assert model.decisions["d"].output_names == ["s", "n"]
    assert model.decisions["d"].hit_policy == "RULE ORDER"


def test_cells_with_lists_ranges_negation_and_any() -> None:
    rules = [("not(1, 2)", "1"), ("[3..5]", "2"), ("6, 7", "3"), ("-", "4")]
    assert run("FIRST", 4, rules=rules)[0] == 1
    assert run("FIRST", 1, rules=rules)[0] == 4
    assert run("RULE ORDER", 4, rules=rules)[0] == [1, 2, 4]
    assert run("RULE ORDER", 7, rules=rules)[0] == [1, 3, 4]
