"""How the API and the worker log: readable lines, or one JSON object per line for a log
shipper (``BATON_LOG_FORMAT=json``), each record carrying what ties it to the rest.

* ``request_id``: the API request being answered (the audit middleware sets it, the
  answer's ``X-Request-ID`` echoes it, the audit log stores it), so a log line, an audit
  record and a client's report meet;
* ``workflow_id`` (and ``activity_type``/``workflow_type``): the Temporal SDK puts its
  context on every record of ``workflow.logger`` and ``activity.logger``; it is lifted
  to plain fields here, the instance id being the workflow id.

The JSON comes from python-json-logger; only the choice of fields is Baton's.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from core.settings import Settings

#: the API request this task is answering (set by ``api.audit``)
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "baton_request_id", default=None
)
TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class Correlation(logging.Filter):
    """Adds ``request_id`` and the Temporal ids to every record that has them."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        temporal: dict[str, Any] = {
            **(getattr(record, "temporal_workflow", None) or {}),
            **(getattr(record, "temporal_activity", None) or {}),
        }
        for key in ("workflow_id", "run_id", "workflow_type", "activity_type", "activity_id"):
            if key in temporal and not hasattr(record, key):
                setattr(record, key, temporal[key])
        return True


def configure(settings: Settings, level: int = logging.INFO) -> None:
    """The root logger's one handler, in the configured format (called once per process:
    ``baton serve``, ``baton worker``)."""
    handler = logging.StreamHandler()
    handler.addFilter(Correlation())
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                # the SDK's nested dicts are lifted to fields by Correlation
                reserved_attrs=[
                    *JsonFormatter().reserved_attrs,
                    "temporal_workflow",
                    "temporal_activity",
                ],
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
