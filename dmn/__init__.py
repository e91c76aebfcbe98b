"""DMN 1.1 to 1.5 decisions evaluated on Baton's FEEL engine (Camunda 7's dialect included).

Parse once, evaluate many times::

    from dmn import parse, evaluate
    model = parse(xml_bytes, resource_name="dish.dmn")   # DmnError(diagnostics) if invalid
    result = evaluate(model, "dish", {"season": "Fall", "guestCount": 8})
    result.value, result.rule_results, result.matched_rules, result.required

The package is pure and deterministic, so it runs inside the Temporal workflow sandbox:
it imports only the standard library, lxml and :mod:`expressions.feel`; it reads no clock
(``now()``/``today()`` answer from the ``now`` the caller passes), no files, no randomness.

Values in and out are the plain Python values Baton keeps in process variables:

=====================  ============================  ====================================
FEEL type              passed in as                  returned as
=====================  ============================  ====================================
null                   ``None``                      ``None``
number                 ``int``, ``float``, Decimal   ``int`` when integral, else ``float``
string, boolean        ``str``, ``bool``             ``str``, ``bool``
date                   ``datetime.date``             ``datetime.date``
time                   ``datetime.time``             ``datetime.time``
date and time          ``datetime.datetime``         ``datetime.datetime``
durations              FEEL duration values, or ISO  ISO-8601 text (``"P1Y2M"``,
                       text where the input's type   ``"PT1H"``)
                       says duration
list, context          ``list``, ``dict``            ``list``, ``dict`` (recursively)
range, function        (none)                        ``None`` (no plain form)
=====================  ============================  ====================================

A string given for an input data whose ``typeRef`` is a date, time, date and time or a
duration is parsed as such (Baton stores those as text); any other value that does not
conform to the declared type becomes null, as the DMN spec says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from dmn.engine import evaluate_decision
from dmn.errors import Diagnostic as Diagnostic
from dmn.errors import DmnError, DmnEvaluationError, Severity
from dmn.model import DecisionInfo, DecisionResult, DmnModel
from dmn.reader import read_model
from expressions.feel.values import to_python

__all__ = [
    "DecisionInfo",
    "DecisionResult",
    "Diagnostic",
    "DmnError",
    "DmnEvaluationError",
    "DmnModel",
    "Severity",
    "evaluate",
    "json_value",
    "parse",
]


def parse(xml: bytes | str, *, resource_name: str = "") -> DmnModel:
    """Parse and validate a DMN document; raises :class:`DmnError` with diagnostics (each
    with element id and source line) when it has errors. Warnings stay on
    ``model.diagnostics``."""
    return read_model(xml, resource_name=resource_name)


def evaluate(
    model: DmnModel,
    decision_id: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> DecisionResult:
    """Evaluate one decision (by id, or by name when no id matches) and the decisions it
    requires, against ``variables`` (input data by name). ``now`` answers FEEL's
    ``now()``/``today()``; without it they are null (a workflow passes
    ``workflow.now()``)."""
    raw = evaluate_decision(model, decision_id, variables, now=now)
    return DecisionResult(
        value=to_python(raw.value),
        rule_results=[{k: to_python(v) for k, v in row.items()} for row in raw.rule_results],
        matched_rules=list(raw.matched_rules),
        required={k: to_python(v) for k, v in raw.required.items()},
        warnings=list(raw.warnings),
    )


def json_value(value: Any) -> Any:
    """A decision's value as JSON keeps it (process variables and REST answers are JSON):
    dates and times as ISO 8601 text, as Baton stores every date; the rest as it is."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
