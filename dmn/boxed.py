"""Boxed expressions in DMN XML to the model: literal expressions, contexts, relations,
lists, invocations, function definitions, decision tables and the DMN 1.4+ conditional,
filter and iterator boxes.

FEEL text is parsed here, once; a syntax error is an error diagnostic naming the element
and line, so a broken cell is found when the model is deployed, not when a rule fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from dmn import model as m
from dmn.errors import Diagnostic, Severity
from expressions.errors import ExpressionSyntaxError
from expressions.feel import ast
from expressions.feel.parser import parse as parse_feel
from expressions.feel.parser import parse_unary_tests

CAMUNDA_NS = "http://camunda.org/schema/1.0/dmn"
HIT_POLICIES = frozenset(
    {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
)
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
#: expressionLanguage values that mean FEEL (any DMN version's FEEL URI, or none).
_FEEL_URI_PART = ("/FEEL/", "feel")

_Element = etree._Element


def local(el: _Element) -> str:
    """An element's tag without namespace (DMN 1.1 to 1.5 differ only there)."""
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def line_of(el: _Element) -> int | None:
    """lxml's ``sourceline`` (its stubs give it no usable type)."""
    value: Any = el.sourceline
    return value if isinstance(value, int) else None


def children(el: _Element, name: str | None = None) -> list[_Element]:
    return [c for c in el if isinstance(c.tag, str) and (name is None or local(c) == name)]


def child(el: _Element, name: str) -> _Element | None:
    found = children(el, name)
    return found[0] if found else None


def text_of(el: _Element | None) -> str | None:
    """The ``<text>`` of an element (None without one)."""
    if el is None:
        return None
    node = child(el, "text")
    return None if node is None else (node.text or "")


