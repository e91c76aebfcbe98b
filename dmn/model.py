"""The parsed DMN model: public summaries (:class:`DmnModel`, :class:`DecisionInfo`,
:class:`DecisionResult`) and the immutable intermediate representation the evaluator walks.

Everything here is a frozen dataclass built once by :func:`dmn.parse`: a model can be
cached and shared between threads and workflow runs, and FEEL text is parsed once, at
parse time (its syntax errors are diagnostics then, never surprises during evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dmn.errors import Diagnostic
from expressions.feel import ast

# ------------------------------------------------------------ boxed expressions


@dataclass(frozen=True)
class Expr:
    """A boxed expression; ``type_ref`` is the declared type of its value, if any."""

    element_id: str | None
    line: int | None
    type_ref: str | None


@dataclass(frozen=True)
class Literal(Expr):
    text: str
    tree: ast.Node | None  # None: empty text (null), or an unsupported language
    language: str = "feel"


@dataclass(frozen=True)
class ContextEntry:
    name: str | None  # None: the final, unnamed entry giving the context's result
    type_ref: str | None
    value: Expr | None


@dataclass(frozen=True)
class Context(Expr):
    entries: tuple[ContextEntry, ...]


@dataclass(frozen=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Relation(Expr):
    columns: tuple[str, ...]
    rows: tuple[tuple[Expr | None, ...], ...]


@dataclass(frozen=True)
class Binding:
    name: str
    value: Expr | None


@dataclass(frozen=True)
class Invocation(Expr):
    callee: ast.Node  # usually a name; the text of the <text> in the invocation
    callee_text: str
    bindings: tuple[Binding, ...]


@dataclass(frozen=True)
class Parameter:
    name: str
    type_ref: str | None


@dataclass(frozen=True)
class FunctionDef(Expr):
    params: tuple[Parameter, ...]
    body: Expr | None
    kind: str = "FEEL"  # FEEL | Java | PMML


@dataclass(frozen=True)
class Conditional(Expr):
    condition: Expr | None
    then: Expr | None
    otherwise: Expr | None


@dataclass(frozen=True)
class FilterExpr(Expr):
    source: Expr | None
    match: Expr | None


@dataclass(frozen=True)
class Iterator(Expr):
    kind: str  # "for" | "some" | "every"
    variable: str
    source: Expr | None
    body: Expr | None


@dataclass(frozen=True)
class UnaryTests:
    """A decision table cell or an allowed-values list: ``-`` (any) when ``tests`` is None."""

    text: str
    tests: tuple[ast.UnaryTest, ...] | None
    negated: bool = False


@dataclass(frozen=True)
class InputClause:
    id: str | None
    label: str | None
    expression: Literal
    allowed: UnaryTests | None
    type_ref: str | None
    input_variable: str | None = None  # camunda:inputVariable (default "cellInput")


@dataclass(frozen=True)
class OutputClause:
    id: str | None
    name: str | None
    type_ref: str | None
    allowed: tuple[Any, ...] | None  # the output values, FEEL values in priority order
    allowed_tests: UnaryTests | None
    default: Expr | None


@dataclass(frozen=True)
class Rule:
    id: str
    line: int | None
    inputs: tuple[UnaryTests, ...]
    outputs: tuple[Expr, ...]


@dataclass(frozen=True)
class DecisionTable(Expr):
    inputs: tuple[InputClause, ...]
    outputs: tuple[OutputClause, ...]
    rules: tuple[Rule, ...]
    hit_policy: str  # UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER
    aggregation: str | None  # SUM, MIN, MAX, COUNT (COLLECT only)


@dataclass(frozen=True)
class Unsupported(Expr):
    """A boxed expression Baton cannot evaluate; evaluates to null with a warning."""

    tag: str


# ----------------------------------------------------------------- item types


@dataclass(frozen=True)
class ItemDefinition:
    name: str
    type_ref: str | None
    is_collection: bool
    allowed: UnaryTests | None
    components: tuple[ItemDefinition, ...] | None  # None: not a structure
    function: tuple[tuple[str | None, ...], str | None] | None = None  # (param types, result)


# ---------------------------------------------------------------- DRG elements


@dataclass(frozen=True)
class InputData:
    id: str
    name: str
    type_ref: str | None


@dataclass(frozen=True)
class Decision:
    id: str
    name: str
    line: int | None
    type_ref: str | None
    logic: Expr | None
    required_decisions: tuple[str, ...]
    required_inputs: tuple[str, ...]
    required_knowledge: tuple[str, ...]
    version_tag: str | None = None


@dataclass(frozen=True)
class Bkm:
    id: str
    name: str
    logic: FunctionDef | None
    required_knowledge: tuple[str, ...]
    type_ref: str | None = None


@dataclass(frozen=True)
class DecisionService:
    id: str
    name: str
    outputs: tuple[str, ...]
    encapsulated: tuple[str, ...]
    input_decisions: tuple[str, ...]
    input_data: tuple[str, ...]
    type_ref: str | None = None


# ------------------------------------------------------------------ public API


@dataclass(frozen=True)
class DecisionInfo:
    """What a caller needs to know about one decision, without evaluating it."""

    id: str
    name: str
    version_tag: str | None
    kind: str  # decisionTable | literalExpression | context | invocation | relation | list …
    required: list[str]  # ids of the decisions it requires directly
    output_names: list[str]
    hit_policy: str | None  # decision tables only, e.g. "UNIQUE" or "COLLECT SUM"


@dataclass(frozen=True)
class DmnModel:
    """A parsed, validated DMN model; immutable, so it can be cached and shared."""

    namespace: str
    name: str
    decisions: dict[str, DecisionInfo]
    diagnostics: list[Diagnostic]
    resource_name: str = ""
    # the intermediate representation (internal; keyed by id)
    drg_decisions: dict[str, Decision] = field(default_factory=dict, repr=False)
    inputs: dict[str, InputData] = field(default_factory=dict, repr=False)
    bkms: dict[str, Bkm] = field(default_factory=dict, repr=False)
    services: dict[str, DecisionService] = field(default_factory=dict, repr=False)
    item_definitions: dict[str, ItemDefinition] = field(default_factory=dict, repr=False)

    def decision_by_name(self, name: str) -> DecisionInfo | None:
        """The decision called ``name`` (names are what FEEL and the TCK use)."""
        return next((d for d in self.decisions.values() if d.name == name), None)


@dataclass(frozen=True)
class DecisionResult:
    """The outcome of :func:`dmn.evaluate` (plain Python values, None = null)."""

    value: Any
    rule_results: list[dict[str, Any]]
    matched_rules: list[str]
    required: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
