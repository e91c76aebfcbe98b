"""Signals between instances: the ``baton.broadcast_signal`` local activity of a
throwing workflow (one marker event), a thin wrapper over ``operations.signals``."""

from __future__ import annotations

from baton_client.contracts import bpmn as c
from temporalio import activity
from temporalio.client import Client

from operations.signals import broadcast
from store import Store


class SignalActivities:
    def __init__(self, client: Client, store: Store) -> None:
        self._client = client
        self._store = store

    @activity.defn(name=c.BROADCAST_SIGNAL)
    async def broadcast_signal(self, signal: c.BroadcastSignal) -> c.SignalBroadcast:
        return await broadcast(self._client, self._store, signal, activity.info().task_queue)
