"""Shared state of one compilation: where diagnostics go and how they are worded."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.errors import Diagnostic, Severity
from bpmn_compiler.ir import Error, Escalation, Message, Signal


def local(el: etree._Element) -> str:
    """Local name of an element (``serviceTask`` for ``{BPMN}serviceTask``)."""
    return etree.QName(el).localname


def is_bpmn(el: object, name: str | None = None) -> bool:
    if not isinstance(el, etree._Element) or not isinstance(el.tag, str):
        return False
    q = etree.QName(el)
    return q.namespace == ns.BPMN and (name is None or q.localname == name)


def bpmn_children(el: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in el if is_bpmn(c, name)]


def xsd_bool(value: str | None, default: bool) -> bool:
    """An xsd:boolean attribute: ``true``/``false`` and also ``1``/``0``."""
    if value is None:
        return default
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return default


def ref(value: str | None) -> str | None:
    """An id reference; QName forms (``tns:Task_1``) keep only the local part."""
    if value is None:
        return None
    value = value.strip()
    if ":" in value and not value.startswith(("${", "#{", "=")):
        return value.rsplit(":", 1)[1]
    return value


_SUGGESTION_BUDGET = 200_000  # candidate comparisons per file: keeps bad files linear


def did_you_mean(name: str, candidates: Iterable[str], ctx: Context | None = None) -> str:
    """ " (did you mean 'x'?)" for a near miss; bounded so broken files stay fast."""
    pool = list(candidates)
    if ctx is not None:
        if ctx.suggestion_work + len(pool) > _SUGGESTION_BUDGET:
            return ""
        ctx.suggestion_work += len(pool)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class Catalog:
    """Definitions-level elements that events refer to, by id."""

    messages: dict[str, Message] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    errors: dict[str, Error] = field(default_factory=dict)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    event_definitions: dict[str, etree._Element] = field(default_factory=dict)


@dataclass
class Context:
    """Collects diagnostics for one file; knows whether the current process is executable.

    Problems that only matter for execution (a task without implementation, an element
    Baton cannot run) are errors in an executable process and warnings in one that is
    only documentation (``isExecutable="false"``), which is never deployed.
    """

    filename: str | None
    diagnostics: list[Diagnostic]
    catalog: Catalog = field(default_factory=Catalog)
    executable: bool = True
    expression_language: str | None = None  # definitions/@expressionLanguage
    suggestion_work: int = 0
    seen_ids: dict[str, str] = field(default_factory=dict)  # id → process key, file-wide

    def report(
        self,
        code: str,
        message: str,
        el: etree._Element | None = None,
        *,
        warning: bool = False,
        execution: bool = False,
    ) -> None:
        """Record a finding; ``execution=True`` marks problems that only block running."""
        severity = (
            Severity.WARNING if warning or (execution and not self.executable) else Severity.ERROR
        )
        self.diagnostics.append(
            Diagnostic(
                code=code,
                severity=severity,
                message=message,
                element_id=el.get("id") if el is not None else None,
                tag=local(el) if el is not None and isinstance(el.tag, str) else None,
                name=el.get("name") if el is not None else None,
                file=self.filename,
                line=el.sourceline if el is not None else None,
            )
        )

    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)
