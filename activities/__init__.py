"""Everything with side effects: service-task implementations, definition loading,
read-model projection. ``build_activities`` lists what a worker registers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from temporalio.client import Client

from activities.builtin import BUILTIN_ACTIVITIES
from activities.cases import CaseActivities
from activities.data_model import DataModelActivities
from activities.documents import DocumentActivities
from activities.external_tasks import ExternalTaskActivities
from activities.infrastructure import InfrastructureActivities
from activities.letsflow import LetsflowActivities
from activities.message_flows import MessageFlowActivities
from activities.signals import SignalActivities
from store import Store


def build_activities(
    store: Store,
    client: Client,
    *,
    external_tasks: bool | ExternalTaskActivities = True,
    letsflow_services: dict[str, str] | None = None,
    letsflow_webhook_body: Literal["message", "envelope"] = "message",
) -> list[Callable[..., Any]]:
    """All activities a Baton worker serves, bound to ``store`` (and ``client``, for
    signals that reach other instances). With ``external_tasks``, every service-task type
    no registered activity serves is parked for HTTP workers (a dynamic activity; a
    worker can have only one); pass an ``ExternalTaskActivities`` to keep a handle on it."""
    infra = InfrastructureActivities(store)
    signals = SignalActivities(client, store)
    flows = MessageFlowActivities(client, store)
    lf = LetsflowActivities(store, letsflow_services, letsflow_webhook_body)
    case_status = CaseActivities(store, client)
    document_generator = DocumentActivities(store)
    data_model = DataModelActivities(store)
    return [
        data_model.read,
        data_model.write,
        case_status.set_status,
        document_generator.generate,
        lf.load_scenario,
        lf.project_process,
        lf.notify_service,
        infra.load_definition,
        infra.resolve_definition,
        infra.load_decision,
        infra.project,
        signals.broadcast_signal,
        flows.send_along_flow,
        *BUILTIN_ACTIVITIES,
        *([_parking(store, client, external_tasks).park] if external_tasks else []),
    ]


def _parking(
    store: Store, client: Client, given: bool | ExternalTaskActivities
) -> ExternalTaskActivities:
    return (
        given
        if isinstance(given, ExternalTaskActivities)
        else ExternalTaskActivities(store, client)
    )


__all__ = [
    "BUILTIN_ACTIVITIES",
    "ExternalTaskActivities",
    "InfrastructureActivities",
    "SignalActivities",
    "build_activities",
]
