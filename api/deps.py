"""Dependencies: the Temporal client, the store and settings, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from temporalio.client import Client

from api.problems import Unavailable
from core.settings import Settings
from operations.calls import IDEMPOTENCY_KEY
from operations.messages import MessageSweeper
from store import Store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_client(request: Request) -> Client:
    client: Client | None = getattr(request.app.state, "temporal", None)
    if client is None:
        raise Unavailable("Temporal is not connected yet")
    return client


def get_store(request: Request) -> Store:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        raise Unavailable("the database is not connected yet")
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[Client, Depends(get_client)]
StoreDep = Annotated[Store, Depends(get_store)]


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Makes a command safe to send again: the same key and command "
            "are applied at most once, and a repeat answers with the first outcome "
            "(honoured on commands; ignored on reads).",
        ),
    ] = None,
) -> None:
    """Hand the request's ``Idempotency-Key`` to the Temporal calls it makes (async, so
    the context variable is set in the request's own task)."""
    IDEMPOTENCY_KEY.set(key)


#: Router dependency for routers that send commands to instances.
IDEMPOTENT = [Depends(idempotency_key)]


def sweeper(request: Request, client: Client, store: Store, settings: Settings) -> MessageSweeper:
    """The app's one message sweeper (created on first use; the lifespan starts it in a
    served app, a route that writes to the outbox makes sure it runs)."""
    found: MessageSweeper | None = getattr(request.app.state, "sweeper", None)
    if found is None:
        found = MessageSweeper(client, store, settings)
        request.app.state.sweeper = found
    return found
