"""The immutable syntax tree of JUEL expressions.

Nodes are frozen, slotted dataclasses so a parsed expression can be cached and shared
between workflow tasks (and threads) without copying. Every node records ``pos``, the
0-based offset in the source text, for error messages, and ``depth``, the height of its
subtree: the parser refuses trees higher than the depth limit, which is what keeps the
recursive evaluator away from Python's recursion limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    pos: int
    depth: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """``1``, ``1.5``, ``'text'``, ``true``, ``null``; ``value`` is int/float/str/bool/None."""

    value: Any


@dataclass(frozen=True, slots=True)
class Identifier(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``target.name`` (``key`` is a string :class:`Literal`) or ``target[key]``."""

    target: Node
    key: Node


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """``target.name(args)``: only whitelisted methods of the target's type run."""

    target: Node
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class FunctionCall(Node):
    """``name(args)``: Camunda's built-in functions such as ``dateTime()``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``op`` is ``-``, ``!`` or ``empty``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """``op`` is the canonical symbol: word operators (``and``, ``div``...) are mapped."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node
