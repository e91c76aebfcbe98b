"""Vendor extensions: Camunda 7 (``camunda:``, also bound to the Activiti URI) and Zeebe.

Both dialects may appear in one file; each reader looks only at its own namespace URIs.
"""

from __future__ import annotations

import re

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.ir import Expression

_CAMUNDA_URIS = (ns.CAMUNDA, ns.ACTIVITI)
_JUEL = re.compile(r"[$#]\{")
_RETRY_CYCLE = re.compile(r"^R(\d+)/")


def camunda_attr(el: etree._Element, local: str) -> str | None:
    """A ``camunda:`` attribute, whichever of the accepted URIs the file bound it to."""
    for uri in _CAMUNDA_URIS:
        value = el.get(ns.q(uri, local))
        if value is not None:
            return value.strip()
    return None


def extension(el: etree._Element, uri: str, local: str) -> etree._Element | None:
    """The first ``<extensionElements>`` child of ``el`` named ``{uri}local``."""
    for ext in el.iterchildren(ns.q(ns.BPMN, "extensionElements")):
        found = ext.find(ns.q(uri, local))
        if found is not None:
            return found
    return None


def camunda_extension(el: etree._Element, local: str) -> etree._Element | None:
    for uri in _CAMUNDA_URIS:
        found = extension(el, uri, local)
        if found is not None:
            return found
    return None


def juel_or_literal(text: str) -> Expression:
    """Camunda 7 values: ``${…}``/``#{…}`` is JUEL, anything else a literal."""
    text = text.strip()
    return Expression(language="juel" if _JUEL.search(text) else "literal", source=text)


def feel_or_literal(text: str) -> Expression:
    """Zeebe values: a leading ``=`` makes the rest a FEEL expression."""
    text = text.strip()
    if text.startswith("="):
        return Expression(language="feel", source=text[1:].strip())
    return Expression(language="literal", source=text)


def camunda_list(text: str | None) -> list[Expression]:
    """Comma-separated candidates; a list that contains an expression stays one expression."""
    if not text:
        return []
    if _JUEL.search(text):
        return [juel_or_literal(text)]
    return [Expression(language="literal", source=p.strip()) for p in text.split(",") if p.strip()]


def zeebe_list(text: str | None) -> list[Expression]:
    if not text:
        return []
    if text.strip().startswith("="):
        return [feel_or_literal(text)]
    return [Expression(language="literal", source=p.strip()) for p in text.split(",") if p.strip()]


def camunda_retries(el: etree._Element) -> int | None:
    """Attempts from ``camunda:failedJobRetryTimeCycle`` (``R5/PT1M`` → 5)."""
    cycle = camunda_extension(el, "failedJobRetryTimeCycle")
    if cycle is None or not cycle.text:
        return None
    match = _RETRY_CYCLE.match(cycle.text.strip())
    return int(match.group(1)) if match else None


def camunda_properties(el: etree._Element) -> dict[str, str]:
    """``camunda:properties`` name/value pairs: Camunda 7's counterpart of task headers."""
    props = camunda_extension(el, "properties")
    if props is None:
        return {}
    return {
        p.get("name", ""): p.get("value", "")
        for p in props
        if isinstance(p.tag, str) and etree.QName(p).localname == "property"
    }
