"""The FastAPI application: ``create_app`` for tests and embedding, ``app`` for uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import TracerProvider
from temporalio.client import Client

from api import api_docs, audit, body_limits, metrics, openapi, problems, rate_limits, web
from api.routes import health
from api.routes.bpms import (
    decisions,
    deployments,
    incidents,
    messages,
    process_instances,
    service_tasks,
    tasks,
)
from api.routes.camunda import decision_definitions as camunda_decisions
from api.routes.camunda import deployments as camunda_deployments
from api.routes.camunda import engine as camunda_engine
from api.routes.camunda import external_task_queries as camunda_external_task_queries
from api.routes.camunda import external_task_retries as camunda_external_task_retries
from api.routes.camunda import external_tasks as camunda_external_tasks
from api.routes.camunda import history as camunda_history
from api.routes.camunda import history_instances as camunda_history_instances
from api.routes.camunda import history_tasks as camunda_history_tasks
from api.routes.camunda import incidents as camunda_incidents
from api.routes.camunda import jobs as camunda_jobs
from api.routes.camunda import messages as camunda_messages
from api.routes.camunda import process_definition_forms as camunda_definition_forms
from api.routes.camunda import process_definitions as camunda_definitions
from api.routes.camunda import process_instances as camunda_instances
from api.routes.camunda import statistics as camunda_statistics
from api.routes.camunda import task_commands as camunda_task_commands
from api.routes.camunda import task_variables as camunda_task_variables
from api.routes.camunda import tasks as camunda_tasks
from api.routes.camunda import variable_instances as camunda_variable_instances
from api.routes.letsflow import api_keys
from api.routes.letsflow import processes as letsflow_processes
from api.routes.letsflow import scenarios as letsflow_scenarios
from api.routes.oneweb import runtime as oneweb
from api.routes.platform import audit as audit_routes
from api.routes.platform import cases, configuration, data_models, documents, events
from core import __version__
from core import tracing as tracing_setup
from core.settings import Settings, get_settings
from core.temporal_client import connect
from operations.messages import MessageSweeper
from store import Store

_log = logging.getLogger("baton.api")


def _operation_id(route: APIRoute) -> str:
    return f"{str(route.tags[0]).replace(' ', '_')}-{route.name}" if route.tags else route.name


def create_app(
    settings: Settings | None = None,
    *,
    client: Client | None = None,
    store: Store | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """Build the app. Pass ``client``/``store`` to share existing ones (tests do);
    otherwise the lifespan connects them from ``settings`` and closes what it opened.
    Requests are traced with ``tracer_provider``, else with an OTLP exporter when
    ``BATON_OTLP_ENDPOINT`` is set (``core.tracing``), else not at all."""
    settings = settings or get_settings()
    tracing = tracer_provider or tracing_setup.provider(settings, "baton-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned_store = None
        if getattr(app.state, "store", None) is None:
            owned_store = Store(settings.database_url)
            await owned_store.init_schema()
            app.state.store = owned_store
        if getattr(app.state, "temporal", None) is None:
            app.state.temporal = await connect(
                settings, plugins=tracing_setup.temporal_plugins(tracing)
            )
        # messages buffered before a restart are delivered again
        sweeper = MessageSweeper(app.state.temporal, app.state.store, settings)
        app.state.sweeper = sweeper
        sweeper.ensure_running()
        _log.info(
            "API ready: Temporal %s, database %s",
            settings.temporal_address,
            owned_store and owned_store.dialect,
        )
        yield
        await sweeper.stop()
        if owned_store is not None:
            await owned_store.dispose()

    app = FastAPI(
        title="Baton",
        version=__version__,
        description=(
            "BPMN 2.0 processes and LetsFlow scenarios on Temporal, behind the Eximee BPMS "
            "and platform APIs (/v1), ONEWEB's process runtime (/BPMREST/service/runtime) "
            "and LetsFlow's engine API (/info, /scenarios, /processes, /apikey). Errors are "
            "RFC 9457 application/problem+json, except under /BPMREST/ (ONEWEB's envelope) "
            "and /engine-rest (Camunda 7's REST API and its error body). "
            "Each operation names the privilege it needs (x-baton-privilege)."
        ),
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # api_docs serves /docs and /redoc with local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.temporal = client
    app.state.store = store
    problems.install(app)
    openapi.install(app)
    body_limits.install(app, settings)  # innermost: refused bodies are limited and audited
    rate_limits.install(app, settings)  # inside the audit: a refused write is recorded
    audit.install(app)
    metrics.install(app)  # outermost: counts every answer, refusals included
    for module in (
        health,
        deployments,
        decisions,
        process_instances,
        tasks,
        incidents,
        messages,
        service_tasks,
        audit_routes,
        api_keys,
        letsflow_scenarios,
        letsflow_processes,
        oneweb,
        cases,
        events,
        documents,
        data_models,
        configuration,
        camunda_engine,
        camunda_deployments,
        camunda_statistics,  # before definitions: "statistics" is no definition id
        camunda_definitions,
        camunda_definition_forms,
        camunda_external_task_retries,
        camunda_external_task_queries,
        camunda_external_tasks,
        camunda_instances,
        camunda_tasks,
        camunda_history_instances,
        camunda_history_tasks,
        camunda_task_commands,
        camunda_task_variables,
        camunda_variable_instances,
        camunda_history,
        camunda_messages,
        camunda_incidents,
        camunda_jobs,
        camunda_decisions,
    ):
        app.include_router(module.router)
    app.include_router(camunda_incidents.history_router)
    web.install(app, settings)
    api_docs.install(app, settings)
    if tracing is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=tracing, excluded_urls="/health,/ready,/metrics,/web/"
        )
    return app


def app() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory api.main:app``."""
    return create_app()
