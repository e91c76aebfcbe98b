"""One way to connect to Temporal, so the API, worker, CLI and tests agree on the converter."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client, Plugin
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from core.settings import Settings


async def connect(
    settings: Settings,
    *,
    plugins: Sequence[Plugin] = (),
    runtime: Runtime | None = None,
) -> Client:
    """Connect with the pydantic converter: workflow inputs and results are pydantic
    models. ``plugins`` carry traces (``core.tracing``); ``runtime`` is the SDK's
    telemetry (the worker's metrics endpoint)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        plugins=plugins,
        runtime=runtime,
    )
