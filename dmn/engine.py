"""Evaluation of decisions (filled in by the following commits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dmn.errors import DmnEvaluationError
from dmn.model import DmnModel


@dataclass
class RawResult:
    """A decision's outcome in FEEL values (the TCK compares these exactly)."""

    value: Any
    rule_results: list[dict[str, Any]] = field(default_factory=list)
    matched_rules: list[str] = field(default_factory=list)
    required: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def evaluate_decision(
    model: DmnModel,
    decision_id: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> RawResult:
    del model, variables, now
    raise DmnEvaluationError(f"evaluating {decision_id!r} is not implemented yet")
