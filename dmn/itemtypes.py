"""Item definitions and the DMN type checks on values crossing a typed boundary.

DMN checks a value against the declared ``typeRef`` wherever one is given: input data,
decision results, BKM parameters and results, context entries, decision table outputs.
What the spec says happens there (DMN 1.3 section 10.3.2.9.4) is implemented here:

* a singleton list where a non-list is expected is unwrapped to its item;
* a non-list value where a collection is expected becomes a singleton list;
* a date where a date and time is expected becomes that date at UTC midnight;
* any other value that does not conform (wrong base type, outside ``allowedValues``,
  a structure whose component has the wrong type) becomes **null**.

Unknown type names are not checked (a model may name types of an import Baton does not
resolve); they pass values through unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from dmn import model as m
from dmn.boxed import Reader, child, children, text_of
from expressions.feel import temporal
from expressions.feel.evaluator import Evaluation, Scope, unary_tests_match
from expressions.feel.values import FeelFunction, FeelRange, equals, type_name
from expressions.limits import DEFAULT_LIMITS, Budget

#: DMN and XML Schema type names → the FEEL type name values have.
BUILTIN_TYPES = {
    "number": "number",
    "decimal": "number",
    "integer": "number",
    "double": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "dateTime": "date and time",
    "date and time": "date and time",
    "dayTimeDuration": "days and time duration",
    "days and time duration": "days and time duration",
    "yearMonthDuration": "years and months duration",
    "years and months duration": "years and months duration",
    "duration": "duration",
    "context": "context",
    "list": "list",
    "range": "range",
    "function": "function",
}


def read_item_definition(reader: Reader, el: etree._Element) -> m.ItemDefinition:
    type_ref_el = child(el, "typeRef")
    type_ref = (type_ref_el.text or "").strip() if type_ref_el is not None else el.get("typeRef")
    allowed_el = child(el, "allowedValues")
    allowed = reader.tests(text_of(allowed_el), allowed_el) if allowed_el is not None else None
    components = children(el, "itemComponent")
    function_el = child(el, "functionItem")
    function = None
    if function_el is not None:
        params = tuple(p.get("typeRef") for p in children(function_el, "parameters"))
        function = (params, function_el.get("outputTypeRef"))
    return m.ItemDefinition(
        name=el.get("name") or "",
        type_ref=type_ref or None,
        is_collection=el.get("isCollection") == "true",
        allowed=allowed if allowed is not None and allowed.tests is not None else None,
        components=tuple(read_item_definition(reader, c) for c in components)
        if components
        else None,
        function=function,
    )


def normalise(type_ref: str | None) -> str | None:
    """``feel:string``, ``xsd:string`` and ``string`` alike (DMN 1.1 prefixes types)."""
    if type_ref is None:
        return None
    ref = type_ref.strip()
    if ":" in ref:
        prefix, rest = ref.split(":", 1)
        if prefix.isidentifier():
            ref = rest
    return ref or None


class Types:
    """The item definitions of one model, checking and coercing values against them."""

    def __init__(self, items: dict[str, m.ItemDefinition]) -> None:
        self.items = items

    def coerce(self, value: Any, type_ref: str | None) -> Any:
        """``value`` converted to ``type_ref`` as DMN says, or None if it does not conform."""
        ref = normalise(type_ref)
        if ref is None or ref == "Any" or value is None:
            return value
        item = self._item(ref)
        if item is not None:
            return self._coerce_item(value, item)
        base = BUILTIN_TYPES.get(ref)
        if base is None:
            return value  # an unknown name, or a FEEL type expression: not checked
        return _coerce_base(value, base)

    def conforms(self, value: Any, ref: str) -> bool | None:
        """``value instance of ref`` for an item definition: it conforms unchanged (no
        conversion needed); None when ``ref`` names no item definition."""
        if self._item(normalise(ref) or "") is None:
            return None
        if value is None:
            return False
        coerced = self.coerce(value, ref)
        return type(coerced) is type(value) and equals(coerced, value) is True

    def _item(self, ref: str) -> m.ItemDefinition | None:
        item = self.items.get(ref)
        if item is None and "." in ref:  # an import-qualified name: "imported.tType"
            item = self.items.get(ref.rsplit(".", 1)[-1])
        return item

    def _coerce_item(self, value: Any, item: m.ItemDefinition) -> Any:
        if item.is_collection:
            if not isinstance(value, list):
                value = [value]
            single = m.ItemDefinition(
                item.name, item.type_ref, False, item.allowed, item.components, item.function
            )
            items = [self._coerce_item(v, single) if v is not None else None for v in value]
            if any(v is None and o is not None for v, o in zip(items, value, strict=True)):
                return None
            return items
        if isinstance(value, list) and len(value) == 1 and not self._is_list_type(item):
            value = value[0]
            if value is None:
                return None
        if item.components is not None:
            if not isinstance(value, dict):
                return None
            for component in item.components:
                if component.name in value and value[component.name] is not None:
                    coerced = self._coerce_item(value[component.name], component)
                    if coerced is None:
                        return None
            value_out = value
        elif item.function is not None:
            return value if isinstance(value, FeelFunction) else None
        elif item.type_ref is not None:
            value_out = self.coerce(value, item.type_ref)
            if value_out is None:
                return None
        else:
            value_out = value
        if item.allowed is not None and item.allowed.tests is not None:
            ev = Evaluation(budget=Budget(DEFAULT_LIMITS))
            if unary_tests_match(item.allowed.tests, value_out, Scope({}), ev) is not True:
                return None
        return value_out

    def _is_list_type(self, item: m.ItemDefinition) -> bool:
        if item.is_collection:
            return True
        ref = normalise(item.type_ref)
        if ref is None:
            return False
        if ref == "list" or ref.startswith("list<"):
            return True
        inner = self._item(ref)
        return inner is not None and inner is not item and self._is_list_type(inner)


def _coerce_base(value: Any, base: str) -> Any:
    if base == "list":
        return value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
        if value is None:
            return None
    actual = type_name(value)
    if actual == base:
        return value
    if base == "duration" and actual in ("days and time duration", "years and months duration"):
        return value
    if base == "date and time" and actual == "date":
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if base == "range" and isinstance(value, FeelRange):
        return value
    return None


def parse_text_as(value: Any, type_ref: str | None) -> Any:
    """Baton keeps dates and durations of process variables as ISO text: a string where
    the input's type says temporal is parsed (unchanged if it does not parse)."""
    base = BUILTIN_TYPES.get(normalise(type_ref) or "")
    if not isinstance(value, str) or base is None:
        return value
    parser = {
        "date": temporal.parse_date,
        "time": temporal.parse_time,
        "date and time": temporal.parse_date_and_time,
        "days and time duration": temporal.parse_duration,
        "years and months duration": temporal.parse_duration,
        "duration": temporal.parse_duration,
    }.get(base)
    if parser is None:
        return value
    try:
        parsed = parser(value)
    except (ValueError, ArithmeticError):
        return value
    return value if parsed is None else parsed