@dataclass
class Reader:
    """Shared state while reading one document: names FEEL must know, findings."""

    names: frozenset[str]
    file: str | None
    language: str | None = None  # the definitions' expressionLanguage
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, message: str, el: _Element | None, *, error: bool = True) -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                severity=Severity.ERROR if error else Severity.WARNING,
                message=message,
                element_id=el.get("id") if el is not None else None,
                tag=local(el) if el is not None else None,
                name=el.get("name") if el is not None else None,
                file=self.file,
                line=line_of(el) if el is not None else None,
            )
        )

    # ------------------------------------------------------------------ FEEL

    def feel(self, source: str, el: _Element) -> ast.Node | None:
        try:
            return parse_feel(source, self.names)
        except ExpressionSyntaxError as exc:
            self.report("DMN-FEEL-SYNTAX", f"{exc} in {source.strip()!r}", el)
            return None

    def tests(self, source: str | None, el: _Element) -> m.UnaryTests:
        text = (source or "").strip()
        if not text:
            return m.UnaryTests("-", None)
        try:
            return m.UnaryTests(text, parse_unary_tests(text, self.names))
        except ExpressionSyntaxError as exc:
            self.report("DMN-FEEL-SYNTAX", f"{exc} in {text!r}", el)
            return m.UnaryTests(text, None)

    def is_feel(self, el: _Element) -> bool:
        language = el.get("expressionLanguage") or self.language
        return language is None or any(p in language for p in _FEEL_URI_PART)

    # ----------------------------------------------------------- expressions

    def expression_in(self, el: _Element) -> m.Expr | None:
        """The first boxed expression among ``el``'s children."""
        for c in children(el):
            if local(c) in _KINDS:
                return self.expression(c)
        return None

    def expression(self, el: _Element) -> m.Expr:
        return _KINDS[local(el)](self, el)

    def literal(self, el: _Element, type_ref: str | None = None) -> m.Literal:
        text = text_of(el) or ""
        ref = el.get("typeRef") or type_ref
        if not text.strip():
            return m.Literal(el.get("id"), line_of(el), ref, text, None)
        if not self.is_feel(el):
            language = el.get("expressionLanguage") or self.language or ""
            self.report(
                "DMN-LANGUAGE",
                f"expression language {language!r} is not supported (FEEL only)",
                el,
                error=False,
            )
            return m.Literal(el.get("id"), line_of(el), ref, text, None, language)
        return m.Literal(el.get("id"), line_of(el), ref, text, self.feel(text, el))

    def context(self, el: _Element) -> m.Context:
        entries = []
        for entry in children(el, "contextEntry"):
            variable = child(entry, "variable")
            value = self.expression_in(entry)
            name = variable.get("name") if variable is not None else None
            ref = variable.get("typeRef") if variable is not None else None
            entries.append(m.ContextEntry(name, ref, value))
        return m.Context(el.get("id"), line_of(el), el.get("typeRef"), tuple(entries))

    def relation(self, el: _Element) -> m.Relation:
        columns = tuple(c.get("name") or "" for c in children(el, "column"))
        rows = []
        for row in children(el, "row"):
            cells = tuple(self.expression(c) for c in children(row) if local(c) in _KINDS)
            if len(cells) != len(columns):
                self.report("DMN-RELATION", "a row has not one cell per column", row)
            rows.append(cells)
        return m.Relation(el.get("id"), line_of(el), el.get("typeRef"), columns, tuple(rows))

    def list_expr(self, el: _Element) -> m.ListExpr:
        items = tuple(self.expression(c) for c in children(el) if local(c) in _KINDS)
        return m.ListExpr(el.get("id"), line_of(el), el.get("typeRef"), items)

    def invocation(self, el: _Element) -> m.Expr:
        callee = child(el, "literalExpression")
        text = (text_of(callee) or "").strip()
        tree = self.feel(text, callee) if callee is not None and text else None
        if tree is None:
            if not text:
                self.report("DMN-INVOCATION", "the invocation names no function", el)
            return m.Unsupported(el.get("id"), line_of(el), el.get("typeRef"), "invocation")
        bindings = []
        for binding in children(el, "binding"):
            parameter = child(binding, "parameter")
            name = parameter.get("name") if parameter is not None else None
            if not name:
                self.report("DMN-INVOCATION", "a binding names no parameter", binding)
                continue
            bindings.append(m.Binding(name, self.expression_in(binding)))
        return m.Invocation(
            el.get("id"), line_of(el), el.get("typeRef"), tree, text, tuple(bindings)
        )

    def function(self, el: _Element) -> m.FunctionDef:
        params = tuple(
            m.Parameter(p.get("name") or "", p.get("typeRef"))
            for p in children(el, "formalParameter")
        )
        kind = el.get("kind") or "FEEL"
        body = self.expression_in(el)
        return m.FunctionDef(el.get("id"), line_of(el), el.get("typeRef"), params, body, kind)

    def _part(self, el: _Element, name: str) -> m.Expr | None:
        part = child(el, name)
        return self.expression_in(part) if part is not None else None

    def conditional(self, el: _Element) -> m.Conditional:
        return m.Conditional(
            el.get("id"),
            line_of(el),
            el.get("typeRef"),
            self._part(el, "if"),
            self._part(el, "then"),
            self._part(el, "else"),
        )

    def filter(self, el: _Element) -> m.FilterExpr:
        return m.FilterExpr(
            el.get("id"),
            line_of(el),
            el.get("typeRef"),
            self._part(el, "in"),
            self._part(el, "match"),
        )

    def iterator(self, el: _Element) -> m.Iterator:
        kind = local(el)
        body = self._part(el, "return" if kind == "for" else "satisfies")
        return m.Iterator(
            el.get("id"),
            line_of(el),
            el.get("typeRef"),
            kind,
            el.get("iteratorVariable") or "item",
            self._part(el, "in"),
            body,
        )

    def decision_table(self, el: _Element) -> m.Expr:
        from dmn.tables import read_table

        return read_table(self, el)


_KINDS: dict[str, Callable[[Reader, _Element], m.Expr]] = {
    "literalExpression": Reader.literal,
    "context": Reader.context,
    "relation": Reader.relation,
    "list": Reader.list_expr,
    "invocation": Reader.invocation,
    "functionDefinition": Reader.function,
    "decisionTable": Reader.decision_table,
    "conditional": Reader.conditional,
    "filter": Reader.filter,
    "for": Reader.iterator,
    "some": Reader.iterator,
    "every": Reader.iterator,
}
EXPRESSION_KINDS = frozenset(_KINDS)
