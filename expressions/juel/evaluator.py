"""Tree-walking evaluation of parsed JUEL expressions.

Identifiers resolve like Camunda's ``VariableScopeElResolver``: the context objects
(``execution``, ``task``) first, then process variables; an unknown name is an error
(Camunda's ``PropertyNotFoundException``, which becomes an incident), whereas a variable
that exists with value null is simply null. Every visited node costs one budget step,
and the parser already bounded the tree height, so evaluation is bounded in time and
Python stack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from expressions.errors import EvaluationError, ExpressionError, LimitExceeded
from expressions.juel.context import JuelDateTime
from expressions.juel.methods import Call, spec_for
from expressions.juel.nodes import (
    Binary,
    Conditional,
    FunctionCall,
    Identifier,
    Literal,
    Member,
    MethodCall,
    Node,
    Unary,
)
from expressions.juel.values import (
    Fault,
    arithmetic,
    equals,
    is_empty,
    negate,
    relational,
    to_boolean,
    to_int,
    to_string,
    type_name,
)
from expressions.limits import Budget


class Evaluator:
    """Evaluates the nodes of one expression against one set of variables."""

    __slots__ = ("call", "source", "specials", "variables")

    def __init__(
        self,
        source: str,
        variables: Mapping[str, Any],
        specials: Mapping[str, Any],
        budget: Budget,
        now: dt.datetime | None,
    ) -> None:
        self.source = source
        self.variables = variables
        self.specials = specials
        self.call = Call(budget, variables, now)

    def fail(self, message: str, node: Node) -> EvaluationError:
        return EvaluationError(message, source=self.source, position=node.pos)

    def eval(self, node: Node) -> Any:
        self.call.budget.step()
        try:
            return self._dispatch(node)
        except Fault as fault:
            raise self.fail(fault.message, node) from None
        except ExpressionError as err:
            if err.position is None:
                err.position = node.pos
                err.source = self.source
            raise

    def to_str(self, value: Any) -> str:
        return to_string(value, self.call.budget)

    def _dispatch(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Identifier):
            return self._identifier(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Member):
            return self._member(node)
        if isinstance(node, MethodCall):
            return self._method(node)
        if isinstance(node, Conditional):
            branch = node.then if to_boolean(self.eval(node.condition)) else node.otherwise
            return self.eval(branch)
        if isinstance(node, FunctionCall):
            return self._function(node)
        raise self.fail(f"unknown node {type(node).__name__}", node)  # pragma: no cover

    def _identifier(self, node: Identifier) -> Any:
        name = node.name
        if name in self.specials:
            return self.specials[name]
        if name in self.variables:
            return self.variables[name]
        raise self.fail(f"unknown variable '{name}'", node)

    def _binary(self, node: Binary) -> Any:
        op = node.op
        if op == "&&":
            return to_boolean(self.eval(node.left)) and to_boolean(self.eval(node.right))
        if op == "||":
            return to_boolean(self.eval(node.left)) or to_boolean(self.eval(node.right))
        left = self.eval(node.left)
        right = self.eval(node.right)
        if op in ("+", "-", "*", "/", "%"):
            return arithmetic(op, left, right)
        if op == "==":
            return equals(left, right, self.call.budget)
        if op == "!=":
            return not equals(left, right, self.call.budget)
        return relational(op, left, right, self.call.budget)

    def _unary(self, node: Unary) -> Any:
        value = self.eval(node.operand)
        if node.op == "-":
            return negate(value)
        if node.op == "!":
            return not to_boolean(value)
        return is_empty(value)

    def _member(self, node: Member) -> Any:
        """``a.b`` / ``a[b]`` (EL 2.2 section 1.6): a null base or key gives null; maps
        look the key up (missing is null), lists take an index (out of range is null),
        other values only have the properties their type whitelists."""
        base = self.eval(node.target)
        key = self.eval(node.key)
        if base is None or key is None:
            return None
        if isinstance(base, dict):
            try:
                return base.get(key)
            except TypeError:  # unhashable key, e.g. a list: no such entry
                return None
        if isinstance(base, list | tuple):
            if isinstance(key, bool):
                raise self.fail("cannot use a Boolean as a list index", node.key)
            index = to_int(key)
            return base[index] if 0 <= index < len(base) else None
        name = self.to_str(key)
        spec = spec_for(base)
        if spec is None or name not in spec.properties:
            raise self.fail(f"property '{name}' not found on type {_type_label(base)}", node)
        return spec.properties[name](base)

    def _method(self, node: MethodCall) -> Any:
        base = self.eval(node.target)
        if base is None:
            raise self.fail(f"cannot call '{node.name}()': the value it is called on is null", node)
        args = tuple(self.eval(arg) for arg in node.args)
        spec = spec_for(base)
        if spec is None or node.name not in spec.methods:
            raise self.fail(
                f"method '{node.name}' is not available on type {_type_label(base)}", node
            )
        return spec.methods[node.name](base, args, self.call)

    def _function(self, node: FunctionCall) -> Any:
        """Camunda's built-in functions ``now()`` and ``dateTime()``. The current time
        is an input, not read from the clock, so evaluation stays deterministic (and
        replayable inside a Temporal workflow)."""
        if node.name not in ("now", "dateTime"):
            raise self.fail(f"unknown function '{node.name}'", node)
        if node.args:
            raise self.fail(f"function '{node.name}' takes no arguments", node)
        now = self.call.now
        if now is None:
            raise self.fail(
                f"'{node.name}()' needs the current time, but none was given (now=...)", node
            )
        return now if node.name == "now" else JuelDateTime(now)


def _type_label(value: Any) -> str:
    spec = spec_for(value)
    return spec.name if spec is not None else type_name(value)


def run(
    source: str,
    parts: tuple[str | Node, ...],
    variables: Mapping[str, Any],
    specials: Mapping[str, Any],
    budget: Budget,
    now: dt.datetime | None,
) -> Any:
    """Evaluates a composite: a lone block yields its raw value, anything else the
    concatenation of the text parts and the blocks' values coerced to strings."""
    evaluator = Evaluator(source, variables, specials, budget, now)
    try:
        if len(parts) == 1 and not isinstance(parts[0], str):
            return evaluator.eval(parts[0])
        pieces: list[str] = []
        size = 0
        for part in parts:
            piece = part if isinstance(part, str) else evaluator.to_str(evaluator.eval(part))
            size += len(piece)
            budget.string(size)
            pieces.append(piece)
        return "".join(pieces)
    except RecursionError:
        raise LimitExceeded("evaluation nested too deeply", source=source, position=None) from None
