"""Evaluation of decisions: the DRG walk, boxed expressions, BKMs and decision services.

A decision sees, by name: the caller's variables (Camunda 7 tables read process variables
without declaring input data), its required input data (type-checked), the results of
its required decisions (each evaluated once per call) and its required knowledge (BKMs
and decision services, as FEEL functions). Everything is computed in FEEL values; the
public :func:`dmn.evaluate` converts to plain Python at the end.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dmn import model as m
from dmn.errors import DmnEvaluationError
from dmn.hit_policy import apply as apply_hit_policy
from dmn.itemtypes import Types, parse_text_as
from expressions.errors import LimitExceeded
from expressions.feel.evaluator import Evaluation, Scope, evaluate_in, unary_tests_match
from expressions.feel.values import DECIMAL, FeelFunction, to_feel
from expressions.limits import DEFAULT_LIMITS, Budget, Limits


@dataclass
class RawResult:
    """A decision's outcome in FEEL values (the TCK compares these exactly)."""

    value: Any
    rule_results: list[dict[str, Any]] = field(default_factory=list)
    matched_rules: list[str] = field(default_factory=list)
    required: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def find_decision(model: m.DmnModel, key: str) -> m.Decision:
    """A decision by id, or else by name."""
    decision = model.drg_decisions.get(key)
    if decision is None:
        decision = next((d for d in model.drg_decisions.values() if d.name == key), None)
    if decision is None:
        raise DmnEvaluationError(f"the model has no decision {key!r}")
    return decision


