"""FEEL syntax tree: immutable, so a parsed expression can be cached and shared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    position: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class TemporalLiteral(Node):
    text: str


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ContextLiteral(Node):
    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class RangeLiteral(Node):
    start: Node | None
    end: Node | None
    start_included: bool
    end_included: bool


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" | "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / ** = != < <= > >= and or
    left: Node
    right: Node


@dataclass(frozen=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True)
class UnaryTest(Node):
    """One positive unary test: ``< 5``, ``[1..3]``, ``"a"``, or ``not(…)``.

    ``op`` is a comparison operator, ``"="`` for a plain expression (equality, list
    membership or range membership depending on the value), or ``"not"`` with ``tests``.
    """

    op: str
    operand: Node | None
    tests: tuple[UnaryTest, ...] = ()


@dataclass(frozen=True)
class In(Node):
    value: Node
    tests: tuple[UnaryTest, ...]


@dataclass(frozen=True)
class InstanceOf(Node):
    value: Node
    type: TypeSpec


@dataclass(frozen=True)
class TypeSpec:
    name: str  # "number", "list", "context", "function", "range", "Any", "Null", …
    args: tuple[TypeSpec, ...] = ()
    fields: tuple[tuple[str, TypeSpec], ...] = ()
    result: TypeSpec | None = None


@dataclass(frozen=True)
class Path(Node):
    target: Node
    name: str


@dataclass(frozen=True)
class Filter(Node):
    target: Node
    condition: Node


@dataclass(frozen=True)
class Call(Node):
    callee: Node
    args: tuple[Node, ...]
    named: tuple[tuple[str, Node], ...] | None


@dataclass(frozen=True)
class FunctionDefinition(Node):
    params: tuple[str, ...]
    body: Node
    external: bool = False


@dataclass(frozen=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Iteration(Node):
    """``name in source`` of for/some/every; ``end`` set for ``a..b`` integer ranges."""

    name: str
    source: Node
    end: Node | None = None


@dataclass(frozen=True)
class For(Node):
    iterations: tuple[Iteration, ...]
    body: Node


@dataclass(frozen=True)
class Quantified(Node):
    quantifier: str  # "some" | "every"
    iterations: tuple[Iteration, ...]
    condition: Node
