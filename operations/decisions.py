"""Evaluate deployed DMN decisions on request (``/v1/bpms/decisions/{key}/evaluate``,
Camunda's ``decision-definition/…/evaluate``): the same ``dmn`` evaluation a
business-rule task runs in its workflow, here in the API process, outside any instance.

Parsed models are kept by (key, version): a version's file never changes, so an entry is
never stale. Evaluation is CPU work and runs off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import dmn
from operations.errors import Invalid, NotFound
from store import Store, decisions
from store.decisions import DeployedDecision

_CACHE_SIZE = 64
_models: OrderedDict[tuple[str, int], dmn.DmnModel] = OrderedDict()


@dataclass(frozen=True)
class Evaluated:
    decision: DeployedDecision
    result: dmn.DecisionResult


async def find(
    store: Store, key: str, *, version: int | None = None, version_tag: str | None = None
) -> DeployedDecision:
    try:
        return await decisions.find(store, key, version=version, version_tag=version_tag)
    except decisions.DecisionNotFound as err:
        raise NotFound(str(err)) from err


async def model_of(store: Store, decision: DeployedDecision) -> dmn.DmnModel:
    ref = (decision.key, decision.version)
    cached = _models.get(ref)
    if cached is not None:
        _models.move_to_end(ref)
        return cached
    xml = await decisions.load_xml(store, decision.key, decision.version)
    model = await asyncio.to_thread(dmn.parse, xml, resource_name=decision.resource_name)
    _models[ref] = model
    if len(_models) > _CACHE_SIZE:
        _models.popitem(last=False)
    return model


async def evaluate(
    store: Store, key: str, variables: dict[str, Any], *, version: int | None = None
) -> Evaluated:
    """Evaluate ``key`` (the latest version, or ``version``) against ``variables``; a
    decision that cannot be evaluated is ``Invalid`` naming why."""
    decision = await find(store, key, version=version)
    model = await model_of(store, decision)
    now = dt.datetime.now(dt.UTC)
    try:
        result = await asyncio.to_thread(dmn.evaluate, model, key, variables, now=now)
    except dmn.DmnError as err:
        raise Invalid(f"decision {key!r} version {decision.version}: {err}") from err
    return Evaluated(decision, result)
