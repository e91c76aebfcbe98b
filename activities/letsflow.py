"""Activities of LetsFlow processes: load a scenario, project the read model, notify a
service.

A service is notified by an HTTP POST to the webhook configured for it
(``BATON_LETSFLOW_SERVICES``). The body is what LetsFlow's engine posts
(src/notify/webhook/webhook.service.ts): the notify entry's ``message`` if it has one (a
string as ``text/plain``), else LetsFlow's standard message ``{process, actions,
instructions?, etag}`` (core src/process/notify.ts). ``BATON_LETSFLOW_WEBHOOK_BODY=envelope``
posts Baton's own ``{process, message, trigger}`` instead. A 2xx answer with a body is the
service's response and steps the process with the notification's trigger; 202 or an
empty body means the service will step later through the API. A service with no webhook
configured is skipped with a log line: the process then waits for it to act through the
API (with an API key scoped to that service), which is how the example scenarios' services
are driven in tests.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Literal

import httpx
from baton_client.contracts import letsflow as lc
from temporalio import activity
from temporalio.exceptions import ApplicationError

from store import Store, cache_epochs, letsflow

_log = logging.getLogger("baton.letsflow")
_CACHE_SIZE = 256


class LetsflowActivities:
    def __init__(
        self,
        store: Store,
        services: dict[str, str] | None = None,
        webhook_body: Literal["message", "envelope"] = "message",
    ) -> None:
        self._store = store
        self._services = services or {}
        self._webhook_body = webhook_body
        # content-addressed by scenario id, so an entry can never be stale
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._epoch = cache_epochs.EpochWatch(store)

    @activity.defn(name=lc.LOAD_SCENARIO)
    async def load_scenario(self, scenario_id: str) -> dict[str, Any]:
        if await self._epoch.moved():
            self._cache.clear()
        cached = self._cache.get(scenario_id)
        if cached is None:
            row = await letsflow.get_scenario(self._store, scenario_id)
            if row is None:
                raise ApplicationError(
                    f"no scenario {scenario_id}", type="ScenarioNotFound", non_retryable=True
                )
            cached = {"id": row.id, **row.normalized}
            self._cache[scenario_id] = cached
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        self._cache.move_to_end(scenario_id)
        return cached

    @activity.defn(name=lc.PROJECT_PROCESS)
    async def project_process(self, row: lc.ProcessProjection) -> None:
        await letsflow.project_process(self._store, row)

    @activity.defn(name=lc.NOTIFY_SERVICE)
    async def notify_service(self, note: lc.Notification) -> lc.ServiceReply:
        url = self._services.get(note.service)
        if url is None:
            _log.info(
                "process %s: service %r has no webhook; it acts through the API",
                note.process_id,
                note.service,
            )
            return lc.ServiceReply()
        body: Any
        if self._webhook_body == "envelope":
            body = {"process": note.process, "message": note.message, "trigger": note.trigger}
        else:
            body = note.message if note.message is not None else standard_message(note)
        async with httpx.AsyncClient(timeout=20) as http:
            if isinstance(body, str):
                answer = await http.post(
                    url, content=body.encode(), headers={"content-type": "text/plain"}
                )
            else:
                answer = await http.post(url, json=body)
        if answer.status_code >= 500:
            raise ApplicationError(f"service {note.service} answered {answer.status_code}")
        if answer.status_code >= 400:
            raise ApplicationError(
                f"service {note.service} refused: {answer.status_code}", non_retryable=True
            )
        if answer.status_code == 202 or not answer.content:
            return lc.ServiceReply()
        try:
            return lc.ServiceReply(respond=True, response=answer.json())
        except ValueError:
            return lc.ServiceReply(respond=True, response=answer.text)


def standard_message(note: lc.Notification) -> dict[str, Any]:
    """LetsFlow's standard message to a service (core src/process/notify.ts,
    ``createMessage``): the process id, the actions the service may perform now, the
    state's instructions for it (when there are some) and the process's etag, the hash of
    its last event."""
    process = note.process
    current = process.get("current") or {}
    me = f"service:{note.service}"
    actions = [
        a
        for a in current.get("actions") or []
        if isinstance(a, dict) and me in (a.get("actor") or [])
    ]
    message: dict[str, Any] = {"process": process.get("id", note.process_id), "actions": actions}
    instructions = (current.get("instructions") or {}).get(me)
    if instructions:
        message["instructions"] = instructions
    events = process.get("events") or []
    message["etag"] = events[-1].get("hash") if events else None
    return message
