"""Baton's own activities: load a definition's IR, project read models.

Both run as local activities from the workflow: no extra server round trip, one marker
event each.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from baton_client.contracts import bpmn as c
from sqlalchemy.exc import DataError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from bpmn_compiler.ir import Diagram, ProcessDefinition
from store import Store, cache_epochs, decisions, definitions, projections
from store.db import DefinitionNotFound

_CACHE_SIZE = 256


def record_lag(batch: c.ProjectionBatch) -> None:
    """How far the read model trails the workflow: seconds from the newest change in the
    batch (its revision carries the workflow time, ``store.projections.revision_at``) to
    its commit. Recorded through the SDK's meter, so it is served with the SDK's own
    metrics on the worker's endpoint (``baton_read_model_lag`` histogram)."""
    revisions = [
        row.revision for rows in (batch.instances, batch.tasks, batch.incidents) for row in rows
    ]
    if not revisions:
        return
    changed_ms = max(revisions) >> 16
    lag = max(0.0, time.time() - changed_ms / 1000)
    activity.metric_meter().create_histogram_float(
        "baton_read_model_lag",
        "Seconds from a change in a workflow to its row in the read model.",
        "s",
    ).record(lag)


class InfrastructureActivities:
    def __init__(self, store: Store) -> None:
        self._store = store
        # Content-addressed by sha256, so an entry can never be stale.
        self._cache: OrderedDict[str, ProcessDefinition] = OrderedDict()
        self._epoch = cache_epochs.EpochWatch(store)
        self.loads = 0  # reads from the store (observable: refreshCache empties the cache)

    @activity.defn(name=c.LOAD_DEFINITION)
    async def load_definition(self, ref: c.DefinitionRef) -> ProcessDefinition:
        """The executable part of a definition; diagram positions stay in the database
        (they would only weigh down every history)."""
        if await self._epoch.moved():
            self._cache.clear()
        cached = self._cache.get(ref.sha256)
        if cached is not None:
            self._cache.move_to_end(ref.sha256)
            return cached
        stored = await definitions.load_ir(self._store, ref.key, ref.version, ref.sha256)
        self.loads += 1
        definition = stored.model_copy(update={"diagram": Diagram()})
        self._cache[ref.sha256] = definition
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return definition

    @activity.defn(name=c.LOAD_DECISION)
    async def load_decision(self, request: c.DecisionRequest) -> c.DecisionSource:
        """The decision version a business-rule task binds to, with its ``.dmn`` file; the
        workflow parses and evaluates it (so the evaluation is in its history). A decision
        that is not deployed is not worth retrying: the task opens an incident."""
        try:
            deployment_id = None
            if request.binding == "deployment" and request.process_key is not None:
                process = await definitions.find(
                    self._store, request.process_key, request.process_version
                )
                deployment_id = process.deployment_id
            found = await decisions.find(
                self._store,
                request.key,
                version=request.version if request.binding == "version" else None,
                version_tag=request.version_tag if request.binding == "versionTag" else None,
                deployment_id=deployment_id,
            )
            xml = await decisions.load_xml(self._store, found.key, found.version)
        except (decisions.DecisionNotFound, DefinitionNotFound) as err:
            raise ApplicationError(str(err), type="DecisionNotFound", non_retryable=True) from err
        return c.DecisionSource(
            key=found.key, version=found.version, deployment_id=found.deployment_id, xml=xml
        )

    @activity.defn(name=c.RESOLVE_DEFINITION)
    async def resolve_definition(self, request: c.ResolveDefinition) -> c.DefinitionRef:
        """The definition a call activity starts; a missing one is not worth retrying."""
        try:
            found = await definitions.find(self._store, request.key, request.version)
        except DefinitionNotFound as err:
            raise ApplicationError(str(err), type="DefinitionNotFound", non_retryable=True) from err
        return c.DefinitionRef(key=found.key, version=found.version, sha256=found.sha256)

    @activity.defn(name=c.PROJECT)
    async def project(self, batch: c.ProjectionBatch) -> None:
        """Retried while the database is away; a batch the database refuses for good (a
        value too long for a column: an id or key from a client that bypassed the API)
        fails for good, so the instance is not held up by its read model."""
        try:
            await projections.apply(self._store, batch)
            record_lag(batch)
        except DataError as err:
            raise ApplicationError(
                f"the database refused the read-model rows: {err.orig}",
                type="ProjectionRejected",
                non_retryable=True,
            ) from err
