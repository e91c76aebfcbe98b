"""Parse every expression of a process at deploy time, so syntax errors point at the
diagram (element id, line, offset) instead of surfacing as incidents at run time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree
from pydantic import BaseModel

from bpmn_compiler.context import Context
from bpmn_compiler.ir import Expression, Node, SequenceFlow
from expressions import ExpressionSyntaxError, compile_expression


def expressions_in(value: Any, path: str) -> Iterator[tuple[str, Expression]]:
    if isinstance(value, Expression):
        if value.language != "literal":
            yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from expressions_in(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from expressions_in(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from expressions_in(item, f"{path}[{key!r}]")


def check_expressions(
    ctx: Context,
    nodes: dict[str, Node],
    flows: dict[str, SequenceFlow],
    elements: dict[str, etree._Element],
) -> None:
    owners: list[tuple[str, BaseModel]] = [*nodes.items(), *flows.items()]
    for element_id, owner in owners:
        for where, expression in expressions_in(owner, ""):
            try:
                compile_expression(expression)
            except ExpressionSyntaxError as exc:
                ctx.report(
                    "expression-syntax",
                    f"{where}: the {expression.language.upper()} expression "
                    f"{expression.source!r} does not parse: {exc}",
                    elements.get(element_id),
                    execution=True,
                )
