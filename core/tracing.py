"""Traces with OpenTelemetry: one trace from a REST call, through the Temporal client call
it makes (start, update, signal, query), the workflow's handling of it, to the activities
the workflow runs.

Two pieces do the work, neither written here: FastAPI's instrumentation opens a span per
request, and Temporal's ``OpenTelemetryPlugin`` carries the context in the call's headers
into the workflow and from the workflow into its activities. The plugin, not the older
``TracingInterceptor``: that one parents an update's workflow spans to the workflow's
start and only *links* them to the caller, so a REST call that completes a task would
end its trace at the client. The plugin parents the update handler to the caller, and the
activities the handler's work schedules to the handler. It needs a replay-safe provider
(``create_tracer_provider``) installed as the process's global one, which the workflow
code reaches through OpenTelemetry's own API.

This module decides whether tracing is on (``BATON_OTLP_ENDPOINT``; off by default, at no
cost) and builds the provider that exports over OTLP/HTTP. Tests install a provider with
an in-memory exporter instead (``install``).
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import TracerProvider
from temporalio.client import Plugin
from temporalio.contrib.opentelemetry import OpenTelemetryPlugin, create_tracer_provider

from core.settings import Settings


def install(service: str, processor: SpanProcessor) -> TracerProvider:
    """A replay-safe provider for ``service`` sending its spans to ``processor``, made the
    process's global provider (which OpenTelemetry allows once per process)."""
    made = create_tracer_provider(resource=Resource.create({"service.name": service}))
    made.add_span_processor(processor)
    trace.set_tracer_provider(made)
    return made


def provider(settings: Settings, service: str) -> TracerProvider | None:
    """The OTLP-exporting provider of ``service`` (baton-api, baton-worker); None when no
    endpoint is configured."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return install(service, BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))


def temporal_plugins(tracing: TracerProvider | None) -> list[Plugin]:
    """The client plugins that carry the trace into workflows and activities (a worker
    built on the client takes them over)."""
    return [OpenTelemetryPlugin(add_temporal_spans=True)] if tracing is not None else []