def evaluate_decision(
    model: m.DmnModel,
    decision_id: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RawResult:
    decision = find_decision(model, decision_id)
    run = Run(model, variables, now, limits)
    value = run.guarded(lambda: run.decision(decision))
    required = {model.drg_decisions[i].name: v for i, v in run.values.items() if i != decision.id}
    rule_results = run.rule_results.get(decision.id, [{decision.name: value}])
    return RawResult(
        value, rule_results, run.matched.get(decision.id, []), required, run.ev.warnings
    )


def evaluate_service(
    model: m.DmnModel,
    service_key: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> Any:
    """A decision service (by id or name) invoked with ``variables`` as its inputs."""
    service = model.services.get(service_key) or next(
        (s for s in model.services.values() if s.name == service_key), None
    )
    if service is None:
        raise DmnEvaluationError(f"the model has no decision service {service_key!r}")
    run = Run(model, variables, now, DEFAULT_LIMITS)
    return run.guarded(lambda: run.service(service, variables))


class Run:
    """One evaluation: the caller's variables, decision results so far, the budget."""

    def __init__(
        self,
        model: m.DmnModel,
        variables: Mapping[str, Any],
        now: dt.datetime | None,
        limits: Limits,
        *,
        ev: Evaluation | None = None,
        given: frozenset[str] = frozenset(),
    ) -> None:
        self.model = model
        self.types = Types(model.item_definitions)
        self.ev = ev or Evaluation(budget=Budget(limits), now=now, types=self.types.conforms)
        self.variables = {k: to_feel(v) for k, v in variables.items()}
        self.base = Scope(self.variables)
        self.given = given  # decisions whose value the caller supplies (service inputs)
        self.values: dict[str, Any] = {}
        self.active: set[str] = set()
        self.rule_results: dict[str, list[dict[str, Any]]] = {}
        self.matched: dict[str, list[str]] = {}
        self.functions: dict[str, FeelFunction] = {}

    def guarded(self, thunk: Any) -> Any:
        try:
            with decimal.localcontext(DECIMAL):
                return thunk()
        except RecursionError as exc:
            raise DmnEvaluationError("the model nests or recurses too deeply") from exc
        except LimitExceeded as exc:
            raise DmnEvaluationError(f"evaluation limit exceeded: {exc}") from exc

    def warn(self, message: str) -> None:
        if len(self.ev.warnings) < 50:
            self.ev.warnings.append(message)

    # ----------------------------------------------------------------- DRG

    def decision(self, decision: m.Decision) -> Any:
        if decision.id in self.values:
            return self.values[decision.id]
        if decision.id in self.given or decision.logic is None:
            value = self.types.coerce(self.variables.get(decision.name), decision.type_ref)
            self.values[decision.id] = value
            return value
        if decision.id in self.active:
            raise DmnEvaluationError(f"decision {decision.name!r} requires itself")
        self.active.add(decision.id)
        scope = self.base.child(self.requirements(decision))
        value = self.expr(decision.logic, scope, decision)
        self.active.discard(decision.id)
        value = self.types.coerce(value, decision.type_ref)
        self.values[decision.id] = value
        return value

    def requirements(self, decision: m.Decision) -> dict[str, Any]:
        names: dict[str, Any] = {}
        for ident in decision.required_inputs:
            data = self.model.inputs.get(ident)
            if data is not None:
                raw = parse_text_as(self.variables.get(data.name), data.type_ref)
                names[data.name] = self.types.coerce(raw, data.type_ref)
        for ident in decision.required_decisions:
            required = self.model.drg_decisions.get(ident)
            if required is not None:
                names[required.name] = self.decision(required)
        for ident in decision.required_knowledge:
            fn = self.knowledge(ident)
            if fn is not None:
                names[fn.name] = fn
        return names

    def knowledge(self, ident: str) -> FeelFunction | None:
        if ident in self.functions:
            return self.functions[ident]
        fn: FeelFunction | None = None
        if ident in self.model.bkms:
            fn = BkmFunction(self, self.model.bkms[ident])
        elif ident in self.model.services:
            fn = ServiceFunction(self, self.model.services[ident])
        if fn is not None:
            self.functions[ident] = fn
        return fn

    def service(self, service: m.DecisionService, inputs: Mapping[str, Any]) -> Any:
        """Outputs of a decision service whose inputs (input decisions and input data,
        by name) are ``inputs``; encapsulated decisions are evaluated afresh."""
        inner = Run(
            self.model,
            inputs,
            None,
            DEFAULT_LIMITS,
            ev=self.ev,
            given=frozenset(service.input_decisions),
        )
        outputs = {}
        for ident in service.outputs:
            decision = self.model.drg_decisions.get(ident)
            if decision is not None:
                outputs[decision.name] = inner.decision(decision)
        value: Any = next(iter(outputs.values())) if len(outputs) == 1 else outputs
        return self.types.coerce(value, service.type_ref)

    # --------------------------------------------------------- expressions

    def expr(self, node: m.Expr | None, scope: Scope, owner: m.Decision | None = None) -> Any:
        if node is None:
            return None
        value = _EVALUATORS[type(node)](self, node, scope, owner)
        if node.type_ref is not None and not isinstance(node, m.DecisionTable | m.FunctionDef):
            value = self.types.coerce(value, node.type_ref)
        return value

    def literal(self, node: m.Literal, scope: Scope, _owner: m.Decision | None) -> Any:
        if node.tree is None:
            if node.text.strip():
                self.warn(f"{node.language} expression {node.text!r} was not evaluated")
            return None
        return evaluate_in(node.tree, scope, self.ev)

    def context(self, node: m.Context, scope: Scope, _owner: m.Decision | None) -> Any:
        result: dict[str, Any] = {}
        inner = scope.child(result)  # later entries see earlier ones
        for entry in node.entries:
            value = self.types.coerce(self.expr(entry.value, inner), entry.type_ref)
            if entry.name is None:
                return value
            result[entry.name] = value
        return result

    def relation(self, node: m.Relation, scope: Scope, _owner: m.Decision | None) -> Any:
        return [
            {c: self.expr(cell, scope) for c, cell in zip(node.columns, row, strict=False)}
            for row in node.rows
        ]

    def list_expr(self, node: m.ListExpr, scope: Scope, _owner: m.Decision | None) -> Any:
        return [self.expr(item, scope) for item in node.items]

    def invocation(self, node: m.Invocation, scope: Scope, _owner: m.Decision | None) -> Any:
        fn = evaluate_in(node.callee, scope, self.ev)
        if not isinstance(fn, FeelFunction):
            self.warn(f"{node.callee_text!r} is not a function")
            return None
        named = {b.name: self.expr(b.value, scope) for b in node.bindings}
        return fn.invoke([], named)

    def function(self, node: m.FunctionDef, scope: Scope, _owner: m.Decision | None) -> Any:
        return DefinedFunction(self, node, scope, "anonymous")

    def conditional(self, node: m.Conditional, scope: Scope, _owner: m.Decision | None) -> Any:
        condition = self.expr(node.condition, scope)
        if condition is True:
            return self.expr(node.then, scope)
        if condition is not None and condition is not False:
            self.warn("the condition of a boxed conditional is not a boolean")
            return None
        return self.expr(node.otherwise, scope)

    def filter(self, node: m.FilterExpr, scope: Scope, _owner: m.Decision | None) -> Any:
        source = self.expr(node.source, scope)
        if source is None:
            return None
        items = source if isinstance(source, list) else [source]
        kept = []
        for item in items:
            values = {"item": item, **item} if isinstance(item, dict) else {"item": item}
            match = self.expr(node.match, scope.child(values))
            if match is True:
                kept.append(item)
            elif match is not None and match is not False:
                self.warn("the match of a boxed filter is not a boolean")
                return None
        return kept

    def iterator(self, node: m.Iterator, scope: Scope, _owner: m.Decision | None) -> Any:
        source = self.expr(node.source, scope)
        if source is None:
            return None
        items = source if isinstance(source, list) else [source]
        results = [self.expr(node.body, scope.child({node.variable: item})) for item in items]
        if node.kind == "for":
            return results
        if any(r is not None and not isinstance(r, bool) for r in results):
            self.warn(f"the condition of a boxed {node.kind} is not a boolean")
            return None
        if node.kind == "some":
            if any(r is True for r in results):
                return True
            return False if all(r is False for r in results) else None
        if any(r is False for r in results):
            return False
        return True if all(r is True for r in results) else None

    def unsupported(self, node: m.Unsupported, _scope: Scope, _owner: m.Decision | None) -> Any:
        self.warn(f"<{node.tag}> {node.element_id or ''} cannot be evaluated")
        return None

    def table(self, node: m.DecisionTable, scope: Scope, owner: m.Decision | None) -> Any:
        inputs = []
        for clause in node.inputs:
            value = self.expr(clause.expression, scope)
            allowed = clause.allowed.tests if clause.allowed is not None else None
            if (
                allowed is not None
                and unary_tests_match(allowed, value, scope, self.ev) is not True
            ):
                self.warn(f"input {clause.expression.text!r} = {value!r} is not allowed")
                return None
            inputs.append(value)
        names = _output_names(node, owner)
        matches: list[dict[str, Any]] = []
        matched_ids: list[str] = []
        for rule in node.rules:
            if self._rule_matches(node, rule, inputs, scope):
                matched_ids.append(rule.id)
                row: dict[str, Any] = {}
                for name, out, entry in zip(names, node.outputs, rule.outputs, strict=True):
                    row[name] = self._output(out, self.expr(entry, scope), scope)
                matches.append(row)
        defaults = None
        if any(o.default is not None for o in node.outputs):
            defaults = {
                name: self._output(out, self.expr(out.default, scope), scope)
                for name, out in zip(names, node.outputs, strict=True)
            }
        value, rows = apply_hit_policy(node, matches, defaults, self.warn)
        if owner is not None:
            self.rule_results[owner.id] = rows
            self.matched[owner.id] = matched_ids
        return value

    def _rule_matches(
        self, node: m.DecisionTable, rule: m.Rule, inputs: list[Any], scope: Scope
    ) -> bool:
        for clause, cell, value in zip(node.inputs, rule.inputs, inputs, strict=True):
            if cell.tests is None:
                if cell.text == "-":
                    continue
                return False  # a cell whose FEEL did not parse never matches
            bound = {"?": value, clause.input_variable or "cellInput": value}
            if unary_tests_match(cell.tests, value, scope.child(bound), self.ev) is not True:
                return False
        return True

    def _output(self, clause: m.OutputClause, value: Any, scope: Scope) -> Any:
        value = self.types.coerce(value, clause.type_ref)
        tests = clause.allowed_tests.tests if clause.allowed_tests is not None else None
        if (
            value is not None
            and tests is not None
            and unary_tests_match(tests, value, scope, self.ev) is not True
        ):
            self.warn(f"output {clause.name or ''} = {value!r} is not an allowed value")
            return None
        return value


def _output_names(node: m.DecisionTable, owner: m.Decision | None) -> list[str]:
    if len(node.outputs) == 1:
        return [node.outputs[0].name or (owner.name if owner else "result")]
    return [o.name or f"output {i + 1}" for i, o in enumerate(node.outputs)]


_EVALUATORS: dict[type, Any] = {
    m.Literal: Run.literal,
    m.Context: Run.context,
    m.Relation: Run.relation,
    m.ListExpr: Run.list_expr,
    m.Invocation: Run.invocation,
    m.FunctionDef: Run.function,
    m.Conditional: Run.conditional,
    m.FilterExpr: Run.filter,
    m.Iterator: Run.iterator,
    m.Unsupported: Run.unsupported,
    m.DecisionTable: Run.table,
}


class DefinedFunction(FeelFunction):
    """A boxed function definition (a BKM's logic, or one in a context) as a FEEL value."""

    def __init__(
        self, run: Run, node: m.FunctionDef, scope: Scope, name: str, result_type: str | None = None
    ) -> None:
        self.run = run
        self.node = node
        self.scope = scope
        self.name = name
        self.params = tuple(p.name for p in node.params)
        self.result_type = result_type

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        if self.node.kind.upper() != "FEEL":
            self.run.warn(f"{self.node.kind} functions are not supported")
            return None
        if named is not None:
            if not set(named) <= set(self.params):
                self.run.warn(
                    f"{self.name}: unknown parameters {sorted(set(named) - set(self.params))}"
                )
                return None
            values = [named.get(p) for p in self.params]
        else:
            if len(positional) != len(self.params):
                self.run.warn(f"{self.name} takes {len(self.params)} arguments")
                return None
            values = list(positional)
        bound = {
            p.name: self.run.types.coerce(v, p.type_ref)
            for p, v in zip(self.node.params, values, strict=True)
        }
        value = self.run.expr(self.node.body, self.scope.child(bound))
        value = self.run.types.coerce(value, self.node.type_ref)
        return self.run.types.coerce(value, self.result_type)


class BkmFunction(DefinedFunction):
    """A business knowledge model, callable by name; sees its own required knowledge."""

    def __init__(self, run: Run, bkm: m.Bkm) -> None:
        logic = bkm.logic or m.FunctionDef(bkm.id, None, None, (), None)
        super().__init__(run, logic, run.base, bkm.name, bkm.type_ref)
        self.bkm = bkm
        self._ready = False

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        if not self._ready:  # resolved on first call: BKMs may require each other
            self._ready = True
            knowledge = {}
            for ident in self.bkm.required_knowledge:
                fn = self.run.knowledge(ident)
                if fn is not None:
                    knowledge[fn.name] = fn
            self.scope = self.run.base.child(knowledge)
        return super().invoke(positional, named)


class ServiceFunction(FeelFunction):
    """A decision service, callable by name: parameters are its input decisions, then
    its input data."""

    def __init__(self, run: Run, service: m.DecisionService) -> None:
        self.run = run
        self.service = service
        self.name = service.name
        model = run.model
        decisions = [
            model.drg_decisions[i].name for i in service.input_decisions if i in model.drg_decisions
        ]
        data = [model.inputs[i].name for i in service.input_data if i in model.inputs]
        self.params = tuple(decisions + data)

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        if named is None:
            if len(positional) != len(self.params):
                self.run.warn(f"{self.name} takes {len(self.params)} arguments")
                return None
            named = dict(zip(self.params, positional, strict=True))
        return self.run.service(self.service, named)
